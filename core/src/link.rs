//! Link resolution: a creator's product link becomes a safe, canonical
//! partner-store link carrying our attribution, or a typed refusal.
//!
//! Parsing follows the WHATWG URL standard through [`UrlParser`]: the SDK
//! plugs in the browser's own `URL`, the platform the `url` crate, and the
//! same corpus runs against both. Everything after parsing is here, so both
//! sides decide alike. The output is always *rebuilt* from the partner and the
//! item id (never edited from the input), so nothing the input smuggled in can
//! survive: not a host, not a parameter, not a fragment.

use crate::partner::{Attribution, Partner, Registry};
use crate::url::{trim_c0_and_space, with_params, UrlParser, MAX_LINK_LEN};
use alloc::string::String;

/// Why a link was refused. Nothing refused is ever put in an `href`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`MAX_LINK_LEN`].
    TooLong,
    /// Backslashes or control characters: browsers rewrite these, so the link
    /// would not mean what it says.
    Malformed,
    /// Not an absolute URL.
    Relative,
    /// A scheme other than http and https.
    Scheme,
    /// `user@host`: shows one host and goes to another.
    Userinfo,
    /// An IP literal instead of a store's name.
    IpHost,
    /// No partner claims the host (including look-alikes and IDN homographs).
    UnknownHost,
    /// A partner's host, but no valid item id where the partner keeps it.
    BadItemId,
}

impl LinkError {
    /// The reason as written in the corpus and in console warnings.
    pub fn reason(self) -> &'static str {
        match self {
            LinkError::Empty => "empty",
            LinkError::TooLong => "too-long",
            LinkError::Malformed => "malformed",
            LinkError::Relative => "relative",
            LinkError::Scheme => "scheme",
            LinkError::Userinfo => "userinfo",
            LinkError::IpHost => "ip-host",
            LinkError::UnknownHost => "unknown-host",
            LinkError::BadItemId => "bad-item-id",
        }
    }
}

/// A link that passed: where the reader goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// The partner store.
    pub partner: Partner,
    /// The item id at the partner.
    pub item_id: String,
    /// The canonical product page, without attribution.
    pub canonical: String,
    /// The product page with our attribution: what `href` gets.
    pub web: String,
    /// The partner's app link for the item, with attribution, if it has an app.
    pub app: Option<String>,
}

/// A link recognised and canonicalised, before attribution: what the platform
/// stores and compares ("the same product").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canonical {
    /// The partner store.
    pub partner: Partner,
    /// The item id at the partner.
    pub item_id: String,
    /// A variant (SKU) id, where the partner has them and the link named one.
    pub sku_id: Option<String>,
    /// The canonical product page.
    pub url: String,
}

/// Recognises `link` and rebuilds its canonical form.
pub fn canonicalize(
    link: &str,
    parser: &dyn UrlParser,
    registry: &Registry,
) -> Result<Canonical, LinkError> {
    let link = trim_c0_and_space(link);
    if link.is_empty() {
        return Err(LinkError::Empty);
    }
    if link.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    // Tab and newlines are removed by every WHATWG parser (so `java\tscript:`
    // is `javascript:`); any other control character, and the backslash that
    // parsers read as `/`, only ever appear in links built to mislead.
    if link
        .bytes()
        .any(|b| b == b'\\' || (b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
    {
        return Err(LinkError::Malformed);
    }
    let url = match parser.parse(link) {
        Some(url) => url,
        None if has_scheme(link) => return Err(LinkError::Malformed),
        None => return Err(LinkError::Relative),
    };
    if url.scheme != "https" && url.scheme != "http" {
        return Err(LinkError::Scheme);
    }
    if url.userinfo {
        return Err(LinkError::Userinfo);
    }
    if is_ip_host(&url.host) {
        return Err(LinkError::IpHost);
    }
    let (partner, rule) = registry.claiming(&url.host).ok_or(LinkError::UnknownHost)?;
    let (item_id, sku_id) = rule.item_id(&url).ok_or(LinkError::BadItemId)?;
    let url = rule.canonical_url(&item_id, sku_id.as_deref());
    Ok(Canonical {
        partner,
        item_id,
        sku_id,
        url,
    })
}

/// Resolves a creator's link for one click: canonical form plus attribution.
pub fn resolve(
    link: &str,
    parser: &dyn UrlParser,
    registry: &Registry,
    attribution: &Attribution<'_>,
) -> Result<Outbound, LinkError> {
    let canonical = canonicalize(link, parser, registry)?;
    let rule = registry.rule(canonical.partner);
    let params = rule.attribution_params(attribution, registry.alimama_pid());
    let web = with_params(&canonical.url, &params);
    let app = rule.app_link(&canonical.item_id, &params);
    Ok(Outbound {
        partner: canonical.partner,
        item_id: canonical.item_id,
        canonical: canonical.url,
        web,
        app,
    })
}

/// Whether a plain click should try the partner's app before the web page:
/// on phones and tablets, where shoppers have the app; desktops go straight to
/// the web page.
pub fn prefers_app(user_agent: &str) -> bool {
    // Byte windows, not `str::contains`: that brings the two-way substring
    // searcher and a panicking slice path (about 2 KB of wasm).
    let ua = user_agent.as_bytes();
    [
        &b"Android"[..],
        b"iPhone",
        b"iPad",
        b"iPod",
        b"Mobile",
        b"HarmonyOS",
    ]
    .iter()
    .any(|k| ua.windows(k.len()).any(|w| w == *k))
}

/// `scheme:` at the start (RFC 3986 scheme characters).
fn has_scheme(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(colon) = bytes.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && bytes[0].is_ascii_alphabetic()
        && bytes[..colon]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// An IPv6 literal (bracketed) or an IPv4 address as WHATWG serialises it
/// (a numeric last label: such a host is an IPv4 address or invalid).
fn is_ip_host(host: &str) -> bool {
    let last = host
        .as_bytes()
        .rsplit(|&b| b == b'.')
        .next()
        .unwrap_or_default();
    host.starts_with('[') || (!last.is_empty() && last.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hosts_as_whatwg_serialises_them() {
        assert!(is_ip_host("127.0.0.1"));
        assert!(is_ip_host("[::1]"));
        assert!(!is_ip_host("item.taobao.com"));
        assert!(!is_ip_host("1password.com"));
    }

    #[test]
    fn phones_and_tablets_prefer_the_app() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert!(prefers_app(iphone));
        assert!(prefers_app(android));
        assert!(!prefers_app(desktop));
        assert!(!prefers_app(""));
    }

    #[test]
    fn scheme_detection() {
        assert!(has_scheme("https://x"));
        assert!(has_scheme("web+app:x"));
        assert!(!has_scheme("item.taobao.com/item.htm?id=1"));
        assert!(!has_scheme("/a:b"));
        assert!(!has_scheme(":x"));
    }
}
