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

/// One step of the attribution outbox (`vitrine_core::outbox`, the
/// core's policy): what `input` (`0` the timer or a page view's start, `1`
/// an event heard only, `2` an event to send, `3` the answer to the send on
/// its way, its `status` with a random draw for the jitter as its fraction,
/// `4` the page hidden, `5` shown) does to the `outbox` as kept and this
/// page view's state of it, at `now` (ms since the epoch), with what the
/// shell `observed` of an event. Returns the plan the shell carries out.
#[wasm_bindgen]
pub fn beacons(
    outbox: &str,
    view: &str,
    input: u8,
    now: f64,
    status: f64,
    observed: &str,
) -> String {
    use vitrine_core::outbox::{step, Happened};
    step(
        &vitrine_core::event::QueuePolicy::default(),
        outbox,
        view,
        Happened::from_shell(input, status, observed),
        // `as` saturates: a clock before the epoch is its start.
        now as u64,
        env!("CARGO_PKG_VERSION"),
    )
}

/// A viewability watch's next state (`vitrine_core::viewable`): what was
/// observed at `time` (the tab `visible`, and the share of the element in
/// view, `ratio`, or a negative one for no news) does to `state`. The
/// answer: `-1` viewable, a time (≥ 0) to look again at, else waiting.
#[wasm_bindgen]
pub fn viewable(state: f64, time: f64, visible: bool, ratio: f64) -> f64 {
    vitrine_core::viewable::step(state, time, visible, ratio)
}
