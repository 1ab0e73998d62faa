//! The item and creator API (`/v1/items`, `/v1/items/{id}`,
//! `/v1/creators/{id}`) and stored media (`/media/{name}`). Every item
//! leaves through [`wire_item`], which validates it again with the core:
//! the platform never serves what the SDK would refuse.

use crate::app::{blocking, found, AppState};
use crate::error::ApiError;
use crate::store::{CreatorRow, ItemRow, Store, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use vitrine_core::amount::Amount;
use vitrine_core::field::is_id;
use vitrine_core::item::{Creator, Item, Money, Store as ItemStore};

pub const MAX_PER_PAGE: u64 = 100;
pub const DEFAULT_PER_PAGE: u64 = 20;

/// The wire item, checked again on the way out: the platform never serves
/// what the SDK would refuse.
pub fn wire_item(row: ItemRow, creator: CreatorRow, base: &str) -> Result<Item, StoreError> {
    let bad = |field: &str| StoreError(format!("stored item {} has an invalid {field}", row.id));
    let money = |amount: &str| {
        Amount::parse(amount)
            .map(|amount| Money {
                amount,
                currency: row.currency.clone(),
            })
            .ok_or_else(|| bad("amount"))
    };
    let item = Item {
        price: money(&row.price_amount)?,
        original_price: row.original_amount.as_deref().map(money).transpose()?,
        id: row.id.clone(),
        title: row.title.clone(),
        image: format!("{base}{}", row.image_path),
        reason: row.reason.clone(),
        stock: row.stock,
        store: ItemStore {
            url: row.store_url.clone(),
        },
        creator: Creator {
            id: creator.id,
            name: creator.name,
            avatar: format!("{base}{}", creator.avatar_path),
            followers: creator.followers,
            verified: creator.verified,
        },
    };
    let value = serde_json::to_value(&item).map_err(|e| StoreError(e.to_string()))?;
    Item::from_node(&value)
        .map_err(|e| StoreError(format!("stored item {} is invalid: {e}", row.id)))
}

pub fn item_with_creator(store: &dyn Store, row: ItemRow, base: &str) -> Result<Item, StoreError> {
    let creator = store
        .creator(&row.creator_id)?
        .ok_or_else(|| StoreError(format!("item {} names a missing creator", row.id)))?;
    wire_item(row, creator, base)
}

pub async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Item>, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::not_found("no item has that id"));
    }
    let base = state.public.to_string();
    let reason = format!("no item with id {id}");
    let item = blocking(&state, move |s| match s.item(&id)? {
        Some(row) => item_with_creator(s, row, &base).map(Some),
        None => Ok(None),
    })
    .await?;
    item.map(Json).ok_or_else(|| ApiError::not_found(reason))
}

fn page_param(
    query: &HashMap<String, String>,
    name: &str,
    default: u64,
    max: u64,
) -> Result<u64, ApiError> {
    match query.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "{name} must be a whole number from 1 to {max}"
            ))),
        },
    }
}

pub async fn list_items(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let page = page_param(&query, "page", 1, 1_000_000)?;
    let per_page = page_param(&query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let base = state.public.to_string();
    let (items, total) = blocking(&state, move |s| {
        let (rows, total) = s.items((page - 1) * per_page, per_page)?;
        let items = rows
            .into_iter()
            .map(|r| item_with_creator(s, r, &base))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    })
    .await?;
    let next_page = (page * per_page < total).then_some(page + 1);
    Ok(Json(
        json!({"items": items, "page": page, "per_page": per_page, "total": total, "next_page": next_page}),
    ))
}

pub async fn get_creator(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let base = state.public.to_string();
    let c = found(&state, "creator", id, |s, id| s.creator(id)).await?;
    Ok(Json(json!({
        "id": c.id, "name": c.name, "avatar": format!("{base}{}", c.avatar_path),
        "bio": c.bio, "followers": c.followers, "verified": c.verified,
    })))
}

pub async fn get_media(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let reason = format!("no media named {name}");
    let media = blocking(&state, move |s| s.media(&name))
        .await?
        .ok_or_else(|| ApiError::not_found(reason))?;
    let content_type = HeaderValue::from_str(&media.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // An SVG opened on its own must not run anything.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
        ],
        media.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{app_and_store, get};
    use axum::http::StatusCode;

    #[tokio::test]
    async fn an_item_is_served_in_the_wire_form_with_absolute_media() {
        let (app, _) = app_and_store();
        let (status, headers, item) = get(&app, "/v1/items/itm_ceramic_mug").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(item["price"], json!({"amount": "89.00", "currency": "CNY"}));
        assert_eq!(item["image"], "http://127.0.0.1:9999/media/mug.svg");
        assert_eq!(
            item["creator"]["avatar"],
            "http://127.0.0.1:9999/media/avatar-lin.svg"
        );
        assert_eq!(
            item["store"]["url"],
            "https://item.taobao.com/item.htm?id=624519851234"
        );
        assert!(
            Item::from_node(&item).is_ok(),
            "what the platform serves, the SDK accepts"
        );
    }

    #[tokio::test]
    async fn unknown_ids_are_404_with_a_json_reason() {
        let (app, _) = app_and_store();
        for uri in [
            "/v1/items/itm_nope",
            "/v1/items/bad%20id",
            "/v1/creators/cr_nope",
            "/v1/nothing/here",
        ] {
            let (status, _, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(body["error"], "not_found", "{uri}");
            assert!(
                body["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{uri}"
            );
        }
    }

    #[tokio::test]
    async fn the_item_list_pages_through_everything_once() {
        let (app, _) = app_and_store();
        let mut seen = Vec::new();
        let mut page = Some(1);
        while let Some(p) = page {
            let (status, _, body) = get(&app, &format!("/v1/items?per_page=4&page={p}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["total"], crate::seed::items().len());
            seen.extend(
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_owned()),
            );
            page = body["next_page"].as_u64();
        }
        let mut expected: Vec<String> = crate::seed::items().into_iter().map(|i| i.id).collect();
        expected.reverse(); // newest first
        assert_eq!(seen, expected);
        for bad in ["per_page=0", "per_page=101", "page=0", "page=x"] {
            let (status, _, body) = get(&app, &format!("/v1/items?{bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(body["error"], "bad_request");
        }
    }

    #[tokio::test]
    async fn creators_and_health() {
        let (app, _) = app_and_store();
        let (status, _, c) = get(&app, "/v1/creators/cr_mayachen").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(c["name"], "Maya Chen");
        assert_eq!(c["followers"], 45_200);
        assert_eq!(c["verified"], true);
        let (status, _, health) = get(&app, "/healthz").await;
        assert_eq!((status, health), (StatusCode::OK, json!({"status": "ok"})));
    }

    #[test]
    fn every_seeded_item_is_valid_for_the_sdk() {
        let creators = crate::seed::creators();
        for row in crate::seed::items() {
            let creator = creators
                .iter()
                .find(|c| c.id == row.creator_id)
                .unwrap()
                .clone();
            let id = row.id.clone();
            wire_item(row, creator, "http://127.0.0.1").unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }
}
