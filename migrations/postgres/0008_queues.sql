-- Call-centre queues: the queue's settings, its members (static, and dynamic agents
-- who log in and out) with their live state, the callers waiting now, and the history
-- of every caller who joined (answered, abandoned, timed out...) for the statistics.
-- Keep the two backends' files equivalent (a test compares the schemas).
-- Times used in arithmetic are Unix milliseconds (BIGINT); `*_at` columns are RFC 3339.

CREATE TABLE queues (
    name                TEXT PRIMARY KEY NOT NULL,
    number              TEXT UNIQUE,
    -- Every setting as the API's JSON (the columns below repeat the destinations so a
    -- delete can find who points at an object).
    settings            TEXT NOT NULL,
    timeout_destination TEXT,
    full_destination    TEXT,
    empty_destination   TEXT,
    exit_destination    TEXT,
    -- rrmemory: the position of the member offered a call last.
    rr_last             INTEGER NOT NULL DEFAULT -1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX queues_timeout_destination ON queues (timeout_destination);
CREATE INDEX queues_full_destination ON queues (full_destination);
CREATE INDEX queues_empty_destination ON queues (empty_destination);
CREATE INDEX queues_exit_destination ON queues (exit_destination);

-- A member's live state: idle, ringing (offered `caller` until `state_until`), busy
-- (talking with `caller`), wrapup (until `state_until`).
CREATE TABLE queue_members (
    queue          TEXT NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    member         TEXT NOT NULL,
    position       INTEGER NOT NULL,
    penalty        INTEGER NOT NULL,
    dynamic        BOOLEAN NOT NULL,
    logged_in      BOOLEAN NOT NULL,
    paused         BOOLEAN NOT NULL,
    pause_reason   TEXT,
    state          TEXT NOT NULL CHECK (state IN ('idle', 'ringing', 'busy', 'wrapup')),
    caller         TEXT,
    state_until    BIGINT,
    calls_taken    BIGINT NOT NULL,
    last_call_ms   BIGINT,
    last_call_at   TEXT,
    PRIMARY KEY (queue, member)
);
CREATE INDEX queue_members_member ON queue_members (member);

-- Callers in a queue now: waiting, offered to agents, or answered (until they leave).
-- `seen_ms` is refreshed while the call lives: a row not seen for a minute belongs to
-- a node that died and is ignored.
CREATE TABLE queue_callers (
    sid           TEXT PRIMARY KEY NOT NULL,
    queue         TEXT NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    caller_number TEXT NOT NULL,
    caller_name   TEXT,
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'answered')),
    agent         TEXT,
    joined_ms     BIGINT NOT NULL,
    joined_at     TEXT NOT NULL,
    seen_ms       BIGINT NOT NULL
);
CREATE INDEX queue_callers_queue ON queue_callers (queue, joined_ms);

-- Every caller who joined (or was refused), once its stay is over or answered.
CREATE TABLE queue_calls (
    sid           TEXT NOT NULL,
    queue         TEXT NOT NULL,
    joined_ms     BIGINT NOT NULL,
    caller_number TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('answered', 'abandoned', 'timeout', 'full', 'empty', 'key', 'left')),
    agent         TEXT,
    wait_ms       BIGINT NOT NULL,
    ended_at      TEXT NOT NULL,
    PRIMARY KEY (sid, queue, joined_ms)
);
CREATE INDEX queue_calls_queue ON queue_calls (queue, joined_ms);
