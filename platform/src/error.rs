//! The platform's one error answer: a status and a JSON body naming what
//! went wrong, `{"error": code, "reason": words}`. A leaf: it knows the
//! storage error it turns into a 500, and nothing of the handlers.

use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error answer: a status, a stable machine-readable code, and a reason
/// for the person reading it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    reason: String,
    /// Seconds to wait, for `429` (sent as `Retry-After`).
    retry_after_s: Option<u64>,
}

impl ApiError {
    /// Any status and code; prefer the named constructors below.
    pub fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            reason: reason.into(),
            retry_after_s: None,
        }
    }

    /// `404 not_found`.
    pub fn not_found(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", reason)
    }

    /// `400 bad_request`: a parameter or field is wrong; the reason names it.
    pub fn bad_request(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", reason)
    }

    /// `400` with a code of its own (`malformed`, `bad_token`, …).
    pub fn bad(code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, reason)
    }

    /// `401`: the request needs a signed-in account.
    pub fn signed_out() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "signed_out", "sign in first")
    }

    /// `403` with a code saying what was refused.
    pub fn forbidden(code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, reason)
    }

    /// `403 csrf`: a form without this session's token.
    pub fn csrf() -> ApiError {
        ApiError::forbidden("csrf", "the form's token is missing or wrong")
    }

    /// `403 cross_site`: a request another site made.
    pub fn cross_site() -> ApiError {
        ApiError::forbidden("cross_site", "this must come from the platform's own page")
    }

    /// `413 too_large`.
    pub fn too_large(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", reason)
    }

    /// `429 too_many`: more than a reader sends; try again in
    /// `retry_after_s` (also sent as `Retry-After`).
    pub fn too_many(retry_after_s: u64) -> ApiError {
        ApiError {
            retry_after_s: Some(retry_after_s),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many",
                format!("more than a reader sends: try again in {retry_after_s} s"),
            )
        }
    }

    /// `422` with a code: understood, but refused by a rule.
    pub fn unprocessable(code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, reason)
    }

    /// `500` with a code: the platform's own failure.
    pub fn internal(code: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.code, "reason": self.reason})),
        )
            .into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // The details are for the operator's log, not for the internet.
        eprintln!("vitrine-platform: storage error: {e}");
        ApiError::internal("storage", "the platform's storage failed")
    }
}
