//! Any JSON as an item, as the SDK and the platform read one: validation
//! never panics, and an item it accepts, written as the platform writes it
//! and read again, is the same item (nothing is lost or gained on the wire);
//! its pictures' URLs are kept trimmed, and none is a script URL.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::item::Item;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(item) = Item::from_node(&value) else {
        return;
    };
    let written = serde_json::to_value(&item).expect("an item serializes");
    let again = Item::from_node(&written).expect("what the platform writes, the SDK reads");
    assert_eq!(item, again);
    // The store link is not the item's to refuse: the card checks it with
    // the link rules when it renders (a refused link disables the button).
    for url in [&item.image, &item.creator.avatar] {
        assert_eq!(url.trim(), url.as_str(), "links are kept trimmed");
        assert!(
            !url.to_ascii_lowercase().starts_with("javascript:"),
            "no script URL passes: {url}"
        );
    }
});
