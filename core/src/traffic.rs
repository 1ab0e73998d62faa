//! Invalid traffic: which accepted events a report does not count, and why.
//!
//! Following the split of the MRC's invalid-traffic guidelines, *general*
//! invalid traffic is found by rules (lists and parameters, not guesses) and
//! kept apart from the counted numbers: a filtered event is stored with its
//! reason, and reports show how many were filtered beside what they count.
//! The rules:
//!
//! | reason | an event is filtered when |
//! |---|---|
//! | `no_impression` | it is a click or a viewable impression from a page view that had no impression of that item |
//! | `repeat_click` | it is a click on an item the same page view (or, through `/r/`, the same client) clicked within [`REPEAT_CLICK_MS`] |
//! | `bot` | the client's user agent is a known bot, crawler, headless browser or non-browser HTTP client ([`is_bot`]) |
//! | `view_rate` | its page view sent more than [`MAX_EVENTS_PER_VIEW`] events: more than a reader can cause |
//!
//! Sending faster than a reader can (per client) is refused before anything
//! is stored (`429`), not filtered: those events are never acknowledged.

/// Why an accepted event is not counted. Stored as its [`code`](Self::code):
/// codes only ever grow at the end of [`Invalid::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invalid {
    /// A click or viewable impression without an impression of its item in
    /// the same page view.
    NoImpression,
    /// A click again on the same item from the same page view or client.
    RepeatClick,
    /// A bot, crawler, headless browser or non-browser client.
    Bot,
    /// More events from one page view than a reader can cause.
    ViewRate,
}

/// Repeat clicks on one item from one page view (or client) within this
/// window count once (as Skimlinks has counted them since 2025).
pub const REPEAT_CLICK_MS: i64 = 30 * 60 * 1000;

/// Most events one page view may send: a page of a thousand cards, each
/// seen, clicked and followed, stays below it.
pub const MAX_EVENTS_PER_VIEW: u64 = 5000;

/// Latest event time accepted, ahead of the server's clock: browsers'
/// clocks drift a little, never hours.
pub const MAX_AHEAD_MS: i64 = 5 * 60 * 1000;

/// Earliest event time accepted, behind the server's clock: a reader may
/// come back online weeks later and the outbox sends what it kept.
pub const MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;

impl Invalid {
    /// Every reason, in code order. Only ever append.
    pub const ALL: [Invalid; 4] = [
        Invalid::NoImpression,
        Invalid::RepeatClick,
        Invalid::Bot,
        Invalid::ViewRate,
    ];

    /// How the reason is stored.
    pub fn code(self) -> u8 {
        match self {
            Invalid::NoImpression => 1,
            Invalid::RepeatClick => 2,
            Invalid::Bot => 3,
            Invalid::ViewRate => 4,
        }
    }

    /// The reason of a stored code.
    pub fn from_code(code: u8) -> Option<Invalid> {
        Invalid::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Invalid::NoImpression => "no_impression",
            Invalid::RepeatClick => "repeat_click",
            Invalid::Bot => "bot",
            Invalid::ViewRate => "view_rate",
        }
    }
}

/// What a user agent names when it is a bot, crawler, preview fetcher,
/// headless or automated browser, or an HTTP library (compared without
/// regard to case). Deliberately short: the IAB/ABC list is the industry's
/// full one, licensed; these are the ones that reach an embed's collector.
pub const BOT_MARKERS: [&str; 26] = [
    "bot",
    "crawler",
    "spider",
    "slurp",
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "webdriver",
    "lighthouse",
    "pagespeed",
    "preview",
    "facebookexternalhit",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww",
    "httpclient",
    "axios/",
    "node-fetch",
    "undici",
];

/// Whether `user_agent` is not a reader's browser: empty, not in the form
/// every browser (and in-app browser) sends (`Mozilla/5.0 (…`), or naming
/// one of [`BOT_MARKERS`].
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.as_bytes();
    if !ua.starts_with(b"Mozilla/5.0 (") {
        return true;
    }
    BOT_MARKERS.iter().any(|marker| {
        let m = marker.as_bytes();
        ua.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m))
    })
}

/// Whether a click at `at_ms` repeats one at `previous_ms` (the same item,
/// the same page view or client).
pub fn repeats(previous_ms: i64, at_ms: i64) -> bool {
    (at_ms - previous_ms).abs() < REPEAT_CLICK_MS
}

/// Whether an event time is one the collector accepts, by the server's
/// clock `now_ms`: at most [`MAX_AHEAD_MS`] ahead, [`MAX_AGE_MS`] behind.
pub fn in_window(ts_ms: i64, now_ms: i64) -> bool {
    ts_ms >= now_ms - MAX_AGE_MS && ts_ms <= now_ms + MAX_AHEAD_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_browsers_are_not_bots() {
        for ua in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ] {
            assert!(!is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn bots_headless_browsers_and_http_clients_are() {
        for ua in [
            "",
            "curl/8.5.0",
            "python-requests/2.31",
            "Go-http-client/1.1",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "facebookexternalhit/1.1",
            "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "Mozilla/5.0",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn codes_are_stable_and_named() {
        let codes: Vec<u8> = Invalid::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4], "a stored code keeps its meaning");
        for r in Invalid::ALL {
            assert_eq!(Invalid::from_code(r.code()), Some(r));
        }
        assert_eq!(Invalid::from_code(0), None);
        assert_eq!(Invalid::RepeatClick.name(), "repeat_click");
    }

    #[test]
    fn time_windows() {
        let now = 1_800_000_000_000;
        assert!(in_window(now + MAX_AHEAD_MS, now));
        assert!(!in_window(now + MAX_AHEAD_MS + 1, now));
        assert!(!in_window(now + 23 * 3600 * 1000, now), "23 hours ahead");
        assert!(in_window(now - MAX_AGE_MS, now));
        assert!(!in_window(now - MAX_AGE_MS - 1, now));
        assert!(repeats(now, now + REPEAT_CLICK_MS - 1));
        assert!(!repeats(now, now + REPEAT_CLICK_MS));
    }
}
