//! What the `bench_*` examples share: the `--reps R` argument and medians.

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
