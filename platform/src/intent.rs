//! The follow intent: the platform's own pages where a reader signs in and
//! follows a creator. A host page never touches the reader's account: the
//! SDK opens `/intent/follow` in a popup, the reader clicks Follow here, and
//! this page tells the host page the result with `postMessage`.
//!
//! A follow happens only on a POST from this page: same-origin, with the
//! session's CSRF token. A cross-site request is refused even with the
//! reader's cookie (`SameSite=Lax` keeps it off cross-site POSTs anyway).

use crate::accounts::{
    new_session_token, session_cookie, session_from_cookies, session_key, verify_password,
    SESSION_COOKIE, SESSION_SECONDS,
};
use crate::app::{blocking, AppState};
use crate::auth::{CsrfForm, Posted, SameSite, SignedIn};
use crate::error::ApiError;
use crate::html::{grouped, page, Head};
use crate::limits::Client;
use crate::store::{now_ms, CreatorRow};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;
use vitrine_core::field::is_id;
use vitrine_core::follow::{intent_for_answer, intent_url};

/// An intent page: the intent's style and its only script.
fn intent_page(title: &str, body: Markup) -> Response {
    page(
        title,
        Head::Classic {
            style: "/intent.css",
            script: "/intent.js",
        },
        html! { main { (body) } },
    )
    .into_response()
}

/// A nonce as the SDK makes them.
fn is_nonce(n: &str) -> bool {
    (8..=64).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `scheme://host[:port]` exactly, http(s): where the result may be posted.
fn is_origin(o: &str) -> bool {
    url::Url::parse(o).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization() == o
    })
}

/// What the SDK passes to the intent page.
#[derive(Deserialize, Clone)]
pub struct Intent {
    creator: String,
    nonce: String,
    origin: String,
}

impl Intent {
    fn check(&self) -> Result<(), ApiError> {
        if !is_id(&self.creator) || !is_nonce(&self.nonce) || !is_origin(&self.origin) {
            return Err(ApiError::bad_request(
                "creator, nonce (8 to 64 letters, digits, - or _) and origin (scheme://host[:port]) are required",
            ));
        }
        Ok(())
    }

    fn query(&self) -> String {
        intent_for_answer(&intent_url("", &self.creator), &self.nonce, &self.origin)
    }
}

