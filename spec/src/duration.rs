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
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        format!("`{text}` is not a duration ({e}); write a number and a unit, such as \"30s\", \"5m\" or \"1h 30m\"")
    })?;
    if d.is_zero() {
        return Err(format!("timeout `{text}` is zero; give a positive duration such as \"30s\""));
    }
    Ok(d)
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
    }
}
