//! Every error answer is JSON, even those the framework writes itself.
//!
//! A handler's own errors are [`ApiError`]s already. What axum and
//! tower-http answer before a handler runs (a form or query that does not
//! deserialize, a method a route does not take, a body over its limit, an
//! unknown file) comes as plain text or with no body at all; this layer
//! turns each into `{"error": code, "reason": words}`, keeping the
//! framework's words where they name the field (`missing field `email``).
//! Platform pages that answer an error as HTML (the sign-in form's 401)
//! and JSON answers pass through untouched.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The most of a framework's error text that is read (they are one line).
const MAX_TEXT: usize = 4096;

/// The code for an error status the framework answered.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "malformed",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        s if s.is_server_error() => "internal",
        _ => "refused",
    }
}

/// Words for an answer that came without any.
fn reason_of(status: StatusCode, method: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => "nothing here".into(),
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not a method this address takes"),
        StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than this address takes".into(),
        s => s.canonical_reason().unwrap_or("refused").to_lowercase(),
    }
}

/// The middleware: rewrites an error answer that is neither JSON nor HTML.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status();
    let answered_already = {
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        content_type.starts_with("application/json") || content_type.starts_with("text/html")
    };
    if !(status.is_client_error() || status.is_server_error()) || answered_already {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_TEXT).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let reason = if text.is_empty() {
        reason_of(status, &method)
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let json = Json(json!({"error": code_of(status), "reason": reason})).into_response();
    let (json_parts, json_body) = json.into_parts();
    for (name, value) in json_parts.headers {
        if let Some(name) = name {
            parts.headers.insert(name, value);
        }
    }
    Response::from_parts(parts, Body::new(json_body))
}
