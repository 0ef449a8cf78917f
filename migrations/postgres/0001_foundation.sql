-- Foundation schema (PostgreSQL). Keep equivalent to ../sqlite/0001_foundation.sql:
-- a test compares tables, columns, types, nullability, keys and indexes of both.
-- Timestamps are RFC 3339 UTC text with milliseconds ('2026-11-26T14:00:00.000Z').

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE api_keys (
    key_id      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'read_only')),
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    voice_url       TEXT NOT NULL,
    voice_method    TEXT NOT NULL CHECK (voice_method IN ('POST', 'GET')),
    status_callback TEXT,
    fallback_url    TEXT,
    signing_secret  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE extensions (
    number                TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    sip_realm             TEXT NOT NULL,
    sip_ha1_md5           TEXT NOT NULL,
    sip_ha1_sha256        TEXT NOT NULL,
    email                 TEXT,
    voicemail_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    voicemail_pin_hash    TEXT,
    ring_time             INTEGER NOT NULL,
    no_answer_destination TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX extensions_no_answer_destination ON extensions (no_answer_destination);

CREATE TABLE recordings (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    kind               TEXT NOT NULL CHECK (kind IN ('upload', 'call', 'voicemail')),
    file_name          TEXT NOT NULL,
    duration_ms        BIGINT NOT NULL,
    size_bytes         BIGINT NOT NULL,
    source_sample_rate INTEGER,
    source_channels    INTEGER,
    source_bits        INTEGER,
    source_encoding    TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX recordings_kind ON recordings (kind, id);

CREATE TABLE numbers (
    number      TEXT PRIMARY KEY,
    name        TEXT,
    destination TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX numbers_destination ON numbers (destination);

CREATE TABLE trunks (
    name             TEXT PRIMARY KEY,
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    transport        TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    username         TEXT,
    password         TEXT,
    register         BOOLEAN NOT NULL DEFAULT FALSE,
    inbound_username TEXT,
    inbound_password TEXT,
    max_channels     INTEGER,
    caller_id        TEXT,
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE outbound_routes (
    name          TEXT PRIMARY KEY,
    priority      INTEGER NOT NULL,
    dial_patterns TEXT NOT NULL,
    caller_id     TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The ordered trunk sequence of each route. A trunk in use cannot be deleted.
CREATE TABLE outbound_route_trunks (
    route_name TEXT NOT NULL REFERENCES outbound_routes (name) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    trunk_name TEXT NOT NULL REFERENCES trunks (name) ON DELETE RESTRICT,
    PRIMARY KEY (route_name, position)
);
CREATE INDEX outbound_route_trunks_trunk ON outbound_route_trunks (trunk_name);
