-- The PBX features built as apps: extensions' busy destination and call waiting,
-- follow-me, ring groups, IVRs, day/night switches, time conditions, feature codes.
-- Keep the two backends' files equivalent (a test compares the schemas).
-- Destinations are stored as their text (`ivr:Main`); columns holding one are indexed
-- so a delete can find who still points at an object.

ALTER TABLE extensions ADD COLUMN busy_destination TEXT;
ALTER TABLE extensions ADD COLUMN call_waiting BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX extensions_busy_destination ON extensions (busy_destination);

CREATE TABLE follow_me (
    extension             TEXT PRIMARY KEY NOT NULL REFERENCES extensions (number) ON DELETE CASCADE,
    enabled               BOOLEAN NOT NULL,
    initial_ring_time     INTEGER NOT NULL,
    strategy              TEXT NOT NULL CHECK (strategy IN ('ringall', 'hunt')),
    ring_time             INTEGER NOT NULL,
    confirm               BOOLEAN NOT NULL DEFAULT FALSE,
    no_answer_destination TEXT,
    updated_at            TEXT NOT NULL
);
CREATE INDEX follow_me_no_answer_destination ON follow_me (no_answer_destination);

-- Numbers a follow-me rings, in order.
CREATE TABLE follow_me_numbers (
    extension TEXT NOT NULL REFERENCES follow_me (extension) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    number    TEXT NOT NULL,
    PRIMARY KEY (extension, position)
);
CREATE INDEX follow_me_numbers_number ON follow_me_numbers (number);

CREATE TABLE ring_groups (
    number                TEXT PRIMARY KEY NOT NULL,
    name                  TEXT NOT NULL,
    strategy              TEXT NOT NULL,
    ring_time             INTEGER NOT NULL,
    announcement          TEXT,
    caller_name_prefix    TEXT,
    music                 TEXT,
    no_answer_destination TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX ring_groups_no_answer_destination ON ring_groups (no_answer_destination);

-- Members of a ring group, in order.
CREATE TABLE ring_group_members (
    group_number TEXT NOT NULL REFERENCES ring_groups (number) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    member       TEXT NOT NULL,
    PRIMARY KEY (group_number, position)
);
CREATE INDEX ring_group_members_member ON ring_group_members (member);

CREATE TABLE ivrs (
    name                 TEXT PRIMARY KEY NOT NULL,
    announcement         TEXT NOT NULL,
    direct_dial          BOOLEAN NOT NULL,
    timeout              INTEGER NOT NULL,
    max_timeouts         INTEGER NOT NULL,
    timeout_announcement TEXT,
    timeout_destination  TEXT,
    max_invalid          INTEGER NOT NULL,
    invalid_announcement TEXT,
    invalid_destination  TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX ivrs_timeout_destination ON ivrs (timeout_destination);
CREATE INDEX ivrs_invalid_destination ON ivrs (invalid_destination);

-- An IVR's keys: `repeat` or a destination.
CREATE TABLE ivr_options (
    ivr_name    TEXT NOT NULL REFERENCES ivrs (name) ON DELETE CASCADE,
    keys        TEXT NOT NULL,
    destination TEXT NOT NULL,
    PRIMARY KEY (ivr_name, keys)
);
CREATE INDEX ivr_options_destination ON ivr_options (destination);

-- Day/night switches; `mode` survives restarts.
CREATE TABLE daynight (
    switch_index      TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    mode              TEXT NOT NULL CHECK (mode IN ('day', 'night')),
    day_destination   TEXT NOT NULL,
    night_destination TEXT NOT NULL,
    pin_hash          TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX daynight_day_destination ON daynight (day_destination);
CREATE INDEX daynight_night_destination ON daynight (night_destination);

CREATE TABLE time_conditions (
    id                   TEXT PRIMARY KEY NOT NULL,
    name                 TEXT NOT NULL,
    time_zone            TEXT NOT NULL,
    ranges               TEXT NOT NULL,
    exceptions           TEXT NOT NULL,
    match_destination    TEXT NOT NULL,
    no_match_destination TEXT NOT NULL,
    override_state       TEXT CHECK (override_state IN ('match', 'no_match')),
    override_until       TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX time_conditions_match_destination ON time_conditions (match_destination);
CREATE INDEX time_conditions_no_match_destination ON time_conditions (no_match_destination);

-- Feature codes changed from their defaults (the defaults live in the code).
CREATE TABLE feature_codes (
    feature TEXT PRIMARY KEY NOT NULL,
    code    TEXT NOT NULL,
    enabled BOOLEAN NOT NULL
);
