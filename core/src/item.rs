//! The showcase item: its wire model, its validation, and the card's rules
//! for stock and price.
//!
//! Validation reads any [`Node`] and names the exact field that is wrong,
//! because the person who reads the warning is a blogger or a developer
//! looking at a console, not a debugger.

use alloc::string::String;

use crate::amount::{is_currency_code, Amount};
use crate::field::{err, id_field, object, string, text, FieldError, OBJECT};
use crate::image_url::is_image_url;
use crate::json::{whole_number, Node};
use crate::locale::Locale;

/// Longest title shown (characters); the card clamps it to two lines anyway.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest reason (characters): a recommendation, not an essay.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest creator name (characters).
pub const MAX_NAME_CHARS: usize = 64;
/// Largest stock count believed; more is a data error.
pub const MAX_STOCK: u64 = 1_000_000_000;
/// At or below this many left, the card says "only N left".
pub const LOW_STOCK: u64 = 5;

/// A validated showcase item, as on the wire.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Item {
    /// `itm_…`
    pub id: String,
    /// The product's title.
    pub title: String,
    /// Absolute http(s) URL of the product picture.
    pub image: String,
    /// The creator's reason for recommending it, in their words.
    pub reason: String,
    /// The current price.
    pub price: Money,
    /// The price before a discount, if any.
    pub original_price: Option<Money>,
    /// Units left; `None` when the store does not say.
    pub stock: Option<u64>,
    /// Where the item is sold.
    pub store: Store,
    /// Who recommends it.
    pub creator: Creator,
}

/// An amount in a currency.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Money {
    /// Decimal string, e.g. `"199.00"`.
    pub amount: Amount,
    /// ISO 4217 code, e.g. `"CNY"`.
    pub currency: String,
}

/// The partner store's page for the item.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Store {
    /// The product page URL as the creator gave it. Whether it may be linked
    /// is decided by link resolution ([`crate::link`]), not by validation:
    /// an item with a refused link still shows, with buying disabled.
    pub url: String,
}

/// The creator who recommends the item.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Creator {
    /// `cr_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// Absolute http(s) URL of the avatar.
    pub avatar: String,
    /// Follower count.
    pub followers: u64,
    /// Whether the platform has verified who they are.
    pub verified: bool,
}

/// Where a creator's fields are named in errors: inside an item, or on its
/// own (`GET /v1/creators/{id}`).
pub struct CreatorPaths {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) avatar: &'static str,
    pub(crate) followers: &'static str,
    pub(crate) verified: &'static str,
}

/// A creator inside an item: `item.creator.name`.
pub const ITEM_CREATOR: CreatorPaths = CreatorPaths {
    id: "item.creator.id",
    name: "item.creator.name",
    avatar: "item.creator.avatar",
    followers: "item.creator.followers",
    verified: "item.creator.verified",
};

/// A creator on its own: `creator.name`.
pub const CREATOR: CreatorPaths = CreatorPaths {
    id: "creator.id",
    name: "creator.name",
    avatar: "creator.avatar",
    followers: "creator.followers",
    verified: "creator.verified",
};

impl Creator {
    /// Reads and validates a creator; errors name fields after `paths`.
    pub fn from_node_at<N: Node>(c: &N, paths: &CreatorPaths) -> Result<Creator, FieldError> {
        if !c.is_object() {
            return err(paths.id, OBJECT);
        }
        Ok(Creator {
            id: id_field(c, "id", paths.id)?,
            name: text(
                c,
                "name",
                paths.name,
                MAX_NAME_CHARS,
                "must be a non-empty string of at most 64 characters",
            )?,
            avatar: image_field(c, "avatar", paths.avatar)?,
            followers: match c
                .field("followers")
                .and_then(|n| n.as_number())
                .and_then(whole_number)
            {
                Some(n) => n,
                None => return err(paths.followers, "must be a whole number"),
            },
            verified: match c.field("verified") {
                None => false,
                Some(v) => match v.as_boolean() {
                    Some(b) => b,
                    None => return err(paths.verified, "must be true or false"),
                },
            },
        })
    }
}

const IMAGE_URL: &str = "must be an absolute http(s) URL";

/// An image URL, kept as it was checked: without the spaces and C0
/// controls around it (found by the `item` fuzz target: `"  https://…"`
/// passed the check but was kept with its spaces, so the platform's
/// answer and the SDK's reading of it differed).
fn image_field<N: Node>(parent: &N, key: &str, field: &'static str) -> Result<String, FieldError> {
    let s = string(parent, key, field, IMAGE_URL)?;
    if is_image_url(&s) {
        Ok(crate::url::trim_c0_and_space(&s).into())
    } else {
        err(field, IMAGE_URL)
    }
}

