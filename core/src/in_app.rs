//! Chat apps' own browsers (WeChat, Weibo, QQ), where a large share of
//! readers arrive. They refuse app schemes (`taobao://…`) outright, and some
//! refuse whole partner stores' pages (WeChat and QQ, both Tencent's, do not
//! open Taobao's or Tmall's). There the buy button must never dead-end: no
//! app attempt at all, and a sheet that says how to open the link in the
//! system browser, with the attributed link to copy.
//!
//! The sheet's words are its chunk's (`pkg-template/vitrine-sheet.js`), in
//! both locales, not the card build's: they are some 600 B gzip that every
//! page of cards would carry for the few readers inside a chat app. What
//! the button does, where, and the names the words are built from (the
//! app's, the store's, the locale) are decided here and in the card's plan.

use crate::partner::Partner;

/// An in-app browser the SDK knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InApp {
    /// WeChat (微信), `MicroMessenger/…` in its user agent.
    WeChat,
    /// Weibo (微博), `Weibo` or `__weibo__` in its user agent.
    Weibo,
    /// Mobile QQ, ` QQ/…` in its user agent (not QQ Browser's `MQQBrowser`
    /// alone, which is a browser of its own).
    Qq,
}

/// What the buy button does in an in-app browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    /// The partner's page opens here: follow the link, as anywhere.
    None,
    /// Not known either way: the sheet, with a way to go on here as well.
    Offer,
    /// The app refuses the partner's page: the sheet only.
    Blocked,
}

impl InApp {
    /// The in-app browser `user_agent` is, if any.
    pub fn of(user_agent: &str) -> Option<InApp> {
        // Byte windows, not `str::contains` (see `link::prefers_app`), and
        // one loop over a table: the wasm pays for one search.
        let ua = user_agent.as_bytes();
        [
            (&b"MicroMessenger"[..], InApp::WeChat),
            (b"Weibo", InApp::Weibo),
            (b"__weibo__", InApp::Weibo),
            (b" QQ/", InApp::Qq),
        ]
        .into_iter()
        .find(|(k, _)| ua.windows(k.len()).any(|w| w == *k))
        .map(|(_, app)| app)
    }

    /// The key the click event records it by (the report's breakdown).
    pub fn key(self) -> &'static str {
        match self {
            InApp::WeChat => "wechat",
            InApp::Weibo => "weibo",
            InApp::Qq => "qq",
        }
    }

    /// Its name for readers, Chinese first.
    pub fn name(self, zh: bool) -> &'static str {
        match (self, zh) {
            (InApp::WeChat, true) => "微信",
            (InApp::WeChat, false) => "WeChat",
            (InApp::Weibo, true) => "微博",
            (InApp::Weibo, false) => "Weibo",
            (InApp::Qq, _) => "QQ",
        }
    }

    /// What a buy button for `partner` does here. WeChat and QQ refuse
    /// Alibaba's stores (Taobao, Tmall) and open JD's and Weidian's (Weidian
    /// grew up inside WeChat); what Weibo and a configured partner do is
    /// not known, so the reader is offered both.
    pub fn sheet(self, partner: Partner) -> Sheet {
        match (self, partner) {
            (InApp::WeChat | InApp::Qq, Partner::Taobao | Partner::Tmall) => Sheet::Blocked,
            (InApp::WeChat | InApp::Qq, Partner::Jd | Partner::Weidian) => Sheet::None,
            _ => Sheet::Offer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WECHAT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
    const WECHAT_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.188 Mobile Safari/537.36 XWEB/1260183 MMWEBSDK/20240501 MMWEBID/6171 MicroMessenger/8.0.50.2701(0x28003253) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
    const WEIBO: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Weibo (iPhone15,2__weibo__14.6.2__iphone__os17.5)";
    const QQ: &str = "Mozilla/5.0 (Linux; Android 13; PJZ110 Build/TP1A.220905.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.86 MQQBrowser/6.2 TBS/047205 Mobile Safari/537.36 V1_AND_SQ_9.0.56_5336_YYB_D QQ/9.0.56.16220 NetType/WIFI WebP/0.3.0 AppId/537220296";
    const QQ_BROWSER: &str = "Mozilla/5.0 (Linux; U; Android 13; zh-cn; PJZ110) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.86 MQQBrowser/14.5 Mobile Safari/537.36";
    const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

    #[test]
    fn chat_apps_are_told_apart_from_browsers() {
        assert_eq!(InApp::of(WECHAT), Some(InApp::WeChat));
        assert_eq!(InApp::of(WECHAT_ANDROID), Some(InApp::WeChat));
        assert_eq!(InApp::of(WEIBO), Some(InApp::Weibo));
        assert_eq!(InApp::of(QQ), Some(InApp::Qq));
        assert_eq!(InApp::of(QQ_BROWSER), None, "QQ Browser is a browser");
        assert_eq!(InApp::of(SAFARI), None);
        assert_eq!(InApp::of(""), None);
    }

    #[test]
    fn tencent_apps_refuse_alibaba_stores_and_the_unknown_is_offered() {
        assert_eq!(InApp::WeChat.sheet(Partner::Taobao), Sheet::Blocked);
        assert_eq!(InApp::Qq.sheet(Partner::Tmall), Sheet::Blocked);
        assert_eq!(InApp::WeChat.sheet(Partner::Jd), Sheet::None);
        assert_eq!(InApp::WeChat.sheet(Partner::Weidian), Sheet::None);
        assert_eq!(InApp::Weibo.sheet(Partner::Jd), Sheet::Offer);
        assert_eq!(InApp::WeChat.sheet(Partner::Configured(0)), Sheet::Offer);
    }
}
