//! The partners this platform allows: the four built in, plus its own from
//! `partners.json` in the data directory, if there is one:
//!
//! ```json
//! {"alimama_pid": "mm_123_456_789",
//!  "partners": [{"key": "yoshop", "name": "Yo Shop", "domains": ["yoshop.example"],
//!                "item_path": "/p/{id}", "canonical": "https://www.yoshop.example/p/{id}"}]}
//! ```
//!
//! A bad file stops the platform at start with the problem named: a
//! half-loaded partner list would silently refuse links that should resolve.

use std::path::Path;
use vitrine_core::json::Node;
use vitrine_core::link::canonicalize;
use vitrine_core::partner::{Registry, Rule};
use vitrine_core::whatwg::UrlCrate;

/// The product a store link is about, by this platform's partners: the key
/// every form of the product's link shares (`None` for a refused link).
pub fn product_of(link: &str, registry: &Registry) -> Option<String> {
    canonicalize(link, &UrlCrate, registry)
        .ok()
        .map(|c| vitrine_core::proof::product_key(&c, registry))
}

pub fn load(dir: &Path) -> Result<Registry, String> {
    let path = dir.join("partners.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<Registry, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let pid = json.get("alimama_pid").and_then(|v| v.as_str());
    if pid
        .is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err("alimama_pid must be letters, digits and '_'".into());
    }
    let mut registry = Registry::new(pid);
    let mut i = 0;
    while let Some(rule) = json.field("partners").and_then(|p| p.element(i)) {
        Rule::from_node(&rule)
            .and_then(|rule| registry.add(rule))
            .map_err(|e| format!("partners[{i}]: {e}"))?;
        i += 1;
    }
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitrine_core::link::resolve;
    use vitrine_core::partner::Attribution;
    use vitrine_core::whatwg::UrlCrate;

    #[test]
    fn configured_partners_and_publisher_id_are_used() {
        let registry = parse(
            r#"{"alimama_pid": "mm_9_8_7", "partners": [{"key": "yoshop", "name": "Yo Shop",
                "domains": ["yoshop.example"], "item_path": "/p/{id}", "canonical": "https://www.yoshop.example/p/{id}"}]}"#,
        )
        .unwrap();
        let a = Attribution {
            click_id: "c",
            creator_id: "cr",
            placement_id: "pl",
        };
        let shop = resolve(
            "https://yoshop.example/p/42?ref=x",
            &UrlCrate,
            &registry,
            &a,
        )
        .unwrap();
        assert_eq!(shop.canonical, "https://www.yoshop.example/p/42");
        let taobao = resolve(
            "https://item.taobao.com/item.htm?id=1",
            &UrlCrate,
            &registry,
            &a,
        )
        .unwrap();
        assert!(taobao.web.contains("&pid=mm_9_8_7&"), "{}", taobao.web);
    }

    #[test]
    fn a_bad_file_names_the_problem() {
        assert!(parse("{").unwrap_err().starts_with("not JSON"));
        assert_eq!(
            parse(r#"{"partners": [{"key": "x", "name": "X", "domains": ["Bad Domain"], "item_path": "/p/{id}", "canonical": "https://x.example/p/{id}"}]}"#)
                .unwrap_err(),
            "partners[0]: partner.domains must be plain lower-case DNS names"
        );
        assert_eq!(
            parse(r#"{"alimama_pid": "mm 1"}"#).unwrap_err(),
            "alimama_pid must be letters, digits and '_'"
        );
        assert!(parse("{}").is_ok());
    }
}
