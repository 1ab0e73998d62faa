//! Any JSON as a batch of beacon events: validation never panics, and an
//! event it accepts has the shape the store relies on (ids of 32 hex
//! digits, a known type, bounded text).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::event::{Event, EventType};
use vitrine_core::json::Node;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let mut i = 0;
    while let Some(node) = value.element(i).or_else(|| (i == 0).then(|| value.clone())) {
        i += 1;
        let Ok(event) = Event::from_node(&node) else {
            if i > 64 {
                break;
            }
            continue;
        };
        let hex = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
        assert!(hex(&event.id) && hex(&event.view_id), "{event:?}");
        assert_eq!(EventType::from_name(event.kind.name()), Some(event.kind));
        assert!(
            event.page.len() <= 2048 && event.placement_id.len() <= 128,
            "{event:?}"
        );
        if i > 64 || !value.is_array() {
            break;
        }
    }
});
