//! `GET /v1/proof`: which creators recommend one product, for a partner
//! store's own product page (`<vitrine-proof>`). The product is found by
//! the same link rules as the card's, so every form of its link (mobile,
//! http, tracking noise, a variant) meets the same recommendations.

use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::items::wire_item;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use vitrine_core::link::canonicalize;
use vitrine_core::proof::{product_key, Proof, Recommendation};
use vitrine_core::whatwg::UrlCrate;

/// How long browsers and caches may keep an answer: a new recommendation
/// shows within a minute, and a busy product page costs one query a minute
/// per cache.
const MAX_AGE: &str = "public, max-age=60";

/// `GET /v1/proof?url=…` (or `?partner=taobao&item=…`).
pub async fn proof(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = match (query.get("url"), query.get("partner"), query.get("item")) {
        (Some(url), None, None) => url.clone(),
        (None, Some(partner), Some(item)) => state
            .registry
            .partners()
            .find(|(_, rule)| *rule.key == **partner)
            .map(|(_, rule)| rule.canonical_url(item, None))
            .unwrap_or_default(),
        _ => return Err(ApiError::bad_request("give url, or partner and item")),
    };
    let body = match canonicalize(&link, &UrlCrate, &state.registry) {
        // Not a product any partner sells: nobody recommends it.
        Err(e) => json!({"product": null, "reason": e.reason(), "total": 0, "recommendations": []}),
        Ok(canonical) => {
            let key = product_key(&canonical, &state.registry);
            let base = state.public.to_string();
            let lookup = key.clone();
            let rows = blocking(&state, move |s| s.recommendations(&lookup)).await?;
            let mut all = Vec::with_capacity(rows.len());
            for (row, creator, at_ms) in rows {
                // Checked like every item served: never what the SDK would refuse.
                match wire_item(row, creator, &base) {
                    Ok(item) => all.push(Recommendation {
                        item_id: item.id,
                        reason: item.reason,
                        at_ms: at_ms.max(0) as u64,
                        creator: item.creator,
                    }),
                    Err(e) => eprintln!("vitrine-platform: left out of proof: {e}"),
                }
            }
            let proof = Proof::from_recommendations(all);
            json!({
                "product": {"key": key, "canonical": canonical.url},
                "total": proof.total,
                "recommendations": proof.recommendations,
            })
        }
    };
    Ok(cacheable(&headers, &body))
}

/// The answer with an ETag (its content's hash) and a short max-age; `304`
/// when the client already holds it.
fn cacheable(headers: &HeaderMap, body: &Value) -> Response {
    let text = body.to_string();
    let hash: String = Sha256::digest(text.as_bytes())[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let etag = format!("\"{hash}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let cache = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex in quotes"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE)),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let json = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (cache, json, text).into_response()
}

#[cfg(test)]
mod tests {
    use crate::testing::{app_and_store, send};
    use axum::http::StatusCode;
    use serde_json::Value;

    fn proof_path(url: &str) -> String {
        let mut path = String::from("/v1/proof?url=");
        vitrine_core::url::push_encoded(&mut path, url);
        path
    }

