//! The scale configuration's catalogue: [`CatalogueStore`] on PostgreSQL
//! (docs/scale.md), through `tokio-postgres` and a `deadpool-postgres`
//! pool. The trait is synchronous and called from `blocking`'s threads (or
//! a test's), so the store keeps a small runtime of its own that drives
//! its connections, and each method waits for its query there.
//!
//! Not yet chosen by any configuration: `--store scale` comes with the
//! events half (ClickHouse); until then the catalogue contract tests run
//! it against a live PostgreSQL beside the embedded store.
//!
//! Migrations are numbered SQL files (`platform/migrations/postgres/`)
//! compiled in, applied in order, each in its transaction, under a
//! PostgreSQL advisory lock: instances that start together migrate once.

#![cfg_attr(not(test), allow(dead_code))]

use crate::store::Tries;
use crate::store::{
    now_ms, CatalogueStore, ClickRow, CreatorRow, ItemRow, Media, ReaderRow, ReportKeyRow,
    StoreError, StoreResult, Stored, StudioItem,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::future::Future;
use tokio::runtime::Runtime;
use tokio_postgres::{NoTls, Row};
use vitrine_core::traffic::{repeats, Invalid};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_catalogue.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_kept_secrets.sql"),
    ),
];

/// The advisory lock migrations are applied under (any number, the same in
/// every instance: "vitrine" in ASCII).
const MIGRATION_LOCK: i64 = 0x0076_6974_7269_6e65;

/// Most connections one instance keeps.
const POOL_SIZE: usize = 16;

const ITEM_COLUMNS: &str = "id, title, image_path, reason, price_amount, original_amount, currency, stock, store_url, creator_id";

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("postgres: {e}"))
}

/// The catalogue in PostgreSQL.
pub struct PgCatalogue {
    pool: Pool,
    /// Drives the connections (two threads); `Some` until dropped.
    runtime: Option<Runtime>,
}

