//! `GET /v1/reports`: what a creator's, an item's or a placement's
//! recommendations did, per minute, hour or day, and in total.

use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::report_access::ReportReader;
use crate::store::{now_ms, BucketCount, GroupBy, ReportFilter};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
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

/// `?[creator=][&item=|&placement=]&from=&to=&bucket=minute|hour|day[&by=item|placement]`
/// (times in ms since the epoch; default: the last 24 hours, by hour). A
/// report is one creator's: theirs in full, or one of their items' or
/// placements'; the creator is the one named, else the item's, else the
/// reader's own. Only that creator's session or keys read it
/// ([`ReportReader`]). With `by`, the answer also has `groups`: totals per
/// item or per placement.
pub async fn report(
    State(state): State<AppState>,
    reader: ReportReader,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let field = |name: &str| q.get(name).filter(|v| !v.is_empty());
    let narrow = match (field("item"), field("placement")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give at most one of item or placement",
            ))
        }
        (Some(item), None) if is_id(item) => Some(ReportFilter::Item(item.clone())),
        (None, Some(p)) if p.len() <= 128 => Some(ReportFilter::Placement(p.clone())),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::bad_request("item is not a valid id")),
        (None, Some(_)) => {
            return Err(ApiError::bad("placement", "placement is at most 128 bytes"))
        }
    };
    let creator = match (field("creator"), &narrow) {
        (Some(c), _) if is_id(c) => c.clone(),
        (Some(_), _) => return Err(ApiError::bad_request("creator is not a valid id")),
        (None, Some(ReportFilter::Item(item))) => {
            let item = item.clone();
            blocking(&state, move |s| s.studio_item(&item))
                .await?
                .map_or_else(|| reader.creator.clone(), |i| i.item.creator_id)
        }
        (None, _) => reader.creator.clone(),
    };
    reader.may_read(&creator)?;
    let filter = narrow.unwrap_or_else(|| ReportFilter::Creator(creator.clone()));
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
            .map(|by| s.report_groups(&creator, &filter, by, from, to))
            .transpose()?;
        let filtered = s.report_filtered(&creator, &filter, from, to)?;
        Ok((
            s.report(&creator, &filter, from, to, bucket_ms)?,
            grouped,
            filtered,
        ))
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
    Ok(private(Json(answer)))
}

