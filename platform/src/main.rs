//! `vitrine-platform`: the reference platform. Serves the item and creator
//! API, the media it stores, the demo pages (`www/`) and the built SDK
//! package (`pkg/`), on an embedded SQLite database that is created and
//! seeded on first start.

mod accounts;
mod app;
mod auth;
mod catalogue;
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
mod profile;
mod proof;
mod redirect;
mod report;
mod routes;
mod seed;
mod store;
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

async fn run(config: config::Config) -> Result<(), Box<dyn std::error::Error>> {
    let store = store::SqliteStore::open(&config.data)?;
    if seed::seed_if_empty(&store)? {
        println!(
            "vitrine-platform: new database in {}, seeded with demo content",
            config.data.display()
        );
    }
    let secret = links::Secret::load_or_create(&config.data)?;
    let registry = partners::load(&config.data)?;
    let state = app::AppState::new(Arc::new(store), secret, registry)
        .with_limits(limits::Limits::for_events(config.client_events));
    let app = routes::router(state, &config.www, &config.pkg);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    println!("vitrine-platform: serving on http://{addr}/");
    // Each request's client address, hashed with the day's salt for rates.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
