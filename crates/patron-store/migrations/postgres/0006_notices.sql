-- Notices and gifts to members, one row per customer and occasion (`points_expiry:2026-12-31`,
-- `card_expiry:88600000123:2027-01-31`, `birthday:2026`): the primary key is what makes each
-- go out once, across restarts and across several server instances. `status` says what
-- became of it: queued in the outbox, or no channel to reach the member by (staff follow up).
CREATE TABLE member_notices (
    customer_id BIGINT NOT NULL,
    occasion TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    outbox_id BIGINT,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, occasion),
    CONSTRAINT ck_member_notices_status CHECK (status IN ('queued', 'no_channel', 'granted')),
    CONSTRAINT fk_member_notices_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_member_notices_kind ON member_notices (kind, created_at);
