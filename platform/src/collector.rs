//! The beacon collector: `POST /v1/events`.
//!
//! Every event is validated by the core's schema; accepted ones are stored
//! before the answer goes out. Writes go through one writer thread that
//! commits whatever batches arrived meanwhile in a single transaction (group
//! commit), so a burst of pages costs one disk sync, not one each.

use crate::api::{ApiError, AppState};
use crate::store::{now_ms, Store, StoreError, StoreResult};
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::Arc;
use vitrine_core::event::{Event, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};

/// Oldest event accepted: a reader may come back online weeks later.
const MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
/// Furthest in the future accepted: browsers' clocks drift.
const MAX_AHEAD_MS: i64 = 24 * 3600 * 1000;
/// Most batches committed in one transaction.
const GROUP: usize = 256;

struct Job {
    events: Vec<Event>,
    reply: tokio::sync::oneshot::Sender<StoreResult<Vec<bool>>>,
}

/// Who has new events, as each commit lands.
pub type Live = tokio::sync::broadcast::Sender<Arc<Vec<String>>>;

/// The writer thread's mailbox.
#[derive(Clone)]
pub struct Collector {
    jobs: mpsc::Sender<Job>,
}

impl Collector {
    /// Starts the writer thread. After each commit it tells `live` which
    /// creators have new events (the dashboards listening refresh).
    pub fn start(store: Arc<dyn Store>, live: Live) -> Collector {
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("vitrine-events".into())
            .spawn(move || {
                while let Ok(first) = inbox.recv() {
                    let mut group = vec![first];
                    while group.len() < GROUP {
                        match inbox.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    let all: Vec<Event> = group
                        .iter()
                        .flat_map(|j| j.events.iter().cloned())
                        .collect();
                    match store.insert_events(&all) {
                        Ok(fresh) => {
                            let mut creators: Vec<String> = all
                                .iter()
                                .zip(&fresh)
                                .filter_map(|(e, new)| new.then(|| e.creator_id.clone()).flatten())
                                .collect();
                            creators.sort();
                            creators.dedup();
                            if !creators.is_empty() {
                                let _ = live.send(Arc::new(creators));
                            }
                            let mut fresh = fresh.into_iter();
                            for job in group {
                                let mine = fresh.by_ref().take(job.events.len()).collect();
                                let _ = job.reply.send(Ok(mine));
                            }
                        }
                        Err(e) => {
                            for job in group {
                                let _ = job.reply.send(Err(StoreError(e.0.clone())));
                            }
                        }
                    }
                }
            })
            .expect("the writer thread starts");
        Collector { jobs }
    }

    /// Stores `events`; resolves once they are committed.
    pub async fn store(&self, events: Vec<Event>) -> StoreResult<Vec<bool>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job { events, reply })
            .map_err(|_| StoreError("the event writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError("the event writer stopped".into()))?
    }
}

fn refuse(status: StatusCode, code: &'static str, reason: &str) -> ApiError {
    ApiError::new(status, code, reason)
}

/// `POST /v1/events`: a JSON array of events, as `application/json` or as
/// `text/plain` (what `navigator.sendBeacon` can send without a preflight).
/// Answers `202 {accepted, duplicate, rejected, reasons}`; `400` for a body
/// that is not a JSON array, `413` beyond 64 KiB or 500 events.
pub async fn collect(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BATCH_BYTES)
        .await
        .map_err(|_| {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "a batch is at most 64 KiB",
            )
        })?;
    let batch: Value = serde_json::from_slice(&bytes).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "malformed",
            "the body must be a JSON array of events",
        )
    })?;
    let Value::Array(items) = batch else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "malformed",
            "the body must be a JSON array of events",
        ));
    };
    if items.len() > MAX_BATCH_EVENTS {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "a batch is at most 500 events",
        ));
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
