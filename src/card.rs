//! The showcase card: from options (and the platform's answer) to a plan.
//!
//! A render is one of three states of the same box: `loading` (the skeleton,
//! while the item is fetched by id), `ready`, or `error` (the fallback). The
//! template is static markup; item data only ever enters as text and as
//! attributes whose URLs passed the core's checks. The buy link is never the
//! creator's link as given: it is the partner's canonical page, rebuilt by
//! link resolution, with a fresh click id per click.
//!
//! The plan's header, in order: `state`, the URL to `fetch` (loading only),
//! the `item` and `creator` ids shown, `live` (`1` when buying works), the
//! `store` link to re-resolve on each click (direct mode), the `problem`
//! (why it fell back, for the `render_error` beacon), one `warning` for the
//! console, the `unavailable` label (for a refusal in redirect mode) and the
//! byline's follow `intent` URL.

use crate::byline::{follow_control, verified};
use crate::options::{self, Answer};
use crate::plan::{Plan, US};
use alloc::string::String;
use vitrine_core::field::{is_id, is_placement};
use vitrine_core::follow::intent_url;
use vitrine_core::in_app::{InApp, Sheet};
use vitrine_core::item::{Item, StockState};
use vitrine_core::json::Node;
use vitrine_core::link::{canonicalize, prefers_app, resolve};
use vitrine_core::locale::Locale;
use vitrine_core::partner::Attribution;
use vitrine_core::partner::Registry;
use vitrine_core::plan::CardField;
use vitrine_core::url::UrlParser;

/// How the card looks, read from the options.
#[derive(Clone, Copy)]
struct View {
    locale: Locale,
    theme: &'static str,
    layout: &'static str,
}

impl View {
    fn read<N: Node>(options: &N) -> View {
        View {
            locale: options::locale(options),
            theme: options::theme(options),
            layout: if options::is(options, "layout", "compact") {
                "compact"
            } else {
                "full"
            },
        }
    }

    /// The root's attributes for `state`.
    fn root(self, plan: &mut Plan, state: &str) {
        plan.attr("", "data-state", state)
            .attr("", "data-theme", self.theme)
            .attr("", "data-layout", self.layout)
            .attr("", "lang", self.locale.tag());
    }
}

/// What a card's links need, read from the options: the platform's publisher
/// id and where the card is placed. The SDK knows the four built-in
/// partners; stores a platform configures are resolved by the platform
/// itself, through its signed redirect (`/r/`), so their rules never need to
/// reach the browser.
struct Links {
    registry: Registry,
    placement: String,
}

