-- Service hours of each store (`mon-sun 09:00-18:00; holidays closed`); null: the default.
ALTER TABLE stores ADD COLUMN opening_hours TEXT;

-- Tickets (complaints, suggestions, inquiries, praise). The description is sealed like the
-- customer's file. SLA: the first response is due at `response_due_at`; the resolution
-- clock has used `sla_used_min` working minutes and runs since `sla_running_since` (null
-- while waiting on the customer), due at `resolution_due_at` (null while stopped).
-- `escalation_level`: 1 store manager, 2 admin. `request_key` makes API filing retry-safe.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    description_enc TEXT NOT NULL,
    sale_id INTEGER,
    item_ref TEXT,
    assignee_id INTEGER,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    response_due_at INTEGER NOT NULL,
    responded_at INTEGER,
    resolution_target_min INTEGER NOT NULL,
    sla_used_min INTEGER NOT NULL,
    sla_running_since INTEGER,
    resolution_due_at INTEGER,
    resolved_at INTEGER,
    closed_at INTEGER,
    breached_response INTEGER NOT NULL,
    breached_resolution INTEGER NOT NULL,
    escalation_level INTEGER NOT NULL,
    reopen_count INTEGER NOT NULL,
    root_cause TEXT,
    corrective_action TEXT,
    compensation TEXT,
    request_key TEXT,
    CONSTRAINT uq_tickets_request_key UNIQUE (request_key),
    CONSTRAINT fk_tickets_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_tickets_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT fk_tickets_assignee FOREIGN KEY (assignee_id) REFERENCES staff (id),
    CONSTRAINT ck_tickets_status CHECK (status = 'new' OR status = 'acknowledged' OR status = 'in_progress' OR status = 'waiting_customer' OR status = 'resolved' OR status = 'closed')
);
CREATE INDEX ix_tickets_customer ON tickets (customer_id, created_at);
CREATE INDEX ix_tickets_store_status ON tickets (store_id, status);
CREATE INDEX ix_tickets_assignee ON tickets (assignee_id, status);

-- The ticket's timeline: every change, note and escalation, oldest first.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    staff_id INTEGER,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note_enc TEXT,
    CONSTRAINT fk_ticket_events_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id)
);
CREATE INDEX ix_ticket_events_ticket ON ticket_events (ticket_id, id);
