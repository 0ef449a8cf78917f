-- Per-application webhook timeouts and retries (postgres). Keep equivalent to
-- ../sqlite/0004_application_webhooks.sql.
ALTER TABLE applications ADD COLUMN connect_timeout_ms INTEGER NOT NULL DEFAULT 2000;
ALTER TABLE applications ADD COLUMN read_timeout_ms INTEGER NOT NULL DEFAULT 5000;
ALTER TABLE applications ADD COLUMN retries INTEGER NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN retry_on TEXT NOT NULL DEFAULT 'network_and_5xx'
    CHECK (retry_on IN ('network', 'network_and_5xx'));
