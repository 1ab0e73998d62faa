//! Field validation shared by every wire message (items, creators, events,
//! proof answers): the error that names the exact field that is wrong, the
//! readers of strings, texts and ids from any [`Node`], and the id-like
//! rules that both the SDK and the platform apply (ids, placements, the
//! SDK's random 128-bit ids).
//!
//! Errors name the field, because the person who reads the warning is a
//! blogger or a developer looking at a console, not a debugger.

use alloc::string::String;

use crate::json::Node;

/// Longest id (ASCII letters, digits, `_`, `-`).
pub const MAX_ID_LEN: usize = 64;
/// Longest placement (bytes).
pub const MAX_PLACEMENT_LEN: usize = 128;
/// What a placement must be, as error messages say it.
pub const PLACEMENT_RULE: &str = "must be 1 to 128 printable characters";

/// A field that failed validation, and what it should have been.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the field, e.g. `item.price.amount`.
    pub field: &'static str,
    /// What the field must be, e.g. `must be a non-negative decimal string`.
    pub rule: &'static str,
}

impl FieldError {
    /// `item.price.amount must be a non-negative decimal string`.
    pub fn message(&self) -> String {
        [self.field, " ", self.rule].concat()
    }
}

impl core::fmt::Display for FieldError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for FieldError {}

pub(crate) const OBJECT: &str = "must be an object";
const ID: &str = "must be an id of 1 to 64 letters, digits, '_' or '-'";

pub(crate) fn err<T>(field: &'static str, rule: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, rule })
}

pub(crate) fn object<N: Node>(parent: &N, key: &str, field: &'static str) -> Result<N, FieldError> {
    match parent.field(key) {
        Some(v) if v.is_object() => Ok(v),
        _ => err(field, OBJECT),
    }
}

pub(crate) fn string<N: Node>(
    parent: &N,
    key: &str,
    field: &'static str,
    rule: &'static str,
) -> Result<String, FieldError> {
    match parent.field(key).and_then(|v| v.as_string()) {
        Some(s) => Ok(s),
        None => err(field, rule),
    }
}

pub(crate) fn text<N: Node>(
    parent: &N,
    key: &str,
    field: &'static str,
    max: usize,
    rule: &'static str,
) -> Result<String, FieldError> {
    let s = string(parent, key, field, rule)?;
    // Characters are the bytes that do not continue a UTF-8 sequence (a plain
    // loop; `chars().count()` is a 800-byte vectorised routine in the wasm).
    let chars = s.bytes().filter(|&b| (b as i8) >= -0x40).count();
    if s.chars().all(char::is_whitespace) || chars > max {
        return err(field, rule);
    }
    Ok(s)
}

pub(crate) fn id_field<N: Node>(
    parent: &N,
    key: &str,
    field: &'static str,
) -> Result<String, FieldError> {
    let s = string(parent, key, field, ID)?;
    if is_id(&s) {
        Ok(s)
    } else {
        err(field, ID)
    }
}

/// Whether `s` is a well-formed item or creator id.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `p` may name a placement: 1 to 128 bytes, no control characters
/// (a placement is shown in reports and carried in links as it is).
pub fn is_placement(p: &str) -> bool {
    // Bytes, not chars (smaller in the wasm): C0 and DEL are single bytes,
    // and the C1 controls (U+0080 to U+009F) are 0xC2 then 0x80 to 0x9F.
    let b = p.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_PLACEMENT_LEN
        && !b.iter().any(|&c| c < 0x20 || c == 0x7f)
        && !b.windows(2).any(|w| w[0] == 0xc2 && w[1] < 0xa0)
}

/// Whether `s` is a random 128-bit id as the SDK makes them (event, page
/// view and click ids): 32 lower-case hex digits.
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_are_printable_and_bounded() {
        assert!(is_placement("blog.example"));
        assert!(is_placement(&"p".repeat(128)));
        assert!(!is_placement(""));
        assert!(!is_placement(&"p".repeat(129)));
        assert!(!is_placement("blog\u{7}example"));
        assert!(!is_placement("blog\nexample"));
        assert!(!is_placement("blog\u{85}example"), "a C1 control");
        assert!(is_placement("博客\u{a0}é"), "not a control");
        // The byte rule is char::is_control's, everywhere in the BMP's start.
        for c in (0u32..0x800).filter_map(char::from_u32) {
            let p: String = ['p', c].iter().collect();
            assert_eq!(is_placement(&p), !c.is_control(), "{c:?}");
        }
    }

    #[test]
    fn hex_ids_are_32_lower_case_hex_digits() {
        assert!(is_hex_id(&"0a".repeat(16)));
        assert!(!is_hex_id(&"0A".repeat(16)));
        assert!(!is_hex_id(&"0".repeat(31)));
        assert!(!is_hex_id(&"g".repeat(32)));
    }

    #[test]
    fn ids_are_letters_digits_underscore_and_dash() {
        assert!(is_id("itm_ceramic-mug1"));
        assert!(!is_id(""));
        assert!(!is_id("bad id"));
        assert!(!is_id(&"a".repeat(65)));
    }
}