/// A creator's numbers: kept by no shared cache, and varying with who asks.
pub fn private(answer: impl IntoResponse) -> Response {
    (
        [
            (header::CACHE_CONTROL, "private, no-store"),
            (header::VARY, "Authorization, Cookie"),
        ],
        answer,
    )
        .into_response()
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
    use crate::testing::{
        app_and_store, event, get, minted_path, post_events, report_as, report_key, send, signed_in,
    };
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
        let (status, headers, report) = report_as(&app, "cr_chenmo", &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "private, no-store");
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
        let (_, _, by_creator) = report_as(
            &app,
            "cr_chenmo",
            &format!("/v1/reports?creator=cr_chenmo&from={t0}&to={to}"),
        )
        .await;
        assert_eq!(by_creator["totals"]["impressions"], 3);
        // A placement's report is the reader's own creator's events there.
        let (_, _, by_placement) = report_as(
            &app,
            "cr_chenmo",
            &format!("/v1/reports?placement=blog.example&from={t0}&to={to}&bucket=day"),
        )
        .await;
        assert_eq!(by_placement["totals"]["clicks"], 1);
        let (_, _, elsewhere) = report_as(
            &app,
            "cr_mayachen",
            &format!("/v1/reports?placement=blog.example&from={t0}&to={to}&bucket=day"),
        )
        .await;
        assert_eq!(
            elsewhere["totals"]["clicks"], 0,
            "another creator's placement report"
        );
    }

    /// The attack: every creator's report, dashboard and live stream was
    /// public (with CORS `*`): anyone could read anyone's numbers.
    #[tokio::test]
    async fn a_creators_report_is_theirs_alone() {
        let (app, store) = app_and_store();
        let report = "/v1/reports?creator=cr_chenmo";
        let code = |v: &serde_json::Value| v["error"].as_str().map(str::to_owned);
        let (status, _, body) = get(&app, report).await;
        assert_eq!(
            (status, code(&body).as_deref()),
            (StatusCode::UNAUTHORIZED, Some("report_access"))
        );
        for path in [
            "/v1/live?creator=cr_chenmo",
            "/v1/reports?item=itm_oolong_tea",
            "/v1/reports?placement=blog.example",
        ] {
            assert_eq!(get(&app, path).await.0, StatusCode::UNAUTHORIZED, "{path}");
        }
        // Another creator's key, by creator, by item, and on the stream.
        for path in [
            report,
            "/v1/reports?item=itm_oolong_tea",
            "/v1/live?creator=cr_chenmo",
        ] {
            let (status, _, body) = report_as(&app, "cr_mayachen", path).await;
            assert_eq!(
                (status, code(&body).as_deref()),
                (StatusCode::FORBIDDEN, Some("not_your_report")),
                "{path}"
            );
        }
        // A made-up key, or one that is not an API key.
        for auth in [
            "Bearer vk_00000000000000000000000000000000",
            "Basic Y3JfY2hlbm1vOng=",
            "Bearer ",
        ] {
            let (status, _, text) =
                send(&app, "GET", report, &[("authorization", auth)], None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth}: {text}");
        }
        assert_eq!(report_as(&app, "cr_chenmo", report).await.0, StatusCode::OK);
        // The creator's own session reads it; another creator's does not.
        let (own, _) = signed_in(&store, "rd_chenmo");
        assert_eq!(
            send(&app, "GET", report, &[("cookie", &own)], None).await.0,
            StatusCode::OK
        );
        let (other, _) = signed_in(&store, "rd_maya");
        assert_eq!(
            send(&app, "GET", report, &[("cookie", &other)], None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // A reader's session (not a creator's) reads no report.
        let (reader, _) = signed_in(&store, "rd_xiaowang");
        assert_eq!(
            send(&app, "GET", report, &[("cookie", &reader)], None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        // Revoked, the demo key stops at once.
        assert!(store
            .revoke_report_key("cr_chenmo", "rk_demo_2e7a", 1)
            .unwrap());
        let auth = format!("Bearer {}", report_key("cr_chenmo"));
        assert_eq!(
            send(&app, "GET", report, &[("authorization", &auth)], None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn the_dashboard_asks_to_sign_in_and_a_share_link_reads_it() {
        let (app, store) = app_and_store();
        let (status, headers, _) =
            send(&app, "GET", "/dashboard?creator=cr_mayachen", &[], None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers["location"],
            "/signin?next=%2Fdashboard%3Fcreator%3Dcr_mayachen"
        );
        let (maya, _) = signed_in(&store, "rd_maya");
        let (status, _, html) = send(&app, "GET", "/dashboard", &[("cookie", &maya)], None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"data-creator="cr_mayachen""#) && !html.contains("data-share"));
        let (status, _, _) = send(
            &app,
            "GET",
            "/dashboard?creator=cr_chenmo",
            &[("cookie", &maya)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A share link: the page, the report and the stream, and nothing else.
        let (share, row) = crate::report_access::new_key(
            crate::report_access::KeyKind::Share,
            "cr_mayachen",
            "friends",
            1,
        );
        store.create_report_key(&row).unwrap();
        let page = format!("/dashboard?creator=cr_mayachen&share={share}");
        let (status, _, html) = send(&app, "GET", &page, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!(r#"data-share="{share}""#)));
        let (status, _, _) = get(
            &app,
            &format!("/v1/reports?creator=cr_mayachen&share={share}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = get(
            &app,
            &format!("/v1/reports?creator=cr_chenmo&share={share}"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let bearer = format!("Bearer {share}");
        let (status, _, _) = send(
            &app,
            "GET",
            "/v1/reports?creator=cr_mayachen",
            &[("authorization", &bearer)],
            None,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a share link is not an API key"
        );
        let (status, _, _) = send(&app, "GET", &format!("/studio?share={share}"), &[], None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "nor a session");
        store.revoke_report_key("cr_mayachen", &row.id, 2).unwrap();
        assert_eq!(
            send(&app, "GET", &page, &[], None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn a_creator_makes_a_key_sees_it_once_and_revokes_it() {
        let (app, store) = app_and_store();
        let (cookie, csrf) = signed_in(&store, "rd_lin");
        let headers = [
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "same-origin"),
        ];
        let form =
            crate::testing::form(&[("csrf", &csrf), ("kind", "api"), ("label", "weekly script")]);
        let (status, _, html) = send(&app, "POST", "/studio/keys", &headers, Some(&form)).await;
        assert_eq!(status, StatusCode::CREATED);
        let at = html.find(r#"value="vk_"#).expect("the key, shown") + r#"value=""#.len();
        let key = html[at..at + 35].to_owned();
        let (_, _, list) = send(&app, "GET", "/studio/keys", &headers, None).await;
        assert!(list.contains("weekly script") && list.contains(&key[31..]));
        assert!(!list.contains(&key), "shown once, never again");
        let bearer = format!("Bearer {key}");
        let report = "/v1/reports?creator=cr_linxiaoman";
        assert_eq!(
            send(&app, "GET", report, &[("authorization", &bearer)], None)
                .await
                .0,
            StatusCode::OK
        );
        let id = store
            .report_keys("cr_linxiaoman")
            .unwrap()
            .into_iter()
            .find(|k| k.label == "weekly script")
            .unwrap()
            .id;
        // Another creator cannot revoke it; its owner can, with the token.
        let (maya, maya_csrf) = signed_in(&store, "rd_maya");
        let revoke = format!("/studio/keys/{id}/revoke");
        let maya_headers = [("cookie", maya.as_str()), ("sec-fetch-site", "same-origin")];
        let body = crate::testing::form(&[("csrf", &maya_csrf)]);
        assert_eq!(
            send(&app, "POST", &revoke, &maya_headers, Some(&body))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let body = crate::testing::form(&[("csrf", &csrf)]);
        let cross = [
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "cross-site"),
        ];
        assert_eq!(
            send(&app, "POST", &revoke, &cross, Some(&body)).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(&app, "POST", &revoke, &headers, Some(&body)).await.0,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            send(&app, "GET", report, &[("authorization", &bearer)], None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn programs_elsewhere_may_send_a_key_but_no_cookie_opens_a_report() {
        let (app, _) = app_and_store();
        let (status, headers, _) = send(
            &app,
            "OPTIONS",
            "/v1/reports?creator=cr_chenmo",
            &[
                ("origin", "https://tools.example"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
            None,
        )
        .await;
        assert!(status.is_success());
        assert!(headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization"));
        assert!(headers.get("access-control-allow-credentials").is_none());
    }

    #[tokio::test]
    async fn report_parameters_are_checked() {
        let (app, _) = app_and_store();
        for (query, reason) in [
            (
                "?item=itm_a&placement=p",
                "give at most one of item or placement",
            ),
            ("?item=bad%20id", "item is not a valid id"),
            ("?creator=bad%20id", "creator is not a valid id"),
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
            let (status, _, body) =
                report_as(&app, "cr_linxiaoman", &format!("/v1/reports{query}")).await;
            assert_eq!(
                (status, body["reason"].as_str()),
                (StatusCode::BAD_REQUEST, Some(reason)),
                "{query}"
            );
        }
    }
}
