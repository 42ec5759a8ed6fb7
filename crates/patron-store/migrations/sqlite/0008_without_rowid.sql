-- Two tables read and written only by their composite key are kept, on SQLite, in that key's
-- own b-tree instead of a rowid table plus an index on the key:
-- * sale lines (`sale_id`, `line_no`): one b-tree written per line instead of two, which is
--   most of the work of a large history import;
-- * customer months (`customer_id`, `month`): the rolling twelve months of every customer are
--   read in key order with their figures, not looked up row by row (reclassification).
-- PostgreSQL has no rowid tables; this migration has no PostgreSQL counterpart, and the next
-- migration of both trees is 0009.
-- The sales table's check on `source` becomes three comparisons instead of an IN list, the
-- same rule: SQLite builds an IN list's lookup table again for every row a statement
-- inserts, which was a tenth of a large import's time. SQLite cannot alter a CHECK, so the
-- stored definition is edited, as its documentation describes for changing constraints; the
-- new rule accepts exactly the rows the old one did, and the tables created below bump the
-- schema version so every connection reads the new definition.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, 'CHECK (source IN (''till'', ''console'', ''import''))',
    'CHECK (source = ''till'' OR source = ''console'' OR source = ''import'')')
WHERE type = 'table' AND name = 'sales';
PRAGMA writable_schema = OFF;

CREATE TABLE sale_lines_keyed (
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
) WITHOUT ROWID;

INSERT INTO sale_lines_keyed (sale_id, line_no, sku, name, category, quantity, unit_price_fen,
    discount_fen, net_fen, paid_fen, earns, refunded_qty)
SELECT sale_id, line_no, sku, name, category, quantity, unit_price_fen, discount_fen, net_fen,
    paid_fen, earns, refunded_qty
FROM sale_lines;

DROP TABLE sale_lines;
ALTER TABLE sale_lines_keyed RENAME TO sale_lines;

CREATE TABLE customer_months_keyed (
    customer_id INTEGER NOT NULL,
    month INTEGER NOT NULL,
    spend_fen INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    PRIMARY KEY (customer_id, month),
    CONSTRAINT fk_customer_months_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) WITHOUT ROWID;

INSERT INTO customer_months_keyed (customer_id, month, spend_fen, visits, points_earned, last_day)
SELECT customer_id, month, spend_fen, visits, points_earned, last_day FROM customer_months;

DROP TABLE customer_months;
ALTER TABLE customer_months_keyed RENAME TO customer_months;
