//! Small parsers shared by `flowmap-macros` (which checks user literals at compile time) and
//! `flowmap-runtime` (which reads them again when it runs a graph), so both agree to the letter.
//!
//! - [`quantity`]: Kubernetes resource quantities (`500m`, `1.5`, `2Gi`, `1G`, `1e3`).
//! - [`duration`]: durations such as `30s`, `5m`, `1h 30m`, `250ms`.
//! - [`ratio`]: decimal success ratios kept exact (`0.8` of 10 needs 8).
//! - [`resources`]: the resource keys of `requests(...)` / `limits(...)`, and resource sets.
//! - [`settings`]: the one table of task options and node overrides ([`for_each_setting!`]).
//!
//! With the `serde` feature, quantities, ratios and resource sets serialize as the text users
//! write (`"2Gi"`, `"0.75"`, `{"mem": "2Gi"}`).

pub mod duration;
#[cfg(test)]
mod hostile;
pub mod quantity;
pub mod ratio;
pub mod resources;
pub mod settings;

/// The name in `candidates` closest to `name`, if one is close enough to be a likely typo.
///
/// Used for "did you mean" hints: `retry` → `retries`, `parallelism` is handled by an alias table
/// in the macros because it is a synonym, not a typo.
#[must_use]
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 2).max(1) || c.starts_with(name) || name.starts_with(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(cur) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The key of an input name in generated code: FNV-1a, 64 bits. `#[task]` and `#[workflow]`
/// implement one trait per key of their inputs; a call site asks for the key of the name it
/// wrote, so an unknown name is a trait error with the target's own message.
#[must_use]
pub const fn input_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_names_only() {
        let opts = ["name", "retries", "timeout", "cache", "cache_version", "requests", "limits"];
        assert_eq!(closest("retry", &opts), Some("retries"));
        assert_eq!(closest("timout", &opts), Some("timeout"));
        assert_eq!(closest("request", &opts), Some("requests"));
        assert_eq!(closest("zzzzzz", &opts), None);
    }

    #[test]
    fn input_keys_differ_by_name_and_are_stable() {
        use super::input_key;
        assert_eq!(input_key(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(input_key("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(input_key("data"), input_key("date"));
    }
}
