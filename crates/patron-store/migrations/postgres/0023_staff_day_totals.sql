-- What each member of staff has given on their own (without a second person's approval)
-- in one store day: points, coupon face value and compensation value, each a running
-- total. `day` is the store's local date as yyyymmdd. A request adds to its total with a
-- conditional upsert that fails past the day's limit, so parallel requests cannot pass it
-- together.
CREATE TABLE staff_day_totals (
    staff_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    tally TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (staff_id, day, tally),
    CONSTRAINT fk_staff_day_totals_staff FOREIGN KEY (staff_id) REFERENCES staff (id),
    CONSTRAINT ck_staff_day_totals_tally CHECK (tally = 'points' OR tally = 'coupon_fen' OR tally = 'compensation_fen'),
    CONSTRAINT ck_staff_day_totals_amount CHECK (amount >= 0)
);
