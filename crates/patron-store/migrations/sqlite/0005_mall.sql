-- The points mall: rewards bought with points (and optionally some cash), and the orders
-- that redeem them. Stock and per-member limits are enforced by conditional updates, so no
-- race can oversell a reward or let a member past the limit.

-- A reward is a reference table (like products): orders point at it, it carries no customer.
CREATE TABLE rewards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- `goods` are handed over at a store; `coupon` issues a coupon of the template at once.
    kind TEXT NOT NULL,
    coupon_template_id INTEGER,
    points_price INTEGER NOT NULL,
    cash_fen INTEGER NOT NULL,
    -- NULL: unlimited.
    stock INTEGER,
    per_member_limit INTEGER,
    valid_from_ms INTEGER NOT NULL,
    valid_until_ms INTEGER,
    status TEXT NOT NULL,
    redeemed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT ck_rewards_kind CHECK (kind IN ('goods', 'coupon')),
    CONSTRAINT ck_rewards_coupon CHECK ((kind = 'coupon') = (coupon_template_id IS NOT NULL)),
    CONSTRAINT ck_rewards_price CHECK (points_price > 0 AND cash_fen >= 0),
    CONSTRAINT ck_rewards_stock CHECK (stock IS NULL OR stock >= 0),
    CONSTRAINT ck_rewards_limit CHECK (per_member_limit IS NULL OR per_member_limit > 0),
    CONSTRAINT ck_rewards_status CHECK (status IN ('active', 'retired')),
    CONSTRAINT fk_rewards_template FOREIGN KEY (coupon_template_id) REFERENCES coupon_templates (id)
);

-- How many of a reward a member holds (orders not cancelled): the per-member limit is a
-- conditional upsert on this row.
CREATE TABLE reward_claims (
    customer_id INTEGER NOT NULL,
    reward_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (customer_id, reward_id),
    CONSTRAINT ck_reward_claims_quantity CHECK (quantity >= 0),
    CONSTRAINT fk_reward_claims_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_reward_claims_reward FOREIGN KEY (reward_id) REFERENCES rewards (id)
);

-- A redemption. Goods go placed -> ready -> fulfilled; a coupon order is fulfilled when it
-- is placed. An order not yet fulfilled may be cancelled: points, stock and the member's
-- claim come back in the same transaction.
CREATE TABLE reward_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    reward_id INTEGER NOT NULL,
    store_id INTEGER,
    quantity INTEGER NOT NULL,
    points INTEGER NOT NULL,
    cash_fen INTEGER NOT NULL,
    status TEXT NOT NULL,
    -- The coupons a coupon reward issued, comma-separated.
    coupon_codes TEXT NOT NULL,
    note TEXT NOT NULL,
    placed_by_name TEXT NOT NULL,
    placed_at_ms INTEGER NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    CONSTRAINT ck_reward_orders_status CHECK (status IN ('placed', 'ready', 'fulfilled', 'cancelled')),
    CONSTRAINT ck_reward_orders_quantity CHECK (quantity > 0),
    CONSTRAINT fk_reward_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_reward_orders_reward FOREIGN KEY (reward_id) REFERENCES rewards (id),
    CONSTRAINT fk_reward_orders_store FOREIGN KEY (store_id) REFERENCES stores (id)
);
CREATE INDEX ix_reward_orders_customer ON reward_orders (customer_id, placed_at_ms);
CREATE INDEX ix_reward_orders_status ON reward_orders (status, store_id, placed_at_ms);
