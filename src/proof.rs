//! The social-proof strip (`<vitrine-proof>`): on a partner store's product
//! page, which creators recommend this product and why. "3 位达人推荐",
//! their avatars, the top reason quoted with its creator, and a list of
//! the others to expand, each with a small follow control.
//!
//! The platform matches the product (`GET /v1/proof`); the answer is
//! validated by the core ([`vitrine_core::proof::Proof`]) before anything
//! shows. With nothing to show the strip takes no space at all.

use crate::bindings;
use crate::fill::{apply, show_verified, Write};
use crate::follow::{followers_text, intent_url};
use crate::js_node::JsNode;
use crate::options;
use alloc::string::String;
use alloc::vec::Vec;
use vitrine_core::follow::{FollowEvent, FollowState};
use vitrine_core::link::{push_encoded, MAX_LINK_LEN};
use vitrine_core::locale::Locale;
use vitrine_core::proof::{count_label, expand_label, Proof, Recommendation};
use wasm_bindgen::JsValue;
use web_sys::{Element, HtmlTemplateElement};

/// How many avatars the collapsed strip shows.
const AVATARS: usize = 3;

/// One recommendation on screen: where it is, and its follow control.
struct Slot {
    item: String,
    creator: String,
    follow: FollowState,
    el: Element,
}

/// A strip mounted in a host element.
pub(crate) struct ProofStrip {
    host: Element,
    template: HtmlTemplateElement,
    locale: Locale,
    /// The platform's origin, without a trailing slash.
    platform: String,
    /// The answer being waited for.
    pending: bool,
    /// The recommendations on screen, the quoted one first.
    slots: Vec<Slot>,
    total: u64,
    expanded: bool,
    /// Why the strip is not shown, for the `render_error` beacon.
    problem: Option<String>,
}

impl ProofStrip {
    pub(crate) fn new(host: Element, template: HtmlTemplateElement) -> Self {
        ProofStrip {
            host,
            template,
            locale: Locale::default(),
            platform: String::new(),
            pending: false,
            slots: Vec::new(),
            total: 0,
            expanded: false,
            problem: None,
        }
    }

    fn root(&self) -> Option<Element> {
        self.host.shadow_root()?.first_element_child()
    }

    /// Renders `options` (`url` of the product page, `platform`, `locale`,
    /// `theme`, and `state`: what the shell already knows, `loading` when
    /// the strip is known to have recommendations, else `deciding`).
    /// Returns the URL of the answer for the shell to fetch.
    pub(crate) fn render(&mut self, options: &JsValue) -> Option<String> {
        self.pending = false;
        self.slots.clear();
        self.total = 0;
        self.expanded = false;
        self.problem = None;
        self.locale = Locale::from_tag(options::string(options, "locale").as_deref());
        self.platform = options::platform(options);
        let root = bindings::shadow_root(&self.host)?;
        let content = bindings::clone_template(&self.template)?;
        let strip = bindings::first_element(&content)?;
        let theme = options::theme(options);
        let state = match options::string(options, "state").as_deref() {
            Some("loading") => "loading",
            _ => "deciding",
        };
        bindings::set_attr(&strip, "data-theme", theme);
        bindings::set_attr(&strip, "data-state", state);
        bindings::set_attr(&strip, "aria-busy", "true");
        bindings::set_attr(&strip, "lang", self.locale.tag());
        bindings::replace_contents(&root, &content);
        let url = options::string(options, "url").unwrap_or_default();
        if url.is_empty() || url.len() > MAX_LINK_LEN {
            self.fail("the product page's url is missing or longer than 2048 characters");
            return None;
        }
        let mut fetch = [self.platform.as_str(), "/v1/proof?url="].concat();
        push_encoded(&mut fetch, &url);
        self.pending = true;
        Some(fetch)
    }

    /// The platform's answer: HTTP status (0 for none) and parsed body.
    pub(crate) fn loaded(&mut self, status: u16, body: JsValue) {
        if !core::mem::take(&mut self.pending) {
            return;
        }
        if !(200..300).contains(&status) {
            return self.fail(if status == 0 {
                "the platform could not be reached"
            } else {
                "the platform did not answer with the product's recommendations"
            });
        }
        let proof = match Proof::from_node(&JsNode(body)) {
            Ok(p) => p,
            Err(e) => return self.fail(&e.message()),
        };
        let Some(root) = self.root() else { return };
        bindings::unset_attr(&root, "aria-busy");
        let Some(top) = proof.recommendations.first() else {
            bindings::set_attr(&root, "data-state", "empty");
            return;
        };
        self.total = proof.total;
        let locale = self.locale;
        let count = count_label(locale, proof.total);
        apply(
            &root,
            &[
                Write::Text("count", &count),
                Write::Attr("proof", "aria-label", &count),
            ],
        );
        for (i, class) in ["a0", "a1", "a2"].into_iter().enumerate() {
            match proof.recommendations.get(i) {
                Some(r) => apply(&root, &[Write::Attr(class, "src", &r.creator.avatar)]),
                None => apply(&root, &[Write::Remove(class)]),
            }
        }
        if proof.total > 1 {
            apply(
                &root,
                &[Write::Text(
                    "more",
                    &expand_label(locale, proof.total, false),
                )],
            );
        } else {
            apply(&root, &[Write::Remove("more"), Write::Remove("list")]);
        }
        if let Some(quote) = bindings::by_class(&root, "top") {
            self.add_slot(quote, top);
        }
        if let (Some(list), Some(row)) = (
            bindings::by_class(&root, "list"),
            bindings::by_class(&root, "row"),
        ) {
            for r in proof.recommendations.iter().skip(1) {
                if let Some(copy) = bindings::append_copy(&list, &row) {
                    apply(&copy, &[Write::Attr("avatar", "src", &r.creator.avatar)]);
                    self.add_slot(copy, r);
                }
            }
            bindings::remove(&row);
        }
        bindings::set_attr(&root, "data-state", "ready");
    }

