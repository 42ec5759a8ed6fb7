-- The points ledger. `points_entries` is append-only: every earning, redemption, expiry,
-- adjustment and refund correction, signed. `points_lots` holds what is left of each
-- earning with its own expiry; `points_accounts.balance` is the running sum of the entries,
-- kept in the same transaction as each entry (checked by `Db::points_mismatches`).

CREATE TABLE points_accounts (
    customer_id INTEGER NOT NULL PRIMARY KEY,
    balance INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT fk_points_accounts_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);

CREATE TABLE points_lots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    original INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    usable_from_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    created_at INTEGER NOT NULL,
    CONSTRAINT ck_points_lots_remaining CHECK (remaining >= 0 AND remaining <= original),
    CONSTRAINT fk_points_lots_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_points_lots_customer ON points_lots (customer_id, expires_at_ms);
CREATE INDEX ix_points_lots_expiry ON points_lots (expires_at_ms) WHERE remaining > 0;

CREATE TABLE points_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    points INTEGER NOT NULL,
    lot_id INTEGER,
    reason TEXT NOT NULL,
    reference TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT ck_points_entries_kind CHECK (kind IN ('earn', 'redeem', 'expire', 'adjust', 'clawback', 'restore')),
    CONSTRAINT fk_points_entries_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_points_entries_customer ON points_entries (customer_id, at_ms);
