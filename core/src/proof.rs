//! Social proof on a partner store's product page: which creators recommend
//! this product, and why. The reverse view of the card.
//!
//! Matching is by product, not by link: every form of a product's link
//! (mobile, http, with tracking noise, a variant) canonicalises to the same
//! [`product_key`]. The platform stores the key with each item and answers
//! `GET /v1/proof` with a [`Proof`]; the SDK validates that answer here
//! before it shows anything.

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::field::{err, id_field, text, FieldError};
use crate::item::{Creator, CreatorPaths, MAX_REASON_CHARS};
use crate::json::{whole_number, Node};
use crate::link::Canonical;
use crate::locale::{push_decimal, Locale};
use crate::partner::{Partner, Registry};

/// Most recommendations an answer carries (the strip lists them all when
/// expanded; the total counts every one).
pub const MAX_RECOMMENDATIONS: usize = 20;

/// The product a canonical link is about: `partner:item`. Taobao and Tmall
/// are one catalogue (a Tmall item's id opens on `item.taobao.com` too), so
/// both are `taobao`; a variant (SKU) is the same product.
pub fn product_key(canonical: &Canonical, registry: &Registry) -> String {
    let partner = match canonical.partner {
        Partner::Tmall => "taobao",
        other => &registry.rule(other).key,
    };
    [partner, ":", &canonical.item_id].concat()
}

/// One creator's recommendation of the product.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Recommendation {
    /// The creator's showcase item for the product.
    #[cfg_attr(feature = "serde", serde(rename = "item"))]
    pub item_id: String,
    /// Why they recommend it, in their words.
    pub reason: String,
    /// When they recommended it (ms since the Unix epoch).
    #[cfg_attr(feature = "serde", serde(rename = "recommended_at"))]
    pub at_ms: u64,
    /// Who.
    pub creator: Creator,
}

/// What the platform answers for one product.
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Proof {
    /// How many creators recommend it (each counted once).
    pub total: u64,
    /// The top ones, in [`rank`] order, one per creator.
    pub recommendations: Vec<Recommendation>,
}

const PROOF_CREATOR: CreatorPaths = CreatorPaths {
    id: "proof.recommendations.creator.id",
    name: "proof.recommendations.creator.name",
    avatar: "proof.recommendations.creator.avatar",
    followers: "proof.recommendations.creator.followers",
    verified: "proof.recommendations.creator.verified",
};

/// The order recommendations are shown in: the creator with the larger
/// audience first (more readers know and trust them), then the more recent
/// recommendation, then by item id, so that the order never flickers.
pub fn rank(a: &Recommendation, b: &Recommendation) -> Ordering {
    b.creator
        .followers
        .cmp(&a.creator.followers)
        .then(b.at_ms.cmp(&a.at_ms))
        .then_with(|| a.item_id.cmp(&b.item_id))
}

impl Proof {
    /// Ranks recommendations and keeps each creator's first: what the
    /// platform answers, given every published item for the product.
    pub fn from_recommendations(mut all: Vec<Recommendation>) -> Proof {
        all.sort_by(rank);
        let mut kept: Vec<Recommendation> = Vec::new();
        for r in all {
            if !kept.iter().any(|k| k.creator.id == r.creator.id) {
                kept.push(r);
            }
        }
        let total = kept.len() as u64;
        kept.truncate(MAX_RECOMMENDATIONS);
        Proof {
            total,
            recommendations: kept,
        }
    }

    /// Reads and validates the platform's answer; the error names the field.
    pub fn from_node<N: Node>(node: &N) -> Result<Proof, FieldError> {
        if !node.is_object() {
            return err("proof", "must be an object");
        }
        let total = match node.field("total").and_then(|n| n.as_number()) {
            Some(n) => whole_number(n),
            None => None,
        };
        let Some(total) = total else {
            return err("proof.total", "must be a whole number");
        };
        let list = node.field("recommendations");
        let mut recommendations = Vec::new();
        let mut i = 0;
        while let Some(r) = list.as_ref().and_then(|l| l.element(i)) {
            if !r.is_object() {
                return err("proof.recommendations", "must be an array of objects");
            }
            let at_ms = r
                .field("recommended_at")
                .and_then(|n| n.as_number())
                .and_then(whole_number);
            let Some(at_ms) = at_ms else {
                return err(
                    "proof.recommendations.recommended_at",
                    "must be a whole number",
                );
            };
            let Some(creator) = r.field("creator") else {
                return err("proof.recommendations.creator", "must be an object");
            };
            recommendations.push(Recommendation {
                item_id: id_field(&r, "item", "proof.recommendations.item")?,
                reason: text(
                    &r,
                    "reason",
                    "proof.recommendations.reason",
                    MAX_REASON_CHARS,
                    "must be a non-empty string of at most 1000 characters",
                )?,
                at_ms,
                creator: Creator::from_node_at(&creator, &PROOF_CREATOR)?,
            });
            i += 1;
            if i > MAX_RECOMMENDATIONS {
                return err("proof.recommendations", "must hold at most 20 entries");
            }
        }
        if (recommendations.len() as u64) > total {
            return err(
                "proof.total",
                "must be at least the number of recommendations",
            );
        }
        Ok(Proof {
            total,
            recommendations,
        })
    }
}

/// "3 位达人推荐" / "Recommended by 3 creators".
pub fn count_label(locale: Locale, total: u64) -> String {
    let mut n = String::new();
    push_decimal(&mut n, total);
    match locale {
        Locale::ZhCn => [&n, " 位达人推荐"].concat(),
        Locale::En if total == 1 => String::from("Recommended by 1 creator"),
        Locale::En => ["Recommended by ", &n, " creators"].concat(),
    }
}

