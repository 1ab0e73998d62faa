//! The showcase card: from options to a filled shadow root.
//!
//! A render is one of three states of the same box: `loading` (the skeleton,
//! while the item is fetched by id), `ready`, or `error` (the fallback). The
//! template is static markup; item data only ever enters through
//! `textContent` and through attributes whose URLs passed the core's checks.

use crate::bindings;
use crate::js_node::JsNode;
use alloc::string::String;
use vitrine_core::item::{is_id, Item, StockState};
use vitrine_core::json::Node;
use vitrine_core::locale::Locale;
use vitrine_core::store_link::StoreLink;
use wasm_bindgen::JsValue;
use web_sys::{DocumentFragment, Element, HtmlTemplateElement, ShadowRoot};

/// How the card looks, read from the options.
#[derive(Clone, Copy)]
struct View {
    locale: Locale,
    theme: &'static str,
    layout: &'static str,
}

impl View {
    fn from_options(options: &JsValue) -> View {
        let option = |key| bindings::get(options, key).and_then(|v| v.as_string());
        let locale = option("locale");
        View {
            locale: Locale::from_tag(locale.as_deref()),
            theme: match option("theme").as_deref() {
                Some("light") => "light",
                Some("dark") => "dark",
                _ => "auto",
            },
            layout: match option("layout").as_deref() {
                Some("compact") => "compact",
                _ => "full",
            },
        }
    }
}

/// Where the item comes from.
enum Source {
    Inline(JsValue),
    Fetch { url: String, id: String },
    Invalid(String),
}

fn source(options: &JsValue) -> Source {
    if let Some(item) = bindings::get(options, "item") {
        return Source::Inline(item);
    }
    if let Some(text) = bindings::get(options, "itemJson").and_then(|v| v.as_string()) {
        return match bindings::parse_json(&text) {
            Some(item) => Source::Inline(item),
            None => Source::Invalid("the inline item JSON does not parse".into()),
        };
    }
    let Some(id) = bindings::get(options, "itemId").and_then(|v| v.as_string()) else {
        return Source::Invalid(
            "no item to show: set the item attribute (itemId) or put the item's JSON inside the element".into(),
        );
    };
    if !is_id(&id) {
        return Source::Invalid(
            [
                "item id \"",
                &id,
                "\" is not an id of 1 to 64 letters, digits, '_' or '-'",
            ]
            .concat(),
        );
    }
    let platform = bindings::get(options, "platform")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let url = [platform.trim_end_matches('/'), "/v1/items/", &id].concat();
    Source::Fetch { url, id }
}

/// A card mounted in a host element. The JS shell owns the network: when a
/// render needs the item fetched, [`CardState::render`] returns the URL and
/// shows the skeleton, and the shell hands the answer to
/// [`CardState::loaded`].
pub(crate) struct CardState {
    host: Element,
    /// The card's markup (`card.html`), parsed once by the shell.
    template: HtmlTemplateElement,
    /// The item being fetched, and how to show it once it arrives.
    pending: Option<(View, String, String)>,
}

impl CardState {
    pub(crate) fn new(host: Element, template: HtmlTemplateElement) -> CardState {
        CardState {
            host,
            template,
            pending: None,
        }
    }

    /// Renders `options`; returns the URL to fetch when the item is loaded
    /// by id (the skeleton is showing meanwhile).
    pub(crate) fn render(&mut self, options: &JsValue) -> Option<String> {
        self.pending = None;
        let Some(root) = bindings::shadow_root(&self.host) else {
            bindings::warn("cannot attach a shadow root to this element");
            return None;
        };
        let view = View::from_options(options);
        let template = &self.template;
        match source(options) {
            Source::Inline(value) => show(&root, template, view, value),
            Source::Invalid(problem) => fallback(&root, template, view, &problem, None),
            Source::Fetch { url, id } => {
                if let Some(content) = skeleton(template, view) {
                    bindings::replace_contents(&root, &content);
                }
                self.pending = Some((view, id, url.clone()));
                return Some(url);
            }
        }
        None
    }

