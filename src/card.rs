//! The showcase card: from options to a filled shadow root.
//!
//! A render is one of three states of the same box: `loading` (the skeleton,
//! while the item is fetched by id), `ready`, or `error` (the fallback). The
//! template is static markup; item data only ever enters through
//! `textContent` and through attributes whose URLs passed the core's checks.
//! The buy link is never the creator's link as given: it is the partner's
//! canonical page, rebuilt by link resolution, with a fresh click id per click.

use crate::bindings;
use crate::fill::{apply, Write};
use crate::js_node::JsNode;
use crate::options;
use alloc::string::String;
use alloc::vec::Vec;
use vitrine_core::follow::{FollowEvent, FollowState};
use vitrine_core::item::{is_id, Item, StockState};
use vitrine_core::json::Node;
use vitrine_core::link::{canonicalize, prefers_app, resolve, Attribution, Outbound};
use vitrine_core::locale::Locale;
use vitrine_core::partner::Registry;
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
            theme: options::theme(options),
            layout: match option("layout").as_deref() {
                Some("compact") => "compact",
                _ => "full",
            },
        }
    }
}

/// What a card's links need, read from the options: the platform's publisher
/// id and where the card is placed. The SDK knows the four built-in
/// partners; stores a platform configures are resolved by the platform
/// itself, through its signed redirect (`/r/`), so their rules never need to
/// reach the browser.
#[derive(Clone)]
struct Links {
    registry: Registry,
    placement: String,
    /// The platform's origin, without a trailing slash (for the byline's
    /// follow intent).
    platform: String,
    /// In redirect mode (`link-mode="redirect"`), the platform whose signed
    /// `/r/` links the buy button uses instead of direct partner links.
    redirect_via: Option<String>,
}

impl Links {
    fn from_options(options: &JsValue) -> Links {
        let option = |key| bindings::get(options, key).and_then(|v| v.as_string());
        let registry = Registry::new(option("publisher").as_deref());
        let placement = option("placement")
            .filter(|p| !p.is_empty() && p.len() <= 128)
            .unwrap_or_else(|| "unknown".into());
        let platform = options::platform(options);
        let redirect_via =
            (option("linkMode").as_deref() == Some("redirect")).then(|| platform.clone());
        Links {
            registry,
            placement,
            platform,
            redirect_via,
        }
    }

    fn resolve(
        &self,
        store_url: &str,
        creator_id: &str,
        click_id: &str,
    ) -> Result<Outbound, vitrine_core::link::LinkError> {
        let attribution = Attribution {
            click_id,
            creator_id,
            placement_id: &self.placement,
        };
        resolve(
            store_url,
            &bindings::BrowserUrl,
            &self.registry,
            &attribution,
        )
    }
}

/// A card on screen whose buy link is live: what a click re-resolves.
struct Shown {
    links: Links,
    locale: Locale,
    item_id: String,
    store_url: String,
    creator_id: String,
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
    let url = [options::platform(options).as_str(), "/v1/items/", &id].concat();
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
    pending: Option<(View, Links, String, String)>,
    /// The item shown, when its buy link is live.
    shown: Option<Shown>,
    /// The click id the shell handed to the last render, for its first href.
    click_id: String,
    /// The byline's follow control: its state, the creator shown and the
    /// platform whose intent page it opens.
    follow: FollowState,
    creator: Option<(String, String)>,
    /// The item on screen, for impressions.
    item_id: Option<String>,
    /// Why the last render fell back, for the `render_error` beacon.
    problem: Option<String>,
}

impl CardState {
    pub(crate) fn new(host: Element, template: HtmlTemplateElement) -> CardState {
        CardState {
            host,
            template,
            pending: None,
            shown: None,
            click_id: String::new(),
            follow: FollowState::Follow,
            creator: None,
            item_id: None,
            problem: None,
        }
    }

