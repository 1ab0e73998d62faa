//! Link resolution against the corpus of real-world link forms
//! (`corpus/links.tsv`, from the shared corpus, and `corpus/links-extra.tsv`,
//! our own), refusal reasons, attribution, and properties over generated and
//! mutated links. Parsing is the `url` crate's here; the SDK's browser tests
//! run the same corpus through the browser's `URL`.

use proptest::prelude::*;
use vitrine_core::link::{canonicalize, resolve, LinkError};
use vitrine_core::partner::Attribution;
use vitrine_core::partner::{Partner, Registry, Rule};
use vitrine_core::url::UrlParser;
use vitrine_core::whatwg::UrlCrate;

/// `(line number, input, expected)` rows; a literal `\t` in an input is a TAB.
fn corpus() -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for (file, text) in [
        ("links.tsv", include_str!("corpus/links.tsv")),
        ("links-extra.tsv", include_str!("corpus/links-extra.tsv")),
    ] {
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() && !line.contains('\t') {
                continue;
            }
            let (input, expected) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{file}:{} has no TAB", n + 1));
            rows.push((
                format!("{file}:{}", n + 1),
                input.replace("\\t", "\t"),
                expected.to_string(),
            ));
        }
    }
    rows
}

const CLICK: Attribution<'static> = Attribution {
    click_id: "0123456789abcdef0123456789abcdef",
    creator_id: "cr_lin",
    placement_id: "pl_blog",
};

fn outcome(input: &str) -> String {
    match canonicalize(input, &UrlCrate, &Registry::default()) {
        Ok(c) => c.url,
        Err(e) => format!("REFUSE:{}", e.reason()),
    }
}