    #[tokio::test]
    async fn every_form_of_the_product_meets_the_same_creators_in_rank_order() {
        let (app, store) = app_and_store();
        let mut answers = Vec::new();
        for url in [
            "https://detail.tmall.com/item.htm?id=589123456789",
            "http://detail.m.tmall.com/item.htm?spm=x&id=589123456789&skuId=1",
            "https://item.taobao.com/item.htm?id=589123456789#desc",
            "https://h5.m.taobao.com/awp/core/detail.htm?id=589123456789&ut_sk=1",
        ] {
            let (status, headers, body) = send(
                &app,
                "GET",
                &proof_path(url),
                &[("origin", "https://shop.example")],
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{url}");
            assert_eq!(headers["access-control-allow-origin"], "*");
            assert_eq!(headers["cache-control"], "public, max-age=60");
            let mut body: Value = serde_json::from_str(&body).unwrap();
            // Each form keeps its own canonical page; the product is one.
            body["product"]["canonical"].take();
            answers.push(body);
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "one product, one answer"
        );
        let proof = &answers[0];
        assert_eq!(proof["total"], 3);
        assert_eq!(proof["product"]["key"], "taobao:589123456789");
        let who: Vec<_> = proof["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["creator"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            who,
            ["cr_linxiaoman", "cr_mayachen", "cr_chenmo"],
            "by audience"
        );
        let first = &proof["recommendations"][0];
        assert_eq!(first["item"], "itm_rougui_lin");
        assert!(first["reason"].as_str().unwrap().contains("送了爸妈"));
        assert!(first["recommended_at"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!(
            first["creator"]["avatar"],
            "http://127.0.0.1:9999/media/avatar-lin.svg"
        );

        // The same by partner and item; an unpublished pick drops out.
        store.set_published("itm_rougui_maya", false).unwrap();
        let (_, _, body) = send(
            &app,
            "GET",
            "/v1/proof?partner=tmall&item=589123456789",
            &[],
            None,
        )
        .await;
        let proof: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(proof["total"], 2);
    }

    /// The attack: `Host: evil.example` made the answer's avatars point at
    /// evil.example, and the answer is cacheable by any shared cache.
    #[tokio::test]
    async fn absolute_urls_come_from_the_public_url_not_the_host_header() {
        let (app, _) = app_and_store();
        let path = proof_path("https://detail.tmall.com/item.htm?id=589123456789");
        let (status, _, body) = send(&app, "GET", &path, &[("host", "evil.example")], None).await;
        assert_eq!(status, StatusCode::OK);
        let body: Value = serde_json::from_str(&body).unwrap();
        let avatars: Vec<&str> = body["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["creator"]["avatar"].as_str().unwrap())
            .collect();
        assert!(!avatars.is_empty());
        for avatar in avatars {
            assert!(
                avatar.starts_with("http://127.0.0.1:9999/media/"),
                "{avatar}"
            );
        }
        let (_, _, text) = send(
            &app,
            "GET",
            "/v1/items/itm_oolong_tea/link?placement=blog.example",
            &[("host", "evil.example")],
            None,
        )
        .await;
        let minted: Value = serde_json::from_str(&text).unwrap();
        assert!(
            minted["url"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:9999/r/"),
            "{minted}"
        );
    }

    #[tokio::test]
    async fn an_unknown_product_or_a_refused_link_is_an_empty_answer() {
        let (app, _) = app_and_store();
        for (url, reason) in [
            ("https://detail.tmall.com/item.htm?id=589100000001", None),
            (
                "https://evil.example/item.htm?id=589123456789",
                Some("unknown-host"),
            ),
            ("javascript:alert(1)", Some("scheme")),
            ("", Some("empty")),
        ] {
            let (status, _, body) = send(&app, "GET", &proof_path(url), &[], None).await;
            assert_eq!(status, StatusCode::OK, "{url}");
            let proof: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                (
                    proof["total"].as_u64(),
                    proof["recommendations"].as_array().map(Vec::len)
                ),
                (Some(0), Some(0)),
                "{url}"
            );
            assert_eq!(proof["reason"].as_str(), reason, "{url}");
        }
        let (status, _, _) = send(&app, "GET", "/v1/proof", &[], None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_client_holding_the_answer_gets_304() {
        let (app, store) = app_and_store();
        let path = proof_path("https://detail.tmall.com/item.htm?id=589123456789");
        let (_, headers, _) = send(&app, "GET", &path, &[], None).await;
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, headers, body) =
            send(&app, "GET", &path, &[("if-none-match", &etag)], None).await;
        assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
        assert_eq!(headers["etag"], etag.as_str());
        // A change is a new answer.
        store.set_published("itm_oolong_tea", false).unwrap();
        let (status, headers, _) =
            send(&app, "GET", &path, &[("if-none-match", &etag)], None).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(headers["etag"], etag.as_str());
    }
}
