//! Every call into the browser, in one place.
//!
//! The rest of the SDK speaks Rust types; this file is the only one that
//! names web-sys or js-sys. It is the seam to read when auditing what the SDK
//! does to a host page, and to measure when counting what the wasm costs:
//! each function here is one small import in the JS glue.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Object, Reflect, JSON};
use vitrine_core::link::{ParsedUrl, UrlParser};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    DocumentFragment, Element, HtmlTemplateElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

#[wasm_bindgen]
extern "C" {
    /// `Intl.NumberFormat`, declared by hand: js-sys's typed option builders
    /// cost more bytes than the two calls the card needs.
    #[wasm_bindgen(js_namespace = Intl, js_name = NumberFormat)]
    #[derive(Clone)]
    type NumberFormat;
    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "NumberFormat")]
    fn new(locale: &str, options: &JsValue) -> Result<NumberFormat, JsValue>;
    /// `format` takes a decimal *string* exactly (Intl.NumberFormat v3), so a
    /// price never passes through a binary float.
    #[wasm_bindgen(method, js_name = format)]
    fn format_decimal(this: &NumberFormat, amount: &str) -> String;

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}

/// A value for the one thread there is. wasm32-unknown-unknown built without
/// the `atomics` feature (as here) cannot run threads, so nothing can observe
/// this from two at once; `thread_local!` would say the same but needs std.
struct SingleThreaded<T>(T);

#[allow(unsafe_code)]
// SAFETY: see above; this crate is only ever instantiated on one thread.
unsafe impl<T> Sync for SingleThreaded<T> {}

/// `Intl.NumberFormat`s already built, by locale and currency: building one
/// is the slow part of formatting a price (a page may mount 1,000 cards).
static NUMBER_FORMATS: SingleThreaded<RefCell<Vec<CachedFormat>>> =
    SingleThreaded(RefCell::new(Vec::new()));

/// A formatter with the locale and currency it was built for.
type CachedFormat = (&'static str, String, NumberFormat);

/// The host's open shadow root. The JS shell attaches it first, with the
/// stylesheet adopted and a skeleton inside, so that the card's box exists
/// before the wasm has even loaded; this only attaches one if it is missing.
pub(crate) fn shadow_root(host: &Element) -> Option<ShadowRoot> {
    match host.shadow_root() {
        Some(root) => Some(root),
        None => host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok(),
    }
}

/// A fresh copy of the card's static template. Only static markup comes
/// from it; data goes in with [`set_text`] and [`set_attr`].
pub(crate) fn clone_template(template: &HtmlTemplateElement) -> Option<DocumentFragment> {
    template
        .content()
        .clone_node_with_deep(true)
        .ok()?
        .dyn_into()
        .ok()
}

/// Replaces everything in the shadow root with `content`.
pub(crate) fn replace_contents(root: &ShadowRoot, content: &DocumentFragment) {
    root.replace_children_with_node_1(content);
}

/// Empties the shadow root.
pub(crate) fn clear(root: &ShadowRoot) {
    root.replace_children_with_node_0();
}

/// The template's root element (the `<article>`).
pub(crate) fn first_element(scope: &DocumentFragment) -> Option<Element> {
    scope.first_element_child()
}

/// The first element with `class` inside `scope`.
pub(crate) fn by_class(scope: &Element, class: &str) -> Option<Element> {
    scope.get_elements_by_class_name(class).item(0)
}

/// Sets text: always `textContent`, never markup.
pub(crate) fn set_text(el: &Element, text: &str) {
    el.set_text_content(Some(text));
}

pub(crate) fn set_attr(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

pub(crate) fn unset_attr(el: &Element, name: &str) {
    let _ = el.remove_attribute(name);
}

pub(crate) fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name)
}

/// A deep copy of `el` (a list row of the template), appended to `parent`.
pub(crate) fn append_copy(parent: &Element, el: &Element) -> Option<Element> {
    let copy: Element = el.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    parent.append_child(&copy).ok()?;
    Some(copy)
}

