//! `GET /creators/{id}`: a creator's public page, where a strip on a store
//! page sends a reader who wants to know who recommends the product: who
//! they are, a follow button, and their published picks, all drawn by the
//! SDK's own elements.

use crate::app::{blocking, AppState};
use crate::error::ApiError;
use crate::html::{page, Head};
use axum::extract::{Path, State};
use maud::{html, Markup};
use vitrine_core::field::is_id;

/// `GET /creators/{id}`.
pub async fn page_of(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Markup, ApiError> {
    let missing = || ApiError::not_found("no such creator");
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
    let picks: Vec<_> = items.iter().filter(|i| i.published).collect();
    let body = html! {
        header class="masthead" { div class="inner" { a class="logo" href="/" { "Vitrine" } } }
        main {
            div class="hub profile" {
                vitrine-follow creator=(creator.id) size="large" {}
                p { (creator.bio) }
            }
            h2 class="picks-title" { (creator.name) " 的推荐 · Picks" }
            div class="grid" {
                @for pick in &picks {
                    vitrine-card item=(pick.item.id) {}
                }
                @if picks.is_empty() {
                    p { "还没有推荐 · No picks yet." }
                }
            }
        }
    };
    Ok(page(
        &format!("{} · Vitrine", creator.name),
        Head::Sdk { style: "/site.css" },
        body,
    ))
}
