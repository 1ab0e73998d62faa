//! The editor's form: its controls (one table), the draft as posted, and
//! the checks that turn a draft into a stored item or name every problem
//! at its control. Every rule that decides what an item may be is the
//! core's: the draft becomes a wire item validated by `Item::from_node`,
//! exactly as the SDK validates what it is served.

use crate::store::{CreatorRow, ItemRow};
use serde::Deserialize;
use serde_json::{json, Value};
use vitrine_core::item::Item;
use vitrine_core::link::{canonicalize, Canonical, LinkError};
use vitrine_core::locale::Locale;
use vitrine_core::partner::Registry;
use vitrine_core::whatwg::UrlCrate;

/// The largest picture accepted: a product photo, not a print master.
pub const MAX_PICTURE_BYTES: usize = 2 * 1024 * 1024;

/// Why a pasted link is refused, in words a creator can act on.
pub fn link_refusal(error: LinkError, registry: &Registry) -> String {
    match error {
        LinkError::Empty => "请粘贴商品页面的链接 · Paste the link of the product's page".into(),
        LinkError::TooLong => "链接太长（最多 2,048 个字符）· The link is longer than 2,048 characters".into(),
        LinkError::Malformed => "链接里有反斜杠或控制字符 · The link contains backslashes or control characters".into(),
        LinkError::Relative => "请粘贴完整链接，以 https:// 开头 · Paste the whole link, starting with https://".into(),
        LinkError::Scheme => "只接受 http(s) 链接 · Only http(s) links are accepted".into(),
        LinkError::Userinfo => "链接里有“用户名@”，会让读者误以为去的是别的网站 · The link has a user@ part, which hides where it really goes".into(),
        LinkError::IpHost => "链接指向 IP 地址，而不是商店 · The link points at an IP address, not a store".into(),
        LinkError::UnknownHost => {
            let (zh, en): (Vec<&str>, Vec<&str>) = registry
                .partners()
                .map(|(_, rule)| (rule.name(Locale::ZhCn), rule.name(Locale::En)))
                .unzip();
            format!(
                "这不是平台合作的商店（{}）· This is not a store the platform works with ({})",
                zh.join("、"),
                en.join(", ")
            )
        }
        LinkError::BadItemId => "这是商店的链接，但不是某个商品的页面 · This is the store's link, but not a product's page".into(),
    }
}

/// The editor's fields, as posted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct Draft {
    pub csrf: String,
    pub link: String,
    pub title: String,
    /// The uploaded picture's platform path (`/media/…`), set by the upload.
    pub image: String,
    pub reason: String,
    pub price: String,
    pub original_price: String,
    pub currency: String,
    pub stock: String,
}

