//! Signed links: `GET /v1/items/{id}/link` mints a `/r/` link for one
//! click, and `GET /r/{token}` records the click and sends the reader on.
//! The destination is always computed from the stored item, never read
//! from the request; the token is signed, so it names only what the
//! platform minted.

use crate::app::{blocking, found, AppState};
use crate::error::ApiError;
use crate::limits::Client;
use crate::links::{new_click_id, Claims};
use crate::store::ClickRow;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use vitrine_core::field::{is_hex_id, is_placement, PLACEMENT_RULE};
use vitrine_core::link::{canonicalize, resolve};
use vitrine_core::partner::Attribution;
use vitrine_core::whatwg::UrlCrate;

/// `GET /v1/items/{id}/link?placement=P`: a signed `/r/` link for one click
/// on the item, with a fresh click id. For hosts that cannot run the SDK's
/// direct links (no scripts, no beacons).
pub async fn mint_link(
    State(state): State<AppState>,
    Client(client): Client,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    state.limiters.links.take(client, 1.0)?;
    let placement = query.get("placement").cloned().unwrap_or_default();
    if !is_placement(&placement) {
        return Err(ApiError::bad_request(
            ["placement ", PLACEMENT_RULE].concat(),
        ));
    }
    let row = found(&state, "item", id, |s, id| s.item(id)).await?;
    // Refuse now rather than hand out a link that cannot go anywhere.
    canonicalize(&row.store_url, &UrlCrate, &state.registry).map_err(|e| {
        ApiError::unprocessable(
            "refused_link",
            format!("the item's store link is refused ({})", e.reason()),
        )
    })?;
    let click_id = new_click_id();
    let claims = Claims {
        item_id: row.id,
        creator_id: row.creator_id,
        placement_id: placement,
        click_id: click_id.clone(),
    };
    let url = format!("{}/r/{}", state.public, state.secret.sign(&claims));
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"url": url, "click_id": click_id})),
    )
        .into_response())
}

