-- Sales and membership. A sale, its lines, its points, the member's running statistics, a
-- tier change and the till's idempotency record are written in one transaction.
-- `customer_stats` and `customer_months` carry what reports need (first and last purchase,
-- counts, spend by month for rolling twelve months) so nothing rescans the sales.

CREATE TABLE categories (
    code TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE products (
    sku TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    category_code TEXT NOT NULL,
    brand TEXT NOT NULL,
    price_fen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT ck_products_price CHECK (price_fen >= 0),
    CONSTRAINT fk_products_category FOREIGN KEY (category_code) REFERENCES categories (code)
);

CREATE TABLE sales (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id INTEGER NOT NULL,
    receipt_no TEXT NOT NULL,
    customer_id INTEGER,
    till_name TEXT NOT NULL,
    staff_id INTEGER,
    sold_at_ms INTEGER NOT NULL,
    local_month INTEGER NOT NULL,
    local_day INTEGER NOT NULL,
    list_fen INTEGER NOT NULL,
    discount_fen INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    points_value_fen INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL,
    eligible_fen INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    points_redeemed INTEGER NOT NULL,
    refunded_net_fen INTEGER NOT NULL DEFAULT 0,
    refunded_paid_fen INTEGER NOT NULL DEFAULT 0,
    refunded_eligible_fen INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_sales_store_id_receipt_no UNIQUE (store_id, receipt_no),
    CONSTRAINT ck_sales_source CHECK (source IN ('till', 'console', 'import')),
    CONSTRAINT ck_sales_refunded CHECK (refunded_paid_fen <= paid_fen AND refunded_net_fen <= net_fen),
    CONSTRAINT fk_sales_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT fk_sales_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_sales_staff FOREIGN KEY (staff_id) REFERENCES staff (id)
);
CREATE INDEX ix_sales_customer ON sales (customer_id, sold_at_ms);
CREATE INDEX ix_sales_store_time ON sales (store_id, sold_at_ms);

CREATE TABLE sale_lines (
    sale_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_fen INTEGER NOT NULL,
    discount_fen INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL,
    earns INTEGER NOT NULL,
    refunded_qty INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sale_id, line_no),
    CONSTRAINT ck_sale_lines_quantity CHECK (quantity > 0 AND refunded_qty >= 0 AND refunded_qty <= quantity),
    CONSTRAINT fk_sale_lines_sale FOREIGN KEY (sale_id) REFERENCES sales (id)
);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sale_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    refund_no TEXT NOT NULL,
    customer_id INTEGER,
    net_fen INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL,
    points_clawed INTEGER NOT NULL,
    points_restored INTEGER NOT NULL,
    points_short INTEGER NOT NULL,
    reason TEXT NOT NULL,
    till_name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT uq_refunds_store_id_refund_no UNIQUE (store_id, refund_no),
    CONSTRAINT fk_refunds_sale FOREIGN KEY (sale_id) REFERENCES sales (id),
    CONSTRAINT fk_refunds_store FOREIGN KEY (store_id) REFERENCES stores (id)
);
CREATE INDEX ix_refunds_sale ON refunds (sale_id);

CREATE TABLE refund_lines (
    refund_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL,
    PRIMARY KEY (refund_id, line_no),
    CONSTRAINT fk_refund_lines_refund FOREIGN KEY (refund_id) REFERENCES refunds (id)
);

CREATE TABLE customer_stats (
    customer_id INTEGER NOT NULL PRIMARY KEY,
    first_purchase_ms INTEGER NOT NULL,
    last_purchase_ms INTEGER NOT NULL,
    purchase_count INTEGER NOT NULL,
    visit_count INTEGER NOT NULL,
    last_visit_day INTEGER NOT NULL,
    total_spend_fen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT fk_customer_stats_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);

CREATE TABLE customer_months (
    customer_id INTEGER NOT NULL,
    month INTEGER NOT NULL,
    spend_fen INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    PRIMARY KEY (customer_id, month),
    CONSTRAINT fk_customer_months_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);

CREATE TABLE memberships (
    customer_id INTEGER NOT NULL PRIMARY KEY,
    tier_code TEXT NOT NULL,
    tier_since_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    ranking_opt_out INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    CONSTRAINT fk_memberships_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);

CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    from_code TEXT NOT NULL,
    to_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    reference TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    CONSTRAINT fk_tier_changes_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_tier_changes_customer ON tier_changes (customer_id, at_ms);

-- What a till was answered for each Idempotency-Key, written with the sale it created.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Coupons. A template says what a coupon is worth and when it applies; each issued coupon
-- has its own unguessable code and validity. Using one is a conditional update
-- (`status = 'issued'`), so a code is used at most once even when two tills try at once.
CREATE TABLE coupon_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    amount_fen INTEGER,
    off_permille INTEGER,
    cap_fen INTEGER,
    min_spend_fen INTEGER NOT NULL,
    category TEXT NOT NULL,
    first_purchase INTEGER NOT NULL,
    valid_days INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT ck_coupon_templates_value CHECK ((amount_fen IS NULL) <> (off_permille IS NULL)),
    CONSTRAINT ck_coupon_templates_status CHECK (status IN ('active', 'retired'))
);

CREATE TABLE coupons (
    code TEXT NOT NULL PRIMARY KEY,
    template_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_until_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    used_sale_id INTEGER,
    used_at_ms INTEGER,
    discount_fen INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT ck_coupons_status CHECK (status IN ('issued', 'used', 'void')),
    CONSTRAINT fk_coupons_template FOREIGN KEY (template_id) REFERENCES coupon_templates (id),
    CONSTRAINT fk_coupons_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_coupons_customer ON coupons (customer_id, status, valid_until_ms);
CREATE INDEX ix_coupons_template ON coupons (template_id, status);

-- Manual points adjustments. Small ones are applied at once; above the programme's
-- threshold they wait for a second person's approval. Each applied adjustment is one
-- `adjust` entry in the ledger whose reason is this row's reason.
CREATE TABLE points_adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    batch TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by INTEGER,
    requested_by_name TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    decided_by INTEGER,
    decided_by_name TEXT NOT NULL DEFAULT '',
    decided_at_ms INTEGER,
    CONSTRAINT ck_points_adjustments_status CHECK (status IN ('pending', 'applied', 'rejected')),
    CONSTRAINT ck_points_adjustments_points CHECK (points <> 0),
    CONSTRAINT fk_points_adjustments_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_points_adjustments_status ON points_adjustments (status, requested_at_ms);
CREATE INDEX ix_points_adjustments_customer ON points_adjustments (customer_id);

-- Member cards. A member has at most one active card; a new one replaces it (lost card).
CREATE TABLE member_cards (
    card_no TEXT NOT NULL PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    valid_until_ms INTEGER,
    updated_at INTEGER NOT NULL,
    CONSTRAINT ck_member_cards_status CHECK (status IN ('active', 'replaced', 'cancelled')),
    CONSTRAINT fk_member_cards_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE UNIQUE INDEX uq_member_cards_active ON member_cards (customer_id) WHERE status = 'active';
