//! The creator studio (`/studio`): where a signed-in creator publishes what
//! they recommend. They paste the partner store's link (checked by the same
//! link rules as the SDK, with the reason when refused), upload a picture
//! (checked by its bytes, not its name), write the reason and the price,
//! watch the SDK itself render the card as they type (`studio.js`), save,
//! and copy the embed snippet. Items can be edited, unpublished (embeds then
//! show the fallback) and published again.
//!
//! Every check that decides what an item may be is the core's: the form is
//! turned into a wire item and validated by `Item::from_node`, exactly as the
//! SDK validates what it is served.

use crate::app::{blocking, AppState};
use crate::auth::{CsrfForm, Posted, SameSite, SignedIn};
use crate::error::ApiError;
use crate::html::{see_other, to_signin};
use crate::store::{CreatorRow, ReaderRow, StudioItem};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::Markup;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use vitrine_core::field::is_id;
use vitrine_core::link::canonicalize;
use vitrine_core::locale::Locale;
use vitrine_core::whatwg::UrlCrate;

mod form;
pub mod keys;
mod pages;

use crate::picture::Refused;
pub use form::MAX_PICTURE_BYTES;
use form::{check_draft, link_refusal, media_name, Draft};
use pages::{editor, studio_page};

/// A signed-in account in the studio: who, the creator it acts as (if
/// any), and the CSRF token its forms carry.
pub struct Session {
    account: ReaderRow,
    creator: Option<CreatorRow>,
    csrf: String,
}

impl Session {
    async fn of(state: &AppState, signed_in: SignedIn) -> Result<Session, ApiError> {
        let id = signed_in.account.id.clone();
        let creator = blocking(state, move |s| s.account_creator(&id)).await?;
        Ok(Session {
            csrf: signed_in.csrf(state),
            account: signed_in.account,
            creator,
        })
    }

    /// The creator this account publishes as, or `403`.
    fn creator(&self) -> Result<CreatorRow, ApiError> {
        self.creator.clone().ok_or_else(|| {
            ApiError::forbidden(
                "not_a_creator",
                "this account does not publish as a creator",
            )
        })
    }
}

fn not_yours() -> ApiError {
    ApiError::not_found("you have no item with that id")
}

/// The item `id` if it is this creator's.
async fn own_item(
    state: &AppState,
    creator: &CreatorRow,
    id: &str,
) -> Result<StudioItem, ApiError> {
    if !is_id(id) {
        return Err(not_yours());
    }
    let lookup = id.to_owned();
    let item = blocking(state, move |s| s.studio_item(&lookup)).await?;
    item.filter(|i| i.item.creator_id == creator.id)
        .ok_or_else(not_yours)
}

fn html(status: StatusCode, page: Markup) -> Response {
    (status, page).into_response()
}

/// `GET /studio`: the creator's items.
pub async fn home(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
) -> Result<Response, ApiError> {
    let Some(signed_in) = signed_in else {
        return Ok(to_signin("/studio"));
    };
    let session = Session::of(&state, signed_in).await?;
    let base = state.public.to_string();
    let Some(creator) = session.creator.clone() else {
        return Ok(html(
            StatusCode::FORBIDDEN,
            studio_page("Studio", &session, None, &base, pages::not_a_creator()),
        ));
    };
    let id = creator.id.clone();
    let items = blocking(&state, move |s| s.studio_items(&id)).await?;
    Ok(html(
        StatusCode::OK,
        studio_page(
            "我的推荐 · My picks",
            &session,
            Some(&creator),
            &base,
            pages::picks(&items, &base),
        ),
    ))
}

/// A studio page's session, or where to send a visitor who cannot use it:
/// to sign in, or (an account that is not a creator's) to `/studio`.
async fn creator_page(
    state: &AppState,
    signed_in: Option<SignedIn>,
    path: &str,
) -> Result<Result<(Session, CreatorRow), Response>, ApiError> {
    let Some(signed_in) = signed_in else {
        return Ok(Err(to_signin(path)));
    };
    let session = Session::of(state, signed_in).await?;
    match session.creator.clone() {
        Some(creator) => Ok(Ok((session, creator))),
        None => Ok(Err(see_other("/studio"))),
    }
}

/// `GET /studio/new`: an empty editor.
pub async fn new_item(
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
) -> Result<Response, ApiError> {
    let (session, creator) = match creator_page(&state, signed_in, "/studio/new").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let base = state.public.to_string();
    let body = editor(
        &session,
        &creator,
        &base,
        &Draft::default(),
        &[],
        None,
        false,
    );
    Ok(html(
        StatusCode::OK,
        studio_page("新推荐 · New pick", &session, Some(&creator), &base, body),
    ))
}

