//! Which URLs may become a link or an image source, and which partner store
//! a link belongs to.
//!
//! This is the conservative first gate: a store link must be `https`, with a
//! plain DNS host (no userinfo, no IP literal, no IDN), and nothing a browser
//! would silently rewrite (whitespace, control characters, backslashes).
//! Canonicalisation and attribution come on top of it in link resolution.

use alloc::string::String;

/// Longest URL accepted anywhere: real partner links are far shorter, and a
/// longer one is a sign of smuggled data.
pub const MAX_URL_LEN: usize = 2048;

/// A partner store, recognised from the link's host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partner {
    /// taobao.com (item., m., h5.m., world., a.m. …)
    Taobao,
    /// tmall.com, tmall.hk
    Tmall,
    /// weidian.com and its shop subdomains
    Weidian,
    /// jd.com, jd.hk
    Jd,
    /// Any other https store; its badge shows its host.
    Other,
}

const PARTNER_DOMAINS: &[(&str, Partner)] = &[
    ("taobao.com", Partner::Taobao),
    ("tmall.com", Partner::Tmall),
    ("tmall.hk", Partner::Tmall),
    ("weidian.com", Partner::Weidian),
    ("jd.com", Partner::Jd),
    ("jd.hk", Partner::Jd),
];

impl Partner {
    /// The partner owning `host` (lower-case): the registrable domain itself
    /// or any subdomain of it, never a look-alike such as `evil-taobao.com`
    /// or `taobao.com.evil.example`.
    pub fn from_host(host: &str) -> Partner {
        for &(domain, partner) in PARTNER_DOMAINS {
            if host == domain
                || (host.len() > domain.len()
                    && host.ends_with(domain)
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
            {
                return partner;
            }
        }
        Partner::Other
    }
}

/// Why a URL cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`MAX_URL_LEN`].
    TooLong,
    /// Not `https:` (or, for images, not `http:`/`https:`).
    Scheme,
    /// Whitespace, control characters or backslashes: browsers rewrite these,
    /// so the URL would not mean what it says.
    Malformed,
    /// `user@host`: shows one host and goes to another.
    Userinfo,
    /// A host that is not a plain DNS name (empty, IDN, odd characters).
    BadHost,
    /// An IP literal instead of a store's name.
    IpHost,
}

impl LinkError {
    /// A short reason, as used in console warnings.
    pub fn reason(self) -> &'static str {
        match self {
            LinkError::Empty => "empty",
            LinkError::TooLong => "too-long",
            LinkError::Scheme => "scheme",
            LinkError::Malformed => "malformed",
            LinkError::Userinfo => "userinfo",
            LinkError::BadHost => "bad-host",
            LinkError::IpHost => "ip-host",
        }
    }
}

/// A store link that passed the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreLink {
    /// The URL to put in `href` (trimmed, scheme and host lower-cased).
    pub href: String,
    /// The lower-case host.
    pub host: String,
    /// The partner owning the host.
    pub partner: Partner,
}

impl StoreLink {
    /// Checks a store URL: only `https` with a plain DNS host passes.
    pub fn check(url: &str) -> Result<StoreLink, LinkError> {
        let parts = split_web_url(url)?;
        if !parts.https {
            return Err(LinkError::Scheme);
        }
        if is_ip_literal(&parts.host) {
            return Err(LinkError::IpHost);
        }
        let mut href = String::with_capacity(url.len());
        href.push_str("https://");
        href.push_str(&parts.host);
        href.push_str(parts.rest);
        Ok(StoreLink {
            partner: Partner::from_host(&parts.host),
            host: parts.host,
            href,
        })
    }
}

/// Whether `url` may be an image source: absolute `http:` or `https:` with a
/// plain host. (`http:` is tolerated for images: a browser upgrades or blocks
/// it on an https page, and an image cannot navigate anywhere.)
pub fn is_image_url(url: &str) -> bool {
    split_web_url(url).is_ok()
}

struct WebUrl<'a> {
    https: bool,
    host: String,
    /// Port, path, query and fragment, as written (`:8080/a?b#c`).
    rest: &'a str,
}

