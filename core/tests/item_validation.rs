//! Item validation, fixture-driven: one valid item, then one mutation per row
//! and the exact warning a developer would read.

use serde_json::{json, Value};
use vitrine_core::item::{Item, StockState};
use vitrine_core::link::{canonicalize, LinkError};
use vitrine_core::locale::Locale;
use vitrine_core::partner::{Partner, Registry};
use vitrine_core::whatwg::UrlCrate;

fn valid() -> Value {
    json!({
        "id": "itm_ceramic_mug",
        "title": "手作粗陶马克杯 350ml",
        "image": "https://cdn.example/mug.jpg",
        "reason": "每天早上用它喝咖啡，手感厚实，保温也好。",
        "price": {"amount": "89.00", "currency": "CNY"},
        "original_price": {"amount": "129.00", "currency": "CNY"},
        "stock": 12,
        "store": {"url": "https://item.taobao.com/item.htm?id=624519851234"},
        "creator": {"id": "cr_lin", "name": "林小满", "avatar": "https://cdn.example/lin.jpg",
                    "followers": 12800, "verified": true},
        "some_future_field": [1, 2, 3]
    })
}

/// Sets `value` at a `/`-separated path (creating nothing: the path exists),
/// or removes the field when `value` is `None`.
fn mutate(path: &str, value: Option<Value>) -> Value {
    let mut item = valid();
    let (parent, key) = path.rsplit_once('/').unwrap_or(("", path));
    let target = if parent.is_empty() {
        &mut item
    } else {
        item.pointer_mut(&format!("/{parent}")).unwrap()
    };
    let obj = target.as_object_mut().unwrap();
    match value {
        Some(v) => obj.insert(key.to_owned(), v),
        None => obj.remove(key),
    };
    item
}

#[test]
fn the_fixture_is_valid_and_read_faithfully() {
    let item = Item::from_node(&valid()).unwrap();
    assert_eq!(item.id, "itm_ceramic_mug");
    assert_eq!(item.price.amount.as_str(), "89.00");
    assert_eq!(item.price.currency, "CNY");
    assert_eq!(item.discounted_from().unwrap().amount.as_str(), "129.00");
    assert_eq!(item.stock, Some(12));
    assert_eq!(item.creator.followers, 12800);
    assert!(item.creator.verified);
    let link = canonicalize(&item.store.url, &UrlCrate, &Registry::default()).unwrap();
    assert_eq!(link.partner, Partner::Taobao);
}

#[test]
fn each_bad_field_is_named_in_the_warning() {
    let cases: &[(&str, Option<Value>, &str)] = &[
        (
            "id",
            None,
            "item.id must be an id of 1 to 64 letters, digits, '_' or '-'",
        ),
        (
            "id",
            Some(json!("itm 1")),
            "item.id must be an id of 1 to 64 letters, digits, '_' or '-'",
        ),
        (
            "id",
            Some(json!(7)),
            "item.id must be an id of 1 to 64 letters, digits, '_' or '-'",
        ),
        (
            "title",
            Some(json!("   ")),
            "item.title must be a non-empty string of at most 200 characters",
        ),
        (
            "title",
            Some(json!("字".repeat(201))),
            "item.title must be a non-empty string of at most 200 characters",
        ),
        (
            "image",
            Some(json!("javascript:alert(1)")),
            "item.image must be an absolute http(s) URL",
        ),
        ("image", None, "item.image must be an absolute http(s) URL"),
        (
            "reason",
            Some(json!("")),
            "item.reason must be a non-empty string of at most 1000 characters",
        ),
        ("price", None, "item.price must be an object"),
        (
            "price",
            Some(json!("89.00")),
            "item.price must be an object",
        ),
        (
            "price/amount",
            Some(json!(89.0)),
            "item.price.amount must be a non-negative decimal string",
        ),
        (
            "price/amount",
            Some(json!("-1.00")),
            "item.price.amount must be a non-negative decimal string",
        ),
        (
            "price/amount",
            Some(json!("1e9")),
            "item.price.amount must be a non-negative decimal string",
        ),
        (
            "price/amount",
            Some(json!("99999999999")),
            "item.price.amount must be a non-negative decimal string",
        ),
        (
            "price/currency",
            Some(json!("rmb")),
            "item.price.currency must be a three-letter currency code",
        ),
        (
            "original_price",
            Some(json!(129)),
            "item.original_price must be an object or null",
        ),
        (
            "original_price/currency",
            Some(json!("USD")),
            "item.original_price.currency must be the same as item.price.currency",
        ),
        (
            "original_price/amount",
            Some(json!("abc")),
            "item.original_price.amount must be a non-negative decimal string",
        ),
        (
            "stock",
            Some(json!(-1)),
            "item.stock must be null or a whole number from 0 to 1000000000",
        ),
        (
            "stock",
            Some(json!(2.5)),
            "item.stock must be null or a whole number from 0 to 1000000000",
        ),
        (
            "stock",
            Some(json!("12")),
            "item.stock must be null or a whole number from 0 to 1000000000",
        ),
        (
            "stock",
            Some(json!(1e12)),
            "item.stock must be null or a whole number from 0 to 1000000000",
        ),
        ("store", None, "item.store must be an object"),
        (
            "store/url",
            Some(json!(null)),
            "item.store.url must be a string",
        ),
        ("creator", Some(json!([])), "item.creator must be an object"),
        (
            "creator/id",
            Some(json!("")),
            "item.creator.id must be an id of 1 to 64 letters, digits, '_' or '-'",
        ),
        (
            "creator/name",
            Some(json!("x".repeat(65))),
            "item.creator.name must be a non-empty string of at most 64 characters",
        ),
        (
            "creator/avatar",
            Some(json!("//cdn.example/a.jpg")),
            "item.creator.avatar must be an absolute http(s) URL",
        ),
        (
            "creator/followers",
            Some(json!(-5)),
            "item.creator.followers must be a whole number",
        ),
        (
            "creator/followers",
            None,
            "item.creator.followers must be a whole number",
        ),
        (
            "creator/verified",
            Some(json!("yes")),
            "item.creator.verified must be true or false",
        ),
    ];
    for (path, value, expected) in cases {
        let got = Item::from_node(&mutate(path, value.clone()))
            .map(|_| ())
            .map_err(|e| e.message());
        assert_eq!(
            got,
            Err(expected.to_string()),
            "mutating {path} to {value:?}"
        );
    }
}

