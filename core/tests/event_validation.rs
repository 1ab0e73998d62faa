//! Event validation, fixture-driven like items: one valid event, then one
//! change per row and the exact reason the collector answers with.

use serde_json::{json, Value};
use vitrine_core::event::{Event, EventType};

fn valid() -> Value {
    json!({
        "id": "0123456789abcdef0123456789abcdef", "type": "click", "item": "itm_ceramic_mug",
        "creator": "cr_linxiaoman", "placement": "blog.example", "page": "https://blog.example/2026/11/morning",
        "ts": 1_764_000_000_000u64, "sdk": "0.1.0", "view": "fedcba9876543210fedcba9876543210",
        "click": "00112233445566778899aabbccddeeff"
    })
}

fn with(key: &str, value: Option<Value>) -> Value {
    let mut v = valid();
    match value {
        Some(x) => v[key] = x,
        None => {
            v.as_object_mut().unwrap().remove(key);
        }
    }
    v
}

#[test]
fn the_fixture_is_valid() {
    let e = Event::from_node(&valid()).unwrap();
    assert_eq!(e.kind, EventType::Click);
    assert_eq!(
        e.click_id.as_deref(),
        Some("00112233445566778899aabbccddeeff")
    );
    assert_eq!(e.page, "https://blog.example/2026/11/morning");
}

#[test]
fn each_bad_field_is_named() {
    let cases: &[(&str, Option<Value>, &str)] = &[
        (
            "id",
            Some(json!("0123")),
            "event.id must be 32 lower-case hex digits",
        ),
        (
            "id",
            Some(json!("0123456789ABCDEF0123456789ABCDEF")),
            "event.id must be 32 lower-case hex digits",
        ),
        (
            "type",
            Some(json!("purchase")),
            "event.type must be a known event type",
        ),
        (
            "item",
            None,
            "event.item and event.creator are required for impressions and clicks",
        ),
        (
            "item",
            Some(json!("itm x")),
            "event.item must be an id of 1 to 64 letters, digits, '_' or '-'",
        ),
        (
            "placement",
            Some(json!("")),
            "event.placement must be 1 to 128 printable characters",
        ),
        (
            "page",
            Some(json!("https://blog.example/p?utm_source=x")),
            "event.page must be an http(s) origin and path, without query or fragment",
        ),
        (
            "page",
            Some(json!("https://blog.example/p#top")),
            "event.page must be an http(s) origin and path, without query or fragment",
        ),
        (
            "page",
            Some(json!("javascript:alert(1)")),
            "event.page must be an http(s) origin and path, without query or fragment",
        ),
        (
            "ts",
            Some(json!(-1)),
            "event.ts must be a whole number of milliseconds",
        ),
        (
            "ts",
            Some(json!("now")),
            "event.ts must be a whole number of milliseconds",
        ),
        (
            "sdk",
            Some(json!("0.1.0 beta")),
            "event.sdk must be a version of 1 to 32 characters",
        ),
        ("view", None, "event.view must be 32 lower-case hex digits"),
        ("click", None, "event.click is required for clicks"),
        (
            "reason",
            Some(json!(42)),
            "event.reason must be a string of at most 300 characters",
        ),
    ];
    for (key, value, expected) in cases {
        let got = Event::from_node(&with(key, value.clone()))
            .map(|_| ())
            .map_err(|e| e.message());
        assert_eq!(got, Err(expected.to_string()), "{key} = {value:?}");
    }
}

#[test]
fn follow_and_error_events_need_less() {
    let mut follow = valid();
    follow["type"] = json!("follow_confirmed");
    follow.as_object_mut().unwrap().remove("item");
    follow.as_object_mut().unwrap().remove("click");
    assert!(Event::from_node(&follow).is_ok());
    follow.as_object_mut().unwrap().remove("creator");
    assert_eq!(
        Event::from_node(&follow).unwrap_err().message(),
        "event.creator is required for follow events"
    );
    let error = json!({"id": "0123456789abcdef0123456789abcdef", "type": "render_error", "placement": "p",
                       "page": "https://blog.example/", "ts": 1, "sdk": "0.1.0", "view": "0123456789abcdef0123456789abcdef",
                       "reason": "item.price.amount must be a non-negative decimal string"});
    assert!(Event::from_node(&error).is_ok());
}

#[test]
fn an_overflow_says_how_many_events_were_lost() {
    let overflow = json!({"id": "0123456789abcdef0123456789abcdef", "type": "queue_overflow", "placement": "p",
                          "page": "https://blog.example/", "ts": 1, "sdk": "0.1.0", "view": "0123456789abcdef0123456789abcdef",
                          "count": 17});
    assert_eq!(Event::from_node(&overflow).unwrap().count, Some(17));
    let mut none = overflow.clone();
    none.as_object_mut().unwrap().remove("count");
    assert_eq!(
        Event::from_node(&none).unwrap_err().message(),
        "event.count must be a positive whole number for queue_overflow"
    );
}
