-- A mailbox's busy greeting (an announcement as JSON; NULL: the spoken default), and how
-- its emails read (subject and body templates, time zone) and whether a
-- message is deleted once emailed: the API's `voicemail.email_options` as JSON (NULL:
-- the defaults).
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE extensions ADD COLUMN voicemail_email_options TEXT;
ALTER TABLE extensions ADD COLUMN voicemail_busy_greeting TEXT;
