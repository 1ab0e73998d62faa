//! HTTP: the JSON API, media, and the static demo and package files.

use crate::links::{new_click_id, Claims, Secret};
use crate::store::{ClickRow, CreatorRow, ItemRow, Store, StoreError};
use crate::studio;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use vitrine_core::amount::Amount;
use vitrine_core::field::{is_hex_id, is_id, is_placement, PLACEMENT_RULE};
use vitrine_core::item::{Creator, Item, Money, Store as ItemStore};
use vitrine_core::link::{canonicalize, resolve};
use vitrine_core::partner::Attribution;
use vitrine_core::partner::Registry;
use vitrine_core::whatwg::UrlCrate;

/// The policy every demo page is served under: the strictest an embed can
/// be asked to live with. The SDK must work under it.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const MAX_PER_PAGE: u64 = 100;
pub const DEFAULT_PER_PAGE: u64 = 20;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Signs and checks `/r/` links.
    pub secret: Arc<Secret>,
    /// The partners this platform allows: the built-in four and its own.
    pub registry: Arc<Registry>,
    /// The beacon collector's writer.
    pub collector: crate::collector::Collector,
    /// Which creators just got new events (for live dashboards).
    pub live: crate::collector::Live,
}

/// The product a store link is about, by this platform's partners.
pub fn product_of(link: &str, registry: &Registry) -> Option<String> {
    canonicalize(link, &UrlCrate, registry)
        .ok()
        .map(|c| vitrine_core::proof::product_key(&c, registry))
}

/// Gives every item whose product is unknown its product, where the link
/// rules now recognise it: items stored before products were, or before a
/// partner was configured.
fn backfill_products(store: &dyn Store, registry: &Registry) -> Result<(), StoreError> {
    for item in store.items_without_product()? {
        if let Some(key) = product_of(&item.store_url, registry) {
            store.set_product_key(&item.id, &key)?;
        }
    }
    Ok(())
}

impl AppState {
    /// The state for a store: the collector's writer is started here, and
    /// items stored without a product get one.
    pub fn new(store: Arc<dyn Store>, secret: Secret, registry: Registry) -> AppState {
        if let Err(e) = backfill_products(store.as_ref(), &registry) {
            eprintln!("vitrine-platform: could not match stored items to products: {e}");
        }
        let (live, _) = tokio::sync::broadcast::channel(1024);
        let collector = crate::collector::Collector::start(store.clone(), live.clone());
        AppState {
            store,
            secret: Arc::new(secret),
            registry: Arc::new(registry),
            collector,
            live,
        }
    }
}

/// An error answer: a status and a JSON reason.
pub struct ApiError(StatusCode, &'static str, String);

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError(status, code, reason.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1, "reason": self.2}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        eprintln!("vitrine-platform: storage error: {e}");
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage",
            "the platform's storage failed".into(),
        )
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "not_found", what.into())
}

fn bad_request(reason: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, "bad_request", reason)
}

/// Runs a storage call off the async executor.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| StoreError(e.to_string()))?
        .map_err(ApiError::from)
}

/// `http://host:port` of this request, for absolute media URLs. Only a
/// plain `host[:port]` is believed; anything else falls back to loopback.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    format!("http://{}", if plain { host } else { "127.0.0.1" })
}

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

fn item_with_creator(store: &dyn Store, row: ItemRow, base: &str) -> Result<Item, StoreError> {
    let creator = store
        .creator(&row.creator_id)?
        .ok_or_else(|| StoreError(format!("item {} names a missing creator", row.id)))?;
    wire_item(row, creator, base)
}

async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Item>, ApiError> {
    if !is_id(&id) {
        return Err(not_found("no item has that id"));
    }
    let base = base_url(&headers);
    let reason = format!("no item with id {id}");
    let item = blocking(&state, move |s| match s.item(&id)? {
        Some(row) => item_with_creator(s, row, &base).map(Some),
        None => Ok(None),
    })
    .await?;
    item.map(Json).ok_or_else(|| not_found(&reason))
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
            _ => Err(bad_request(format!(
                "{name} must be a whole number from 1 to {max}"
            ))),
        },
    }
}

