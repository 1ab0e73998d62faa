//! A read-only view of a JSON value, so that validation can run over a
//! browser `JsValue` (in the SDK) and a `serde_json::Value` (on the platform)
//! without either side converting into the other's representation.

/// What validation needs to read from one JSON value.
///
/// `field` returns `None` both for an absent key and for `null`: the wire
/// format treats them alike.
pub trait Node: Sized {
    /// The value under `key` when `self` is an object and the value is neither
    /// absent nor `null`.
    fn field(&self, key: &str) -> Option<Self>;
    /// Element `index` when `self` is an array, and it is not `null`.
    fn element(&self, index: usize) -> Option<Self>;
    /// The value as a string, when it is one.
    fn as_string(&self) -> Option<alloc::string::String>;
    /// The value as a number, when it is one.
    fn as_number(&self) -> Option<f64>;
    /// The value as a boolean, when it is one.
    fn as_boolean(&self) -> Option<bool>;
    /// Whether the value is a JSON object (not an array, not null).
    fn is_object(&self) -> bool;
}

/// Largest integer a JSON number (an IEEE double) holds exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A number that is a whole, non-negative, exactly representable integer.
pub fn whole_number(n: f64) -> Option<u64> {
    // `n as u64` truncates; equal after the round trip means whole (no
    // `f64::fract` without std).
    if (0.0..=MAX_SAFE_INTEGER).contains(&n) && (n as u64) as f64 == n {
        Some(n as u64)
    } else {
        None
    }
}

#[cfg(feature = "json")]
impl Node for serde_json::Value {
    fn field(&self, key: &str) -> Option<Self> {
        match self.get(key) {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.clone()),
        }
    }
    fn element(&self, index: usize) -> Option<Self> {
        match self.get(index) {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.clone()),
        }
    }
    fn as_string(&self) -> Option<alloc::string::String> {
        self.as_str().map(alloc::borrow::ToOwned::to_owned)
    }
    fn as_number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn as_boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn is_object(&self) -> bool {
        self.is_object()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_exact_non_negative_integers() {
        assert_eq!(whole_number(0.0), Some(0));
        assert_eq!(whole_number(12.0), Some(12));
        assert_eq!(whole_number(MAX_SAFE_INTEGER), Some(9_007_199_254_740_991));
        assert_eq!(whole_number(-1.0), None);
        assert_eq!(whole_number(1.5), None);
        assert_eq!(whole_number(f64::NAN), None);
        assert_eq!(whole_number(f64::INFINITY), None);
        assert_eq!(whole_number(MAX_SAFE_INTEGER * 2.0), None);
    }
}
