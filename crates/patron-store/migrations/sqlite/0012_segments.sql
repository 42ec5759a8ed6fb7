-- Saved segments shared by the staff of a store (or the whole chain when `store_id` is null).
-- `groups` is a JSON array of condition groups, each the customer list's query string: a
-- customer is in the segment when every condition of at least one group holds. Evaluated
-- live within the viewer's scope, never stored as a member list.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id INTEGER,
    name TEXT NOT NULL,
    groups TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_segments_name UNIQUE (name),
    CONSTRAINT fk_segments_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT fk_segments_staff FOREIGN KEY (created_by) REFERENCES staff (id)
);

-- A win-back playbook can reach a segment instead of the churn warning list: that is how a
-- segment feeds tasks, coupons and messages with a control group and results.
ALTER TABLE winback_playbooks ADD COLUMN segment_id INTEGER CONSTRAINT fk_winback_playbooks_segment REFERENCES segments (id);
