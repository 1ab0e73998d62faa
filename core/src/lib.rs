//! Vitrine's pure core: the item model and its validation, money amounts,
//! partner link resolution and attribution, and the display rules of the
//! showcase card.
//!
//! Both sides of the wire use this crate: the SDK (compiled to wasm) and the
//! reference platform (native). It touches neither the DOM nor the network,
//! so `cargo test` runs all of it natively.
//!
//! ```
//! use vitrine_core::{item::Item, json::Node, locale::Locale};
//! let value: serde_json::Value = serde_json::from_str(r#"{
//!   "id": "itm_1", "title": "Mug", "image": "https://img.example/mug.jpg",
//!   "reason": "I drink from it every morning.",
//!   "price": {"amount": "59.00", "currency": "CNY"}, "stock": 3,
//!   "store": {"url": "https://item.taobao.com/item.htm?id=1"},
//!   "creator": {"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg",
//!               "followers": 1200, "verified": true}
//! }"#).unwrap();
//! let item = Item::from_node(&value).unwrap();
//! assert_eq!(item.stock_state().label(Locale::En), "Only 3 left");
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// No std: the SDK that embeds this crate ships without std's panic and
// formatting machinery (about 2.5 KB gzip of wasm).
extern crate alloc;

pub mod amount;
pub mod event;
pub mod field;
pub mod follow;
pub mod image_url;
pub mod in_app;
pub mod item;
pub mod json;
pub mod link;
pub mod locale;
pub mod outbox;
pub mod partner;
pub mod plan;
pub mod proof;
pub mod traffic;
pub mod url;
pub mod viewable;
#[cfg(feature = "url")]
pub mod whatwg;