    /// Renders `options`; returns the URL to fetch when the item is loaded
    /// by id (the skeleton is showing meanwhile).
    pub(crate) fn render(&mut self, options: &JsValue) -> Option<String> {
        self.pending = None;
        self.shown = None;
        self.creator = None;
        self.item_id = None;
        self.problem = None;
        self.follow = FollowState::Follow;
        let Some(root) = bindings::shadow_root(&self.host) else {
            bindings::warn("cannot attach a shadow root to this element");
            return None;
        };
        let view = View::from_options(options);
        let links = Links::from_options(options);
        self.click_id = bindings::get(options, "clickId")
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        match source(options) {
            Source::Inline(value) => self.show(&root, view, links, value),
            Source::Invalid(problem) => self.fail(&root, view, problem, None),
            Source::Fetch { url, id } => {
                if let Some(content) = skeleton(&self.template, view) {
                    bindings::replace_contents(&root, &content);
                }
                self.pending = Some((view, links, id, url.clone()));
                return Some(url);
            }
        }
        None
    }

    /// A click on the buy link: the link gets a fresh click id (so every
    /// click is counted once, as itself), and on phones the partner's app
    /// link is returned for the shell to try first.
    pub(crate) fn click(&mut self, click_id: &str, user_agent: &str) -> Option<String> {
        // In redirect mode the signed link already names its click; the shell
        // fetches a fresh one for the next click.
        let shown = self
            .shown
            .as_ref()
            .filter(|s| s.links.redirect_via.is_none())?;
        let out = shown
            .links
            .resolve(&shown.store_url, &shown.creator_id, click_id)
            .ok()?;
        let article = self
            .host
            .shadow_root()
            .and_then(|root| root.first_element_child())?;
        apply(&article, &[Write::Attr("buy", "href", &out.web)]);
        out.app.filter(|_| prefers_app(user_agent))
    }

    /// In redirect mode, where to ask the platform for a signed link for the
    /// next click on the item shown.
    pub(crate) fn link_request(&self) -> Option<String> {
        let shown = self.shown.as_ref()?;
        let platform = shown.links.redirect_via.as_deref()?;
        let mut url = [platform, "/v1/items/", &shown.item_id, "/link?placement="].concat();
        vitrine_core::link::push_encoded(&mut url, &shown.links.placement);
        Some(url)
    }

    /// In redirect mode, the platform refused to link the item (its answer's
    /// reason): the button is disabled, with one warning.
    pub(crate) fn redirect_refused(&mut self, reason: &str) {
        let Some(shown) = self.shown.take() else {
            return;
        };
        if let Some(article) = self
            .host
            .shadow_root()
            .and_then(|root| root.first_element_child())
        {
            let unavailable = shown.locale.texts().unavailable;
            apply(
                &article,
                &[
                    Write::Unset("buy", "data-pending"),
                    Write::Text("buy", unavailable),
                ],
            );
            apply(&article, &DISABLED_BUY);
            bindings::warn(
                &[
                    "the platform gave no link for the item (",
                    reason,
                    "); buying is disabled",
                ]
                .concat(),
            );
        }
    }

