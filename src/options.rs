//! Reading the options every element shares, one way: a missing or unknown
//! value is the default, never an error.

use crate::bindings;
use alloc::string::String;
use wasm_bindgen::JsValue;

/// A string option, if set.
pub(crate) fn string(options: &JsValue, key: &str) -> Option<String> {
    bindings::get(options, key).and_then(|v| v.as_string())
}

/// `light`, `dark`, or `auto` (the reader's preference).
pub(crate) fn theme(options: &JsValue) -> &'static str {
    match string(options, "theme").as_deref() {
        Some("light") => "light",
        Some("dark") => "dark",
        _ => "auto",
    }
}

/// The platform's origin, without trailing slashes.
pub(crate) fn platform(options: &JsValue) -> String {
    String::from(trim_trailing_slashes(
        &string(options, "platform").unwrap_or_default(),
    ))
}

/// `url` without its trailing slashes (a byte loop: `trim_end_matches` pulls
/// in the generic char searcher).
pub(crate) fn trim_trailing_slashes(url: &str) -> &str {
    let len = url.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
    url.get(..len).unwrap_or_default()
}
