//! The follow intent: the platform's own pages where a reader signs in and
//! follows a creator. A host page never touches the reader's account: the
//! SDK opens `/intent/follow` in a popup, the reader clicks Follow here, and
//! this page tells the host page the result with `postMessage`.
//!
//! A follow happens only on a POST from this page: same-origin, with the
//! session's CSRF token. A cross-site request is refused even with the
//! reader's cookie (`SameSite=Lax` keeps it off cross-site POSTs anyway).

use crate::accounts::{
    new_session_token, session_cookie, session_key, verify_password, SESSION_COOKIE,
    SESSION_SECONDS,
};
use crate::app::{blocking, AppState};
use crate::auth::{CsrfForm, Posted, SameSite, SignedIn};
use crate::error::ApiError;
use crate::html::{grouped, page, Head};
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

/// What a signed-in reader can do: following already (the answer for the
/// opener, and Unfollow, which happens only here), or Follow.
fn follow_controls(intent: &Intent, csrf: &str, following: bool) -> Markup {
    html! {
        @if following {
            (result(intent, "following", "已关注 · Following"))
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
    let follow = match form.action.as_str() {
        "follow" => true,
        "unfollow" => false,
        _ => return Err(ApiError::bad_request("action must be follow or unfollow")),
    };
    let (reader_id, creator_id) = (reader.account.id.clone(), c.id.clone());
    blocking(&state, move |s| {
        if follow {
            s.follow(&reader_id, &creator_id)
        } else {
            s.unfollow(&reader_id, &creator_id)
        }
    })
    .await?;
    let c = creator(&state, &intent.creator).await?;
    let base = state.public.to_string();
    let body = html! {
        (creator_card(&c, &base))
        @if !follow {
            (result(&intent, "not_following", "已取消关注 · Unfollowed"))
        }
        (follow_controls(&intent, &reader.csrf(&state), follow))
    };
    Ok(intent_page(&format!("关注 {}", c.name), body))
}

/// A same-origin path to return to after signing in (never another site).
fn safe_next(next: Option<&String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.clone(),
        _ => "/".into(),
    }
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
pub async fn signin_form(Query(query): Query<HashMap<String, String>>) -> Response {
    signin_page(&safe_next(query.get("next")), None)
}

#[derive(Deserialize)]
pub struct SigninForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// `POST /signin`: checks the password, starts a session, returns to `next`.
pub async fn signin(
    State(state): State<AppState>,
    _: SameSite,
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, ApiError> {
    let next = safe_next(form.next.as_ref());
    let email = form.email.trim().to_lowercase();
    let reader = blocking(&state, move |s| s.reader_by_email(&email)).await?;
    let password = form.password;
    let ok = match reader {
        // argon2 is deliberately slow: off the async threads.
        Some(r) => tokio::task::spawn_blocking(move || {
            verify_password(&password, &r.password_hash).then_some(r)
        })
        .await
        .ok()
        .flatten(),
        None => None,
    };
    let Some(reader) = ok else {
        let mut page = signin_page(&next, Some("邮箱或密码不对 · Email or password is wrong"));
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(page);
    };
    let token = new_session_token();
    let key = session_key(&token);
    let expires = now_ms() + (SESSION_SECONDS as i64) * 1000;
    blocking(&state, move |s| s.create_session(&key, &reader.id, expires)).await?;
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
        let s = |v: &str| safe_next(Some(&v.to_owned()));
        assert_eq!(
            s("/intent/follow?creator=cr_1"),
            "/intent/follow?creator=cr_1"
        );
        assert_eq!(s("//evil.example/"), "/");
        assert_eq!(s("https://evil.example/"), "/");
        assert_eq!(s("/\\evil.example"), "/");
        assert_eq!(safe_next(None), "/");
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
}
