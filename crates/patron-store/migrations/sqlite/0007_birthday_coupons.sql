-- Coupon templates gain the birthday condition: a coupon usable only in the calendar month
-- of the member's birthday (in the store's zone). Existing templates have no such condition.
ALTER TABLE coupon_templates ADD COLUMN birthday_month INTEGER NOT NULL DEFAULT 0;