impl Links {
    fn read<N: Node>(options: &N) -> Links {
        Links {
            registry: Registry::new(options::string(options, "publisher").as_deref()),
            placement: options::string(options, "placement")
                .filter(|p| is_placement(p))
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}

/// The card for `options`, given the platform's `answer` when the item is
/// fetched by id (`None` before it arrives).
pub(crate) fn plan<N: Node>(options: &N, answer: Option<&N>, urls: &dyn UrlParser) -> String {
    let view = View::read(options);
    if let Some(item) = options.field("item") {
        return show(options, view, &item, urls);
    }
    if let Some(error) = options::string(options, "itemJsonError") {
        let problem = ["the inline item JSON does not parse (", &error, ")"].concat();
        return fallback(view, &problem, None);
    }
    let Some(id) = options::string(options, "itemId") else {
        return fallback(
            view,
            "no item to show: set the item attribute (itemId) or put the item's JSON inside the element",
            None,
        );
    };
    if !is_id(&id) {
        return fallback(view, &options::bad_id("item", &id), None);
    }
    let url = [&options::platform(options), "/v1/items/", id.as_str()].concat();
    let Some(answer) = Answer::read(answer) else {
        let mut plan = Plan::new("loading");
        plan.head(CardField::Fetch, &url);
        view.root(&mut plan, "loading");
        plan.attr("", "aria-busy", "true")
            .attr("", "aria-label", view.locale.texts().loading)
            .remove("fallback");
        return plan.finish();
    };
    if let Some(body) = answer.ok() {
        return show(options, view, body, urls);
    }
    let problem = match answer.status {
        200..=299 => ["the platform's answer for item ", &id, " is not JSON"].concat(),
        0 => ["the platform could not be reached at ", &url].concat(),
        404 => ["item ", &id, " is not known to the platform (404)"].concat(),
        status => {
            let mut s = String::from("the platform answered HTTP ");
            vitrine_core::locale::push_decimal(&mut s, status.into());
            s.push_str(" for item ");
            s.push_str(&id);
            s
        }
    };
    fallback(view, &problem, None)
}

/// The buy link for one click, as fields separated by [`US`]: the
/// partner's page with this click's id; its app link when `user_agent` is a
/// phone's browser (else empty); then, in a chat app's browser
/// ([`InApp`]), its key (for the click event), and where the app may refuse
/// the partner's page, the sheet the button opens instead: `blocked` (known
/// refused) or `offer` (not known: going on here is offered too), the
/// locale, the app's name and the store's, for the sheet's words. Empty
/// when the link is refused.
pub(crate) fn buy_link<N: Node>(
    options: &N,
    store_url: &str,
    creator_id: &str,
    click_id: &str,
    user_agent: &str,
    urls: &dyn UrlParser,
) -> String {
    let links = Links::read(options);
    let attribution = Attribution {
        click_id,
        creator_id,
        placement_id: &links.placement,
    };
    let Ok(out) = resolve(store_url, urls, &links.registry, &attribution) else {
        return String::new();
    };
    // In a chat app's browser: never an app scheme (refused there), and
    // where the app may refuse the partner's page, the sheet's words.
    let in_app = InApp::of(user_agent);
    let mut link = out.web;
    link.push(US);
    if let Some(app) = out
        .app
        .filter(|_| in_app.is_none() && prefers_app(user_agent))
    {
        link.push_str(&app);
    }
    let Some(in_app) = in_app else {
        return link;
    };
    link.push(US);
    link.push_str(in_app.key());
    let sheet = in_app.sheet(out.partner);
    if sheet != Sheet::None {
        let locale = options::locale(options);
        let zh = locale == Locale::ZhCn;
        for field in [
            if sheet == Sheet::Blocked {
                "blocked"
            } else {
                "offer"
            },
            locale.tag(),
            in_app.name(zh),
            links.registry.rule(out.partner).name(locale),
        ] {
            link.push(US);
            link.push_str(field);
        }
    }
    link
}

/// Whether `url` is a signed link of `platform`'s (`/r/…`), the only kind
/// the buy button takes in redirect mode.
pub(crate) fn is_signed_link(url: &str, platform: &str) -> bool {
    url.strip_prefix(options::trim_trailing_slashes(platform))
        .and_then(|rest| rest.strip_prefix("/r/"))
        .is_some_and(|token| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// The item, validated and shown; the fallback if it is unusable.
fn show<N: Node>(options: &N, view: View, value: &N, urls: &dyn UrlParser) -> String {
    let links = Links::read(options);
    match Item::from_node(value) {
        Ok(item) => filled(options, view, &links, &item, urls),
        Err(e) => {
            // The item is unusable, but if its store link resolves the
            // reader can still reach the product (its canonical page).
            let link = value
                .field("store")
                .and_then(|s| s.field("url"))
                .and_then(|u| u.as_string())
                .and_then(|u| canonicalize(&u, urls, &links.registry).ok());
            fallback(view, &e.message(), link.map(|c| c.url).as_deref())
        }
    }
}

/// The filled card.
fn filled<N: Node>(
    options: &N,
    view: View,
    links: &Links,
    item: &Item,
    urls: &dyn UrlParser,
) -> String {
    let locale = view.locale;
    let texts = locale.texts();
    let tag = locale.tag();
    let click_id = options::string(options, "clickId").unwrap_or_default();
    let attribution = Attribution {
        click_id: &click_id,
        creator_id: &item.creator.id,
        placement_id: &links.placement,
    };
    let link = resolve(&item.store.url, urls, &links.registry, &attribution);
    let store_name: &str = match &link {
        Ok(out) => links.registry.rule(out.partner).name(locale),
        Err(_) => texts.other_store,
    };
    let stock = item.stock_state();
    // In redirect mode the platform resolves the link (it may know partners
    // the SDK does not) and refuses it if it must; here only stock decides.
    let redirect = options::is(options, "linkMode", "redirect");
    let live = stock != StockState::SoldOut && (redirect || link.is_ok());
    let buy_label = if live {
        locale.buy_label(store_name)
    } else if stock == StockState::SoldOut {
        texts.sold_out.into()
    } else {
        texts.unavailable.into()
    };
    let warning = match (&link, redirect) {
        (Err(e), false) => [
            "item.store.url was refused (",
            e.reason(),
            "); buying is disabled",
        ]
        .concat(),
        _ => String::new(),
    };
    let intent = intent_url(&options::platform(options), &item.creator.id);
    let direct = live && !redirect;
    let mut plan = Plan::new("ready");
    plan.head(CardField::Item, &item.id)
        .head(CardField::Creator, &item.creator.id)
        .head(CardField::Live, if live { "1" } else { "" })
        .head(CardField::Store, if direct { &item.store.url } else { "" })
        .head(CardField::Warning, &warning)
        .head(CardField::Unavailable, texts.unavailable)
        .head(CardField::Intent, &intent);
    view.root(&mut plan, "ready");
    plan.attr("", "aria-labelledby", "title")
        .attr("image", "src", &item.image)
        .attr("image", "alt", &item.title)
        .text("title", &item.title)
        .text("partner", store_name)
        .text("disclosure", texts.disclosure)
        .attr("avatar", "src", &item.creator.avatar)
        .text("name", &item.creator.name)
        .text("says", texts.recommends)
        .text("reason", &item.reason)
        .write(
            "m",
            &[
                "price",
                tag,
                &item.price.currency,
                item.price.amount.as_str(),
            ],
        )
        .attr("stock", "data-stock", stock.key())
        .text("stock", &stock.label(locale))
        .text("buy", &buy_label)
        .remove("fallback");
    verified(&mut plan, item.creator.verified, locale);
    match item.discounted_from() {
        Some(was) => plan
            .text("sr", texts.original_price)
            .write("m", &["was", tag, &was.currency, was.amount.as_str()]),
        None => plan.remove("original"),
    };
    match &link {
        // Redirect mode: the signed link comes from the platform next.
        _ if live && redirect => plan.attr("buy", "data-pending", ""),
        Ok(out) if live => plan.store_link("buy", &out.web),
        _ => disabled_buy(&mut plan),
    };
    follow_control(&mut plan, locale, &intent);
    plan.finish()
}

/// A buy button that cannot be used: no `href`, announced as disabled.
fn disabled_buy(plan: &mut Plan) -> &mut Plan {
    plan.attr("buy", "role", "link")
        .attr("buy", "aria-disabled", "true")
}

/// The compact fallback, in the card's own box.
fn fallback(view: View, problem: &str, link: Option<&str>) -> String {
    let texts = view.locale.texts();
    let mut plan = Plan::new("error");
    plan.head(CardField::Problem, problem)
        .head(CardField::Warning, problem);
    view.root(&mut plan, "error");
    plan.attr("", "aria-label", texts.fallback)
        .text("message", texts.fallback);
    if let Some(link) = link {
        plan.store_link("store", link)
            .text("store", texts.fallback_link);
    }
    plan.finish()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::plan::{records, written};
    use serde_json::{json, Value};
    use vitrine_core::whatwg::UrlCrate;

    fn item() -> Value {
        json!({
          "id": "itm_1", "title": "<b>Mug</b>", "image": "https://img.example/mug.jpg",
          "reason": "<img src=x onerror=alert(1)>", "price": {"amount": "1234.5", "currency": "CNY"},
          "original_price": {"amount": "1500", "currency": "CNY"},
          "stock": 3, "store": {"url": "https://detail.tmall.com/item.htm?id=1&spm=noise"},
          "creator": {"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg", "followers": 3, "verified": false}
        })
    }

    fn card(options: Value, answer: Option<Value>) -> String {
        plan(&options, answer.as_ref(), &UrlCrate)
    }

    fn header(plan: &str) -> Vec<&str> {
        records(plan).remove(0)
    }

    #[test]
    fn an_inline_item_is_shown_as_text_with_a_canonical_buy_link() {
        let p = card(
            json!({"item": item(), "locale": "en", "platform": "https://p.example/", "clickId": "c1", "placement": "blog"}),
            None,
        );
        let h = header(&p);
        assert_eq!(
            &h[..6],
            [
                "ready",
                "",
                "itm_1",
                "cr_1",
                "1",
                "https://detail.tmall.com/item.htm?id=1&spm=noise"
            ]
        );
        assert_eq!(h[9], "https://p.example/intent/follow?creator=cr_1");
        assert_eq!(written(&p, "t", "title", ""), Some("<b>Mug</b>"));
        assert_eq!(
            written(&p, "t", "reason", ""),
            Some("<img src=x onerror=alert(1)>")
        );
        assert_eq!(written(&p, "t", "stock", ""), Some("Only 3 left"));
        assert_eq!(written(&p, "t", "buy", ""), Some("Buy on Tmall"));
        let href = written(&p, "a", "buy", "href").unwrap();
        assert!(
            href.starts_with("https://detail.tmall.com/item.htm?id=1"),
            "{href}"
        );
        assert!(
            href.contains("c1") && href.contains("blog") && !href.contains("noise"),
            "{href}"
        );
        assert_eq!(written(&p, "a", "buy", "rel"), Some("sponsored noopener"));
        assert_eq!(written(&p, "r", "verified", ""), Some(""));
        let money: Vec<_> = records(&p).into_iter().filter(|r| r[0] == "m").collect();
        assert_eq!(
            money,
            [
                ["m", "price", "en", "CNY", "1234.5"],
                ["m", "was", "en", "CNY", "1500"]
            ]
        );
        assert_eq!(written(&p, "a", "follow", "href"), Some(h[9]));
        assert_eq!(written(&p, "t", "disclosure", ""), Some("Ad"));
    }

    /// Every shown card says it is advertising, in the reader's language
    /// (China's Internet Advertising Measures: "广告"; the FTC: "Ad").
    #[test]
    fn every_shown_card_carries_the_disclosure_in_its_locale() {
        let zh = card(json!({"item": item()}), None);
        assert_eq!(written(&zh, "t", "disclosure", ""), Some("广告"));
        let mut sold_out = item();
        sold_out["stock"] = json!(0);
        let en = card(json!({"item": sold_out, "locale": "en-GB"}), None);
        assert_eq!(
            written(&en, "t", "disclosure", ""),
            Some("Ad"),
            "a card that cannot be bought is labelled too"
        );
    }

    #[test]
    fn by_id_it_asks_for_the_item_then_shows_the_answer() {
        let options = json!({"itemId": "itm_1", "platform": "https://p.example"});
        let p = card(options.clone(), None);
        assert_eq!(
            &header(&p)[..2],
            ["loading", "https://p.example/v1/items/itm_1"]
        );
        assert_eq!(written(&p, "a", "", "aria-busy"), Some("true"));
        let p = card(
            options.clone(),
            Some(json!({"status": 200, "body": item()})),
        );
        assert_eq!(header(&p)[0], "ready");
        let p = card(options.clone(), Some(json!({"status": 404})));
        assert_eq!(&header(&p)[..1], ["error"]);
        assert_eq!(
            header(&p)[6],
            "item itm_1 is not known to the platform (404)"
        );
        let p = card(options, Some(json!({"status": 0})));
        assert_eq!(
            header(&p)[6],
            "the platform could not be reached at https://p.example/v1/items/itm_1"
        );
    }

    #[test]
    fn bad_data_falls_back_naming_the_field_and_keeps_a_safe_store_link() {
        let mut bad = item();
        bad["price"]["amount"] = json!("-1");
        let p = card(json!({"item": bad, "locale": "en"}), None);
        let h = header(&p);
        assert_eq!(h[0], "error");
        assert_eq!(
            h[6],
            "item.price.amount must be a non-negative decimal string"
        );
        assert_eq!(
            written(&p, "a", "store", "href"),
            Some("https://detail.tmall.com/item.htm?id=1")
        );
        assert_eq!(written(&p, "t", "store", ""), Some("View in store"));

        let mut unsafe_link = item();
        unsafe_link["title"] = json!("");
        unsafe_link["store"]["url"] = json!("javascript:alert(1)");
        let p = card(json!({"item": unsafe_link}), None);
        assert_eq!(
            header(&p)[6],
            "item.title must be a non-empty string of at most 200 characters"
        );
        assert_eq!(
            written(&p, "a", "store", "href"),
            None,
            "no link when it is unsafe"
        );

        let p = card(json!({"itemId": "../etc"}), None);
        assert!(header(&p)[6].starts_with("item id \"../etc\" is not an id"));
        let p = card(json!({"itemJsonError": "Unexpected token"}), None);
        assert_eq!(
            header(&p)[6],
            "the inline item JSON does not parse (Unexpected token)"
        );
    }

    #[test]
    fn a_refused_link_or_no_stock_disables_buying() {
        let mut refused = item();
        refused["store"]["url"] = json!("https://evil.example/item.htm?id=1");
        let p = card(json!({"item": refused, "locale": "en"}), None);
        let h = header(&p);
        assert_eq!((h[0], h[4], h[5]), ("ready", "", ""));
        assert_eq!(
            h[7],
            "item.store.url was refused (unknown-host); buying is disabled"
        );
        assert_eq!(written(&p, "a", "buy", "href"), None);
        assert_eq!(written(&p, "a", "buy", "aria-disabled"), Some("true"));
        assert_eq!(written(&p, "t", "buy", ""), Some("Unavailable"));

        let mut sold = item();
        sold["stock"] = json!(0);
        let p = card(
            json!({"item": sold, "locale": "en", "linkMode": "redirect"}),
            None,
        );
        assert_eq!(header(&p)[4], "");
        assert_eq!(written(&p, "t", "buy", ""), Some("Sold out"));
    }

    #[test]
    fn redirect_mode_waits_for_the_platforms_signed_link() {
        let p = card(json!({"item": item(), "linkMode": "redirect"}), None);
        let h = header(&p);
        assert_eq!((h[4], h[5]), ("1", ""), "live, but no link to resolve here");
        assert_eq!(written(&p, "a", "buy", "data-pending"), Some(""));
        assert_eq!(written(&p, "a", "buy", "href"), None);
        assert!(is_signed_link(
            "https://p.example/r/abc.DEF-1_2",
            "https://p.example/"
        ));
        for bad in [
            "https://p.example/r/",
            "https://p.example/x/abc",
            "https://p.example.evil/r/abc",
            "https://evil.example/r/abc",
            "https://p.example/r/a\"b",
        ] {
            assert!(!is_signed_link(bad, "https://p.example"), "{bad}");
        }
    }

    #[test]
    fn each_click_gets_its_own_id_and_phones_the_app_first() {
        let options = json!({"placement": "blog"});
        let store = "https://item.taobao.com/item.htm?id=42";
        let desktop = buy_link(
            &options,
            store,
            "cr_1",
            "c1",
            "Mozilla/5.0 (X11; Linux)",
            &UrlCrate,
        );
        assert!(
            desktop.starts_with("https://item.taobao.com/item.htm?id=42") && desktop.contains("c1")
        );
        assert!(desktop.ends_with(US), "no app link on a desktop: {desktop}");
        let phone = buy_link(
            &options,
            store,
            "cr_1",
            "c2",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)",
            &UrlCrate,
        );
        let (web, app) = phone.split_once(US).expect("an app link on phones");
        assert!(web.contains("c2") && !web.contains("c1"));
        assert!(app.starts_with("taobao://"), "{app}");
        assert_eq!(
            buy_link(&options, "javascript:1", "cr_1", "c3", "", &UrlCrate),
            ""
        );
    }

    const WECHAT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
    const WEIBO: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Weibo (iPhone15,2__weibo__14.6.2__iphone__os17.5)";

    /// In a chat app's browser the button never tries an app scheme, and
    /// where the app may refuse the page, it carries the sheet's words.
    #[test]
    fn in_chat_apps_no_app_attempt_and_a_sheet_where_the_page_may_be_refused() {
        let fields = |options: Value, store: &str, ua: &str| -> Vec<String> {
            buy_link(&options, store, "cr_1", "c1", ua, &UrlCrate)
                .split(US)
                .map(String::from)
                .collect()
        };
        let taobao = "https://item.taobao.com/item.htm?id=42";
        let wechat = fields(json!({}), taobao, WECHAT);
        assert!(wechat[0].starts_with("https://item.taobao.com/") && wechat[0].contains("c1"));
        assert_eq!(
            wechat[1], "",
            "no taobao:// inside WeChat, though it is a phone"
        );
        assert_eq!(
            &wechat[2..],
            ["wechat", "blocked", "zh-CN", "微信", "淘宝"],
            "refused: the sheet, with no way on here"
        );
        let jd = "https://item.jd.com/100012345.html";
        assert_eq!(
            &fields(json!({}), jd, WECHAT)[1..],
            ["", "wechat"],
            "JD opens inside WeChat: no sheet, the environment only"
        );
        let weibo = fields(json!({"locale": "en"}), jd, WEIBO);
        assert_eq!(weibo[1], "");
        assert_eq!(
            &weibo[2..],
            ["weibo", "offer", "en", "Weibo", "JD"],
            "not known either way: offered"
        );
    }
}
