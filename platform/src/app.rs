//! The application's shared state, what every handler is given: the store,
//! the `/r/` signing secret, the partner registry, the collector's writer
//! and the live-update channel, the public URL; and the helpers every
//! handler uses (`blocking` for storage calls, `found` for lookups by id).

use crate::catalogue::Catalogue;
use crate::collector::{Collector, Live};
use crate::error::ApiError;
use crate::limits::{Limiters, Limits};
use crate::links::Secret;
use crate::partners::product_of;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use vitrine_core::field::is_id;
use vitrine_core::partner::Registry;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Signs and checks `/r/` links, session CSRF tokens.
    pub secret: Arc<Secret>,
    /// The partners this platform allows: the built-in four and its own.
    pub registry: Arc<Registry>,
    /// The beacon collector's writer.
    pub collector: Collector,
    /// Which creators just got new events (for live dashboards).
    pub live: Live,
    /// Which creator each published item is (what events are checked against).
    pub catalogue: Arc<Catalogue>,
    /// Rates per client and per page view.
    pub limiters: Arc<Limiters>,
    /// Where readers reach the platform, `scheme://host[:port]`: every
    /// absolute URL starts with it, and the platform's own forms come
    /// from it. Configured, never read from a request (its `Host` header
    /// is the client's to write).
    pub public: Arc<str>,
}

impl AppState {
    /// The state for a store: the collector's writer is started here, and
    /// items stored without a product get one.
    pub fn new(store: Arc<dyn Store>, secret: Secret, registry: Registry) -> AppState {
        if let Err(e) = backfill_products(store.as_ref(), &registry) {
            eprintln!("vitrine-platform: could not match stored items to products: {e}");
        }
        let (live, _) = tokio::sync::broadcast::channel(1024);
        let collector = Collector::start(store.clone(), live.clone());
        AppState {
            store,
            secret: Arc::new(secret),
            registry: Arc::new(registry),
            collector,
            live,
            catalogue: Arc::new(Catalogue::default()),
            limiters: Arc::new(Limiters::new(Limits::default())),
            public: Arc::from("http://127.0.0.1:8080"),
        }
    }

    /// The same state reached at `public` (`scheme://host[:port]`).
    pub fn with_public_url(mut self, public: &str) -> AppState {
        self.public = Arc::from(public.trim_end_matches('/'));
        self
    }

    /// The same state with other per-client limits.
    pub fn with_limits(mut self, limits: Limits) -> AppState {
        self.limiters = Arc::new(Limiters::new(limits));
        self
    }
}

/// Gives every item whose product is unknown its product, where the link
/// rules now recognise it: items stored before products were, or before a
/// partner was configured.
fn backfill_products(store: &dyn Store, registry: &Registry) -> Result<(), StoreError> {
    for item in store.items_without_product()? {
        if let Some(key) = product_of(&item.store_url, registry) {
            store.set_product_key(&item.id, &key)?;
        }
    }
    Ok(())
}

/// Runs a storage call off the async executor.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| StoreError(e.to_string()))?
        .map_err(ApiError::from)
}

/// What `find` finds under an id a request named, or `404` with `what` in
/// the reason. An id that is not one (`is_id`) is not looked up at all.
pub async fn found<T: Send + 'static>(
    state: &AppState,
    what: &str,
    id: String,
    find: impl FnOnce(&dyn Store, &str) -> Result<Option<T>, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let reason = format!("no {what} with id {id}");
    let row = if is_id(&id) {
        blocking(state, move |s| find(s, &id)).await?
    } else {
        None
    };
    row.ok_or_else(|| ApiError::not_found(reason))
}

/// The client of a request: its address (behind a trusted proxy, the one
/// it names: `serve.rs`), hashed with the day's salt (`limits::Salts`).
impl axum::extract::FromRequestParts<AppState> for crate::limits::Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<crate::limits::Client, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let salt = state.limiters.salts.today(&state.store).await;
        Ok(crate::limits::Client(crate::limits::client_id(&salt, ip)))
    }
}