pub(crate) fn remove(el: &Element) {
    el.remove();
}

/// One console line, always prefixed, so a host sees at a glance who spoke.
pub(crate) fn warn(message: &str) {
    let mut line = String::with_capacity(message.len() + 9);
    line.push_str("vitrine: ");
    line.push_str(message);
    console_warn(&line);
}

/// Formats a decimal string with `Intl.NumberFormat` in `locale`, with the
/// formatter for `style`: a currency code (`CNY`), `compact` or `plain`.
/// Formatters are cached per locale and style (building one is the slow
/// part). `None` if the browser refuses the style.
fn format_number(locale: &'static str, style: &str, decimal: &str) -> Option<String> {
    let mut formats = NUMBER_FORMATS.0.try_borrow_mut().ok()?;
    let cached = formats
        .iter()
        .find(|(l, s, _)| *l == locale && s == style)
        .map(|(_, _, f)| f.clone());
    let format = match cached {
        Some(f) => f,
        None => {
            let options = Object::new();
            let set = |key: &str, value: &JsValue| {
                let _ = Reflect::set(&options, &key.into(), value);
            };
            match style {
                "compact" => {
                    set("notation", &"compact".into());
                    set(
                        "maximumSignificantDigits",
                        &JsValue::from(vitrine_core::follow::COMPACT_DIGITS),
                    );
                }
                "plain" => {}
                currency => {
                    set("style", &"currency".into());
                    set("currency", &currency.into());
                }
            }
            let f = NumberFormat::new(locale, &options).ok()?;
            formats.push((locale, style.to_owned(), f.clone()));
            f
        }
    };
    Some(format.format_decimal(decimal))
}

/// A decimal amount as money (`¥199.00`); `CNY 199.00` if the browser
/// refuses the currency.
pub(crate) fn format_money(locale: &'static str, currency: &str, amount: &str) -> String {
    format_number(locale, currency, amount).unwrap_or_else(|| [currency, " ", amount].concat())
}

/// A count, compactly (`1.28万`, `12.8K`) or in full (`8,930`).
pub(crate) fn format_count(locale: &'static str, count: u64, compact: bool) -> String {
    let mut digits = String::new();
    vitrine_core::locale::push_decimal(&mut digits, count);
    format_number(locale, if compact { "compact" } else { "plain" }, &digits).unwrap_or(digits)
}

/// The browser's own WHATWG URL parser, as the core's [`UrlParser`]: the
/// same parser that will follow the link, and no URL tables in the wasm.
pub struct BrowserUrl;

impl UrlParser for BrowserUrl {
    fn parse(&self, input: &str) -> Option<ParsedUrl> {
        let url = web_sys::Url::new(input).ok()?;
        let scheme = url.protocol();
        let search = url.search();
        Some(ParsedUrl {
            scheme: scheme.strip_suffix(':').unwrap_or(&scheme).to_owned(),
            userinfo: !url.username().is_empty() || !url.password().is_empty(),
            host: url.hostname(),
            path: url.pathname(),
            query: search.strip_prefix('?').unwrap_or(&search).to_owned(),
        })
    }
}

/// `JSON.parse`, with failure as `None`.
pub(crate) fn parse_json(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

/// A property of a JS object; `None` for absent, `undefined` and `null`.
pub(crate) fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    if !object.is_object() {
        return None;
    }
    let v = Reflect::get(object, &JsValue::from_str(key)).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// Element `index` of a JS array; `None` for anything else, holes and `null`.
pub(crate) fn element(array: &JsValue, index: usize) -> Option<JsValue> {
    if !js_sys::Array::is_array(array) {
        return None;
    }
    let v = Reflect::get_u32(array, u32::try_from(index).ok()?).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

pub(crate) fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !js_sys::Array::is_array(v)
}
