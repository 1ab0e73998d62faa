//! The creator studio (`/studio`): where a signed-in creator publishes what
//! they recommend. They paste the partner store's link (checked by the same
//! link rules as the SDK, with the reason when refused), upload a picture
//! (checked by its bytes, not its name), write the reason and the price,
//! watch the SDK itself render the card as they type (`studio.js`), save,
//! and copy the embed snippet. Items can be edited, unpublished (embeds then
//! show the fallback) and published again.
//!
//! Every check that decides what an item may be is the core's: the form is
//! turned into a wire item and validated by `Item::from_node`, exactly as the
//! SDK validates what it is served.

use crate::api::{base_url, blocking, ApiError, AppState};
use crate::intent::{esc, reader, same_site_only};
use crate::store::{CreatorRow, ItemRow, ReaderRow, StudioItem};
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use vitrine_core::field::is_id;
use vitrine_core::item::Item;
use vitrine_core::link::{canonicalize, Canonical, LinkError};
use vitrine_core::locale::Locale;
use vitrine_core::partner::Registry;
use vitrine_core::whatwg::UrlCrate;

/// The largest picture accepted: a product photo, not a print master.
pub const MAX_PICTURE_BYTES: usize = 2 * 1024 * 1024;

/// What a picture's first bytes say it is: (content type, extension). Only
/// raster formats every browser shows; SVG is refused, since it can carry
/// script and links.
pub fn sniff_picture(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let at = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else if at(0..4) == b"RIFF" && at(8..12) == b"WEBP" {
        Some(("image/webp", "webp"))
    } else if at(4..8) == b"ftyp" && matches!(at(8..12), b"avif" | b"avis") {
        Some(("image/avif", "avif"))
    } else {
        None
    }
}

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

/// A signed-in account in the studio: who, the creator it acts as (if
/// any), and the CSRF token its forms carry.
struct Session {
    account: ReaderRow,
    key: String,
    creator: Option<CreatorRow>,
    csrf: String,
}

async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ApiError> {
    let Some((account, key)) = reader(state, headers).await? else {
        return Ok(None);
    };
    let id = account.id.clone();
    let creator = blocking(state, move |s| s.account_creator(&id)).await?;
    let csrf = crate::accounts::csrf_token(&state.secret, &key);
    Ok(Some(Session {
        account,
        key,
        creator,
        csrf,
    }))
}

fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/studio"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn to_signin(path: &str) -> Response {
    let mut next = String::from("/signin?next=");
    vitrine_core::url::push_encoded(&mut next, path);
    see_other(&next)
}

/// The session of a POST: from the platform's own page, signed in as a
/// creator, carrying the session's CSRF token.
async fn creator_post(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(Session, CreatorRow), ApiError> {
    same_site_only(headers)?;
    let Some(mut session) = session(state, headers).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "sign in first",
        ));
    };
    if !crate::accounts::csrf_ok(&state.secret, &session.key, csrf) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form's token is missing or wrong",
        ));
    }
    let creator = session.creator.take().ok_or_else(not_a_creator)?;
    Ok((session, creator))
}

fn not_a_creator() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_a_creator",
        "this account does not publish as a creator",
    )
}

fn not_yours() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "you have no item with that id",
    )
}

/// The item `id` if it is this creator's.
async fn own_item(
    state: &AppState,
    creator: &CreatorRow,
    id: &str,
) -> Result<StudioItem, ApiError> {
    if !is_id(id) {
        return Err(not_yours());
    }
    let lookup = id.to_owned();
    let item = blocking(state, move |s| s.studio_item(&lookup)).await?;
    item.filter(|i| i.item.creator_id == creator.id)
        .ok_or_else(not_yours)
}

