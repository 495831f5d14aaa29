//! Hostile input never panics: the parsers of quantities, timeouts and ratios return `Ok` or a
//! message for any text, and what they accept reads back as the same value.
//!
//! 512 cases per property, or `$PROPTEST_CASES`.

use std::time::Duration;

use proptest::prelude::*;

use crate::duration::{format, parse_timeout};
use crate::quantity::Quantity;
use crate::ratio::Ratio;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    }
}

/// Any text, or text near the quantity grammar: digits, points, signs, exponents, suffixes,
/// numbers long enough to overflow.
fn quantity_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.eE+-]{0,12}(m|k|Ki|Mi|Gi|Ti|Pi|Ei|E|P|T|G|M|k|n|u|)?",
        " ?-?[0-9]{0,42}(\\.[0-9]{0,42})?([eE][+-]?[0-9]{1,3}|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|i|x)? ?",
        "[0-9]{1,20}(\\.[0-9]{1,12})?([eE]-?[0-9]{1,2}|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?",
    ]
}

/// Any text, or text near humantime's grammar, with numbers up to and beyond `u64::MAX`.
fn timeout_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9hms .]{0,12}",
        "( ?[0-9]{1,21}(\\.[0-9]{0,21})? ?(ns|us|µs|ms|s|sec|m|min|h|hr|d|w|M|y|years|months|x)?){1,4} ?",
        "([1-9][0-9]{0,6}(\\.[0-9]{1,3})? ?(us|ms|s|m|h|d|w|M|y) ?){1,4}",
    ]
}

/// Any text, or text near a decimal ratio.
fn ratio_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9._]{0,12}(f32|f64)?",
        " ?-?[0-9_]{0,22}(\\.[0-9_]{0,24})?(f32|f64|e3)? ?",
        "0?\\.[0-9]{1,18}0{0,3}|1(\\.0{0,5})?",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn quantities_parse_or_say_why(text in quantity_text()) {
        match Quantity::parse(&text) {
            Ok(q) => {
                prop_assert_eq!(q.text(), text.as_str());
                // The text it displays reads back as the same quantity.
                prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q.clone()));
                // So does its exact value, written in billionths, when that fits the grammar's
                // arithmetic (the number times 10^9 in 128 bits).
                if q.nanos() <= u128::MAX / 1_000_000_000 {
                    let nanos = Quantity::parse(&format!("{}n", q.nanos())).map(|n| n.nanos());
                    prop_assert_eq!(nanos, Ok(q.nanos()), "{:?}", text);
                }
            }
            Err(e) => prop_assert!(e.contains("is not a resource quantity"), "{:?}: {}", text, e),
        }
    }

    #[test]
    fn timeouts_parse_or_say_why(text in timeout_text()) {
        match parse_timeout(&text) {
            Ok(d) => {
                prop_assert!(!d.is_zero());
                prop_assert_eq!(parse_timeout(&format(d)), Ok(d), "{:?} formats as {:?}", text, format(d));
            }
            Err(e) => prop_assert!(
                e.contains("is not a duration") || e.contains("is zero") || e.contains("is too long"),
                "{:?}: {}",
                text,
                e
            ),
        }
    }

    /// Up to 10^12 seconds (some 31,700 years); a text whose numbers could near the limit of a
    /// `Duration` is refused as too long.
    #[test]
    fn every_duration_formats_to_a_timeout_that_reads_back(secs in 0..=1_000_000_000_000u64, nanos in 0..1_000_000_000u32) {
        let d = Duration::new(secs, nanos);
        prop_assume!(!d.is_zero());
        prop_assert_eq!(parse_timeout(&format(d)), Ok(d), "{:?}", format(d));
    }

    #[test]
    fn ratios_parse_or_say_why(text in ratio_text()) {
        match Ratio::parse(&text) {
            Ok(r) => {
                prop_assert_eq!(Ratio::parse(&r.to_string()), Ok(r), "{:?} displays as {:?}", text, r.to_string());
                prop_assert!(r.to_f64() > 0.0 && r.to_f64() <= 1.0, "{:?} is {}", text, r.to_f64());
                prop_assert!(r.required(1) == 1 && r.required(1000) <= 1000);
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    /// `0.DIGITS` of `10^len(DIGITS)` elements needs exactly DIGITS successes, and displays
    /// without its trailing zeros.
    #[test]
    fn decimal_ratios_are_exact(digits in "[0-9]{1,18}") {
        let value: u64 = digits.parse().unwrap();
        prop_assume!(value > 0);
        let r = Ratio::parse(&format!("0.{digits}")).map_err(TestCaseError::fail)?;
        let n = 10usize.pow(u32::try_from(digits.len()).unwrap());
        prop_assert_eq!(r.required(n) as u64, value);
        prop_assert_eq!(r.to_string(), format!("0.{}", digits.trim_end_matches('0')));
        prop_assert_eq!(Ratio::parse(&r.to_string()), Ok(r));
    }
}

/// Found by this module's boundary inputs: humantime 2.4 panics ("overflow in
/// Duration::new") when the seconds add up to `u64::MAX` and the sub-second parts to exactly one
/// second, so `parse_timeout` (and `#[task(timeout = "...")]`, which calls it) panicked on them.
/// Fixed in `crate::duration` by bounding the total before parsing.
#[test]
fn timeouts_at_the_seconds_limit_do_not_panic() {
    for text in [
        "18446744073709551615s 1000ms",
        "18446744073709551615s 1000000us",
        "18446744073709551615s 1000000000ns",
        "9223372036854775807s 9223372036854775808s 500ms 500ms",
    ] {
        let result = std::panic::catch_unwind(|| parse_timeout(text));
        assert!(result.is_ok(), "parse_timeout({text:?}) panicked");
        assert!(result.unwrap().is_err(), "{text:?} is beyond a Duration");
    }
}