#[test]
fn every_corpus_row_resolves_as_expected() {
    let rows = corpus();
    assert!(
        rows.len() >= 78,
        "the corpus is all there ({} rows)",
        rows.len()
    );
    let failures: Vec<String> = rows
        .iter()
        .filter(|(_, input, expected)| outcome(input) != *expected)
        .map(|(at, input, expected)| {
            format!(
                "{at}: {input:?}\n   expected {expected}\n   got      {}",
                outcome(input)
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn resolution_adds_attribution_to_the_canonical_link() {
    let registry = Registry::new(Some("mm_123_456_789"));
    let out = resolve(
        "http://item.taobao.com/item.htm?spm=x&id=624519851234&skuId=5",
        &UrlCrate,
        &registry,
        &CLICK,
    )
    .unwrap();
    assert_eq!(out.partner, Partner::Taobao);
    assert_eq!(out.item_id, "624519851234");
    assert_eq!(
        out.canonical,
        "https://item.taobao.com/item.htm?id=624519851234&skuId=5"
    );
    assert_eq!(
        out.web,
        "https://item.taobao.com/item.htm?id=624519851234&skuId=5&pid=mm_123_456_789\
         &vt_click=0123456789abcdef0123456789abcdef&vt_creator=cr_lin&vt_placement=pl_blog"
    );
    assert_eq!(
        out.app.as_deref(),
        Some(
            "taobao://item.taobao.com/item.htm?id=624519851234&pid=mm_123_456_789\
             &vt_click=0123456789abcdef0123456789abcdef&vt_creator=cr_lin&vt_placement=pl_blog"
        )
    );

    let jd = resolve(
        "https://item.m.jd.com/product/100012043978.html",
        &UrlCrate,
        &registry,
        &CLICK,
    )
    .unwrap();
    assert_eq!(
        jd.web,
        "https://item.jd.com/100012043978.html?utm_source=vitrine&utm_medium=creator&utm_campaign=cr_lin\
         &utm_content=pl_blog&vt_click=0123456789abcdef0123456789abcdef"
    );
    assert!(jd
        .app
        .unwrap()
        .starts_with("openapp.jdmobile://virtual?params=%7B"));

    let tmall = resolve(
        "https://detail.m.tmall.com/item.htm?id=589123456789",
        &UrlCrate,
        &Registry::default(),
        &CLICK,
    )
    .unwrap();
    assert!(
        !tmall.web.contains("pid="),
        "no publisher id configured, none sent"
    );
    assert!(tmall
        .app
        .unwrap()
        .starts_with("tmall://page.tm/itemDetail?id=589123456789&vt_click="));
}

#[test]
fn attribution_values_cannot_inject_parameters() {
    let evil = Attribution {
        click_id: "c",
        creator_id: "a&pid=mm_evil",
        placement_id: "x#y",
    };
    let out = resolve(
        "https://item.taobao.com/item.htm?id=1",
        &UrlCrate,
        &Registry::default(),
        &evil,
    )
    .unwrap();
    assert!(
        out.web
            .ends_with("&vt_creator=a%26pid%3Dmm_evil&vt_placement=x%23y"),
        "{}",
        out.web
    );
    let pairs = UrlCrate.parse(&out.web).unwrap().query;
    assert_eq!(pairs.iter().filter(|(n, _)| n == "pid").count(), 0);
}

fn configured(json: serde_json::Value) -> Result<Rule, &'static str> {
    Rule::from_node(&json)
}

#[test]
fn the_platform_can_configure_partners() {
    let rule = configured(serde_json::json!({
        "key": "yoshop", "name": "Yo Shop", "name_zh": "优店", "domains": ["yoshop.example"],
        "item_path": "/p/{id}", "item_param": {"path": "/item", "param": "sku"}, "alphanumeric_ids": true,
        "canonical": "https://www.yoshop.example/p/{id}", "app": "yoshop://p/{id}"
    }))
    .unwrap();
    let mut registry = Registry::default();
    let partner = registry.add(rule).unwrap();
    for link in [
        "https://m.yoshop.example/p/AB12",
        "http://yoshop.example/item?sku=AB12&utm_source=x",
    ] {
        let out = resolve(link, &UrlCrate, &registry, &CLICK).unwrap();
        assert_eq!(out.partner, partner);
        assert_eq!(out.canonical, "https://www.yoshop.example/p/AB12");
        assert!(out
            .web
            .contains("&vt_click=0123456789abcdef0123456789abcdef"));
        assert!(out
            .app
            .unwrap()
            .starts_with("yoshop://p/AB12?utm_source=vitrine"));
    }
    assert_eq!(
        canonicalize("https://yoshop.example/p/a-b", &UrlCrate, &registry),
        Err(LinkError::BadItemId)
    );
    assert_eq!(
        canonicalize("https://evil-yoshop.example/p/1", &UrlCrate, &registry),
        Err(LinkError::UnknownHost)
    );
}

#[test]
fn configured_partners_are_checked() {
    let base = serde_json::json!({"key": "s", "name": "S", "domains": ["shop.example"], "item_path": "/p/{id}",
                                  "canonical": "https://shop.example/p/{id}"});
    assert!(configured(base.clone()).is_ok());
    let with = |key: &str, value: serde_json::Value| {
        let mut v = base.clone();
        v[key] = value;
        configured(v).unwrap_err()
    };
    assert_eq!(
        with("canonical", "https://evil.example/p/{id}".into()),
        "partner.canonical must be an https URL with {id} on one of the partner's domains"
    );
    assert_eq!(
        with("canonical", "http://shop.example/p/{id}".into()),
        "partner.canonical must be an https URL with {id} on one of the partner's domains"
    );
    assert_eq!(
        with("app", "javascript://{id}".into()),
        "partner.app must be an app scheme link with {id}"
    );
    assert_eq!(
        with("domains", serde_json::json!(["Shop.Example"])),
        "partner.domains must be plain lower-case DNS names"
    );
    assert_eq!(
        with("domains", serde_json::json!([])),
        "partner.domains must be a list of domains"
    );
    assert_eq!(
        with("item_path", "p/{id}".into()),
        "partner.item_path must start with /"
    );
    // A configured partner cannot take over a built-in one's hosts.
    let mut takeover = base.clone();
    takeover["domains"] = serde_json::json!(["taobao.com"]);
    takeover["canonical"] = "https://taobao.com/p/{id}".into();
    let mut registry = Registry::default();
    assert_eq!(
        registry.add(configured(takeover).unwrap()),
        Err("partner.domains overlap another partner's")
    );
}

// ---- properties ----------------------------------------------------------

/// Links built from partner-ish and hostile parts.
fn link_strategy() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https://",
        "http://",
        "HTTPS://",
        "javascript:",
        "ftp://",
        "",
        "//",
        " https://",
    ]);
    let userinfo = prop::sample::select(vec!["", "", "", "u@", "taobao.com@", ":p@"]);
    let host = prop::sample::select(vec![
        "item.taobao.com",
        "a.m.taobao.com",
        "h5.m.taobao.com",
        "world.taobao.com",
        "detail.tmall.com",
        "chaoshi.detail.tmall.com",
        "weidian.com",
        "shop1.v.weidian.com",
        "item.jd.com",
        "item.m.jd.com",
        "item.taobao.com.evil.example",
        "evil-taobao.com",
        "127.0.0.1",
        "[::1]",
        "xn--tobao-4ve.com",
        "jd.com.",
        "ITEM.JD.COM",
        "item.taobao.com:8080",
    ]);
    let path = prop::sample::select(vec![
        "/item.htm?id=",
        "/awp/core/detail.htm?id=",
        "/i",
        "/item/",
        "/item.html?itemID=",
        "/",
        "/product/",
        "/ware/view.action?wareId=",
        "/evil?id=",
        "\\item.htm?id=",
    ]);
    let id = prop_oneof!["[0-9]{1,22}", "[a-z0-9%]{0,6}", Just(String::new())];
    let tail = prop::sample::select(vec![
        "",
        ".htm",
        ".html",
        "&skuId=42",
        "&spm=a.b&utm_source=x",
        "#frag",
        "&vt_click=forged",
    ]);
    (scheme, userinfo, host, path, id, tail)
        .prop_map(|(s, u, h, p, i, t)| format!("{s}{u}{h}{p}{i}{t}"))
}

