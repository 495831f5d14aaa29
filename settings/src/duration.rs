//! Durations for `timeout = "..."`: a number and a unit, possibly several (`1h 30m`).
//!
//! The grammar is humantime's (`ns`, `us`, `ms`, `s`, `m`, `h`, `d`, and their long forms).
//! A timeout of zero is rejected: it would fail every attempt before it starts.

use std::time::Duration;

/// Parses a timeout such as `"30s"`, `"5m"`, `"1h 30m"` or `"250ms"`.
///
/// # Errors
/// A message for the user when the text is not a duration or is zero.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse(text)?;
    if d.is_zero() {
        return Err(format!("timeout `{text}` is zero; give a positive duration such as \"30s\""));
    }
    Ok(d)
}

/// Parses a duration such as `"30s"`, `"5m"`, `"1h 30m"`, `"250ms"` or `"0s"`.
///
/// # Errors
/// A message for the user when the text is not a duration.
pub fn parse(text: &str) -> Result<Duration, String> {
    let too_long =
        || format!("`{text}` is too long for a duration; write a number and a unit, such as \"30s\" or \"5m\"");
    // humantime 2.4 panics (an unchecked carry) when the seconds add up to exactly `u64::MAX`;
    // no timeout is anywhere near that: bound the text before parsing.
    if beyond_bound(text) {
        return Err(too_long());
    }
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        format!("`{text}` is not a duration ({e}); write a number and a unit, such as \"30s\", \"5m\" or \"1h 30m\"")
    })?;
    // humantime reads digits apart as one number (`"1200000 00000M"`), past the bound of its
    // runs: what parses must also be written back within it, so that it reads back.
    if beyond_bound(&format(d)) {
        return Err(too_long());
    }
    Ok(d)
}

/// Whether `text` may add up to more than 2^60 seconds, counting every run of digits as a
/// number of years (the largest unit).
fn beyond_bound(text: &str) -> bool {
    let years: u128 = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .map(|run| run.trim_start_matches('0').len().min(30))
        .map(|digits| 10u128.pow(u32::try_from(digits).unwrap_or(30)))
        .sum();
    years.saturating_mul(31_557_600) > 1u128 << 60
}

/// Formats a duration the way [`parse_timeout`] reads it back (`"1h 30m"`).
#[must_use]
pub fn format(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_round_trips() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(format(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(parse_timeout(&format(Duration::from_millis(1500))), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_words_and_zero() {
        assert!(parse_timeout("soon").unwrap_err().contains("not a duration"));
        assert!(parse_timeout("30").is_err());
        assert!(parse_timeout("0s").unwrap_err().contains("zero"));
        assert!(parse_timeout("18446744073709551615s 1000ms").unwrap_err().contains("too long"));
        // Digits apart are one number to humantime: what would not be written back within the
        // bound is too long, so every timeout that parses reads back from its own text.
        assert!(parse_timeout("1200000 00000M").unwrap_err().contains("too long"));
        // Long but sane timeouts still parse.
        assert_eq!(parse_timeout("1000000000s"), Ok(Duration::from_secs(1_000_000_000)));
        assert_eq!(parse_timeout("2y 3months"), humantime::parse_duration("2y 3months").map_err(|e| e.to_string()));
    }
}
