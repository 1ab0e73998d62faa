//! A creator's byline, as every element shows it: the verified mark, the
//! follower count, and a small follow control whose states are the core's
//! ([`vitrine_core::follow`]). The card, the follow button and the proof
//! strip all write theirs here, and both wasm builds have it.

use crate::plan::{Plan, US};
use alloc::string::String;
use vitrine_core::follow::{compact_digits, followers_label, FollowEvent, FollowState};
use vitrine_core::locale::{push_decimal, Locale};

/// A follower count as the button and the strip show it: compact from
/// 10,000 (`12.8万 位关注者`), in full below; the browser formats it.
pub(crate) fn followers(plan: &mut Plan, class: &str, locale: Locale, count: u64) {
    let mut digits = String::new();
    push_decimal(&mut digits, count);
    let mut significant = String::new();
    if let Some(d) = compact_digits(count) {
        push_decimal(&mut significant, d.into());
    }
    plan.write(
        "n",
        &[
            class,
            locale.tag(),
            &digits,
            &significant,
            followers_label(locale),
        ],
    );
}

/// A follow control's next state: `state` (`follow`, `pending`,
/// `following`) after `event` (`0` this site remembers the reader follows,
/// `1` a click, `2` the platform confirmed following, `3` not following, `4`
/// the intent page closed without an answer; anything else changes
/// nothing), as `key` [`US`] `label in locale`.
pub(crate) fn step(state: &str, event: u8, locale: Locale) -> String {
    let state = match state {
        "pending" => FollowState::Pending,
        "following" => FollowState::Following,
        _ => FollowState::Follow,
    };
    let next = match event {
        0 => state.next(FollowEvent::Remembered),
        1 => state.next(FollowEvent::Clicked),
        2 => state.next(FollowEvent::Confirmed { following: true }),
        3 => state.next(FollowEvent::Confirmed { following: false }),
        4 => state.next(FollowEvent::Dismissed),
        _ => state,
    };
    let mut out = String::from(next.key());
    out.push(US);
    out.push_str(next.label(locale));
    out
}

/// A creator's verified mark: labelled when they are verified, else gone.
pub(crate) fn verified(plan: &mut Plan, verified: bool, locale: Locale) {
    let label = locale.texts().verified;
    if verified {
        plan.attr("verified", "aria-label", label)
            .attr("verified", "title", label);
    } else {
        plan.remove("verified");
    }
}

/// A small follow control (the card's byline, a strip's creator): "Follow",
/// linking to the platform's intent page in a new tab with an opener (the
/// page answers through it). The shell moves it through the core's states.
pub(crate) fn follow_control(plan: &mut Plan, locale: Locale, intent: &str) {
    let state = FollowState::Follow;
    plan.text("follow", state.label(locale))
        .attr("follow", "data-follow", state.key())
        .attr("follow", "href", intent)
        .attr("follow", "target", "_blank")
        .attr("follow", "rel", "opener");
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_cores_states_with_their_labels() {
        assert_eq!(step("follow", 1, Locale::En), "pending\u{1f}Following…");
        assert_eq!(step("pending", 4, Locale::En), "follow\u{1f}Follow");
        assert_eq!(step("pending", 2, Locale::ZhCn), "following\u{1f}已关注");
        assert_eq!(step("following", 1, Locale::En), "following\u{1f}Following");
        assert_eq!(step("following", 3, Locale::En), "follow\u{1f}Follow");
        assert_eq!(step("follow", 0, Locale::En), "following\u{1f}Following");
        assert_eq!(step("nonsense", 9, Locale::En), "follow\u{1f}Follow");
    }
}
