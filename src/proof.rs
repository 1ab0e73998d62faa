//! The social-proof strip (`<vitrine-proof>`): on a partner store's product
//! page, which creators recommend this product and why. "3 位达人推荐",
//! their avatars, the top reason quoted with its creator, and a list of
//! the others to expand, each with a small follow control.
//!
//! The platform matches the product (`GET /v1/proof`); the answer is
//! validated by the core ([`vitrine_core::proof::Proof`]) before anything
//! shows. With nothing to show the strip takes no space at all.
//!
//! The plan's header, in order: `state` (`deciding`, `loading`, `ready`,
//! `empty` or `error`), the URL to `fetch`, the `problem` for the console
//! and the `render_error` beacon, how many recommendations the collapsed
//! strip shows (its impressions), the expand control's label `closed` and
//! `open`, then each recommendation on screen as `item creator`, the quoted
//! one first.

use crate::byline::{follow_control, followers, verified};
use crate::options::{self, Answer};
use crate::plan::Plan;
use alloc::string::String;
use vitrine_core::follow::intent_url;
use vitrine_core::json::Node;
use vitrine_core::locale::{push_decimal, Locale};
use vitrine_core::plan::ProofField;
use vitrine_core::proof::{count_label, expand_label, Proof, Recommendation};
use vitrine_core::url::{push_encoded, MAX_LINK_LEN};

/// How many avatars the collapsed strip shows.
const AVATARS: usize = 3;

/// The strip for `options` (`url` of the product page, `platform`,
/// `locale`, `theme`, and `state`: `loading` when the shell knows the strip
/// has recommendations, else `deciding`), given the platform's `answer`
/// (`None` before it arrives).
pub(crate) fn plan<N: Node>(options: &N, answer: Option<&N>) -> String {
    let locale = options::locale(options);
    let platform = options::platform(options);
    let theme = options::theme(options);
    let url = options::string(options, "url").unwrap_or_default();
    if url.is_empty() || url.len() > MAX_LINK_LEN {
        return failed(
            theme,
            locale,
            "the product page's url is missing or longer than 2048 characters",
        );
    }
    let Some(answer) = Answer::read(answer) else {
        let mut fetch = [platform.as_str(), "/v1/proof?url="].concat();
        push_encoded(&mut fetch, &url);
        let state = if options::is(options, "state", "loading") {
            "loading"
        } else {
            "deciding"
        };
        let mut plan = Plan::new(state);
        plan.head(ProofField::Fetch, &fetch);
        root(&mut plan, theme, locale, state).attr("", "aria-busy", "true");
        return plan.finish();
    };
    let proof = match answer.ok().map(Proof::from_node) {
        Some(Ok(proof)) => proof,
        Some(Err(e)) => return failed(theme, locale, &e.message()),
        None if answer.status == 0 => {
            return failed(theme, locale, "the platform could not be reached")
        }
        None => {
            return failed(
                theme,
                locale,
                "the platform did not answer with the product's recommendations",
            )
        }
    };
    if proof.recommendations.is_empty() {
        let mut plan = Plan::new("empty");
        root(&mut plan, theme, locale, "empty");
        return plan.finish();
    }
    shown(&platform, theme, locale, &proof)
}

fn root<'p>(plan: &'p mut Plan, theme: &str, locale: Locale, state: &str) -> &'p mut Plan {
    plan.attr("", "data-theme", theme)
        .attr("", "data-state", state)
        .attr("", "lang", locale.tag())
}

/// Nothing is shown (a store page is better without the strip than with an
/// error box); the shell warns once with the problem.
fn failed(theme: &str, locale: Locale, problem: &str) -> String {
    let mut plan = Plan::new("error");
    plan.head(ProofField::Problem, problem);
    root(&mut plan, theme, locale, "error");
    plan.finish()
}

fn shown(platform: &str, theme: &str, locale: Locale, proof: &Proof) -> String {
    let recs = &proof.recommendations;
    let mut collapsed = String::new();
    push_decimal(&mut collapsed, recs.len().min(AVATARS) as u64);
    let closed = expand_label(locale, proof.total, false);
    let open = expand_label(locale, proof.total, true);
    let mut plan = Plan::new("ready");
    plan.head(ProofField::Collapsed, &collapsed)
        .head(ProofField::Closed, &closed)
        .head(ProofField::Open, &open);
    // After the strip's own fields, `item creator` for each recommendation.
    let own = ProofField::FIELDS.len() as u8;
    for (i, r) in recs.iter().enumerate() {
        plan.head_at(
            own + i as u8,
            &[r.item_id.as_str(), " ", &r.creator.id].concat(),
        );
    }
    root(&mut plan, theme, locale, "ready")
        .text("count", &count_label(locale, proof.total))
        .text("disclosure", locale.texts().disclosure);
    for (i, class) in ["a0", "a1", "a2"].into_iter().enumerate() {
        match recs.get(i) {
            Some(r) => plan.attr(class, "src", &r.creator.avatar),
            None => plan.remove(class),
        };
    }
    if proof.total > 1 {
        plan.text("more", &closed);
    } else {
        plan.remove("more").remove("list");
    }
    for (i, r) in recs.iter().enumerate() {
        if i == 0 {
            plan.write("s", &["top"]);
        } else {
            plan.write("+", &["list", "row"])
                .attr("avatar", "src", &r.creator.avatar);
        }
        slot(&mut plan, platform, locale, r);
    }
    plan.write("@", &[]).remove("row");
    plan.finish()
}

