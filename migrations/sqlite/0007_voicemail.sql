-- Voicemail: the messages left in a mailbox (their audio is a recording of kind
-- `voicemail`), and the emails that tell their owners, delivered by a worker in order
-- per mailbox and retried until the SMTP server takes them.
-- Keep the two backends' files equivalent (a test compares the schemas).

-- The application told of each message (a signed `voicemail` event).
ALTER TABLE extensions ADD COLUMN voicemail_application_id TEXT;
CREATE INDEX extensions_voicemail_application_id ON extensions (voicemail_application_id);
-- The mailbox's greeting (an announcement as JSON; NULL: the spoken default) and where
-- 0 during it leads.
ALTER TABLE extensions ADD COLUMN voicemail_greeting TEXT;
ALTER TABLE extensions ADD COLUMN voicemail_operator_destination TEXT;
CREATE INDEX extensions_voicemail_operator_destination ON extensions (voicemail_operator_destination);

CREATE TABLE voicemail_messages (
    id            TEXT PRIMARY KEY NOT NULL,
    mailbox       TEXT NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    recording_id  TEXT NOT NULL,
    call_sid      TEXT NOT NULL,
    caller_number TEXT NOT NULL,
    caller_name   TEXT,
    duration_ms   BIGINT NOT NULL,
    folder        TEXT NOT NULL CHECK (folder IN ('new', 'saved')),
    created_at    TEXT NOT NULL
);
CREATE INDEX voicemail_messages_mailbox ON voicemail_messages (mailbox, created_at, id);

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    message_id      TEXT NOT NULL REFERENCES voicemail_messages (id) ON DELETE CASCADE,
    mailbox         TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT,
    given_up        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TEXT NOT NULL
);
CREATE INDEX mail_outbox_pending ON mail_outbox (delivered_at, given_up, next_attempt_at);
CREATE INDEX mail_outbox_mailbox ON mail_outbox (mailbox, created_at, id);