/// `GET /studio/items/{id}`: the editor for a saved item, with its snippet.
pub async fn edit_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    signed_in: Option<SignedIn>,
) -> Result<Response, ApiError> {
    let (session, creator) =
        match creator_page(&state, signed_in, &format!("/studio/items/{id}")).await? {
            Ok(s) => s,
            Err(redirect) => return Ok(redirect),
        };
    let saved = own_item(&state, &creator, &id).await?;
    let base = state.public.to_string();
    let draft = Draft::from_item(&saved.item);
    let just_saved = query.contains_key("saved");
    let body = editor(
        &session,
        &creator,
        &base,
        &draft,
        &[],
        Some(&saved),
        just_saved,
    );
    Ok(html(
        StatusCode::OK,
        studio_page(&saved.item.title, &session, Some(&creator), &base, body),
    ))
}

impl CsrfForm for Draft {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn save(
    state: AppState,
    Posted { by, form: draft }: Posted<Draft>,
    existing: Option<String>,
) -> Result<Response, ApiError> {
    let session = Session::of(&state, by).await?;
    let creator = session.creator()?;
    let saved = match &existing {
        Some(id) => Some(own_item(&state, &creator, id).await?),
        None => None,
    };
    let id = existing.unwrap_or_else(|| format!("itm_{}", &crate::links::new_click_id()[..16]));
    let picture = media_name(&draft.image).map(str::to_owned);
    let picture_ok = match picture {
        Some(name) => blocking(&state, move |s| s.media(&name)).await?.is_some(),
        None => false,
    };
    match check_draft(&draft, &id, &creator, &state.registry, picture_ok) {
        Ok(row) => {
            let product = crate::partners::product_of(&row.store_url, &state.registry);
            blocking(&state, move |s| s.save_item(&row, product.as_deref())).await?;
            // Events for it are checked against what it is now.
            state.catalogue.forget(&id);
            Ok(see_other(&format!("/studio/items/{id}?saved")))
        }
        Err(problems) => {
            let base = state.public.to_string();
            let body = editor(
                &session,
                &creator,
                &base,
                &draft,
                &problems,
                saved.as_ref(),
                false,
            );
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                studio_page("请修改 · Please fix", &session, Some(&creator), &base, body),
            ))
        }
    }
}

/// `POST /studio/items`: publishes a new item.
pub async fn create_item(
    State(state): State<AppState>,
    posted: Posted<Draft>,
) -> Result<Response, ApiError> {
    save(state, posted, None).await
}

/// `POST /studio/items/{id}`: saves changes to an item.
pub async fn update_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<Draft>,
) -> Result<Response, ApiError> {
    save(state, posted, Some(id)).await
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: String,
    published: String,
}