async fn list_items(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let page = page_param(&query, "page", 1, 1_000_000)?;
    let per_page = page_param(&query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    let base = base_url(&headers);
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

async fn get_creator(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let base = base_url(&headers);
    let reason = format!("no creator with id {id}");
    let creator = if is_id(&id) {
        blocking(&state, move |s| s.creator(&id)).await?
    } else {
        None
    };
    let c = creator.ok_or_else(|| not_found(&reason))?;
    Ok(Json(json!({
        "id": c.id, "name": c.name, "avatar": format!("{base}{}", c.avatar_path),
        "bio": c.bio, "followers": c.followers, "verified": c.verified,
    })))
}

async fn get_media(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let reason = format!("no media named {name}");
    let media = blocking(&state, move |s| s.media(&name))
        .await?
        .ok_or_else(|| not_found(&reason))?;
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

/// `GET /v1/items/{id}/link?placement=P`: a signed `/r/` link for one click
/// on the item, with a fresh click id. For hosts that cannot run the SDK's
/// direct links (no scripts, no beacons).
async fn mint_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let placement = query.get("placement").cloned().unwrap_or_default();
    if !is_placement(&placement) {
        return Err(bad_request(["placement ", PLACEMENT_RULE].concat()));
    }
    let reason = format!("no item with id {id}");
    let row = if is_id(&id) {
        blocking(&state, move |s| s.item(&id)).await?
    } else {
        None
    };
    let row = row.ok_or_else(|| not_found(&reason))?;
    // Refuse now rather than hand out a link that cannot go anywhere.
    canonicalize(&row.store_url, &UrlCrate, &state.registry).map_err(|e| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
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
    let url = format!("{}/r/{}", base_url(&headers), state.secret.sign(&claims));
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"url": url, "click_id": click_id})),
    )
        .into_response())
}

