-- Follow-up (回访) tasks. Days are numbered from 1970-01-01 in the local calendar. `ref`
-- makes generation idempotent: an open cadence task has ref 'open' (so a customer has at
-- most one, however many instances plan at once); event tasks name their event (the sale,
-- the expiry date); a finished task's ref becomes 'done:<id>'. Who is responsible is the
-- customer's current owner (or the store manager when there is none), read at list time.
CREATE TABLE followup_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    due_day INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    done_day INTEGER,
    done_by INTEGER,
    outcome TEXT,
    CONSTRAINT uq_followup_tasks_customer_kind_ref UNIQUE (customer_id, kind, ref),
    CONSTRAINT ck_followup_tasks_status CHECK (status = 'open' OR status = 'done' OR status = 'cancelled'),
    CONSTRAINT fk_followup_tasks_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_followup_tasks_store ON followup_tasks (store_id, status, due_day);
CREATE INDEX ix_followup_tasks_due ON followup_tasks (status, due_day);
