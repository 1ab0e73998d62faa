//! Vitrine SDK: a creator's product recommendation, in any web page.
//!
//! This crate is the browser half. The rules (what a valid item is, which
//! links may be followed, what the card says) live in `vitrine-core`; this
//! crate turns them into DOM through one seam, [`bindings`], and is wrapped
//! by a small hand-written ES module (`pkg-template/vitrine.js`) that defines
//! the custom elements and the public JS API.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

// No std: its panic and formatting machinery alone is about 2.5 KB gzip.
extern crate alloc;

mod bindings;
mod card;
mod fill;
mod follow;
mod js_node;
mod options;
mod proof;

pub use bindings::BrowserUrl;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlTemplateElement};

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

/// A follow control's event as the shell sends it: `0` this site remembers
/// the reader follows, `1` a click (with the click's `nonce` and the
/// `origin` the answer goes to), `2` the platform confirmed following, `3`
/// not following, `4` the intent page closed without an answer; anything
/// else asks for the state. One entry point per element instead of one
/// method per event: every exported method costs its own shim and glue.
fn follow_act<'a>(
    kind: u8,
    nonce: &'a str,
    origin: &'a str,
) -> Option<(
    vitrine_core::follow::FollowEvent,
    Option<(&'a str, &'a str)>,
)> {
    use vitrine_core::follow::FollowEvent;
    Some(match kind {
        0 => (FollowEvent::Remembered, None),
        1 => (FollowEvent::Clicked, Some((nonce, origin))),
        2 => (FollowEvent::Confirmed { following: true }, None),
        3 => (FollowEvent::Confirmed { following: false }, None),
        4 => (FollowEvent::Dismissed, None),
        _ => return None,
    })
}

/// A showcase card mounted in a host element.
///
/// Never throws: bad options or data render the fallback and log one
/// console warning. The JS shell (`vitrine.js`) wraps it as the public
/// `mountCard` handle and the `<vitrine-card>` element.
#[wasm_bindgen]
pub struct Card(card::CardState);

#[wasm_bindgen]
impl Card {
    /// A card that will render into `host`'s open shadow root, cloning
    /// `template` (the parsed `card.html`).
    #[wasm_bindgen(constructor)]
    pub fn new(host: Element, template: HtmlTemplateElement) -> Card {
        Card(card::CardState::new(host, template))
    }

    /// Renders a complete set of options. Returns the URL the shell must
    /// fetch when the item is loaded by id, and shows the skeleton meanwhile.
    pub fn render(&mut self, options: JsValue) -> Option<alloc::string::String> {
        self.0.render(&options)
    }

    /// Hands over the answer for the URL `render` returned: HTTP status
    /// (0 for no answer) and the parsed body (`undefined` if not JSON).
    pub fn loaded(&mut self, status: u16, body: JsValue) {
        self.0.loaded(status, body)
    }

    /// A click on the buy link, before the browser follows it: the link gets
    /// `click_id` (fresh per click). Returns the partner's app link when the
    /// shell should try the app first (a phone or tablet `user_agent`).
    pub fn click(&mut self, click_id: &str, user_agent: &str) -> Option<alloc::string::String> {
        self.0.click(click_id, user_agent)
    }

    /// In redirect mode (`linkMode: "redirect"`), the platform URL that
    /// mints a signed link for the next click; `undefined` otherwise.
    #[wasm_bindgen(js_name = linkRequest)]
    pub fn link_request(&self) -> Option<alloc::string::String> {
        self.0.link_request()
    }

    /// Puts a signed link from the platform on the buy button (redirect
    /// mode). Refused (returns false) unless it is the platform's `/r/`.
    #[wasm_bindgen(js_name = useRedirect)]
    pub fn use_redirect(&mut self, url: &str) -> bool {
        self.0.use_redirect(url)
    }

    /// The platform refused to link the item (redirect mode): disables the
    /// buy button, with one warning giving `reason`.
    #[wasm_bindgen(js_name = redirectRefused)]
    pub fn redirect_refused(&mut self, reason: &str) {
        self.0.redirect_refused(reason)
    }

    /// The item on screen (for impressions); `undefined` before or without one.
    #[wasm_bindgen(js_name = itemId)]
    pub fn item_id(&self) -> Option<alloc::string::String> {
        self.0.item_id()
    }

    /// Why the card fell back (for the `render_error` beacon), if it did.
    pub fn problem(&self) -> Option<alloc::string::String> {
        self.0.problem()
    }

    /// The id of the creator shown (for the shell's per-site memory).
    #[wasm_bindgen(js_name = creatorId)]
    pub fn creator_id(&self) -> Option<alloc::string::String> {
        self.0.creator_id()
    }

    /// The byline's follow control: an event from the shell (`kind`, see
    /// [`follow_act`]); returns the intent URL to open for a click, else the
    /// control's state (`follow`, `pending` or `following`).
    pub fn follow(&mut self, kind: u8, nonce: &str, origin: &str) -> Option<alloc::string::String> {
        if let Some((event, click)) = follow_act(kind, nonce, origin) {
            let url = self.0.follow_event(event, click);
            if click.is_some() {
                return url;
            }
        }
        Some(self.0.follow_state().into())
    }

