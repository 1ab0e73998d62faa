//! The studio's pages, as maud templates: the list of picks, the editor
//! (its controls from [`CONTROLS`]) and the snippet to share.

#[cfg(doc)]
use super::form::CONTROLS;
use super::form::{control, Draft, Problem, CURRENCIES};
use super::Session;
use crate::html::{page, Head};
use crate::store::{CreatorRow, StudioItem};
use maud::{html, Markup};
use serde_json::json;

/// A studio page: the bar (who is signed in, their report, sign-out), then
/// `body`.
pub fn studio_page(
    title: &str,
    session: &Session,
    creator: Option<&CreatorRow>,
    base: &str,
    body: Markup,
) -> Markup {
    let body = html! {
        header class="bar" {
            a class="brand" href="/studio" { "Vitrine " span { "Studio" } }
            nav {
                @match creator {
                    Some(c) => {
                        span class="who" { img class="avatar" src={ (base) (c.avatar_path) } alt=""; (c.name) }
                        a href={ "/dashboard?creator=" (c.id) } { "数据 · Report" }
                        a href="/studio/keys" { "报告访问 · Report access" }
                    }
                    None => span class="who" { (session.account.email) },
                }
                form method="post" action="/signout" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button class="link" { "退出 · Sign out" }
                }
            }
        }
        main { (body) }
    };
    page(
        &format!("{title} · Vitrine Studio"),
        Head::Module {
            style: "/studio.css",
            script: "/studio.js",
        },
        body,
    )
}

/// What an account that is not a creator's sees at `/studio`.
pub fn not_a_creator() -> Markup {
    html! {
        h1 { "这个账号不是创作者 · Not a creator's account" }
        p class="lead" {
            "工作室用于发布推荐。请用创作者账号登录（演示：" code { "lin@vitrine.demo" } "）。 · "
            "The studio is where creators publish their picks. Sign in with a creator's account (in the demo: "
            code { "lin@vitrine.demo" } ")."
        }
    }
}

/// The creator's picks, published or not.
pub fn picks(items: &[StudioItem], base: &str) -> Markup {
    html! {
        div class="head" {
            h1 { "我的推荐 · My picks" }
            a class="button" href="/studio/new" { "＋ 新推荐 · New pick" }
        }
        @if items.is_empty() {
            p class="lead" { "还没有推荐。 · Nothing published yet." }
        } @else {
            ul class="items" {
                @for StudioItem { item, published } in items {
                    li {
                        img src={ (base) (item.image_path) } alt="";
                        a href={ "/studio/items/" (item.id) } { (item.title) }
                        span class="price" { (item.currency) " " (item.price_amount) }
                        @if *published {
                            span class="state published" { "已发布 · Published" }
                        } @else {
                            span class="state unpublished" { "未发布 · Unpublished" }
                        }
                    }
                }
            }
        }
    }
}

/// One control's box: its label, the control, and its problem if it has one.
fn field(name: &str, problems: &[Problem], control_markup: Markup) -> Markup {
    html! {
        div class="field" data-control=(name) {
            label for=(name) { (control(name).label) }
            (control_markup)
            @if let Some(p) = problems.iter().find(|p| p.field == name) {
                p class="error" id={ (name) "-error" } { (p.message) }
            }
        }
    }
}

