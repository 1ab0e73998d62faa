//! The follow intent: the platform's own pages where a reader signs in and
//! follows a creator. A host page never touches the reader's account: the
//! SDK opens `/intent/follow` in a popup, the reader clicks Follow here, and
//! this page tells the host page the result with `postMessage`.
//!
//! A follow happens only on a POST from this page: same-origin, with the
//! session's CSRF token. A cross-site request is refused even with the
//! reader's cookie (`SameSite=Lax` keeps it off cross-site POSTs anyway).

use crate::accounts::{
    csrf_ok, csrf_token, new_session_token, session_cookie, session_from_cookies, session_key,
    verify_password, SESSION_COOKIE, SESSION_SECONDS,
};
use crate::api::{base_url, blocking, ApiError, AppState};
use crate::store::{now_ms, CreatorRow, ReaderRow};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use vitrine_core::field::is_id;
use vitrine_core::follow::{intent_for_answer, intent_url};

/// HTML-escapes text for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/intent.css"><script src="/intent.js" defer></script></head><body><main>{body}</main></body></html>"#,
        esc(title)
    )
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
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "creator, nonce (8 to 64 letters, digits, - or _) and origin (scheme://host[:port]) are required",
            ));
        }
        Ok(())
    }

    fn query(&self) -> String {
        intent_for_answer(&intent_url("", &self.creator), &self.nonce, &self.origin)
    }
}

/// The signed-in account, and its session key.
pub(crate) async fn reader(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(ReaderRow, String)>, ApiError> {
    let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(session_from_cookies)
    else {
        return Ok(None);
    };
    let key = session_key(token);
    let lookup = key.clone();
    let reader = blocking(state, move |s| s.session_reader(&lookup, now_ms())).await?;
    Ok(reader.map(|r| (r, key)))
}

async fn creator(state: &AppState, id: &str) -> Result<CreatorRow, ApiError> {
    let id = id.to_owned();
    blocking(state, move |s| s.creator(&id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such creator"))
}

fn creator_card(c: &CreatorRow, base: &str) -> String {
    let verified = if c.verified {
        r#"<span class="verified" title="已认证 Verified" aria-label="已认证">✓</span>"#
    } else {
        ""
    };
    format!(
        r#"<img class="avatar" src="{base}{}" alt=""><h1>{}{verified}</h1><p class="bio">{}</p><p class="count">{} 位关注者 · followers</p>"#,
        esc(&c.avatar_path),
        esc(&c.name),
        esc(&c.bio),
        grouped(c.followers)
    )
}

/// `128400` as `128,400`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The element `intent.js` reads to post the result to the opener.
fn result(intent: &Intent, state: &str, text: &str) -> String {
    format!(
        r#"<p id="result" class="done" data-creator="{}" data-nonce="{}" data-origin="{}" data-state="{state}">{}</p>"#,
        esc(&intent.creator),
        esc(&intent.nonce),
        esc(&intent.origin),
        esc(text)
    )
}

fn follow_form(intent: &Intent, csrf: &str, action: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="/intent/follow"><input type="hidden" name="creator" value="{}"><input type="hidden" name="nonce" value="{}"><input type="hidden" name="origin" value="{}"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="{action}"><button class="{class}">{}</button></form>"#,
        esc(&intent.creator),
        esc(&intent.nonce),
        esc(&intent.origin),
        esc(csrf),
        esc(label)
    )
}

/// What a signed-in reader can do: following already (the answer for the
/// opener, and Unfollow, which happens only here), or Follow.
fn follow_controls(intent: &Intent, csrf: &str, following: bool) -> String {
    if following {
        let mut html = result(intent, "following", "已关注 · Following");
        html.push_str(&follow_form(
            intent,
            csrf,
            "unfollow",
            "取消关注 · Unfollow",
            "quiet",
        ));
        html
    } else {
        follow_form(intent, csrf, "follow", "关注 · Follow", "")
    }
}

/// `GET /intent/follow?creator&nonce&origin`.
pub async fn show(
    State(state): State<AppState>,
    Query(intent): Query<Intent>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    intent.check()?;
    let c = creator(&state, &intent.creator).await?;
    let base = base_url(&headers);
    let mut body = creator_card(&c, &base);
    match reader(&state, &headers).await? {
        None => {
            let mut next = String::from("/signin?next=");
            vitrine_core::url::push_encoded(&mut next, &intent.query());
            body.push_str(&format!(
                r#"<a class="button" href="{}">登录后关注 · Sign in to follow</a>"#,
                esc(&next)
            ));
        }
        Some((r, key)) => {
            let (reader_id, creator_id) = (r.id.clone(), c.id.clone());
            let following =
                blocking(&state, move |s| s.is_following(&reader_id, &creator_id)).await?;
            let csrf = csrf_token(&state.secret, &key);
            body.push_str(&follow_controls(&intent, &csrf, following));
            body.push_str(&format!(
                r#"<p class="who">{} · {}</p>"#,
                esc(&r.name),
                esc(&r.email)
            ));
        }
    }
    Ok(Html(page(&format!("关注 {}", c.name), &body)).into_response())
}

#[derive(Deserialize)]
pub struct FollowForm {
    creator: String,
    nonce: String,
    origin: String,
    csrf: String,
    action: String,
}

/// Refuses a request another site made: browsers say so in `Sec-Fetch-Site`
/// and `Origin`; a request that carries neither must still hold the CSRF
/// token, which only this platform's page has.
pub(crate) fn same_site_only(headers: &HeaderMap) -> Result<(), ApiError> {
    let forbidden = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "this must come from the platform's own page",
        )
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" {
            return Err(forbidden());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin != base_url(headers) {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// `POST /intent/follow`: the reader's own click.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<FollowForm>,
) -> Result<Response, ApiError> {
    same_site_only(&headers)?;
    let intent = Intent {
        creator: form.creator,
        nonce: form.nonce,
        origin: form.origin,
    };
    intent.check()?;
    let Some((r, key)) = reader(&state, &headers).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "sign in first",
        ));
    };
    if !csrf_ok(&state.secret, &key, &form.csrf) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form's token is missing or wrong",
        ));
    }
    let c = creator(&state, &intent.creator).await?;
    let follow = match form.action.as_str() {
        "follow" => true,
        "unfollow" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "action must be follow or unfollow",
            ))
        }
    };
    let (reader_id, creator_id) = (r.id.clone(), c.id.clone());
    blocking(&state, move |s| {
        if follow {
            s.follow(&reader_id, &creator_id)
        } else {
            s.unfollow(&reader_id, &creator_id)
        }
    })
    .await?;
    let c = creator(&state, &intent.creator).await?;
    let base = base_url(&headers);
    let csrf = csrf_token(&state.secret, &key);
    let mut body = creator_card(&c, &base);
    if !follow {
        body.push_str(&result(&intent, "not_following", "已取消关注 · Unfollowed"));
    }
    body.push_str(&follow_controls(&intent, &csrf, follow));
    Ok(Html(page(&format!("关注 {}", c.name), &body)).into_response())
}

