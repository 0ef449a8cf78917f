-- Toll-fraud control: which outbound routes an extension's own calls may use, by the
-- route's class. The defaults keep what was allowed before: every extension may use
-- every route, and routes are `national`.
-- Keep the two backends' files equivalent (a test compares the schemas).
ALTER TABLE extensions ADD COLUMN outbound TEXT NOT NULL DEFAULT 'international'
    CHECK (outbound IN ('none', 'local', 'national', 'international'));
ALTER TABLE outbound_routes ADD COLUMN class TEXT NOT NULL DEFAULT 'national'
    CHECK (class IN ('emergency', 'local', 'national', 'international'));