impl Drop for PgCatalogue {
    /// A runtime may not be dropped where blocking is not allowed (inside
    /// a task): it is let go in the background.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgCatalogue {
    /// Connects to `url` (`postgres://user@host:port/db`), migrating the
    /// database first.
    pub fn open(url: &str) -> StoreResult<PgCatalogue> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vitrine-postgres")
            .enable_all()
            .build()
            .map_err(failed)?;
        let config: tokio_postgres::Config = url.parse().map_err(failed)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(failed)?;
        let store = PgCatalogue {
            pool,
            runtime: Some(runtime),
        };
        store.run(|pool| async move {
            let mut client = pool.get().await.map_err(failed)?;
            migrate(&mut client).await
        })?;
        Ok(store)
    }

    /// Runs `job` with the pool, to its end, on the store's runtime.
    fn run<T, F, Fut>(&self, job: F) -> StoreResult<T>
    where
        T: Send,
        F: FnOnce(Pool) -> Fut + Send,
        Fut: Future<Output = StoreResult<T>>,
    {
        let pool = self.pool.clone();
        let runtime = self.runtime.as_ref().expect("a store not yet dropped");
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(job(pool));
        }
        // Called from within some runtime (a handler's blocking thread, a
        // test's task), where waiting on another runtime is not allowed:
        // waited for from a thread of its own.
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(job(pool)))
                .join()
                .unwrap_or_else(|_| Err(failed("a query panicked")))
        })
    }

    /// One statement's rows.
    fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let statement = client.prepare_cached(sql).await.map_err(failed)?;
            client.query(&statement, params).await.map_err(failed)
        })
    }

    /// One statement's count of rows changed.
    fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<u64> {
        self.run(|pool| async move {
            let client = pool.get().await.map_err(failed)?;
            let statement = client.prepare_cached(sql).await.map_err(failed)?;
            client.execute(&statement, params).await.map_err(failed)
        })
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        read: impl Fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.query(sql, params)?.first().map(read).transpose()
    }
    /// A click through `/r/` at `at_ms` (see [`CatalogueStore::record_click`]).
    pub fn record_click_at(
        &self,
        c: &ClickRow,
        client: [u8; 16],
        at_ms: i64,
    ) -> StoreResult<Option<Stored>> {
        let c = c.clone();
        self.run(|pool| async move {
            let mut conn = pool.get().await.map_err(failed)?;
            let tx = conn.transaction().await.map_err(failed)?;
            // One client's clicks on one item, one at a time: the repeat
            // rule reads what the other instance may be writing.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&c.item_id])
            .await
            .map_err(failed)?;
            let previous: Option<i64> = tx
                .query_one(
                    "SELECT MAX(at_ms) FROM clicks WHERE client = $1 AND item_id = $2 AND invalid IS NULL",
                    &[&&client[..], &c.item_id],
                )
                .await
                .map_err(failed)?
                .try_get(0)
                .map_err(failed)?;
            let invalid = previous
                .filter(|&p| repeats(p, at_ms))
                .map(|_| Invalid::RepeatClick);
            let code = invalid.map(|i| i16::from(i.code()));
            let inserted = tx
                .execute(
                    "INSERT INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms, invalid, client) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (click_id) DO NOTHING",
                    &[&c.click_id, &c.item_id, &c.creator_id, &c.placement_id, &c.source, &at_ms, &code, &&client[..]],
                )
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            Ok((inserted == 1).then_some(Stored::New(invalid)))
        })
    }

    /// A beacon's click, as the events found it: recorded once by click id
    /// (a redirect of it later finds it recorded).
    pub fn record_beacon_click(
        &self,
        c: &ClickRow,
        at_ms: i64,
        invalid: Option<Invalid>,
    ) -> StoreResult<()> {
        let code = invalid.map(|i| i16::from(i.code()));
        self.execute(
            "INSERT INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms, invalid) \
             VALUES ($1, $2, $3, $4, 'beacon', $5, $6) ON CONFLICT (click_id) DO NOTHING",
            &[&c.click_id, &c.item_id, &c.creator_id, &c.placement_id, &at_ms, &code],
        )?;
        Ok(())
    }
}

/// The channel every instance says "these creators have new events" on.
pub const LIVE_CHANNEL: &str = "vitrine_live";

impl PgCatalogue {
    /// Tells every instance listening on [`LIVE_CHANNEL`] (see [`listen`])
    /// that `creators` have new events, from instance `instance`.
    pub fn notify_live(&self, instance: &str, creators: &[String]) -> StoreResult<()> {
        // A notification's payload is at most 8,000 bytes: a long list is
        // sent as "everyone", which makes every dashboard look again.
        let mut payload = format!("{instance}\t{}", creators.join(","));
        if payload.len() > 7_000 {
            payload = format!("{instance}\t*");
        }
        self.execute("SELECT pg_notify($1, $2)", &[&LIVE_CHANNEL, &payload])?;
        Ok(())
    }
}

/// Listens on [`LIVE_CHANNEL`] for the other instances' news and hands it
/// to this instance's live streams (`live`): what makes a dashboard move
/// within a second whichever instance took the event. Runs until the
/// process ends; a lost connection is made again, and since what was said
/// meanwhile is gone, every dashboard is told to look again (`*`).
pub async fn listen(url: String, instance: String, live: crate::collector::Live) {
    use futures_util::StreamExt;
    let mut wait = std::time::Duration::from_millis(200);
    loop {
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let pump = tokio::spawn(async move {
                    while let Some(Ok(message)) = messages.next().await {
                        if let tokio_postgres::AsyncMessage::Notification(n) = message {
                            let _ = tx.send(n.payload().to_owned());
                        }
                    }
                });
                if client
                    .batch_execute(&format!("LISTEN {LIVE_CHANNEL}"))
                    .await
                    .is_ok()
                {
                    wait = std::time::Duration::from_millis(200);
                    let _ = live.send(std::sync::Arc::new(vec!["*".to_owned()]));
                    while let Some(payload) = rx.recv().await {
                        let Some((from, creators)) = payload.split_once('\t') else {
                            continue;
                        };
                        if from != instance {
                            let creators = creators.split(',').map(str::to_owned).collect();
                            let _ = live.send(std::sync::Arc::new(creators));
                        }
                    }
                }
                pump.abort();
                drop(client);
            }
            Err(e) => eprintln!("vitrine-platform: listening for live updates: {e}"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(10));
    }
}