impl CsrfForm for PublishForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /studio/items/{id}/publish`: `published=1` or `0`.
pub async fn publish(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { by, form }: Posted<PublishForm>,
) -> Result<Response, ApiError> {
    let creator = Session::of(&state, by).await?.creator()?;
    own_item(&state, &creator, &id).await?;
    let published = match form.published.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(ApiError::bad_request("published must be 1 or 0")),
    };
    let target = id.clone();
    blocking(&state, move |s| s.set_published(&target, published)).await?;
    state.catalogue.forget(&id);
    Ok(see_other(&format!("/studio/items/{id}")))
}

/// `POST /studio/media`: a picture's bytes (the body), with the CSRF token
/// in `X-CSRF-Token`. Stored under a name made from its content, so the
/// same picture uploaded twice is one file.
pub async fn upload(
    State(state): State<AppState>,
    _: SameSite,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    signed_in.check_csrf(&state, csrf)?;
    Session::of(&state, signed_in).await?.creator()?;
    if body.len() > MAX_PICTURE_BYTES {
        return Err(ApiError::too_large(
            "图片超过 2 MB · The picture is larger than 2 MB",
        ));
    }
    // Decoding is work for a CPU, off the async threads.
    let redrawn = tokio::task::spawn_blocking(move || crate::picture::redraw(&body))
        .await
        .map_err(|_| ApiError::internal("picture", "the picture could not be read"))?;
    let picture = match redrawn {
        Ok(picture) => picture,
        Err(Refused::NotAPicture) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_a_picture",
                "这个文件不是 JPEG、PNG、WebP 或 GIF 图片（按内容判断，不看文件名）· This file is not a JPEG, PNG, WebP or GIF picture (judged by its content, not its name)",
            ))
        }
        Err(Refused::TooManyPixels { width, height }) => {
            return Err(ApiError::unprocessable(
                "too_many_pixels",
                format!("图片有 {width}×{height} 像素，最多 4000 万 · The picture has {width}×{height} pixels; at most 40 million"),
            ))
        }
        Err(Refused::Broken(why)) => {
            return Err(ApiError::unprocessable(
                "broken_picture",
                format!("图片已损坏，无法读取 · The picture is damaged and cannot be read ({why})"),
            ))
        }
    };
    let digest: String = Sha256::digest(&picture.bytes)[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("up-{digest}.{}", picture.ext);
    let stored = name.clone();
    let (width, height) = (picture.width, picture.height);
    blocking(&state, move |s| {
        s.insert_media(&stored, picture.content_type, &picture.bytes)
    })
    .await?;
    let path = format!("/media/{name}");
    let url = format!("{}{path}", state.public);
    Ok((
        StatusCode::CREATED,
        Json(json!({"path": path, "url": url, "width": width, "height": height})),
    )
        .into_response())
}

/// `GET /studio/link?url=…`: what the link rules make of a pasted link, as
/// the creator types: the store and canonical page, or why it is refused.
pub async fn check_link(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let link = query.get("url").map_or("", String::as_str);
    Json(match canonicalize(link, &UrlCrate, &state.registry) {
        Ok(c) => {
            let rule = state.registry.rule(c.partner);
            json!({
                "ok": true,
                "store": format!("{} · {}", rule.name(Locale::ZhCn), rule.name(Locale::En)),
                "item": c.item_id,
                "canonical": c.url,
            })
        }
        Err(e) => {
            json!({"ok": false, "reason": e.reason(), "message": link_refusal(e, &state.registry)})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{app_and_store, form, request, send, signed_in};

    /// A real (tiny) PNG.
    fn png() -> Vec<u8> {
        crate::picture::tests::encoded(image::ImageFormat::Png, 4, 4)
    }

    #[tokio::test]
    async fn a_creator_publishes_edits_and_unpublishes_and_nobody_else_can() {
        let (app, store) = app_and_store();
        let (status, headers, _) = send(&app, "GET", "/studio", &[], None).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/signin?next=%2Fstudio");

        let (reader, _) = signed_in(&store, "rd_xiaowang");
        let (status, _, page) = send(&app, "GET", "/studio", &[("cookie", &reader)], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("Not a creator's account"), "{page}");

        let (lin, csrf) = signed_in(&store, "rd_lin");
        let own = [("cookie", lin.as_str()), ("sec-fetch-site", "same-origin")];
        let (status, headers, page) = send(&app, "GET", "/studio", &own, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-security-policy"], crate::routes::PAGE_CSP);
        assert!(page.contains("手作粗陶马克杯") && !page.contains("Mechanical Keyboard"));

        // Pictures: by their bytes, with the session's token, at most 2 MB.
        let upload = |headers: Vec<(&'static str, String)>, bytes: Vec<u8>| {
            let app = app.clone();
            async move {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                request(
                    &app,
                    "POST",
                    "/studio/media",
                    &headers,
                    Some(("image/jpeg", bytes)),
                )
                .await
            }
        };
        let with = |csrf: &str| {
            vec![
                ("cookie", lin.clone()),
                ("sec-fetch-site", "same-origin".to_owned()),
                ("x-csrf-token", csrf.to_owned()),
            ]
        };
        let (status, _, body) = upload(with(&csrf), b"hello, I am photo.jpg".to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        assert!(body.contains("not_a_picture"));
        let (status, _, _) = upload(with("0"), png()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "no upload without the token");
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PICTURE_BYTES + 1, 0);
        let (status, _, _) = upload(with(&csrf), big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // What is kept is the picture drawn again: no EXIF, no GPS, nothing after it.
        let mut photo = crate::picture::tests::phone_photo();
        photo.extend_from_slice(b"<script>alert(1)</script>");
        let (status, _, body) = upload(with(&csrf), photo).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let kept: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (kept["width"].as_u64(), kept["height"].as_u64()),
            (Some(20), Some(40))
        );
        let (_, headers, stored) =
            send(&app, "GET", kept["path"].as_str().unwrap(), &[], None).await;
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(
            !stored.contains("GPSLatitude")
                && !stored.contains("Exif")
                && !stored.contains("<script")
        );
        let mut bomb = crate::picture::tests::encoded(image::ImageFormat::Gif, 8, 8);
        bomb[6..10].copy_from_slice(&[0xFF; 4]);
        let (status, _, body) = upload(with(&csrf), bomb).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body.contains("too_many_pixels") && body.contains("65535×65535"),
            "{body}"
        );
        let (status, _, body) = upload(with(&csrf), png()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let picture: Value = serde_json::from_str(&body).unwrap();
        let path = picture["path"].as_str().unwrap().to_owned();
        let (status, headers, _) = send(&app, "GET", &path, &[], None).await;
        assert_eq!(
            (status, &headers["content-type"]),
            (
                StatusCode::OK,
                &axum::http::HeaderValue::from_static("image/png")
            )
        );

        let draft = |link: &str, title: &str| {
            form(&[
                ("csrf", &csrf),
                ("link", link),
                ("title", title),
                ("image", &path),
                ("reason", "每天都在用。"),
                ("price", "159"),
                ("original_price", ""),
                ("currency", "CNY"),
                ("stock", "12"),
            ])
        };
        let refused = draft(
            "https://item.taobao.com.evil.example/item.htm?id=1",
            "手冲壶",
        );
        let (status, _, page) = send(&app, "POST", "/studio/items", &own, Some(&refused)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("This is not a store the platform works with"),
            "{page}"
        );
        assert!(
            page.contains(r#"id="link-error""#) && page.contains("手冲壶"),
            "the draft is kept"
        );

        let good = draft(
            "https://item.taobao.com/item.htm?spm=a1&id=681234567890",
            "手冲壶",
        );
        let cross_site = [("cookie", lin.as_str()), ("sec-fetch-site", "cross-site")];
        let (status, _, _) = send(&app, "POST", "/studio/items", &cross_site, Some(&good)).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "another site cannot publish as her"
        );
        let (status, headers, _) = send(&app, "POST", "/studio/items", &own, Some(&good)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = headers["location"].to_str().unwrap().to_owned();
        let id = location
            .strip_prefix("/studio/items/")
            .and_then(|l| l.strip_suffix("?saved"))
            .unwrap()
            .to_owned();
        let served = format!("/v1/items/{id}");
        let (status, _, item) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::OK);
        let item: Value = serde_json::from_str(&item).unwrap();
        assert_eq!(
            item["store"]["url"],
            "https://item.taobao.com/item.htm?id=681234567890"
        );
        assert_eq!(item["image"], format!("http://127.0.0.1:9999{path}"));
        assert_eq!(item["creator"]["id"], "cr_linxiaoman");
        let (_, _, page) = send(&app, "GET", &location, &own, None).await;
        assert!(
            page.contains(&format!("&lt;vitrine-card item=&quot;{id}&quot;&gt;")),
            "the snippet"
        );

        // Maya can neither see, edit nor unpublish Lin's pick.
        let (maya, maya_csrf) = signed_in(&store, "rd_maya");
        let hers = [("cookie", maya.as_str()), ("sec-fetch-site", "same-origin")];
        let edit = format!("/studio/items/{id}");
        let (status, _, _) = send(&app, "GET", &edit, &hers, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let takeover =
            draft("https://item.jd.com/100012043978.html", "Mine now").replace(&csrf, &maya_csrf);
        let (status, _, _) = send(&app, "POST", &edit, &hers, Some(&takeover)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let unpublish = format!("{edit}/publish");
        let off = form(&[("csrf", &maya_csrf), ("published", "0")]);
        let (status, _, _) = send(&app, "POST", &unpublish, &hers, Some(&off)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Lin edits it: the API serves the new title at once.
        let edited = draft(
            "https://item.taobao.com/item.htm?id=681234567890",
            "手冲壶 · 升级版",
        );
        let (status, _, _) = send(&app, "POST", &edit, &own, Some(&edited)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, item) = send(&app, "GET", &served, &[], None).await;
        assert!(item.contains("手冲壶 · 升级版"));

        // Unpublished: not served (embeds show the fallback), still hers to edit.
        let off = form(&[("csrf", &csrf), ("published", "0")]);
        let (status, _, _) = send(&app, "POST", &unpublish, &own, Some(&off)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, _, page) = send(&app, "GET", "/studio", &own, None).await;
        assert!(page.contains("未发布 · Unpublished"));
        let on = form(&[("csrf", &csrf), ("published", "1")]);
        send(&app, "POST", &unpublish, &own, Some(&on)).await;
        let (status, _, _) = send(&app, "GET", &served, &[], None).await;
        assert_eq!(status, StatusCode::OK);
    }
}
