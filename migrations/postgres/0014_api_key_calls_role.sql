-- A third API key role: `calls` (place, steer and read calls, nothing else).
-- Keep the two backends' files equivalent (a test compares the schemas).

ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'read_only', 'calls'));
