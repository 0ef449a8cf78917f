-- How calls leave through a trunk: how its caller ID applies, the From user and host,
-- P-Asserted-Identity and Diversion headers, and how long a silent trunk is waited for
-- before the route's next one.
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE trunks ADD COLUMN caller_id_rule TEXT NOT NULL DEFAULT 'replace';
ALTER TABLE trunks ADD COLUMN from_user TEXT;
ALTER TABLE trunks ADD COLUMN from_host TEXT;
ALTER TABLE trunks ADD COLUMN asserted_identity BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE trunks ADD COLUMN diversion BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE trunks ADD COLUMN silence_timeout INTEGER NOT NULL DEFAULT 5;
