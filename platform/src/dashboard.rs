//! The live report: `/dashboard?creator=…` and its update stream
//! `/v1/live?creator=…` (server-sent events). The page draws what
//! `/v1/reports` says, and fetches it again whenever the stream says the
//! creator has new events: within a second of them happening.

use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::html::{page, Head};
use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::Stream;
use maud::{html, Markup};
use std::collections::HashMap;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use vitrine_core::field::is_id;
#[cfg(test)]
use vitrine_core::traffic::Invalid;

/// `GET /v1/live?creator=cr_…`: an `update` event each time the creator's
/// report changes (or may have: after a lag, the page simply refreshes).
pub async fn live(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let creator = q
        .get("creator")
        .filter(|c| is_id(c))
        .cloned()
        .ok_or_else(|| ApiError::bad_request("creator must be a creator id"))?;
    let updates = futures_util::stream::unfold(
        (state.live.subscribe(), creator),
        |(mut rx, creator)| async move {
            loop {
                match rx.recv().await {
                    Ok(creators) if !creators.contains(&creator) => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        return Some((
                            Ok(SseEvent::default().event("update").data("{}")),
                            (rx, creator),
                        ))
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(updates).keep_alive(KeepAlive::default()))
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

/// `GET /dashboard?creator=…`: the live report's page; `dashboard.js`
/// fills it from `/v1/reports` and refreshes it on every `/v1/live` update.
pub async fn page_of(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ApiError> {
    let creator = q.get("creator").filter(|c| is_id(c)).cloned();
    let body = match creator {
        Some(id) => {
            let lookup = id.clone();
            let c = blocking(&state, move |s| s.creator(&lookup))
                .await?
                .ok_or_else(|| ApiError::not_found("no such creator"))?;
            let tile = |label: &str, total: &str| {
                html! { div class="tile" { span { (label) } strong data-total=(total) { "–" } } }
            };
            html! {
                header {
                    h1 { (c.name) }
                    p { "实时报告 · Live report, the last hour by minute. " span id="status" { "connecting…" } }
                }
                main id="dashboard" data-creator=(c.id) {
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
        None => html! {
            main {
                h1 { "Dashboards" }
                p {
                    a href="/dashboard?creator=cr_linxiaoman" { "林小满" } " · "
                    a href="/dashboard?creator=cr_mayachen" { "Maya Chen" } " · "
                    a href="/dashboard?creator=cr_chenmo" { "陈默" }
                }
            }
        },
    };
    Ok(page(
        "Vitrine · 实时报告",
        Head::Classic {
            style: "/dashboard.css",
            script: "/dashboard.js",
        },
        body,
    ))
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