/// A same-origin path to return to after signing in (never another site).
fn safe_next(next: Option<&String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.clone(),
        _ => "/".into(),
    }
}

fn signin_page(next: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, esc(e)))
        .unwrap_or_default();
    page(
        "登录 · Sign in",
        &format!(
            r#"<h1>登录 · Sign in</h1>{error}<form method="post" action="/signin"><input type="hidden" name="next" value="{}"><label>邮箱 · Email<input type="email" name="email" autocomplete="username" required></label><label>密码 · Password<input type="password" name="password" autocomplete="current-password" required></label><button>登录 · Sign in</button></form>"#,
            esc(next)
        ),
    )
}

/// `GET /signin?next=/…`.
pub async fn signin_form(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    Html(signin_page(&safe_next(query.get("next")), None))
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
    headers: HeaderMap,
    Form(form): Form<SigninForm>,
) -> Result<Response, ApiError> {
    same_site_only(&headers)?;
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
        return Ok((
            StatusCode::UNAUTHORIZED,
            Html(signin_page(
                &next,
                Some("邮箱或密码不对 · Email or password is wrong"),
            )),
        )
            .into_response());
    };
    let token = new_session_token();
    let key = session_key(&token);
    let expires = now_ms() + (SESSION_SECONDS as i64) * 1000;
    blocking(&state, move |s| s.create_session(&key, &reader.id, expires)).await?;
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p == "https");
    let cookie = HeaderValue::from_str(&session_cookie(&token, https)).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cookie",
            "cannot set the session",
        )
    })?;
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
    headers: HeaderMap,
    Form(form): Form<SignoutForm>,
) -> Result<Response, ApiError> {
    same_site_only(&headers)?;
    if let Some((_, key)) = reader(&state, &headers).await? {
        if !csrf_ok(&state.secret, &key, &form.csrf) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form's token is missing or wrong",
            ));
        }
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

/// `GET /intent.js` and `/intent.css`: the intent pages' only script and style.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/intent.js"),
    )
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/intent.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(8930), "8,930");
        assert_eq!(grouped(128400), "128,400");
        assert_eq!(grouped(1234567), "1,234,567");
    }

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
}
