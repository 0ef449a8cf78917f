-- The application told of a trunk's registration and health changes (its
-- status_callback); an application named here cannot be deleted.
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE trunks ADD COLUMN application_id TEXT;
