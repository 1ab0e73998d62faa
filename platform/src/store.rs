//! The platform's storage, behind one trait so that a server engine can
//! replace the embedded database without touching the HTTP layer.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;
use vitrine_core::event::{Event, EventType};

/// A creator as stored. Media are stored as platform paths (`/media/…`) and
/// made absolute when served, so the database does not know its own address.
#[derive(Clone, Debug, PartialEq)]
pub struct CreatorRow {
    pub id: String,
    pub name: String,
    pub avatar_path: String,
    pub bio: String,
    pub followers: u64,
    pub verified: bool,
}

/// A published showcase item as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemRow {
    pub id: String,
    pub title: String,
    pub image_path: String,
    pub reason: String,
    pub price_amount: String,
    pub original_amount: Option<String>,
    pub currency: String,
    pub stock: Option<u64>,
    pub store_url: String,
    pub creator_id: String,
}

/// An item as its creator sees it in the studio.
#[derive(Clone, Debug, PartialEq)]
pub struct StudioItem {
    pub item: ItemRow,
    /// Unpublished items are not served: embeds of them show the fallback.
    pub published: bool,
}

/// A click on a buy link, however it reached us.
#[derive(Clone, Debug, PartialEq)]
pub struct ClickRow {
    pub click_id: String,
    pub item_id: String,
    pub creator_id: String,
    pub placement_id: String,
    /// `redirect` (through `/r/`) or `beacon`.
    pub source: &'static str,
}

/// Which events a report counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportFilter {
    Creator(String),
    Item(String),
    Placement(String),
}

impl ReportFilter {
    fn column(&self) -> (&'static str, &str) {
        match self {
            ReportFilter::Creator(v) => ("creator_id", v),
            ReportFilter::Item(v) => ("item_id", v),
            ReportFilter::Placement(v) => ("placement_id", v),
        }
    }
}

/// What a report breaks its totals down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Item,
    Placement,
}

/// One bucket's counts, by what was counted: `impression`,
/// `viewable_impression`, `click`, `follow_confirmed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketCount {
    pub start_ms: i64,
    pub kind: String,
    pub count: u64,
}

/// A reader's account.
#[derive(Clone, Debug, PartialEq)]
pub struct ReaderRow {
    pub id: String,
    pub name: String,
    pub email: String,
    /// argon2id PHC string; never the password.
    pub password_hash: String,
}

