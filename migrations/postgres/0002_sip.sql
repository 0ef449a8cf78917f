-- SIP core (PostgreSQL): the location service and call records. Keep equivalent to
-- ../sqlite/0002_sip.sql.

-- Registered contacts of extensions. Times in Unix seconds (expires_at) for cheap
-- expiry checks, and RFC 3339 text (created_at, updated_at) like everywhere else.
CREATE TABLE registrations (
    id         TEXT PRIMARY KEY,
    aor        TEXT NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    contact    TEXT NOT NULL,
    source     TEXT NOT NULL,
    transport  TEXT NOT NULL CHECK (transport IN ('udp', 'tcp')),
    expires_at BIGINT NOT NULL,
    call_id    TEXT NOT NULL,
    cseq       BIGINT NOT NULL,
    user_agent TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (aor, contact)
);
CREATE INDEX registrations_expires_at ON registrations (expires_at);

-- One row per call leg.
CREATE TABLE calls (
    sid           TEXT PRIMARY KEY,
    parent_sid    TEXT,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number   TEXT NOT NULL,
    from_name     TEXT,
    to_number     TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    answered_at   TEXT,
    ended_at      TEXT,
    duration      BIGINT,
    hangup_by     TEXT,
    hangup_code   INTEGER,
    hangup_reason TEXT,
    sip_call_id   TEXT NOT NULL
);
CREATE INDEX calls_started_at ON calls (started_at, sid);
CREATE INDEX calls_parent_sid ON calls (parent_sid);
