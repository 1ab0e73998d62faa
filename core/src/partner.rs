//! The partner registry: which stores the platform allows, how each one
//! names an item in its links, its canonical product page, its app link and
//! its attribution conventions.
//!
//! The four built-in partners and the ones a platform configures are the same
//! data ([`Rule`]); configured rules come as JSON through [`Node`], like items.

use crate::field::is_id;
use crate::json::Node;
use crate::locale::Locale;
use crate::url::{with_params, ParsedUrl};
use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The attribution a click carries.
#[derive(Clone, Copy, Debug)]
pub struct Attribution<'a> {
    /// A fresh random id per click (32 hex digits); the same click recorded
    /// by a redirect and by a beacon is one click.
    pub click_id: &'a str,
    /// The recommending creator.
    pub creator_id: &'a str,
    /// Where the card is shown (the host page's placement id).
    pub placement_id: &'a str,
}

/// A partner store: one of the registry's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partner {
    /// taobao.com
    Taobao,
    /// tmall.com
    Tmall,
    /// weidian.com
    Weidian,
    /// jd.com
    Jd,
    /// A partner the platform configured: its index among the configured rules.
    Configured(u16),
}

/// Text in a rule: borrowed for the built-in partners (static data, no code
/// to build them), owned for configured ones.
pub type Text = Cow<'static, str>;

/// Where a partner's links keep the item id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// In query parameter `param`, on a path ending with `path`.
    Query {
        /// Path suffix, starting with `/` (`/item.htm`).
        path: Text,
        /// Parameter name (`id`).
        param: Text,
    },
    /// In the path itself: `prefix{id}suffix`.
    Path {
        /// Before the id (`/product/`).
        prefix: Text,
        /// After the id (`.html`).
        suffix: Text,
    },
}

/// How a partner is told who sent the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Style {
    /// The Taobao family: the platform's publisher id (`mm_…`, held by the
    /// [`Registry`]) as `pid`, then ours.
    Alimama,
    /// Everyone else: `utm_*` naming us, the creator and the placement.
    Utm,
}

/// One partner's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// A stable key (`taobao`, or a configured partner's own).
    pub key: Text,
    /// Its name for Chinese readers (淘宝).
    pub name_zh: Text,
    /// Its name for everyone else (Taobao).
    pub name_en: Text,
    /// Registrable domains it owns; their subdomains too.
    pub domains: Cow<'static, [Text]>,
    /// Where its links keep the item id, tried in order.
    pub forms: Cow<'static, [Form]>,
    /// Whether ids may hold ASCII letters (else digits only).
    pub alphanumeric_ids: bool,
    /// The canonical product page, `{id}` standing for the item id.
    pub canonical: Text,
    /// The query parameter naming a variant (SKU) kept in canonical links.
    pub sku_param: Option<Text>,
    /// The app link, `{id}` standing for the item id.
    pub app: Option<Text>,
    /// The attribution conventions.
    pub style: Style,
}

/// Longest item id accepted (a u64 has 20 digits; partners' ids have fewer).
pub const MAX_ITEM_ID_LEN: usize = 19;

const fn query(path: &'static str, param: &'static str) -> Form {
    Form::Query {
        path: Cow::Borrowed(path),
        param: Cow::Borrowed(param),
    }
}

const fn path(prefix: &'static str, suffix: &'static str) -> Form {
    Form::Path {
        prefix: Cow::Borrowed(prefix),
        suffix: Cow::Borrowed(suffix),
    }
}

impl Rule {
    /// The name readers know it by, in `locale`.
    pub fn name(&self, locale: Locale) -> &str {
        if locale == Locale::ZhCn {
            &self.name_zh
        } else {
            &self.name_en
        }
    }

    /// Whether the rule claims `host` (lower-case): a domain itself or a
    /// subdomain of it, never a look-alike (`evil-taobao.com`,
    /// `taobao.com.evil.example`).
    pub fn claims(&self, host: &str) -> bool {
        self.domains.iter().any(|domain| {
            host == domain
                || host
                    .strip_suffix(&**domain)
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        })
    }

    fn valid_id(&self, id: &str) -> bool {
        (1..=MAX_ITEM_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (self.alphanumeric_ids && b.is_ascii_alphanumeric()))
    }

