//! The platform's storage, behind one trait so that a server engine can
//! replace the embedded database without touching the HTTP layer.

use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use vitrine_core::event::{Event, EventType};
use vitrine_core::traffic::{repeats, Invalid};

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

/// An event the collector accepted, with what the collector already found
/// wrong with it (the store finds the rest: rules
/// that need what was stored before).
#[derive(Clone, Debug)]
pub struct Arrival {
    pub event: Event,
    /// Filtered already (a bot's user agent, a page view over its rate).
    pub invalid: Option<Invalid>,
}

/// What became of an arrival: stored (counted, or filtered and why), or
/// already stored under its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    New(Option<Invalid>),
    Duplicate,
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

/// A key that reads one creator's report (never the key: its hash).
#[derive(Clone, Debug, PartialEq)]
pub struct ReportKeyRow {
    pub id: String,
    pub creator_id: String,
    /// `api` (`Authorization: Bearer`) or `share` (a read-only link).
    pub kind: String,
    /// SHA-256 of the key, hex.
    pub hash: String,
    /// The key's last four characters.
    pub hint: String,
    pub label: String,
    pub created_ms: i64,
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

/// One key's attempts, as kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tries {
    pub count: u32,
    pub last_ms: i64,
    pub blocked_until_ms: i64,
}

/// What [`CatalogueStore::update_attempts`] does to a key's attempts.
pub type TriesChange<'a> = dyn FnMut(Option<Tries>) -> Option<Tries> + Send + 'a;

/// After this long without an attempt, the count starts again (and the
/// store may forget them).
pub const FORGET_AFTER_MS: i64 = 3_600_000;

/// A kept secret's 32 bytes, as stored.
pub fn secret_bytes(value: &[u8]) -> StoreResult<[u8; 32]> {
    value
        .try_into()
        .map_err(|_| StoreError("a kept secret is not 32 bytes".into()))
}

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

/// What the platform needs from storage: its catalogue and its events.
/// The two halves are where a platform that outgrows one machine splits
/// them (docs/scale.md: PostgreSQL and ClickHouse); the embedded store
/// keeps both in one SQLite file.
pub trait Store: CatalogueStore + EventStore {}

impl<T: CatalogueStore + EventStore> Store for T {}

/// What is transactional and read by id: creators, items, media, readers,
/// sessions, follows, report keys, and clicks by click id.
pub trait CatalogueStore: Send + Sync + 'static {
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
    /// Records a click through `/r/` from `client`, once per click id:
    /// `None` if that click id was recorded before, else whether it counts
    /// (a repeat of the same client's click on the item is filtered).
    fn record_click(&self, click: &ClickRow, client: [u8; 16]) -> StoreResult<Option<Stored>>;
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
    /// Stores a report key; `false` when its hash is stored already
    /// (revoked or not: a revoked key never comes back).
    fn create_report_key(&self, key: &ReportKeyRow) -> StoreResult<bool>;
    /// A creator's keys not revoked, newest first.
    fn report_keys(&self, creator_id: &str) -> StoreResult<Vec<ReportKeyRow>>;
    /// The key with this hash, unless revoked.
    fn report_key(&self, hash: &str) -> StoreResult<Option<ReportKeyRow>>;
    /// The 32-byte secret kept under `name`, or `fresh`, kept from now on
    /// if none was (whichever instance asks first decides, and every one
    /// gets the same). Making a new one forgets every secret whose name
    /// starts with `forget` (unless it is empty) and sorts before `name`: a
    /// day's salt replaces the days before (an instance whose clock is
    /// behind cannot take today's away).
    fn kept_secret(&self, name: &str, fresh: [u8; 32], forget: &str) -> StoreResult<[u8; 32]>;
    /// Changes what is kept of `key`'s attempts in `scope` (sign-in
    /// throttles, `limits::Attempts`): `change` gets them (`None`: none
    /// kept) and says what to keep (`None`: forget them), with no other
    /// change to them in between, whichever instance makes it. Attempts
    /// older than `limits::FORGET_AFTER_MS` before `now_ms` may be dropped.
    fn update_attempts(
        &self,
        scope: &str,
        key: [u8; 16],
        now_ms: i64,
        change: &mut TriesChange<'_>,
    ) -> StoreResult<()>;
    /// Revokes one of a creator's keys; `false` when they have no such key.
    fn revoke_report_key(&self, creator_id: &str, id: &str, now_ms: i64) -> StoreResult<bool>;
    /// A creator's items, published or not, newest first: what the studio lists.
    fn studio_items(&self, creator_id: &str) -> StoreResult<Vec<StudioItem>>;
    /// One item, published or not (the API's [`CatalogueStore::item`] sees only
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
    /// How many clicks an item has had, counted. (Read by tests until the
    /// live report reads it too.)
    #[cfg_attr(not(test), allow(dead_code))]
    fn click_count(&self, item_id: &str) -> StoreResult<u64>;
}

