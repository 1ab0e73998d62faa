//! `GET /creators/{id}`: a creator's public page, where a strip on a store
//! page sends a reader who wants to know who recommends the product: who
//! they are, a follow button, and their published picks, all drawn by the
//! SDK's own elements.

use crate::api::{blocking, ApiError, AppState};
use crate::intent::esc;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use vitrine_core::field::is_id;

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such creator");
    if !is_id(&id) {
        return Err(missing());
    }
    let lookup = id.clone();
    let (creator, items) = blocking(&state, move |s| {
        let creator = s.creator(&lookup)?;
        let items = s.studio_items(&lookup)?;
        Ok((creator, items))
    })
    .await?;
    let creator = creator.ok_or_else(missing)?;
    let mut cards = String::new();
    for pick in items.iter().filter(|i| i.published) {
        cards.push_str(&format!(
            r#"<vitrine-card item="{}"></vitrine-card>"#,
            esc(&pick.item.id)
        ));
    }
    if cards.is_empty() {
        cards.push_str("<p>还没有推荐 · No picks yet.</p>");
    }
    Ok(Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{name} · Vitrine</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/site.css"><script type="module" src="/pkg/vitrine.js" blocking="render"></script></head><body><header class="masthead"><div class="inner"><a class="logo" href="/">Vitrine</a></div></header><main><div class="hub profile"><vitrine-follow creator="{id}" size="large"></vitrine-follow><p>{bio}</p></div><h2 class="picks-title">{name} 的推荐 · Picks</h2><div class="grid">{cards}</div></main></body></html>"#,
        name = esc(&creator.name),
        id = esc(&creator.id),
        bio = esc(&creator.bio),
    )))
}
