-- The Path (RFC 3327) a REGISTER came with through a proxy: one entry per line, NULL
-- for a phone registered directly. Requests to the contact go back through it.
-- Keep the two backends' files equivalent (a test compares the schemas).
ALTER TABLE registrations ADD COLUMN path TEXT;