/// What is appended and counted by time: events, and the reports read
/// from them.
pub trait EventStore: Send + Sync + 'static {
    /// Tells the platform's other instances that `creators` have new
    /// events (one instance: nobody to tell).
    fn announce(&self, _creators: &[String]) {}

    /// Stores events in one transaction, each with what became of it. The
    /// store filters by the rules that need what it holds (`no_impression`,
    /// `repeat_click`, vitrine_core::traffic). A `click` also records its
    /// click (the same click a `/r/` redirect records, counted once).
    fn insert_events(&self, arrivals: &[Arrival]) -> StoreResult<Vec<Stored>>;
    /// Counts for a report of `creator_id`'s recommendations (all of them,
    /// or one item's or one placement's), per `bucket_ms` bucket in
    /// `[from_ms, to_ms)`.
    /// Clicks come from the clicks table (a redirect and a beacon of the same
    /// click are one row); the rest from events.
    fn report(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>>;
    /// Counts per item or per placement (`by` is `item_id` or
    /// `placement_id`) in `[from_ms, to_ms)`: (key, kind, count).
    fn report_groups(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>>;
    /// Filtered events and clicks in `[from_ms, to_ms)`: (kind, reason, count).
    fn report_filtered(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, Invalid, u64)>>;
    /// How many events of `kind` an item has, counted. (Read by tests until
    /// the live report reads it too.)
    #[cfg_attr(not(test), allow(dead_code))]
    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64>;
}

fn report_key_row(r: &rusqlite::Row) -> rusqlite::Result<ReportKeyRow> {
    Ok(ReportKeyRow {
        id: r.get(0)?,
        creator_id: r.get(1)?,
        kind: r.get(2)?,
        hash: r.get(3)?,
        hint: r.get(4)?,
        label: r.get(5)?,
        created_ms: r.get(6)?,
    })
}

/// The embedded store: one SQLite file in WAL mode.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// `event_texts` ids already stored, by text (taken with `conn` held).
    texts: Mutex<HashMap<String, i64>>,
}

/// How many page and SDK texts the store keeps in memory at most.
const TEXTS_REMEMBERED: usize = 10_000;

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
    at_ms INTEGER NOT NULL,
    invalid INTEGER, -- NULL: counted; else vitrine_core::traffic::Invalid's code
    client BLOB -- the day's salted hash of the client's address (redirects)
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
-- Accounts that act as a creator in the studio.
CREATE TABLE IF NOT EXISTS creator_accounts (
    reader_id TEXT PRIMARY KEY REFERENCES readers(id),
    creator_id TEXT NOT NULL REFERENCES creators(id)
);
-- Keys that read one creator's report: API keys (`Authorization: Bearer`)
-- and read-only share links. Only a key's SHA-256 is kept.
CREATE TABLE IF NOT EXISTS report_keys (
    id TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL REFERENCES creators(id),
    kind TEXT NOT NULL, -- 'api' or 'share'
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL, -- the key's last four characters, to tell keys apart
    label TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);
