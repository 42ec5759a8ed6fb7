-- Surveys. `questions` is the JSON list of questions; `trigger` says when one goes out by
-- itself (manual: only when sent to a segment); `message` names the message template the
-- invitation is sent with (blank: a plain e-mail).
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    questions TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    delay_days INTEGER NOT NULL,
    message TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_surveys_name UNIQUE (name),
    CONSTRAINT ck_surveys_trigger CHECK (trigger_kind = 'manual' OR trigger_kind = 'after_purchase' OR trigger_kind = 'after_resolution')
);

-- The satisfaction follow-up of resolved tickets, ready from the start.
INSERT INTO surveys (name, questions, trigger_kind, delay_days, message, active, created_at, updated_at)
VALUES ('售后满意度回访',
        '[{"kind":"csat","prompt":"您对这次问题的处理满意吗？"},{"kind":"text","prompt":"还有什么想告诉我们的？"}]',
        'after_resolution', 0, '', 1, 0, 0);

-- One customer asked once for one occasion (`ticket:<id>:<round>`, `sale:<id>`,
-- `send:<batch>`). The link's secret is kept only as its hash. `channel` is null when no
-- channel reached the customer; `outcome` records what an answer did to a ticket.
CREATE TABLE survey_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    survey_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    occasion TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    ticket_id INTEGER,
    sale_id INTEGER,
    channel TEXT,
    sent_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    answered_at INTEGER,
    outcome TEXT,
    CONSTRAINT uq_survey_invitations_token UNIQUE (token_hash),
    CONSTRAINT uq_survey_invitations_occasion UNIQUE (survey_id, customer_id, occasion),
    CONSTRAINT fk_survey_invitations_survey FOREIGN KEY (survey_id) REFERENCES surveys (id),
    CONSTRAINT fk_survey_invitations_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_survey_invitations_open ON survey_invitations (expires_at, answered_at);
CREATE INDEX ix_survey_invitations_ticket ON survey_invitations (ticket_id);

-- One answer to one question. Scores (CSAT, NPS) in `score`, chosen options as their
-- indexes (`0,2`) in `choices`, free text sealed like the customer's file.
CREATE TABLE survey_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invitation_id INTEGER NOT NULL,
    survey_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    store_id INTEGER NOT NULL,
    question_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    score INTEGER,
    choices TEXT,
    text_enc TEXT,
    answered_at INTEGER NOT NULL,
    CONSTRAINT uq_survey_answers_question UNIQUE (invitation_id, question_no),
    CONSTRAINT fk_survey_answers_invitation FOREIGN KEY (invitation_id) REFERENCES survey_invitations (id)
);
CREATE INDEX ix_survey_answers_survey ON survey_answers (survey_id, answered_at);
CREATE INDEX ix_survey_answers_customer ON survey_answers (customer_id, answered_at);

-- The customer's rating of a ticket's resolution, and closing without one.
ALTER TABLE tickets ADD COLUMN satisfaction INTEGER;
ALTER TABLE tickets ADD COLUMN closed_unanswered INTEGER NOT NULL DEFAULT 0;
