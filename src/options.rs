//! Reading the options every element shares, one way: a missing or unknown
//! value is the default, never an error.

use alloc::string::String;
use vitrine_core::json::Node;
use vitrine_core::locale::Locale;

/// A string option, if set.
pub(crate) fn string<N: Node>(options: &N, key: &str) -> Option<String> {
    options.field(key).and_then(|v| v.as_string())
}

/// Whether a string option has exactly `value`.
pub(crate) fn is<N: Node>(options: &N, key: &str, value: &str) -> bool {
    string(options, key).as_deref() == Some(value)
}

/// `light`, `dark`, or `auto` (the reader's preference).
pub(crate) fn theme<N: Node>(options: &N) -> &'static str {
    match string(options, "theme").as_deref() {
        Some("light") => "light",
        Some("dark") => "dark",
        _ => "auto",
    }
}

/// The locale the element speaks.
pub(crate) fn locale<N: Node>(options: &N) -> Locale {
    Locale::from_tag(string(options, "locale").as_deref())
}

/// The platform's origin, without trailing slashes.
pub(crate) fn platform<N: Node>(options: &N) -> String {
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

/// The platform's answer the shell hands back: its HTTP status (0 when
/// there was none) and its parsed body, if it was JSON.
pub(crate) struct Answer<N> {
    pub status: u16,
    pub body: Option<N>,
}

impl<N: Node> Answer<N> {
    /// Reads `{status, body}`; `None` before there is an answer.
    pub(crate) fn read(answer: Option<&N>) -> Option<Answer<N>> {
        let answer = answer.filter(|a| a.is_object())?;
        let status = answer
            .field("status")
            .and_then(|s| s.as_number())
            .filter(|s| (0.0..1000.0).contains(s))
            .map_or(0, |s| s as u16);
        Some(Answer {
            status,
            body: answer.field("body"),
        })
    }

    /// The body of a 2xx answer.
    pub(crate) fn ok(&self) -> Option<&N> {
        self.body
            .as_ref()
            .filter(|_| (200..300).contains(&self.status))
    }
}

/// "`what` \"`id`\" is not an id of …", for an element pointed at a bad id.
pub(crate) fn bad_id(what: &str, id: &str) -> String {
    [
        what,
        " id \"",
        id,
        "\" is not an id of 1 to 64 letters, digits, '_' or '-'",
    ]
    .concat()
}
