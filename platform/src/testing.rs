//! What the platform's tests share: one way to build the app on a fresh
//! seeded database, requests through it, and the demo's fixtures.

use crate::app::AppState;
use crate::links::Secret;
use crate::store::{SqliteStore, Store};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use vitrine_core::partner::Registry;

/// A seeded store in a fresh directory: the embedded one, or with
/// `VITRINE_TEST_STORE=scale` the scale configuration's on fresh databases
/// of the servers `VITRINE_TEST_POSTGRES` and `VITRINE_TEST_CLICKHOUSE`
/// name (`cargo xtask test` runs the platform's tests both ways).
pub(crate) fn seeded_store(name: &str) -> (Arc<dyn Store>, PathBuf) {
    let dir = std::env::temp_dir().join(format!("vitrine-{name}-{}", crate::links::new_click_id()));
    let store: Arc<dyn Store> = if std::env::var("VITRINE_TEST_STORE").is_ok_and(|s| s == "scale") {
        let postgres = fresh_postgres().expect("VITRINE_TEST_POSTGRES names a server");
        let clickhouse = fresh_clickhouse().expect("VITRINE_TEST_CLICKHOUSE names a server");
        Arc::new(crate::scale_store::ScaleStore::open(&postgres, &clickhouse).unwrap())
    } else {
        Arc::new(SqliteStore::open(&dir).unwrap())
    };
    crate::seed::seed_if_empty(store.as_ref()).unwrap();
    (store, dir)
}

/// A fresh database on the PostgreSQL `VITRINE_TEST_POSTGRES` names, as a
/// URL; `None` when no server is named.
pub(crate) fn fresh_postgres() -> Option<String> {
    let server = std::env::var("VITRINE_TEST_POSTGRES").ok()?;
    let name = format!("vt_{}", &crate::links::new_click_id()[..16]);
    let create = format!("CREATE DATABASE {name}");
    let given = server.clone();
    // A runtime of its own, on a thread of its own: callers may be inside one.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(&given, tokio_postgres::NoTls)
                .await
                .expect("the test PostgreSQL answers");
            tokio::spawn(connection);
            client
                .batch_execute(&create)
                .await
                .expect("a database for this test");
        });
    })
    .join()
    .unwrap();
    let config: tokio_postgres::Config = server.parse().unwrap();
    match (
        config.get_hosts().first(),
        config.get_ports().first(),
        config.get_user(),
    ) {
        (Some(tokio_postgres::config::Host::Tcp(host)), Some(port), Some(user)) => {
            Some(format!("postgres://{user}@{host}:{port}/{name}"))
        }
        _ => panic!("VITRINE_TEST_POSTGRES must be postgres://user@host:port/db"),
    }
}

/// A fresh database's URL on the ClickHouse `VITRINE_TEST_CLICKHOUSE`
/// names (made when a store opens it); `None` when no server is named.
pub(crate) fn fresh_clickhouse() -> Option<String> {
    let server = std::env::var("VITRINE_TEST_CLICKHOUSE").ok()?;
    Some(format!(
        "{}/?database=vt_{}",
        server.trim_end_matches('/'),
        &crate::links::new_click_id()[..16]
    ))
}

/// The app on `store`, with the test secret (`Secret::fixed(1)`) and
/// `registry`; `dir` serves as both file trees.
pub(crate) fn app_on(store: Arc<dyn Store>, dir: &Path, registry: Registry) -> Router {
    let state =
        AppState::new(store, Secret::fixed(1), registry).with_public_url("http://127.0.0.1:9999");
    crate::routes::router(state, dir, dir, true)
}

/// The app and its store, for tests that look at what was recorded: a
/// fresh seeded database, the built-in partners, publisher id `mm_1_2_3`.
pub(crate) fn app_and_store() -> (Router, Arc<dyn Store>) {
    let (store, dir) = seeded_store("app");
    (
        app_on(store.clone(), &dir, Registry::new(Some("mm_1_2_3"))),
        store,
    )
}

/// The repository's demo pages (`www/`).
pub(crate) fn repo_www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www")
}