    /// Fills one recommendation's byline and reason, and remembers it.
    fn add_slot(&mut self, el: Element, r: &Recommendation) {
        let locale = self.locale;
        let c = &r.creator;
        let followers = followers_text(locale, c.followers);
        let page = [self.platform.as_str(), "/creators/", &c.id].concat();
        apply(
            &el,
            &[
                Write::Text("text", &r.reason),
                Write::Text("name", &c.name),
                Write::Attr("name", "href", &page),
                Write::Attr("name", "target", "_blank"),
                Write::Attr("name", "rel", "noopener"),
                Write::Text("followers", &followers),
            ],
        );
        show_verified(&el, c.verified, locale);
        bindings::set_attr(&el, "data-item", &r.item_id);
        bindings::set_attr(&el, "data-creator", &c.id);
        let slot = Slot {
            item: r.item_id.clone(),
            creator: c.id.clone(),
            follow: FollowState::Follow,
            el,
        };
        self.show_follow(&slot, None);
        self.slots.push(slot);
    }

    /// A slot's follow control: label, state hook, and link (bare, or the
    /// click's own with its nonce).
    fn show_follow(&self, slot: &Slot, url: Option<&str>) {
        let bare;
        let href = match url {
            Some(u) => u,
            None => {
                bare = intent_url(&self.platform, &slot.creator, None);
                &bare
            }
        };
        apply(
            &slot.el,
            &[
                Write::Text("follow", slot.follow.label(self.locale)),
                Write::Attr("follow", "data-follow", slot.follow.key()),
                Write::Attr("follow", "data-creator", &slot.creator),
                Write::Attr("follow", "href", href),
                Write::Attr("follow", "target", "_blank"),
                Write::Attr("follow", "rel", "opener"),
            ],
        );
    }

    /// A follow event for `creator`'s control; a click returns the intent
    /// URL to open. The states are the core's, as for `<vitrine-follow>`.
    pub(crate) fn follow_event(
        &mut self,
        creator: &str,
        event: FollowEvent,
        click: Option<(&str, &str)>,
    ) -> Option<String> {
        let i = self.slots.iter().position(|s| s.creator == creator)?;
        let url = click.map(|click| intent_url(&self.platform, creator, Some(click)));
        let slot = &mut self.slots[i];
        slot.follow = slot.follow.next(event);
        let slot = &self.slots[i];
        self.show_follow(slot, url.as_deref());
        url
    }

    /// `follow`, `pending` or `following` for `creator`'s control.
    pub(crate) fn follow_state(&self, creator: &str) -> &'static str {
        self.slots
            .iter()
            .find(|s| s.creator == creator)
            .map_or("follow", |s| s.follow.key())
    }

    /// Opens or closes the list of every recommendation; returns whether
    /// it is now open.
    pub(crate) fn toggle(&mut self) -> bool {
        let Some(root) = self.root().filter(|_| self.total > 1) else {
            return false;
        };
        self.expanded = !self.expanded;
        let label = expand_label(self.locale, self.total, self.expanded);
        let expanded = if self.expanded { "true" } else { "false" };
        let mut writes = [
            Write::Text("more", &label),
            Write::Attr("more", "aria-expanded", expanded),
            Write::Unset("list", "hidden"),
        ];
        if !self.expanded {
            writes[2] = Write::Attr("list", "hidden", "");
        }
        apply(&root, &writes);
        self.expanded
    }

    /// Recommendation `i` on screen as `item creator`; the first
    /// [`AVATARS`] are the collapsed strip's (its impressions).
    pub(crate) fn slot(&self, i: usize) -> Option<String> {
        self.slots
            .get(i)
            .map(|s| [s.item.as_str(), " ", &s.creator].concat())
    }

    /// How many recommendations the collapsed strip shows.
    pub(crate) fn collapsed(&self) -> usize {
        self.slots.len().min(AVATARS)
    }

    /// `deciding`, `loading`, `ready`, `empty` or `error`.
    pub(crate) fn state(&self) -> Option<String> {
        bindings::attr(&self.root()?, "data-state")
    }

    pub(crate) fn problem(&self) -> Option<String> {
        self.problem.clone()
    }

    pub(crate) fn destroy(&mut self) {
        self.pending = false;
        self.slots.clear();
        if let Some(root) = self.host.shadow_root() {
            bindings::clear(&root);
        }
    }

    /// Nothing is shown (a store page is better without the strip than with
    /// an error box); one warning says why.
    fn fail(&mut self, problem: &str) {
        bindings::warn(problem);
        self.problem = Some(String::from(problem));
        if let Some(root) = self.root() {
            bindings::set_attr(&root, "data-state", "error");
            bindings::unset_attr(&root, "aria-busy");
        }
    }
}