    /// The item id (and a variant id, if any) of a parsed link on this
    /// partner's host.
    pub fn item_id(&self, url: &ParsedUrl) -> Option<(String, Option<String>)> {
        let param = |name: &str| {
            url.query
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let id = self.forms.iter().find_map(|form| {
            let id = match form {
                Form::Query { path, param: name } => {
                    url.path.ends_with(&**path).then(|| param(name)).flatten()?
                }
                Form::Path { prefix, suffix } => {
                    url.path.strip_prefix(&**prefix)?.strip_suffix(&**suffix)?
                }
            };
            self.valid_id(id).then(|| id.to_owned())
        })?;
        let sku = self
            .sku_param
            .as_deref()
            .and_then(param)
            .filter(|v| self.valid_id(v))
            .map(str::to_owned);
        Some((id, sku))
    }

    /// The canonical product page for an item (and variant).
    pub fn canonical_url(&self, id: &str, sku: Option<&str>) -> String {
        let url = fill_id(&self.canonical, id);
        match (sku, &self.sku_param) {
            (Some(sku), Some(name)) => with_params(&url, &[(name, sku)]),
            _ => url,
        }
    }

    /// Our attribution, in this partner's conventions. Exactly one click id.
    /// `alimama_pid` is the platform's publisher id for the Taobao family.
    pub fn attribution_params<'a>(
        &self,
        a: &Attribution<'a>,
        alimama_pid: Option<&'a str>,
    ) -> Vec<(&'a str, &'a str)> {
        match &self.style {
            Style::Alimama => {
                let mut params = Vec::with_capacity(4);
                if let Some(pid) = alimama_pid {
                    params.push(("pid", pid));
                }
                params.extend([
                    ("vt_click", a.click_id),
                    ("vt_creator", a.creator_id),
                    ("vt_placement", a.placement_id),
                ]);
                params
            }
            Style::Utm => vec![
                ("utm_source", "vitrine"),
                ("utm_medium", "creator"),
                ("utm_campaign", a.creator_id),
                ("utm_content", a.placement_id),
                ("vt_click", a.click_id),
            ],
        }
    }

    /// The app link for an item, carrying the same attribution as the web
    /// link (`params`, from [`Rule::attribution_params`]).
    pub fn app_link(&self, id: &str, params: &[(&str, &str)]) -> Option<String> {
        let app = fill_id(self.app.as_ref()?, id);
        Some(with_params(&app, params))
    }

