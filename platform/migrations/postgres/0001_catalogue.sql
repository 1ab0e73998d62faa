-- The catalogue, as the scale configuration keeps it (docs/scale.md): what
-- is transactional and read by id. The same tables as the embedded store's
-- (platform/src/store.rs), in PostgreSQL's types.
CREATE TABLE creators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    avatar_path TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    followers BIGINT NOT NULL DEFAULT 0,
    verified BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE items (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    image_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    price_amount TEXT NOT NULL,
    original_amount TEXT,
    currency TEXT NOT NULL,
    stock BIGINT,
    store_url TEXT NOT NULL,
    creator_id TEXT NOT NULL REFERENCES creators(id),
    published BOOLEAN NOT NULL DEFAULT TRUE,
    product_key TEXT,
    recommended_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX items_by_creator ON items (creator_id, seq);
CREATE INDEX items_by_product ON items (product_key) WHERE published;
CREATE TABLE clicks (
    click_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    placement_id TEXT NOT NULL,
    source TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    invalid SMALLINT, -- NULL: counted; else vitrine_core::traffic::Invalid's code
    client BYTEA -- the day's salted hash of the client's address
);
CREATE INDEX clicks_by_item ON clicks (item_id);
CREATE INDEX clicks_by_client ON clicks (client, item_id, at_ms) WHERE invalid IS NULL;
CREATE TABLE readers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);
CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    reader_id TEXT NOT NULL REFERENCES readers(id),
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE follows (
    reader_id TEXT NOT NULL REFERENCES readers(id),
    creator_id TEXT NOT NULL REFERENCES creators(id),
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (reader_id, creator_id)
);
CREATE INDEX follows_by_creator ON follows (creator_id);
CREATE TABLE creator_accounts (
    reader_id TEXT PRIMARY KEY REFERENCES readers(id),
    creator_id TEXT NOT NULL REFERENCES creators(id)
);
CREATE TABLE report_keys (
    id TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL REFERENCES creators(id),
    kind TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE TABLE media (
    name TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL
);
