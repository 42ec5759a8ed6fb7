-- Monthly sales targets: the net sales (fen) a store aims for in one of its local months
-- (`yyyymm`), set by the head office; the chain's target for a month is the sum of its
-- stores'. The cockpit and the targets report hold net sales against them.
CREATE TABLE sales_targets (
    store_id INTEGER NOT NULL,
    month INTEGER NOT NULL,
    target_fen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (store_id, month),
    CONSTRAINT fk_sales_targets_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT ck_sales_targets_fen CHECK (target_fen >= 0),
    CONSTRAINT ck_sales_targets_month CHECK (month >= 200001 AND month <= 999912)
);