impl Draft {
    pub fn from_item(row: &ItemRow) -> Draft {
        Draft {
            csrf: String::new(),
            link: row.store_url.clone(),
            title: row.title.clone(),
            image: row.image_path.clone(),
            reason: row.reason.clone(),
            price: row.price_amount.clone(),
            original_price: row.original_amount.clone().unwrap_or_default(),
            currency: row.currency.clone(),
            stock: row.stock.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

/// A field the creator must fix: the form control's name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// One control of the editor: everything the form, its checks and its
/// problems need to know of it, in one place.
pub struct Control {
    /// The form control's name (and id).
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// The core's field path the control fills (the preview reads it as
    /// `data-field`).
    pub path: &'static str,
    /// The core's field paths the control answers for: this one and the
    /// ones under it, unless a control with a longer scope claims them.
    scope: &'static str,
    /// Where the control's value sits in the wire item (a JSON pointer).
    pointer: &'static str,
    /// A valid stand-in for its value, put in its place so that the next
    /// check can find the next problem.
    standin: Standin,
}

enum Standin {
    Text(&'static str),
    Null,
}

impl Standin {
    fn value(&self) -> Value {
        match self {
            Standin::Text(text) => Value::from(*text),
            Standin::Null => Value::Null,
        }
    }
}

/// The editor's controls, in the form's order.
pub const CONTROLS: [Control; 8] = [
    Control {
        name: "link",
        label: "商品链接 · Product link",
        path: "item.store.url",
        scope: "item.store",
        pointer: "/store/url",
        standin: Standin::Text("https://item.jd.com/1.html"),
    },
    Control {
        name: "title",
        label: "标题 · Title",
        path: "item.title",
        scope: "item.title",
        pointer: "/title",
        standin: Standin::Text("x"),
    },
    Control {
        name: "picture",
        label: "图片 · Picture",
        path: "item.image",
        scope: "item.image",
        pointer: "/image",
        standin: Standin::Text("https://platform.invalid/x.png"),
    },
    Control {
        name: "reason",
        label: "推荐理由 · Why you recommend it",
        path: "item.reason",
        scope: "item.reason",
        pointer: "/reason",
        standin: Standin::Text("x"),
    },
    Control {
        name: "price",
        label: "价格 · Price",
        path: "item.price.amount",
        scope: "item.price",
        pointer: "/price/amount",
        standin: Standin::Text("1"),
    },
    Control {
        name: "original_price",
        label: "原价 · Original price",
        path: "item.original_price.amount",
        scope: "item.original_price",
        pointer: "/original_price",
        standin: Standin::Null,
    },
    Control {
        name: "currency",
        label: "货币 · Currency",
        path: "item.price.currency",
        scope: "item.price.currency",
        pointer: "/price/currency",
        standin: Standin::Text("CNY"),
    },
    Control {
        name: "stock",
        label: "库存 · Stock",
        path: "item.stock",
        scope: "item.stock",
        pointer: "/stock",
        standin: Standin::Null,
    },
];

/// The currencies the editor offers.
pub const CURRENCIES: [&str; 7] = ["CNY", "USD", "EUR", "GBP", "JPY", "HKD", "SGD"];

/// The control named `name` (one of [`CONTROLS`]).
pub fn control(name: &str) -> &'static Control {
    CONTROLS
        .iter()
        .find(|c| c.name == name)
        .expect("a control of the editor")
}

/// The control a core field path belongs to: the one with the longest scope
/// that is the path or above it.
fn control_of(path: &str) -> Option<&'static Control> {
    CONTROLS
        .iter()
        .filter(|c| {
            path.strip_prefix(c.scope)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
        .max_by_key(|c| c.scope.len())
}

/// The draft as a stored item, or everything wrong with it. The link goes
/// through `canonicalize` (and is stored in its canonical form, without
/// tracking noise); the rest through the core's item validation, as the SDK
/// will validate it. `picture_ok` says whether the image path is a picture
/// this platform stores.
pub fn check_draft(
    draft: &Draft,
    id: &str,
    creator: &CreatorRow,
    registry: &Registry,
    picture_ok: bool,
) -> Result<ItemRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let canonical: Option<Canonical> = match canonicalize(&draft.link, &UrlCrate, registry) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(Problem {
                field: "link",
                message: link_refusal(e, registry),
            });
            None
        }
    };
    if !picture_ok {
        problems.push(Problem {
            field: "picture",
            message: "请上传一张图片 · Upload a picture".into(),
        });
    }
    let trimmed = |s: &str| s.trim().to_owned();
    let optional = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let currency = trimmed(&draft.currency);
    let stock = match optional(&draft.stock) {
        None => Value::Null,
        // Not a number: left as text, which the core refuses with its rule.
        Some(s) => s.parse::<u64>().map_or(Value::String(s), Value::from),
    };
    let mut value = json!({
        "id": id,
        "title": trimmed(&draft.title),
        "image": if picture_ok { format!("https://platform.invalid{}", draft.image) } else { "https://platform.invalid/x.png".into() },
        "reason": trimmed(&draft.reason),
        "price": {"amount": trimmed(&draft.price), "currency": currency},
        "original_price": optional(&draft.original_price).map(|a| json!({"amount": a, "currency": currency})),
        "stock": stock,
        "store": {"url": canonical.as_ref().map_or("https://item.jd.com/1.html", |c| c.url.as_str())},
        "creator": {
            "id": creator.id, "name": creator.name,
            "avatar": format!("https://platform.invalid{}", creator.avatar_path),
            "followers": creator.followers, "verified": creator.verified,
        },
    });
    let item = loop {
        match Item::from_node(&value) {
            Ok(item) => break Some(item),
            Err(e) => {
                let Some(control) = control_of(e.field) else {
                    problems.push(Problem {
                        field: "form",
                        message: e.message(),
                    });
                    break None;
                };
                if !problems.iter().any(|p| p.field == control.name) {
                    problems.push(Problem {
                        field: control.name,
                        message: [control.label, " ", e.rule].concat(),
                    });
                }
                let standin = control.standin.value();
                match value.pointer_mut(control.pointer) {
                    Some(slot) if *slot != standin => *slot = standin,
                    // The stand-in itself was refused: stop rather than loop.
                    _ => break None,
                }
            }
        }
    };
    match (item, canonical) {
        (Some(item), Some(canonical)) if problems.is_empty() => Ok(ItemRow {
            id: id.to_owned(),
            title: item.title,
            image_path: draft.image.clone(),
            reason: item.reason,
            price_amount: item.price.amount.as_str().to_owned(),
            original_amount: item.original_price.map(|m| m.amount.as_str().to_owned()),
            currency: item.price.currency,
            stock: item.stock,
            store_url: canonical.url,
            creator_id: creator.id.clone(),
        }),
        _ => {
            // In the form's order, so the summary reads top to bottom.
            problems.sort_by_key(|p| CONTROLS.iter().position(|c| c.name == p.field));
            Err(problems)
        }
    }
}

/// Whether `path` names a picture stored on this platform (`/media/name`).
pub fn media_name(path: &str) -> Option<&str> {
    path.strip_prefix("/media/").filter(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_field_belongs_to_the_control_that_fills_it() {
        for c in &CONTROLS {
            assert_eq!(
                control_of(c.path).map(|o| o.name),
                Some(c.name),
                "{}",
                c.path
            );
        }
        assert_eq!(control_of("item.price").map(|c| c.name), Some("price"));
        assert_eq!(control_of("item.store").map(|c| c.name), Some("link"));
        assert_eq!(
            control_of("item.original_price.currency").map(|c| c.name),
            Some("original_price")
        );
        assert_eq!(control_of("item.pricey").map(|c| c.name), None);
        assert_eq!(control_of("item.creator.name").map(|c| c.name), None);
    }

    fn lin() -> CreatorRow {
        crate::seed::creators().remove(0)
    }

    fn good() -> Draft {
        Draft {
            link: "https://item.taobao.com/item.htm?id=624519851234".into(),
            title: "手作粗陶马克杯".into(),
            image: "/media/up-0123.png".into(),
            reason: "每天早上用它喝咖啡。".into(),
            price: "89".into(),
            original_price: "129.00".into(),
            currency: "CNY".into(),
            stock: "37".into(),
            ..Draft::default()
        }
    }

    #[test]
    fn a_good_draft_becomes_an_item_with_the_canonical_link() {
        let registry = Registry::new(None);
        let mut draft = good();
        draft.link = "  http://item.taobao.com/item.htm?spm=a1z10&id=624519851234&scm=x  ".into();
        let row = check_draft(&draft, "itm_new", &lin(), &registry, true).unwrap();
        assert_eq!(
            row.store_url,
            "https://item.taobao.com/item.htm?id=624519851234"
        );
        assert_eq!(row.price_amount, "89");
        assert_eq!(row.original_amount.as_deref(), Some("129.00"));
        assert_eq!(row.stock, Some(37));
        assert_eq!(row.creator_id, "cr_linxiaoman");
        assert_eq!(row.image_path, "/media/up-0123.png");
        // The stored link reads the same again: saving twice changes nothing.
        let again = Draft {
            link: row.store_url.clone(),
            ..draft
        };
        assert_eq!(
            check_draft(&again, "itm_new", &lin(), &registry, true)
                .unwrap()
                .store_url,
            row.store_url
        );
    }

    #[test]
    fn every_problem_is_named_by_its_field_in_the_forms_order() {
        let registry = Registry::new(None);
        let draft = Draft {
            link: "https://item.taobao.com.evil.example/item.htm?id=1".into(),
            title: "   ".into(),
            price: "-5".into(),
            original_price: "1,299".into(),
            stock: "lots".into(),
            ..good()
        };
        let problems = check_draft(&draft, "itm_new", &lin(), &registry, false).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "link",
                "title",
                "picture",
                "price",
                "original_price",
                "stock"
            ]
        );
        let message = |f: &str| {
            problems
                .iter()
                .find(|p| p.field == f)
                .unwrap()
                .message
                .clone()
        };
        assert!(
            message("link")
                .contains("not a store the platform works with (Taobao, Tmall, Weidian, JD)"),
            "{}",
            message("link")
        );
        assert_eq!(
            message("price"),
            "价格 · Price must be a non-negative decimal string"
        );
        assert!(message("stock").contains("whole number"));
        assert!(message("picture").contains("Upload a picture"));
    }

    #[test]
    fn refused_links_say_why() {
        let registry = Registry::new(None);
        let reason = |link: &str| {
            let draft = Draft {
                link: link.into(),
                ..good()
            };
            check_draft(&draft, "itm_x", &lin(), &registry, true).unwrap_err()[0]
                .message
                .clone()
        };
        assert!(reason("").contains("Paste the link"));
        assert!(reason("javascript:alert(1)").contains("Only http(s)"));
        assert!(reason("https://item.taobao.com@evil.example/item.htm?id=1").contains("user@"));
        assert!(reason("https://shop123.taobao.com/").contains("not a product's page"));
        assert!(reason("item.jd.com/100012043978.html").contains("whole link"));
        assert!(reason("https://93.184.216.34/item.htm?id=1").contains("IP address"));
    }

    #[test]
    fn only_platform_media_paths_are_pictures() {
        assert_eq!(media_name("/media/up-ab12.png"), Some("up-ab12.png"));
        assert_eq!(media_name("/media/"), None);
        assert_eq!(media_name("https://evil.example/x.png"), None);
        assert_eq!(media_name("/media/../secret.key"), None);
        assert_eq!(media_name("/media/a/b.png"), None);
    }
}
