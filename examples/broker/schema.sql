-- examples/broker/schema.sql: the facts of the insurance broker example
-- (read-only to crmpolicy); gen.sh fills them.
-- Dates are YYYY-MM-DD. Client keys are TEXT, compared in byte order.

CREATE TABLE IF NOT EXISTS clients (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  segment       TEXT,                    -- retail | SME | corporate
  premium       REAL,                    -- annual premium, in EUR
  renewal_date  TEXT,
  broker_id     TEXT,                    -- staff id, NULL: none
  status        TEXT NOT NULL,           -- active | lapsed
  created_on    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS staff (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,              -- broker | team_lead | head_of_claims | branch_manager
  manager_id TEXT,                       -- a broker's team lead
  active     INTEGER NOT NULL DEFAULT 1,
  capacity   INTEGER                     -- key accounts a broker may hold; NULL: no limit
);

CREATE TABLE IF NOT EXISTS claims (
  id         TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  claimed_on TEXT NOT NULL,
  amount     REAL,
  status     TEXT NOT NULL               -- open | closed | rejected
);

CREATE TABLE IF NOT EXISTS calls (
  id        TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  called_on TEXT NOT NULL,
  staff_id  TEXT,
  outcome   TEXT                         -- reached | voicemail | no_answer
);

CREATE INDEX IF NOT EXISTS claims_by_client ON claims(client_id, claimed_on);
CREATE INDEX IF NOT EXISTS calls_by_client  ON calls(client_id, called_on);
