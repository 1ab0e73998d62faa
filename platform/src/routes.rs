//! The one route table, in the README's order, and which headers each group
//! of routes is served with:
//!
//! | group | routes | headers |
//! |---|---|---|
//! | API | `/v1/…` | CORS from any origin (GET, POST, `Content-Type`, `Authorization`: a report key, never a cookie); JSON errors, `404` for unknown endpoints; reports `private, no-store` |
//! | links | `/r/{token}`, `/media/{name}` | their own (`no-store` redirect; cacheable media under a `default-src 'none'` policy) |
//! | platform pages | sign-in, follow intent, studio, creator pages, dashboard, and their scripts and styles | the strict [`PAGE_CSP`], `Cache-Control: no-store` |
//! | package | `/pkg/…` | `Cache-Control: no-cache`, CORS `*` (a page elsewhere imports the SDK) |
//! | demo pages | everything else, from `www/` | the strict [`PAGE_CSP`] unless a file has its own |
//! | test fixtures | `/test/…`, from `www/test/`, only with `--test-fixtures` | as demo pages; else `404` |
//!
//! Every error answer is JSON (`{"error", "reason"}`), the framework's own
//! rejections too ([`crate::rejections`]), but for the platform's HTML
//! pages' own. Every answer is `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: strict-origin-when-cross-origin` (another site learns
//! the origin a reader came from, never the page).

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

/// The whole application. `www` and `pkg` are served as files;
/// `www/test/` only with `test_fixtures` (the end-to-end suite's hostile
/// pages have no place on a live origin).
pub fn router(state: AppState, www: &Path, pkg: &Path, test_fixtures: bool) -> Router {
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
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
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
        .route(
            "/studio/keys",
            get(studio::keys::list).post(studio::keys::create),
        )
        .route("/studio/keys/{id}/revoke", post(studio::keys::revoke))
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
    let mut demo_pages = Router::new();
    if !test_fixtures {
        demo_pages = demo_pages
            .route("/test", get(page_not_found))
            .route("/test/", get(page_not_found))
            .route("/test/{*rest}", get(page_not_found));
    }
    let demo_pages = demo_pages
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
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(axum::middleware::from_fn(crate::rejections::json_errors))
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

async fn page_not_found() -> ApiError {
    ApiError::not_found("no such page")
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API endpoint")
}

#[cfg(test)]
mod tests {
    use crate::app::AppState;
    use crate::links::Secret;
    use crate::testing::{seeded_store, send};
    use vitrine_core::partner::Registry;

    /// The attack: `/test/forger.html` and `/test/hostile.html` (pages
    /// that forge events and attack the SDK) were served on the live origin.
    #[tokio::test]
    async fn test_fixtures_are_served_only_to_tests() {
        let (store, _) = seeded_store("fixtures");
        let www = crate::testing::repo_www();
        for (fixtures, expected) in [(false, 404), (true, 200)] {
            let state = AppState::new(store.clone(), Secret::fixed(1), Registry::new(None));
            let app = super::router(state, &www, &www, fixtures);
            for path in ["/test/forger.html", "/test/hostile.html"] {
                let (status, _, _) = send(&app, "GET", path, &[], None).await;
                assert_eq!(status.as_u16(), expected, "{path} with fixtures {fixtures}");
            }
            let (status, _, _) = send(&app, "GET", "/blog.html", &[], None).await;
            assert_eq!(status.as_u16(), 200, "the demo pages are always served");
        }
    }

    /// The attack surface of words: `Failed to deserialize form body:
    /// missing field` and friends came as plain text, or no body at all.
    #[tokio::test]
    async fn the_frameworks_own_rejections_are_json_naming_the_field() {
        let (app, store) = crate::testing::app_and_store();
        let same = [("sec-fetch-site", "same-origin")];
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, u16, &'a str, &'a str);
        let cases: [Case; 5] = [
            (
                "POST",
                "/signin",
                Some("password=x"),
                422,
                "malformed",
                "email",
            ),
            (
                "GET",
                "/intent/follow?nonce=n0nce-123",
                None,
                400,
                "bad_request",
                "creator",
            ),
            (
                "DELETE",
                "/v1/events",
                None,
                405,
                "method_not_allowed",
                "DELETE",
            ),
            ("PUT", "/signin", None, 405, "method_not_allowed", "PUT"),
            (
                "GET",
                "/nowhere.html",
                None,
                404,
                "not_found",
                "nothing here",
            ),
        ];
        for (method, path, body, status, code, named) in cases {
            let (got, headers, text) = send(&app, method, path, &same, body).await;
            assert_eq!(got.as_u16(), status, "{method} {path}: {text}");
            assert_eq!(
                headers["content-type"], "application/json",
                "{method} {path}"
            );
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["error"], code, "{method} {path}: {text}");
            assert!(
                json["reason"].as_str().unwrap().contains(named),
                "{method} {path}: {text}"
            );
        }
        // An oversized upload, refused by the body limit before the handler.
        let (cookie, csrf) = crate::testing::signed_in(&store, "rd_lin");
        let creator = [
            ("sec-fetch-site", "same-origin"),
            ("cookie", cookie.as_str()),
            ("x-csrf-token", csrf.as_str()),
        ];
        let big = "x".repeat(9 * 1024 * 1024);
        let (got, headers, text) = send(&app, "POST", "/studio/media", &creator, Some(&big)).await;
        assert_eq!(got.as_u16(), 413, "{text}");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["error"],
            "too_large"
        );
        // A platform page's own HTML error stays a page.
        let (got, headers, _) = send(
            &app,
            "POST",
            "/signin",
            &same,
            Some("email=a%40b.c&password=x"),
        )
        .await;
        assert_eq!(got.as_u16(), 401);
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }

    /// Without a policy, a click from a creator's dashboard or studio told
    /// the next site the full address it came from.
    #[tokio::test]
    async fn every_answer_has_a_referrer_policy() {
        let (app, _) = crate::testing::app_and_store();
        for path in [
            "/signin",
            "/blog.html",
            "/v1/items/itm_oolong_tea",
            "/nowhere",
        ] {
            let (_, headers, _) = send(&app, "GET", path, &[], None).await;
            assert_eq!(
                headers.get("referrer-policy").map(|v| v.to_str().unwrap()),
                Some("strict-origin-when-cross-origin"),
                "{path}"
            );
        }
    }
}
