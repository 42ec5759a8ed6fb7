-- Messaging and win-back. The outbox learns whom a message is for (customer, store), whether
-- it is marketing, which campaign it belongs to, a provider payload (SMS template code and
-- parameters, WeChat template data) and why it was held back, so the dispatcher can check
-- consent, quiet hours and frequency caps again when it sends. Message templates are kept per
-- name, channel and language. Churn scores are recomputed from the running statistics;
-- win-back playbooks record whom they reached (and whom they held back as a control group).
ALTER TABLE outbox ADD COLUMN customer_id INTEGER;
ALTER TABLE outbox ADD COLUMN store_id INTEGER;
ALTER TABLE outbox ADD COLUMN campaign TEXT;
ALTER TABLE outbox ADD COLUMN marketing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN payload TEXT;
ALTER TABLE outbox ADD COLUMN suppressed TEXT;
CREATE INDEX ix_outbox_customer ON outbox (customer_id, id);
CREATE INDEX ix_outbox_campaign ON outbox (campaign, status);

-- The WeChat Official Account openid a customer is reachable at (sealed like other contacts).
ALTER TABLE customers ADD COLUMN wechat_openid_enc TEXT;

CREATE TABLE message_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    marketing INTEGER NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    provider_template TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_message_templates_name_channel_language UNIQUE (name, channel, language),
    CONSTRAINT ck_message_templates_channel CHECK (channel = 'email' OR channel = 'sms' OR channel = 'wechat' OR channel = 'webhook')
);

CREATE TABLE churn_scores (
    customer_id INTEGER NOT NULL PRIMARY KEY,
    store_id INTEGER NOT NULL,
    score INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    CONSTRAINT fk_churn_scores_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_churn_scores_store ON churn_scores (store_id, score);

CREATE TABLE winback_playbooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    min_score INTEGER NOT NULL,
    make_task INTEGER NOT NULL,
    coupon_template_id INTEGER,
    message_template TEXT,
    control_percent INTEGER NOT NULL,
    cooldown_days INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT fk_winback_playbooks_coupon_template FOREIGN KEY (coupon_template_id) REFERENCES coupon_templates (id)
);

-- `period` is the run day divided by the playbook's cool-down, so one customer is reached at
-- most once per cool-down however often (or from however many servers) the playbook runs.
CREATE TABLE winback_targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    playbook_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    period INTEGER NOT NULL,
    score INTEGER NOT NULL,
    control INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    run_by INTEGER,
    coupon_code TEXT,
    outbox_id INTEGER,
    task_id INTEGER,
    CONSTRAINT uq_winback_targets_playbook_id_customer_id_period UNIQUE (playbook_id, customer_id, period),
    CONSTRAINT fk_winback_targets_playbook FOREIGN KEY (playbook_id) REFERENCES winback_playbooks (id),
    CONSTRAINT fk_winback_targets_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_winback_targets_playbook ON winback_targets (playbook_id, run_at);