/// Applies the migrations this database lacks, under the advisory lock.
async fn migrate(client: &mut deadpool_postgres::Object) -> StoreResult<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(failed)?;
    let applied = apply(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(failed);
    applied.and(unlocked.map(|_| ()))
}

async fn apply(client: &mut deadpool_postgres::Object) -> StoreResult<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )
        .await
        .map_err(failed)?;
    for (version, sql) in MIGRATIONS {
        let done = client
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await
            .map_err(failed)?;
        if done.is_some() {
            continue;
        }
        let tx = client.transaction().await.map_err(failed)?;
        tx.batch_execute(sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
            &[version, &now_ms()],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
    }
    Ok(())
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(failed)
}

fn item_row(r: &Row) -> StoreResult<ItemRow> {
    Ok(ItemRow {
        id: get(r, 0)?,
        title: get(r, 1)?,
        image_path: get(r, 2)?,
        reason: get(r, 3)?,
        price_amount: get(r, 4)?,
        original_amount: get(r, 5)?,
        currency: get(r, 6)?,
        stock: get::<Option<i64>>(r, 7)?.map(|n| n.max(0) as u64),
        store_url: get(r, 8)?,
        creator_id: get(r, 9)?,
    })
}

fn studio_item_row(r: &Row) -> StoreResult<StudioItem> {
    Ok(StudioItem {
        item: item_row(r)?,
        published: get(r, 10)?,
    })
}

fn reader_row(r: &Row) -> StoreResult<ReaderRow> {
    Ok(ReaderRow {
        id: get(r, 0)?,
        name: get(r, 1)?,
        email: get(r, 2)?,
        password_hash: get(r, 3)?,
    })
}

fn report_key_row(r: &Row) -> StoreResult<ReportKeyRow> {
    Ok(ReportKeyRow {
        id: get(r, 0)?,
        creator_id: get(r, 1)?,
        kind: get(r, 2)?,
        hash: get(r, 3)?,
        hint: get(r, 4)?,
        label: get(r, 5)?,
        created_ms: get(r, 6)?,
    })
}

