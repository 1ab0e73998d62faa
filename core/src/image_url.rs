//! Which URLs may be an image source: absolute `http(s)` with a plain host,
//! and nothing a browser would silently rewrite (whitespace, control
//! characters, backslashes). Checked during item validation, where no URL
//! parser is at hand; links to stores go through `crate::link` instead.
//!
//! `http:` is tolerated for images: a browser upgrades or blocks it on an
//! https page, and an image cannot navigate anywhere. IP hosts are tolerated
//! too (a platform on loopback serves its media from one).

use crate::url::{trim_c0_and_space, MAX_LINK_LEN};

/// Whether `url` may be an image source.
pub fn is_image_url(url: &str) -> bool {
    // Byte-based: everything looked for is ASCII, and the generic char
    // searchers behind `find`/`split` cost kilobytes of wasm.
    let url = trim_c0_and_space(url);
    if url.is_empty()
        || url.len() > MAX_LINK_LEN
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    let Some(after_scheme) = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))
    else {
        return false;
    };
    let authority_end = after_scheme
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after_scheme.len());
    let authority = after_scheme.get(..authority_end).unwrap_or_default();
    let host_end = authority
        .bytes()
        .rposition(|b| b == b':')
        .unwrap_or(authority.len());
    let Some((host, port)) = authority.split_at_checked(host_end) else {
        return false;
    };
    let labels_ok = !host.is_empty()
        && host.as_bytes().split(|&b| b == b'.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.first() != Some(&b'-')
                && label.last() != Some(&b'-')
                && label
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        });
    let port_ok = port.is_empty()
        || (port.len() <= 6 && port.len() > 1 && port.bytes().skip(1).all(|b| b.is_ascii_digit()));
    // No userinfo (`@` in the authority), no IDN (punycode labels).
    labels_ok
        && port_ok
        && !host
            .as_bytes()
            .split(|&b| b == b'.')
            .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case(b"xn--"))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_urls_are_absolute_http_or_https_with_a_plain_host() {
        for ok in [
            "https://img.example/a.jpg",
            "HTTPS://IMG.example/a.jpg?x=1#y",
            "http://127.0.0.1:8080/media/a.svg",
            "  https://img.example/a.jpg  ",
        ] {
            assert!(is_image_url(ok), "{ok}");
        }
        for bad in [
            "",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/media/a.svg",
            "//img.example/a.jpg",
            "https://user@img.example/a.jpg",
            "https://img.example\\@evil.example/",
            "https://img.example/a b.jpg",
            "https://xn--80ak6aa92e.com/a.jpg",
            "https://-bad-.example/a.jpg",
            "https://img.example:port/a.jpg",
            "https:///a.jpg",
        ] {
            assert!(!is_image_url(bad), "{bad}");
        }
        assert!(!is_image_url(
            &["https://img.example/", &"a".repeat(MAX_LINK_LEN)].concat()
        ));
    }
}
