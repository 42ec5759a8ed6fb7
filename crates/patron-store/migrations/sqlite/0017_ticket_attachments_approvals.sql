-- Files attached to a ticket (a photo of the damage, the receipt, a PDF). The file's name
-- and its content are sealed like the customer's file (base64, as every `_enc` column) and
-- bound to the attachment's row; so they are in every backup and re-sealed by key rotation.
CREATE TABLE ticket_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    name_enc TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    content_enc TEXT NOT NULL,
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    CONSTRAINT fk_ticket_attachments_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id)
);
CREATE INDEX ix_ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

-- A resolution whose compensation is worth more than the service desk's threshold waits
-- here for a second person holding `ticket.approve`. `round` is the ticket's reopen count
-- when it was asked; `compensation` the JSON of what it gives; `note_enc` the resolution
-- note, sealed. At most one request per ticket is pending.
CREATE TABLE compensation_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    root_cause TEXT NOT NULL,
    corrective_action TEXT NOT NULL,
    compensation TEXT NOT NULL,
    value_fen INTEGER NOT NULL,
    note_enc TEXT,
    status TEXT NOT NULL,
    requested_by INTEGER,
    requested_at INTEGER NOT NULL,
    decided_by INTEGER,
    decided_at INTEGER,
    CONSTRAINT fk_compensation_requests_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id),
    CONSTRAINT ck_compensation_requests_status CHECK (status = 'pending' OR status = 'approved' OR status = 'rejected')
);
CREATE UNIQUE INDEX uq_compensation_requests_ticket_id ON compensation_requests (ticket_id) WHERE status = 'pending';
CREATE INDEX ix_compensation_requests_store ON compensation_requests (store_id, status);

-- Store managers approve large compensation by default (a new capability; installations
-- whose roles are already seeded get it here, new ones from the built-in defaults).
INSERT INTO role_capabilities (role, capability)
SELECT 'store_manager', 'ticket.approve' WHERE EXISTS (SELECT 1 FROM settings WHERE key = 'roles.seeded')
ON CONFLICT DO NOTHING;