/// `GET /r/{token}`: records the click, then sends the reader to the item's
/// resolved partner page. Only ever that page: the token is signed, and the
/// destination is computed here from the stored item, never read from it.
pub async fn redirect(
    State(state): State<AppState>,
    Client(client): Client,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    state.limiters.links.take(client, 1.0)?;
    let bad_token = || ApiError::bad("bad_token", "this link is not valid");
    let claims = state.secret.verify(&token).map_err(|_| bad_token())?;
    if !is_hex_id(&claims.click_id) {
        return Err(bad_token());
    }
    let item_id = claims.item_id.clone();
    let row = blocking(&state, move |s| s.item(&item_id)).await?;
    let row = row.ok_or_else(|| ApiError::not_found("this item is no longer available"))?;
    if row.creator_id != claims.creator_id {
        return Err(bad_token());
    }
    let attribution = Attribution {
        click_id: &claims.click_id,
        creator_id: &claims.creator_id,
        placement_id: &claims.placement_id,
    };
    let out = resolve(&row.store_url, &UrlCrate, &state.registry, &attribution).map_err(|e| {
        ApiError::new(
            StatusCode::GONE,
            "refused_link",
            format!("the item's store link is refused ({})", e.reason()),
        )
    })?;
    let click = ClickRow {
        click_id: claims.click_id,
        item_id: claims.item_id,
        creator_id: claims.creator_id,
        placement_id: claims.placement_id,
        source: "redirect",
    };
    // Recorded before answering: a reader who got the redirect was counted
    // (or, clicking the same item again, filtered as a repeat).
    blocking(&state, move |s| s.record_click(&click, client.0)).await?;
    Ok((
        StatusCode::FOUND,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&out.web).map_err(|_| bad_token())?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
        ],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::Secret;
    use crate::testing::{app_and_store, app_on, get, get_from, minted_path, seeded_store};
    use serde_json::json;

    #[tokio::test]
    async fn a_signed_link_redirects_to_the_canonical_page_and_counts_the_click_once() {
        let (app, store) = app_and_store();
        let (status, headers, minted) =
            get(&app, "/v1/items/itm_oolong_tea/link?placement=blog.example").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store");
        let url = minted["url"].as_str().unwrap();
        let click_id = minted["click_id"].as_str().unwrap();
        let path = url.strip_prefix("http://127.0.0.1:9999").unwrap();
        assert!(path.starts_with("/r/"));
        for _ in 0..2 {
            let (status, headers, _) = get(&app, path).await;
            assert_eq!(status, StatusCode::FOUND);
            assert_eq!(
                headers["location"],
                format!(
                    "https://detail.tmall.com/item.htm?id=589123456789&pid=mm_1_2_3&vt_click={click_id}\
                     &vt_creator=cr_chenmo&vt_placement=blog.example"
                )
                .as_str()
            );
        }
        assert_eq!(
            store.click_count("itm_oolong_tea").unwrap(),
            1,
            "the same click, twice, is one click"
        );
        // Another reader's click is another click.
        let other = "203.0.113.20";
        let (_, _, second) = get_from(
            &app,
            other,
            "/v1/items/itm_oolong_tea/link?placement=blog.example",
        )
        .await;
        assert_ne!(
            second["click_id"], minted["click_id"],
            "every link is a fresh click"
        );
        let second = minted_path(&second);
        assert_eq!(get_from(&app, other, &second).await.0, StatusCode::FOUND);
        assert_eq!(store.click_count("itm_oolong_tea").unwrap(), 2);
    }

    #[tokio::test]
    async fn minting_and_following_links_in_a_loop_counts_one_click_and_then_is_refused() {
        // The attack: GET …/link then GET /r/…, over and over, from one client.
        let (app, store) = app_and_store();
        let mut redirected = 0;
        let mut refused = None;
        for _ in 0..40 {
            let (status, headers, minted) =
                get(&app, "/v1/items/itm_oolong_tea/link?placement=blog.example").await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(headers);
                break;
            }
            let (status, headers, _) = get(&app, &minted_path(&minted)).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(headers);
                break;
            }
            assert_eq!(status, StatusCode::FOUND);
            redirected += 1;
        }
        assert!(
            redirected >= 10,
            "a reader's few clicks go through: {redirected}"
        );
        let refused = refused.expect("a loop is cut off");
        assert!(
            refused["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        assert_eq!(
            store.click_count("itm_oolong_tea").unwrap(),
            1,
            "repeat clicks by one client on one item within 30 minutes count once"
        );
        let (_, _, report) =
            crate::testing::report_as(&app, "cr_chenmo", "/v1/reports?item=itm_oolong_tea").await;
        assert_eq!(report["totals"]["clicks"], 1);
        assert_eq!(
            report["filtered"]["by_reason"]["repeat_click"],
            redirected - 1,
            "the repeats are kept, and shown as filtered"
        );
        // Another client is not slowed by the one that flooded.
        let (status, _, _) = get_from(
            &app,
            "203.0.113.31",
            "/v1/items/itm_oolong_tea/link?placement=blog.example",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_tampered_link_is_refused_and_records_nothing() {
        let (app, store) = app_and_store();
        let (_, _, minted) = get(&app, "/v1/items/itm_oolong_tea/link?placement=p").await;
        let token = minted["url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let (payload, signature) = token.split_once('.').unwrap();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
        let forged = [
            // Another item, same signature.
            format!(
                "{}.{signature}",
                b64.encode(claims.replace("itm_oolong_tea", "itm_ceramic_mug"))
            ),
            // A signature cut short, or empty.
            format!("{payload}.{}", &signature[..10]),
            format!("{payload}."),
            "garbage".to_owned(),
            // Correctly signed by another platform.
            Secret::fixed(2).sign(&Claims {
                item_id: "itm_oolong_tea".into(),
                creator_id: "cr_chenmo".into(),
                placement_id: "p".into(),
                click_id: "0".repeat(32),
            }),
        ];
        for token in forged {
            let (status, _, body) = get(&app, &format!("/r/{token}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{token}");
            assert_eq!(body["error"], "bad_token");
        }
        // Signed by us, but naming a creator who does not recommend the item.
        let wrong_creator = Secret::fixed(1).sign(&Claims {
            item_id: "itm_oolong_tea".into(),
            creator_id: "cr_mayachen".into(),
            placement_id: "p".into(),
            click_id: "0".repeat(32),
        });
        assert_eq!(
            get(&app, &format!("/r/{wrong_creator}")).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(store.click_count("itm_oolong_tea").unwrap(), 0);
        assert_eq!(store.click_count("itm_ceramic_mug").unwrap(), 0);
    }

    #[tokio::test]
    async fn configured_partners_go_through_the_redirect_and_refused_links_get_no_link() {
        let (store, dir) = seeded_store("cfg");
        let mut item = crate::seed::items().remove(0);
        item.id = "itm_yoshop".into();
        item.store_url = "http://m.yoshop.example/p/AB12?ref=feed".into();
        store.save_item(&item, None).unwrap();
        item.id = "itm_refused".into();
        item.store_url = "https://evil.example/item.htm?id=1".into();
        store.save_item(&item, None).unwrap();
        let registry = crate::partners::parse(
            r#"{"partners": [{"key": "yoshop", "name": "Yo Shop", "domains": ["yoshop.example"], "item_path": "/p/{id}",
                "alphanumeric_ids": true, "canonical": "https://www.yoshop.example/p/{id}"}]}"#,
        )
        .unwrap();
        let app = app_on(store.clone(), &dir, registry);

        let (status, _, minted) = get(&app, "/v1/items/itm_yoshop/link?placement=p").await;
        assert_eq!(status, StatusCode::OK);
        let path = minted_path(&minted);
        let (status, headers, _) = get(&app, &path).await;
        assert_eq!(status, StatusCode::FOUND);
        let location = headers["location"].to_str().unwrap();
        assert!(
            location.starts_with("https://www.yoshop.example/p/AB12?utm_source=vitrine&"),
            "{location}"
        );
        assert_eq!(store.click_count("itm_yoshop").unwrap(), 1);

        let (status, _, body) = get(&app, "/v1/items/itm_refused/link?placement=p").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({"error": "refused_link", "reason": "the item's store link is refused (unknown-host)"})
        );
    }

    #[tokio::test]
    async fn links_are_minted_only_for_known_items_and_sane_placements() {
        let (app, _) = app_and_store();
        assert_eq!(
            get(&app, "/v1/items/itm_nope/link?placement=p").await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _, body) = get(&app, "/v1/items/itm_oolong_tea/link").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["reason"],
            "placement must be 1 to 128 printable characters"
        );
    }
}