-- Secrets kept for the platform (CatalogueStore::kept_secret): each day's
-- salt for client hashes, so a restart keeps the day's clients apart.
CREATE TABLE IF NOT EXISTS kept_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
-- Sign-in attempts by account and by client (hashes), for the throttle.
CREATE TABLE IF NOT EXISTS signin_attempts (
    scope TEXT NOT NULL,
    key BLOB NOT NULL,
    count INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    blocked_until_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS signin_attempts_by_age ON signin_attempts (last_ms);
CREATE TABLE IF NOT EXISTS media (
    name TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL
);
";

const EVENTS_TABLE: &str = "
-- Texts events repeat (pages, SDK versions), stored once each.
CREATE TABLE IF NOT EXISTS event_texts (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
-- One row per event, kept small: ids as their 16 bytes, the type as its
-- code (`type_code`), the page and SDK version by reference.
CREATE TABLE IF NOT EXISTS events (
    id BLOB PRIMARY KEY,
    type INTEGER NOT NULL,
    item_id TEXT,
    creator_id TEXT,
    placement_id TEXT NOT NULL,
    page INTEGER NOT NULL REFERENCES event_texts(id),
    ts INTEGER NOT NULL,
    sdk INTEGER NOT NULL REFERENCES event_texts(id),
    view_id BLOB NOT NULL,
    click_id TEXT,
    reason TEXT,
    count INTEGER,
    received_ms INTEGER NOT NULL,
    invalid INTEGER -- NULL: counted; else vitrine_core::traffic::Invalid's code
);
";

const EVENT_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS events_by_item ON events(item_id, type, ts);
CREATE INDEX IF NOT EXISTS events_by_creator ON events(creator_id, type, ts);
-- What the invalid-traffic rules look up: a page view's impressions,
-- clicks and proof impressions of an item (codes 0, 2 and 7; a test pins
-- them and that the lookups use these indexes). One partial index a type:
-- SQLite uses a partial index only when the query names its very term.
DROP INDEX IF EXISTS events_by_view;
-- (Impressions are half of all events: their index keeps the page view only;
-- a page view has few rows to tell the item apart from.)
CREATE INDEX IF NOT EXISTS impressions_by_view ON events(view_id) WHERE type = 0;
CREATE INDEX IF NOT EXISTS clicks_by_view ON events(view_id, item_id, ts) WHERE type = 2;
CREATE INDEX IF NOT EXISTS proof_impressions_by_view ON events(view_id, item_id) WHERE type = 7;
CREATE INDEX IF NOT EXISTS clicks_by_client ON clicks(client, item_id, at_ms) WHERE client IS NOT NULL;
";

/// The event types reports count (clicks come from the clicks table).
const COUNTED: [EventType; 7] = [
    EventType::Impression,
    EventType::ViewableImpression,
    EventType::FollowConfirmed,
    EventType::ProofImpression,
    EventType::ProofViewableImpression,
    EventType::ProofExpand,
    EventType::CreatorClick,
];

/// How a type is stored: its place in [`EventType::ALL`] (which only ever
/// grows at the end, so stored codes keep their meaning).
pub(crate) fn type_code(kind: EventType) -> i64 {
    EventType::ALL
        .iter()
        .position(|&t| t == kind)
        .unwrap_or(usize::MAX) as i64
}

/// The wire name of a stored type code (`unknown` for none: a newer
/// platform's type read by an older one).
pub(crate) fn type_name(code: i64) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| EventType::ALL.get(i))
        .map_or("unknown", |t| t.name())
}

/// `(0, 1, …)`: the codes of the counted types, for SQL (numbers only).
pub(crate) fn counted_codes() -> String {
    let codes: Vec<String> = COUNTED.iter().map(|&t| type_code(t).to_string()).collect();
    format!("({})", codes.join(", "))
}

/// The impression an event of `kind` must follow in its page view (the
/// `no_impression` rule), if it must follow one.
pub(crate) fn needs_impression(kind: EventType) -> Option<EventType> {
    match kind {
        EventType::Click | EventType::ViewableImpression => Some(EventType::Impression),
        EventType::ProofViewableImpression => Some(EventType::ProofImpression),
        _ => None,
    }
}

/// The rule a stored `invalid` code names; a code a newer platform stored
/// is still filtered, named as the nearest rule this one knows.
pub(crate) fn stored_reason(code: i64) -> Invalid {
    u8::try_from(code)
        .ok()
        .and_then(Invalid::from_code)
        .unwrap_or(Invalid::Bot)
}

/// A 32-hex-digit id (the core checked it) as its 16 bytes.
fn id_bytes(hex: &str) -> StoreResult<Vec<u8>> {
    crate::links::hex_bytes(hex).ok_or_else(|| StoreError(format!("{hex:?} is not a hex id")))
}

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

