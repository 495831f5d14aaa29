//! Kubernetes resource quantities, read exactly.
//!
//! Grammar (as `k8s.io/apimachinery/pkg/api/resource`): a non-negative decimal number
//! (`1`, `1.5`, `.5`) followed by at most one suffix: binary `Ki Mi Gi Ti Pi Ei` (powers of 1024),
//! decimal `n u m k M G T P E` (powers of 1000), or a decimal exponent `e3` / `E-2`.
//! The value is kept in billionths of a unit (`nanos`), exact for every suffix down to `n`.

use std::borrow::Cow;
use std::fmt;

const NANOS_PER_UNIT: u128 = 1_000_000_000;

/// A parsed quantity: the text as written and its exact value in billionths of a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    text: Cow<'static, str>,
    nanos: u128,
}

impl Quantity {
    /// A quantity that `flowmap-macros` already parsed: its text and its value in billionths.
    /// Generated code builds quantities with this, so nothing is parsed twice.
    #[doc(hidden)]
    #[must_use]
    pub const fn from_checked(text: &'static str, nanos: u128) -> Self {
        Quantity { text: Cow::Borrowed(text), nanos }
    }

    /// The exact value in billionths of a unit.
    #[must_use]
    pub fn nanos(&self) -> u128 {
        self.nanos
    }

    /// Parses a quantity such as `"500m"`, `"2Gi"`, `"1.5"` or `"1e3"`.
    ///
    /// # Errors
    /// A message saying what is wrong with the text and what the grammar is.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "\"{text}\" is not a resource quantity ({why}); write a number with an optional suffix, \
                 such as \"500m\", \"1.5\", \"2Gi\", \"500Mi\" or \"1G\""
            )
        };
        let s = text.trim();
        let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (number, suffix) = s.split_at(num_end);
        if s.starts_with('-') {
            return Err(bad("it is negative"));
        }
        if number.is_empty() || number == "." {
            return Err(bad("it does not start with a number"));
        }
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) if !f.contains('.') => (i, f),
            Some(_) => return Err(bad("it has two decimal points")),
            None => (number, ""),
        };
        // The number as digits / 10^frac_len.
        let digits: String = [int_part, frac_part].concat();
        let mantissa: u128 = digits.parse().map_err(|_| bad("the number is too large"))?;
        let frac_len = u32::try_from(frac_part.len()).map_err(|_| bad("too many digits"))?;
        // multiplier = num / den, applied to the number, then scaled to nanos.
        let (mul, den): (u128, u128) = match suffix {
            "" => (1, 1),
            "n" => (1, 1_000_000_000),
            "u" => (1, 1_000_000),
            "m" => (1, 1_000),
            "k" => (1_000, 1),
            "M" => (1_000_000, 1),
            "G" => (1_000_000_000, 1),
            "T" => (1_000_000_000_000, 1),
            "P" => (1_000_000_000_000_000, 1),
            "E" => (1_000_000_000_000_000_000, 1),
            "Ki" => (1 << 10, 1),
            "Mi" => (1 << 20, 1),
            "Gi" => (1 << 30, 1),
            "Ti" => (1 << 40, 1),
            "Pi" => (1 << 50, 1),
            "Ei" => (1 << 60, 1),
            exp if exp.starts_with(['e', 'E']) => {
                let e: i32 = exp[1..].parse().map_err(|_| bad(&format!("unknown suffix `{exp}`")))?;
                let p = 10u128.checked_pow(e.unsigned_abs()).ok_or_else(|| bad("the exponent is too large"))?;
                if e >= 0 { (p, 1) } else { (1, p) }
            }
            other => {
                return Err(bad(&format!(
                    "unknown suffix `{other}`; the suffixes are Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like e3"
                )));
            }
        };
        let frac_den = 10u128.checked_pow(frac_len).ok_or_else(|| bad("too many decimal digits"))?;
        let num = mantissa
            .checked_mul(mul)
            .and_then(|v| v.checked_mul(NANOS_PER_UNIT))
            .ok_or_else(|| bad("the value is too large"))?;
        let den = den.checked_mul(frac_den).ok_or_else(|| bad("too many decimal digits"))?;
        // Round up below a billionth: a request never shrinks.
        Ok(Self { text: Cow::Owned(text.to_owned()), nanos: num.div_ceil(den) })
    }

    /// The text as the user wrote it.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the value is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Whether the value is a whole number of units.
    #[must_use]
    pub fn is_whole(&self) -> bool {
        self.nanos.is_multiple_of(NANOS_PER_UNIT)
    }

    /// The value in thousandths, rounded up (CPU millicores).
    #[must_use]
    pub fn millis(&self) -> u128 {
        self.nanos.div_ceil(1_000_000)
    }

    /// The value in whole units, rounded up (bytes for memory, count for GPUs).
    #[must_use]
    pub fn units(&self) -> u128 {
        self.nanos.div_ceil(NANOS_PER_UNIT)
    }

    /// Whether `self` is larger than `other`.
    #[must_use]
    pub fn exceeds(&self, other: &Quantity) -> bool {
        self.nanos > other.nanos
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Quantity::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;

    fn units(s: &str) -> u128 {
        Quantity::parse(s).unwrap().units()
    }

    #[test]
    fn kubernetes_examples() {
        assert_eq!(Quantity::parse("500m").unwrap().millis(), 500);
        assert_eq!(Quantity::parse("1.5").unwrap().millis(), 1500);
        assert_eq!(Quantity::parse(".5").unwrap().millis(), 500);
        assert_eq!(units("2Gi"), 2 * 1024 * 1024 * 1024);
        assert_eq!(units("500Mi"), 500 * 1024 * 1024);
        assert_eq!(units("1G"), 1_000_000_000);
        assert_eq!(units("1e3"), 1000);
        assert_eq!(units("1.5Gi"), 3 * 512 * 1024 * 1024);
        assert_eq!(Quantity::parse("1E-2").unwrap().millis(), 10);
        assert!(Quantity::parse("1").unwrap().is_whole());
        assert!(!Quantity::parse("0.5").unwrap().is_whole());
        assert!(Quantity::parse("3Gi").unwrap().exceeds(&Quantity::parse("2Gi").unwrap()));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["2Gx", "", "Gi", "-1", "1.2.3", "abc", "1e", "2 Gi x"] {
            let e = Quantity::parse(bad).unwrap_err();
            assert!(e.contains("not a resource quantity"), "{bad}: {e}");
        }
        assert!(Quantity::parse("2Gx").unwrap_err().contains("unknown suffix `Gx`"));
    }
}
