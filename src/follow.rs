//! The follow button: a creator's avatar, name, verified mark and follower
//! count, and a link to the platform's follow intent.
//!
//! The host page never touches the reader's account. A click opens the
//! platform's `/intent/follow` (the shell tries a popup; if popups are
//! blocked the link's own default opens a tab); the platform page posts its
//! result back, and the shell hands it here once it has checked the origin
//! and the nonce. The states and their rules are the core's
//! ([`vitrine_core::follow`]).

use crate::bindings;
use crate::fill::{apply, show_verified, Write};
use crate::js_node::JsNode;
use crate::options;
use alloc::string::String;
use vitrine_core::follow::{compact_digits, followers_label, FollowEvent, FollowState};
use vitrine_core::item::{is_id, Creator, CREATOR};
use vitrine_core::link::push_encoded;
use vitrine_core::locale::Locale;
use wasm_bindgen::JsValue;
use web_sys::{Element, HtmlTemplateElement};

/// A follow button mounted in a host element.
pub(crate) struct FollowWidget {
    host: Element,
    template: HtmlTemplateElement,
    locale: Locale,
    /// The platform's origin, without a trailing slash.
    platform: String,
    /// The creator's id, once the options named a valid one.
    creator_id: Option<String>,
    /// Whether the data arrived and the button is live.
    shown: bool,
    state: FollowState,
}

/// The platform's follow intent for a creator; with a click's nonce and the
/// origin the answer must go to, or bare (the link's own `href`, for a
/// middle-click or a blocked popup).
pub(crate) fn intent_url(platform: &str, creator_id: &str, click: Option<(&str, &str)>) -> String {
    let mut url = [platform, "/intent/follow?creator=", creator_id].concat();
    if let Some((nonce, origin)) = click {
        url.push_str("&nonce=");
        push_encoded(&mut url, nonce);
        url.push_str("&origin=");
        push_encoded(&mut url, origin);
    }
    url
}

/// A follower count as the button and the strip show it: compact from
/// 10,000 (`12.8万 位关注者`), in full below.
pub(crate) fn followers_text(locale: Locale, followers: u64) -> String {
    let mut text =
        bindings::format_count(locale.tag(), followers, compact_digits(followers).is_some());
    text.push_str(followers_label(locale));
    text
}

impl FollowWidget {
    pub(crate) fn new(host: Element, template: HtmlTemplateElement) -> Self {
        FollowWidget {
            host,
            template,
            locale: Locale::default(),
            platform: String::new(),
            creator_id: None,
            shown: false,
            state: FollowState::Follow,
        }
    }

    fn root(&self) -> Option<Element> {
        self.host.shadow_root()?.first_element_child()
    }

    /// Renders `options` (`creator`, `platform`, `locale`, `theme`, `size`,
    /// `count`, and `following` when this site remembers it). Returns the URL
    /// of the creator's data for the shell to fetch.
    pub(crate) fn render(&mut self, options: &JsValue) -> Option<String> {
        self.shown = false;
        self.locale = Locale::from_tag(options::string(options, "locale").as_deref());
        self.platform = options::platform(options);
        self.state = FollowState::Follow;
        if bindings::get(options, "following").and_then(|v| v.as_bool()) == Some(true) {
            self.state = self.state.next(FollowEvent::Remembered);
        }
        let root = bindings::shadow_root(&self.host)?;
        let content = bindings::clone_template(&self.template)?;
        let widget = bindings::first_element(&content)?;
        let size = if options::string(options, "size").as_deref() == Some("large") {
            "large"
        } else {
            "small"
        };
        let count = if options::string(options, "count").as_deref() == Some("none") {
            "none"
        } else {
            "show"
        };
        let theme = options::theme(options);
        for (name, value) in [
            ("data-size", size),
            ("data-count", count),
            ("data-theme", theme),
            ("data-state", "loading"),
        ] {
            bindings::set_attr(&widget, name, value);
        }
        bindings::set_attr(&widget, "lang", self.locale.tag());
        bindings::replace_contents(&root, &content);
        let id = options::string(options, "creator").unwrap_or_default();
        if !is_id(&id) {
            self.fail(
                &[
                    "creator id \"",
                    &id,
                    "\" is not an id of 1 to 64 letters, digits, '_' or '-'",
                ]
                .concat(),
            );
            return None;
        }
        let url = [self.platform.as_str(), "/v1/creators/", &id].concat();
        self.creator_id = Some(id);
        Some(url)
    }