// ---------------------------------------------------------------- the form

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
    fn from_item(row: &ItemRow) -> Draft {
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

/// The form's controls: (name, label, the core's field path).
const FIELDS: [(&str, &str, &str); 8] = [
    ("link", "商品链接 · Product link", "item.store.url"),
    ("title", "标题 · Title", "item.title"),
    ("picture", "图片 · Picture", "item.image"),
    ("reason", "推荐理由 · Why you recommend it", "item.reason"),
    ("price", "价格 · Price", "item.price.amount"),
    (
        "original_price",
        "原价 · Original price",
        "item.original_price.amount",
    ),
    ("currency", "货币 · Currency", "item.price.currency"),
    ("stock", "库存 · Stock", "item.stock"),
];

const CURRENCIES: [&str; 7] = ["CNY", "USD", "EUR", "GBP", "JPY", "HKD", "SGD"];

/// Which control a core field path belongs to, and a valid stand-in to put
/// in its place so that the next check can find the next problem.
fn control_of(path: &str) -> Option<(&'static str, &'static str, Value)> {
    let (name, pointer, standin) = match path {
        p if p.starts_with("item.store") => {
            ("link", "/store/url", json!("https://item.jd.com/1.html"))
        }
        "item.title" => ("title", "/title", json!("x")),
        "item.image" => ("picture", "/image", json!("https://platform.invalid/x.png")),
        "item.reason" => ("reason", "/reason", json!("x")),
        "item.price" | "item.price.amount" => ("price", "/price/amount", json!("1")),
        "item.price.currency" => ("currency", "/price/currency", json!("CNY")),
        p if p.starts_with("item.original_price") => {
            ("original_price", "/original_price", Value::Null)
        }
        "item.stock" => ("stock", "/stock", Value::Null),
        _ => return None,
    };
    Some((name, pointer, standin))
}

fn label(name: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or("", |(_, label, _)| label)
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
                let Some((name, pointer, standin)) = control_of(e.field) else {
                    problems.push(Problem {
                        field: "form",
                        message: e.message(),
                    });
                    break None;
                };
                if !problems.iter().any(|p| p.field == name) {
                    problems.push(Problem {
                        field: name,
                        message: [label(name), " ", e.rule].concat(),
                    });
                }
                match value.pointer_mut(pointer) {
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
            problems.sort_by_key(|p| FIELDS.iter().position(|(n, _, _)| *n == p.field));
            Err(problems)
        }
    }
}

/// Whether `path` names a picture stored on this platform (`/media/name`).
fn media_name(path: &str) -> Option<&str> {
    path.strip_prefix("/media/").filter(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    })
}

// ---------------------------------------------------------------- pages

fn studio_page(
    title: &str,
    session: &Session,
    creator: Option<&CreatorRow>,
    base: &str,
    body: &str,
) -> String {
    let who = match creator {
        Some(c) => format!(
            r#"<span class="who"><img class="avatar" src="{base}{}" alt="">{}</span><a href="/dashboard?creator={}">数据 · Report</a>"#,
            esc(&c.avatar_path),
            esc(&c.name),
            esc(&c.id)
        ),
        None => format!(
            r#"<span class="who">{}</span>"#,
            esc(&session.account.email)
        ),
    };
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · Vitrine Studio</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/studio.css"><link rel="modulepreload" href="/pkg/vitrine.js"><script type="module" src="/studio.js"></script></head><body><header class="bar"><a class="brand" href="/studio">Vitrine <span>Studio</span></a><nav>{who}<form method="post" action="/signout"><input type="hidden" name="csrf" value="{}"><button class="link">退出 · Sign out</button></form></nav></header><main>{body}</main></body></html>"#,
        esc(title),
        esc(&session.csrf)
    )
}

fn html(status: StatusCode, page: String) -> Response {
    (status, Html(page)).into_response()
}

