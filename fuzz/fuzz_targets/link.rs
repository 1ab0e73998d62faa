//! Any text as a creator's pasted link: canonicalisation never panics; a
//! link it accepts becomes an https page on the partner that claimed it,
//! and canonicalising that page again gives the same product (idempotent).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::link::canonicalize;
use vitrine_core::partner::Registry;
use vitrine_core::whatwg::UrlCrate;

fuzz_target!(|data: &[u8]| {
    let Ok(link) = std::str::from_utf8(data) else {
        return;
    };
    let registry = Registry::new(Some("mm_1_2_3"));
    let Ok(canonical) = canonicalize(link, &UrlCrate, &registry) else {
        return;
    };
    assert!(canonical.url.starts_with("https://"), "{}", canonical.url);
    let again =
        canonicalize(&canonical.url, &UrlCrate, &registry).expect("a canonical page is accepted");
    assert_eq!(again.partner, canonical.partner);
    assert_eq!(again.item_id, canonical.item_id);
    assert_eq!(again.sku_id, canonical.sku_id);
    assert_eq!(again.url, canonical.url);
});