    /// The platform's answer for the creator: HTTP status (0 for none) and
    /// parsed body.
    pub(crate) fn loaded(&mut self, status: u16, body: JsValue) {
        let Some(id) = self.creator_id.clone() else {
            return;
        };
        if !(200..300).contains(&status) {
            let problem = if status == 0 {
                "the platform could not be reached"
            } else {
                "the platform did not answer with the creator"
            };
            return self.fail(&[problem, " (creator ", &id, ")"].concat());
        }
        let creator = match Creator::from_node_at(&JsNode(body), &CREATOR) {
            Ok(c) if c.id == id => c,
            Ok(_) => return self.fail("the platform answered with another creator"),
            Err(e) => return self.fail(&e.message()),
        };
        let Some(root) = self.root() else { return };
        let count = followers_text(self.locale, creator.followers);
        // A link to the platform's page for this creator, in a new tab with
        // an opener (the intent page answers through it); a click gives it a
        // nonce and tries a popup first.
        let href = intent_url(&self.platform, &id, None);
        apply(
            &root,
            &[
                Write::Attr("avatar", "src", &creator.avatar),
                Write::Text("name", &creator.name),
                Write::Attr("name", "title", &creator.name),
                Write::Text("count", &count),
                Write::Attr("button", "href", &href),
                Write::Attr("button", "target", "_blank"),
                Write::Attr("button", "rel", "opener"),
            ],
        );
        show_verified(&root, creator.verified, self.locale);
        self.shown = true;
        self.show_state();
    }

    /// A click: returns the intent URL (with `nonce`, and `origin` for the
    /// answer) for the shell to open, and marks the button pending.
    pub(crate) fn open(&mut self, nonce: &str, origin: &str) -> Option<String> {
        let id = self.creator_id.as_deref().filter(|_| self.shown)?;
        let url = intent_url(&self.platform, id, Some((nonce, origin)));
        self.state = self.state.next(FollowEvent::Clicked);
        let root = self.root()?;
        apply(&root, &[Write::Attr("button", "href", &url)]);
        self.show_state();
        Some(url)
    }

    /// The intent page's checked answer: following or not.
    pub(crate) fn confirm(&mut self, following: bool) {
        self.state = self.state.next(FollowEvent::Confirmed { following });
        self.show_state();
    }

    /// The intent page closed without an answer.
    pub(crate) fn dismiss(&mut self) {
        self.state = self.state.next(FollowEvent::Dismissed);
        self.show_state();
    }

    /// `follow`, `pending` or `following`.
    pub(crate) fn state(&self) -> &'static str {
        self.state.key()
    }

    pub(crate) fn destroy(&mut self) {
        self.shown = false;
        self.creator_id = None;
        if let Some(root) = self.host.shadow_root() {
            bindings::clear(&root);
        }
    }

    fn show_state(&self) {
        let Some(root) = self.root().filter(|_| self.shown) else {
            return;
        };
        bindings::set_attr(&root, "data-state", self.state.key());
        apply(
            &root,
            &[Write::Text("button", self.state.label(self.locale))],
        );
    }

    fn fail(&mut self, problem: &str) {
        bindings::warn(problem);
        self.shown = false;
        if let Some(root) = self.root() {
            bindings::set_attr(&root, "data-state", "error");
        }
    }
}
