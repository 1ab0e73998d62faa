//! The beacon collector: `POST /v1/events`.
//!
//! Every event is validated by the core's schema; accepted ones are stored
//! (through the collector's writer) before the answer goes out.

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::now_ms;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashSet;
use vitrine_core::event::{Event, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};

/// Oldest event accepted: a reader may come back online weeks later.
const MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
/// Furthest in the future accepted: browsers' clocks drift.
const MAX_AHEAD_MS: i64 = 24 * 3600 * 1000;

/// `POST /v1/events`: a JSON array of events, as `application/json` or as
/// `text/plain` (what `navigator.sendBeacon` can send without a preflight).
/// Answers `202 {accepted, duplicate, rejected, reasons}`; `400` for a body
/// that is not a JSON array, `413` beyond 64 KiB or 500 events.
pub async fn collect(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BATCH_BYTES)
        .await
        .map_err(|_| ApiError::too_large("a batch is at most 64 KiB"))?;
    let malformed = || ApiError::bad("malformed", "the body must be a JSON array of events");
    let batch: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    let Value::Array(items) = batch else {
        return Err(malformed());
    };
    if items.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::too_large("a batch is at most 500 events"));
    }
    let now = now_ms();
    let mut seen = HashSet::new();
    let mut accepted = Vec::new();
    let mut reasons = Vec::new();
    let mut duplicate = 0;
    for (index, item) in items.iter().enumerate() {
        let event = Event::from_node(item)
            .map_err(|e| e.message())
            .and_then(|e| {
                let ts = e.ts as i64;
                if ts < now - MAX_AGE_MS || ts > now + MAX_AHEAD_MS {
                    Err("event.ts must be within the last 30 days".to_string())
                } else {
                    Ok(e)
                }
            });
        match event {
            Ok(e) if !seen.insert(e.id.clone()) => duplicate += 1,
            Ok(e) => accepted.push(e),
            Err(reason) => reasons.push(json!({"index": index, "reason": reason})),
        }
    }
    let fresh = if accepted.is_empty() {
        Vec::new()
    } else {
        state.collector.store(accepted).await?
    };
    let new = fresh.iter().filter(|f| **f).count();
    duplicate += fresh.len() - new;
    let body = json!({"accepted": new, "duplicate": duplicate, "rejected": reasons.len(), "reasons": reasons});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use crate::store::SqliteStore;
    use crate::testing::{
        app_and_store, app_on, event, get, minted_path, post_events, seeded_store, send,
    };
    use axum::http::StatusCode;
    use serde_json::json;
    use std::sync::Arc;
    use vitrine_core::partner::Registry;

    #[tokio::test]
    async fn events_are_validated_stored_once_and_counted_in_the_answer() {
        use vitrine_core::event::EventType;
        let (app, store) = app_and_store();
        let mut bad = event(3, "impression");
        bad["page"] = json!("https://blog.example/tea?utm_source=x");
        let batch = json!([
            event(1, "impression"),
            event(2, "viewable_impression"),
            bad,
            event(1, "impression")
        ]);
        let (status, answer) =
            post_events(&app, "text/plain;charset=UTF-8", &batch.to_string()).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(answer["accepted"], 2);
        assert_eq!(answer["duplicate"], 1, "the same event twice in a batch");
        assert_eq!(answer["rejected"], 1);
        assert_eq!(
            answer["reasons"][0],
            json!({"index": 2, "reason": "event.page must be an http(s) origin and path, without query or fragment"})
        );
        // A retry of the whole batch: nothing counted twice.
        let (_, again) = post_events(&app, "application/json", &batch.to_string()).await;
        assert_eq!(
            (again["accepted"].as_u64(), again["duplicate"].as_u64()),
            (Some(0), Some(3))
        );
        assert_eq!(
            store
                .event_count("itm_oolong_tea", EventType::Impression)
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .event_count("itm_oolong_tea", EventType::ViewableImpression)
                .unwrap(),
            1
        );
        let mut stale = event(9, "impression");
        stale["ts"] = json!(1_000);
        let (_, answer) = post_events(&app, "application/json", &json!([stale]).to_string()).await;
        assert_eq!(
            answer["reasons"][0]["reason"],
            "event.ts must be within the last 30 days"
        );
    }

    #[tokio::test]
    async fn malformed_and_oversized_batches_are_refused_with_a_reason() {
        let (app, _) = app_and_store();
        let (status, body) = post_events(&app, "application/json", "{not json").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed"))
        );
        assert_eq!(
            post_events(&app, "application/json", r#"{"events": []}"#)
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
        // 501 (tiny, invalid) events: the count is refused before any is read.
        let many = format!("[{}{{}}]", "{},".repeat(500));
        let (status, body) = post_events(&app, "application/json", &many).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("a batch is at most 500 events")
            )
        );
        let huge = format!("[{}]", " ".repeat(64 * 1024));
        let (status, body) = post_events(&app, "application/json", &huge).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("a batch is at most 64 KiB")
            )
        );
        let (status, headers, _) = send(
            &app,
            "OPTIONS",
            "/v1/events",
            &[
                ("origin", "https://blog.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "the JSON preflight is answered");
        assert_eq!(headers["access-control-allow-origin"], "*");
    }

    #[tokio::test]
    async fn a_click_seen_by_the_redirect_and_by_a_beacon_is_one_click() {
        let (app, store) = app_and_store();
        let (_, _, minted) =
            get(&app, "/v1/items/itm_oolong_tea/link?placement=blog.example").await;
        let click_id = minted["click_id"].as_str().unwrap().to_owned();
        let path = minted_path(&minted);
        assert_eq!(get(&app, &path).await.0, StatusCode::FOUND);
        let mut beacon = event(77, "click");
        beacon["click"] = json!(click_id);
        let (_, answer) = post_events(&app, "text/plain", &json!([beacon]).to_string()).await;
        assert_eq!(answer["accepted"], 1);
        assert_eq!(store.click_count("itm_oolong_tea").unwrap(), 1);
    }

    #[tokio::test]
    async fn an_acknowledged_event_survives_a_restart_and_its_retry_is_not_doubled() {
        use vitrine_core::event::EventType;
        let (store, dir) = seeded_store("durable");
        let app = app_on(store, &dir, Registry::default());
        let (status, _) = post_events(
            &app,
            "text/plain",
            &json!([event(5, "impression")]).to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        drop(app);
        // A new platform on the same database: the event is there, and the
        // SDK's retry of the batch (it never saw the answer) counts nothing.
        let reopened: Arc<dyn crate::store::Store> = Arc::new(SqliteStore::open(&dir).unwrap());
        assert_eq!(
            reopened
                .event_count("itm_oolong_tea", EventType::Impression)
                .unwrap(),
            1
        );
        let app = app_on(reopened.clone(), &dir, Registry::default());
        let (_, answer) = post_events(
            &app,
            "text/plain",
            &json!([event(5, "impression")]).to_string(),
        )
        .await;
        assert_eq!(
            (answer["accepted"].as_u64(), answer["duplicate"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(
            reopened
                .event_count("itm_oolong_tea", EventType::Impression)
                .unwrap(),
            1
        );
    }
}