async fn creator(state: &AppState, id: &str) -> Result<CreatorRow, ApiError> {
    let id = id.to_owned();
    blocking(state, move |s| s.creator(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such creator"))
}

fn creator_card(c: &CreatorRow, base: &str) -> Markup {
    html! {
        img class="avatar" src={ (base) (c.avatar_path) } alt="";
        h1 {
            (c.name)
            @if c.verified {
                span class="verified" title="已认证 Verified" aria-label="已认证" { "✓" }
            }
        }
        p class="bio" { (c.bio) }
        p class="count" { (grouped(c.followers)) " 位关注者 · followers" }
    }
}

/// The element `intent.js` reads to post the result to the opener.
fn result(intent: &Intent, state: &str, text: &str) -> Markup {
    html! {
        p id="result" class="done" data-creator=(intent.creator) data-nonce=(intent.nonce)
            data-origin=(intent.origin) data-state=(state) { (text) }
    }
}

fn follow_form(intent: &Intent, csrf: &str, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action="/intent/follow" {
            input type="hidden" name="creator" value=(intent.creator);
            input type="hidden" name="nonce" value=(intent.nonce);
            input type="hidden" name="origin" value=(intent.origin);
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value=(action);
            button class=(class) { (label) }
        }
    }
}

/// What a signed-in reader can do here: Follow; or, following already,
/// say Done (which tells the opener so) or Unfollow. Nothing on this page
/// tells the opener anything until the reader presses one of them: the
/// page can be opened by any site, and whether this reader follows this
/// creator is the reader's to tell.
fn follow_controls(intent: &Intent, csrf: &str, following: bool) -> Markup {
    html! {
        @if following {
            p class="status" { "已关注 · Following" }
            (follow_form(intent, csrf, "confirm", "完成 · Done", ""))
            (follow_form(intent, csrf, "unfollow", "取消关注 · Unfollow", "quiet"))
        } @else {
            (follow_form(intent, csrf, "follow", "关注 · Follow", ""))
        }
    }
}

/// `GET /intent/follow?creator&nonce&origin`.
pub async fn show(
    State(state): State<AppState>,
    Query(intent): Query<Intent>,
    reader: Option<SignedIn>,
) -> Result<Response, ApiError> {
    intent.check()?;
    let c = creator(&state, &intent.creator).await?;
    let base = state.public.to_string();
    let controls = match reader {
        None => {
            let mut next = String::from("/signin?next=");
            vitrine_core::url::push_encoded(&mut next, &intent.query());
            html! { a class="button" href=(next) { "登录后关注 · Sign in to follow" } }
        }
        Some(reader) => {
            let (reader_id, creator_id) = (reader.account.id.clone(), c.id.clone());
            let following =
                blocking(&state, move |s| s.is_following(&reader_id, &creator_id)).await?;
            html! {
                (follow_controls(&intent, &reader.csrf(&state), following))
                p class="who" { (reader.account.name) " · " (reader.account.email) }
            }
        }
    };
    Ok(intent_page(
        &format!("关注 {}", c.name),
        html! { (creator_card(&c, &base)) (controls) },
    ))
}

#[derive(Deserialize)]
pub struct FollowForm {
    creator: String,
    nonce: String,
    origin: String,
    csrf: String,
    action: String,
}

impl CsrfForm for FollowForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /intent/follow`: the reader's own click.
pub async fn submit(
    State(state): State<AppState>,
    Posted { by: reader, form }: Posted<FollowForm>,
) -> Result<Response, ApiError> {
    let intent = Intent {
        creator: form.creator,
        nonce: form.nonce,
        origin: form.origin,
    };
    intent.check()?;
    let c = creator(&state, &intent.creator).await?;
    let (reader_id, creator_id) = (reader.account.id.clone(), c.id.clone());
    let following = match form.action.as_str() {
        "follow" => {
            blocking(&state, move |s| s.follow(&reader_id, &creator_id)).await?;
            true
        }
        "unfollow" => {
            blocking(&state, move |s| s.unfollow(&reader_id, &creator_id)).await?;
            false
        }
        "confirm" => blocking(&state, move |s| s.is_following(&reader_id, &creator_id)).await?,
        _ => {
            return Err(ApiError::bad_request(
                "action must be follow, unfollow or confirm",
            ))
        }
    };
    let c = creator(&state, &intent.creator).await?;
    let base = state.public.to_string();
    let csrf = reader.csrf(&state);
    let body = html! {
        (creator_card(&c, &base))
        @if following {
            (result(&intent, "following", "已关注 · Following"))
            (follow_form(&intent, &csrf, "unfollow", "取消关注 · Unfollow", "quiet"))
        } @else {
            (result(&intent, "not_following", "未关注 · Not following"))
            (follow_form(&intent, &csrf, "follow", "关注 · Follow", ""))
        }
    };
    Ok(intent_page(&format!("关注 {}", c.name), body))
}

/// A path on the platform to return to after signing in, never another
/// site: `next` is resolved as a browser would (which drops tabs and
/// newlines and reads `\\` as `/`, so `/\t/evil.example` is
/// `//evil.example`) against the platform's own origin, and kept only if
/// it stays there.
fn safe_next(public: &str, next: Option<&String>) -> String {
    let on_platform = |n: &str| {
        let base = url::Url::parse(public).ok()?;
        let to = base.join(n).ok()?;
        (n.starts_with('/') && to.origin() == base.origin())
            .then(|| to[url::Position::BeforePath..].to_owned())
    };
    next.and_then(|n| on_platform(n))
        .unwrap_or_else(|| "/".into())
}

fn signin_page(next: &str, error: Option<&str>) -> Response {
    intent_page(
        "登录 · Sign in",
        html! {
            h1 { "登录 · Sign in" }
            @if let Some(error) = error {
                p class="error" role="alert" { (error) }
            }
            form method="post" action="/signin" {
                input type="hidden" name="next" value=(next);
                label { "邮箱 · Email" input type="email" name="email" autocomplete="username" required; }
                label { "密码 · Password" input type="password" name="password" autocomplete="current-password" required; }
                button { "登录 · Sign in" }
            }
        },
    )
}

/// `GET /signin?next=/…`.
pub async fn signin_form(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    signin_page(&safe_next(&state.public, query.get("next")), None)
}

#[derive(Deserialize)]
pub struct SigninForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// What an unknown email's password is checked against, so that a wrong
/// email costs the same argon2 run as a wrong password and the time of the
/// answer does not tell which emails have accounts.
static NO_ACCOUNT_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| crate::accounts::hash_password(&new_session_token()));