    /// Empties the card; the handle is consumed.
    pub fn destroy(mut self) {
        self.0.destroy()
    }
}

/// A follow button mounted in a host element (`<vitrine-follow>`).
///
/// Never throws. The shell owns the network, the popup and the message
/// checks; this owns the rendering and the states.
#[wasm_bindgen]
pub struct Follow(follow::FollowWidget);

#[wasm_bindgen]
impl Follow {
    /// A follow button that will render into `host`'s open shadow root,
    /// cloning `template` (the parsed `follow.html`).
    #[wasm_bindgen(constructor)]
    pub fn new(host: Element, template: HtmlTemplateElement) -> Follow {
        Follow(follow::FollowWidget::new(host, template))
    }

    /// Renders a complete set of options; returns the creator's data URL
    /// for the shell to fetch.
    pub fn render(&mut self, options: JsValue) -> Option<alloc::string::String> {
        self.0.render(&options)
    }

    /// The answer for that URL: HTTP status (0 for none) and parsed body.
    pub fn loaded(&mut self, status: u16, body: JsValue) {
        self.0.loaded(status, body)
    }

    /// An event from the shell (`kind`, see [`follow_act`]): returns the
    /// intent URL to open for a click (the button shows pending), else the
    /// button's state (`follow`, `pending` or `following`).
    pub fn follow(&mut self, kind: u8, nonce: &str, origin: &str) -> Option<alloc::string::String> {
        use vitrine_core::follow::FollowEvent;
        match follow_act(kind, nonce, origin) {
            Some((FollowEvent::Clicked, Some((nonce, origin)))) => {
                return self.0.open(nonce, origin)
            }
            Some((FollowEvent::Confirmed { following }, _)) => self.0.confirm(following),
            Some((FollowEvent::Dismissed, _)) => self.0.dismiss(),
            _ => {}
        }
        Some(self.0.state().into())
    }

    /// Empties the button; the handle is consumed.
    pub fn destroy(mut self) {
        self.0.destroy()
    }
}

/// The social-proof strip on a store's product page (`<vitrine-proof>`).
///
/// Never throws. The shell owns the network, the popups and the beacons;
/// this owns validation, rendering and each creator's follow state.
#[wasm_bindgen]
pub struct Proof(proof::ProofStrip);

#[wasm_bindgen]
impl Proof {
    /// A strip that will render into `host`'s open shadow root, cloning
    /// `template` (the parsed `proof.html`).
    #[wasm_bindgen(constructor)]
    pub fn new(host: Element, template: HtmlTemplateElement) -> Proof {
        Proof(proof::ProofStrip::new(host, template))
    }

    /// Renders a complete set of options; returns the URL of the answer to fetch.
    pub fn render(&mut self, options: JsValue) -> Option<alloc::string::String> {
        self.0.render(&options)
    }

    /// The answer for that URL: HTTP status (0 for none) and parsed body.
    pub fn loaded(&mut self, status: u16, body: JsValue) {
        self.0.loaded(status, body)
    }

    /// Opens or closes the list of every recommendation; whether it is open.
    pub fn toggle(&mut self) -> bool {
        self.0.toggle()
    }

    /// Recommendation `i` on screen, as `"item creator"`.
    pub fn slot(&self, i: usize) -> Option<alloc::string::String> {
        self.0.slot(i)
    }

    /// How many recommendations the collapsed strip shows (its impressions).
    pub fn collapsed(&self) -> usize {
        self.0.collapsed()
    }

    /// `deciding`, `loading`, `ready`, `empty` or `error`.
    pub fn state(&self) -> Option<alloc::string::String> {
        self.0.state()
    }

    /// Why the strip is not shown, if it failed.
    pub fn problem(&self) -> Option<alloc::string::String> {
        self.0.problem()
    }

    /// An event from the shell for `creator`'s follow control (`kind`, see
    /// [`follow_act`]): returns the intent URL to open for a click, else the
    /// control's state (`follow`, `pending` or `following`).
    pub fn follow(
        &mut self,
        creator: &str,
        kind: u8,
        nonce: &str,
        origin: &str,
    ) -> Option<alloc::string::String> {
        if let Some((event, click)) = follow_act(kind, nonce, origin) {
            let url = self.0.follow_event(creator, event, click);
            if click.is_some() {
                return url;
            }
        }
        Some(self.0.follow_state(creator).into())
    }

    /// Empties the strip; the handle is consumed.
    pub fn destroy(mut self) {
        self.0.destroy()
    }
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

/// The queue's sizes (the core's policy): `[batch events, batch delay ms,
/// most events kept offline]`.
#[wasm_bindgen(js_name = queuePolicy)]
pub fn queue_policy() -> js_sys::Array {
    let p = vitrine_core::event::QueuePolicy::default();
    let array = js_sys::Array::new();
    for n in [
        p.batch_events as f64,
        p.batch_delay_ms as f64,
        p.max_kept as f64,
    ] {
        array.push(&JsValue::from(n));
    }
    array
}
