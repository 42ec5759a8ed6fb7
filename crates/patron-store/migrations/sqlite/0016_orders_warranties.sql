-- Orders for delivery, installation and custom work. `stages` is the pipeline the order
-- was created with (`confirmed > preparing > ... > completed`), so changing the store's
-- pipeline later does not strand orders under way. The delivery address and the note are
-- sealed like the customer's file. `order_no` is what the customer and the delivery note
-- read (`20261123-483920`). `request_key` makes API creation retry-safe.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    sale_id INTEGER,
    stages TEXT NOT NULL,
    status TEXT NOT NULL,
    address_enc TEXT,
    note_enc TEXT,
    total_fen INTEGER NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    request_key TEXT,
    CONSTRAINT uq_orders_request_key UNIQUE (request_key),
    CONSTRAINT uq_orders_order_no UNIQUE (order_no),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_orders_store FOREIGN KEY (store_id) REFERENCES stores (id),
    CONSTRAINT ck_orders_status CHECK (status = 'confirmed' OR status = 'preparing' OR status = 'out_for_delivery' OR status = 'delivered' OR status = 'installed' OR status = 'completed' OR status = 'cancelled')
);
CREATE INDEX ix_orders_customer ON orders (customer_id, created_at);
CREATE INDEX ix_orders_store_status ON orders (store_id, status);

CREATE TABLE order_lines (
    order_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_fen INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
);

-- The order's timeline: stage changes, appointments booked, moved and done, notes.
-- `notified`: 1 the customer was sent a message, 0 nobody could be reached, null not asked.
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    staff_id INTEGER,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    appointment_id INTEGER,
    note_enc TEXT,
    notified INTEGER,
    CONSTRAINT fk_order_events_order FOREIGN KEY (order_id) REFERENCES orders (id)
);
CREATE INDEX ix_order_events_order ON order_events (order_id, id);

-- Visits to the customer (measuring, delivery, installation) in a time window, by one
-- staff member or installer. Proof of completion: a sealed note and a photo kept sealed in
-- the data folder (`photos/`, named by `proof_photo`).
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    assignee_id INTEGER NOT NULL,
    address_enc TEXT,
    proof_note_enc TEXT,
    proof_photo TEXT,
    reschedule_count INTEGER NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    CONSTRAINT fk_appointments_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_appointments_assignee FOREIGN KEY (assignee_id) REFERENCES staff (id),
    CONSTRAINT ck_appointments_status CHECK (status = 'scheduled' OR status = 'done' OR status = 'cancelled'),
    CONSTRAINT ck_appointments_window CHECK (ends_at > starts_at)
);
CREATE INDEX ix_appointments_assignee ON appointments (assignee_id, starts_at);
CREATE INDEX ix_appointments_store ON appointments (store_id, starts_at);
CREATE INDEX ix_appointments_order ON appointments (order_id);
CREATE INDEX ix_appointments_done ON appointments (completed_at);

-- One row per staff member with a calendar; booking bumps it first, so two bookings for the
-- same person are checked for conflicts one after the other on every backend.
CREATE TABLE staff_calendars (
    staff_id INTEGER NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
);

-- The warranty register: each sold item that carries a warranty. Days are the store's
-- local dates (`YYYY-MM-DD`). A serial number is unique per product.
CREATE TABLE warranties (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    sale_id INTEGER,
    order_id INTEGER,
    sku TEXT NOT NULL,
    product TEXT NOT NULL,
    serial TEXT,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    terms TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    notice_sent_at INTEGER,
    CONSTRAINT uq_warranties_sku_serial UNIQUE (sku, serial),
    CONSTRAINT fk_warranties_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT ck_warranties_period CHECK (ends_on >= starts_on)
);
CREATE INDEX ix_warranties_customer ON warranties (customer_id);
CREATE INDEX ix_warranties_serial ON warranties (serial);
CREATE INDEX ix_warranties_ends ON warranties (ends_on);

-- Claims under a warranty, each handled as a ticket.
CREATE TABLE warranty_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warranty_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_warranty_claims_ticket UNIQUE (ticket_id),
    CONSTRAINT fk_warranty_claims_warranty FOREIGN KEY (warranty_id) REFERENCES warranties (id),
    CONSTRAINT fk_warranty_claims_ticket FOREIGN KEY (ticket_id) REFERENCES tickets (id),
    CONSTRAINT ck_warranty_claims_kind CHECK (kind = 'repair' OR kind = 'replacement' OR kind = 'refund')
);
CREATE INDEX ix_warranty_claims_warranty ON warranty_claims (warranty_id);

-- The built-in service notices: an order's progress and a booked visit (not marketing).
INSERT INTO message_templates (name, channel, language, marketing, subject, body, provider_template, updated_at)
VALUES ('订单进度通知', 'sms', 'zh-CN', 0, '', '【{{ store }}】{{ name }}您好，您的订单 {{ order }} {{ status }}。{% if appointment %}上门时间：{{ appointment }}。{% endif %}', '', 0);
INSERT INTO message_templates (name, channel, language, marketing, subject, body, provider_template, updated_at)
VALUES ('订单进度通知', 'email', 'zh-CN', 0, '{{ store }}：订单 {{ order }} {{ status }}', '{{ name }}您好：

您在{{ store }}的订单 {{ order }} {{ status }}。{% if appointment %}
上门时间：{{ appointment }}。{% endif %}

如有疑问请致电门店。', '', 0);
INSERT INTO message_templates (name, channel, language, marketing, subject, body, provider_template, updated_at)
VALUES ('保修到期提醒', 'sms', 'zh-CN', 0, '', '【{{ store }}】{{ name }}您好，您的 {{ product }} 保修将于 {{ expiry }} 到期，如需检修请联系门店。', '', 0);
INSERT INTO message_templates (name, channel, language, marketing, subject, body, provider_template, updated_at)
VALUES ('保修到期提醒', 'email', 'zh-CN', 0, '{{ store }}：{{ product }} 保修即将到期', '{{ name }}您好：

您在{{ store }}购买的 {{ product }} 保修将于 {{ expiry }} 到期。到期前如需检修，请联系门店。', '', 0);
