-- schema.sql: the facts of the medical-equipment service policy (examples/medservice/POLICY.md §1).
-- Ids are TEXT (compared in byte order); dates YYYY-MM-DD, timestamps
-- YYYY-MM-DDTHH:MM:SS, local time. Indexes on (client key, order column)
-- let crmpolicy stream each table in customer order.

CREATE TABLE IF NOT EXISTS customers (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  kind               TEXT NOT NULL,            -- hospital | clinic
  region             TEXT NOT NULL,            -- north | south | east | west
  tier               TEXT NOT NULL,            -- platinum | gold | silver
  status             TEXT NOT NULL,            -- active | ended
  contract_end_on    TEXT,
  account_manager_id TEXT,
  created_on         TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS machines (
  id              TEXT PRIMARY KEY,
  customer_id     TEXT NOT NULL,
  modality        TEXT NOT NULL,               -- MRI | CT | US
  installed_on    TEXT,
  last_pm_on      TEXT,
  uptime_critical INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS tickets (
  id            TEXT PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  machine_id    TEXT,
  priority      TEXT NOT NULL,                 -- P1 .. P4
  opened_at     TEXT NOT NULL,
  closed_at     TEXT,
  dispatched_at TEXT,
  engineer_id   TEXT
);

CREATE TABLE IF NOT EXISTS visits (
  id          TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  machine_id  TEXT,
  engineer_id TEXT,
  kind        TEXT NOT NULL,                   -- pm | repair | review | renewal
  visited_on  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS staff (
  id       TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  role     TEXT NOT NULL,                      -- engineer | account_manager | service_manager
  region   TEXT,
  capacity INTEGER,                            -- NULL: no limit
  active   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS certifications (
  id          TEXT PRIMARY KEY,
  staff_id    TEXT NOT NULL,
  modality    TEXT NOT NULL,
  valid_until TEXT
);

CREATE INDEX IF NOT EXISTS machines_by_customer ON machines(customer_id, id);
CREATE INDEX IF NOT EXISTS tickets_by_customer  ON tickets(customer_id, opened_at);
CREATE INDEX IF NOT EXISTS visits_by_customer   ON visits(customer_id, visited_on);
