//! `GET /v1/reports`: what a creator's, an item's or a placement's
//! recommendations did, per minute, hour or day, and in total.

use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::store::{now_ms, BucketCount, GroupBy, ReportFilter};
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use vitrine_core::field::is_id;
use vitrine_core::traffic::Invalid;

/// Most buckets in one report.
pub const MAX_BUCKETS: i64 = 2000;

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
        .map_err(|_| ApiError::bad_request("give exactly one of creator, item or placement"))?;
    let valid = match &filter {
        ReportFilter::Creator(v) | ReportFilter::Item(v) => is_id(v),
        ReportFilter::Placement(v) => !v.is_empty() && v.len() <= 128,
    };
    if !valid {
        return Err(ApiError::bad_request(
            "the creator, item or placement is not a valid id",
        ));
    }
    let bucket_ms: i64 = match q.get("bucket").map(String::as_str).unwrap_or("hour") {
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        _ => return Err(ApiError::bad_request("bucket must be minute, hour or day")),
    };
    let time = |key: &str, default: i64| match q.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|t| *t >= 0).ok_or_else(|| {
            ApiError::bad_request("from and to must be milliseconds since the epoch")
        }),
    };
    let to = time("to", now_ms() + 1)?;
    let from = time("from", to - 86_400_000)?;
    if from >= to {
        return Err(ApiError::bad_request("from must be before to"));
    }
    if (to - from) / bucket_ms > MAX_BUCKETS {
        return Err(ApiError::bad_request(
            "too many buckets: use a wider bucket or a shorter range",
        ));
    }
    let by = match q.get("by").map(String::as_str) {
        None => None,
        Some("item") => Some(GroupBy::Item),
        Some("placement") => Some(GroupBy::Placement),
        Some(_) => return Err(ApiError::bad_request("by must be item or placement")),
    };
    let (rows, grouped, filtered) = blocking(&state, move |s| {
        let grouped = by
            .map(|by| s.report_groups(&filter, by, from, to))
            .transpose()?;
        let filtered = s.report_filtered(&filter, from, to)?;
        Ok((s.report(&filter, from, to, bucket_ms)?, grouped, filtered))
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
    let mut answer = json!({"from": from, "to": to, "bucket_ms": bucket_ms, "totals": totals.json(),
                            "filtered": filtered_json(&filtered), "buckets": buckets});
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

/// What was filtered as invalid traffic, beside what was counted:
/// `{total, by_reason: {reason: n}, by_type: {type: {reason: n}}}`, every
/// reason named (zero where none was filtered).
fn filtered_json(rows: &[(String, Invalid, u64)]) -> Value {
    let mut by_reason: BTreeMap<&str, u64> = Invalid::ALL.iter().map(|r| (r.name(), 0)).collect();
    let mut by_type: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for (kind, reason, n) in rows {
        *by_reason.entry(reason.name()).or_default() += n;
        *by_type
            .entry(kind.as_str())
            .or_default()
            .entry(reason.name())
            .or_default() += n;
    }
    json!({"total": rows.iter().map(|(_, _, n)| n).sum::<u64>(), "by_reason": by_reason, "by_type": by_type})
}

#[cfg(test)]
mod tests {
    use crate::testing::{app_and_store, event, get, minted_path, post_events};
    use axum::http::StatusCode;
    use serde_json::json;

    #[tokio::test]
    async fn reports_count_per_bucket_and_in_total_with_rates() {
        let (app, _) = app_and_store();
        let minute = 60_000;
        let t0 = (crate::store::now_ms() / minute - 5) * minute; // a whole minute, 5 minutes ago
        let at = |id: u32, kind: &str, ts: i64| {
            let mut e = event(id, kind);
            e["ts"] = json!(ts);
            e
        };
        let mut follow = at(6, "follow_confirmed", t0 + minute + 5);
        follow.as_object_mut().unwrap().remove("click");
        let batch = json!([
            at(1, "impression", t0 + 1),
            at(2, "impression", t0 + 2),
            at(3, "impression", t0 + minute + 1),
            at(4, "viewable_impression", t0 + 3),
            at(5, "viewable_impression", t0 + minute + 2),
            follow,
        ]);
        assert_eq!(
            post_events(&app, "text/plain", &batch.to_string()).await.1["accepted"],
            6
        );
        // One click through the redirect, and the beacon for that same click.
        let (_, _, minted) =
            get(&app, "/v1/items/itm_oolong_tea/link?placement=blog.example").await;
        let path = minted_path(&minted);
        assert_eq!(get(&app, &path).await.0, StatusCode::FOUND);
        let mut click = event(7, "click");
        click["click"] = minted["click_id"].clone();
        post_events(&app, "text/plain", &json!([click]).to_string()).await;

        let to = crate::store::now_ms() + 1;
        let uri = format!("/v1/reports?item=itm_oolong_tea&from={t0}&to={to}&bucket=minute");
        let (status, _, report) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let totals = &report["totals"];
        assert_eq!(
            (
                totals["impressions"].as_u64(),
                totals["viewable_impressions"].as_u64()
            ),
            (Some(3), Some(2))
        );
        assert_eq!(
            (totals["clicks"].as_u64(), totals["follows"].as_u64()),
            (Some(1), Some(1))
        );
        assert!((totals["viewability"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!(
            (totals["ctr"].as_f64().unwrap() - 0.5).abs() < 1e-9,
            "clicks per viewable impression"
        );
        let first = &report["buckets"][0];
        assert_eq!(
            (
                first["start"].as_i64(),
                first["impressions"].as_u64(),
                first["viewable_impressions"].as_u64()
            ),
            (Some(t0), Some(2), Some(1))
        );
        let second = &report["buckets"][1];
        assert_eq!(
            (
                second["start"].as_i64(),
                second["impressions"].as_u64(),
                second["follows"].as_u64()
            ),
            (Some(t0 + minute), Some(1), Some(1))
        );
        // By creator and by placement, the same events.
        let (_, _, by_creator) = get(
            &app,
            &format!("/v1/reports?creator=cr_chenmo&from={t0}&to={to}"),
        )
        .await;
        assert_eq!(by_creator["totals"]["impressions"], 3);
        let (_, _, by_placement) = get(
            &app,
            &format!("/v1/reports?placement=blog.example&from={t0}&to={to}&bucket=day"),
        )
        .await;
        assert_eq!(by_placement["totals"]["clicks"], 1);
    }

    #[tokio::test]
    async fn report_parameters_are_checked() {
        let (app, _) = app_and_store();
        for (query, reason) in [
            ("", "give exactly one of creator, item or placement"),
            (
                "?item=itm_a&creator=cr_b",
                "give exactly one of creator, item or placement",
            ),
            (
                "?item=bad%20id",
                "the creator, item or placement is not a valid id",
            ),
            (
                "?item=itm_a&bucket=week",
                "bucket must be minute, hour or day",
            ),
            (
                "?item=itm_a&from=x",
                "from and to must be milliseconds since the epoch",
            ),
            ("?item=itm_a&from=10&to=5", "from must be before to"),
            (
                "?item=itm_a&from=0&to=999999999999&bucket=minute",
                "too many buckets: use a wider bucket or a shorter range",
            ),
        ] {
            let (status, _, body) = get(&app, &format!("/v1/reports{query}")).await;
            assert_eq!(
                (status, body["reason"].as_str()),
                (StatusCode::BAD_REQUEST, Some(reason)),
                "{query}"
            );
        }
    }
}
