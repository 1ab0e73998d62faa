//! The follow button: a creator's avatar, name, verified mark and follower
//! count, and a link to the platform's follow intent.
//!
//! The host page never touches the reader's account. A click opens the
//! platform's `/intent/follow` (the shell tries a popup; if popups are
//! blocked the link's own default opens a tab); the platform page posts its
//! result back, and the shell, once it has checked the origin and the nonce,
//! moves the button through the core's states ([`step`]).
//!
//! The plan's header, in order: `state` (`loading`, `error`, or the follow
//! state once shown), the URL to `fetch`, the `creator` id, the `problem`
//! for the console, and the `intent` URL a click adds its nonce to.

use crate::byline::{followers, verified};
use crate::options::{self, Answer};
use crate::plan::Plan;
use alloc::string::String;
use vitrine_core::field::is_id;
use vitrine_core::follow::intent_url;
use vitrine_core::follow::{FollowEvent, FollowState};
use vitrine_core::item::{Creator, CREATOR};
use vitrine_core::json::Node;
use vitrine_core::locale::Locale;
use vitrine_core::plan::FollowField;

/// The button for `options` (`creator`, `platform`, `locale`, `theme`,
/// `size`, `count`, and `following` when this site remembers it), given the
/// platform's `answer` for the creator (`None` before it arrives).
pub(crate) fn plan<N: Node>(options: &N, answer: Option<&N>) -> String {
    let locale = options::locale(options);
    let platform = options::platform(options);
    let id = options::string(options, "creator").unwrap_or_default();
    let url = [&platform, "/v1/creators/", id.as_str()].concat();
    let intent = intent_url(&platform, &id);
    let answer = Answer::read(answer);
    let problem = if !is_id(&id) {
        options::bad_id("creator", &id)
    } else {
        match answer.as_ref().map(|a| (a.status, a.ok())) {
            None => String::new(),
            Some((_, Some(body))) => match Creator::from_node_at(body, &CREATOR) {
                Ok(creator) if creator.id == id => {
                    return shown(options, locale, &creator, &intent)
                }
                Ok(_) => "the platform answered with another creator".into(),
                Err(e) => e.message(),
            },
            Some((0, _)) => ["the platform could not be reached (creator ", &id, ")"].concat(),
            Some(_) => [
                "the platform did not answer with the creator (creator ",
                &id,
                ")",
            ]
            .concat(),
        }
    };
    let state = if problem.is_empty() {
        "loading"
    } else {
        "error"
    };
    let mut plan = Plan::new(state);
    plan.head(
        FollowField::Fetch,
        if state == "loading" { &url } else { "" },
    )
    .head(FollowField::Creator, &id)
    .head(FollowField::Problem, &problem);
    look(&mut plan, options, locale, state);
    plan.finish()
}

/// The root's attributes: size, count, theme, state, language.
fn look<N: Node>(plan: &mut Plan, options: &N, locale: Locale, state: &str) {
    plan.attr(
        "",
        "data-size",
        if options::is(options, "size", "large") {
            "large"
        } else {
            "small"
        },
    )
    .attr(
        "",
        "data-count",
        if options::is(options, "count", "none") {
            "none"
        } else {
            "show"
        },
    )
    .attr("", "data-theme", options::theme(options))
    .attr("", "data-state", state)
    .attr("", "lang", locale.tag());
}

/// The live button, in the state this site remembers.
fn shown<N: Node>(options: &N, locale: Locale, creator: &Creator, intent: &str) -> String {
    let remembered = options.field("following").and_then(|v| v.as_boolean()) == Some(true);
    let state = if remembered {
        FollowState::Follow.next(FollowEvent::Remembered)
    } else {
        FollowState::Follow
    };
    let mut plan = Plan::new(state.key());
    plan.head(FollowField::Creator, &creator.id)
        .head(FollowField::Intent, intent);
    look(&mut plan, options, locale, state.key());
    plan.attr("avatar", "src", &creator.avatar)
        .text("name", &creator.name)
        .attr("name", "title", &creator.name);
    followers(&mut plan, "count", locale, creator.followers);
    // A link to the platform's page for this creator, in a new tab with an
    // opener (the intent page answers through it); a click gives it a nonce
    // and tries a popup first.
    plan.attr("button", "href", intent)
        .attr("button", "target", "_blank")
        .attr("button", "rel", "opener")
        .text("button", state.label(locale));
    verified(&mut plan, creator.verified, locale);
    plan.finish()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::plan::{records, written};
    use serde_json::{json, Value};

    fn creator() -> Value {
        json!({"id": "cr_1", "name": "Lin", "avatar": "https://img.example/lin.jpg", "followers": 128_000, "verified": true})
    }

    #[test]
    fn asks_for_the_creator_then_shows_the_live_button() {
        let options = json!({"creator": "cr_1", "platform": "https://p.example", "locale": "en", "size": "large"});
        let p = plan(&options, None);
        assert_eq!(
            records(&p)[0],
            ["loading", "https://p.example/v1/creators/cr_1", "cr_1", ""]
        );
        assert_eq!(written(&p, "a", "", "data-size"), Some("large"));
        let p = plan(&options, Some(&json!({"status": 200, "body": creator()})));
        assert_eq!(
            records(&p)[0],
            [
                "follow",
                "",
                "cr_1",
                "",
                "https://p.example/intent/follow?creator=cr_1"
            ]
        );
        assert_eq!(written(&p, "t", "button", ""), Some("Follow"));
        assert_eq!(written(&p, "a", "verified", "title"), Some("Verified"));
        let count: Vec<_> = records(&p).into_iter().filter(|r| r[0] == "n").collect();
        assert_eq!(count, [["n", "count", "en", "128000", "3", " followers"]]);

        let remembered = json!({"creator": "cr_1", "following": true, "locale": "zh-CN"});
        let p = plan(
            &remembered,
            Some(&json!({"status": 200, "body": creator()})),
        );
        assert_eq!(records(&p)[0][0], "following");
        assert_eq!(written(&p, "t", "button", ""), Some("已关注"));
    }

    #[test]
    fn a_small_count_is_shown_in_full() {
        let mut c = creator();
        c["followers"] = json!(8930);
        let p = plan(
            &json!({"creator": "cr_1"}),
            Some(&json!({"status": 200, "body": c})),
        );
        let count: Vec<_> = records(&p).into_iter().filter(|r| r[0] == "n").collect();
        assert_eq!(count, [["n", "count", "zh-CN", "8930", "", " 位关注者"]]);
    }

    #[test]
    fn a_bad_id_or_answer_is_an_error_naming_why() {
        let p = plan(&json!({"creator": "a b"}), None);
        assert_eq!(records(&p)[0][0], "error");
        assert!(records(&p)[0][3].starts_with("creator id \"a b\" is not an id"));
        let options = json!({"creator": "cr_1"});
        let mut other = creator();
        other["id"] = json!("cr_2");
        let p = plan(&options, Some(&json!({"status": 200, "body": other})));
        assert_eq!(
            records(&p)[0][3],
            "the platform answered with another creator"
        );
        let mut bad = creator();
        bad["followers"] = json!(-1);
        let p = plan(&options, Some(&json!({"status": 200, "body": bad})));
        assert_eq!(
            records(&p)[0][3],
            "creator.followers must be a whole number"
        );
        let p = plan(&options, Some(&json!({"status": 503})));
        assert_eq!(
            records(&p)[0][3],
            "the platform did not answer with the creator (creator cr_1)"
        );
    }
}
