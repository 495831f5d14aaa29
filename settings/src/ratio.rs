//! `min_success_ratio` as an exact decimal.
//!
//! Flyte stores the ratio as a float32 and computes `ceil(ratio * n)` in floating point, so
//! `0.8` of 10 elements asks for 9 successes (0.8f32 is 0.800000011920929). We keep the digits the
//! user wrote and compute with integers: `0.8` of 10 needs exactly 8.

use std::fmt;

/// A ratio in (0, 1] kept as `units / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    units: u64,
    scale: u32,
}

impl Ratio {
    /// The ratio 1: every element must succeed.
    pub const ONE: Ratio = Ratio { units: 1, scale: 0 };

    /// A ratio that `flowmap-macros` already parsed, as `units / 10^scale`. Generated code builds
    /// ratios with this, so nothing is parsed twice.
    #[doc(hidden)]
    #[must_use]
    pub const fn from_checked(units: u64, scale: u32) -> Self {
        Ratio { units, scale }
    }

    /// The digits, as in `units / 10^scale`.
    #[must_use]
    pub fn units(self) -> u64 {
        self.units
    }

    /// The number of decimal places, as in `units / 10^scale`.
    #[must_use]
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Parses a decimal literal such as `0.75`, `1`, `1.0` or `.5`.
    ///
    /// # Errors
    /// A message when the text is not a plain decimal or lies outside (0, 1].
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().trim_end_matches("f64").trim_end_matches("f32").trim_end_matches('_');
        let (int_part, frac_part) = t.split_once('.').unwrap_or((t, ""));
        let ok = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
        if (int_part.is_empty() && frac_part.is_empty()) || !ok(int_part) || !ok(frac_part) {
            return Err(format!("`{text}` is not a decimal number; write a ratio such as 0.75"));
        }
        let int_part: String = int_part.chars().filter(|c| *c != '_').collect();
        let frac_part: String = frac_part.chars().filter(|c| *c != '_').collect();
        let frac_trimmed = frac_part.trim_end_matches('0');
        let scale = u32::try_from(frac_trimmed.len()).unwrap_or(u32::MAX);
        if scale > 18 {
            return Err(format!("`{text}` has more than 18 decimal places"));
        }
        let digits = format!("{}{}", if int_part.is_empty() { "0" } else { &int_part }, frac_trimmed);
        let units: u64 = digits.parse().map_err(|_| format!("`{text}` is too large for a ratio"))?;
        let r = Ratio { units, scale };
        if units == 0 || r.units > 10u64.pow(scale) {
            return Err(format!(
                "min_success_ratio must be greater than 0 and at most 1, found {text}; \
                 0.75 means three quarters of the elements must succeed"
            ));
        }
        Ok(r)
    }

    /// Successes needed out of `n`: `ceil(ratio × n)`, exactly.
    #[must_use]
    pub fn required(self, n: usize) -> usize {
        let den = u128::from(10u64.pow(self.scale));
        let need = (u128::from(self.units) * n as u128).div_ceil(den);
        usize::try_from(need).unwrap_or(usize::MAX)
    }

    /// Whether this is exactly 1.
    #[must_use]
    pub fn is_one(self) -> bool {
        u128::from(self.units) == u128::from(10u64.pow(self.scale))
    }

    /// The nearest `f64`, for backends that store a float (Flyte's IDL stores float32).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn to_f64(self) -> f64 {
        self.units as f64 / 10f64.powi(i32::try_from(self.scale).unwrap_or(i32::MAX))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ratio::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.units);
        }
        let s = format!("{:0>width$}", self.units, width = self.scale as usize + 1);
        let (i, frac) = s.split_at(s.len() - self.scale as usize);
        write!(f, "{i}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::Ratio;

    #[test]
    fn exact_where_float32_is_not() {
        // Flyte: ceil(0.8f32 * 10) = 9. Exactly: 8.
        assert_eq!(Ratio::parse("0.8").unwrap().required(10), 8);
        assert_eq!(Ratio::parse("0.75").unwrap().required(10), 8);
        assert_eq!(Ratio::parse("0.75").unwrap().required(4), 3);
        assert_eq!(Ratio::parse("1.0").unwrap().required(7), 7);
        assert_eq!(Ratio::parse("0.1").unwrap().required(0), 0);
        assert_eq!(Ratio::parse("0.01").unwrap().required(1), 1);
        assert!(Ratio::parse("1.00").unwrap().is_one());
        assert!(!Ratio::parse("0.99").unwrap().is_one());
    }

    #[test]
    fn displays_the_decimal() {
        assert_eq!(Ratio::parse("0.750").unwrap().to_string(), "0.75");
        assert_eq!(Ratio::parse("0.05").unwrap().to_string(), "0.05");
        assert_eq!(Ratio::parse("1").unwrap().to_string(), "1");
        assert!((Ratio::parse("0.75").unwrap().to_f64() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn rejects_out_of_range() {
        for bad in ["0", "0.0", "1.5", "2", "-0.5", "abc", "."] {
            assert!(Ratio::parse(bad).is_err(), "{bad}");
        }
    }
}