    /// The platform's answer for the URL [`render`](Self::render) returned:
    /// its HTTP status (0 when there was no answer) and its parsed JSON body
    /// (`undefined` when it was not JSON). Ignored when nothing is pending,
    /// so a late answer after another render or a destroy paints nothing.
    pub(crate) fn loaded(&mut self, status: u16, body: JsValue) {
        let Some((view, id, url)) = self.pending.take() else {
            return;
        };
        let Some(root) = self.host.shadow_root() else {
            return;
        };
        let problem = match status {
            200..=299 if !body.is_undefined() => return show(&root, &self.template, view, body),
            200..=299 => ["the platform's answer for item ", &id, " is not JSON"].concat(),
            0 => ["the platform could not be reached at ", &url].concat(),
            404 => ["item ", &id, " is not known to the platform (404)"].concat(),
            _ => {
                let mut s = String::from("the platform answered HTTP ");
                vitrine_core::locale::push_decimal(&mut s, status.into());
                s.push_str(" for item ");
                s.push_str(&id);
                s
            }
        };
        fallback(&root, &self.template, view, &problem, None);
    }

    /// Empties the shadow root; a pending answer will be ignored.
    pub(crate) fn destroy(&mut self) {
        self.pending = None;
        if let Some(root) = self.host.shadow_root() {
            bindings::clear(&root);
        }
    }
}

fn show(root: &ShadowRoot, template: &HtmlTemplateElement, view: View, value: JsValue) {
    let node = JsNode(value);
    match Item::from_node(&node) {
        Ok(item) => {
            if let Some(content) = filled(template, view, &item) {
                bindings::replace_contents(root, &content);
            }
        }
        Err(e) => {
            // The item is unusable, but if its store link is safe the reader
            // can still reach the product.
            let link = node
                .field("store")
                .and_then(|s| s.field("url"))
                .and_then(|u| u.as_string())
                .and_then(|u| StoreLink::check(&u).ok());
            fallback(root, template, view, &e.message(), link.as_ref());
        }
    }
}

/// The template, cloned, with its root marked for `state` and `view`.
fn card(
    template: &HtmlTemplateElement,
    view: View,
    state: &str,
) -> Option<(DocumentFragment, Element)> {
    let content = bindings::clone_template(template)?;
    let article = bindings::part(&content, "card")?;
    bindings::set_attr(&article, "data-state", state);
    bindings::set_attr(&article, "data-theme", view.theme);
    bindings::set_attr(&article, "data-layout", view.layout);
    bindings::set_attr(&article, "lang", view.locale.tag());
    Some((content, article))
}

fn skeleton(template: &HtmlTemplateElement, view: View) -> Option<DocumentFragment> {
    let (content, article) = card(template, view, "loading")?;
    bindings::set_attr(&article, "aria-busy", "true");
    bindings::set_attr(&article, "aria-label", view.locale.texts().loading);
    if let Some(fallback) = bindings::part(&content, "fallback") {
        bindings::remove(&fallback);
    }
    Some(content)
}

