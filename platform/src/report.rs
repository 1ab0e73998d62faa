//! `GET /v1/reports`: what a creator's, an item's or a placement's
//! recommendations did, per minute, hour or day, and in total.

use crate::api::{blocking, ApiError, AppState};
use crate::store::{now_ms, BucketCount, GroupBy, ReportFilter};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use vitrine_core::field::is_id;

/// Most buckets in one report.
pub const MAX_BUCKETS: i64 = 2000;

fn bad(reason: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", reason)
}

/// Counts, and the rates derived from them.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Counts {
    pub impressions: u64,
    pub viewable_impressions: u64,
    pub clicks: u64,
    pub follows: u64,
    /// On partner stores' product pages (`<vitrine-proof>`).
    pub proof_impressions: u64,
    pub proof_viewable_impressions: u64,
    pub proof_expands: u64,
    pub creator_clicks: u64,
}

impl Counts {
    fn add(&mut self, kind: &str, n: u64) {
        match kind {
            "impression" => self.impressions += n,
            "viewable_impression" => self.viewable_impressions += n,
            "click" => self.clicks += n,
            "follow_confirmed" => self.follows += n,
            "proof_impression" => self.proof_impressions += n,
            "proof_viewable_impression" => self.proof_viewable_impressions += n,
            "proof_expand" => self.proof_expands += n,
            "creator_click" => self.creator_clicks += n,
            _ => {}
        }
    }

    /// Viewable impressions per impression; CTR is clicks per *viewable*
    /// impression (a card nobody could see was not offered).
    pub fn json(&self) -> Value {
        let rate = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        json!({
            "impressions": self.impressions,
            "viewable_impressions": self.viewable_impressions,
            "clicks": self.clicks,
            "follows": self.follows,
            "viewability": rate(self.viewable_impressions, self.impressions),
            "ctr": rate(self.clicks, self.viewable_impressions),
            "proof_impressions": self.proof_impressions,
            "proof_viewable_impressions": self.proof_viewable_impressions,
            "proof_expands": self.proof_expands,
            "creator_clicks": self.creator_clicks,
        })
    }
}

/// Totals and per-bucket counts from the store's rows.
pub fn summarize(rows: &[BucketCount]) -> (Counts, Vec<(i64, Counts)>) {
    let mut totals = Counts::default();
    let mut buckets: BTreeMap<i64, Counts> = BTreeMap::new();
    for row in rows {
        totals.add(&row.kind, row.count);
        buckets
            .entry(row.start_ms)
            .or_default()
            .add(&row.kind, row.count);
    }
    (totals, buckets.into_iter().collect())
}

/// `?creator=|item=|placement=&from=&to=&bucket=minute|hour|day[&by=item|placement]`
/// (times in ms since the epoch; default: the last 24 hours, by hour). With
/// `by`, the answer also has `groups`: totals per item or per placement.
pub async fn report(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let filters: Vec<ReportFilter> = [
        q.get("creator").map(|v| ReportFilter::Creator(v.clone())),
        q.get("item").map(|v| ReportFilter::Item(v.clone())),
        q.get("placement")
            .map(|v| ReportFilter::Placement(v.clone())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [filter] = <[ReportFilter; 1]>::try_from(filters)
        .map_err(|_| bad("give exactly one of creator, item or placement"))?;
    let valid = match &filter {
        ReportFilter::Creator(v) | ReportFilter::Item(v) => is_id(v),
        ReportFilter::Placement(v) => !v.is_empty() && v.len() <= 128,
    };
    if !valid {
        return Err(bad("the creator, item or placement is not a valid id"));
    }
    let bucket_ms: i64 = match q.get("bucket").map(String::as_str).unwrap_or("hour") {
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        _ => return Err(bad("bucket must be minute, hour or day")),
    };
    let time = |key: &str, default: i64| match q.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0)
            .ok_or_else(|| bad("from and to must be milliseconds since the epoch")),
    };
    let to = time("to", now_ms() + 1)?;
    let from = time("from", to - 86_400_000)?;
    if from >= to {
        return Err(bad("from must be before to"));
    }
    if (to - from) / bucket_ms > MAX_BUCKETS {
        return Err(bad(
            "too many buckets: use a wider bucket or a shorter range",
        ));
    }
    let by = match q.get("by").map(String::as_str) {
        None => None,
        Some("item") => Some(GroupBy::Item),
        Some("placement") => Some(GroupBy::Placement),
        Some(_) => return Err(bad("by must be item or placement")),
    };
    let (rows, grouped) = blocking(&state, move |s| {
        let grouped = by
            .map(|by| s.report_groups(&filter, by, from, to))
            .transpose()?;
        Ok((s.report(&filter, from, to, bucket_ms)?, grouped))
    })
    .await?;
    let (totals, buckets) = summarize(&rows);
    let buckets: Vec<Value> = buckets
        .into_iter()
        .map(|(start, counts)| {
            let mut b = counts.json();
            b["start"] = json!(start);
            b
        })
        .collect();
    let mut answer = json!({"from": from, "to": to, "bucket_ms": bucket_ms, "totals": totals.json(), "buckets": buckets});
    if let Some(grouped) = grouped {
        let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
        for (key, kind, n) in grouped {
            groups.entry(key).or_default().add(&kind, n);
        }
        answer["groups"] = groups
            .into_iter()
            .map(|(key, c)| json!({"key": key, "totals": c.json()}))
            .collect();
    }
    Ok(Json(answer))
}