/// `GET /studio`: the creator's items.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(session) = session(&state, &headers).await? else {
        return Ok(to_signin("/studio"));
    };
    let base = base_url(&headers);
    let Some(creator) = session.creator.clone() else {
        let body = r#"<h1>这个账号不是创作者 · Not a creator's account</h1><p class="lead">工作室用于发布推荐。请用创作者账号登录（演示：<code>lin@vitrine.demo</code>）。 · The studio is where creators publish their picks. Sign in with a creator's account (in the demo: <code>lin@vitrine.demo</code>).</p>"#;
        return Ok(html(
            StatusCode::FORBIDDEN,
            studio_page("Studio", &session, None, &base, body),
        ));
    };
    let id = creator.id.clone();
    let items = blocking(&state, move |s| s.studio_items(&id)).await?;
    let mut body = String::from(
        r#"<div class="head"><h1>我的推荐 · My picks</h1><a class="button" href="/studio/new">＋ 新推荐 · New pick</a></div>"#,
    );
    if items.is_empty() {
        body.push_str(r#"<p class="lead">还没有推荐。 · Nothing published yet.</p>"#);
    } else {
        body.push_str(r#"<ul class="items">"#);
        for StudioItem { item, published } in &items {
            let (class, state) = if *published {
                ("published", "已发布 · Published")
            } else {
                ("unpublished", "未发布 · Unpublished")
            };
            body.push_str(&format!(
                r#"<li><img src="{base}{}" alt=""><a href="/studio/items/{}">{}</a><span class="price">{} {}</span><span class="state {class}">{state}</span></li>"#,
                esc(&item.image_path),
                esc(&item.id),
                esc(&item.title),
                esc(&item.currency),
                esc(&item.price_amount),
            ));
        }
        body.push_str("</ul>");
    }
    Ok(html(
        StatusCode::OK,
        studio_page(
            "我的推荐 · My picks",
            &session,
            Some(&creator),
            &base,
            &body,
        ),
    ))
}

/// The editor, with the draft's values, its problems, and (for a saved
/// item) the snippet and the publish switch.
fn editor(
    session: &Session,
    creator: &CreatorRow,
    base: &str,
    draft: &Draft,
    problems: &[Problem],
    saved: Option<&StudioItem>,
    just_saved: bool,
) -> String {
    let action = match saved {
        Some(s) => format!("/studio/items/{}", s.item.id),
        None => "/studio/items".into(),
    };
    let problem = |name: &str| problems.iter().find(|p| p.field == name);
    let invalid = |name: &str| {
        if problem(name).is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        }
    };
    let error = |name: &str| {
        problem(name).map_or(String::new(), |p| {
            format!(
                r#"<p class="error" id="{name}-error">{}</p>"#,
                esc(&p.message)
            )
        })
    };
    let described = |name: &str| {
        if problem(name).is_some() {
            format!(r#" aria-describedby="{name}-error""#)
        } else {
            String::new()
        }
    };
    let field = |name: &str, input: String| {
        format!(
            r#"<div class="field" data-control="{name}"><label for="{name}">{}</label>{input}{}</div>"#,
            label(name),
            error(name)
        )
    };
    let text_input = |name: &str, path: &str, value: &str, extra: &str| {
        field(
            name,
            format!(
                r#"<input id="{name}" name="{name}" value="{}" data-field="{path}"{}{}{extra}>"#,
                esc(value),
                invalid(name),
                described(name)
            ),
        )
    };
    let mut html = String::new();
    if just_saved {
        html.push_str(r#"<p class="saved" role="status">已保存 · Saved</p>"#);
    }
    if !problems.is_empty() {
        html.push_str(
            r#"<div class="summary" role="alert"><p>请修改以下内容 · Please fix:</p><ul>"#,
        );
        for p in problems {
            html.push_str(&format!(
                r##"<li><a href="#{}">{}</a></li>"##,
                if p.field == "form" { "title" } else { p.field },
                esc(&p.message)
            ));
        }
        html.push_str("</ul></div>");
    }
    let heading = if saved.is_some() {
        "编辑推荐 · Edit pick"
    } else {
        "新推荐 · New pick"
    };
    let creator_json = json!({
        "id": creator.id, "name": creator.name, "avatar": format!("{base}{}", creator.avatar_path),
        "followers": creator.followers, "verified": creator.verified,
    });
    let item_id = saved.map_or("itm_preview", |s| s.item.id.as_str());
    html.push_str(&format!(
        r#"<h1>{heading}</h1><div class="editor"><form id="item-form" method="post" action="{}" novalidate data-creator="{}" data-item="{}" data-base="{}"><input type="hidden" name="csrf" value="{}">"#,
        esc(&action),
        esc(&creator_json.to_string()),
        esc(item_id),
        esc(base),
        esc(&session.csrf)
    ));
    html.push_str(&field(
        "link",
        format!(
            r#"<input id="link" name="link" type="url" inputmode="url" autocomplete="off" placeholder="https://item.taobao.com/item.htm?id=…" value="{}" data-field="item.store.url"{}{}><p class="hint" id="link-hint" aria-live="polite">淘宝、天猫、微店、京东的商品链接，手机版或带参数的都可以 · A product link from Taobao, Tmall, Weidian or JD, mobile or with tracking noise.</p>"#,
            esc(&draft.link),
            invalid("link"),
            if problem("link").is_some() { r#" aria-describedby="link-error link-hint""# } else { r#" aria-describedby="link-hint""# }
        ),
    ));
    html.push_str(&text_input(
        "title",
        "item.title",
        &draft.title,
        r#" maxlength="200" autocomplete="off""#,
    ));
    let picture_src = if draft.image.is_empty() {
        String::new()
    } else {
        format!("{base}{}", draft.image)
    };
    html.push_str(&field(
        "picture",
        format!(
            r#"<div class="picture"><img id="picture-img" alt="" src="{}"{}><div><input id="picture" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif" data-field="item.image"{}{}><p class="hint" id="picture-hint" aria-live="polite">JPEG、PNG、WebP、GIF 或 AVIF，最大 2 MB · JPEG, PNG, WebP, GIF or AVIF, at most 2 MB.</p></div></div><input type="hidden" id="image" name="image" value="{}">"#,
            esc(&picture_src),
            if picture_src.is_empty() { " hidden" } else { "" },
            invalid("picture"),
            described("picture"),
            esc(&draft.image)
        ),
    ));
    html.push_str(&field(
        "reason",
        format!(
            r#"<textarea id="reason" name="reason" rows="4" maxlength="1000" data-field="item.reason"{}{}>{}</textarea>"#,
            invalid("reason"),
            described("reason"),
            esc(&draft.reason)
        ),
    ));
    let currency = if draft.currency.is_empty() {
        "CNY"
    } else {
        draft.currency.as_str()
    };
    let options: String = CURRENCIES
        .iter()
        .map(|c| {
            let selected = if *c == currency { " selected" } else { "" };
            format!(r#"<option{selected}>{c}</option>"#)
        })
        .collect();
    html.push_str(r#"<div class="row">"#);
    html.push_str(&text_input(
        "price",
        "item.price.amount",
        &draft.price,
        r#" inputmode="decimal" placeholder="89.00" autocomplete="off""#,
    ));
    html.push_str(&text_input(
        "original_price",
        "item.original_price.amount",
        &draft.original_price,
        r#" inputmode="decimal" placeholder="可不填 · optional" autocomplete="off""#,
    ));
    html.push_str(&field(
        "currency",
        format!(r#"<select id="currency" name="currency" data-field="item.price.currency"{}>{options}</select>"#, invalid("currency")),
    ));
    html.push_str("</div>");
    html.push_str(&text_input(
        "stock",
        "item.stock",
        &draft.stock,
        r#" inputmode="numeric" placeholder="不填则不显示 · empty: not shown" autocomplete="off""#,
    ));
    html.push_str(&format!(
        r#"<button class="primary">{}</button></form>"#,
        if saved.is_some() {
            "保存 · Save"
        } else {
            "发布 · Publish"
        }
    ));
    html.push_str(r#"<aside class="preview" aria-label="预览 · Preview"><div class="preview-head"><h2>预览 · Preview</h2><select id="preview-layout" aria-label="版式 · Layout"><option value="full">完整 · Full</option><option value="compact">紧凑 · Compact</option></select><select id="preview-locale" aria-label="语言 · Language"><option value="zh-CN">中文</option><option value="en">English</option></select></div><div id="preview"></div><p class="hint" id="preview-hint" aria-live="polite"></p><noscript><p class="error">预览和图片上传需要 JavaScript · The preview and picture upload need JavaScript.</p></noscript></aside></div>"#);
    if let Some(saved) = saved {
        html.push_str(&share(session, saved, base));
    }
    html
}

/// The snippet, in both forms, and the publish switch.
fn share(session: &Session, saved: &StudioItem, base: &str) -> String {
    let id = &saved.item.id;
    let tag = format!(
        "<script async src=\"{base}/pkg/vitrine.embed.js\"></script>\n<vitrine-card item=\"{id}\"></vitrine-card>"
    );
    let npm = format!(
        "npm install @vitrine/sdk\n\n// main.js\nimport \"@vitrine/sdk\";\n\n<!-- your page -->\n<vitrine-card item=\"{id}\" platform=\"{base}\"></vitrine-card>"
    );
    let (notice, switch_value, switch_label) = if saved.published {
        ("", "0", "取消发布 · Unpublish")
    } else {
        (
            r#"<p class="notice">未发布：已嵌入的卡片会显示为“不可用”，不会显示旧内容。 · Unpublished: pages that embed it show the fallback, never old data.</p>"#,
            "1",
            "重新发布 · Publish again",
        )
    };
    format!(
        r#"<section class="share"><h2>嵌入代码 · Embed it</h2>{notice}<h3>任何网页：粘贴这段代码 · Any page: paste this</h3><div class="snippet"><pre id="snippet-tag">{}</pre><button type="button" class="copy" data-copy="snippet-tag">复制 · Copy</button></div><h3>用 npm 的网站 · Sites built with npm</h3><div class="snippet"><pre id="snippet-npm">{}</pre><button type="button" class="copy" data-copy="snippet-npm">复制 · Copy</button></div><form method="post" action="/studio/items/{}/publish"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="published" value="{switch_value}"><button class="quiet" id="publish-switch">{switch_label}</button></form></section>"#,
        esc(&tag),
        esc(&npm),
        esc(id),
        esc(&session.csrf)
    )
}

async fn creator_page(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<Result<(Session, CreatorRow), Response>, ApiError> {
    let Some(session) = session(state, headers).await? else {
        return Ok(Err(to_signin(path)));
    };
    match session.creator.clone() {
        Some(creator) => Ok(Ok((session, creator))),
        None => Ok(Err(see_other("/studio"))),
    }
}

/// `GET /studio/new`: an empty editor.
pub async fn new_item(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (session, creator) = match creator_page(&state, &headers, "/studio/new").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let base = base_url(&headers);
    let body = editor(
        &session,
        &creator,
        &base,
        &Draft::default(),
        &[],
        None,
        false,
    );
    Ok(html(
        StatusCode::OK,
        studio_page("新推荐 · New pick", &session, Some(&creator), &base, &body),
    ))
}

/// `GET /studio/items/{id}`: the editor for a saved item, with its snippet.
pub async fn edit_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (session, creator) =
        match creator_page(&state, &headers, &format!("/studio/items/{id}")).await? {
            Ok(s) => s,
            Err(redirect) => return Ok(redirect),
        };
    let saved = own_item(&state, &creator, &id).await?;
    let base = base_url(&headers);
    let draft = Draft::from_item(&saved.item);
    let just_saved = query.contains_key("saved");
    let body = editor(
        &session,
        &creator,
        &base,
        &draft,
        &[],
        Some(&saved),
        just_saved,
    );
    Ok(html(
        StatusCode::OK,
        studio_page(&saved.item.title, &session, Some(&creator), &base, &body),
    ))
}

async fn save(
    state: AppState,
    headers: HeaderMap,
    draft: Draft,
    existing: Option<String>,
) -> Result<Response, ApiError> {
    let (session, creator) = creator_post(&state, &headers, &draft.csrf).await?;
    let saved = match &existing {
        Some(id) => Some(own_item(&state, &creator, id).await?),
        None => None,
    };
    let id = existing.unwrap_or_else(|| format!("itm_{}", &crate::links::new_click_id()[..16]));
    let picture = media_name(&draft.image).map(str::to_owned);
    let picture_ok = match picture {
        Some(name) => blocking(&state, move |s| s.media(&name)).await?.is_some(),
        None => false,
    };
    match check_draft(&draft, &id, &creator, &state.registry, picture_ok) {
        Ok(row) => {
            let product = crate::api::product_of(&row.store_url, &state.registry);
            blocking(&state, move |s| s.save_item(&row, product.as_deref())).await?;
            Ok(see_other(&format!("/studio/items/{id}?saved")))
        }
        Err(problems) => {
            let base = base_url(&headers);
            let body = editor(
                &session,
                &creator,
                &base,
                &draft,
                &problems,
                saved.as_ref(),
                false,
            );
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                studio_page(
                    "请修改 · Please fix",
                    &session,
                    Some(&creator),
                    &base,
                    &body,
                ),
            ))
        }
    }
}

/// `POST /studio/items`: publishes a new item.
pub async fn create_item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Result<Response, ApiError> {
    save(state, headers, draft, None).await
}

/// `POST /studio/items/{id}`: saves changes to an item.
pub async fn update_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(draft): Form<Draft>,
) -> Result<Response, ApiError> {
    save(state, headers, draft, Some(id)).await
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: String,
    published: String,
}

/// `POST /studio/items/{id}/publish`: `published=1` or `0`.
pub async fn publish(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PublishForm>,
) -> Result<Response, ApiError> {
    let (_, creator) = creator_post(&state, &headers, &form.csrf).await?;
    own_item(&state, &creator, &id).await?;
    let published = match form.published.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "published must be 1 or 0",
            ))
        }
    };
    let target = id.clone();
    blocking(&state, move |s| s.set_published(&target, published)).await?;
    Ok(see_other(&format!("/studio/items/{id}")))
}