    /// Reads a configured partner:
    /// `{"key", "name", "name_zh"?, "domains": [..], "item_path"?: "/p/{id}",
    ///   "item_param"?: {"path", "param"}, "alphanumeric_ids"?, "canonical": "https://…{id}…",
    ///   "app"?: "scheme://…{id}…"}`.
    pub fn from_node<N: Node>(node: &N) -> Result<Rule, &'static str> {
        let text = |key: &str| node.field(key).and_then(|v| v.as_string());
        let key = text("key")
            .filter(|k| is_id(k))
            .ok_or("partner.key must be an id")?;
        let name_en = text("name")
            .filter(|n| !n.trim().is_empty())
            .ok_or("partner.name must be a non-empty string")?;
        let name_zh = text("name_zh").unwrap_or_else(|| name_en.clone());
        let domains_node = node
            .field("domains")
            .ok_or("partner.domains must be a list of domains")?;
        let mut domains = Vec::new();
        for i in 0..MAX_DOMAINS {
            let Some(d) = domains_node.element(i).and_then(|d| d.as_string()) else {
                break;
            };
            if !is_domain(&d) {
                return Err("partner.domains must be plain lower-case DNS names");
            }
            domains.push(Cow::Owned(d));
        }
        if domains.is_empty() {
            return Err("partner.domains must be a list of domains");
        }
        let mut forms = Vec::new();
        if let Some(p) = text("item_path") {
            let (prefix, suffix) = p
                .split_once("{id}")
                .ok_or("partner.item_path must contain {id}")?;
            if !prefix.starts_with('/') {
                return Err("partner.item_path must start with /");
            }
            forms.push(Form::Path {
                prefix: Cow::Owned(prefix.to_owned()),
                suffix: Cow::Owned(suffix.to_owned()),
            });
        }
        if let Some(q) = node.field("item_param") {
            let path = q
                .field("path")
                .and_then(|v| v.as_string())
                .filter(|p| p.starts_with('/'));
            let param = q
                .field("param")
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty());
            match (path, param) {
                (Some(path), Some(param)) => forms.push(Form::Query {
                    path: Cow::Owned(path),
                    param: Cow::Owned(param),
                }),
                _ => return Err("partner.item_param must be {\"path\": \"/…\", \"param\": \"…\"}"),
            }
        }
        if forms.is_empty() {
            return Err("partner needs item_path or item_param");
        }
        let canonical =
            text("canonical").ok_or("partner.canonical must be an https URL with {id}")?;
        let canonical_host = canonical
            .strip_prefix("https://")
            .and_then(|rest| rest.split(['/', '?', '#']).next())
            .unwrap_or_default();
        let rule = Rule {
            key: Cow::Owned(key),
            name_zh: Cow::Owned(name_zh),
            name_en: Cow::Owned(name_en),
            domains: Cow::Owned(domains),
            forms: Cow::Owned(forms),
            alphanumeric_ids: node
                .field("alphanumeric_ids")
                .and_then(|v| v.as_boolean())
                .unwrap_or(false),
            canonical: Cow::Owned(canonical.clone()),
            sku_param: None,
            app: text("app").map(Cow::Owned),
            style: Style::Utm,
        };
        if !canonical.contains("{id}") || !rule.claims(canonical_host) {
            return Err(
                "partner.canonical must be an https URL with {id} on one of the partner's domains",
            );
        }
        if let Some(app) = &rule.app {
            let scheme_ok = app.split_once("://").is_some_and(|(scheme, _)| {
                !scheme.is_empty()
                    && !matches!(scheme, "http" | "https" | "javascript" | "data" | "file")
            });
            if !scheme_ok || !app.contains("{id}") {
                return Err("partner.app must be an app scheme link with {id}");
            }
        }
        Ok(rule)
    }
}

/// `template` with `{id}` replaced by `id`. A byte search: `str::replace`
/// brings the generic substring searcher (about 2 KB of wasm).
fn fill_id(template: &str, id: &str) -> String {
    let at = template.as_bytes().windows(4).position(|w| w == b"{id}");
    match at.and_then(|at| Some((template.get(..at)?, template.get(at + 4..)?))) {
        Some((before, after)) => [before, id, after].concat(),
        None => template.to_owned(),
    }
}

/// Domains one configured partner may claim.
const MAX_DOMAINS: usize = 16;

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && !l.starts_with("xn--")
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The built-in partners, as static data.
static BUILTIN: [Rule; 4] = [
    Rule {
        key: Cow::Borrowed("taobao"),
        name_zh: Cow::Borrowed("淘宝"),
        name_en: Cow::Borrowed("Taobao"),
        domains: Cow::Borrowed(&[Cow::Borrowed("taobao.com")]),
        forms: Cow::Borrowed(&[
            query("/item.htm", "id"),
            query("/awp/core/detail.htm", "id"),
            query("/detail/detail.html", "id"),
            path("/i", ".htm"),
            path("/item/", ".htm"),
        ]),
        alphanumeric_ids: false,
        canonical: Cow::Borrowed("https://item.taobao.com/item.htm?id={id}"),
        sku_param: Some(Cow::Borrowed("skuId")),
        app: Some(Cow::Borrowed("taobao://item.taobao.com/item.htm?id={id}")),
        style: Style::Alimama,
    },
    Rule {
        key: Cow::Borrowed("tmall"),
        name_zh: Cow::Borrowed("天猫"),
        name_en: Cow::Borrowed("Tmall"),
        domains: Cow::Borrowed(&[Cow::Borrowed("tmall.com")]),
        forms: Cow::Borrowed(&[query("/item.htm", "id")]),
        alphanumeric_ids: false,
        canonical: Cow::Borrowed("https://detail.tmall.com/item.htm?id={id}"),
        sku_param: Some(Cow::Borrowed("skuId")),
        app: Some(Cow::Borrowed("tmall://page.tm/itemDetail?id={id}")),
        style: Style::Alimama,
    },
    Rule {
        key: Cow::Borrowed("weidian"),
        name_zh: Cow::Borrowed("微店"),
        name_en: Cow::Borrowed("Weidian"),
        domains: Cow::Borrowed(&[Cow::Borrowed("weidian.com")]),
        forms: Cow::Borrowed(&[query("/item.html", "itemID"), query("/item.html", "itemId"), path("/item/", ".html")]),
        alphanumeric_ids: false,
        canonical: Cow::Borrowed("https://weidian.com/item.html?itemID={id}"),
        sku_param: None,
        app: Some(Cow::Borrowed("weidian://item?itemID={id}")),
        style: Style::Utm,
    },
    Rule {
        key: Cow::Borrowed("jd"),
        name_zh: Cow::Borrowed("京东"),
        name_en: Cow::Borrowed("JD"),
        domains: Cow::Borrowed(&[Cow::Borrowed("jd.com")]),
        forms: Cow::Borrowed(&[path("/", ".html"), path("/product/", ".html"), query("/ware/view.action", "wareId")]),
        alphanumeric_ids: false,
        canonical: Cow::Borrowed("https://item.jd.com/{id}.html"),
        sku_param: None,
        app: Some(Cow::Borrowed(
            "openapp.jdmobile://virtual?params=%7B%22category%22%3A%22jump%22%2C%22des%22%3A%22productDetail%22%2C%22skuId%22%3A%22{id}%22%7D",
        )),
        style: Style::Utm,
    },
];