/// One recommendation's byline, reason and follow control, in the scope.
fn slot(plan: &mut Plan, platform: &str, locale: Locale, r: &Recommendation) {
    let c = &r.creator;
    let page = [platform, "/creators/", &c.id].concat();
    plan.text("text", &r.reason)
        .text("name", &c.name)
        .attr("name", "href", &page)
        .attr("name", "target", "_blank")
        .attr("name", "rel", "noopener")
        .attr("", "data-item", &r.item_id)
        .attr("", "data-creator", &c.id);
    followers(plan, "followers", locale, c.followers);
    verified(plan, c.verified, locale);
    follow_control(plan, locale, &intent_url(platform, &c.id));
    plan.attr("follow", "data-creator", &c.id);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::plan::{records, written};
    use serde_json::{json, Value};

    fn rec(item: &str, creator: &str, followers: u64) -> Value {
        json!({"item": item, "reason": format!("why {creator}"), "recommended_at": 1_700_000_000_000u64,
               "creator": {"id": creator, "name": creator, "avatar": "https://img.example/a.png", "followers": followers, "verified": false}})
    }

    fn options() -> Value {
        json!({"url": "https://item.taobao.com/item.htm?id=7&spm=x", "platform": "https://p.example", "locale": "en"})
    }

    #[test]
    fn asks_for_the_products_recommendations() {
        let p = plan(&options(), None);
        assert_eq!(
            records(&p)[0],
            ["deciding", "https://p.example/v1/proof?url=https%3A%2F%2Fitem.taobao.com%2Fitem.htm%3Fid%3D7%26spm%3Dx"]
        );
        let mut known = options();
        known["state"] = json!("loading");
        assert_eq!(records(&plan(&known, None))[0][0], "loading");
        let mut none = options();
        none["url"] = json!("");
        assert_eq!(records(&plan(&none, None))[0][0], "error");
    }

    #[test]
    fn shows_the_top_reason_and_lists_the_others() {
        let answer = json!({"status": 200, "body": {"total": 3, "recommendations": [
            rec("itm_a", "cr_a", 50_000), rec("itm_b", "cr_b", 900), rec("itm_c", "cr_c", 10)]}});
        let p = plan(&options(), Some(&answer));
        assert_eq!(
            records(&p)[0],
            [
                "ready",
                "",
                "",
                "3",
                "See all 3",
                "Show less",
                "itm_a cr_a",
                "itm_b cr_b",
                "itm_c cr_c"
            ]
        );
        assert_eq!(
            written(&p, "t", "count", ""),
            Some("Recommended by 3 creators")
        );
        let r = records(&p);
        let top = r.iter().position(|r| r[..] == ["s", "top"]).unwrap();
        assert_eq!(r[top + 1], ["t", "text", "why cr_a"]);
        let rows = r.iter().filter(|r| r[..] == ["+", "list", "row"]).count();
        assert_eq!(rows, 2, "one list row per other recommendation");
        assert_eq!(r[r.len() - 2], ["@"]);
        assert_eq!(r[r.len() - 1], ["r", "row"], "the template row goes");
        assert_eq!(
            written(&p, "a", "follow", "href"),
            Some("https://p.example/intent/follow?creator=cr_a")
        );
    }

    #[test]
    fn nobody_or_a_bad_answer_shows_nothing() {
        let empty = json!({"status": 200, "body": {"total": 0, "recommendations": []}});
        assert_eq!(records(&plan(&options(), Some(&empty)))[0][0], "empty");
        let one = json!({"status": 200, "body": {"total": 1, "recommendations": [rec("itm_a", "cr_a", 1)]}});
        let p = plan(&options(), Some(&one));
        assert_eq!(written(&p, "r", "more", ""), Some(""));
        assert_eq!(written(&p, "r", "a1", ""), Some(""));
        let bad = json!({"status": 200, "body": {"total": "3", "recommendations": []}});
        let p = plan(&options(), Some(&bad));
        assert_eq!(records(&p)[0][0], "error");
        assert!(records(&p)[0][2].starts_with("proof.total"), "{p}");
        let down = json!({"status": 0});
        assert_eq!(
            records(&plan(&options(), Some(&down)))[0][2],
            "the platform could not be reached"
        );
    }
}
