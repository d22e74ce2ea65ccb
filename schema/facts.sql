-- facts.sql: the facts contract that crmpolicy reads (read-only).
--
-- A facts database may hold more tables and more columns than these, and may
-- lack the indexes (then a run is slower, never wrong). Dates are YYYY-MM-DD,
-- timestamps YYYY-MM-DDTHH:MM:SS (a space for T is accepted), local time.
-- Client keys are TEXT and compared in byte order.

CREATE TABLE IF NOT EXISTS clients (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  segment           TEXT,
  industry          TEXT,
  region            TEXT,
  status            TEXT NOT NULL,          -- prospect | active | dormant | closed
  strategic_partner INTEGER NOT NULL DEFAULT 0,
  approved_tier     TEXT,                   -- strategic | key | major | general | NULL
  created_on        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS staff (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  -- general_manager | marketing_vp | marketing_manager | key_account_manager
  -- | resident_rep | tech_engineer | quality_engineer | service_engineer
  manager_id TEXT,
  active     INTEGER NOT NULL DEFAULT 1,
  capacity   INTEGER                        -- NULL: no limit
);

CREATE TABLE IF NOT EXISTS client_staff (
  client_id TEXT NOT NULL,
  staff_id  TEXT NOT NULL,
  role      TEXT NOT NULL,
  since     TEXT NOT NULL,
  until     TEXT
);

CREATE TABLE IF NOT EXISTS orders (
  id           TEXT PRIMARY KEY,
  client_id    TEXT NOT NULL,
  ordered_on   TEXT NOT NULL,
  amount       REAL NOT NULL,
  due_on       TEXT,
  delivered_on TEXT
);

CREATE TABLE IF NOT EXISTS contacts (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  staff_id    TEXT,
  level       TEXT NOT NULL,                -- executive | account | technical | quality | service
  channel     TEXT NOT NULL,                -- visit | call | email | meeting | video
  happened_at TEXT NOT NULL,
  summary     TEXT
);

CREATE TABLE IF NOT EXISTS complaints (
  id                TEXT PRIMARY KEY,
  client_id         TEXT NOT NULL,
  category          TEXT,
  severity          TEXT,
  opened_at         TEXT NOT NULL,
  first_response_at TEXT,
  resolved_at       TEXT,
  owner_id          TEXT
);

CREATE TABLE IF NOT EXISTS surveys (
  id          TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL,
  surveyed_on TEXT NOT NULL,
  score       INTEGER NOT NULL              -- 0..10
);

CREATE TABLE IF NOT EXISTS credit (
  client_id      TEXT PRIMARY KEY,
  rating         TEXT,
  overdue_amount REAL,
  overdue_days   INTEGER,
  assessed_on    TEXT
);

-- Recommended indexes: each per-client table is read once, in client order,
-- so an index on (client key, ordering column) lets SQLite stream it without
-- sorting. staff and clients are read through their primary keys.
CREATE INDEX IF NOT EXISTS client_staff_by_client ON client_staff(client_id, since);
CREATE INDEX IF NOT EXISTS orders_by_client       ON orders(client_id, ordered_on);
CREATE INDEX IF NOT EXISTS contacts_by_client     ON contacts(client_id, happened_at);
CREATE INDEX IF NOT EXISTS complaints_by_client   ON complaints(client_id, opened_at);
CREATE INDEX IF NOT EXISTS surveys_by_client      ON surveys(client_id, surveyed_on);
