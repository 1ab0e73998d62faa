-- Secrets every instance must share (docs/scale.md): the signing key of
-- `/r/` links and CSRF tokens ("signing"), and each day's salt for client
-- hashes ("salt:DAY", the day since the epoch, UTC; older days deleted as
-- the next is made, so no day's hashes can be linked to another's).
CREATE TABLE kept_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Sign-in attempts by account and by client (hashes), for the throttle
-- every instance shares (platform/src/limits.rs's Attempts).
CREATE TABLE signin_attempts (
    scope TEXT NOT NULL,
    key BYTEA NOT NULL,
    count INTEGER NOT NULL,
    last_ms BIGINT NOT NULL,
    blocked_until_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX signin_attempts_by_age ON signin_attempts (last_ms);
