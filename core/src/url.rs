//! The URL seam: what the rules need of a parsed URL ([`ParsedUrl`]), the
//! parser that gives it ([`UrlParser`]: the browser's `URL` in the SDK, the
//! `url` crate on the platform), and the few byte-level helpers every rule
//! that reads or writes a URL shares. Nothing here knows a partner or an item.

use alloc::string::String;
use alloc::vec::Vec;

/// Longest link accepted: real partner links are far shorter, and a longer
/// one is a sign of smuggled data.
pub const MAX_LINK_LEN: usize = 2048;

/// A URL as a WHATWG parser sees it: just what resolution needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedUrl {
    /// Lower-case, without the `:` (`https`).
    pub scheme: String,
    /// Whether the URL has a username or a password.
    pub userinfo: bool,
    /// The serialised host: lower-case ASCII, IDNs in punycode, IPv4 in
    /// dotted decimal, IPv6 in brackets. Empty when there is none.
    pub host: String,
    /// The serialised (percent-encoded) path, `/` at least for http(s).
    pub path: String,
    /// The query's name/value pairs, decoded as `application/x-www-form-urlencoded`
    /// (what `URLSearchParams` and the `url` crate's `query_pairs` give), in order.
    pub query: Vec<(String, String)>,
}

/// A WHATWG URL parser: `None` when the input does not parse as an absolute
/// URL.
pub trait UrlParser {
    /// Parses `input` as an absolute URL.
    fn parse(&self, input: &str) -> Option<ParsedUrl>;
}

/// `url` with `params` appended to its query, percent-encoded.
pub fn with_params(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::from(url);
    let mut sep = if url.as_bytes().contains(&b'?') {
        '&'
    } else {
        '?'
    };
    for (name, value) in params {
        out.push(sep);
        sep = '&';
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// What WHATWG parsing strips from both ends.
pub fn trim_c0_and_space(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| b > b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_percent_encoded() {
        assert_eq!(
            with_params("https://a.example/p", &[("k", "a b&c=d/é")]),
            "https://a.example/p?k=a%20b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            with_params("https://a.example/p?x=1", &[("k", "v")]),
            "https://a.example/p?x=1&k=v"
        );
    }

    #[test]
    fn whatwg_trimming_takes_c0_and_space_from_both_ends() {
        assert_eq!(
            trim_c0_and_space("\u{1} https://a.example/ \n"),
            "https://a.example/"
        );
        assert_eq!(trim_c0_and_space(" \t"), "");
    }
}