fn filled(template: &HtmlTemplateElement, view: View, item: &Item) -> Option<DocumentFragment> {
    let (content, article) = card(template, view, "ready")?;
    let locale = view.locale;
    let texts = locale.texts();
    let part = |name| bindings::part(&content, name);
    bindings::set_attr(&article, "aria-labelledby", "title");

    let image = part("image")?;
    bindings::set_attr(&image, "src", &item.image);
    bindings::set_attr(&image, "alt", &item.title);
    bindings::set_text(&part("title")?, &item.title);

    let link = item.store_link();
    // A known partner by its name; any other store by its host.
    let store_name: &str = match &link {
        Ok(l) => locale.partner_name(l.partner).unwrap_or(&l.host),
        Err(_) => texts.other_store,
    };
    bindings::set_text(&part("partner")?, store_name);

    let creator = part("creator")?;
    if let Some(avatar) = bindings::by_class(&creator, "avatar") {
        bindings::set_attr(&avatar, "src", &item.creator.avatar);
    }
    if let Some(name) = bindings::by_class(&creator, "name") {
        bindings::set_text(&name, &item.creator.name);
    }
    if let Some(mark) = bindings::by_class(&creator, "verified") {
        if item.creator.verified {
            bindings::set_attr(&mark, "aria-label", texts.verified);
            bindings::set_attr(&mark, "title", texts.verified);
        } else {
            bindings::remove(&mark);
        }
    }
    if let Some(says) = bindings::by_class(&creator, "says") {
        bindings::set_text(&says, texts.recommends);
    }
    bindings::set_text(&part("reason")?, &item.reason);

    let tag = locale.tag();
    let price = &item.price;
    bindings::set_text(
        &part("price")?,
        &bindings::format_money(tag, &price.currency, price.amount.as_str()),
    );
    let original = part("original-price")?;
    match item.discounted_from() {
        Some(was) => {
            if let Some(label) = bindings::by_class(&original, "sr") {
                bindings::set_text(&label, texts.original_price);
            }
            if let Some(value) = bindings::by_class(&original, "was") {
                bindings::set_text(
                    &value,
                    &bindings::format_money(tag, &was.currency, was.amount.as_str()),
                );
            }
        }
        None => bindings::remove(&original),
    }
    let stock_state = item.stock_state();
    let stock = part("stock")?;
    bindings::set_attr(&stock, "data-stock", stock_state.key());
    bindings::set_text(&stock, &stock_state.label(locale));

    let buy = part("buy")?;
    match (&link, stock_state) {
        (Ok(link), state) if state != StockState::SoldOut => {
            set_store_link(&buy, link);
            bindings::set_text(&buy, &locale.buy_label(store_name));
        }
        (link, state) => {
            bindings::set_attr(&buy, "role", "link");
            bindings::set_attr(&buy, "aria-disabled", "true");
            let label = if state == StockState::SoldOut {
                texts.sold_out
            } else {
                texts.unavailable
            };
            bindings::set_text(&buy, label);
            if let Err(e) = link {
                bindings::warn(
                    &[
                        "item.store.url was refused (",
                        e.reason(),
                        "); buying is disabled",
                    ]
                    .concat(),
                );
            }
        }
    }
    bindings::remove(&part("fallback")?);
    Some(content)
}

/// A link out to the store: a new tab, marked as a paid placement, telling
/// the store which site sent the reader but not which page.
fn set_store_link(anchor: &Element, link: &StoreLink) {
    bindings::set_attr(anchor, "href", &link.href);
    bindings::set_attr(anchor, "target", "_blank");
    bindings::set_attr(anchor, "rel", "sponsored noopener");
    bindings::set_attr(anchor, "referrerpolicy", "strict-origin-when-cross-origin");
}

/// The compact fallback, in the card's own box, after one console warning.
fn fallback(
    root: &ShadowRoot,
    template: &HtmlTemplateElement,
    view: View,
    problem: &str,
    link: Option<&StoreLink>,
) {
    bindings::warn(problem);
    let Some((content, article)) = card(template, view, "error") else {
        return;
    };
    let texts = view.locale.texts();
    bindings::set_attr(&article, "aria-label", texts.fallback);
    if let Some(fallback) = bindings::part(&content, "fallback") {
        if let Some(message) = bindings::by_class(&fallback, "message") {
            bindings::set_text(&message, texts.fallback);
        }
        if let (Some(anchor), Some(link)) = (bindings::by_class(&fallback, "store"), link) {
            set_store_link(&anchor, link);
            bindings::set_text(&anchor, texts.fallback_link);
        }
    }
    bindings::replace_contents(root, &content);
}
