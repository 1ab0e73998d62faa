//! Lets the core validate a JS object in place: no serde, no copy into Rust
//! structures first, and every property read is one `Reflect.get`.

use crate::bindings;
use alloc::string::String;
use vitrine_core::json::Node;
use wasm_bindgen::JsValue;

/// A JS value seen through the core's [`Node`] trait.
pub(crate) struct JsNode(pub JsValue);

impl Node for JsNode {
    fn field(&self, key: &str) -> Option<Self> {
        bindings::get(&self.0, key).map(JsNode)
    }
    fn element(&self, index: usize) -> Option<Self> {
        bindings::element(&self.0, index).map(JsNode)
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
        bindings::is_plain_object(&self.0)
    }
}
