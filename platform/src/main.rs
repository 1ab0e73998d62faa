//! `vitrine-platform`: the reference platform. Serves the item and creator
//! API, the media it stores, the demo pages (`www/`) and the built SDK
//! package (`pkg/`), on an embedded SQLite database that is created and
//! seeded on first start.

mod accounts;
mod app;
mod auth;
mod catalogue;
mod clickhouse;
mod collector;
mod config;
mod dashboard;
mod error;
mod events;
mod html;
mod intent;
mod items;
mod limits;
mod links;
mod media;
mod partners;
mod picture;
mod postgres;
mod profile;
mod proof;
mod redirect;
mod rejections;
mod report;
mod report_access;
mod routes;
mod scale_store;
mod seed;
mod serve;
mod store;
#[cfg(test)]
mod store_contract;
mod studio;
#[cfg(test)]
mod testing;

use std::sync::Arc;

#[tokio::main]
async fn main() {
    let config =
        match config::Config::from_args(std::env::args().skip(1), |k| std::env::var(k).ok()) {
            Ok(c) => c,
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(2);
            }
        };
    if let Err(e) = run(config).await {
        eprintln!("vitrine-platform: {e}");
        std::process::exit(1);
    }
}

/// The store the configuration chose, opened (and seeded on first start),
/// and for the scale store this instance's name in live notifications.
type Opened = (Arc<dyn store::Store>, Option<String>);

fn open_store(config: &config::Config) -> Result<Opened, store::StoreError> {
    let (store, instance): Opened = match &config.store {
        config::StoreChoice::Embedded => (Arc::new(store::SqliteStore::open(&config.data)?), None),
        config::StoreChoice::Scale {
            postgres,
            clickhouse,
        } => {
            let scale = scale_store::ScaleStore::open(postgres, clickhouse)?;
            let instance = scale.instance.clone();
            (Arc::new(scale), Some(instance))
        }
    };
    if seed::seed_if_empty(store.as_ref())? {
        match &config.store {
            config::StoreChoice::Embedded => println!(
                "vitrine-platform: new database in {}, seeded with demo content",
                config.data.display()
            ),
            config::StoreChoice::Scale { .. } => {
                println!("vitrine-platform: new PostgreSQL catalogue, seeded with demo content")
            }
        }
    }
    // The demo creators' report keys still valid, for the README's curl.
    for (creator, key) in seed::DEMO_REPORT_KEYS {
        if store.report_key(&accounts::session_key(key))?.is_some() {
            println!("vitrine-platform: {creator}'s demo report key: Authorization: Bearer {key}");
        }
    }
    Ok((store, instance))
}

async fn run(config: config::Config) -> Result<(), Box<dyn std::error::Error>> {
    // Opening may wait on a server: off the async threads.
    let opened = config.clone();
    let (store, scale_instance) =
        tokio::task::spawn_blocking(move || open_store(&opened)).await??;
    // The data directory holds the partners' file, and the embedded
    // platform's signing secret; the scale configuration's instances share
    // theirs through PostgreSQL (the first to start decides it), so any
    // instance checks any `/r/` link and CSRF token.
    std::fs::create_dir_all(&config.data)?;
    let secret = match &config.store {
        config::StoreChoice::Embedded => links::Secret::load_or_create(&config.data)?,
        config::StoreChoice::Scale { .. } => {
            let fresh = links::Secret::bytes_in_or_fresh(&config.data)?;
            let kept = store.clone();
            let bytes = tokio::task::spawn_blocking(move || kept.kept_secret("signing", fresh, ""))
                .await??;
            links::Secret::from_bytes(bytes)
        }
    };
    let registry = partners::load(&config.data)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let public = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = app::AppState::new(store.clone(), secret, registry)
        .with_limits(limits::Limits::for_events(config.client_events))
        .with_public_url(&public);
    if let (config::StoreChoice::Scale { postgres, .. }, Some(instance)) =
        (&config.store, scale_instance)
    {
        tokio::spawn(postgres::listen(
            postgres.clone(),
            instance,
            state.live.clone(),
        ));
    }
    let app = routes::router(state, &config.www, &config.pkg, config.test_fixtures);
    println!("vitrine-platform: serving on http://{addr}/ (public URL {public})");
    let limits = serve::ServeLimits {
        trusted_proxies: config.trusted_proxies.clone().into(),
        ..serve::ServeLimits::default()
    };
    serve::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