/// The editor, with the draft's values, its problems, and (for a saved
/// item) the snippet and the publish switch.
pub fn editor(
    session: &Session,
    creator: &CreatorRow,
    base: &str,
    draft: &Draft,
    problems: &[Problem],
    saved: Option<&StudioItem>,
    just_saved: bool,
) -> Markup {
    let action = match saved {
        Some(s) => format!("/studio/items/{}", s.item.id),
        None => "/studio/items".into(),
    };
    let has_problem = |name: &str| problems.iter().any(|p| p.field == name);
    let invalid = |name: &str| has_problem(name).then_some("true");
    let described = |name: &str| has_problem(name).then(|| format!("{name}-error"));
    // A one-line text control, named and described as its table row says.
    let text_input = |name: &str, value: &str, mode: &str, placeholder: Option<&str>| {
        let c = control(name);
        field(
            name,
            problems,
            html! {
                input id=(name) name=(name) value=(value) data-field=(c.path)
                    aria-invalid=[invalid(name)] aria-describedby=[described(name)]
                    maxlength=[(name == "title").then_some("200")]
                    inputmode=[(!mode.is_empty()).then_some(mode)]
                    placeholder=[placeholder] autocomplete="off";
            },
        )
    };
    let creator_json = json!({
        "id": creator.id, "name": creator.name, "avatar": format!("{base}{}", creator.avatar_path),
        "followers": creator.followers, "verified": creator.verified,
    });
    let item_id = saved.map_or("itm_preview", |s| s.item.id.as_str());
    let picture_src = if draft.image.is_empty() {
        String::new()
    } else {
        format!("{base}{}", draft.image)
    };
    let currency = if draft.currency.is_empty() {
        "CNY"
    } else {
        draft.currency.as_str()
    };
    html! {
        @if just_saved {
            p class="saved" role="status" { "已保存 · Saved" }
        }
        @if !problems.is_empty() {
            div class="summary" role="alert" {
                p { "请修改以下内容 · Please fix:" }
                ul {
                    @for p in problems {
                        li { a href={ "#" (if p.field == "form" { "title" } else { p.field }) } { (p.message) } }
                    }
                }
            }
        }
        h1 { @if saved.is_some() { "编辑推荐 · Edit pick" } @else { "新推荐 · New pick" } }
        div class="editor" {
            form id="item-form" method="post" action=(action) novalidate
                data-creator=(creator_json.to_string()) data-item=(item_id) data-base=(base) {
                input type="hidden" name="csrf" value=(session.csrf);
                (field("link", problems, html! {
                    input id="link" name="link" type="url" inputmode="url" autocomplete="off"
                        placeholder="https://item.taobao.com/item.htm?id=…" value=(draft.link)
                        data-field=(control("link").path) aria-invalid=[invalid("link")]
                        aria-describedby=(if has_problem("link") { "link-error link-hint" } else { "link-hint" });
                    p class="hint" id="link-hint" aria-live="polite" {
                        "淘宝、天猫、微店、京东的商品链接，手机版或带参数的都可以 · A product link from Taobao, Tmall, Weidian or JD, mobile or with tracking noise."
                    }
                }))
                (text_input("title", &draft.title, "", None))
                (field("picture", problems, html! {
                    div class="picture" {
                        img id="picture-img" alt="" src=(picture_src) hidden[picture_src.is_empty()];
                        div {
                            input id="picture" type="file" accept="image/jpeg,image/png,image/webp,image/gif"
                                data-field=(control("picture").path) aria-invalid=[invalid("picture")]
                                aria-describedby=[described("picture")];
                            p class="hint" id="picture-hint" aria-live="polite" {
                                "JPEG、PNG、WebP 或 GIF，最大 2 MB；保存前会重新绘制，去掉位置等元数据 · JPEG, PNG, WebP or GIF, at most 2 MB; drawn again before it is kept, without its location or other metadata."
                            }
                        }
                    }
                    input type="hidden" id="image" name="image" value=(draft.image);
                }))
                (field("reason", problems, html! {
                    textarea id="reason" name="reason" rows="4" maxlength="1000"
                        data-field=(control("reason").path) aria-invalid=[invalid("reason")]
                        aria-describedby=[described("reason")] { (draft.reason) }
                }))
                div class="row" {
                    (text_input("price", &draft.price, "decimal", Some("89.00")))
                    (text_input("original_price", &draft.original_price, "decimal", Some("可不填 · optional")))
                    (field("currency", problems, html! {
                        select id="currency" name="currency" data-field=(control("currency").path)
                            aria-invalid=[invalid("currency")] {
                            @for c in CURRENCIES {
                                option selected[c == currency] { (c) }
                            }
                        }
                    }))
                }
                (text_input("stock", &draft.stock, "numeric", Some("不填则不显示 · empty: not shown")))
                button class="primary" { @if saved.is_some() { "保存 · Save" } @else { "发布 · Publish" } }
            }
            aside class="preview" aria-label="预览 · Preview" {
                div class="preview-head" {
                    h2 { "预览 · Preview" }
                    select id="preview-layout" aria-label="版式 · Layout" {
                        option value="full" { "完整 · Full" }
                        option value="compact" { "紧凑 · Compact" }
                    }
                    select id="preview-locale" aria-label="语言 · Language" {
                        option value="zh-CN" { "中文" }
                        option value="en" { "English" }
                    }
                }
                div id="preview" {}
                p class="hint" id="preview-hint" aria-live="polite" {}
                noscript { p class="error" { "预览和图片上传需要 JavaScript · The preview and picture upload need JavaScript." } }
            }
        }
        @if let Some(saved) = saved {
            (share(session, saved, base))
        }
    }
}

/// The snippet, in both forms, and the publish switch.
fn share(session: &Session, saved: &StudioItem, base: &str) -> Markup {
    let id = &saved.item.id;
    let tag = format!(
        "<script async src=\"{base}/pkg/vitrine.embed.js\"></script>\n<vitrine-card item=\"{id}\"></vitrine-card>"
    );
    let npm = format!(
        "npm install @vitrine/sdk\n\n// main.js\nimport \"@vitrine/sdk\";\n\n<!-- your page -->\n<vitrine-card item=\"{id}\" platform=\"{base}\"></vitrine-card>"
    );
    let (switch_value, switch_label) = if saved.published {
        ("0", "取消发布 · Unpublish")
    } else {
        ("1", "重新发布 · Publish again")
    };
    html! {
        section class="share" {
            h2 { "嵌入代码 · Embed it" }
            @if !saved.published {
                p class="notice" { "未发布：已嵌入的卡片会显示为“不可用”，不会显示旧内容。 · Unpublished: pages that embed it show the fallback, never old data." }
            }
            h3 { "任何网页：粘贴这段代码 · Any page: paste this" }
            div class="snippet" {
                pre id="snippet-tag" { (tag) }
                button type="button" class="copy" data-copy="snippet-tag" { "复制 · Copy" }
            }
            h3 { "用 npm 的网站 · Sites built with npm" }
            div class="snippet" {
                pre id="snippet-npm" { (npm) }
                button type="button" class="copy" data-copy="snippet-npm" { "复制 · Copy" }
            }
            form method="post" action={ "/studio/items/" (id) "/publish" } {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="published" value=(switch_value);
                button class="quiet" id="publish-switch" { (switch_label) }
            }
        }
    }
}
