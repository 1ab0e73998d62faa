//! Who may read a creator's report (`/v1/reports`, `/v1/live`,
//! `/dashboard`): the creator, signed in; a program holding one of the
//! creator's report API keys (`Authorization: Bearer vk_…`, as analytics
//! products do for their stats APIs); or anyone the creator gave a
//! read-only share link (`?share=vs_…`). Each key is shown to the creator
//! once, only its SHA-256 is stored, and the creator can revoke it.
//!
//! A key is not a session: it reads one creator's report and nothing else,
//! and nothing it reads changes anything. CORS stays open on the API (a
//! creator's own tools call it from their own pages), which is safe
//! because a browser sends no cookie on those requests: only a key the
//! page already has opens the report.

use crate::accounts::session_key;
use crate::app::{blocking, AppState};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::store::ReportKeyRow;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

/// The two kinds of key, and how each begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `Authorization: Bearer vk_…`, for programs.
    Api,
    /// `?share=vs_…`, a read-only link to the dashboard.
    Share,
}

impl KeyKind {
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Api => "vk_",
            KeyKind::Share => "vs_",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Api => "api",
            KeyKind::Share => "share",
        }
    }

    /// The kind a key of this shape is: its prefix and 32 hex digits.
    pub fn of(key: &str) -> Option<KeyKind> {
        [KeyKind::Api, KeyKind::Share].into_iter().find(|kind| {
            key.strip_prefix(kind.prefix())
                .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        })
    }
}

/// A new key of `kind`, and the row that stores it (its hash, never it).
pub fn new_key(
    kind: KeyKind,
    creator_id: &str,
    label: &str,
    now_ms: i64,
) -> (String, ReportKeyRow) {
    let key = format!("{}{}", kind.prefix(), crate::links::new_click_id());
    let row = ReportKeyRow {
        id: format!("rk_{}", &crate::links::new_click_id()[..12]),
        creator_id: creator_id.to_owned(),
        kind: kind.name().to_owned(),
        hash: session_key(&key),
        hint: key[key.len() - 4..].to_owned(),
        label: label.to_owned(),
        created_ms: now_ms,
    };
    (key, row)
}

/// How a reader came to read a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// The creator's own session.
    Session,
    /// A report API key.
    Key,
    /// A share link; the page keeps passing it on.
    Share(String),
}

/// Who is reading: the one creator whose report they may read, and how.
#[derive(Clone, Debug)]
pub struct ReportReader {
    pub creator: String,
    pub via: Via,
}

impl ReportReader {
    /// Refuses unless `creator` is the one this reader may read.
    pub fn may_read(&self, creator: &str) -> Result<(), ApiError> {
        if self.creator == creator {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "not_your_report",
                "this key or session reads another creator's report",
            ))
        }
    }
}

fn bad_key() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "bad_key",
        "the report key is not one of the platform's, or it was revoked",
    )
}

/// The share key in a query string, if there is one.
fn share_in(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "share")
        .map(|(_, v)| v.into_owned())
}

async fn key_reader(state: &AppState, key: &str, kind: KeyKind) -> Result<ReportKeyRow, ApiError> {
    if KeyKind::of(key) != Some(kind) {
        return Err(bad_key());
    }
    let hash = session_key(key);
    blocking(state, move |s| s.report_key(&hash))
        .await?
        .filter(|row| row.kind == kind.name())
        .ok_or_else(bad_key)
}

impl OptionalFromRequestParts<AppState> for ReportReader {
    type Rejection = ApiError;

    /// A key given and wrong is refused (`401 bad_key`) rather than
    /// passed over: a program with a revoked key must hear so.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<ReportReader>, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let key = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(bad_key)?;
            let row = key_reader(state, key.trim(), KeyKind::Api).await?;
            return Ok(Some(ReportReader {
                creator: row.creator_id,
                via: Via::Key,
            }));
        }
        if let Some(share) = share_in(parts.uri.query()) {
            let row = key_reader(state, &share, KeyKind::Share).await?;
            return Ok(Some(ReportReader {
                creator: row.creator_id,
                via: Via::Share(share),
            }));
        }
        let Some(signed_in) =
            <SignedIn as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?
        else {
            return Ok(None);
        };
        let account = signed_in.account.id;
        let creator = blocking(state, move |s| s.account_creator(&account)).await?;
        Ok(creator.map(|c| ReportReader {
            creator: c.id,
            via: Via::Session,
        }))
    }
}

impl FromRequestParts<AppState> for ReportReader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ReportReader, ApiError> {
        <ReportReader as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "report_access",
                    "a creator's report is theirs: sign in as the creator, or send one of their report keys as Authorization: Bearer vk_…",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_told_apart_by_their_shape() {
        let (api, row) = new_key(KeyKind::Api, "cr_1", "n8n", 5);
        assert_eq!(KeyKind::of(&api), Some(KeyKind::Api));
        assert_eq!(row.hash, session_key(&api), "only the hash is kept");
        assert!(!row.hash.contains(&api[3..]));
        assert_eq!(row.hint, &api[api.len() - 4..]);
        let (share, _) = new_key(KeyKind::Share, "cr_1", "", 5);
        assert_eq!(KeyKind::of(&share), Some(KeyKind::Share));
        assert_eq!(KeyKind::of("vk_123"), None);
        assert_eq!(KeyKind::of(&format!("vk_{}", "g".repeat(32))), None);
        assert_eq!(
            KeyKind::of(&api.replace("vk_", "vs_")),
            Some(KeyKind::Share)
        );
    }
}
