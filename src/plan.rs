//! A render plan: what an element shows, as one string the shell applies.
//!
//! The wasm decides (validation, links, words, states); the JS shell does
//! the DOM. Handing the shell one string instead of calling the DOM from
//! Rust keeps web-sys, the per-method shims and the externref traffic out
//! of the wasm (about two thirds of its bytes), and makes every render a
//! pure function that `cargo test` checks natively.
//!
//! The format: records separated by [`RS`], fields by [`US`]. The first
//! record is the header, whose fields are named once for each element in
//! `vitrine_core::plan` (and injected into the shell by the build); every other
//! record is one write, its first field the operation:
//!
//! | op | fields | what the shell does |
//! |---|---|---|
//! | `t` | class, text | `textContent` of the first element with `class` in the scope |
//! | `a` | class, name, value | `setAttribute` |
//! | `u` | class, name | `removeAttribute` |
//! | `r` | class | removes the element |
//! | `m` | class, locale, currency, amount | money text by `Intl.NumberFormat` (`CUR amount` if refused) |
//! | `n` | class, locale, digits, significant digits (empty: in full), suffix | a count by `Intl.NumberFormat`, then the suffix |
//! | `+` | list class, row class | a deep copy of the row appended to the list becomes the scope |
//! | `@` | | the scope is the element's root again |
//!
//! An empty class is the scope itself (the element's root at first). Data
//! can never forge a record: [`RS`] and [`US`] inside a value are replaced,
//! so every value stays the value of the field it was written for.

use alloc::string::String;
pub use vitrine_core::plan::{RS, US};

/// A plan being written: the header, then writes.
pub struct Plan {
    text: String,
    /// Separators the header has so far: its field `n` follows the `n`th.
    separators: u8,
}

impl Plan {
    /// A plan whose header's state (every element's first field) is `state`.
    pub fn new(state: &str) -> Plan {
        let mut plan = Plan {
            text: String::with_capacity(512),
            separators: 0,
        };
        plan.push(state);
        plan
    }

    /// Header field `field` (one of the element's `vitrine_core::plan`
    /// fields) is `value`. Fields are given in their order, before any
    /// write; a field not given is empty (the shell reads a missing field
    /// as empty).
    #[inline]
    pub fn head(&mut self, field: impl Into<u8>, value: &str) -> &mut Plan {
        self.head_at(field.into(), value)
    }

    /// Header field number `at`: past the element's own fields, the extra
    /// ones some elements add (the strip's recommendations).
    pub fn head_at(&mut self, at: u8, value: &str) -> &mut Plan {
        while self.separators < at {
            self.text.push(US);
            self.separators += 1;
        }
        self.push(value);
        self
    }

    /// Appends one field, with the separators in it made harmless.
    fn push(&mut self, value: &str) {
        for c in value.chars() {
            self.text
                .push(if c == RS || c == US { '\u{fffd}' } else { c });
        }
    }

    /// One record: the op, then its fields.
    pub fn write(&mut self, op: &str, fields: &[&str]) -> &mut Plan {
        self.text.push(RS);
        self.text.push_str(op);
        for field in fields {
            self.text.push(US);
            self.push(field);
        }
        self
    }

    /// `textContent` of `class`.
    pub fn text(&mut self, class: &str, text: &str) -> &mut Plan {
        self.write("t", &[class, text])
    }

    /// Attribute `name` of `class`.
    pub fn attr(&mut self, class: &str, name: &str, value: &str) -> &mut Plan {
        self.write("a", &[class, name, value])
    }

    /// Removes attribute `name` of `class`.
    pub fn unset(&mut self, class: &str, name: &str) -> &mut Plan {
        self.write("u", &[class, name])
    }

    /// Removes the element `class`.
    pub fn remove(&mut self, class: &str) -> &mut Plan {
        self.write("r", &[class])
    }

    /// A link out of the host page into a new tab: marked as a paid
    /// placement, telling the store which site sent the reader but not
    /// which page.
    pub fn store_link(&mut self, class: &str, href: &str) -> &mut Plan {
        self.attr(class, "href", href)
            .attr(class, "target", "_blank")
            .attr(class, "rel", "sponsored noopener")
            .attr(class, "referrerpolicy", "strict-origin-when-cross-origin")
    }

    /// The finished plan.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A plan read back into its records and fields (for tests on both sides).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn records(plan: &str) -> alloc::vec::Vec<alloc::vec::Vec<&str>> {
    plan.split(RS).map(|r| r.split(US).collect()).collect()
}

/// The value a plan writes: `op` on `class` (and attribute `name` for `a`).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn written<'p>(plan: &'p str, op: &str, class: &str, name: &str) -> Option<&'p str> {
    records(plan).into_iter().skip(1).find_map(|r| {
        let matches = r.first() == Some(&op) && r.get(1) == Some(&class);
        match op {
            "a" | "u" if matches && r.get(2) == Some(&name) => {
                Some(r.get(3).copied().unwrap_or(""))
            }
            "a" | "u" => None,
            _ if matches => Some(r.get(2).copied().unwrap_or("")),
            _ => None,
        }
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_forge_a_record_or_a_field() {
        let mut plan = Plan::new("ready");
        plan.head_at(1, "a\u{1e}t\u{1f}buy");
        plan.text(
            "title",
            "Mug\u{1e}a\u{1f}buy\u{1f}href\u{1f}javascript:alert(1)",
        );
        let plan = plan.finish();
        let r = records(&plan);
        assert_eq!(r.len(), 2, "one header, one write: {r:?}");
        assert_eq!(r[0], ["ready", "a\u{fffd}t\u{fffd}buy"]);
        assert_eq!(r[1][0], "t");
        assert_eq!(r[1].len(), 3);
        assert_eq!(written(&plan, "a", "buy", "href"), None);
    }

    #[test]
    fn writes_read_back_in_order() {
        let mut plan = Plan::new("ready");
        plan.text("title", "Mug")
            .attr("image", "src", "https://img.example/m.png")
            .remove("fallback");
        let plan = plan.finish();
        assert_eq!(written(&plan, "t", "title", ""), Some("Mug"));
        assert_eq!(
            written(&plan, "a", "image", "src"),
            Some("https://img.example/m.png")
        );
        assert_eq!(written(&plan, "r", "fallback", ""), Some(""));
        assert_eq!(written(&plan, "t", "reason", ""), None);
    }
}
