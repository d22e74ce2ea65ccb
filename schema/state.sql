-- state.sql: crmpolicy's own database: runs, alerts, assignments, the event
-- feed and what went wrong. The engine creates it; other systems read it.
-- Timestamps of alerts and events are the run's as-of time (YYYY-MM-DDTHH:MM:SS),
-- so that replaying a day gives the same state; runs also keep wall-clock UTC.
-- PRAGMA user_version is the schema version (2; 0 with tables is version 1);
-- the engine migrates an older database and refuses a newer one.

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,                 -- epoch: 16 hex digits, new with the database;
  value TEXT NOT NULL                     -- writer: the crmpolicy that last set the schema
);

CREATE TABLE IF NOT EXISTS runs (
  id          INTEGER PRIMARY KEY,
  as_of       TEXT NOT NULL,              -- YYYY-MM-DD
  started_at  TEXT NOT NULL,              -- wall clock, UTC
  finished_at TEXT,                       -- wall clock, UTC
  status      TEXT NOT NULL,              -- complete | incomplete (some rule errors)
  clients     INTEGER NOT NULL DEFAULT 0, -- clients evaluated
  rule_errors INTEGER NOT NULL DEFAULT 0, -- (rule, client) evaluations that failed
  findings    INTEGER NOT NULL DEFAULT 0, -- data problems in the facts
  events      INTEGER NOT NULL DEFAULT 0, -- events this run appended
  config      TEXT NOT NULL,              -- config file
  facts       TEXT NOT NULL               -- facts database
);

CREATE TABLE IF NOT EXISTS alerts (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,              -- FNV-1a 64 of rule, client_id, key (hex)
  rule        TEXT NOT NULL,
  client_id   TEXT NOT NULL,
  key         TEXT NOT NULL,              -- "" when the rule has one alert per client
  severity    TEXT NOT NULL,              -- info | warning | critical
  level       INTEGER NOT NULL,           -- escalation step, from 1
  assignee    TEXT,                       -- staff id
  title       TEXT NOT NULL,
  data        TEXT NOT NULL,              -- JSON object
  status      TEXT NOT NULL,              -- open | resolved
  opened_at   TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  run_id      INTEGER NOT NULL            -- the run that last changed it
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_identity ON alerts(client_id, rule, key);

CREATE TABLE IF NOT EXISTS assignments (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  rule        TEXT NOT NULL,
  client_id   TEXT NOT NULL,
  key         TEXT NOT NULL,
  kind        TEXT NOT NULL,              -- assign_staff | tier_approval | ...
  assignee    TEXT,                       -- staff member proposed, or the approver
  data        TEXT NOT NULL,              -- JSON object
  status      TEXT NOT NULL,              -- proposed | fulfilled | withdrawn
  opened_at   TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  run_id      INTEGER NOT NULL,
  pick_pool   TEXT,                       -- a pick's pool and group (pick = {...}), so that a
  pick_group  TEXT                        -- rule failing for the client keeps its load
);
CREATE UNIQUE INDEX IF NOT EXISTS assignments_identity ON assignments(client_id, rule, key);

-- The feed: append-only; seq never repeats, even after a rolled-back run.
CREATE TABLE IF NOT EXISTS events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER NOT NULL,
  type        TEXT NOT NULL,              -- alert.opened | alert.escalated | alert.updated
                                          -- | alert.resolved | assignment.proposed
                                          -- | assignment.updated | assignment.fulfilled
                                          -- | assignment.withdrawn
  at          TEXT NOT NULL,              -- the run's as-of time
  fingerprint TEXT NOT NULL,              -- the record's own identity, as in alerts, even
  rule        TEXT NOT NULL,              -- when feed.mask hides it in the body
  client_id   TEXT NOT NULL,
  key         TEXT NOT NULL,
  body        TEXT NOT NULL               -- the alert or assignment after the change (JSON),
                                          -- as the feed shows it (feed.mask, feed.drop)
);

CREATE TABLE IF NOT EXISTS rule_errors (
  run_id      INTEGER NOT NULL,
  rule        TEXT NOT NULL,
  client_id   TEXT NOT NULL,
  message     TEXT NOT NULL,              -- rules/x.lua:40: ... (rule R, client C)
  traceback   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS findings (
  run_id      INTEGER NOT NULL,
  tbl         TEXT NOT NULL,
  row_id      TEXT NOT NULL,
  col         TEXT NOT NULL,
  value       TEXT NOT NULL,
  problem     TEXT NOT NULL
);
-- The guard counts the last run's data problems of a column (added without
-- a version change: a run makes it on a state that lacks it).
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id, tbl, col);

-- The rows each run read of the facts' per-client and lookup tables: the
-- guard refuses a run whose table came empty after one that had
-- guard.min_count rows, or fell by more than guard.table_drop_percent.
-- Added without a version change (runs before 2026-12-06 counted up to
-- guard.min_count only).
CREATE TABLE IF NOT EXISTS run_tables (
  run_id      INTEGER NOT NULL,
  name        TEXT NOT NULL,              -- the table as the config names it
  rows        INTEGER NOT NULL,           -- rows read
  PRIMARY KEY (run_id, name)
);

-- Named consumers of the feed (feed --consumer, and push's sinks as
-- "sink:NAME"): the last seq each acknowledged.
CREATE TABLE IF NOT EXISTS consumers (
  name        TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL,
  updated_at  TEXT NOT NULL               -- wall clock, UTC
);

-- What each alertmanager sink holds active: the label sets last posted, so
-- that a push ends the ones that are no longer open.
CREATE TABLE IF NOT EXISTS sink_alerts (
  sink        TEXT NOT NULL,
  labels      TEXT NOT NULL,              -- JSON object, as posted
  starts_at   TEXT NOT NULL,              -- startsAt, as posted
  PRIMARY KEY (sink, labels)
);
