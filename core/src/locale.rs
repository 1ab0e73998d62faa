//! The card's two locales and every word it shows.
//!
//! Numbers and prices are formatted by the browser's `Intl` for
//! [`Locale::tag`]; the words around them live here, so the SDK and any
//! server-side rendering agree.

use alloc::string::String;

/// A locale the card speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    /// Simplified Chinese, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// Picks the locale for a BCP 47 tag: `zh*` is Chinese, `en*` and any
    /// other language English (the more widely read fallback); no tag at all
    /// is the default, Chinese.
    pub fn from_tag(tag: Option<&str>) -> Locale {
        match tag.map(str::trim_ascii) {
            None | Some("") => Locale::ZhCn,
            Some(t) if t.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("zh")) => Locale::ZhCn,
            Some(_) => Locale::En,
        }
    }

    /// The tag handed to `Intl` and to the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The words of the card in this locale.
    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::En => &EN,
        }
    }

    /// The buy button's label: "去淘宝购买" / "Buy on Taobao".
    pub fn buy_label(self, store: &str) -> String {
        let t = self.texts();
        [t.buy_before, store, t.buy_after].concat()
    }

    /// "仅剩 3 件" / "Only 3 left".
    pub fn low_stock_label(self, left: u64) -> String {
        let t = self.texts();
        let mut s = String::from(t.low_stock_before);
        push_decimal(&mut s, left);
        s.push_str(t.low_stock_after);
        s
    }
}

/// Every fixed string of the card, in one locale.
#[derive(Debug)]
pub struct Texts {
    /// After the creator's name in the byline.
    pub recommends: &'static str,
    /// Title of the verified mark, read by screen readers.
    pub verified: &'static str,
    /// Read before the struck-through original price.
    pub original_price: &'static str,
    /// Stock label when plenty is left.
    pub in_stock: &'static str,
    /// Around the count when few are left.
    pub low_stock_before: &'static str,
    /// See `low_stock_before`.
    pub low_stock_after: &'static str,
    /// Stock label, and the disabled button's label, when none is left.
    pub sold_out: &'static str,
    /// Around the store name on the buy button.
    pub buy_before: &'static str,
    /// See `buy_before`.
    pub buy_after: &'static str,
    /// The disabled button's label when the store link is unsafe.
    pub unavailable: &'static str,
    /// Said about a card whose content is still loading.
    pub loading: &'static str,
    /// The fallback's message.
    pub fallback: &'static str,
    /// The fallback's link to the store, when the link is safe.
    pub fallback_link: &'static str,
    /// Badge for a store that is not a known partner.
    pub other_store: &'static str,
    /// The disclosure every card, tile and strip carries: it holds
    /// purchase links the creator may be paid for (China's Internet
    /// Advertising Measures, 2023: "广告"; the FTC's and Amazon's rules:
    /// "Ad" near the link).
    pub disclosure: &'static str,
}

static ZH_CN: Texts = Texts {
    recommends: "推荐",
    verified: "已认证",
    original_price: "原价",
    in_stock: "有货",
    low_stock_before: "仅剩 ",
    low_stock_after: " 件",
    sold_out: "已售罄",
    buy_before: "去",
    buy_after: "购买",
    unavailable: "暂不可购买",
    loading: "正在加载推荐",
    fallback: "这条推荐暂时无法显示",
    fallback_link: "去商店看看",
    other_store: "商店",
    disclosure: "广告",
};

static EN: Texts = Texts {
    recommends: "recommends",
    verified: "Verified",
    original_price: "Original price",
    in_stock: "In stock",
    low_stock_before: "Only ",
    low_stock_after: " left",
    sold_out: "Sold out",
    buy_before: "Buy on ",
    buy_after: "",
    unavailable: "Unavailable",
    loading: "Loading recommendation",
    fallback: "This recommendation can’t be shown right now",
    fallback_link: "View in store",
    other_store: "Store",
    disclosure: "Ad",
};

/// Appends `n` in decimal digits. Hand-written because `core::fmt` costs
/// kilobytes in the wasm for what is a three-line loop.
pub fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_pick_a_locale() {
        assert_eq!(Locale::from_tag(None), Locale::ZhCn);
        assert_eq!(Locale::from_tag(Some("")), Locale::ZhCn);
        assert_eq!(Locale::from_tag(Some("zh-CN")), Locale::ZhCn);
        assert_eq!(Locale::from_tag(Some("zh-Hans")), Locale::ZhCn);
        assert_eq!(Locale::from_tag(Some("ZH")), Locale::ZhCn);
        assert_eq!(Locale::from_tag(Some("en")), Locale::En);
        assert_eq!(Locale::from_tag(Some("en-GB")), Locale::En);
        assert_eq!(Locale::from_tag(Some("fr")), Locale::En);
    }

    #[test]
    fn labels_read_naturally_in_both_locales() {
        assert_eq!(Locale::ZhCn.buy_label("淘宝"), "去淘宝购买");
        assert_eq!(Locale::En.buy_label("Taobao"), "Buy on Taobao");
        assert_eq!(Locale::ZhCn.low_stock_label(3), "仅剩 3 件");
        assert_eq!(Locale::En.low_stock_label(1), "Only 1 left");
    }

    #[test]
    fn decimals_are_written_like_format() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