/// `POST /studio/media`: a picture's bytes (the body), with the CSRF token
/// in `X-CSRF-Token`. Stored under a name made from its content, so the
/// same picture uploaded twice is one file.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    creator_post(&state, &headers, &csrf).await?;
    if body.len() > MAX_PICTURE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "图片超过 2 MB · The picture is larger than 2 MB",
        ));
    }
    let Some((content_type, ext)) = sniff_picture(&body) else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_picture",
            "这个文件不是 JPEG、PNG、WebP、GIF 或 AVIF 图片（按内容判断，不看文件名）· This file is not a JPEG, PNG, WebP, GIF or AVIF picture (judged by its content, not its name)",
        ));
    };
    let digest: String = Sha256::digest(&body)[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("up-{digest}.{ext}");
    let stored = name.clone();
    blocking(&state, move |s| {
        s.insert_media(&stored, content_type, &body)
    })
    .await?;
    let path = format!("/media/{name}");
    let url = format!("{}{path}", base_url(&headers));
    Ok((StatusCode::CREATED, Json(json!({"path": path, "url": url}))).into_response())
}

/// `GET /studio/link?url=…`: what the link rules make of a pasted link, as
/// the creator types: the store and canonical page, or why it is refused.
pub async fn check_link(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let link = query.get("url").map_or("", String::as_str);
    Json(match canonicalize(link, &UrlCrate, &state.registry) {
        Ok(c) => {
            let rule = state.registry.rule(c.partner);
            json!({
                "ok": true,
                "store": format!("{} · {}", rule.name(Locale::ZhCn), rule.name(Locale::En)),
                "item": c.item_id,
                "canonical": c.url,
            })
        }
        Err(e) => {
            json!({"ok": false, "reason": e.reason(), "message": link_refusal(e, &state.registry)})
        }
    })
}

