-- The node (process with its own data folder) that runs each call: a node restarting
-- after a crash closes only its own unfinished calls, not those the other nodes sharing
-- the database are running. NULL for records written before.
-- Keep the two backends' files equivalent (a test compares the schemas).
ALTER TABLE calls ADD COLUMN node TEXT;