/// A stored file: its content type and bytes.
pub struct Media {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A storage failure; the HTTP layer answers 500 and logs it.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// What the platform needs from storage.
pub trait Store: Send + Sync + 'static {
    fn item(&self, id: &str) -> StoreResult<Option<ItemRow>>;
    /// One page of published items, newest first, and the total count.
    fn items(&self, offset: u64, limit: u64) -> StoreResult<(Vec<ItemRow>, u64)>;
    fn creator(&self, id: &str) -> StoreResult<Option<CreatorRow>>;
    fn media(&self, name: &str) -> StoreResult<Option<Media>>;
    fn insert_creator(&self, creator: &CreatorRow) -> StoreResult<()>;
    fn insert_media(&self, name: &str, content_type: &str, bytes: &[u8]) -> StoreResult<()>;
    /// Whether nothing has been stored yet (first start).
    fn is_empty(&self) -> StoreResult<bool>;
    /// Records a click; `false` when that click id was already recorded
    /// (the same click reported twice is one click).
    fn record_click(&self, click: &ClickRow) -> StoreResult<bool>;
    fn insert_reader(&self, reader: &ReaderRow) -> StoreResult<()>;
    fn reader_by_email(&self, email: &str) -> StoreResult<Option<ReaderRow>>;
    /// Starts a session (`key` is the SHA-256 of the cookie's token).
    fn create_session(&self, key: &str, reader_id: &str, expires_at_ms: i64) -> StoreResult<()>;
    /// The reader of a live session.
    fn session_reader(&self, key: &str, now_ms: i64) -> StoreResult<Option<ReaderRow>>;
    /// Follows; `false` when the reader already followed (idempotent).
    fn follow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool>;
    /// Unfollows; `false` when the reader did not follow.
    fn unfollow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool>;
    fn is_following(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool>;
    /// Ends a session (signing out); `false` when there was none.
    fn end_session(&self, key: &str) -> StoreResult<bool>;
    /// Lets an account act as a creator in the studio.
    fn link_account(&self, reader_id: &str, creator_id: &str) -> StoreResult<()>;
    /// The creator an account acts as, if any.
    fn account_creator(&self, reader_id: &str) -> StoreResult<Option<CreatorRow>>;
    /// A creator's items, published or not, newest first: what the studio lists.
    fn studio_items(&self, creator_id: &str) -> StoreResult<Vec<StudioItem>>;
    /// One item, published or not (the API's [`Store::item`] sees only
    /// published ones).
    fn studio_item(&self, id: &str) -> StoreResult<Option<StudioItem>>;
    /// Stores an item: a new id is added (published, recommended now), a
    /// known one replaced in place, keeping its place in the list, its
    /// published state and when it was first recommended. `product_key` is
    /// the product its link is about (`vitrine_core::proof::product_key`),
    /// `None` for a link no partner claims.
    fn save_item(&self, item: &ItemRow, product_key: Option<&str>) -> StoreResult<()>;
    /// Published items for one product, with their creators and when they
    /// were recommended (ms): the social proof for that product.
    fn recommendations(&self, product_key: &str) -> StoreResult<Vec<(ItemRow, CreatorRow, i64)>>;
    /// Items whose product is not known yet (stored before products were,
    /// or with a link no partner claimed then).
    fn items_without_product(&self) -> StoreResult<Vec<ItemRow>>;
    fn set_product_key(&self, item_id: &str, product_key: &str) -> StoreResult<()>;
    /// Publishes or unpublishes; `false` when there is no such item.
    fn set_published(&self, id: &str, published: bool) -> StoreResult<bool>;
    /// Stores events in one transaction: `true` for each one new, `false`
    /// for one already stored (same id). A `click` also records its click
    /// (the same click a `/r/` redirect records, counted once).
    fn insert_events(&self, events: &[Event]) -> StoreResult<Vec<bool>>;
    /// Counts for a report, per `bucket_ms` bucket in `[from_ms, to_ms)`.
    /// Clicks come from the clicks table (a redirect and a beacon of the same
    /// click are one row); the rest from events.
    fn report(
        &self,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>>;
    /// Counts per item or per placement (`by` is `item_id` or
    /// `placement_id`) in `[from_ms, to_ms)`: (key, kind, count).
    fn report_groups(
        &self,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>>;
    /// How many events of `kind` an item has. (Read by tests until the live
    /// report reads it too.)
    #[cfg_attr(not(test), allow(dead_code))]
    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64>;
    /// How many clicks an item has had. (Read by tests until the live report
    /// reads it too.)
    #[cfg_attr(not(test), allow(dead_code))]
    fn click_count(&self, item_id: &str) -> StoreResult<u64>;
}

/// The embedded store: one SQLite file in WAL mode.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL; -- an acknowledged event survives a power cut
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS creators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    avatar_path TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    followers INTEGER NOT NULL DEFAULT 0,
    verified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    image_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    price_amount TEXT NOT NULL,
    original_amount TEXT,
    currency TEXT NOT NULL,
    stock INTEGER,
    store_url TEXT NOT NULL,
    creator_id TEXT NOT NULL REFERENCES creators(id),
    published INTEGER NOT NULL DEFAULT 1,
    product_key TEXT,
    recommended_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS clicks (
    click_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    source TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clicks_by_item ON clicks(item_id);
CREATE TABLE IF NOT EXISTS readers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    reader_id TEXT NOT NULL REFERENCES readers(id),
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS follows (
    reader_id TEXT NOT NULL REFERENCES readers(id),
    creator_id TEXT NOT NULL REFERENCES creators(id),
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (reader_id, creator_id)
);
CREATE INDEX IF NOT EXISTS follows_by_creator ON follows(creator_id);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    item_id TEXT,
    creator_id TEXT,
    placement_id TEXT NOT NULL,
    page TEXT NOT NULL,
    ts INTEGER NOT NULL,
    sdk TEXT NOT NULL,
    view_id TEXT NOT NULL,
    click_id TEXT,
    reason TEXT,
    count INTEGER,
    received_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_item ON events(item_id, type, ts);
CREATE INDEX IF NOT EXISTS events_by_creator ON events(creator_id, type, ts);
-- Accounts that act as a creator in the studio.
CREATE TABLE IF NOT EXISTS creator_accounts (
    reader_id TEXT PRIMARY KEY REFERENCES readers(id),
    creator_id TEXT NOT NULL REFERENCES creators(id)
);
CREATE TABLE IF NOT EXISTS media (
    name TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL
);
";

/// The event types reports count (clicks come from the clicks table).
const COUNTED: &str = "('impression', 'viewable_impression', 'follow_confirmed', \
    'proof_impression', 'proof_viewable_impression', 'proof_expand', 'creator_click')";

const ITEM_COLUMNS: &str = "id, title, image_path, reason, price_amount, original_amount, currency, stock, store_url, creator_id";

fn reader_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReaderRow> {
    Ok(ReaderRow {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        password_hash: r.get(3)?,
    })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        title: r.get(1)?,
        image_path: r.get(2)?,
        reason: r.get(3)?,
        price_amount: r.get(4)?,
        original_amount: r.get(5)?,
        currency: r.get(6)?,
        stock: r.get::<_, Option<i64>>(7)?.map(|n| n.max(0) as u64),
        store_url: r.get(8)?,
        creator_id: r.get(9)?,
    })
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/vitrine.db`.
    pub fn open(dir: &Path) -> StoreResult<SqliteStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("vitrine.db"))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (statements are atomic), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn item(&self, id: &str) -> StoreResult<Option<ItemRow>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1 AND published = 1");
        Ok(self.conn().query_row(&sql, [id], item_row).optional()?)
    }

    fn items(&self, offset: u64, limit: u64) -> StoreResult<(Vec<ItemRow>, u64)> {
        let conn = self.conn();
        let total: i64 =
            conn.query_row("SELECT COUNT(*) FROM items WHERE published = 1", [], |r| {
                r.get(0)
            })?;
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE published = 1 ORDER BY seq DESC LIMIT ?1 OFFSET ?2");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], item_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((rows, total.max(0) as u64))
    }

    fn creator(&self, id: &str) -> StoreResult<Option<CreatorRow>> {
        let sql =
            "SELECT id, name, avatar_path, bio, \
                   followers + (SELECT COUNT(*) FROM follows WHERE creator_id = creators.id), verified \
                   FROM creators WHERE id = ?1";
        Ok(self
            .conn()
            .query_row(sql, [id], |r| {
                Ok(CreatorRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    avatar_path: r.get(2)?,
                    bio: r.get(3)?,
                    followers: r.get::<_, i64>(4)?.max(0) as u64,
                    verified: r.get(5)?,
                })
            })
            .optional()?)
    }

    fn media(&self, name: &str) -> StoreResult<Option<Media>> {
        let sql = "SELECT content_type, bytes FROM media WHERE name = ?1";
        Ok(self
            .conn()
            .query_row(sql, [name], |r| {
                Ok(Media {
                    content_type: r.get(0)?,
                    bytes: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn insert_creator(&self, c: &CreatorRow) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO creators (id, name, avatar_path, bio, followers, verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.id, c.name, c.avatar_path, c.bio, c.followers as i64, c.verified],
        )?;
        Ok(())
    }

    fn insert_media(&self, name: &str, content_type: &str, bytes: &[u8]) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO media (name, content_type, bytes) VALUES (?1, ?2, ?3)",
            params![name, content_type, bytes],
        )?;
        Ok(())
    }

    fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = self.conn().query_row(
            "SELECT (SELECT COUNT(*) FROM creators) + (SELECT COUNT(*) FROM items)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn record_click(&self, c: &ClickRow) -> StoreResult<bool> {
        let at_ms = now_ms();
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.click_id, c.item_id, c.creator_id, c.placement_id, c.source, at_ms],
        )?;
        Ok(inserted == 1)
    }

    fn click_count(&self, item_id: &str) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM clicks WHERE item_id = ?1",
            [item_id],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    fn insert_events(&self, events: &[Event]) -> StoreResult<Vec<bool>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let received = now_ms();
        let mut fresh = Vec::with_capacity(events.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, type, item_id, creator_id, placement_id, page, ts, sdk, view_id, click_id, reason, count, received_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut click = tx.prepare_cached(
                "INSERT OR IGNORE INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms) VALUES (?1, ?2, ?3, ?4, 'beacon', ?5)",
            )?;
            for e in events {
                let new = insert.execute(params![
                    e.id,
                    e.kind.name(),
                    e.item_id,
                    e.creator_id,
                    e.placement_id,
                    e.page,
                    e.ts as i64,
                    e.sdk,
                    e.view_id,
                    e.click_id,
                    e.reason,
                    e.count.map(|n| n as i64),
                    received
                ])? == 1;
                if let (true, EventType::Click, Some(c), Some(item), Some(creator)) =
                    (new, e.kind, &e.click_id, &e.item_id, &e.creator_id)
                {
                    click.execute(params![c, item, creator, e.placement_id, e.ts as i64])?;
                }
                fresh.push(new);
            }
        }
        // Committed (and, with synchronous = FULL, on disk) before anyone is
        // told the events were accepted.
        tx.commit()?;
        Ok(fresh)
    }

    fn report(
        &self,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>> {
        let (column, value) = filter.column();
        // The column name comes from the enum above, never from a request.
        let sql = format!(
            "SELECT (ts / ?4) * ?4 AS start, type, COUNT(*) FROM events \
               WHERE {column} = ?1 AND ts >= ?2 AND ts < ?3 AND type IN {COUNTED} \
               GROUP BY start, type \
             UNION ALL \
             SELECT (at_ms / ?4) * ?4 AS start, 'click', COUNT(*) FROM clicks \
               WHERE {column} = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY start \
             ORDER BY start"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![value, from_ms, to_ms, bucket_ms], |r| {
            Ok(BucketCount {
                start_ms: r.get(0)?,
                kind: r.get(1)?,
                count: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn report_groups(
        &self,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let (column, value) = filter.column();
        // Both column names come from enums, never from a request.
        let group = match by {
            GroupBy::Item => "item_id",
            GroupBy::Placement => "placement_id",
        };
        let sql = format!(
            "SELECT {group}, type, COUNT(*) FROM events \
               WHERE {column} = ?1 AND ts >= ?2 AND ts < ?3 AND {group} IS NOT NULL \
               AND type IN {COUNTED} GROUP BY {group}, type \
             UNION ALL \
             SELECT {group}, 'click', COUNT(*) FROM clicks WHERE {column} = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY {group}"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![value, from_ms, to_ms], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM events WHERE item_id = ?1 AND type = ?2",
            params![item_id, kind.name()],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    fn insert_reader(&self, r: &ReaderRow) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO readers (id, name, email, password_hash) VALUES (?1, ?2, ?3, ?4)",
            params![r.id, r.name, r.email, r.password_hash],
        )?;
        Ok(())
    }

    fn reader_by_email(&self, email: &str) -> StoreResult<Option<ReaderRow>> {
        let sql = "SELECT id, name, email, password_hash FROM readers WHERE email = ?1";
        Ok(self.conn().query_row(sql, [email], reader_row).optional()?)
    }

    fn create_session(&self, key: &str, reader_id: &str, expires_at_ms: i64) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO sessions (key, reader_id, expires_at_ms) VALUES (?1, ?2, ?3)",
            params![key, reader_id, expires_at_ms],
        )?;
        Ok(())
    }

    fn session_reader(&self, key: &str, now_ms: i64) -> StoreResult<Option<ReaderRow>> {
        let sql = "SELECT r.id, r.name, r.email, r.password_hash FROM sessions s JOIN readers r ON r.id = s.reader_id \
                   WHERE s.key = ?1 AND s.expires_at_ms > ?2";
        Ok(self
            .conn()
            .query_row(sql, params![key, now_ms], reader_row)
            .optional()?)
    }

    fn follow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO follows (reader_id, creator_id, at_ms) VALUES (?1, ?2, ?3)",
            params![reader_id, creator_id, now_ms()],
        )?;
        Ok(n == 1)
    }

    fn unfollow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        let n = self.conn().execute(
            "DELETE FROM follows WHERE reader_id = ?1 AND creator_id = ?2",
            params![reader_id, creator_id],
        )?;
        Ok(n == 1)
    }

    fn is_following(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM follows WHERE reader_id = ?1 AND creator_id = ?2)";
        Ok(self
            .conn()
            .query_row(sql, params![reader_id, creator_id], |r| r.get(0))?)
    }

    fn end_session(&self, key: &str) -> StoreResult<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM sessions WHERE key = ?1", [key])?;
        Ok(n == 1)
    }

    fn link_account(&self, reader_id: &str, creator_id: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO creator_accounts (reader_id, creator_id) VALUES (?1, ?2)",
            params![reader_id, creator_id],
        )?;
        Ok(())
    }

    fn account_creator(&self, reader_id: &str) -> StoreResult<Option<CreatorRow>> {
        let id: Option<String> = self
            .conn()
            .query_row(
                "SELECT creator_id FROM creator_accounts WHERE reader_id = ?1",
                [reader_id],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.creator(&id),
            None => Ok(None),
        }
    }

    fn studio_items(&self, creator_id: &str) -> StoreResult<Vec<StudioItem>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, published FROM items WHERE creator_id = ?1 ORDER BY seq DESC"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map([creator_id], studio_item_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn studio_item(&self, id: &str) -> StoreResult<Option<StudioItem>> {
        let sql = format!("SELECT {ITEM_COLUMNS}, published FROM items WHERE id = ?1");
        Ok(self
            .conn()
            .query_row(&sql, [id], studio_item_row)
            .optional()?)
    }

    fn save_item(&self, i: &ItemRow, product_key: Option<&str>) -> StoreResult<()> {
        self.conn().execute(
            &format!(
                "INSERT INTO items ({ITEM_COLUMNS}, product_key, recommended_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT(id) DO UPDATE SET title = excluded.title, image_path = excluded.image_path, \
                 reason = excluded.reason, price_amount = excluded.price_amount, \
                 original_amount = excluded.original_amount, currency = excluded.currency, \
                 stock = excluded.stock, store_url = excluded.store_url, product_key = excluded.product_key"
            ),
            params![
                i.id,
                i.title,
                i.image_path,
                i.reason,
                i.price_amount,
                i.original_amount,
                i.currency,
                i.stock.map(|n| n as i64),
                i.store_url,
                i.creator_id,
                product_key,
                now_ms()
            ],
        )?;
        Ok(())
    }

    fn recommendations(&self, product_key: &str) -> StoreResult<Vec<(ItemRow, CreatorRow, i64)>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, recommended_ms FROM items WHERE product_key = ?1 AND published = 1"
        );
        let rows = conn
            .prepare(&sql)?
            .query_map([product_key], |r| Ok((item_row(r)?, r.get::<_, i64>(10)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        drop(conn);
        let mut out = Vec::with_capacity(rows.len());
        for (item, at) in rows {
            if let Some(creator) = self.creator(&item.creator_id)? {
                out.push((item, creator, at));
            }
        }
        Ok(out)
    }

    fn items_without_product(&self) -> StoreResult<Vec<ItemRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE product_key IS NULL");
        let rows = conn
            .prepare(&sql)?
            .query_map([], item_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn set_product_key(&self, item_id: &str, product_key: &str) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE items SET product_key = ?2 WHERE id = ?1",
            params![item_id, product_key],
        )?;
        Ok(())
    }

    fn set_published(&self, id: &str, published: bool) -> StoreResult<bool> {
        let n = self.conn().execute(
            "UPDATE items SET published = ?2 WHERE id = ?1",
            params![id, published],
        )?;
        Ok(n == 1)
    }
}

/// Brings a database made by an earlier version up to the current schema.
fn migrate(conn: &Connection) -> StoreResult<()> {
    let columns = conn
        .prepare("SELECT name FROM pragma_table_info('items')")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if !columns.iter().any(|c| c == "product_key") {
        conn.execute_batch(
            "ALTER TABLE items ADD COLUMN product_key TEXT; \
             ALTER TABLE items ADD COLUMN recommended_ms INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS items_by_product ON items(product_key) WHERE published = 1;",
    )?;
    Ok(())
}

fn studio_item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StudioItem> {
    Ok(StudioItem {
        item: item_row(r)?,
        published: r.get(10)?,
    })
}
