//! What the benchmark examples share: the `--reps R` argument, medians, and peak memory.

// Each example uses some of these.
#![allow(dead_code)]

/// `--reps R` from the command line, or `default`.
pub fn reps(default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != "--reps")
        .nth(1)
        .map(|r| r.parse().expect("--reps takes a number"))
        .unwrap_or(default)
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A `/proc/self/status` field (`VmRSS:`, `VmHWM:`) in bytes; `None` off Linux.
pub fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
}

/// Resets the peak resident set, so that `VmHWM` measures from here; whether it could.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The CPU time this process has used (user and system, all threads), in seconds, from
/// `/proc/self/stat` (10 ms resolution); `None` off Linux.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // /proc counts in USER_HZ, 100 per second on Linux.
    #[allow(clippy::cast_precision_loss)]
    Some(ticks as f64 / 100.0)
}
