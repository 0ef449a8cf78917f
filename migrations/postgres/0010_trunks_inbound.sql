-- Trunks both ways: how a call from the peer is recognised (`inbound_auth`), what it may
-- reach (`inbound_reach`), where its called number is read and which prefix is removed
-- from it; inbound numbers reachable by unidentified callers (`public`); and the trunk
-- a call came in on or went out through (`calls.trunk`).
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE trunks ADD COLUMN inbound_auth TEXT NOT NULL DEFAULT 'credentials';
ALTER TABLE trunks ADD COLUMN inbound_reach TEXT NOT NULL DEFAULT 'numbers';
ALTER TABLE trunks ADD COLUMN inbound_number TEXT NOT NULL DEFAULT 'request_uri';
ALTER TABLE trunks ADD COLUMN inbound_strip_prefix TEXT;
ALTER TABLE numbers ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE calls ADD COLUMN trunk TEXT;