/// Makes `path` readable and writable by its owner only (`0600`), creating
/// it empty if needed: the database holds readers' emails and password
/// hashes. SQLite gives its `-wal` and `-shm` files the database file's
/// mode, so they are covered too.
fn owner_only(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail = |e: std::io::Error| StoreError(format!("cannot secure {}: {e}", path.display()));
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    // A database made by an earlier version, with the umask's mode.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/vitrine.db`, owner-only.
    pub fn open(dir: &Path) -> StoreResult<SqliteStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("vitrine.db");
        owner_only(&path)?;
        let conn = Connection::open(&path)?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(EVENTS_TABLE)?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            texts: Mutex::new(HashMap::new()),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (statements are atomic), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CatalogueStore for SqliteStore {
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

    fn record_click(&self, c: &ClickRow, client: [u8; 16]) -> StoreResult<Option<Stored>> {
        let at_ms = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let previous: Option<i64> = tx.query_row(
            "SELECT MAX(at_ms) FROM clicks WHERE client = ?1 AND item_id = ?2 AND invalid IS NULL",
            params![&client[..], c.item_id],
            |r| r.get(0),
        )?;
        let invalid = previous
            .filter(|&p| repeats(p, at_ms))
            .map(|_| Invalid::RepeatClick);
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms, invalid, client) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![c.click_id, c.item_id, c.creator_id, c.placement_id, c.source, at_ms, invalid.map(Invalid::code), &client[..]],
        )?;
        tx.commit()?;
        Ok((inserted == 1).then_some(Stored::New(invalid)))
    }

    fn click_count(&self, item_id: &str) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM clicks WHERE item_id = ?1 AND invalid IS NULL",
            [item_id],
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

    fn create_report_key(&self, key: &ReportKeyRow) -> StoreResult<bool> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO report_keys (id, creator_id, kind, hash, hint, label, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![key.id, key.creator_id, key.kind, key.hash, key.hint, key.label, key.created_ms],
        )?;
        Ok(n == 1)
    }

    fn report_keys(&self, creator_id: &str) -> StoreResult<Vec<ReportKeyRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, creator_id, kind, hash, hint, label, created_ms FROM report_keys \
             WHERE creator_id = ?1 AND revoked_ms IS NULL ORDER BY created_ms DESC, id",
        )?;
        let rows = stmt.query_map([creator_id], report_key_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn report_key(&self, hash: &str) -> StoreResult<Option<ReportKeyRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, creator_id, kind, hash, hint, label, created_ms FROM report_keys \
                 WHERE hash = ?1 AND revoked_ms IS NULL",
                [hash],
                report_key_row,
            )
            .optional()?)
    }

    fn kept_secret(&self, name: &str, fresh: [u8; 32], forget: &str) -> StoreResult<[u8; 32]> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO kept_secrets (name, value) VALUES (?1, ?2)",
            rusqlite::params![name, &fresh[..]],
        )?;
        if inserted == 1 && !forget.is_empty() {
            tx.execute(
                "DELETE FROM kept_secrets WHERE substr(name, 1, length(?1)) = ?1 AND name < ?2",
                [forget, name],
            )?;
        }
        let value: Vec<u8> = tx.query_row(
            "SELECT value FROM kept_secrets WHERE name = ?1",
            [name],
            |row| row.get(0),
        )?;
        tx.commit()?;
        secret_bytes(&value)
    }

    fn update_attempts(
        &self,
        scope: &str,
        key: [u8; 16],
        now_ms: i64,
        change: &mut TriesChange<'_>,
    ) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM signin_attempts WHERE last_ms < ?1",
            [now_ms - FORGET_AFTER_MS],
        )?;
        let kept = tx
            .query_row(
                "SELECT count, last_ms, blocked_until_ms FROM signin_attempts WHERE scope = ?1 AND key = ?2",
                rusqlite::params![scope, &key[..]],
                |r| {
                    Ok(Tries {
                        count: r.get(0)?,
                        last_ms: r.get(1)?,
                        blocked_until_ms: r.get(2)?,
                    })
                },
            )
            .optional()?;
        match change(kept) {
            Some(t) => tx.execute(
                "INSERT INTO signin_attempts (scope, key, count, last_ms, blocked_until_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (scope, key) DO UPDATE SET count = ?3, last_ms = ?4, blocked_until_ms = ?5",
                rusqlite::params![scope, &key[..], t.count, t.last_ms, t.blocked_until_ms],
            )?,
            None => tx.execute(
                "DELETE FROM signin_attempts WHERE scope = ?1 AND key = ?2",
                rusqlite::params![scope, &key[..]],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    fn revoke_report_key(&self, creator_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        let n = self.conn().execute(
            "UPDATE report_keys SET revoked_ms = ?3 \
             WHERE creator_id = ?1 AND id = ?2 AND revoked_ms IS NULL",
            params![creator_id, id, now_ms],
        )?;
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

impl EventStore for SqliteStore {
    fn insert_events(&self, arrivals: &[Arrival]) -> StoreResult<Vec<Stored>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let received = now_ms();
        let mut stored = vec![Stored::Duplicate; arrivals.len()];
        let mut texts = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        // Texts first stored by this transaction: known to all only once it commits.
        let mut added: Vec<(String, i64)> = Vec::new();
        {
            let mut find_text = tx.prepare_cached("SELECT id FROM event_texts WHERE text = ?1")?;
            let mut add_text = tx.prepare_cached("INSERT INTO event_texts (text) VALUES (?1)")?;
            let mut text_id = |text: &str| -> StoreResult<i64> {
                if let Some(&id) = texts.get(text) {
                    return Ok(id);
                }
                if let Some(&(_, id)) = added.iter().find(|(t, _)| t == text) {
                    return Ok(id);
                }
                let id = match find_text.query_row([text], |r| r.get(0)).optional()? {
                    Some(id) => id,
                    None => {
                        add_text.execute([text])?;
                        tx.last_insert_rowid()
                    }
                };
                added.push((text.to_owned(), id));
                Ok(id)
            };
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, type, item_id, creator_id, placement_id, page, ts, sdk, view_id, click_id, reason, count, received_ms, invalid) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut click = tx.prepare_cached(
                "INSERT OR IGNORE INTO clicks (click_id, item_id, creator_id, placement_id, source, at_ms, invalid) VALUES (?1, ?2, ?3, ?4, 'beacon', ?5, ?6)",
            )?;
            // Type codes written into the SQL (numbers, from the core's list):
            // SQLite uses a partial index only when the query names its very
            // type, and is told which (the item's index looks cheaper to it,
            // but a hot item has millions of rows).
            let by_view = |kind: EventType, index: &str, rest: &str| {
                format!(
                    "SELECT ts FROM events INDEXED BY {index} WHERE view_id = ?1 AND item_id = ?2 AND type = {}{rest}",
                    type_code(kind)
                )
            };
            let mut seen_impression = tx.prepare_cached(&by_view(
                EventType::Impression,
                "impressions_by_view",
                " LIMIT 1",
            ))?;
            let mut seen_proof = tx.prepare_cached(&by_view(
                EventType::ProofImpression,
                "proof_impressions_by_view",
                " LIMIT 1",
            ))?;
            let mut last_click = tx.prepare_cached(&by_view(
                EventType::Click,
                "clicks_by_view",
                " AND invalid IS NULL AND id != ?3 ORDER BY abs(ts - ?4) LIMIT 1",
            ))?;
            // Impressions first, so that a batch holding an impression and
            // what followed it (in any order) finds the impression.
            let (first, then): (Vec<usize>, Vec<usize>) = (0..arrivals.len())
                .partition(|&i| needs_impression(arrivals[i].event.kind).is_none());
            for i in first.into_iter().chain(then) {
                let Arrival {
                    event: e, invalid, ..
                } = &arrivals[i];
                let (id, view) = (id_bytes(&e.id)?, id_bytes(&e.view_id)?);
                let mut invalid = *invalid;
                if let (None, Some(item), Some(impression)) =
                    (invalid, &e.item_id, needs_impression(e.kind))
                {
                    let seen = match impression {
                        EventType::ProofImpression => &mut seen_proof,
                        _ => &mut seen_impression,
                    };
                    if seen
                        .query_row(params![view, item], |_| Ok(()))
                        .optional()?
                        .is_none()
                    {
                        invalid = Some(Invalid::NoImpression);
                    }
                }
                if let (None, EventType::Click, Some(item)) = (invalid, e.kind, &e.item_id) {
                    let nearest: Option<i64> = last_click
                        .query_row(params![view, item, &id, e.ts as i64], |r| r.get(0))
                        .optional()?;
                    if nearest.is_some_and(|p| repeats(p, e.ts as i64)) {
                        invalid = Some(Invalid::RepeatClick);
                    }
                }
                let page = text_id(&e.page)?;
                let sdk = text_id(&e.sdk)?;
                let new = insert.execute(params![
                    id,
                    type_code(e.kind),
                    e.item_id,
                    e.creator_id,
                    e.placement_id,
                    page,
                    e.ts as i64,
                    sdk,
                    view,
                    e.click_id,
                    e.reason,
                    e.count.map(|n| n as i64),
                    received,
                    invalid.map(Invalid::code)
                ])? == 1;
                if let (true, EventType::Click, Some(c), Some(item), Some(creator)) =
                    (new, e.kind, &e.click_id, &e.item_id, &e.creator_id)
                {
                    click.execute(params![
                        c,
                        item,
                        creator,
                        e.placement_id,
                        e.ts as i64,
                        invalid.map(Invalid::code)
                    ])?;
                }
                if new {
                    stored[i] = Stored::New(invalid);
                }
            }
        }
        // Committed (and, with synchronous = FULL, on disk) before anyone is
        // told the events were accepted.
        tx.commit()?;
        // Pages are as many as the sites that embed cards: a bounded memory.
        if texts.len() + added.len() > TEXTS_REMEMBERED {
            texts.clear();
        }
        texts.extend(added);
        Ok(stored)
    }

    fn report(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>> {
        let (column, value) = filter.column();
        let (counted, click) = (counted_codes(), type_code(EventType::Click));
        // The column name comes from the enum above, never from a request.
        let sql = format!(
            "SELECT (ts / ?4) * ?4 AS start, type, COUNT(*) FROM events \
               WHERE creator_id = ?5 AND {column} = ?1 AND ts >= ?2 AND ts < ?3 AND type IN {counted} \
               AND invalid IS NULL GROUP BY start, type \
             UNION ALL \
             SELECT (at_ms / ?4) * ?4 AS start, {click}, COUNT(*) FROM clicks \
               WHERE creator_id = ?5 AND {column} = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND invalid IS NULL \
               GROUP BY start \
             ORDER BY start"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![value, from_ms, to_ms, bucket_ms, creator_id], |r| {
            Ok(BucketCount {
                start_ms: r.get(0)?,
                kind: type_name(r.get(1)?).into(),
                count: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn report_groups(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let (column, value) = filter.column();
        let (counted, click) = (counted_codes(), type_code(EventType::Click));
        // Both column names come from enums, never from a request.
        let group = match by {
            GroupBy::Item => "item_id",
            GroupBy::Placement => "placement_id",
        };
        let sql = format!(
            "SELECT {group}, type, COUNT(*) FROM events \
               WHERE creator_id = ?4 AND {column} = ?1 AND ts >= ?2 AND ts < ?3 AND {group} IS NOT NULL \
               AND type IN {counted} AND invalid IS NULL GROUP BY {group}, type \
             UNION ALL \
             SELECT {group}, {click}, COUNT(*) FROM clicks WHERE creator_id = ?4 AND {column} = ?1 \
               AND at_ms >= ?2 AND at_ms < ?3 AND invalid IS NULL GROUP BY {group}"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![value, from_ms, to_ms, creator_id], |r| {
            Ok((
                r.get(0)?,
                type_name(r.get(1)?).into(),
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn report_filtered(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, Invalid, u64)>> {
        let (column, value) = filter.column();
        let (counted, click) = (counted_codes(), type_code(EventType::Click));
        // The column name comes from the enum, never from a request. Filtered
        // clicks are the clicks table's (a beacon and a redirect of one click
        // are one row there too).
        let sql = format!(
            "SELECT type, invalid, COUNT(*) FROM events \
               WHERE creator_id = ?4 AND {column} = ?1 AND ts >= ?2 AND ts < ?3 AND type IN {counted} \
               AND invalid IS NOT NULL GROUP BY type, invalid \
             UNION ALL \
             SELECT {click}, invalid, COUNT(*) FROM clicks \
               WHERE creator_id = ?4 AND {column} = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND invalid IS NOT NULL \
               GROUP BY invalid"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![value, from_ms, to_ms, creator_id], |r| {
            Ok((
                type_name(r.get(0)?).to_owned(),
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, code, count) = row?;
            out.push((kind, stored_reason(code), count));
        }
        Ok(out)
    }

    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM events WHERE item_id = ?1 AND type = ?2 AND invalid IS NULL",
            params![item_id, type_code(kind)],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }
}

/// Events as the first versions stored them (text ids and types, the page
/// and SDK version in every row, 334 MB per million events) are moved to the
/// compact table, in one transaction.
fn migrate_events(conn: &Connection) -> StoreResult<()> {
    let id_type: String = conn.query_row(
        "SELECT type FROM pragma_table_info('events') WHERE name = 'id'",
        [],
        |r| r.get(0),
    )?;
    if id_type != "TEXT" {
        return Ok(());
    }
    let types: String = EventType::ALL
        .iter()
        .map(|&t| format!("WHEN '{}' THEN {} ", t.name(), type_code(t)))
        .collect();
    conn.execute_batch(&format!(
        "BEGIN;
         ALTER TABLE events RENAME TO events_before_compaction;
         DROP INDEX IF EXISTS events_by_item;
         DROP INDEX IF EXISTS events_by_creator;
         {EVENTS_TABLE}
         INSERT OR IGNORE INTO event_texts (text)
           SELECT page FROM events_before_compaction UNION SELECT sdk FROM events_before_compaction;
         INSERT OR IGNORE INTO events (id, type, item_id, creator_id, placement_id, page, ts, sdk, view_id, click_id, reason, count, received_ms)
           SELECT unhex(e.id), CASE e.type {types}ELSE -1 END, e.item_id, e.creator_id, e.placement_id,
                  (SELECT id FROM event_texts WHERE text = e.page), e.ts,
                  (SELECT id FROM event_texts WHERE text = e.sdk), unhex(e.view_id),
                  e.click_id, e.reason, e.count, e.received_ms
           FROM events_before_compaction e;
         DROP TABLE events_before_compaction;
         COMMIT;"
    ))?;
    Ok(())
}

/// Brings a database made by an earlier version up to the current schema.
fn migrate(conn: &Connection) -> StoreResult<()> {
    migrate_events(conn)?;
    // Invalid traffic came later: what was stored before counts.
    for (table, added) in [
        ("events", &["invalid INTEGER"][..]),
        ("clicks", &["invalid INTEGER", "client BLOB"][..]),
    ] {
        let columns = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for column in added {
            let name = column.split(' ').next().unwrap_or_default();
            if !columns.iter().any(|c| c == name) {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column};"))?;
            }
        }
    }
    conn.execute_batch(EVENT_INDEXES)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "vitrine-store-{name}-{}",
            crate::links::new_click_id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn event(n: u32, kind: EventType, page: &str) -> Event {
        Event {
            id: format!("{n:032x}"),
            kind,
            item_id: Some("itm_oolong_tea".into()),
            creator_id: Some("cr_chenmo".into()),
            placement_id: "blog.example".into(),
            page: page.into(),
            ts: 1_700_000_000_000 + n as u64,
            sdk: "0.1.0".into(),
            view_id: "ab".repeat(16),
            click_id: (kind == EventType::Click).then(|| format!("{:032x}", n + 1000)),
            reason: None,
            count: None,
        }
    }

    /// The attack: any local account read the database (emails, password
    /// hashes, sessions) when it was made with the umask's 0644.
    #[test]
    fn the_database_and_its_journal_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_dir("modes");
        std::fs::create_dir_all(&dir).unwrap();
        // One an earlier version left readable by all.
        std::fs::write(dir.join("vitrine.db"), b"").unwrap();
        std::fs::set_permissions(
            dir.join("vitrine.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let store = SqliteStore::open(&dir).unwrap();
        crate::seed::seed_if_empty(&store).unwrap();
        for file in ["vitrine.db", "vitrine.db-wal", "vitrine.db-shm"] {
            let meta = std::fs::metadata(dir.join(file));
            let mode = meta.map(|m| m.permissions().mode() & 0o777);
            assert!(
                matches!(mode, Ok(0o600)),
                "{file}: {mode:?} (a missing journal is fine only if WAL is off)"
            );
        }
    }

    /// Events as the collector hands them over, nothing filtered yet.
    fn arrive(events: impl IntoIterator<Item = Event>) -> Vec<Arrival> {
        events
            .into_iter()
            .map(|event| Arrival {
                event,
                invalid: None,
            })
            .collect()
    }

    fn counts(store: &SqliteStore) -> Vec<(String, u64)> {
        let filter = ReportFilter::Item("itm_oolong_tea".into());
        let mut rows: Vec<(String, u64)> = store
            .report("cr_chenmo", &filter, 0, i64::MAX, i64::MAX / 2)
            .unwrap()
            .into_iter()
            .map(|b| (b.kind, b.count))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn stored_type_codes_never_change_meaning() {
        // Codes are positions in EventType::ALL: a reordering would make old
        // rows count as another type.
        let names: Vec<&str> = (0..11).map(type_name).collect();
        assert_eq!(
            names,
            [
                "impression",
                "viewable_impression",
                "click",
                "follow_click",
                "follow_confirmed",
                "render_error",
                "queue_overflow",
                "proof_impression",
                "proof_viewable_impression",
                "proof_expand",
                "creator_click"
            ]
        );
        assert_eq!(type_name(11), "unknown");
        assert_eq!(type_name(-1), "unknown");
        // The partial indexes of the invalid-traffic lookups name their types by code.
        for (index, kind) in [
            ("impressions_by_view", EventType::Impression),
            ("clicks_by_view", EventType::Click),
            ("proof_impressions_by_view", EventType::ProofImpression),
        ] {
            let line = EVENT_INDEXES.lines().find(|l| l.contains(index)).unwrap();
            assert!(
                line.ends_with(&format!("WHERE type = {};", type_code(kind))),
                "{line}"
            );
        }
        assert_eq!(id_bytes("00ff10ab").unwrap(), [0x00, 0xff, 0x10, 0xab]);
    }

    #[test]
    fn the_invalid_traffic_lookups_use_their_indexes() {
        let store = SqliteStore::open(&fresh_dir("plans")).unwrap();
        let conn = store.conn();
        for (kind, index) in [
            (EventType::Impression, "impressions_by_view"),
            (EventType::ProofImpression, "proof_impressions_by_view"),
            (EventType::Click, "clicks_by_view"),
        ] {
            // (INDEXED BY makes a query fail to prepare if the index cannot
            // serve it: this test fails then, not the collector at run time.)
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT ts FROM events INDEXED BY {index} WHERE view_id = ?1 AND item_id = ?2 AND type = {} LIMIT 1",
                type_code(kind)
            );
            let plan: String = conn
                .query_row(&sql, params![vec![0u8; 16], "itm_x"], |r| r.get(3))
                .unwrap();
            assert!(plan.contains(index), "{kind:?}: {plan}");
        }
    }

    #[test]
    fn a_page_and_an_sdk_version_are_stored_once_however_many_events_name_them() {
        let dir = fresh_dir("texts");
        let store = SqliteStore::open(&dir).unwrap();
        let batch: Vec<Event> = (0..50)
            .map(|n| event(n, EventType::Impression, "https://blog.example/tea"))
            .collect();
        assert!(store
            .insert_events(&arrive(batch))
            .unwrap()
            .iter()
            .all(|&new| new == Stored::New(None)));
        store
            .insert_events(&arrive([event(
                50,
                EventType::Impression,
                "https://blog.example/mug",
            )]))
            .unwrap();
        let texts: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM event_texts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(texts, 3, "two pages and one SDK version");
        // A new store on the same file (nothing remembered) finds them again.
        drop(store);
        let store = SqliteStore::open(&dir).unwrap();
        store
            .insert_events(&arrive([event(
                51,
                EventType::Impression,
                "https://blog.example/tea",
            )]))
            .unwrap();
        let (texts, pages): (i64, i64) = store
            .conn()
            .query_row(
                "SELECT (SELECT COUNT(*) FROM event_texts), COUNT(DISTINCT page) FROM events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((texts, pages), (3, 2));
        assert_eq!(counts(&store), [("impression".into(), 52)]);
    }

    #[test]
    fn a_database_of_the_first_versions_keeps_every_event_when_compacted() {
        let dir = fresh_dir("migrate");
        std::fs::create_dir_all(&dir).unwrap();
        {
            // The events table as the first versions made it.
            let conn = Connection::open(dir.join("vitrine.db")).unwrap();
            conn.execute_batch(
                "CREATE TABLE events (id TEXT PRIMARY KEY, type TEXT NOT NULL, item_id TEXT, creator_id TEXT,
                   placement_id TEXT NOT NULL, page TEXT NOT NULL, ts INTEGER NOT NULL, sdk TEXT NOT NULL,
                   view_id TEXT NOT NULL, click_id TEXT, reason TEXT, count INTEGER, received_ms INTEGER NOT NULL);
                 CREATE INDEX events_by_item ON events(item_id, type, ts);
                 CREATE INDEX events_by_creator ON events(creator_id, type, ts);",
            )
            .unwrap();
            for (n, kind, page) in [
                (1, "impression", "https://blog.example/tea"),
                (2, "viewable_impression", "https://blog.example/tea"),
                (3, "follow_confirmed", "https://blog.example/mug"),
                (4, "render_error", "https://blog.example/mug"),
            ] {
                conn.execute(
                    "INSERT INTO events VALUES (?1, ?2, 'itm_oolong_tea', 'cr_chenmo', 'blog.example', ?3, ?4, '0.1.0', ?5, NULL, NULL, NULL, 0)",
                    params![format!("{n:032x}"), kind, page, 1_700_000_000_000i64 + n, "cd".repeat(16)],
                )
                .unwrap();
            }
        }
        let store = SqliteStore::open(&dir).unwrap();
        assert_eq!(
            counts(&store),
            [
                ("follow_confirmed".into(), 1),
                ("impression".into(), 1),
                ("viewable_impression".into(), 1)
            ]
        );
        assert_eq!(
            store
                .event_count("itm_oolong_tea", EventType::RenderError)
                .unwrap(),
            1
        );
        // An event sent again after the move is still the same event.
        let again = event(1, EventType::Impression, "https://blog.example/tea");
        assert_eq!(
            store.insert_events(&arrive([again])).unwrap(),
            [Stored::Duplicate]
        );
        let (id_type, old_tables): (String, i64) = store
            .conn()
            .query_row(
                "SELECT (SELECT type FROM pragma_table_info('events') WHERE name = 'id'),
                        (SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_before_compaction')
                        + 2 - (SELECT COUNT(*) FROM sqlite_master WHERE name IN ('events_by_item', 'events_by_creator'))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (id_type.as_str(), old_tables),
            ("BLOB", 0),
            "the compact table, its indexes, and no old table"
        );
        // Opening it again leaves it as it is.
        drop(store);
        let store = SqliteStore::open(&dir).unwrap();
        assert_eq!(counts(&store).len(), 3);
    }
}
