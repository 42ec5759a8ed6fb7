-- Customer classes, recomputed from the running statistics (never the sales history) by the
-- reclassification job. One row per classified customer; `class_runs` keeps what each run
-- changed, with the movement between spend classes, for the classes page. No index beyond the
-- key: pages count classes by scanning, which a million rows do in a fraction of a second.
CREATE TABLE customer_classes (
    customer_id INTEGER NOT NULL PRIMARY KEY,
    store_id INTEGER NOT NULL,
    spend_store TEXT NOT NULL,
    spend_chain TEXT NOT NULL,
    frequency TEXT NOT NULL,
    r_score INTEGER,
    f_score INTEGER,
    m_score INTEGER,
    value_class TEXT,
    lifecycle TEXT,
    label TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    CONSTRAINT fk_customer_classes_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    -- Written as comparisons, not IN lists: SQLite builds an IN list's lookup table again for
    -- every row inserted, which made writing a million classes four times slower.
    CONSTRAINT ck_customer_classes_spend CHECK (
        (spend_store = 'key' OR spend_store = 'major' OR spend_store = 'ordinary' OR spend_store = 'small')
        AND (spend_chain = 'key' OR spend_chain = 'major' OR spend_chain = 'ordinary' OR spend_chain = 'small')),
    CONSTRAINT ck_customer_classes_label CHECK (label = 'vip' OR label = 'regular' OR label = 'potential')
);

CREATE TABLE class_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    customers INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    rules TEXT NOT NULL,
    moves TEXT NOT NULL,
    took_ms INTEGER NOT NULL
);