impl CatalogueStore for PgCatalogue {
    fn item(&self, id: &str) -> StoreResult<Option<ItemRow>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1 AND published");
        self.one(&sql, &[&id], item_row)
    }

    fn items(&self, offset: u64, limit: u64) -> StoreResult<(Vec<ItemRow>, u64)> {
        let total: i64 = self
            .one("SELECT COUNT(*) FROM items WHERE published", &[], |r| {
                get(r, 0)
            })?
            .unwrap_or(0);
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE published ORDER BY seq DESC LIMIT $1 OFFSET $2"
        );
        let rows = self.query(&sql, &[&(limit as i64), &(offset as i64)])?;
        let items = rows.iter().map(item_row).collect::<StoreResult<_>>()?;
        Ok((items, total.max(0) as u64))
    }

    fn creator(&self, id: &str) -> StoreResult<Option<CreatorRow>> {
        let sql = "SELECT id, name, avatar_path, bio, \
                   followers + (SELECT COUNT(*) FROM follows WHERE creator_id = creators.id), verified \
                   FROM creators WHERE id = $1";
        self.one(sql, &[&id], |r| {
            Ok(CreatorRow {
                id: get(r, 0)?,
                name: get(r, 1)?,
                avatar_path: get(r, 2)?,
                bio: get(r, 3)?,
                followers: get::<i64>(r, 4)?.max(0) as u64,
                verified: get(r, 5)?,
            })
        })
    }

    fn media(&self, name: &str) -> StoreResult<Option<Media>> {
        let sql = "SELECT content_type, bytes FROM media WHERE name = $1";
        self.one(sql, &[&name], |r| {
            Ok(Media {
                content_type: get(r, 0)?,
                bytes: get(r, 1)?,
            })
        })
    }

    fn insert_creator(&self, c: &CreatorRow) -> StoreResult<()> {
        self.execute(
            "INSERT INTO creators (id, name, avatar_path, bio, followers, verified) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&c.id, &c.name, &c.avatar_path, &c.bio, &(c.followers as i64), &c.verified],
        )?;
        Ok(())
    }

    fn insert_media(&self, name: &str, content_type: &str, bytes: &[u8]) -> StoreResult<()> {
        self.execute(
            "INSERT INTO media (name, content_type, bytes) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes",
            &[&name, &content_type, &bytes],
        )?;
        Ok(())
    }

    fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = self
            .one(
                "SELECT (SELECT COUNT(*) FROM creators) + (SELECT COUNT(*) FROM items)",
                &[],
                |r| get(r, 0),
            )?
            .unwrap_or(0);
        Ok(n == 0)
    }

    fn record_click(&self, c: &ClickRow, client: [u8; 16]) -> StoreResult<Option<Stored>> {
        self.record_click_at(c, client, now_ms())
    }

    fn click_count(&self, item_id: &str) -> StoreResult<u64> {
        let n: i64 = self
            .one(
                "SELECT COUNT(*) FROM clicks WHERE item_id = $1 AND invalid IS NULL",
                &[&item_id],
                |r| get(r, 0),
            )?
            .unwrap_or(0);
        Ok(n.max(0) as u64)
    }

    fn insert_reader(&self, r: &ReaderRow) -> StoreResult<()> {
        self.execute(
            "INSERT INTO readers (id, name, email, password_hash) VALUES ($1, $2, $3, $4)",
            &[&r.id, &r.name, &r.email, &r.password_hash],
        )?;
        Ok(())
    }

    fn reader_by_email(&self, email: &str) -> StoreResult<Option<ReaderRow>> {
        self.one(
            "SELECT id, name, email, password_hash FROM readers WHERE email = $1",
            &[&email],
            reader_row,
        )
    }

    fn create_session(&self, key: &str, reader_id: &str, expires_at_ms: i64) -> StoreResult<()> {
        self.execute(
            "INSERT INTO sessions (key, reader_id, expires_at_ms) VALUES ($1, $2, $3)",
            &[&key, &reader_id, &expires_at_ms],
        )?;
        Ok(())
    }

    fn session_reader(&self, key: &str, now_ms: i64) -> StoreResult<Option<ReaderRow>> {
        self.one(
            "SELECT r.id, r.name, r.email, r.password_hash FROM sessions s JOIN readers r ON r.id = s.reader_id \
             WHERE s.key = $1 AND s.expires_at_ms > $2",
            &[&key, &now_ms],
            reader_row,
        )
    }

    fn follow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        let n = self.execute(
            "INSERT INTO follows (reader_id, creator_id, at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&reader_id, &creator_id, &now_ms()],
        )?;
        Ok(n == 1)
    }

    fn unfollow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        let n = self.execute(
            "DELETE FROM follows WHERE reader_id = $1 AND creator_id = $2",
            &[&reader_id, &creator_id],
        )?;
        Ok(n == 1)
    }

    fn is_following(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        Ok(self
            .one(
                "SELECT EXISTS (SELECT 1 FROM follows WHERE reader_id = $1 AND creator_id = $2)",
                &[&reader_id, &creator_id],
                |r| get(r, 0),
            )?
            .unwrap_or(false))
    }

    fn end_session(&self, key: &str) -> StoreResult<bool> {
        Ok(self.execute("DELETE FROM sessions WHERE key = $1", &[&key])? == 1)
    }

    fn link_account(&self, reader_id: &str, creator_id: &str) -> StoreResult<()> {
        self.execute(
            "INSERT INTO creator_accounts (reader_id, creator_id) VALUES ($1, $2) \
             ON CONFLICT (reader_id) DO UPDATE SET creator_id = excluded.creator_id",
            &[&reader_id, &creator_id],
        )?;
        Ok(())
    }

    fn account_creator(&self, reader_id: &str) -> StoreResult<Option<CreatorRow>> {
        let id: Option<String> = self.one(
            "SELECT creator_id FROM creator_accounts WHERE reader_id = $1",
            &[&reader_id],
            |r| get(r, 0),
        )?;
        match id {
            Some(id) => self.creator(&id),
            None => Ok(None),
        }
    }

    fn create_report_key(&self, key: &ReportKeyRow) -> StoreResult<bool> {
        let n = self.execute(
            "INSERT INTO report_keys (id, creator_id, kind, hash, hint, label, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &key.id,
                &key.creator_id,
                &key.kind,
                &key.hash,
                &key.hint,
                &key.label,
                &key.created_ms,
            ],
        )?;
        Ok(n == 1)
    }

    fn report_keys(&self, creator_id: &str) -> StoreResult<Vec<ReportKeyRow>> {
        self.query(
            "SELECT id, creator_id, kind, hash, hint, label, created_ms FROM report_keys \
             WHERE creator_id = $1 AND revoked_ms IS NULL ORDER BY created_ms DESC, id",
            &[&creator_id],
        )?
        .iter()
        .map(report_key_row)
        .collect()
    }

    fn report_key(&self, hash: &str) -> StoreResult<Option<ReportKeyRow>> {
        self.one(
            "SELECT id, creator_id, kind, hash, hint, label, created_ms FROM report_keys \
             WHERE hash = $1 AND revoked_ms IS NULL",
            &[&hash],
            report_key_row,
        )
    }

    fn kept_secret(&self, name: &str, fresh: [u8; 32], forget: &str) -> StoreResult<[u8; 32]> {
        let (name, forget) = (name.to_owned(), forget.to_owned());
        let value: Vec<u8> = self.run(|pool| async move {
            let mut conn = pool.get().await.map_err(failed)?;
            let tx = conn.transaction().await.map_err(failed)?;
            let inserted = tx
                .execute(
                    "INSERT INTO kept_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    &[&name, &&fresh[..]],
                )
                .await
                .map_err(failed)?;
            if inserted == 1 && !forget.is_empty() {
                tx.execute(
                    "DELETE FROM kept_secrets WHERE starts_with(name, $1) AND name < $2",
                    &[&forget, &name],
                )
                .await
                .map_err(failed)?;
            }
            let value = tx
                .query_one("SELECT value FROM kept_secrets WHERE name = $1", &[&name])
                .await
                .map_err(failed)?
                .try_get(0)
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            Ok(value)
        })?;
        crate::store::secret_bytes(&value)
    }

    fn update_attempts(
        &self,
        scope: &str,
        key: [u8; 16],
        now_ms: i64,
        change: &mut crate::store::TriesChange<'_>,
    ) -> StoreResult<()> {
        let scope = scope.to_owned();
        self.run(|pool| async move {
            let mut conn = pool.get().await.map_err(failed)?;
            let tx = conn.transaction().await.map_err(failed)?;
            let expired = now_ms - crate::store::FORGET_AFTER_MS;
            tx.execute("DELETE FROM signin_attempts WHERE last_ms < $1", &[&expired])
                .await
                .map_err(failed)?;
            // The row exists (and is locked) before it is read, so two
            // instances' attempts at once are counted one after the other.
            tx.execute(
                "INSERT INTO signin_attempts (scope, key, count, last_ms, blocked_until_ms) \
                 VALUES ($1, $2, -1, 0, 0) ON CONFLICT (scope, key) DO NOTHING",
                &[&scope, &&key[..]],
            )
            .await
            .map_err(failed)?;
            let row = tx
                .query_one(
                    "SELECT count, last_ms, blocked_until_ms FROM signin_attempts \
                     WHERE scope = $1 AND key = $2 FOR UPDATE",
                    &[&scope, &&key[..]],
                )
                .await
                .map_err(failed)?;
            let count: i32 = row.try_get(0).map_err(failed)?;
            let kept = (count >= 0)
                .then(|| -> StoreResult<Tries> {
                    Ok(Tries {
                        count: count as u32,
                        last_ms: row.try_get(1).map_err(failed)?,
                        blocked_until_ms: row.try_get(2).map_err(failed)?,
                    })
                })
                .transpose()?;
            match change(kept) {
                Some(t) => {
                    let count = t.count.min(i32::MAX as u32) as i32;
                    tx.execute(
                        "UPDATE signin_attempts SET count = $3, last_ms = $4, blocked_until_ms = $5 \
                         WHERE scope = $1 AND key = $2",
                        &[&scope, &&key[..], &count, &t.last_ms, &t.blocked_until_ms],
                    )
                    .await
                    .map_err(failed)?
                }
                None => tx
                    .execute(
                        "DELETE FROM signin_attempts WHERE scope = $1 AND key = $2",
                        &[&scope, &&key[..]],
                    )
                    .await
                    .map_err(failed)?,
            };
            tx.commit().await.map_err(failed)
        })
    }

    fn revoke_report_key(&self, creator_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        let n = self.execute(
            "UPDATE report_keys SET revoked_ms = $3 WHERE creator_id = $1 AND id = $2 AND revoked_ms IS NULL",
            &[&creator_id, &id, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn studio_items(&self, creator_id: &str) -> StoreResult<Vec<StudioItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, published FROM items WHERE creator_id = $1 ORDER BY seq DESC"
        );
        self.query(&sql, &[&creator_id])?
            .iter()
            .map(studio_item_row)
            .collect()
    }

    fn studio_item(&self, id: &str) -> StoreResult<Option<StudioItem>> {
        let sql = format!("SELECT {ITEM_COLUMNS}, published FROM items WHERE id = $1");
        self.one(&sql, &[&id], studio_item_row)
    }

    fn save_item(&self, i: &ItemRow, product_key: Option<&str>) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO items ({ITEM_COLUMNS}, product_key, recommended_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, image_path = excluded.image_path, \
             reason = excluded.reason, price_amount = excluded.price_amount, \
             original_amount = excluded.original_amount, currency = excluded.currency, \
             stock = excluded.stock, store_url = excluded.store_url, product_key = excluded.product_key"
        );
        let stock = i.stock.map(|n| n as i64);
        self.execute(
            &sql,
            &[
                &i.id,
                &i.title,
                &i.image_path,
                &i.reason,
                &i.price_amount,
                &i.original_amount,
                &i.currency,
                &stock,
                &i.store_url,
                &i.creator_id,
                &product_key,
                &now_ms(),
            ],
        )?;
        Ok(())
    }

    fn recommendations(&self, product_key: &str) -> StoreResult<Vec<(ItemRow, CreatorRow, i64)>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, recommended_ms FROM items WHERE product_key = $1 AND published"
        );
        let rows = self.query(&sql, &[&product_key])?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let item = item_row(row)?;
            let at: i64 = get(row, 10)?;
            if let Some(creator) = self.creator(&item.creator_id)? {
                out.push((item, creator, at));
            }
        }
        Ok(out)
    }

    fn items_without_product(&self) -> StoreResult<Vec<ItemRow>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE product_key IS NULL");
        self.query(&sql, &[])?.iter().map(item_row).collect()
    }

    fn set_product_key(&self, item_id: &str, product_key: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE items SET product_key = $2 WHERE id = $1",
            &[&item_id, &product_key],
        )?;
        Ok(())
    }

    fn set_published(&self, id: &str, published: bool) -> StoreResult<bool> {
        Ok(self.execute(
            "UPDATE items SET published = $2 WHERE id = $1",
            &[&id, &published],
        )? == 1)
    }
}