/// A live session for a demo account: its cookie and CSRF token.
pub(crate) fn signed_in(store: &Arc<dyn Store>, account: &str) -> (String, String) {
    let token = crate::links::new_click_id();
    let key = crate::accounts::session_key(&token);
    store
        .create_session(&key, account, crate::store::now_ms() + 60_000)
        .unwrap();
    (
        format!("vitrine_session={token}"),
        crate::accounts::csrf_token(&Secret::fixed(1), &key),
    )
}

/// A form body of `fields`, percent-encoded.
pub(crate) fn form(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        vitrine_core::url::push_encoded(&mut out, value);
    }
    out
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
    request_from(app, READER, method, uri, headers, body).await
}

/// The address the test reader's requests come from.
pub(crate) const READER: &str = "198.51.100.7";

/// An ordinary browser's user agent (the platform filters bots and
/// headless browsers); a request's own `user-agent` header replaces it.
pub(crate) const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/// [`request`] from the client at address `client`.
pub(crate) async fn request_from(
    app: &Router,
    client: &str,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, HeaderMap, String) {
    let address: std::net::IpAddr = client.parse().expect("an IP address");
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .extension(ConnectInfo(std::net::SocketAddr::new(address, 50_000)));
    let given = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !given("host") {
        request = request.header("host", "127.0.0.1:9999");
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
    {
        request = request.header("user-agent", BROWSER);
    }
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

pub(crate) async fn get(app: &Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
    get_from(app, READER, uri).await
}

/// `GET uri` from a page on `https://blog.example`, by the reader at
/// address `client`: the status, headers and JSON body of the answer.
pub(crate) async fn get_from(
    app: &Router,
    client: &str,
    uri: &str,
) -> (StatusCode, HeaderMap, Value) {
    let (status, headers, text) = request_from(
        app,
        client,
        "GET",
        uri,
        &[("origin", "https://blog.example")],
        None,
    )
    .await;
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// A demo creator's report API key (`seed::DEMO_REPORT_KEYS`).
pub(crate) fn report_key(creator: &str) -> &'static str {
    crate::seed::DEMO_REPORT_KEYS
        .iter()
        .find(|(c, _)| *c == creator)
        .map(|(_, key)| *key)
        .expect("a demo creator")
}

/// `GET uri` with `creator`'s report key, from the test reader's address.
pub(crate) async fn report_as(
    app: &Router,
    creator: &str,
    uri: &str,
) -> (StatusCode, HeaderMap, Value) {
    let auth = format!("Bearer {}", report_key(creator));
    let (status, headers, text) =
        request_from(app, READER, "GET", uri, &[("authorization", &auth)], None).await;
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

pub(crate) fn csrf_in(html: &str) -> String {
    let at =
        html.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    html[at..at + 64].to_owned()
}

pub(crate) async fn followers(app: &Router, creator: &str) -> u64 {
    get(app, &format!("/v1/creators/{creator}")).await.2["followers"]
        .as_u64()
        .unwrap()
}

pub(crate) fn event(id: u32, kind: &str) -> Value {
    json!({"id": format!("{id:032x}"), "type": kind, "item": "itm_oolong_tea", "creator": "cr_chenmo",
           "placement": "blog.example", "page": "https://blog.example/tea", "ts": crate::store::now_ms(),
           "sdk": "0.1.0", "view": "ab".repeat(16), "click": format!("{:032x}", id + 1000)})
}

pub(crate) async fn post_events(
    app: &Router,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
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

/// The path of a link `/v1/items/{id}/link` minted (its URL is absolute).
pub(crate) fn minted_path(minted: &Value) -> String {
    minted["url"]
        .as_str()
        .and_then(|url| url.strip_prefix("http://127.0.0.1:9999"))
        .expect("a link on the test platform")
        .to_owned()
}

/// `POST /v1/events` of `events` (as `sendBeacon` sends them) from the
/// client at `client` with `user_agent`: the status, headers and answer.
pub(crate) async fn beacon_from(
    app: &Router,
    client: &str,
    user_agent: &str,
    events: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let (status, headers, text) = request_from(
        app,
        client,
        "POST",
        "/v1/events",
        &[
            ("origin", "https://blog.example"),
            ("user-agent", user_agent),
        ],
        Some(("text/plain", events.to_string().into_bytes())),
    )
    .await;
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}
