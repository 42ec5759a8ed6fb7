-- Foundation: stores, staff and roles, sessions, credentials, audit log, settings, jobs, outbox.
-- Times are UTC epoch milliseconds (INTEGER); flags are 0/1 INTEGER so both backends read them
-- the same way. Constraint and index names are identical in the PostgreSQL tree.

CREATE TABLE stores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_stores_code UNIQUE (code),
    CONSTRAINT ck_stores_status CHECK (status IN ('open', 'closed'))
);

CREATE TABLE role_capabilities (
    role TEXT NOT NULL,
    capability TEXT NOT NULL,
    PRIMARY KEY (role, capability)
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    store_id INTEGER,
    password_hash TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret TEXT,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_login_at INTEGER,
    CONSTRAINT uq_staff_username UNIQUE (username),
    CONSTRAINT fk_staff_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT ck_staff_status CHECK (status IN ('active', 'disabled', 'invited'))
);
CREATE INDEX ix_staff_store ON staff (store_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    staff_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CONSTRAINT uq_sessions_token_hash UNIQUE (token_hash),
    CONSTRAINT fk_sessions_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_sessions_stage CHECK (stage IN ('full', 'totp', 'enrol', 'change_password'))
);
CREATE INDEX ix_sessions_staff ON sessions (staff_id);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT fk_api_tokens_staff FOREIGN KEY (staff_id) REFERENCES staff (id)
);
CREATE INDEX ix_api_tokens_staff ON api_tokens (staff_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT fk_api_keys_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT fk_api_keys_created_by FOREIGN KEY (created_by) REFERENCES staff (id)
);
CREATE INDEX ix_api_keys_store ON api_keys (store_id);

CREATE TABLE staff_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    CONSTRAINT uq_staff_links_token_hash UNIQUE (token_hash),
    CONSTRAINT fk_staff_links_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_staff_links_purpose CHECK (purpose IN ('invite', 'reset'))
);

CREATE TABLE login_throttle (
    scope_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    role TEXT,
    store_id INTEGER,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ix_audit_log_at ON audit_log (at_ms);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_id);
CREATE INDEX ix_audit_log_store ON audit_log (store_id);

-- One row: the newest sequence number and hash. Updating it serialises appends on both backends.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT ck_audit_head_single CHECK (id = 1)
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: the database itself refuses edits and deletions. Someone with raw access can
-- drop these triggers; the hash chain is what catches that (`patron audit verify`).
CREATE TRIGGER tr_audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER tr_audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER
);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    period_key TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT,
    detail TEXT,
    PRIMARY KEY (job, period_key)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    redact_after_send INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until INTEGER,
    last_error TEXT,
    staff_id INTEGER,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    CONSTRAINT fk_outbox_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_outbox_status CHECK (status IN ('pending', 'sending', 'sent', 'dead'))
);
CREATE INDEX ix_outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE outbox_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    CONSTRAINT fk_outbox_attempts_outbox FOREIGN KEY (outbox_id) REFERENCES outbox (id)
);
CREATE INDEX ix_outbox_attempts_outbox ON outbox_attempts (outbox_id);
