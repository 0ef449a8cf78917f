-- A trunk's link to its peer: how long each registration asks for, and how often the
-- peer is probed with OPTIONS (NULL: never).
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE trunks ADD COLUMN register_expiry INTEGER NOT NULL DEFAULT 300;
ALTER TABLE trunks ADD COLUMN options_interval INTEGER;
