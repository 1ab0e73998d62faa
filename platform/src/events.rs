//! The beacon collector: `POST /v1/events`.
//!
//! Every event is validated by the core's schema; accepted ones are stored
//! (through the collector's writer) before the answer goes out.

use crate::app::AppState;
use crate::catalogue::Ask;
use crate::error::ApiError;
use crate::limits::Client;
use crate::store::{now_ms, Arrival, Stored};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use vitrine_core::event::{Event, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};
use vitrine_core::traffic::{in_window, is_bot, Invalid, MAX_EVENTS_PER_VIEW};

/// `POST /v1/events`: a JSON array of events, as `application/json` or as
/// `text/plain` (what `navigator.sendBeacon` can send without a preflight).
/// Answers `202 {accepted, duplicate, rejected, filtered, reasons}`: each
/// event is refused with its reason (malformed, out of the time window, an
/// item that is not published, a creator that is not the item's), stored
/// once, or stored and filtered as invalid traffic (vitrine_core::traffic;
/// counted in `accepted` and in `filtered`, not in reports). `400` for a
/// body that is not a JSON array, `413` beyond 64 KiB or 500 events, `429`
/// with `Retry-After` for a client sending more than a reader can.
pub async fn collect(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
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
    // A flood costs the flooder: its own buckets, before any work is done.
    state.limiters.posts.take(client, 1.0)?;
    state
        .limiters
        .events
        .take(client, items.len().max(1) as f64)?;
    let bot = is_bot(
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
    );
    let now = now_ms();
    let mut seen = HashSet::new();
    let mut valid = Vec::new();
    let mut reasons = Vec::new();
    let mut duplicate = 0;
    for (index, item) in items.iter().enumerate() {
        let event = Event::from_node(item)
            .map_err(|e| e.message())
            .and_then(|e| match e.ts as i64 {
                ts if in_window(ts, now) => Ok(e),
                ts if ts > now => Err(
                    "event.ts must be at most 5 minutes ahead of the platform's clock".to_owned(),
                ),
                _ => Err("event.ts must be within the last 30 days".to_owned()),
            });
        match event {
            Ok(e) if !seen.insert(e.id.clone()) => duplicate += 1,
            Ok(e) => valid.push((index, e)),
            Err(reason) => reasons.push((index, reason)),
        }
    }
    // Every event against what the platform knows: its item published, its
    // creator that item's (or, without an item, a creator). What the
    // catalogue remembers answers at once; the rest is looked up in one
    // blocking call.
    let ask = |e: &Event| match (&e.item_id, &e.creator_id) {
        (Some(item), _) => Some(Ask::CreatorOf(item.clone())),
        (None, Some(creator)) => Some(Ask::Creator(creator.clone())),
        (None, None) => None,
    };
    let valid: Vec<(usize, Event, Option<Ask>)> = valid
        .into_iter()
        .map(|(index, e)| {
            let q = ask(&e);
            (index, e, q)
        })
        .collect();
    let mut answers: HashMap<Ask, Option<String>> = HashMap::new();
    let mut missing = HashSet::new();
    for q in valid.iter().filter_map(|(_, _, q)| q.as_ref()) {
        if answers.contains_key(q) || missing.contains(q) {
            continue;
        }
        match state.catalogue.remembered(q) {
            Some(found) => {
                answers.insert(q.clone(), found);
            }
            None => {
                missing.insert(q.clone());
            }
        }
    }
    if !missing.is_empty() {
        let (store, catalogue) = (state.store.clone(), state.catalogue.clone());
        let looked_up = tokio::task::spawn_blocking(move || {
            missing
                .into_iter()
                .map(|q| Ok((catalogue.look_up(store.as_ref(), &q)?, q)))
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await
        .map_err(|e| crate::store::StoreError(e.to_string()))??;
        answers.extend(looked_up.into_iter().map(|(found, q)| (q, found)));
    }
    let mut known = Vec::with_capacity(valid.len());
    for (index, e, q) in valid {
        let found = q.and_then(|q| answers.get(&q).cloned());
        let verdict = match (&e.item_id, found) {
            (Some(_), Some(None)) => Err("event.item must be a published item"),
            (Some(_), Some(Some(owner))) if Some(&owner) != e.creator_id.as_ref() => {
                Err("event.creator must be the creator of event.item")
            }
            (None, Some(None)) => Err("event.creator must be a creator on this platform"),
            _ => Ok(()),
        };
        match verdict {
            Ok(()) => known.push(e),
            Err(reason) => reasons.push((index, reason.to_owned())),
        }
    }
    reasons.sort_by_key(|(index, _)| *index);
    // Each page view's count, once per view in the batch: the events past
    // a reader's share (the last ones) are filtered.
    let view_of = |e: &Event| {
        crate::links::hex_bytes(&e.view_id)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .unwrap_or_default()
    };
    let known: Vec<([u8; 16], Event)> = known.into_iter().map(|e| (view_of(&e), e)).collect();
    let mut per_view: HashMap<[u8; 16], u64> = HashMap::new();
    for (view, _) in &known {
        *per_view.entry(*view).or_default() += 1;
    }
    let mut allowed: HashMap<[u8; 16], u64> = per_view
        .into_iter()
        .map(|(view, n)| {
            let total = state.limiters.views.count(view, n, now);
            (
                view,
                n.saturating_sub(total.saturating_sub(MAX_EVENTS_PER_VIEW)),
            )
        })
        .collect();
    let arrivals: Vec<Arrival> = known
        .into_iter()
        .map(|(view, event)| {
            let left = allowed.entry(view).or_default();
            let invalid = if bot {
                Some(Invalid::Bot)
            } else if *left == 0 {
                Some(Invalid::ViewRate)
            } else {
                None
            };
            *left = left.saturating_sub(1);
            Arrival { event, invalid }
        })
        .collect();
    let stored = if arrivals.is_empty() {
        Vec::new()
    } else {
        state.collector.store(arrivals).await?
    };
    let new = stored.iter().filter(|s| **s != Stored::Duplicate).count();
    let filtered = stored
        .iter()
        .filter(|s| matches!(s, Stored::New(Some(_))))
        .count();
    duplicate += stored.len() - new;
    let reasons: Vec<Value> = reasons
        .into_iter()
        .map(|(index, reason)| json!({"index": index, "reason": reason}))
        .collect();
    let body = json!({"accepted": new, "duplicate": duplicate, "rejected": reasons.len(), "filtered": filtered, "reasons": reasons});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use crate::store::SqliteStore;
    use crate::testing::{
        app_and_store, app_on, beacon_from, event, get, minted_path, post_events, send, BROWSER,
        READER,
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
        // The embedded store's own file, reopened (the scale configuration's
        // restarts are the fault run's and the two-instance test's).
        let dir =
            std::env::temp_dir().join(format!("vitrine-durable-{}", crate::links::new_click_id()));
        let store: Arc<dyn crate::store::Store> = Arc::new(SqliteStore::open(&dir).unwrap());
        crate::seed::seed_if_empty(store.as_ref()).unwrap();
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

    /// An event of `kind` on `item` by `creator` in page view `view`.
    fn on(id: u32, kind: &str, item: &str, creator: &str, view: u8) -> serde_json::Value {
        let mut e = event(id, kind);
        e["item"] = json!(item);
        e["creator"] = json!(creator);
        e["view"] = json!(format!("{view:02x}").repeat(16));
        e
    }

    /// A report, read with its creator's key.
    async fn report_of(app: &axum::Router, creator: &str, query: &str) -> serde_json::Value {
        crate::testing::report_as(app, creator, &format!("/v1/reports?{query}"))
            .await
            .2
    }

    #[tokio::test]
    async fn events_pairing_an_item_with_another_creator_or_unknown_ids_count_nothing() {
        let (app, _) = app_and_store();
        // Lin's mug "recommended" by Maya, from another site; a made-up pair.
        let mut forged = Vec::new();
        for (n, kind) in [
            "impression",
            "viewable_impression",
            "click",
            "follow_confirmed",
        ]
        .into_iter()
        .enumerate()
        {
            forged.push(on(n as u32, kind, "itm_ceramic_mug", "cr_mayachen", 1));
        }
        forged.push(on(9, "impression", "itm_doesnotexist", "cr_ghost", 1));
        let mut follow = on(10, "follow_confirmed", "", "cr_ghost", 1);
        follow.as_object_mut().unwrap().remove("item");
        forged.push(follow);
        let (status, _, answer) = beacon_from(&app, READER, BROWSER, &json!(forged)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(
            (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
            (Some(0), Some(6))
        );
        let reasons: Vec<&str> = answer["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons[0],
            "event.creator must be the creator of event.item"
        );
        assert_eq!(reasons[4], "event.item must be a published item");
        assert_eq!(
            reasons[5],
            "event.creator must be a creator on this platform"
        );
        let (status, _, _) =
            crate::testing::report_as(&app, "cr_mayachen", "/v1/reports?creator=cr_ghost").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "no one's report shows cr_ghost"
        );
        for (creator, query) in [
            ("cr_mayachen", "creator=cr_mayachen"),
            ("cr_linxiaoman", "item=itm_ceramic_mug"),
        ] {
            let report = report_of(&app, creator, query).await;
            for total in ["impressions", "viewable_impressions", "clicks", "follows"] {
                assert_eq!(report["totals"][total], 0, "{query}: {total}");
            }
        }
    }

    #[tokio::test]
    async fn an_unpublished_items_events_are_refused_at_once() {
        let (app, store) = app_and_store();
        let batch = json!([on(1, "impression", "itm_oolong_tea", "cr_chenmo", 1)]);
        assert_eq!(
            beacon_from(&app, READER, BROWSER, &batch).await.2["accepted"],
            1
        );
        store.set_published("itm_oolong_tea", false).unwrap();
        // The studio forgets the item when it unpublishes it; here the store
        // changed behind the collector's back, so its memory runs out first.
        tokio::time::sleep(crate::catalogue::FRESH).await;
        let batch = json!([on(2, "impression", "itm_oolong_tea", "cr_chenmo", 1)]);
        let answer = beacon_from(&app, READER, BROWSER, &batch).await.2;
        assert_eq!(
            answer["reasons"][0]["reason"],
            "event.item must be a published item"
        );
    }

    #[tokio::test]
    async fn events_from_the_future_are_refused() {
        let (app, _) = app_and_store();
        let now = crate::store::now_ms();
        let mut ahead = on(1, "impression", "itm_oolong_tea", "cr_chenmo", 1);
        ahead["ts"] = json!(now + 23 * 3600 * 1000);
        let mut drifted = on(2, "impression", "itm_oolong_tea", "cr_chenmo", 2);
        drifted["ts"] = json!(now + 4 * 60 * 1000);
        let answer = beacon_from(&app, READER, BROWSER, &json!([ahead, drifted]))
            .await
            .2;
        assert_eq!(
            answer["accepted"], 1,
            "a clock a few minutes fast is a reader's"
        );
        assert_eq!(
            answer["reasons"][0],
            json!({"index": 0, "reason": "event.ts must be at most 5 minutes ahead of the platform's clock"})
        );
    }

    #[tokio::test]
    async fn clicks_and_viewable_impressions_without_an_impression_are_filtered_and_shown() {
        let (app, _) = app_and_store();
        let batch = json!([
            // A page view that rendered the card, then saw and clicked it…
            on(1, "viewable_impression", "itm_oolong_tea", "cr_chenmo", 1),
            on(2, "impression", "itm_oolong_tea", "cr_chenmo", 1),
            on(3, "click", "itm_oolong_tea", "cr_chenmo", 1),
            // …and one that never rendered it.
            on(4, "viewable_impression", "itm_oolong_tea", "cr_chenmo", 2),
            on(5, "click", "itm_oolong_tea", "cr_chenmo", 2),
        ]);
        let answer = beacon_from(&app, READER, BROWSER, &batch).await.2;
        assert_eq!(
            (answer["accepted"].as_u64(), answer["filtered"].as_u64()),
            (Some(5), Some(2))
        );
        let report = report_of(&app, "cr_chenmo", "item=itm_oolong_tea").await;
        assert_eq!(
            (
                report["totals"]["impressions"].as_u64(),
                report["totals"]["viewable_impressions"].as_u64(),
                report["totals"]["clicks"].as_u64()
            ),
            (Some(1), Some(1), Some(1)),
            "an impression in the same batch, even after, counts"
        );
        assert_eq!(report["filtered"]["total"], 2);
        assert_eq!(report["filtered"]["by_reason"]["no_impression"], 2);
        assert_eq!(report["filtered"]["by_type"]["click"]["no_impression"], 1);
    }

    #[tokio::test]
    async fn repeat_clicks_from_one_page_view_count_once() {
        let (app, _) = app_and_store();
        let mut batch = vec![on(1, "impression", "itm_oolong_tea", "cr_chenmo", 1)];
        for n in 2..7 {
            batch.push(on(n, "click", "itm_oolong_tea", "cr_chenmo", 1));
        }
        // Another page view's click is its own.
        batch.push(on(7, "impression", "itm_oolong_tea", "cr_chenmo", 2));
        batch.push(on(8, "click", "itm_oolong_tea", "cr_chenmo", 2));
        let answer = beacon_from(&app, READER, BROWSER, &json!(batch)).await.2;
        assert_eq!(answer["filtered"], 4);
        let report = report_of(&app, "cr_chenmo", "item=itm_oolong_tea").await;
        assert_eq!(report["totals"]["clicks"], 2);
        assert_eq!(report["filtered"]["by_reason"]["repeat_click"], 4);
        // The same click sent again is a duplicate, not a repeat.
        let again = beacon_from(
            &app,
            READER,
            BROWSER,
            &json!([on(2, "click", "itm_oolong_tea", "cr_chenmo", 1)]),
        )
        .await
        .2;
        assert_eq!(
            (again["duplicate"].as_u64(), again["filtered"].as_u64()),
            (Some(1), Some(0))
        );
    }

    #[tokio::test]
    async fn bots_and_headless_browsers_are_kept_but_not_counted() {
        let (app, _) = app_and_store();
        for (n, ua) in [
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "",
        ]
        .into_iter()
        .enumerate()
        {
            let batch = json!([on(n as u32 + 1, "impression", "itm_oolong_tea", "cr_chenmo", n as u8 + 1)]);
            let answer = beacon_from(&app, READER, ua, &batch).await.2;
            assert_eq!((answer["accepted"].as_u64(), answer["filtered"].as_u64()), (Some(1), Some(1)), "{ua:?}");
        }
        let report = report_of(&app, "cr_chenmo", "item=itm_oolong_tea").await;
        assert_eq!(report["totals"]["impressions"], 0);
        assert_eq!(report["filtered"]["by_reason"]["bot"], 3);
    }

    #[tokio::test]
    async fn a_flood_is_refused_with_retry_after_and_costs_only_the_flooder() {
        let (app, _) = app_and_store();
        // 2,000 single-event posts, 32 at a time, from one client.
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for round in (0..2000u32).collect::<Vec<_>>().chunks(32) {
            let posts = round.iter().map(|&n| {
                let app = app.clone();
                async move {
                    let batch = json!([on(
                        n,
                        "impression",
                        "itm_oolong_tea",
                        "cr_chenmo",
                        (n % 200) as u8
                    )]);
                    beacon_from(&app, "192.0.2.66", BROWSER, &batch).await
                }
            });
            for (status, headers, _) in futures_util::future::join_all(posts).await {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    retry_after = headers.get("retry-after").cloned();
                }
                statuses.push(status);
            }
        }
        let accepted = statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(accepted + refused, 2000);
        assert!(
            refused > 0 && accepted <= 3100,
            "{accepted} accepted, {refused} refused"
        );
        assert!(retry_after.is_some(), "a 429 says when to come back");
        // A reader elsewhere is served as usual.
        let batch = json!([on(9999, "impression", "itm_oolong_tea", "cr_chenmo", 201)]);
        let (status, _, answer) = beacon_from(&app, READER, BROWSER, &batch).await;
        assert_eq!(
            (status, answer["accepted"].as_u64()),
            (StatusCode::ACCEPTED, Some(1))
        );
    }

    #[tokio::test]
    async fn a_page_view_sending_more_than_a_reader_can_is_filtered() {
        let (app, _) = app_and_store();
        let over = vitrine_core::traffic::MAX_EVENTS_PER_VIEW as u32 + 10;
        let mut filtered = 0;
        // Batches of 150 (a batch is at most 64 KiB).
        for (batch_no, chunk) in (0..over).collect::<Vec<_>>().chunks(150).enumerate() {
            let batch: Vec<_> = chunk
                .iter()
                .map(|&n| on(n, "impression", "itm_oolong_tea", "cr_chenmo", 7))
                .collect();
            // From many addresses, so no client's own rate stops it first.
            let client = format!("192.0.2.{}", batch_no + 1);
            let answer = beacon_from(&app, &client, BROWSER, &json!(batch)).await.2;
            filtered += answer["filtered"].as_u64().unwrap();
        }
        assert_eq!(filtered, 10);
        let report = report_of(&app, "cr_chenmo", "item=itm_oolong_tea").await;
        assert_eq!(report["filtered"]["by_reason"]["view_rate"], 10);
    }
}
