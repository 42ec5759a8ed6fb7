-- The audit chain is keyed (HMAC under the audit key in the key file) from here on. The head
-- names the key (`key_id`, a fingerprint, not the key) and the first keyed sequence number;
-- `keyed_seal` is that number signed with the key, so nobody without it can move the point
-- (rows before it kept their plain hashes). Set by the application when it first opens the
-- database with its key file.
ALTER TABLE audit_head ADD COLUMN key_id TEXT;
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT;
ALTER TABLE audit_head ADD COLUMN keyed_seal TEXT;