fn split_web_url(url: &str) -> Result<WebUrl<'_>, LinkError> {
    // Everything this looks for is ASCII, so it works on bytes: the generic
    // char searchers behind `find`/`split`/`trim_matches` cost about 1.5 KB of
    // wasm. Slicing uses `get`: a panicking slice would drag in more.
    //
    // WHATWG parsing strips leading and trailing C0 controls and spaces, so
    // trimming them here does not change what the browser would open.
    let bytes = url.as_bytes();
    let start = bytes.iter().position(|&b| b > b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |i| i + 1);
    let url = url.get(start..end).ok_or(LinkError::Malformed)?;
    if url.is_empty() {
        return Err(LinkError::Empty);
    }
    if url.len() > MAX_URL_LEN {
        return Err(LinkError::TooLong);
    }
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(LinkError::Malformed);
    }
    let (https, after_scheme) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        (false, rest)
    } else {
        return Err(LinkError::Scheme);
    };
    let authority_end = after_scheme
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after_scheme.len());
    let authority = after_scheme
        .get(..authority_end)
        .ok_or(LinkError::Malformed)?;
    if authority.bytes().any(|b| b == b'@') {
        return Err(LinkError::Userinfo);
    }
    if authority.as_bytes().first() == Some(&b'[') {
        return Err(LinkError::IpHost);
    }
    let host_end = authority
        .bytes()
        .rposition(|b| b == b':')
        .unwrap_or(authority.len());
    let (host, port) = authority
        .split_at_checked(host_end)
        .ok_or(LinkError::Malformed)?;
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
    let host = host.to_ascii_lowercase();
    // Punycode labels are how IDN homographs of partner names arrive.
    if !labels_ok
        || !port_ok
        || host
            .as_bytes()
            .split(|&b| b == b'.')
            .any(|l| l.starts_with(b"xn--"))
    {
        return Err(LinkError::BadHost);
    }
    // Port, path, query and fragment: everything after the host as written.
    let rest = after_scheme.get(host_end..).ok_or(LinkError::Malformed)?;
    Ok(WebUrl { https, rest, host })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Dotted numbers (`127.0.0.1`, `0x7f.1`, `2130706433`) are IPv4 to a
/// browser: a last label that is all digits or hex marks an IP literal.
fn is_ip_literal(host: &str) -> bool {
    let last = host
        .as_bytes()
        .rsplit(|&b| b == b'.')
        .next()
        .unwrap_or_default();
    last.iter().all(u8::is_ascii_digit)
        || last
            .strip_prefix(b"0x")
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_are_recognised_by_domain_boundary() {
        assert_eq!(Partner::from_host("item.taobao.com"), Partner::Taobao);
        assert_eq!(Partner::from_host("taobao.com"), Partner::Taobao);
        assert_eq!(Partner::from_host("detail.tmall.com"), Partner::Tmall);
        assert_eq!(Partner::from_host("detail.tmall.hk"), Partner::Tmall);
        assert_eq!(Partner::from_host("shop1.v.weidian.com"), Partner::Weidian);
        assert_eq!(Partner::from_host("item.jd.com"), Partner::Jd);
        assert_eq!(Partner::from_host("evil-taobao.com"), Partner::Other);
        assert_eq!(
            Partner::from_host("taobao.com.evil.example"),
            Partner::Other
        );
        assert_eq!(Partner::from_host("notjd.com"), Partner::Other);
    }

    #[test]
    fn https_store_links_pass_and_are_normalised() {
        let link = StoreLink::check("  HTTPS://Item.TaoBao.com/item.htm?id=1#x ").unwrap();
        assert_eq!(link.href, "https://item.taobao.com/item.htm?id=1#x");
        assert_eq!(link.partner, Partner::Taobao);
        let link = StoreLink::check("https://shop.example:8443/p/1").unwrap();
        assert_eq!(link.href, "https://shop.example:8443/p/1");
        assert_eq!(link.partner, Partner::Other);
        assert_eq!(link.host, "shop.example");
    }

    #[test]
    fn unsafe_store_links_are_refused_with_a_reason() {
        for (url, why) in [
            ("", LinkError::Empty),
            ("   ", LinkError::Empty),
            ("http://item.taobao.com/item.htm?id=1", LinkError::Scheme),
            ("javascript:alert(1)", LinkError::Scheme),
            ("JaVaScRiPt:alert(1)", LinkError::Scheme),
            ("data:text/html,hi", LinkError::Scheme),
            ("//item.taobao.com/x", LinkError::Scheme),
            ("/relative", LinkError::Scheme),
            ("https://taobao.com@evil.example/", LinkError::Userinfo),
            ("https://127.0.0.1/x", LinkError::IpHost),
            ("https://2130706433/x", LinkError::IpHost),
            ("https://0x7f.1/x", LinkError::IpHost),
            ("https://[::1]/x", LinkError::IpHost),
            ("https://xn--tobao-9ra.com/", LinkError::BadHost),
            ("https://tаobao.com/", LinkError::BadHost),
            (
                "https://item.taobao.com\\@evil.example/",
                LinkError::Malformed,
            ),
            ("https://item.taobao.com/a b", LinkError::Malformed),
            ("https://item.taobao.com/\u{0}x", LinkError::Malformed),
            ("https://item.taobao.com/\tx", LinkError::Malformed),
            ("https:///x", LinkError::BadHost),
            ("https://-bad-.com/", LinkError::BadHost),
            ("https://shop.example:port/", LinkError::BadHost),
        ] {
            assert_eq!(StoreLink::check(url), Err(why), "{url:?}");
        }
        let long = format!("https://item.taobao.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(StoreLink::check(&long), Err(LinkError::TooLong));
    }

    #[test]
    fn image_urls_may_be_http_or_https() {
        assert!(is_image_url("https://img.example/a.jpg"));
        assert!(is_image_url("http://127.0.0.1:8080/media/a.svg"));
        assert!(!is_image_url("javascript:alert(1)"));
        assert!(!is_image_url("data:image/png;base64,AAAA"));
        assert!(!is_image_url("/media/a.svg"));
    }
}