/// `GET /r/{token}`: records the click, then sends the reader to the item's
/// resolved partner page. Only ever that page: the token is signed, and the
/// destination is computed here from the stored item, never read from it.
async fn redirect(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let bad_token = || {
        ApiError(
            StatusCode::BAD_REQUEST,
            "bad_token",
            "this link is not valid".into(),
        )
    };
    let claims = state.secret.verify(&token).map_err(|_| bad_token())?;
    if !is_hex_id(&claims.click_id) {
        return Err(bad_token());
    }
    let item_id = claims.item_id.clone();
    let row = blocking(&state, move |s| s.item(&item_id)).await?;
    let row = row.ok_or_else(|| not_found("this item is no longer available"))?;
    if row.creator_id != claims.creator_id {
        return Err(bad_token());
    }
    let attribution = Attribution {
        click_id: &claims.click_id,
        creator_id: &claims.creator_id,
        placement_id: &claims.placement_id,
    };
    let out = resolve(&row.store_url, &UrlCrate, &state.registry, &attribution).map_err(|e| {
        ApiError(
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
    // Recorded before answering: a reader who got the redirect was counted.
    blocking(&state, move |s| s.record_click(&click)).await?;
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

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn api_not_found() -> ApiError {
    not_found("no such API endpoint")
}

/// The whole application. `www` and `pkg` are served as files.
pub fn router(state: AppState, www: &std::path::Path, pkg: &std::path::Path) -> Router {
    let api = Router::new()
        .route("/v1/items", get(list_items))
        .route("/v1/items/{id}", get(get_item))
        .route("/v1/items/{id}/link", get(mint_link))
        .route("/v1/creators/{id}", get(get_creator))
        .route("/v1/proof", get(crate::proof::proof))
        .route("/v1/events", post(crate::collector::collect))
        .route("/v1/reports", get(crate::report::report))
        .route("/v1/live", get(crate::dashboard::live))
        .route("/v1/{*rest}", get(api_not_found))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE]),
        );
    let pages = ServeDir::new(www).append_index_html_on_directories(true);
    let pages =
        Router::new()
            .fallback_service(pages)
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            ));
    let package = Router::new()
        .fallback_service(ServeDir::new(pkg))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ));
    // The platform's own pages (sign-in, follow intent), under the same
    // strict policy as the demo pages.
    let intent = Router::new()
        .route(
            "/signin",
            get(crate::intent::signin_form).post(crate::intent::signin),
        )
        .route(
            "/intent/follow",
            get(crate::intent::show).post(crate::intent::submit),
        )
        .route("/intent.js", get(crate::intent::script))
        .route("/intent.css", get(crate::intent::style))
        .route("/signout", post(crate::intent::signout))
        .route("/studio", get(studio::home))
        .route("/studio/new", get(studio::new_item))
        .route("/studio/items", post(studio::create_item))
        .route(
            "/studio/items/{id}",
            get(studio::edit_item).post(studio::update_item),
        )
        .route("/studio/items/{id}/publish", post(studio::publish))
        // Room to read an oversized picture and refuse it with a reason.
        .route(
            "/studio/media",
            post(studio::upload).layer(DefaultBodyLimit::max(4 * studio::MAX_PICTURE_BYTES)),
        )
        .route("/studio/link", get(studio::check_link))
        .route("/studio.js", get(studio::script))
        .route("/studio.css", get(studio::style))
        .route("/creators/{id}", get(crate::profile::page))
        .route("/dashboard", get(crate::dashboard::page))
        .route("/dashboard.js", get(crate::dashboard::script))
        .route("/dashboard.css", get(crate::dashboard::style))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(intent)
        .route("/media/{name}", get(get_media))
        .route("/r/{token}", get(redirect))
        .merge(api)
        .nest("/pkg", package)
        .merge(pages)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::SqliteStore;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app() -> (Router, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "vitrine-api-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(&dir).unwrap();
        assert!(crate::seed::seed_if_empty(&store).unwrap());
        assert!(
            !crate::seed::seed_if_empty(&store).unwrap(),
            "seeding happens once"
        );
        let state = AppState::new(
            Arc::new(store),
            Secret::fixed(1),
            Registry::new(Some("mm_1_2_3")),
        );
        (router(state, &dir, &dir), dir)
    }

    /// A seeded store in a fresh directory.
    fn seeded_store(name: &str) -> (Arc<dyn Store>, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("vitrine-{name}-{}", crate::links::new_click_id()));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir).unwrap());
        crate::seed::seed_if_empty(store.as_ref()).unwrap();
        (store, dir)
    }

    /// The app and its store, for tests that look at what was recorded.
    pub(crate) fn app_and_store() -> (Router, Arc<dyn Store>) {
        let (store, dir) = seeded_store("app");
        let state = AppState::new(
            store.clone(),
            Secret::fixed(1),
            Registry::new(Some("mm_1_2_3")),
        );
        (router(state, &dir, &dir), store)
    }

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
        let (_, _, second) =
            get(&app, "/v1/items/itm_oolong_tea/link?placement=blog.example").await;
        assert_ne!(
            second["click_id"], minted["click_id"],
            "every link is a fresh click"
        );
        let second = second["url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://127.0.0.1:9999")
            .unwrap()
            .to_owned();
        assert_eq!(get(&app, &second).await.0, StatusCode::FOUND);
        assert_eq!(store.click_count("itm_oolong_tea").unwrap(), 2);
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
        let state = AppState::new(store.clone(), Secret::fixed(1), registry);
        let app = router(state, &dir, &dir);

        let (status, _, minted) = get(&app, "/v1/items/itm_yoshop/link?placement=p").await;
        assert_eq!(status, StatusCode::OK);
        let path = minted["url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://127.0.0.1:9999")
            .unwrap()
            .to_owned();
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

    /// A request with headers and an optional form body; the status, headers
    /// and body text of the answer.
    pub(crate) async fn send(
        app: &Router,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let form = form.map(|f| ("application/x-www-form-urlencoded", f.as_bytes().to_vec()));
        request(app, method, uri, headers, form).await
    }

    /// A request with headers and an optional body of a content type.
    pub(crate) async fn request(
        app: &Router,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "127.0.0.1:9999");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some((content_type, bytes)) => {
                request = request.header("content-type", content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let response = app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn csrf_in(html: &str) -> String {
        let at = html.find(r#"name="csrf" value=""#).expect("a CSRF field")
            + r#"name="csrf" value=""#.len();
        html[at..at + 64].to_owned()
    }

    async fn followers(app: &Router, creator: &str) -> u64 {
        get(app, &format!("/v1/creators/{creator}")).await.2["followers"]
            .as_u64()
            .unwrap()
    }

    #[tokio::test]
    async fn a_reader_signs_in_and_follows_once_on_the_platforms_own_page() {
        let (app, _) = app_and_store();
        let intent =
            "/intent/follow?creator=cr_chenmo&nonce=n0nce-123&origin=http%3A%2F%2Fblog.example";
        let (status, headers, html) = send(&app, "GET", intent, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(
            html.contains("陈默") && html.contains("8,930 位关注者"),
            "who you are about to follow"
        );
        assert!(
            html.contains(r#"href="/signin?next=%2Fintent%2Ffollow%3Fcreator%3Dcr_chenmo"#),
            "asks to sign in"
        );
        assert!(
            !html.contains(r#"name="csrf""#),
            "no follow form before signing in"
        );

        let form = "email=xiaowang%40vitrine.demo&password=wrong&next=%2F";
        assert_eq!(
            send(
                &app,
                "POST",
                "/signin",
                &[("sec-fetch-site", "same-origin")],
                Some(form)
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        let form = format!(
            "email=XiaoWang%40vitrine.demo&password=vitrine-demo&next={}",
            intent
                .replace('%', "%25")
                .replace('/', "%2F")
                .replace('?', "%3F")
                .replace('&', "%26")
                .replace('=', "%3D")
        );
        let (status, headers, _) = send(
            &app,
            "POST",
            "/signin",
            &[("sec-fetch-site", "same-origin")],
            Some(&form),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], intent);
        let set_cookie = headers["set-cookie"].to_str().unwrap();
        assert!(
            set_cookie.contains("; HttpOnly; SameSite=Lax; Path=/"),
            "{set_cookie}"
        );
        let cookie = set_cookie.split(';').next().unwrap().to_owned();

        let (_, _, html) = send(&app, "GET", intent, &[("cookie", &cookie)], None).await;
        assert!(html.contains("小王"), "signed in as");
        let csrf = csrf_in(&html);
        let before = followers(&app, "cr_chenmo").await;
        let follow = format!("creator=cr_chenmo&nonce=n0nce-123&origin=http%3A%2F%2Fblog.example&csrf={csrf}&action=follow");
        for _ in 0..2 {
            let (status, _, html) = send(
                &app,
                "POST",
                "/intent/follow",
                &[
                    ("cookie", &cookie),
                    ("sec-fetch-site", "same-origin"),
                    ("origin", "http://127.0.0.1:9999"),
                ],
                Some(&follow),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains(r#"id="result""#) && html.contains(r#"data-state="following""#));
            assert!(
                html.contains(r#"data-nonce="n0nce-123""#)
                    && html.contains(r#"data-origin="http://blog.example""#)
            );
        }
        assert_eq!(
            followers(&app, "cr_chenmo").await,
            before + 1,
            "following twice is one follow"
        );
        let (_, _, again) = send(&app, "GET", intent, &[("cookie", &cookie)], None).await;
        assert!(
            again.contains(r#"data-state="following""#) && again.contains("取消关注"),
            "unfollow is on the platform's page"
        );
    }

    #[tokio::test]
    async fn forged_follows_are_refused() {
        let (app, _) = app_and_store();
        let form = "email=alex%40vitrine.demo&password=vitrine-demo&next=%2F";
        let (_, headers, _) = send(&app, "POST", "/signin", &[], Some(form)).await;
        let cookie = headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let intent =
            "/intent/follow?creator=cr_mayachen&nonce=n0nce-456&origin=http%3A%2F%2Fblog.example";
        let csrf = csrf_in(
            &send(&app, "GET", intent, &[("cookie", &cookie)], None)
                .await
                .2,
        );
        let before = followers(&app, "cr_mayachen").await;
        let body = |token: &str| {
            format!("creator=cr_mayachen&nonce=n0nce-456&origin=http%3A%2F%2Fblog.example&csrf={token}&action=follow")
        };
        type Case<'a> = (&'a [(&'a str, &'a str)], String, StatusCode);
        let cases: [Case; 5] = [
            // A cross-site form post, even with the reader's cookie and a real token.
            (
                &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
                body(&csrf),
                StatusCode::FORBIDDEN,
            ),
            (
                &[("cookie", &cookie), ("origin", "https://evil.example")],
                body(&csrf),
                StatusCode::FORBIDDEN,
            ),
            // No token, or another session's.
            (
                &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
                body(""),
                StatusCode::FORBIDDEN,
            ),
            (
                &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
                body(&"0".repeat(64)),
                StatusCode::FORBIDDEN,
            ),
            // No session.
            (
                &[("sec-fetch-site", "same-origin")],
                body(&csrf),
                StatusCode::UNAUTHORIZED,
            ),
        ];
        for (headers, form, expected) in cases {
            let (status, _, text) =
                send(&app, "POST", "/intent/follow", headers, Some(&form)).await;
            assert_eq!(status, expected, "{headers:?}: {text}");
        }
        assert_eq!(
            followers(&app, "cr_mayachen").await,
            before,
            "no forgery followed"
        );
        // The result may only be posted to a real origin.
        let bad = "/intent/follow?creator=cr_mayachen&nonce=n0nce-456&origin=*";
        assert_eq!(
            send(&app, "GET", bad, &[], None).await.0,
            StatusCode::BAD_REQUEST
        );
    }

    fn event(id: u32, kind: &str) -> Value {
        json!({"id": format!("{id:032x}"), "type": kind, "item": "itm_oolong_tea", "creator": "cr_chenmo",
               "placement": "blog.example", "page": "https://blog.example/tea", "ts": crate::store::now_ms(),
               "sdk": "0.1.0", "view": "ab".repeat(16), "click": format!("{:032x}", id + 1000)})
    }

    async fn post_events(app: &Router, content_type: &str, body: &str) -> (StatusCode, Value) {
        let (status, _, text) = send(
            app,
            "POST",
            "/v1/events",
            &[
                ("content-type", content_type),
                ("origin", "https://blog.example"),
            ],
            Some(body),
        )
        .await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

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
        let path = minted["url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://127.0.0.1:9999")
            .unwrap()
            .to_owned();
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
        let app = router(
            AppState::new(store, Secret::fixed(1), Registry::default()),
            &dir,
            &dir,
        );
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
        let reopened: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir).unwrap());
        assert_eq!(
            reopened
                .event_count("itm_oolong_tea", EventType::Impression)
                .unwrap(),
            1
        );
        let app = router(
            AppState::new(reopened.clone(), Secret::fixed(1), Registry::default()),
            &dir,
            &dir,
        );
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
        let path = minted["url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://127.0.0.1:9999")
            .unwrap()
            .to_owned();
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

    async fn get(app: &Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
        let request = Request::get(uri)
            .header("host", "127.0.0.1:9999")
            .header("origin", "https://blog.example")
            .body(Body::empty());
        let response = app.clone().oneshot(request.unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn an_item_is_served_in_the_wire_form_with_absolute_media() {
        let (app, _) = app();
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
        let (app, _) = app();
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
        let (app, _) = app();
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
        let (app, _) = app();
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
