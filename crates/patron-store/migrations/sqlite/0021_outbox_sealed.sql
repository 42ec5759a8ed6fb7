-- The outbox seals whom a message goes to and what it says, for its row (base64, as every
-- `_enc` column; key rotation re-seals them), and erases them once the message is delivered
-- or has failed for good. The clear columns stay empty for new rows; messages queued before
-- this migration and still waiting are sealed by the server at start-up, finished ones are
-- erased here.
ALTER TABLE outbox ADD COLUMN recipient_enc TEXT;
ALTER TABLE outbox ADD COLUMN subject_enc TEXT;
ALTER TABLE outbox ADD COLUMN body_enc TEXT;
ALTER TABLE outbox ADD COLUMN payload_enc TEXT;
UPDATE outbox SET recipient = '', subject = '', body = '', payload = NULL
    WHERE status IN ('sent', 'dead');
-- The retention sweep deletes finished messages by age.
CREATE INDEX ix_outbox_created ON outbox (created_at);
