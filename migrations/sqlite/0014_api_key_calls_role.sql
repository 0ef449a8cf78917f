-- A third API key role: `calls` (place, steer and read calls, nothing else).
-- Keep the two backends' files equivalent (a test compares the schemas).
-- SQLite cannot change a CHECK constraint: the table is rebuilt with its rows.

CREATE TABLE api_keys_new (
    key_id      TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'read_only', 'calls')),
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
INSERT INTO api_keys_new (key_id, name, role, secret_hash, created_at, revoked_at)
    SELECT key_id, name, role, secret_hash, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