fn money<N: Node>(
    node: &N,
    amount_field: &'static str,
    currency_field: &'static str,
) -> Result<Money, FieldError> {
    const AMOUNT: &str = "must be a non-negative decimal string";
    const CURRENCY: &str = "must be a three-letter currency code";
    let amount = string(node, "amount", amount_field, AMOUNT)?;
    let amount = Amount::parse(&amount).ok_or(FieldError {
        field: amount_field,
        rule: AMOUNT,
    })?;
    let currency = string(node, "currency", currency_field, CURRENCY)?;
    if !is_currency_code(&currency) {
        return err(currency_field, CURRENCY);
    }
    Ok(Money { amount, currency })
}

impl Item {
    /// Reads and validates an item; the error names the first bad field.
    /// Unknown fields are ignored, so the platform can add fields without
    /// breaking older SDKs.
    pub fn from_node<N: Node>(node: &N) -> Result<Item, FieldError> {
        if !node.is_object() {
            return err("item", OBJECT);
        }
        let id = id_field(node, "id", "item.id")?;
        let title = text(
            node,
            "title",
            "item.title",
            MAX_TITLE_CHARS,
            "must be a non-empty string of at most 200 characters",
        )?;
        let image = image_field(node, "image", "item.image")?;
        let reason = text(
            node,
            "reason",
            "item.reason",
            MAX_REASON_CHARS,
            "must be a non-empty string of at most 1000 characters",
        )?;
        let price = money(
            &object(node, "price", "item.price")?,
            "item.price.amount",
            "item.price.currency",
        )?;
        let original_price = match node.field("original_price") {
            None => None,
            Some(o) if o.is_object() => {
                let o = money(
                    &o,
                    "item.original_price.amount",
                    "item.original_price.currency",
                )?;
                if o.currency != price.currency {
                    return err(
                        "item.original_price.currency",
                        "must be the same as item.price.currency",
                    );
                }
                Some(o)
            }
            Some(_) => return err("item.original_price", "must be an object or null"),
        };
        let stock = match node.field("stock") {
            None => None,
            Some(n) => match n.as_number().and_then(whole_number) {
                Some(n) if n <= MAX_STOCK => Some(n),
                _ => {
                    return err(
                        "item.stock",
                        "must be null or a whole number from 0 to 1000000000",
                    )
                }
            },
        };
        let store = object(node, "store", "item.store")?;
        let store = Store {
            url: string(&store, "url", "item.store.url", "must be a string")?,
        };
        let creator =
            Creator::from_node_at(&object(node, "creator", "item.creator")?, &ITEM_CREATOR)?;
        Ok(Item {
            id,
            title,
            image,
            reason,
            price,
            original_price,
            stock,
            store,
            creator,
        })
    }

    /// What the card says about stock.
    pub fn stock_state(&self) -> StockState {
        match self.stock {
            None => StockState::Unknown,
            Some(0) => StockState::SoldOut,
            Some(n) if n <= LOW_STOCK => StockState::Low(n),
            Some(_) => StockState::InStock,
        }
    }

    /// The original price, only when it is a real discount (strictly higher
    /// than the price): a struck-through price equal to or below the current
    /// one would mislead.
    pub fn discounted_from(&self) -> Option<&Money> {
        self.original_price
            .as_ref()
            .filter(|o| o.amount > self.price.amount)
    }
}

/// The stock line of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockState {
    /// The store does not say: no stock line.
    Unknown,
    /// Plenty left.
    InStock,
    /// At most [`LOW_STOCK`] left.
    Low(u64),
    /// None left: the card stays, buying is disabled.
    SoldOut,
}

impl StockState {
    /// The label in `locale`; empty for [`StockState::Unknown`].
    pub fn label(self, locale: Locale) -> String {
        let t = locale.texts();
        match self {
            StockState::Unknown => String::new(),
            StockState::InStock => t.in_stock.into(),
            StockState::Low(n) => locale.low_stock_label(n),
            StockState::SoldOut => t.sold_out.into(),
        }
    }

    /// A short machine name, used as a styling hook (`data-stock`).
    pub fn key(self) -> &'static str {
        match self {
            StockState::Unknown => "unknown",
            StockState::InStock => "in",
            StockState::Low(_) => "low",
            StockState::SoldOut => "out",
        }
    }
}
