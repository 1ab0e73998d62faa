//! Money amounts as decimal strings, never floats.
//!
//! On the wire an amount is a string such as `"199.00"`. It is checked here,
//! compared exactly in thousandths, and handed to `Intl.NumberFormat` in the
//! browser as the same string, so no binary float ever rounds a price.

use alloc::borrow::ToOwned;
use alloc::string::String;

use core::fmt;

/// Fraction digits an amount may carry (covers the three-digit currencies).
pub const MAX_FRACTION_DIGITS: usize = 3;
/// Integer digits an amount may carry: up to 999,999,999 of a currency unit.
pub const MAX_INTEGER_DIGITS: usize = 9;

/// A validated non-negative decimal amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    text: String,
    thousandths: u64,
}

impl Amount {
    /// Parses `"199"`, `"199.9"`, `"199.00"`. Refuses signs, exponents,
    /// leading zeros (`"0199"`), separators, spaces and empty parts.
    pub fn parse(text: &str) -> Option<Amount> {
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || int.len() > MAX_INTEGER_DIGITS || (int.len() > 1 && int.starts_with('0'))
        {
            return None;
        }
        let mut thousandths = int.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')) * 1000;
        if let Some(frac) = frac {
            if !digits(frac) || frac.len() > MAX_FRACTION_DIGITS {
                return None;
            }
            let mut scale = 100;
            for b in frac.bytes() {
                thousandths += u64::from(b - b'0') * scale;
                scale /= 10;
            }
        }
        Some(Amount {
            text: text.to_owned(),
            thousandths,
        })
    }

    /// The amount as written on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The amount in thousandths of the currency unit, for exact comparison.
    pub fn thousandths(&self) -> u64 {
        self.thousandths
    }
}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.thousandths.cmp(&other.thousandths))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Whether `code` looks like an ISO 4217 currency code (three capitals).
/// Whether the browser knows it is `Intl`'s business; an unknown but
/// well-formed code still formats (as the code itself).
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimal_strings() {
        for (text, thousandths) in [
            ("0", 0),
            ("0.5", 500),
            ("199", 199_000),
            ("199.00", 199_000),
            ("199.9", 199_900),
            ("12.345", 12_345),
            ("999999999.999", 999_999_999_999),
        ] {
            let a = Amount::parse(text).unwrap_or_else(|| panic!("{text} refused"));
            assert_eq!(a.thousandths(), thousandths, "{text}");
            assert_eq!(a.as_str(), text);
        }
    }

    #[test]
    fn refuses_everything_else() {
        for text in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "+1",
            "1e3",
            "01",
            "00.5",
            "1,000",
            " 1",
            "1 ",
            "1.2345",
            "1000000000",
            "NaN",
            "Infinity",
            "１２",
            "0x10",
        ] {
            assert_eq!(Amount::parse(text), None, "{text:?} accepted");
        }
    }

    #[test]
    fn compares_exactly_across_precisions() {
        let a = Amount::parse("199.9").unwrap();
        let b = Amount::parse("199.90").unwrap();
        let c = Amount::parse("199.901").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(core::cmp::Ordering::Equal));
        assert!(c > a);
    }

    #[test]
    fn currency_codes_are_three_capitals() {
        assert!(is_currency_code("CNY"));
        assert!(is_currency_code("USD"));
        assert!(!is_currency_code("cny"));
        assert!(!is_currency_code("CN"));
        assert!(!is_currency_code("CNYY"));
        assert!(!is_currency_code("¥"));
    }
}
