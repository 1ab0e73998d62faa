//! Who is asking, as axum extractors: a handler names what it needs in its
//! signature and never repeats the checks.
//!
//! - [`SignedIn`]: the account behind the session cookie (`401` without
//!   one; `Option<SignedIn>` for pages that also serve the signed-out).
//! - [`SameSite`]: the request came from the platform's own pages (`403`
//!   for one another site made).
//! - [`Posted<T>`]: a form from the platform's own page, by a signed-in
//!   account, carrying that session's CSRF token: all three, in that order.

use crate::accounts::{csrf_ok, csrf_token, session_from_cookies, session_key};
use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::store::{now_ms, ReaderRow};
use axum::extract::{Form, FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A signed-in account and its session's key.
pub struct SignedIn {
    pub account: ReaderRow,
    /// What the database keeps of the session token (its hash).
    pub key: String,
}

impl SignedIn {
    /// The CSRF token this session's forms carry.
    pub fn csrf(&self, state: &AppState) -> String {
        csrf_token(&state.secret, &self.key)
    }

    /// Refuses `token` unless it is this session's CSRF token.
    pub fn check_csrf(&self, state: &AppState, token: &str) -> Result<(), ApiError> {
        if csrf_ok(&state.secret, &self.key, token) {
            Ok(())
        } else {
            Err(ApiError::csrf())
        }
    }
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<SignedIn>, ApiError> {
        let Some(token) = parts
            .headers
            .get(header::COOKIE)
            .and_then(|c| c.to_str().ok())
            .and_then(session_from_cookies)
        else {
            return Ok(None);
        };
        let key = session_key(token);
        let lookup = key.clone();
        let account = blocking(state, move |s| s.session_reader(&lookup, now_ms())).await?;
        Ok(account.map(|account| SignedIn { account, key }))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, ApiError> {
        <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(ApiError::signed_out)
    }
}

/// A request the platform's own page made. Browsers say where a request
/// comes from in `Sec-Fetch-Site` and `Origin`; one that carries neither
/// must still hold a CSRF token, which only this platform's pages have.
pub struct SameSite;

impl SameSite {
    /// Refuses a request another site made than the platform at `public`.
    pub fn check(headers: &HeaderMap, public: &str) -> Result<SameSite, ApiError> {
        if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            if site != "same-origin" {
                return Err(ApiError::cross_site());
            }
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if origin != public {
                return Err(ApiError::cross_site());
            }
        }
        Ok(SameSite)
    }
}

impl FromRequestParts<AppState> for SameSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SameSite, ApiError> {
        SameSite::check(&parts.headers, &state.public)
    }
}

/// A form that carries its session's CSRF token.
pub trait CsrfForm {
    /// The token the form was given.
    fn csrf(&self) -> &str;
}

/// A form posted from the platform's own page ([`SameSite`]), by a
/// [`SignedIn`] account, with that session's CSRF token.
pub struct Posted<T> {
    pub by: SignedIn,
    pub form: T,
}

impl<T> FromRequest<AppState> for Posted<T>
where
    T: CsrfForm + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Posted<T>, Response> {
        let (mut parts, body) = request.into_parts();
        SameSite::check(&parts.headers, &state.public).map_err(IntoResponse::into_response)?;
        let by = <SignedIn as FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        by.check_csrf(state, form.csrf())
            .map_err(IntoResponse::into_response)?;
        Ok(Posted { by, form })
    }
}
