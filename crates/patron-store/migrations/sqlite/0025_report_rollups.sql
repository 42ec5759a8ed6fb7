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
    store_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    member INTEGER NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    points_value_fen INTEGER NOT NULL,
    coupon_fen INTEGER NOT NULL,
    points_sales_fen INTEGER NOT NULL,
    coupon_sales_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, member)
) WITHOUT ROWID;

CREATE TABLE report_hours (
    store_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, hour)
) WITHOUT ROWID;

CREATE TABLE report_staff_days (
    store_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, staff_id)
) WITHOUT ROWID;

CREATE TABLE report_category_days (
    store_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    category TEXT NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, category)
) WITHOUT ROWID;

CREATE TABLE report_product_days (
    store_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    sku TEXT NOT NULL,
    category TEXT NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, sku, category)
) WITHOUT ROWID;

CREATE TABLE report_product_months (
    store_id INTEGER NOT NULL,
    month INTEGER NOT NULL,
    sku TEXT NOT NULL,
    category TEXT NOT NULL,
    receipts INTEGER NOT NULL,
    items INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    refund_fen INTEGER NOT NULL,
    PRIMARY KEY (store_id, month, sku, category)
) WITHOUT ROWID;

-- A refunded line's amount after discounts, so reports by category and product can take
-- refunds off. Refunds written before this column get the line's pro-rata share.
ALTER TABLE refund_lines ADD COLUMN net_fen INTEGER NOT NULL DEFAULT 0;
UPDATE refund_lines SET net_fen = (
    SELECT l.net_fen * refund_lines.quantity / l.quantity FROM sale_lines l
    JOIN refunds r ON r.sale_id = l.sale_id
    WHERE r.id = refund_lines.refund_id AND l.line_no = refund_lines.line_no
);

-- The local hour a sale was made and a refund's local day, month and hour, stored when they
-- are written (as `sales.local_day` is) so a rebuild groups them without time zones. Rows
-- written before this migration carry -1 / 0 until `patron reports rebuild` fills them in.
ALTER TABLE sales ADD COLUMN local_hour INTEGER NOT NULL DEFAULT -1;
ALTER TABLE refunds ADD COLUMN local_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN local_month INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN local_hour INTEGER NOT NULL DEFAULT -1;

-- Bumped by whatever moves past activity from one customer to another (a merge) or rewrites
-- the roll-ups (a rebuild): a reader holding member activity in memory reloads it then.
CREATE TABLE report_epochs (
    name TEXT NOT NULL PRIMARY KEY,
    epoch INTEGER NOT NULL
);
INSERT INTO report_epochs (name, epoch) VALUES ('activity', 0);
