-- Webhooks (SQLite): status callbacks waiting to be delivered. Keep equivalent to
-- ../postgres/0003_webhooks.sql.

-- A call event is written here before anyone is told about it; a worker delivers it,
-- retrying with growing delays, so a slow or dead application never holds up a call
-- and a restart loses nothing. The secret is read at delivery time (rotation applies).
CREATE TABLE webhook_outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    application_id  TEXT NOT NULL,
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_at);
