//! The shape of a render plan as both of its sides read it: the SDK's wasm
//! writes plans (`src/plan.rs`), the JS shell applies them. The separators
//! and each element's header fields are defined here once; `cargo xtask
//! build` injects them into the shell (`"__VITRINE_PLAN_RS__"`,
//! `"__VITRINE_CARD_FIELDS__"`, …), so the shell reads a header by the very
//! names the wasm wrote it with, never by positions mirrored by hand.

/// Separates records.
pub const RS: char = '\u{1e}';
/// Separates fields.
pub const US: char = '\u{1f}';

/// An element's header fields: every element's start with its state and
/// what it fetches, then its own.
macro_rules! header {
    ($(#[$doc:meta])* $name:ident { $($(#[$field_doc:meta])* $field:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum $name {
            /// The element's state: `loading` until its data is here (or
            /// the strip's `deciding`), `error`, or one of its own.
            State,
            /// The URL of the data the element waits for, while it waits.
            Fetch,
            $($(#[$field_doc])* $field,)+
        }

        impl $name {
            /// The fields' names, in the order they are written: what the
            /// shell names them by.
            pub const FIELDS: &'static [&'static str] = &["state", "fetch", $($text),+];
        }

        impl From<$name> for u8 {
            fn from(field: $name) -> u8 {
                field as u8
            }
        }
    };
}

header! {
    /// The fields of a card's plan header.
    CardField {
        /// The item's id.
        Item = "item",
        /// The recommending creator's id.
        Creator = "creator",
        /// `1` when the item can be bought (not sold out, link accepted).
        Live = "live",
        /// The store link a click resolves (direct mode only).
        Store = "store",
        /// Why the card could not be shown (one console warning).
        Problem = "problem",
        /// A problem with the card that still shows it (one console warning).
        Warning = "warning",
        /// What the buy button says once it cannot be used.
        Unavailable = "unavailable",
        /// The creator's follow intent, bare.
        Intent = "intent",
    }
}

header! {
    /// The fields of a follow button's plan header.
    FollowField {
        /// The creator's id.
        Creator = "creator",
        /// Why the button could not be shown (one console warning).
        Problem = "problem",
        /// The creator's follow intent, bare.
        Intent = "intent",
    }
}

header! {
    /// The fields of a social-proof strip's plan header. After them come
    /// `item creator` pairs, one per recommendation shown (the shell's
    /// `rest`).
    ProofField {
        /// Why the strip could not be shown (one console warning).
        Problem = "problem",
        /// How many avatars the collapsed strip shows.
        Collapsed = "collapsed",
        /// The expand button's words while the list is closed.
        Closed = "closed",
        /// Its words while the list is open.
        Open = "open",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_place_is_its_name_in_the_list() {
        assert_eq!(CardField::FIELDS[CardField::Intent as usize], "intent");
        assert_eq!(CardField::FIELDS.len(), CardField::Intent as usize + 1);
        assert_eq!(
            FollowField::FIELDS[FollowField::Creator as usize],
            "creator"
        );
        assert_eq!(ProofField::FIELDS.len(), ProofField::Open as usize + 1);
        for fields in [CardField::FIELDS, FollowField::FIELDS, ProofField::FIELDS] {
            assert_eq!(
                fields[0], "state",
                "every element's header starts with its state"
            );
            assert!(fields.iter().all(|f| !f.contains(RS) && !f.contains(US)));
        }
    }
}
