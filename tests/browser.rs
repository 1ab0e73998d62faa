//! The wasm's browser seam in headless Chromium (wasm-bindgen-test): the
//! exported functions reading real JS objects through `JsNode`, and the
//! browser's own `URL` parser as the core's `UrlParser`. The plans
//! themselves are tested natively (src/*.rs); the shell that applies them,
//! end to end (tests/e2e).
#![cfg(target_arch = "wasm32")]

use vitrine::plan::{RS, US};
use vitrine::{card, follow, BrowserUrl};
use vitrine_core::link::canonicalize;
use vitrine_core::partner::Registry;
use vitrine_core::url::UrlParser;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

/// The plan's records, each split into its fields.
fn records(plan: &str) -> Vec<Vec<String>> {
    plan.split(RS)
        .map(|r| r.split(US).map(String::from).collect())
        .collect()
}

fn has(plan: &str, record: &[&str]) -> bool {
    records(plan).iter().any(|r| r == record)
}

const ITEM: &str = r#"{
  "id": "itm_1", "title": "<b>Mug</b>", "image": "https://img.example/mug.jpg",
  "reason": "<img src=x onerror=alert(1)>", "price": {"amount": "1234.5", "currency": "CNY"},
  "stock": 0, "store": {"url": "https://detail.tmall.com/item.htm?id=1"},
  "creator": {"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg", "followers": 3, "verified": false}
}"#;

#[wasm_bindgen_test]
fn a_js_item_is_read_in_place_and_planned_as_text() {
    let options = js(&format!(r#"{{"item": {ITEM}, "locale": "en"}}"#));
    let plan = card(options, JsValue::UNDEFINED);
    let r = records(&plan);
    assert_eq!(r[0][..4], ["ready", "", "itm_1", "cr_1"]);
    assert!(has(&plan, &["t", "title", "<b>Mug</b>"]));
    assert!(has(&plan, &["t", "reason", "<img src=x onerror=alert(1)>"]));
    assert!(has(&plan, &["t", "partner", "Tmall"]));
    assert!(has(&plan, &["t", "buy", "Sold out"]));
    assert!(has(&plan, &["m", "price", "en", "CNY", "1234.5"]));
    assert!(
        !r.iter()
            .any(|w| w[0] == "a" && w[1] == "buy" && w[2] == "href"),
        "sold out: no link"
    );
}

#[wasm_bindgen_test]
fn answers_come_back_as_js_objects() {
    let options = js(r#"{"itemId": "itm_1", "platform": "https://platform.example/"}"#);
    let plan = card(options.clone(), JsValue::UNDEFINED);
    assert_eq!(
        records(&plan)[0][..2],
        ["loading", "https://platform.example/v1/items/itm_1"]
    );
    let answer = js(&format!(r#"{{"status": 200, "body": {ITEM}}}"#));
    assert_eq!(records(&card(options.clone(), answer))[0][0], "ready");
    let plan = card(options, js(r#"{"status": 404}"#));
    assert_eq!(
        records(&plan)[0][6],
        "item itm_1 is not known to the platform (404)"
    );
    // Arrays, nulls and wrong types read as the wire format says.
    let creator = js(
        r#"{"status": 200, "body": {"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg", "followers": [3], "verified": null}}"#,
    );
    let plan = follow(js(r#"{"creator": "cr_1"}"#), creator);
    assert_eq!(
        records(&plan)[0][3],
        "creator.followers must be a whole number"
    );
}

#[wasm_bindgen_test]
fn the_browsers_url_parser_gives_what_resolution_needs() {
    let u = BrowserUrl
        .parse("HTTPS://User:pw@Item.Taobao.com:443/a%20b/../item.htm?id=1&x=%41#frag")
        .unwrap();
    assert_eq!(u.scheme, "https");
    assert!(u.userinfo);
    assert_eq!(u.host, "item.taobao.com");
    assert_eq!(u.path, "/item.htm");
    assert_eq!(
        u.query,
        [("id".into(), "1".into()), ("x".into(), "A".into())]
    );
    assert!(BrowserUrl.parse("/relative").is_none());
    assert!(BrowserUrl.parse("http://[::1").is_none());
    assert!(!BrowserUrl.parse("https://jd.com/").unwrap().userinfo);
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