/// `GET /studio.js` and `/studio.css`: the studio's only script and style.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/studio.js"),
    )
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/studio.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{csrf_token, session_key};
    use crate::api::tests::{app_and_store, request, send};
    use crate::links::Secret;
    use crate::store::Store;
    use std::sync::Arc;

    /// A live session for a demo account: its cookie and CSRF token.
    fn signed_in(store: &Arc<dyn Store>, account: &str) -> (String, String) {
        let token = crate::links::new_click_id();
        let key = session_key(&token);
        store
            .create_session(&key, account, crate::store::now_ms() + 60_000)
            .unwrap();
        (
            format!("vitrine_session={token}"),
            csrf_token(&Secret::fixed(1), &key),
        )
    }

    fn form(fields: &[(&str, &str)]) -> String {
        let mut out = String::new();
        for (name, value) in fields {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            vitrine_core::url::push_encoded(&mut out, value);
        }
        out
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

    #[tokio::test]
    async fn a_creator_publishes_edits_and_unpublishes_and_nobody_else_can() {
        let (app, store) = app_and_store();
        let (status, headers, _) = send(&app, "GET", "/studio", &[], None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/signin?next=%2Fstudio");

        let (reader, _) = signed_in(&store, "rd_xiaowang");
        let (status, _, page) = send(&app, "GET", "/studio", &[("cookie", &reader)], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("Not a creator's account"), "{page}");

        let (lin, csrf) = signed_in(&store, "rd_lin");
        let own = [("cookie", lin.as_str()), ("sec-fetch-site", "same-origin")];
        let (status, headers, page) = send(&app, "GET", "/studio", &own, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-security-policy"], crate::api::PAGE_CSP);
        assert!(page.contains("手作粗陶马克杯") && !page.contains("Mechanical Keyboard"));

        // Pictures: by their bytes, with the session's token, at most 2 MB.
        let upload = |headers: Vec<(&'static str, String)>, bytes: Vec<u8>| {
            let app = app.clone();
            async move {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                request(
                    &app,
                    "POST",
                    "/studio/media",
                    &headers,
                    Some(("image/jpeg", bytes)),
                )
                .await
            }
        };
        let with = |csrf: &str| {
            vec![
                ("cookie", lin.clone()),
                ("sec-fetch-site", "same-origin".to_owned()),
                ("x-csrf-token", csrf.to_owned()),
            ]
        };
        let (status, _, body) = upload(with(&csrf), b"hello, I am photo.jpg".to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        assert!(body.contains("not_a_picture"));
        let (status, _, _) = upload(with("0"), PNG.to_vec()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no upload without the token");
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PICTURE_BYTES + 1, 0);
        let (status, _, _) = upload(with(&csrf), big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, _, body) = upload(with(&csrf), PNG.to_vec()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let picture: Value = serde_json::from_str(&body).unwrap();
        let path = picture["path"].as_str().unwrap().to_owned();
        let (status, headers, _) = send(&app, "GET", &path, &[], None).await;
        assert_eq!(
            (status, &headers["content-type"]),
            (StatusCode::OK, &HeaderValue::from_static("image/png"))
        );

        let draft = |link: &str, title: &str| {
            form(&[
                ("csrf", &csrf),
                ("link", link),
                ("title", title),
                ("image", &path),
                ("reason", "每天都在用。"),
                ("price", "159"),
                ("original_price", ""),
                ("currency", "CNY"),
                ("stock", "12"),
            ])
        };
        let refused = draft(
            "https://item.taobao.com.evil.example/item.htm?id=1",
            "手冲壶",
        );
        let (status, _, page) = send(&app, "POST", "/studio/items", &own, Some(&refused)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("This is not a store the platform works with"),
            "{page}"
        );
        assert!(
            page.contains(r#"id="link-error""#) && page.contains("手冲壶"),
            "the draft is kept"
        );

        let good = draft(
            "https://item.taobao.com/item.htm?spm=a1&id=681234567890",
            "手冲壶",
        );
        let cross_site = [("cookie", lin.as_str()), ("sec-fetch-site", "cross-site")];
        let (status, _, _) = send(&app, "POST", "/studio/items", &cross_site, Some(&good)).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "another site cannot publish as her"
        );
        let (status, headers, _) = send(&app, "POST", "/studio/items", &own, Some(&good)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = headers["location"].to_str().unwrap().to_owned();
        let id = location
            .strip_prefix("/studio/items/")
            .and_then(|l| l.strip_suffix("?saved"))
            .unwrap()
            .to_owned();
        let served = format!("/v1/items/{id}");
        let (status, _, item) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        let item: Value = serde_json::from_str(&item).unwrap();
        assert_eq!(
            item["store"]["url"],
            "https://item.taobao.com/item.htm?id=681234567890"
        );
        assert_eq!(item["image"], format!("http://127.0.0.1:9999{path}"));
        assert_eq!(item["creator"]["id"], "cr_linxiaoman");
        let (_, _, page) = send(&app, "GET", &location, &own, None).await;
        assert!(
            page.contains(&format!("&lt;vitrine-card item=&quot;{id}&quot;&gt;")),
            "the snippet"
        );

        // Maya can neither see, edit nor unpublish Lin's pick.
        let (maya, maya_csrf) = signed_in(&store, "rd_maya");
        let hers = [("cookie", maya.as_str()), ("sec-fetch-site", "same-origin")];
        let edit = format!("/studio/items/{id}");
        let (status, _, _) = send(&app, "GET", &edit, &hers, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let takeover =
            draft("https://item.jd.com/100012043978.html", "Mine now").replace(&csrf, &maya_csrf);
        let (status, _, _) = send(&app, "POST", &edit, &hers, Some(&takeover)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let unpublish = format!("{edit}/publish");
        let off = form(&[("csrf", &maya_csrf), ("published", "0")]);
        let (status, _, _) = send(&app, "POST", &unpublish, &hers, Some(&off)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Lin edits it: the API serves the new title at once.
        let edited = draft(
            "https://item.taobao.com/item.htm?id=681234567890",
            "手冲壶 · 升级版",
        );
        let (status, _, _) = send(&app, "POST", &edit, &own, Some(&edited)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, item) = send(&app, "GET", &served, &[], None).await;
        assert!(item.contains("手冲壶 · 升级版"));

        // Unpublished: not served (embeds show the fallback), still hers to edit.
        let off = form(&[("csrf", &csrf), ("published", "0")]);
        let (status, _, _) = send(&app, "POST", &unpublish, &own, Some(&off)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, _, page) = send(&app, "GET", "/studio", &own, None).await;
        assert!(page.contains("未发布 · Unpublished"));
        let on = form(&[("csrf", &csrf), ("published", "1")]);
        send(&app, "POST", &unpublish, &own, Some(&on)).await;
        let (status, _, _) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::OK);
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
    fn pictures_are_judged_by_their_bytes() {
        assert_eq!(
            sniff_picture(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(("image/jpeg", "jpg"))
        );
        assert_eq!(
            sniff_picture(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("image/png", "png"))
        );
        assert_eq!(sniff_picture(b"GIF89a\x01\0"), Some(("image/gif", "gif")));
        assert_eq!(
            sniff_picture(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(("image/webp", "webp"))
        );
        assert_eq!(
            sniff_picture(b"\0\0\0\x1cftypavif\0\0\0\0"),
            Some(("image/avif", "avif"))
        );
        // Named .jpg, but text; an SVG (script can hide in it); HEIC; too short.
        assert_eq!(sniff_picture(b"just some text, renamed photo.jpg"), None);
        assert_eq!(
            sniff_picture(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
            None
        );
        assert_eq!(sniff_picture(b"\0\0\0\x18ftypheic"), None);
        assert_eq!(sniff_picture(b"RIFF"), None);
        assert_eq!(sniff_picture(b""), None);
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
