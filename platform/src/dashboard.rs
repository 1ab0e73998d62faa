//! The live report: `/dashboard?creator=…` and its update stream
//! `/v1/live?creator=…` (server-sent events). The page draws what
//! `/v1/reports` says, and fetches it again whenever the stream says the
//! creator has new events: within a second of them happening.

use crate::app::{blocking, AppState};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::html::{page, to_signin, Head};
use crate::report::private;
use crate::report_access::{ReportReader, Via};
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::collections::HashMap;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use vitrine_core::field::is_id;
#[cfg(test)]
use vitrine_core::traffic::Invalid;

/// `GET /v1/live?creator=cr_…`: an `update` event each time the creator's
/// report changes (or may have: after a lag, the page simply refreshes).
/// Only those who may read the creator's report may listen
/// ([`ReportReader`]).
pub async fn live(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let creator = match q.get("creator") {
        None => reader.creator.clone(),
        Some(c) if is_id(c) => c.clone(),
        Some(_) => return Err(ApiError::bad_request("creator must be a creator id")),
    };
    reader.may_read(&creator)?;
    let updates = futures_util::stream::unfold(
        (state.live.subscribe(), creator),
        |(mut rx, creator)| async move {
            loop {
                match rx.recv().await {
                    // `*`: everyone (another instance's news was missed).
                    Ok(creators) if !creators.iter().any(|c| *c == creator || c == "*") => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        return Some((
                            Ok::<_, Infallible>(SseEvent::default().event("update").data("{}")),
                            (rx, creator),
                        ))
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(private(Sse::new(updates).keep_alive(KeepAlive::default())))
}

/// Each invalid-traffic rule, as the dashboard names it.
const FILTER_REASONS: [(&str, &str); 4] = [
    (
        "no_impression",
        "没有曝光的点击或可见 · Clicks or views without an impression",
    ),
    (
        "repeat_click",
        "30 分钟内的重复点击 · Repeat clicks within 30 minutes",
    ),
    (
        "bot",
        "机器人、无头浏览器、非浏览器 · Bots, headless browsers, HTTP clients",
    ),
    (
        "view_rate",
        "超出读者能做到的速度 · More than a reader can do",
    ),
];

/// `GET /dashboard?creator=…[&share=vs_…]`: the live report's page;
/// `dashboard.js` fills it from `/v1/reports` and refreshes it on every
/// `/v1/live` update. Only the creator, signed in, or a holder of one of
/// their share links sees it; anyone else is asked to sign in.
pub async fn page_of(
    State(state): State<AppState>,
    reader: Option<ReportReader>,
    signed_in: Option<SignedIn>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let asked = q.get("creator").filter(|c| is_id(c)).cloned();
    let creator = match (&reader, asked) {
        (Some(reader), asked) if asked.as_ref().is_none_or(|a| *a == reader.creator) => {
            reader.creator.clone()
        }
        (Some(reader), Some(_)) if reader.via == Via::Session => {
            return Ok(refused(
                "这是另一位创作者的报告 · Another creator's report",
                "报告只属于它的创作者。 · A report is its creator's alone: sign in as them, or use a link they shared.",
                ("/dashboard", "我的报告 · My own report"),
            ))
        }
        // Signed in, but as a reader: signing in again would not help.
        _ if signed_in.is_some() => {
            return Ok(refused(
                "这个账号不是创作者 · Not a creator's account",
                "报告只属于它的创作者。请用创作者账号登录，或使用创作者分享给你的链接。 · A report is its creator's. Sign in with a creator's account, or use a link the creator shared with you.",
                ("/studio", "创作者工作室 · The creator studio"),
            ))
        }
        _ => {
            let path = uri.path_and_query().map_or("/dashboard", |p| p.as_str());
            return Ok(to_signin(path));
        }
    };
    let share = match reader.map(|r| r.via) {
        Some(Via::Share(key)) => Some(key),
        _ => None,
    };
    let lookup = creator.clone();
    let c = blocking(&state, move |s| s.creator(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found("no such creator"))?;
    let body = {
        {
            let tile = |label: &str, total: &str| {
                html! { div class="tile" { span { (label) } strong data-total=(total) { "–" } } }
            };
            html! {
                header {
                    h1 { (c.name) }
                    p { "实时报告 · Live report, the last hour by minute. " span id="status" { "connecting…" } }
                }
                main id="dashboard" data-creator=(c.id) data-share=[share.as_deref()] {
                    section class="tiles" {
                        (tile("曝光 Impressions", "impressions"))
                        (tile("可见曝光 Viewable", "viewable_impressions"))
                        (tile("可见率 Viewability", "viewability"))
                        (tile("点击 Clicks", "clicks"))
                        (tile("点击率 CTR", "ctr"))
                        (tile("关注 Follows", "follows"))
                        (tile("商店页可见 On store pages", "proof_viewable_impressions"))
                        (tile("商店页点开 Store-page visits", "creator_clicks"))
                    }
                    section class="filtered" {
                        h2 { "无效流量（已过滤，不计入）· Invalid traffic: kept, not counted" }
                        p class="note" {
                            "按公开的规则识别，与上面的数字分开保存和显示。 · Found by published rules, kept and shown apart from the numbers above, which count readers only."
                        }
                        dl id="filtered" {
                            div { dt { "合计 · Total" } dd data-filtered="total" { "–" } }
                            @for (reason, label) in FILTER_REASONS {
                                div { dt { (label) } dd data-filtered=(reason) { "–" } }
                            }
                        }
                    }
                    section {
                        h2 { "每分钟 · Per minute" }
                        div id="chart" class="chart" role="img" aria-label="impressions, viewable impressions and clicks per minute" {}
                    }
                    section class="tables" {
                        div { h2 { "按商品 · By item" } table id="by-item" {} }
                        div { h2 { "按位置 · By placement" } table id="by-placement" {} }
                    }
                }
            }
        }
    };
    Ok(page(
        "Vitrine · 实时报告",
        Head::Classic {
            style: "/dashboard.css",
            script: "/dashboard.js",
        },
        body,
    )
    .into_response())
}

/// A `403` page for a signed-in account that may not read this report.
fn refused(title: &str, text: &str, link: (&str, &str)) -> Response {
    let body = html! { main { h1 { (title) } p { (text) } p { a href=(link.0) { (link.1) } } } };
    let page = page(
        "Vitrine · 实时报告",
        Head::Classic {
            style: "/dashboard.css",
            script: "/dashboard.js",
        },
        body,
    );
    (StatusCode::FORBIDDEN, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_names_every_filtering_rule() {
        let named: Vec<&str> = FILTER_REASONS.iter().map(|(r, _)| *r).collect();
        let rules: Vec<&str> = Invalid::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(named, rules);
    }
}
