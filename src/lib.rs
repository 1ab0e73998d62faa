//! Vitrine SDK: a creator's product recommendation, in any web page.
//!
//! This crate is the browser half's rules engine. What a valid item is,
//! which links may be followed and what the card says live in
//! `vitrine-core`; this crate turns options and the platform's answers into
//! render plans ([`plan`]) that a small hand-written ES module
//! (`pkg-template/vitrine.js`) applies to the DOM. Everything here except
//! [`bindings`] is pure, so `cargo test` runs it natively.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
// Each wasm build (`card`, `proof`) uses only part of the shared helpers
// (options, bylines); the unused part is dropped at link time.
#![cfg_attr(not(all(feature = "card", feature = "proof")), allow(dead_code))]

// No std: its panic and formatting machinery alone is about 2.5 KB gzip.
extern crate alloc;

mod bindings;
mod byline;
#[cfg(any(test, feature = "card"))]
mod card;
#[cfg(any(test, feature = "card"))]
mod follow;
mod options;
pub mod plan;
#[cfg(any(test, feature = "proof"))]
mod proof;

use alloc::string::String;
pub use bindings::{BrowserUrl, JsNode};
use wasm_bindgen::prelude::*;

// The default allocator costs about 3 KB gzip more than lol_alloc's free list.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// With no std there is no unwinding and no panic message to print: a panic
/// traps, the call into the wasm throws, and the JS shell turns that into one
/// console warning. (The code avoids panicking paths; this is the backstop.)
#[cfg(all(feature = "standalone", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The showcase card's plan for `options` (`item`, or `itemId` with the
/// platform's `answer` `{status, body}` once it came; see [`card`] for the
/// header).
#[cfg(feature = "card")]
#[wasm_bindgen]
pub fn card(options: JsValue, answer: JsValue) -> String {
    card::plan(&JsNode(options), Some(&JsNode(answer)), &BrowserUrl)
}

/// The follow button's plan for `options` and the platform's `answer` for
/// the creator.
#[cfg(feature = "card")]
#[wasm_bindgen]
pub fn follow(options: JsValue, answer: JsValue) -> String {
    follow::plan(&JsNode(options), Some(&JsNode(answer)))
}

/// The social-proof strip's plan for `options` and the platform's `answer`.
#[cfg(feature = "proof")]
#[wasm_bindgen]
pub fn proof(options: JsValue, answer: JsValue) -> String {
    proof::plan(&JsNode(options), Some(&JsNode(answer)))
}

/// The buy link for one click on a card showing `store` (the card plan's
/// header gives it): the partner page with `click` as its click id, then,
/// on a phone's `user_agent`, the app link; empty if refused.
#[cfg(feature = "card")]
#[wasm_bindgen(js_name = buyLink)]
pub fn buy_link(
    options: JsValue,
    store: &str,
    creator: &str,
    click: &str,
    user_agent: &str,
) -> String {
    card::buy_link(
        &JsNode(options),
        store,
        creator,
        click,
        user_agent,
        &BrowserUrl,
    )
}

/// Whether `url` is one of `platform`'s signed links (`/r/…`), the only
/// kind a buy button takes in redirect mode.
#[cfg(feature = "card")]
#[wasm_bindgen(js_name = signedLink)]
pub fn signed_link(url: &str, platform: &str) -> bool {
    card::is_signed_link(url, platform)
}

/// A follow control's next state and its label in `locale` (see
/// [`byline::step`] for the events).
#[wasm_bindgen(js_name = followStep)]
pub fn follow_step(state: &str, event: u8, locale: &str) -> String {
    byline::step(
        state,
        event,
        vitrine_core::locale::Locale::from_tag(Some(locale)),
    )
}

/// The queue's answer to a send (the core's policy): `0` done, `-1` drop,
/// else the milliseconds to wait before retrying.
#[wasm_bindgen(js_name = sendOutcome)]
pub fn send_outcome(status: u16, attempts: u32, jitter: f64) -> f64 {
    use vitrine_core::event::{QueuePolicy, SendOutcome};
    match QueuePolicy::default().outcome(status, attempts, jitter) {
        SendOutcome::Done => 0.0,
        SendOutcome::Drop => -1.0,
        SendOutcome::RetryAfter(ms) => ms as f64,
    }
}

/// The queue's sizes (the core's policy): `[events per batch, batch delay
/// ms, most events kept offline]`.
#[wasm_bindgen(js_name = queuePolicy)]
pub fn queue_policy() -> alloc::vec::Vec<u32> {
    let p = vitrine_core::event::QueuePolicy::default();
    [
        p.batch_events as u32,
        p.batch_delay_ms as u32,
        p.max_kept as u32,
    ]
    .into()
}