/// A corpus input with one character inserted, removed or replaced.
fn mutated_corpus() -> impl Strategy<Value = String> {
    let inputs: Vec<String> = corpus()
        .into_iter()
        .map(|(_, input, _)| input)
        .filter(|i| i.len() < 300)
        .collect();
    (
        prop::sample::select(inputs),
        any::<prop::sample::Index>(),
        any::<char>(),
        0..3u8,
    )
        .prop_map(|(input, at, c, op)| {
            let mut chars: Vec<char> = input.chars().collect();
            let i = if chars.is_empty() {
                0
            } else {
                at.index(chars.len())
            };
            match op {
                0 => chars.insert(i, c),
                1 if !chars.is_empty() => {
                    chars.remove(i);
                }
                _ if !chars.is_empty() => chars[i] = c,
                _ => chars.push(c),
            }
            chars.into_iter().collect()
        })
}

fn check_outbound(input: &str) -> Result<(), TestCaseError> {
    let registry = Registry::new(Some("mm_1_2_3"));
    let Ok(out) = resolve(input, &UrlCrate, &registry, &CLICK) else {
        return Ok(());
    };
    let parsed = UrlCrate.parse(&out.web).expect("the output parses");
    prop_assert_eq!(parsed.scheme.as_str(), "https", "{} -> {}", input, out.web);
    prop_assert!(!parsed.userinfo);
    prop_assert!(
        registry.claiming(&parsed.host).is_some(),
        "{} -> unclaimed host {}",
        input,
        parsed.host
    );
    let canonical = UrlCrate
        .parse(&out.canonical)
        .expect("the canonical link parses");
    prop_assert_eq!(&parsed.host, &canonical.host);
    let clicks = parsed
        .query
        .into_iter()
        .filter(|(n, _)| n == "vt_click")
        .collect::<Vec<_>>();
    prop_assert_eq!(clicks.len(), 1, "{} -> {}", input, out.web);
    prop_assert_eq!(clicks[0].1.as_str(), CLICK.click_id);
    prop_assert!(out.web.starts_with(&out.canonical));
    prop_assert!(!out.web.contains('#'));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_links_resolve_only_to_attributed_https_partner_pages(link in link_strategy()) {
        check_outbound(&link)?;
    }

    #[test]
    fn mutated_corpus_links_resolve_only_to_attributed_https_partner_pages(link in mutated_corpus()) {
        check_outbound(&link)?;
    }

    #[test]
    fn any_string_is_answered_without_panicking(link in ".{0,300}") {
        check_outbound(&link)?;
    }
}
