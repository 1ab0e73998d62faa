//! The DOM layer compiled to wasm, in headless Chromium (wasm-bindgen-test):
//! `Card` against a real document, without the JS shell or the platform.
#![cfg(target_arch = "wasm32")]

use vitrine::{BrowserUrl, Card};
use vitrine_core::link::canonicalize;
use vitrine_core::partner::Registry;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlTemplateElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn template() -> HtmlTemplateElement {
    let t: HtmlTemplateElement = document()
        .create_element("template")
        .unwrap()
        .unchecked_into();
    t.set_inner_html(include_str!("../src/card.html"));
    t
}

fn host() -> Element {
    let el = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn part(host: &Element, name: &str) -> Option<Element> {
    host.shadow_root()
        .unwrap()
        .query_selector(&format!("[part~={name}]"))
        .unwrap()
}

fn text(host: &Element, name: &str) -> String {
    part(host, name)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn state(host: &Element) -> String {
    part(host, "card")
        .and_then(|e| e.get_attribute("data-state"))
        .unwrap_or_default()
}

const ITEM: &str = r#"{"item": {
  "id": "itm_1", "title": "<b>Mug</b>", "image": "https://img.example/mug.jpg",
  "reason": "<img src=x onerror=alert(1)>", "price": {"amount": "1234.5", "currency": "CNY"},
  "stock": 0, "store": {"url": "https://detail.tmall.com/item.htm?id=1"},
  "creator": {"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg", "followers": 3, "verified": false}
}}"#;

#[wasm_bindgen_test]
fn renders_an_inline_item_as_text_only() {
    let host = host();
    let mut card = Card::new(host.clone(), template());
    assert_eq!(
        card.render(options(ITEM)),
        None,
        "inline data needs no fetch"
    );
    assert_eq!(state(&host), "ready");
    assert_eq!(
        text(&host, "title"),
        "<b>Mug</b>",
        "markup in data stays text"
    );
    assert_eq!(text(&host, "reason"), "<img src=x onerror=alert(1)>");
    let root = host.shadow_root().unwrap();
    assert!(root.query_selector("b").unwrap().is_none());
    assert!(root.query_selector("img[src=x]").unwrap().is_none());
    assert_eq!(text(&host, "price"), "¥1,234.50");
    assert_eq!(text(&host, "partner"), "天猫");
    assert_eq!(text(&host, "stock"), "已售罄");
    let buy = part(&host, "buy").unwrap();
    assert_eq!(buy.get_attribute("href"), None, "sold out: no link");
    assert_eq!(buy.get_attribute("aria-disabled").as_deref(), Some("true"));
    assert!(
        root.query_selector(".verified").unwrap().is_none(),
        "not verified: no mark"
    );
    assert!(
        part(&host, "original-price").is_none(),
        "no original price given"
    );
    card.destroy();
    assert_eq!(host.shadow_root().unwrap().child_nodes().length(), 0);
}

#[wasm_bindgen_test]
fn loading_by_id_shows_a_skeleton_and_asks_for_the_url() {
    let host = host();
    let mut card = Card::new(host.clone(), template());
    let url = card.render(options(
        r#"{"itemId": "itm_42", "platform": "https://platform.example/"}"#,
    ));
    assert_eq!(
        url.as_deref(),
        Some("https://platform.example/v1/items/itm_42")
    );
    assert_eq!(state(&host), "loading");
    card.loaded(404, JsValue::UNDEFINED);
    assert_eq!(state(&host), "error");
    // A second answer for the same request is ignored: nothing is pending.
    let item = js_sys::Reflect::get(&options(ITEM), &"item".into()).unwrap();
    card.loaded(200, item.clone());
    assert_eq!(state(&host), "error");
    // A fresh render, then a good answer.
    card.render(options(r#"{"itemId": "itm_1", "locale": "en"}"#));
    card.loaded(200, item);
    assert_eq!(state(&host), "ready");
    assert_eq!(text(&host, "stock"), "Sold out");
}

#[wasm_bindgen_test]
fn bad_data_falls_back_with_the_store_link_when_it_is_safe() {
    let host = host();
    let mut card = Card::new(host.clone(), template());
    card.render(options(
        &ITEM.replace(r#""amount": "1234.5""#, r#""amount": "-1""#),
    ));
    assert_eq!(state(&host), "error");
    let fallback = part(&host, "fallback").unwrap();
    let link = fallback.query_selector("a").unwrap().unwrap();
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://detail.tmall.com/item.htm?id=1")
    );
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("sponsored noopener")
    );
    // An unsafe link is never put in an href, even in the fallback.
    card.render(options(
        &ITEM
            .replace(r#""amount": "1234.5""#, r#""amount": "x""#)
            .replace(
                "https://detail.tmall.com/item.htm?id=1",
                "javascript:alert(1)",
            ),
    ));
    let root = host.shadow_root().unwrap();
    assert!(root.query_selector("[href]").unwrap().is_none());
}

#[wasm_bindgen_test]
fn layout_theme_and_locale_reach_the_markup() {
    let host = host();
    let mut card = Card::new(host.clone(), template());
    card.render(options(&ITEM.replace(
        r#"{"item""#,
        r#"{"layout": "compact", "theme": "dark", "locale": "en-GB", "item""#,
    )));
    let article = part(&host, "card").unwrap();
    assert_eq!(
        article.get_attribute("data-layout").as_deref(),
        Some("compact")
    );
    assert_eq!(article.get_attribute("data-theme").as_deref(), Some("dark"));
    assert_eq!(article.get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(text(&host, "partner"), "Tmall");
}

/// The corpus the core runs through the `url` crate, here through the
/// browser's own `URL`: both parsers must lead to the same answers.
#[wasm_bindgen_test]
fn the_link_corpus_resolves_alike_with_the_browsers_url_parser() {
    let registry = Registry::default();
    let mut rows = 0;
    let mut failures = Vec::new();
    for text in [
        include_str!("../core/tests/corpus/links.tsv"),
        include_str!("../core/tests/corpus/links-extra.tsv"),
    ] {
        for line in text.lines() {
            if line.starts_with('#') || !line.contains('\t') {
                continue;
            }
            let (input, expected) = line.split_once('\t').unwrap();
            let input = input.replace("\\t", "\t");
            let got = match canonicalize(&input, &BrowserUrl, &registry) {
                Ok(c) => c.url,
                Err(e) => format!("REFUSE:{}", e.reason()),
            };
            rows += 1;
            if got != expected {
                failures.push(format!("{input:?}: expected {expected}, got {got}"));
            }
        }
    }
    assert!(rows >= 78, "{rows} rows");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