/// The expand control: "查看全部 3 条推荐" / "See all 3", or its way back.
pub fn expand_label(locale: Locale, total: u64, expanded: bool) -> String {
    let mut n = String::new();
    push_decimal(&mut n, total);
    match (locale, expanded) {
        (Locale::ZhCn, false) => ["查看全部 ", &n, " 条推荐"].concat(),
        (Locale::ZhCn, true) => String::from("收起"),
        (Locale::En, false) => ["See all ", &n].concat(),
        (Locale::En, true) => String::from("Show less"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::canonicalize;
    use crate::whatwg::UrlCrate;
    use serde_json::json;

    fn rec(item: &str, creator: &str, followers: u64, at_ms: u64) -> Recommendation {
        Recommendation {
            item_id: item.into(),
            reason: "good".into(),
            at_ms,
            creator: Creator {
                id: creator.into(),
                name: creator.into(),
                avatar: "https://img.example/a.png".into(),
                followers,
                verified: false,
            },
        }
    }

    #[test]
    fn every_form_of_one_product_has_one_key() {
        let registry = Registry::new(None);
        let key = |link: &str| {
            product_key(
                &canonicalize(link, &UrlCrate, &registry).unwrap(),
                &registry,
            )
        };
        let tea = "taobao:589123456789";
        for link in [
            "https://detail.tmall.com/item.htm?id=589123456789",
            "http://detail.tmall.com/item.htm?id=589123456789&spm=a220o.1000855&skuId=4411",
            "https://detail.m.tmall.com/item.htm?id=589123456789&ali_trackid=2:mm_1:1",
            "https://item.taobao.com/item.htm?id=589123456789",
            "https://h5.m.taobao.com/awp/core/detail.htm?id=589123456789",
            "  HTTPS://DETAIL.TMALL.COM/item.htm?id=589123456789#reviews ",
        ] {
            assert_eq!(key(link), tea, "{link}");
        }
        assert_eq!(
            key("https://item.m.jd.com/product/100012043978.html?utm_source=x"),
            "jd:100012043978"
        );
        assert_eq!(
            key("https://item.jd.com/100012043978.html"),
            "jd:100012043978"
        );
        assert_ne!(
            key("https://item.jd.com/100012043979.html"),
            "jd:100012043978"
        );
        assert_eq!(
            key("https://weidian.com/item.html?itemID=4512345678&wfr=wx"),
            "weidian:4512345678"
        );
    }

    #[test]
    fn the_larger_audience_then_the_newer_comes_first_once_per_creator() {
        let proof = Proof::from_recommendations(vec![
            rec("itm_a", "cr_small", 900, 30),
            rec("itm_b", "cr_big", 50_000, 10),
            rec("itm_c", "cr_mid", 9_000, 10),
            rec("itm_d", "cr_mid", 9_000, 20),
            rec("itm_e", "cr_small2", 900, 40),
        ]);
        assert_eq!(proof.total, 4, "cr_mid recommended it twice: one creator");
        let order: Vec<_> = proof
            .recommendations
            .iter()
            .map(|r| r.item_id.as_str())
            .collect();
        assert_eq!(order, ["itm_b", "itm_d", "itm_e", "itm_a"]);
        let many = Proof::from_recommendations(
            (0..30)
                .map(|i| rec("itm_x", &format!("cr_{i}"), i, 0))
                .collect(),
        );
        assert_eq!(
            (many.total, many.recommendations.len()),
            (30, MAX_RECOMMENDATIONS)
        );
    }

    #[test]
    fn the_answer_is_validated_and_names_the_field() {
        let good = json!({"total": 2, "recommendations": [{"item": "itm_a", "reason": "Love it", "recommended_at": 1700000000000u64,
            "creator": {"id": "cr_a", "name": "A", "avatar": "https://img.example/a.png", "followers": 3}}]});
        let proof = Proof::from_node(&good).unwrap();
        assert_eq!(proof.total, 2);
        assert_eq!(proof.recommendations[0].creator.followers, 3);
        assert_eq!(
            Proof::from_node(&json!({"total": 0, "recommendations": []})).unwrap(),
            Proof::default()
        );
        let field = |mut v: serde_json::Value, pointer: &str, bad: serde_json::Value| {
            *v.pointer_mut(pointer).unwrap() = bad;
            Proof::from_node(&v).unwrap_err().field
        };
        assert_eq!(field(good.clone(), "/total", json!(-1)), "proof.total");
        assert_eq!(field(good.clone(), "/total", json!(0)), "proof.total");
        assert_eq!(
            field(good.clone(), "/recommendations/0/item", json!("no spaces")),
            "proof.recommendations.item"
        );
        assert_eq!(
            field(good.clone(), "/recommendations/0/reason", json!("")),
            "proof.recommendations.reason"
        );
        assert_eq!(
            field(
                good.clone(),
                "/recommendations/0/creator/avatar",
                json!("javascript:x")
            ),
            "proof.recommendations.creator.avatar"
        );
        assert_eq!(
            field(
                good.clone(),
                "/recommendations/0/recommended_at",
                json!("today")
            ),
            "proof.recommendations.recommended_at"
        );
        assert_eq!(
            field(good, "/recommendations/0", json!(7)),
            "proof.recommendations"
        );
    }

    #[test]
    fn the_words_read_naturally() {
        assert_eq!(count_label(Locale::ZhCn, 3), "3 位达人推荐");
        assert_eq!(count_label(Locale::En, 3), "Recommended by 3 creators");
        assert_eq!(count_label(Locale::En, 1), "Recommended by 1 creator");
        assert_eq!(expand_label(Locale::ZhCn, 3, false), "查看全部 3 条推荐");
        assert_eq!(expand_label(Locale::En, 3, true), "Show less");
    }
}
