//! The live report: `/dashboard?creator=…` and its update stream
//! `/v1/live?creator=…` (server-sent events). The page draws what
//! `/v1/reports` says, and fetches it again whenever the stream says the
//! creator has new events: within a second of them happening.

use crate::api::{blocking, ApiError, AppState};
use crate::intent::esc;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use futures_util::stream::Stream;
use std::collections::HashMap;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use vitrine_core::field::is_id;

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
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "creator must be a creator id",
            )
        })?;
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

/// `GET /dashboard?creator=cr_…`: the page (drawn by `dashboard.js`); without
/// a creator, the list of creators to choose from.
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, ApiError> {
    let creator = q.get("creator").filter(|c| is_id(c)).cloned();
    let body = match creator {
        Some(id) => {
            let lookup = id.clone();
            let c = blocking(&state, move |s| s.creator(&lookup))
                .await?
                .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such creator"))?;
            format!(
                r#"<header><h1>{}</h1><p>实时报告 · Live report, the last hour by minute. <span id="status">connecting…</span></p></header>
<main id="dashboard" data-creator="{}">
<section class="tiles">
<div class="tile"><span>曝光 Impressions</span><strong data-total="impressions">–</strong></div>
<div class="tile"><span>可见曝光 Viewable</span><strong data-total="viewable_impressions">–</strong></div>
<div class="tile"><span>可见率 Viewability</span><strong data-total="viewability">–</strong></div>
<div class="tile"><span>点击 Clicks</span><strong data-total="clicks">–</strong></div>
<div class="tile"><span>点击率 CTR</span><strong data-total="ctr">–</strong></div>
<div class="tile"><span>关注 Follows</span><strong data-total="follows">–</strong></div>
<div class="tile"><span>商店页可见 On store pages</span><strong data-total="proof_viewable_impressions">–</strong></div>
<div class="tile"><span>商店页点开 Store-page visits</span><strong data-total="creator_clicks">–</strong></div>
</section>
<section><h2>每分钟 · Per minute</h2><div id="chart" class="chart" role="img" aria-label="impressions, viewable impressions and clicks per minute"></div></section>
<section class="tables"><div><h2>按商品 · By item</h2><table id="by-item"></table></div><div><h2>按位置 · By placement</h2><table id="by-placement"></table></div></section>
</main>"#,
                esc(&c.name),
                esc(&c.id)
            )
        }
        None => r#"<main><h1>Dashboards</h1><p><a href="/dashboard?creator=cr_linxiaoman">林小满</a> · <a href="/dashboard?creator=cr_mayachen">Maya Chen</a> · <a href="/dashboard?creator=cr_chenmo">陈默</a></p></main>"#.to_string(),
    };
    Ok(Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Vitrine · 实时报告</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/dashboard.css"><script src="/dashboard.js" defer></script></head><body>{body}</body></html>"#
    )))
}

pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/dashboard.js"),
    )
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/dashboard.css"),
    )
}
