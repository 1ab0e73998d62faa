//! The follow button's rules: its states and how they change, and how a
//! follower count is shown. The browser formats the number (`Intl`); which
//! format to ask for is decided here.

use crate::locale::Locale;
use crate::url::push_encoded;
use alloc::string::String;

/// What the follow button shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowState {
    /// Not following (or not known to be): "Follow".
    Follow,
    /// The intent page is open; waiting for the reader there.
    Pending,
    /// Following: "Following". Unfollowing happens on the platform's page.
    Following,
}

/// What can happen to the button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowEvent {
    /// This site remembered the reader follows the creator.
    Remembered,
    /// The reader clicked the button: the intent page opens.
    Clicked,
    /// The intent page reported a result (checked: the platform's origin,
    /// the nonce this click sent): following or not.
    Confirmed {
        /// Whether the reader follows the creator now.
        following: bool,
    },
    /// The intent page was closed without a result.
    Dismissed,
}

impl FollowState {
    /// The state after `event`.
    pub fn next(self, event: FollowEvent) -> FollowState {
        match (self, event) {
            (_, FollowEvent::Confirmed { following: true }) => FollowState::Following,
            (_, FollowEvent::Confirmed { following: false }) => FollowState::Follow,
            (FollowState::Follow, FollowEvent::Remembered) => FollowState::Following,
            // Following stays Following when clicked: the page it opens is
            // where the reader may unfollow, and only its answer changes it.
            (FollowState::Follow, FollowEvent::Clicked) => FollowState::Pending,
            (FollowState::Pending, FollowEvent::Dismissed) => FollowState::Follow,
            (state, _) => state,
        }
    }

    /// The button's label.
    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (FollowState::Follow, Locale::ZhCn) => "关注",
            (FollowState::Follow, Locale::En) => "Follow",
            (FollowState::Pending, Locale::ZhCn) => "关注中…",
            (FollowState::Pending, Locale::En) => "Following…",
            (FollowState::Following, Locale::ZhCn) => "已关注",
            (FollowState::Following, Locale::En) => "Following",
        }
    }

    /// A short machine name, for styling (`data-state`) and for the shell.
    pub fn key(self) -> &'static str {
        match self {
            FollowState::Follow => "follow",
            FollowState::Pending => "pending",
            FollowState::Following => "following",
        }
    }
}

/// Counts below this are shown in full (8,930); from it up, compactly.
pub const COMPACT_FROM: u64 = 10_000;
/// Significant digits of a compact count: 1.28万, 12.8万, 128K, 1.23M.
pub const COMPACT_DIGITS: u8 = 3;

/// How to format a follower count: `Some(significant digits)` for the
/// compact notation, `None` for the full, grouped number.
pub fn compact_digits(count: u64) -> Option<u8> {
    (count >= COMPACT_FROM).then_some(COMPACT_DIGITS)
}

/// The words after a follower count.
pub fn followers_label(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => " 位关注者",
        Locale::En => " followers",
    }
}

/// The path of the platform's follow intent page.
pub const INTENT_PATH: &str = "/intent/follow";
/// What a click appends to the bare intent, before the nonce its answer
/// carries back, and before the origin the answer is posted to. (The build
/// injects both into the shell, which appends them at the click.)
pub const INTENT_NONCE: &str = "&nonce=";
/// See [`INTENT_NONCE`].
pub const INTENT_ORIGIN: &str = "&origin=";

/// The platform's follow intent for a creator, bare: a follow link's own
/// `href` (a middle-click or a blocked popup opens it). `platform` is the
/// platform's origin, or empty for a link on the platform's own pages.
/// `creator_id` is an id ([`crate::field::is_id`]): only characters a query
/// value takes as they are.
#[inline]
pub fn intent_url(platform: &str, creator_id: &str) -> String {
    [platform, INTENT_FOR_CREATOR, creator_id].concat()
}

/// [`INTENT_PATH`] and the creator's parameter, as one piece.
const INTENT_FOR_CREATOR: &str = "/intent/follow?creator=";

/// The intent as a click opens it: with the `nonce` its answer carries back
/// and the `origin` the answer is posted to (the intent page posts to no
/// other).
pub fn intent_for_answer(intent: &str, nonce: &str, origin: &str) -> String {
    let mut url = String::from(intent);
    url.push_str(INTENT_NONCE);
    push_encoded(&mut url, nonce);
    url.push_str(INTENT_ORIGIN);
    push_encoded(&mut url, origin);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use FollowEvent::*;
    use FollowState::*;

    #[test]
    fn the_intent_names_the_creator_and_then_where_its_answer_goes() {
        let bare = intent_url("https://p.example", "cr_lin");
        assert_eq!(bare, "https://p.example/intent/follow?creator=cr_lin");
        assert_eq!(
            intent_for_answer(&bare, "n 1", "https://blog.example"),
            "https://p.example/intent/follow?creator=cr_lin&nonce=n%201&origin=https%3A%2F%2Fblog.example"
        );
        assert_eq!(intent_url("", "cr_lin"), "/intent/follow?creator=cr_lin");
        assert!(INTENT_FOR_CREATOR.starts_with(INTENT_PATH));
    }

    #[test]
    fn the_button_follows_the_intents_answer_only() {
        assert_eq!(Follow.next(Clicked), Pending);
        assert_eq!(
            Pending.next(Clicked),
            Pending,
            "a second click while open changes nothing"
        );
        assert_eq!(Pending.next(Confirmed { following: true }), Following);
        assert_eq!(
            Pending.next(Dismissed),
            Follow,
            "a dismissed popup returns to Follow"
        );
        assert_eq!(Following.next(Dismissed), Following);
        assert_eq!(
            Following.next(Clicked),
            Following,
            "unfollowing happens on the platform's page"
        );
        assert_eq!(
            Following.next(Confirmed { following: false }),
            Follow,
            "…and its answer is heard"
        );
        assert_eq!(Follow.next(Remembered), Following);
        assert_eq!(Pending.next(Remembered), Pending);
    }

    #[test]
    fn counts_turn_compact_at_ten_thousand() {
        assert_eq!(compact_digits(0), None);
        assert_eq!(compact_digits(8_930), None);
        assert_eq!(compact_digits(9_999), None);
        assert_eq!(compact_digits(10_000), Some(3));
        assert_eq!(compact_digits(128_400), Some(3));
    }

    #[test]
    fn labels_in_both_locales() {
        assert_eq!(Following.label(Locale::ZhCn), "已关注");
        assert_eq!(Follow.label(Locale::En), "Follow");
        assert_eq!(followers_label(Locale::ZhCn), " 位关注者");
    }
}
