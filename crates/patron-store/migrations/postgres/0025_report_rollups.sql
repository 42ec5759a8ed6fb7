-- Report roll-ups: what every additive report reads (sales, receipts, items, refunds by day,
-- hour, staff, category, product). Each table is one grouping, keyed by store and the store's
-- local day (`yyyymmdd`) or month (`yyyymm`), kept current in the transaction that writes a
-- sale or a refund (a batch of sales adds its sum once), and rebuilt from the raw rows by
-- `patron reports rebuild`. Measures:
--   receipts    sales counted (refunds are not receipts); for a category or product, the sales
--               with a line of it
--   items       quantities sold on those sales (refunds do not subtract)
--   net_fen     Σ line amounts after discounts (points paid as money are part of it) of the sales
--   refund_fen  Σ the same amounts refunded, on the refund's own day (net sales = net - refund)
-- `member` is 1 for sales with a member, 0 for walk-ins; `staff_id` 0 for sales without staff.

CREATE TABLE report_days (
    store_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    member BIGINT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    points_earned BIGINT NOT NULL,
    points_value_fen BIGINT NOT NULL,
    coupon_fen BIGINT NOT NULL,
    points_sales_fen BIGINT NOT NULL,
    coupon_sales_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, member)
);

CREATE TABLE report_hours (
    store_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, hour)
);

CREATE TABLE report_staff_days (
    store_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    staff_id BIGINT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, staff_id)
);

CREATE TABLE report_category_days (
    store_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, category)
);

CREATE TABLE report_product_days (
    store_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    sku TEXT NOT NULL,
    category TEXT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, sku, category)
);

CREATE TABLE report_product_months (
    store_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    sku TEXT NOT NULL,
    category TEXT NOT NULL,
    receipts BIGINT NOT NULL,
    items BIGINT NOT NULL,
    net_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    PRIMARY KEY (store_id, month, sku, category)
);

-- A refunded line's amount after discounts, so reports by category and product can take
-- refunds off. Refunds written before this column get the line's pro-rata share.
ALTER TABLE refund_lines ADD COLUMN net_fen BIGINT NOT NULL DEFAULT 0;
UPDATE refund_lines SET net_fen = (
    SELECT l.net_fen * refund_lines.quantity / l.quantity FROM sale_lines l
    JOIN refunds r ON r.sale_id = l.sale_id
    WHERE r.id = refund_lines.refund_id AND l.line_no = refund_lines.line_no
);

-- The local hour a sale was made and a refund's local day, month and hour, stored when they
-- are written (as `sales.local_day` is) so a rebuild groups them without time zones. Rows
-- written before this migration carry -1 / 0 until `patron reports rebuild` fills them in.
ALTER TABLE sales ADD COLUMN local_hour BIGINT NOT NULL DEFAULT -1;
ALTER TABLE refunds ADD COLUMN local_day BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN local_month BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN local_hour BIGINT NOT NULL DEFAULT -1;

-- Bumped by whatever moves past activity from one customer to another (a merge) or rewrites
-- the roll-ups (a rebuild): a reader holding member activity in memory reloads it then.
CREATE TABLE report_epochs (
    name TEXT NOT NULL PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO report_epochs (name, epoch) VALUES ('activity', 0);
