//! Every call into the browser, in one place.
//!
//! The rest of the SDK is pure: options and the platform's answers in, a
//! render plan out. This file is the only one that names js-sys or declares
//! a JS import: how the wasm reads a JS object, and the browser's own URL
//! parser. It is the seam to read when auditing what the wasm does to a
//! host page: nothing but read what it is handed.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Reflect};
use vitrine_core::json::Node;
use vitrine_core::url::{ParsedUrl, UrlParser};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function parse_url(s) {
  try {
    const u = new URL(s);
    // Strings only, no arrays: a host page may have replaced Array's methods.
    const f = (text) => '\\x1f' + text.replaceAll('\\x1f', '\\ufffd');
    let out = u.protocol.slice(0, -1) + f(u.username || u.password ? '1' : '') + f(u.hostname) + f(u.pathname);
    u.searchParams.forEach((value, name) => (out += f(name) + f(value)));
    return out;
  } catch {
    return '';
  }
}")]
extern "C" {
    /// `new URL(s)`, serialised as the fields [`ParsedUrl`] needs (the
    /// query as `URLSearchParams` decodes it, name and value by turns): one
    /// import instead of a constructor and six getters.
    fn parse_url(input: &str) -> String;
}

/// The browser's own WHATWG URL parser, as the core's [`UrlParser`]: the
/// same parser that will follow the link, and no URL tables in the wasm.
pub struct BrowserUrl;

impl UrlParser for BrowserUrl {
    fn parse(&self, input: &str) -> Option<ParsedUrl> {
        let parsed = parse_url(input);
        let mut fields = parsed.split(crate::plan::US);
        let mut next = || fields.next().map(String::from);
        let (scheme, userinfo, host, path) = (next()?, next()?, next()?, next()?);
        let mut query = Vec::new();
        while let Some(name) = next() {
            query.push((name, next().unwrap_or_default()));
        }
        Some(ParsedUrl {
            scheme,
            userinfo: !userinfo.is_empty(),
            host,
            path,
            query,
        })
    }
}

/// A JS value seen through the core's [`Node`] trait: validation reads the
/// object in place (no serde, no copy into Rust structures first), one
/// `Reflect.get` per property read.
pub struct JsNode(pub JsValue);

/// `None` for `undefined` and `null`, as the wire format treats them.
fn present(v: JsValue) -> Option<JsNode> {
    (!v.is_undefined() && !v.is_null()).then_some(JsNode(v))
}

impl Node for JsNode {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        present(Reflect::get(&self.0, &JsValue::from_str(key)).ok()?)
    }
    fn element(&self, index: usize) -> Option<Self> {
        if !Array::is_array(&self.0) {
            return None;
        }
        present(Reflect::get_u32(&self.0, u32::try_from(index).ok()?).ok()?)
    }
    fn as_string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn as_number(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn is_object(&self) -> bool {
        self.0.is_object() && !Array::is_array(&self.0)
    }
}
