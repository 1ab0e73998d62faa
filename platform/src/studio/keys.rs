//! `/studio/keys`: the creator's keys to their own report. An API key
//! (`Authorization: Bearer vk_…`) for their tools, a share link
//! (`/dashboard?share=vs_…`) for whoever they choose; each shown once when
//! made, stored as its hash, and revocable here.

use super::{creator_page, html, see_other, Session};
use crate::app::{blocking, AppState};
use crate::auth::{CsrfForm, Posted, SignedIn};
use crate::error::ApiError;
use crate::report_access::{new_key, KeyKind};
use crate::store::{now_ms, CreatorRow, ReportKeyRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

/// Most keys a creator keeps at once.
const MAX_KEYS: usize = 20;

fn keys_page(
    session: &Session,
    creator: &CreatorRow,
    base: &str,
    keys: &[ReportKeyRow],
    made: Option<(KeyKind, &str)>,
) -> Markup {
    let body = html! {
        div class="head" { h1 { "报告访问 · Report access" } }
        p class="lead" {
            "你的报告只有你能看。API 密钥让你的工具读取 " code { "/v1/reports" } " 和 " code { "/v1/live" }
            "；分享链接让拿到它的人只读你的实时报告。都可以随时撤销。 · "
            "Your report is yours. An API key lets your own tools read it; a share link lets whoever holds it watch your live report, read-only. Revoke either at any time."
        }
        @if let Some((kind, key)) = made {
            section class="made" role="status" {
                h2 { "只显示这一次，请现在复制 · Shown only once: copy it now" }
                @match kind {
                    KeyKind::Api => {
                        p { "API 密钥 · API key" }
                        input readonly value=(key) aria-label="API key" class="secret";
                        p class="hint" { code { "curl -H \"Authorization: Bearer " (key) "\" " (base) "/v1/reports?creator=" (creator.id) } }
                    }
                    KeyKind::Share => {
                        p { "分享链接 · Share link" }
                        input readonly value={ (base) "/dashboard?creator=" (creator.id) "&share=" (key) } aria-label="Share link" class="secret";
                    }
                }
            }
        }
        section class="keys" {
            h2 { "有效的密钥和链接 · Keys and links in use" }
            @if keys.is_empty() {
                p class="lead" { "还没有。 · None yet." }
            } @else {
                ul class="items" {
                    @for key in keys {
                        li class="key" {
                            span class="state" { @if key.kind == "share" { "分享链接 · Share link" } @else { "API" } }
                            span { (key.label) " " code { "…" (key.hint) } }
                            form method="post" action={ "/studio/keys/" (key.id) "/revoke" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button class="quiet" { "撤销 · Revoke" }
                            }
                        }
                    }
                }
            }
        }
        section class="new-key" {
            h2 { "新建 · Make one" }
            form method="post" action="/studio/keys" {
                input type="hidden" name="csrf" value=(session.csrf);
                div class="field" {
                    label for="label" { "用途 · What it is for" }
                    input id="label" name="label" maxlength="60" placeholder="例如：周报脚本 · e.g. weekly report script" autocomplete="off";
                }
                button class="primary" name="kind" value="api" { "新建 API 密钥 · New API key" }
                " "
                button class="quiet" name="kind" value="share" { "新建分享链接 · New share link" }
            }
        }
    };
    super::pages::studio_page(
        "报告访问 · Report access",
        session,
        Some(creator),
        base,
        body,
    )
}

async fn keys_of(state: &AppState, creator: &CreatorRow) -> Result<Vec<ReportKeyRow>, ApiError> {
    let id = creator.id.clone();
    blocking(state, move |s| s.report_keys(&id)).await
}

/// `GET /studio/keys`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
) -> Result<Response, ApiError> {
    let (session, creator) = match creator_page(&state, signed_in, "/studio/keys").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let keys = keys_of(&state, &creator).await?;
    let page = keys_page(&session, &creator, &state.public, &keys, None);
    Ok(html(StatusCode::OK, page))
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    label: String,
}

impl CsrfForm for NewKeyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /studio/keys`: makes a key and shows it, this once.
pub async fn create(
    State(state): State<AppState>,
    Posted { by, form }: Posted<NewKeyForm>,
) -> Result<Response, ApiError> {
    let session = Session::of(&state, by).await?;
    let creator = session.creator()?;
    let kind = match form.kind.as_str() {
        "api" => KeyKind::Api,
        "share" => KeyKind::Share,
        _ => return Err(ApiError::bad_request("kind must be api or share")),
    };
    let label: String = form
        .label
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if label.chars().count() > 60 {
        return Err(ApiError::bad_request("label is at most 60 characters"));
    }
    if keys_of(&state, &creator).await?.len() >= MAX_KEYS {
        return Err(ApiError::unprocessable(
            "too_many_keys",
            format!("at most {MAX_KEYS} keys and links at once: revoke one first"),
        ));
    }
    let (key, row) = new_key(kind, &creator.id, &label, now_ms());
    blocking(&state, move |s| s.create_report_key(&row)).await?;
    let keys = keys_of(&state, &creator).await?;
    let page = keys_page(&session, &creator, &state.public, &keys, Some((kind, &key)));
    Ok(html(StatusCode::CREATED, page))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
}

impl CsrfForm for RevokeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /studio/keys/{id}/revoke`: the key stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { by, .. }: Posted<RevokeForm>,
) -> Result<Response, ApiError> {
    let creator = Session::of(&state, by).await?.creator()?;
    let revoked = blocking(&state, move |s| {
        s.revoke_report_key(&creator.id, &id, now_ms())
    })
    .await?;
    if !revoked {
        return Err(ApiError::not_found("you have no key with that id"));
    }
    Ok(see_other("/studio/keys"))
}