    /// In redirect mode, puts the platform's signed link on the buy button.
    /// Only a link to that platform's `/r/` is accepted.
    pub(crate) fn use_redirect(&mut self, url: &str) -> bool {
        let Some(platform) = self
            .shown
            .as_ref()
            .and_then(|s| s.links.redirect_via.as_deref())
        else {
            return false;
        };
        let signed = url
            .strip_prefix(platform)
            .and_then(|rest| rest.strip_prefix("/r/"))
            .is_some_and(|token| {
                !token.is_empty()
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        let Some(article) = self
            .host
            .shadow_root()
            .and_then(|root| root.first_element_child())
        else {
            return false;
        };
        if signed {
            apply(&article, &store_link_writes("buy", url));
        }
        signed
    }

    /// Shows the fallback and keeps its reason for the `render_error` beacon.
    fn fail(&mut self, root: &ShadowRoot, view: View, problem: String, link: Option<&str>) {
        fallback(root, &self.template, view, &problem, link);
        self.problem = Some(problem);
    }

    /// The item on screen, for impressions.
    pub(crate) fn item_id(&self) -> Option<String> {
        self.item_id.clone()
    }

    /// Why the card fell back, if it did.
    pub(crate) fn problem(&self) -> Option<String> {
        self.problem.clone()
    }

    /// The id of the creator shown, for the shell's per-site memory.
    pub(crate) fn creator_id(&self) -> Option<String> {
        self.creator.as_ref().map(|(_, id)| id.clone())
    }

    /// A byline follow event: the shell's memory, a click (returns the intent
    /// URL to open, with the click's nonce), the intent's checked answer, or
    /// a dismissed popup. The rules are the core's, as for `<vitrine-follow>`.
    pub(crate) fn follow_event(
        &mut self,
        event: FollowEvent,
        click: Option<(&str, &str)>,
    ) -> Option<String> {
        let (platform, id) = self.creator.as_ref()?;
        let url = click.map(|click| crate::follow::intent_url(platform, id, Some(click)));
        self.follow = self.follow.next(event);
        let locale = self.locale();
        if let (Some(url), Some(root)) = (&url, self.root()) {
            apply(&root, &[Write::Attr("follow", "href", url)]);
        }
        self.follow_changed(locale);
        url
    }

    /// `follow`, `pending` or `following`.
    pub(crate) fn follow_state(&self) -> &'static str {
        self.follow.key()
    }

    fn root(&self) -> Option<Element> {
        self.host.shadow_root()?.first_element_child()
    }

    fn locale(&self) -> Locale {
        let lang = self.root().and_then(|r| r.get_attribute("lang"));
        Locale::from_tag(lang.as_deref())
    }

    /// Shows the byline's follow state: label, styling hook, and (bare) link.
    fn follow_changed(&self, locale: Locale) {
        let (Some(root), Some((platform, id))) = (self.root(), &self.creator) else {
            return;
        };
        let bare = crate::follow::intent_url(platform, id, None);
        let has_href = bindings::by_class(&root, "follow").is_some_and(|a| a.has_attribute("href"));
        let mut writes = alloc::vec![
            Write::Text("follow", self.follow.label(locale)),
            Write::Attr("follow", "data-follow", self.follow.key()),
            Write::Attr("follow", "target", "_blank"),
            Write::Attr("follow", "rel", "opener"),
        ];
        if !has_href {
            writes.push(Write::Attr("follow", "href", &bare));
        }
        apply(&root, &writes);
    }

    fn show(&mut self, root: &ShadowRoot, view: View, links: Links, value: JsValue) {
        let node = JsNode(value);
        match Item::from_node(&node) {
            Ok(item) => {
                let Some((content, live)) =
                    filled(&self.template, view, &links, &item, &self.click_id)
                else {
                    return;
                };
                bindings::replace_contents(root, &content);
                self.creator = Some((links.platform.clone(), item.creator.id.clone()));
                self.item_id = Some(item.id.clone());
                self.follow_changed(view.locale);
                if live {
                    self.shown = Some(Shown {
                        links,
                        locale: view.locale,
                        item_id: item.id,
                        store_url: item.store.url,
                        creator_id: item.creator.id,
                    });
                }
            }
            Err(e) => {
                // The item is unusable, but if its store link resolves the
                // reader can still reach the product (its canonical page).
                let link = node
                    .field("store")
                    .and_then(|s| s.field("url"))
                    .and_then(|u| u.as_string())
                    .and_then(|u| canonicalize(&u, &bindings::BrowserUrl, &links.registry).ok());
                let link = link.map(|c| c.url);
                self.fail(root, view, e.message(), link.as_deref());
            }
        }
    }

    /// The platform's answer for the URL [`render`](Self::render) returned:
    /// its HTTP status (0 when there was no answer) and its parsed JSON body
    /// (`undefined` when it was not JSON). Ignored when nothing is pending,
    /// so a late answer after another render or a destroy paints nothing.
    pub(crate) fn loaded(&mut self, status: u16, body: JsValue) {
        let Some((view, links, id, url)) = self.pending.take() else {
            return;
        };
        let Some(root) = self.host.shadow_root() else {
            return;
        };
        let problem = match status {
            200..=299 if !body.is_undefined() => return self.show(&root, view, links, body),
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
        self.fail(&root, view, problem, None);
    }

    /// Empties the shadow root; a pending answer will be ignored.
    pub(crate) fn destroy(&mut self) {
        self.pending = None;
        self.shown = None;
        if let Some(root) = self.host.shadow_root() {
            bindings::clear(&root);
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
    let article = bindings::first_element(&content)?;
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
    apply(&article, &[Write::Remove("fallback")]);
    Some(content)
}

/// A buy button that cannot be used: no `href`, announced as disabled.
const DISABLED_BUY: [Write<'static>; 2] = [
    Write::Attr("buy", "role", "link"),
    Write::Attr("buy", "aria-disabled", "true"),
];

/// A link out to the store: a new tab, marked as a paid placement, telling
/// the store which site sent the reader but not which page.
fn store_link_writes<'a>(class: &'static str, href: &'a str) -> [Write<'a>; 4] {
    [
        Write::Attr(class, "href", href),
        Write::Attr(class, "target", "_blank"),
        Write::Attr(class, "rel", "sponsored noopener"),
        Write::Attr(class, "referrerpolicy", "strict-origin-when-cross-origin"),
    ]
}

/// The filled card, and whether its buy link is live.
fn filled(
    template: &HtmlTemplateElement,
    view: View,
    links: &Links,
    item: &Item,
    click_id: &str,
) -> Option<(DocumentFragment, bool)> {
    let (content, article) = card(template, view, "ready")?;
    let locale = view.locale;
    let texts = locale.texts();
    let tag = locale.tag();
    bindings::set_attr(&article, "aria-labelledby", "title");

    let link = links.resolve(&item.store.url, &item.creator.id, click_id);
    let store_name: &str = match &link {
        Ok(out) => links.registry.rule(out.partner).name(locale),
        Err(_) => texts.other_store,
    };
    let price = bindings::format_money(tag, &item.price.currency, item.price.amount.as_str());
    let was = item
        .discounted_from()
        .map(|was| bindings::format_money(tag, &was.currency, was.amount.as_str()));
    let stock = item.stock_state();
    let stock_label = stock.label(locale);
    // In redirect mode the platform resolves the link (it may know partners
    // the SDK does not) and refuses it if it must; here only stock decides.
    let redirect = links.redirect_via.is_some();
    let live = stock != StockState::SoldOut && (redirect || link.is_ok());
    let buy_label = if live {
        locale.buy_label(store_name)
    } else if stock == StockState::SoldOut {
        texts.sold_out.into()
    } else {
        texts.unavailable.into()
    };

    let mut writes = Vec::with_capacity(24);
    writes.extend([
        Write::Attr("image", "src", &item.image),
        Write::Attr("image", "alt", &item.title),
        Write::Text("title", &item.title),
        Write::Text("partner", store_name),
        Write::Attr("avatar", "src", &item.creator.avatar),
        Write::Text("name", &item.creator.name),
        Write::Text("says", texts.recommends),
        Write::Text("reason", &item.reason),
        Write::Text("price", &price),
        Write::Attr("stock", "data-stock", stock.key()),
        Write::Text("stock", &stock_label),
        Write::Text("buy", &buy_label),
        Write::Remove("fallback"),
    ]);
    if item.creator.verified {
        writes.extend([
            Write::Attr("verified", "aria-label", texts.verified),
            Write::Attr("verified", "title", texts.verified),
        ]);
    } else {
        writes.push(Write::Remove("verified"));
    }
    match &was {
        Some(was) => writes.extend([
            Write::Text("sr", texts.original_price),
            Write::Text("was", was),
        ]),
        None => writes.push(Write::Remove("original")),
    }
    match &link {
        // Redirect mode: the signed link comes from the platform next.
        _ if live && redirect => writes.push(Write::Attr("buy", "data-pending", "")),
        Ok(out) if live => writes.extend(store_link_writes("buy", &out.web)),
        _ => writes.extend(DISABLED_BUY),
    }
    apply(&article, &writes);
    if let (Err(e), false) = (link, redirect) {
        bindings::warn(
            &[
                "item.store.url was refused (",
                e.reason(),
                "); buying is disabled",
            ]
            .concat(),
        );
    }
    Some((content, live))
}

/// The compact fallback, in the card's own box, after one console warning.
fn fallback(
    root: &ShadowRoot,
    template: &HtmlTemplateElement,
    view: View,
    problem: &str,
    link: Option<&str>,
) {
    bindings::warn(problem);
    let Some((content, article)) = card(template, view, "error") else {
        return;
    };
    let texts = view.locale.texts();
    bindings::set_attr(&article, "aria-label", texts.fallback);
    apply(&article, &[Write::Text("message", texts.fallback)]);
    if let Some(link) = link {
        apply(&article, &store_link_writes("store", link));
        apply(&article, &[Write::Text("store", texts.fallback_link)]);
    }
    bindings::replace_contents(root, &content);
}