/// The key an account's attempts are counted under: a hash of its email,
/// whether or not an account has it (a guesser learns nothing from 429s).
fn account_key(email: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"signin\n")
        .chain_update(email)
        .finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// `POST /signin`: checks the password, starts a session (ending the one it
/// replaces), returns to `next`. Attempts are throttled per account and per
/// client before any password is checked.
pub async fn signin(
    State(state): State<AppState>,
    _: SameSite,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, ApiError> {
    let next = safe_next(&state.public, form.next.as_ref());
    let email = form.email.trim().to_lowercase();
    let account = account_key(&email);
    // Counted where every instance sees them (the store), before any
    // password is checked.
    let limiters = state.limiters.clone();
    let throttled = blocking(&state, move |s| {
        Ok(match limiters.signin_clients.begin(s, client.0)? {
            Ok(()) => limiters.signin_accounts.begin(s, account)?,
            waiting => waiting,
        })
    })
    .await?;
    if let Err(wait) = throttled {
        let mut page = signin_page(
            &next,
            Some(&format!(
                "尝试次数过多，请 {wait} 秒后再试 · Too many attempts: try again in {wait} s"
            )),
        );
        *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(page);
    }
    let reader = blocking(&state, move |s| s.reader_by_email(&email)).await?;
    let password = form.password;
    // argon2 is deliberately slow: off the async threads.
    let ok = tokio::task::spawn_blocking(move || {
        let hash = reader
            .as_ref()
            .map_or(NO_ACCOUNT_HASH.as_str(), |r| &r.password_hash);
        let matches = verify_password(&password, hash);
        reader.filter(|_| matches)
    })
    .await
    .ok()
    .flatten();
    let Some(reader) = ok else {
        let mut page = signin_page(&next, Some("邮箱或密码不对 · Email or password is wrong"));
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(page);
    };
    let limiters = state.limiters.clone();
    blocking(&state, move |s| {
        limiters.signin_accounts.forget(s, account)?;
        limiters.signin_clients.undo_one(s, client.0)
    })
    .await?;
    // The session this browser had (another reader's, or a planted one)
    // ends here: a sign-in never leaves an old session alive beside it.
    let replaced = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(session_from_cookies)
        .map(session_key);
    let token = new_session_token();
    let key = session_key(&token);
    let expires = now_ms() + (SESSION_SECONDS as i64) * 1000;
    blocking(&state, move |s| {
        if let Some(old) = replaced {
            s.end_session(&old)?;
        }
        s.create_session(&key, &reader.id, expires)
    })
    .await?;
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p == "https");
    let cookie = HeaderValue::from_str(&session_cookie(&token, https))
        .map_err(|_| ApiError::internal("cookie", "cannot set the session"))?;
    let location = HeaderValue::from_str(&next).unwrap_or(HeaderValue::from_static("/"));
    Ok((
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, location)],
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SignoutForm {
    csrf: String,
}

/// `POST /signout`: ends the session (only from the platform's own page,
/// with its CSRF token), then offers to sign in again.
pub async fn signout(
    State(state): State<AppState>,
    _: SameSite,
    reader: Option<SignedIn>,
    Form(form): Form<SignoutForm>,
) -> Result<Response, ApiError> {
    if let Some(reader) = reader {
        reader.check_csrf(&state, &form.csrf)?;
        let key = reader.key;
        blocking(&state, move |s| s.end_session(&key)).await?;
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                HeaderValue::from_str(&expired).expect("a plain ASCII cookie"),
            ),
            (
                header::LOCATION,
                HeaderValue::from_static("/signin?next=/studio"),
            ),
        ],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{app_and_store, csrf_in, followers, send};
    use axum::http::StatusCode;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        let s = |v: &str| safe_next("http://127.0.0.1:9999", Some(&v.to_owned()));
        assert_eq!(
            s("/intent/follow?creator=cr_1"),
            "/intent/follow?creator=cr_1"
        );
        assert_eq!(s("//evil.example/"), "/");
        assert_eq!(s("https://evil.example/"), "/");
        assert_eq!(s("/\\evil.example"), "/");
        // The attack: a tab (or newline) the URL parser drops.
        assert_eq!(s("/\t/evil.example"), "/");
        assert_eq!(s("/\n/evil.example/"), "/");
        assert_eq!(s("/\r\n/evil.example/"), "/");
        assert_eq!(s("http://127.0.0.1:9999/studio"), "/", "a path, not a URL");
        assert_eq!(s("/studio/../intent?x=1#y"), "/intent?x=1#y");
        assert_eq!(s("/a b"), "/a%20b", "what is returned is the parsed path");
        assert_eq!(safe_next("http://127.0.0.1:9999", None), "/");
    }

    /// Signs in from `client` with `cookie` (if any); the answer's status,
    /// `Location`, the new session's cookie and `Retry-After`.
    async fn sign_in(
        app: &axum::Router,
        client: &str,
        email: &str,
        password: &str,
        next: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, Option<String>, Option<String>, Option<String>) {
        let form =
            crate::testing::form(&[("email", email), ("password", password), ("next", next)]);
        let mut headers = vec![("sec-fetch-site", "same-origin")];
        if let Some(cookie) = cookie {
            headers.push(("cookie", cookie));
        }
        let body = Some(("application/x-www-form-urlencoded", form.into_bytes()));
        let (status, h, _) =
            crate::testing::request_from(app, client, "POST", "/signin", &headers, body).await;
        let text = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
        let cookie = text("set-cookie").map(|c| c.split(';').next().unwrap().to_owned());
        (status, text("location"), cookie, text("retry-after"))
    }

    #[tokio::test]
    async fn the_open_redirect_through_next_is_closed() {
        let (app, _) = app_and_store();
        // The attack: `next=/%09/evil.example` answered `Location: /\t/evil.example`,
        // which browsers follow to http://evil.example/.
        for next in [
            "/\t/evil.example",
            "/\n/evil.example",
            "//evil.example",
            "/\\evil.example",
        ] {
            let (status, location, ..) = sign_in(
                &app,
                "198.51.100.20",
                "alex@vitrine.demo",
                "vitrine-demo",
                next,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            assert_eq!(location.as_deref(), Some("/"), "{next:?}");
        }
        let (_, _, html) = send(&app, "GET", "/signin?next=%2F%09%2Fevil.example", &[], None).await;
        assert!(html.contains(r#"name="next" value="/""#), "{html}");
        assert!(!html.contains("evil.example"));
    }

    #[tokio::test]
    async fn guessing_a_password_waits_longer_and_longer_per_account() {
        let (app, _) = app_and_store();
        let guess = |client: &'static str, password: &'static str| {
            let app = app.clone();
            async move { sign_in(&app, client, "xiaowang@vitrine.demo", password, "/", None).await }
        };
        // Five free guesses, and a sixth that starts a 1 s wait; the
        // seventh, from another address, waits too (the account is counted).
        for client in [
            "198.51.100.1",
            "198.51.100.2",
            "198.51.100.3",
            "198.51.100.4",
            "198.51.100.5",
            "198.51.100.6",
        ] {
            assert_eq!(guess(client, "wrong").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, _, cookie, retry) = guess("198.51.100.7", "wrong").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(cookie.is_none());
        // While it waits even the right password is refused: a 429 tells
        // a guesser nothing about the password.
        assert_eq!(
            guess("198.51.100.8", "vitrine-demo").await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        // The next guess is allowed and starts a wait twice as long.
        assert_eq!(
            guess("198.51.100.9", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            guess("198.51.100.9", "vitrine-demo").await.3.as_deref(),
            Some("2")
        );
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        // The owner's right password signs in and clears the count.
        assert_eq!(
            guess("198.51.100.10", "vitrine-demo").await.0,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            guess("198.51.100.10", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn one_client_guessing_many_accounts_is_slowed_and_others_are_not() {
        let (store, dir) = crate::testing::seeded_store("signin-client");
        let state = crate::app::AppState::new(
            store,
            crate::links::Secret::fixed(1),
            vitrine_core::partner::Registry::new(None),
        )
        .with_public_url("http://127.0.0.1:9999")
        .with_limits(crate::limits::Limits {
            signin_per_client: 3,
            ..Default::default()
        });
        let app = crate::routes::router(state, &dir, &dir, true);
        let guesser = "203.0.113.66";
        for n in 0..4 {
            let email = format!("someone{n}@vitrine.demo");
            let (status, ..) = sign_in(&app, guesser, &email, "123456", "/", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
        }
        let (status, .., retry) = sign_in(
            &app,
            guesser,
            "alex@vitrine.demo",
            "vitrine-demo",
            "/",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry.is_some());
        let (status, ..) = sign_in(
            &app,
            "198.51.100.30",
            "alex@vitrine.demo",
            "vitrine-demo",
            "/",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "another reader signs in");
    }

    /// The attack: a wrong password took 15.2 ms and an unknown email
    /// 0.4 ms, so the time of the answer told which emails had accounts.
    #[tokio::test]
    async fn an_unknown_email_costs_what_a_wrong_password_costs() {
        let (app, _) = app_and_store();
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for n in 0..5 {
            let client = format!("198.51.100.{}", 40 + n);
            let started = std::time::Instant::now();
            let (status, ..) =
                sign_in(&app, &client, "alex@vitrine.demo", "wrong", "/", None).await;
            known.push(started.elapsed());
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            let email = format!("nobody{n}@vitrine.demo");
            let started = std::time::Instant::now();
            let (status, ..) = sign_in(&app, &client, &email, "wrong", "/", None).await;
            unknown.push(started.elapsed());
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        known.sort();
        unknown.sort();
        let (known, unknown) = (known[2].as_secs_f64(), unknown[2].as_secs_f64());
        assert!(
            unknown > known * 0.5 && unknown < known * 2.0,
            "median {:.1} ms for a wrong password, {:.1} ms for an unknown email",
            known * 1e3,
            unknown * 1e3
        );
    }

    #[tokio::test]
    async fn signing_in_again_ends_the_session_it_replaces() {
        let (app, _) = app_and_store();
        let client = "198.51.100.50";
        let (_, _, first, _) =
            sign_in(&app, client, "alex@vitrine.demo", "vitrine-demo", "/", None).await;
        let first = first.unwrap();
        let (status, _, second, _) = sign_in(
            &app,
            client,
            "xiaowang@vitrine.demo",
            "vitrine-demo",
            "/",
            Some(&first),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let second = second.unwrap();
        assert_ne!(first, second);
        let intent =
            "/intent/follow?creator=cr_chenmo&nonce=n0nce-789&origin=http%3A%2F%2Fblog.example";
        let (_, _, as_first) = send(&app, "GET", intent, &[("cookie", &first)], None).await;
        assert!(
            as_first.contains("Sign in to follow"),
            "the replaced session is over"
        );
        let (_, _, as_second) = send(&app, "GET", intent, &[("cookie", &second)], None).await;
        assert!(as_second.contains("小王"));
    }

    #[test]
    fn intent_parameters_are_checked() {
        assert!(is_origin("https://blog.example"));
        assert!(is_origin("http://127.0.0.1:8080"));
        assert!(!is_origin("https://blog.example/"));
        assert!(!is_origin("javascript:alert(1)"));
        assert!(!is_origin("*"));
        assert!(is_nonce("abcd1234"));
        assert!(!is_nonce("short"));
        assert!(!is_nonce("has space 123"));
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
            again.contains("已关注") && again.contains("取消关注"),
            "unfollow is on the platform's page"
        );
        assert!(
            !again.contains(r#"id="result""#) && !again.contains("data-state"),
            "opening the page tells the opener nothing"
        );
    }

    /// The attack: any site opened the intent page for a signed-in reader
    /// and learned from the answer posted to it whether they follow.
    #[tokio::test]
    async fn the_intent_page_tells_the_opener_nothing_until_the_reader_acts() {
        let (app, store) = app_and_store();
        let (cookie, csrf) = crate::testing::signed_in(&store, "rd_xiaowang");
        store.follow("rd_xiaowang", "cr_mayachen").unwrap();
        let spy =
            "/intent/follow?creator=cr_mayachen&nonce=n0nce-spy1&origin=https%3A%2F%2Fevil.example";
        for cookie in [Some(cookie.as_str()), None] {
            let headers: Vec<_> = cookie.map(|c| ("cookie", c)).into_iter().collect();
            let (status, _, html) = send(&app, "GET", spy, &headers, None).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                !html.contains(r#"id="result""#) && !html.contains("data-state"),
                "{html}"
            );
        }
        // The reader's own Done tells the opener, and only then.
        let done = crate::testing::form(&[
            ("creator", "cr_mayachen"),
            ("nonce", "n0nce-spy1"),
            ("origin", "https://evil.example"),
            ("csrf", &csrf),
            ("action", "confirm"),
        ]);
        let headers = [
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "same-origin"),
        ];
        let (status, _, html) = send(&app, "POST", "/intent/follow", &headers, Some(&done)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"data-state="following""#), "{html}");
        assert!(
            store.is_following("rd_xiaowang", "cr_mayachen").unwrap(),
            "Done changes nothing"
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
}
