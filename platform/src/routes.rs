//! The one route table, in the README's order, and which headers each group
//! of routes is served with:
//!
//! | group | routes | headers |
//! |---|---|---|
//! | API | `/v1/…` | CORS from any origin (GET, POST, `Content-Type`); JSON errors, `404` for unknown endpoints |
//! | links | `/r/{token}`, `/media/{name}` | their own (`no-store` redirect; cacheable media under a `default-src 'none'` policy) |
//! | platform pages | sign-in, follow intent, studio, creator pages, dashboard, and their scripts and styles | the strict [`PAGE_CSP`], `Cache-Control: no-store` |
//! | package | `/pkg/…` | `Cache-Control: no-cache`, CORS `*` (a page elsewhere imports the SDK) |
//! | demo pages | everything else, from `www/` | the strict [`PAGE_CSP`] unless a file has its own |
//!
//! Every answer is `X-Content-Type-Options: nosniff`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::{dashboard, events, intent, items, profile, proof, redirect, report, studio};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::path::Path;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use vitrine_core::follow::INTENT_PATH;

/// The policy every page is served under: the strictest an embed can be
/// asked to live with. The SDK must work under it.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole application. `www` and `pkg` are served as files.
pub fn router(state: AppState, www: &Path, pkg: &Path) -> Router {
    let api = Router::new()
        .route("/v1/items", get(items::list_items))
        .route("/v1/items/{id}", get(items::get_item))
        .route("/v1/items/{id}/link", get(redirect::mint_link))
        .route("/v1/creators/{id}", get(items::get_creator))
        .route("/v1/proof", get(proof::proof))
        .route("/v1/events", post(events::collect))
        .route("/v1/reports", get(report::report))
        .route("/v1/live", get(dashboard::live))
        .route("/v1/{*rest}", get(api_not_found))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE]),
        );
    let links = Router::new()
        .route("/r/{token}", get(redirect::redirect))
        .route("/media/{name}", get(items::get_media));
    let platform_pages = Router::new()
        .route("/signin", get(intent::signin_form).post(intent::signin))
        .route(INTENT_PATH, get(intent::show).post(intent::submit))
        .route("/intent.js", script(include_str!("../assets/intent.js")))
        .route("/intent.css", style(include_str!("../assets/intent.css")))
        .route("/signout", post(intent::signout))
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
        .route("/studio.js", script(include_str!("../assets/studio.js")))
        .route("/studio.css", style(include_str!("../assets/studio.css")))
        .route("/creators/{id}", get(profile::page_of))
        .route("/dashboard", get(dashboard::page_of))
        .route(
            "/dashboard.js",
            script(include_str!("../assets/dashboard.js")),
        )
        .route(
            "/dashboard.css",
            style(include_str!("../assets/dashboard.css")),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
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
    let demo_pages = Router::new()
        .fallback_service(ServeDir::new(www).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api)
        .merge(links)
        .merge(platform_pages)
        .nest("/pkg", package)
        .merge(demo_pages)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// A platform page's only script, compiled in.
fn script(body: &'static str) -> MethodRouter<AppState> {
    get(move || async move {
        (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            body,
        )
    })
}

/// A platform page's only stylesheet, compiled in.
fn style(body: &'static str) -> MethodRouter<AppState> {
    get(move || async move { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], body) })
}

/// `GET /healthz`: `200` once the platform is ready.
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API endpoint")
}