/// The partners a platform allows: the built-in four, then its own.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    alimama_pid: Option<String>,
    configured: Vec<Rule>,
}

impl Registry {
    /// The built-in partners, with the platform's Alimama publisher id (for
    /// the Taobao family) if it has one.
    pub fn new(alimama_pid: Option<&str>) -> Registry {
        Registry {
            alimama_pid: alimama_pid.map(str::to_owned),
            configured: Vec::new(),
        }
    }

    /// The platform's Alimama publisher id.
    pub fn alimama_pid(&self) -> Option<&str> {
        self.alimama_pid.as_deref()
    }

    /// Adds a configured partner. Refused if it claims a domain another
    /// partner already claims (a configured rule cannot take over Taobao).
    pub fn add(&mut self, rule: Rule) -> Result<Partner, &'static str> {
        let overlaps = |a: &Rule, b: &Rule| {
            a.domains.iter().any(|d| b.claims(d)) || b.domains.iter().any(|d| a.claims(d))
        };
        if BUILTIN
            .iter()
            .chain(self.configured.iter())
            .any(|other| overlaps(&rule, other))
        {
            return Err("partner.domains overlap another partner's");
        }
        let index = u16::try_from(self.configured.len()).map_err(|_| "too many partners")?;
        self.configured.push(rule);
        Ok(Partner::Configured(index))
    }

    /// The partner claiming `host`, with its rule.
    pub fn claiming(&self, host: &str) -> Option<(Partner, &Rule)> {
        self.partners().find(|(_, rule)| rule.claims(host))
    }

    /// Every partner allowed, the built-in four first.
    pub fn partners(&self) -> impl Iterator<Item = (Partner, &Rule)> {
        const KINDS: [Partner; 4] = [
            Partner::Taobao,
            Partner::Tmall,
            Partner::Weidian,
            Partner::Jd,
        ];
        let builtin = BUILTIN.iter().zip(KINDS).map(|(rule, p)| (p, rule));
        let configured = self
            .configured
            .iter()
            .enumerate()
            .map(|(i, rule)| (Partner::Configured(i as u16), rule));
        builtin.chain(configured)
    }

    /// A partner's rule. Partners come from this registry, so a configured
    /// index is always in range; a stray one reads as Taobao rather than
    /// panicking in the browser.
    pub fn rule(&self, partner: Partner) -> &Rule {
        match partner {
            Partner::Taobao => &BUILTIN[0],
            Partner::Tmall => &BUILTIN[1],
            Partner::Weidian => &BUILTIN[2],
            Partner::Jd => &BUILTIN[3],
            Partner::Configured(i) => self.configured.get(usize::from(i)).unwrap_or(&BUILTIN[0]),
        }
    }
}
