-- Customer files: profiles with sealed personal data, lookup keys, tags, consents, owner
-- history, interactions, merges and admin-defined fields. Columns ending in `_enc` hold
-- XChaCha20-Poly1305 ciphertext (base64) bound to table, column and row; `_idx` columns hold
-- keyed HMAC blind indexes. Nothing here is plaintext personal data except the name.

CREATE TABLE id_blocks (
    name TEXT NOT NULL PRIMARY KEY,
    next_value INTEGER NOT NULL
);

CREATE TABLE archive_counters (
    store_id INTEGER NOT NULL PRIMARY KEY,
    last_value INTEGER NOT NULL,
    CONSTRAINT fk_archive_counters_store FOREIGN KEY (store_id) REFERENCES stores (id)
);

CREATE TABLE customers (
    id INTEGER NOT NULL PRIMARY KEY,
    store_id INTEGER NOT NULL,
    archive_no TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birthday_lunar INTEGER NOT NULL DEFAULT 0,
    guardian_consent INTEGER NOT NULL DEFAULT 0,
    mobile_enc TEXT,
    mobile_idx TEXT,
    last4_idx TEXT,
    phones_enc TEXT,
    id_number_enc TEXT,
    id_idx TEXT,
    email_enc TEXT,
    birthday_enc TEXT,
    address_enc TEXT,
    notes_enc TEXT,
    namebirth_idx TEXT,
    profile TEXT NOT NULL,
    source TEXT NOT NULL,
    owner_staff_id INTEGER,
    missing TEXT NOT NULL,
    completeness INTEGER NOT NULL,
    status TEXT NOT NULL,
    merged_into INTEGER,
    verified_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_customers_store_id_archive_no UNIQUE (store_id, archive_no),
    CONSTRAINT fk_customers_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT fk_customers_owner FOREIGN KEY (owner_staff_id) REFERENCES staff (id),
    CONSTRAINT ck_customers_status CHECK (status IN ('active', 'merged')),
    CONSTRAINT ck_customers_gender CHECK (gender IN ('unknown', 'female', 'male'))
);
CREATE UNIQUE INDEX uq_customers_mobile_idx ON customers (mobile_idx) WHERE status = 'active';
CREATE INDEX ix_customers_last4 ON customers (last4_idx) WHERE last4_idx IS NOT NULL;
CREATE INDEX ix_customers_id_idx ON customers (id_idx) WHERE id_idx IS NOT NULL;
CREATE INDEX ix_customers_namebirth ON customers (namebirth_idx) WHERE namebirth_idx IS NOT NULL;
CREATE INDEX ix_customers_store ON customers (store_id, id);
CREATE INDEX ix_customers_owner ON customers (owner_staff_id, id);
CREATE INDEX ix_customers_verified ON customers (verified_at, id);
CREATE INDEX ix_customers_name ON customers (name, id);
CREATE INDEX ix_customers_completeness ON customers (completeness, id);
CREATE INDEX ix_customers_archive_no ON customers (archive_no);

-- Search and duplicate keys: pinyin spellings and initials of the name (`name`), other phone
-- numbers (`phone`), normalised addresses (`address`). Values of `phone` and `address` are
-- blind indexes, never plaintext.
CREATE TABLE customer_keys (
    customer_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    store_id INTEGER NOT NULL,
    PRIMARY KEY (customer_id, kind, value),
    CONSTRAINT fk_customer_keys_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_keys_lookup ON customer_keys (kind, value, customer_id, store_id);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    store_id INTEGER NOT NULL,
    PRIMARY KEY (customer_id, tag),
    CONSTRAINT fk_customer_tags_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_tags_tag ON customer_tags (tag, customer_id);

-- The consent ledger: every grant and withdrawal, never updated. `customer_consent_state`
-- holds the latest decision per purpose for fast checks at send time.
CREATE TABLE customer_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    notice_version TEXT NOT NULL,
    channel TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT fk_customer_consents_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_consents_customer ON customer_consents (customer_id, at_ms);

CREATE TABLE customer_consent_state (
    customer_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (customer_id, purpose),
    CONSTRAINT fk_customer_consent_state_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);

CREATE TABLE customer_owner_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    from_staff_id INTEGER,
    to_staff_id INTEGER,
    reason TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT fk_customer_owner_log_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_owner_log_customer ON customer_owner_log (customer_id, at_ms);

CREATE TABLE customer_interactions (
    id INTEGER NOT NULL PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note_enc TEXT,
    staff_id INTEGER,
    actor_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT fk_customer_interactions_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_interactions_customer ON customer_interactions (customer_id, at_ms);

CREATE TABLE customer_merges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    merged_id INTEGER NOT NULL,
    moved TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT fk_customer_merges_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_customer_merges_customer ON customer_merges (customer_id);

CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_custom_fields_field_key UNIQUE (field_key),
    CONSTRAINT ck_custom_fields_kind CHECK (kind IN ('text', 'number', 'date', 'choice'))
);

-- Saved list views (filters) per staff member.
CREATE TABLE customer_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_customer_views_staff_id_name UNIQUE (staff_id, name),
    CONSTRAINT fk_customer_views_staff FOREIGN KEY (staff_id) REFERENCES staff (id)
);
