-- schema.sql: the facts a B2B SaaS vendor's CRM exports every night for the
-- customer-success policy (examples/saas/POLICY.md). Money in US dollars; dates YYYY-MM-DD,
-- times YYYY-MM-DD HH:MM:SS on the company's clock.
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  plan          TEXT NOT NULL,      -- starter, growth, enterprise
  region        TEXT NOT NULL,      -- amer, emea, apac
  status        TEXT NOT NULL,      -- active, churned
  arr           REAL NOT NULL,      -- annual recurring revenue now, USD
  arr_year_ago  REAL,               -- a year ago; NULL for accounts younger than that
  csm_id        TEXT,               -- staff.id of the CSM; NULL when unassigned
  billing_email TEXT,               -- personal data
  created_on    TEXT NOT NULL
);

CREATE TABLE staff (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,         -- csm, cs_manager, cs_vp, support_agent, support_head
  region     TEXT,
  manager_id TEXT,
  active     INTEGER NOT NULL DEFAULT 1,
  capacity   INTEGER                -- a CSM's accounts at most; NULL: no limit
);

CREATE TABLE usage (                -- one row per account and month
  account_id      TEXT NOT NULL,
  month           TEXT NOT NULL,    -- the month's first day
  seats_purchased INTEGER NOT NULL,
  seats_active    INTEGER NOT NULL,
  UNIQUE (account_id, month)
);

CREATE TABLE tickets (
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL,
  severity          INTEGER NOT NULL, -- 1 (down) .. 4 (question)
  opened_at         TEXT NOT NULL,
  first_response_at TEXT,
  resolved_at       TEXT,
  agent_id          TEXT              -- staff.id of the support agent
);

CREATE TABLE qbrs (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL,
  held_on       TEXT NOT NULL,
  attendee      TEXT,               -- the customer's most senior attendee
  attendee_role TEXT                -- exec, champion, user
);

CREATE TABLE renewals (
  id         TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  renewal_on TEXT NOT NULL,
  arr        REAL,
  status     TEXT NOT NULL          -- open, renewed, lost
);

CREATE TABLE nps (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  answered_on TEXT NOT NULL,
  score       INTEGER NOT NULL       -- 0 .. 10
);

-- client-ordered reading (README, "The config": an index on (key, order))
CREATE INDEX usage_by_account    ON usage (account_id, month);
CREATE INDEX tickets_by_account  ON tickets (account_id, opened_at);
CREATE INDEX qbrs_by_account     ON qbrs (account_id, held_on);
CREATE INDEX renewals_by_account ON renewals (account_id, renewal_on);
CREATE INDEX nps_by_account      ON nps (account_id, answered_on);