#[test]
fn a_non_object_item_is_refused() {
    for v in [json!(null), json!("itm_1"), json!([1]), json!(3)] {
        assert_eq!(
            Item::from_node(&v).unwrap_err().message(),
            "item must be an object"
        );
    }
}

#[test]
fn optional_fields_may_be_null_or_absent() {
    for v in [None, Some(json!(null))] {
        let item = Item::from_node(&mutate("original_price", v.clone())).unwrap();
        assert_eq!(item.original_price, None);
        let item = Item::from_node(&mutate("stock", v.clone())).unwrap();
        assert_eq!(item.stock_state(), StockState::Unknown);
        let item = Item::from_node(&mutate("creator/verified", v)).unwrap();
        assert!(!item.creator.verified);
    }
}

#[test]
fn stock_rules() {
    let state = |n: Value| {
        Item::from_node(&mutate("stock", Some(n)))
            .unwrap()
            .stock_state()
    };
    assert_eq!(state(json!(0)), StockState::SoldOut);
    assert_eq!(state(json!(1)), StockState::Low(1));
    assert_eq!(state(json!(5)), StockState::Low(5));
    assert_eq!(state(json!(6)), StockState::InStock);
    assert_eq!(state(json!(1_000_000_000)), StockState::InStock);
    assert_eq!(state(json!(0)).label(Locale::ZhCn), "已售罄");
    assert_eq!(state(json!(2)).label(Locale::ZhCn), "仅剩 2 件");
    assert_eq!(state(json!(99)).label(Locale::En), "In stock");
}

#[test]
fn a_struck_through_price_must_be_a_real_discount() {
    let with_original = |amount: &str| {
        let item = mutate(
            "original_price",
            Some(json!({"amount": amount, "currency": "CNY"})),
        );
        Item::from_node(&item)
            .unwrap()
            .discounted_from()
            .map(|m| m.amount.to_string())
    };
    assert_eq!(with_original("129.00"), Some("129.00".into()));
    assert_eq!(with_original("89.001"), Some("89.001".into()));
    assert_eq!(with_original("89"), None, "equal is no discount");
    assert_eq!(with_original("50.00"), None, "lower is no discount");
}

#[test]
fn a_refused_store_link_does_not_make_the_item_invalid() {
    // Validation accepts any string; link resolution decides (and the card
    // then disables buying).
    for url in ["javascript:alert(1)", "https://evil.example/item.htm?id=1"] {
        let item = Item::from_node(&mutate("store/url", Some(json!(url)))).unwrap();
        assert!(canonicalize(&item.store.url, &UrlCrate, &Registry::default()).is_err());
    }
    let item = Item::from_node(&mutate("store/url", Some(json!("javascript:alert(1)")))).unwrap();
    assert_eq!(
        canonicalize(&item.store.url, &UrlCrate, &Registry::default()),
        Err(LinkError::Scheme)
    );
}

#[test]
fn items_serialise_back_to_the_wire_form() {
    let item = Item::from_node(&valid()).unwrap();
    let back = serde_json::to_value(&item).unwrap();
    let mut expected = valid();
    expected
        .as_object_mut()
        .unwrap()
        .remove("some_future_field");
    assert_eq!(back, expected);
}

/// Found by the `item` fuzz target (`cargo xtask fuzz item`): an image URL
/// with spaces around it passed the check and was kept with them, so an
/// item read, written as the platform writes it and read again differed.
#[test]
fn image_urls_are_kept_as_they_were_checked_without_surrounding_space() {
    let mut item = valid();
    item["image"] = json!("  https://cdn.example/mug.jpg\t");
    item["creator"]["avatar"] = json!("    https://m.m?tidg");
    let read = Item::from_node(&item).unwrap();
    assert_eq!(read.image, "https://cdn.example/mug.jpg");
    assert_eq!(read.creator.avatar, "https://m.m?tidg");
    let written = serde_json::to_value(&read).unwrap();
    assert_eq!(Item::from_node(&written).unwrap(), read);
}
