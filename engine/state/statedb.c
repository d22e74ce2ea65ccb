/* statedb.c: versions and migrations of the state database, its epoch, and
 * what the last run left (for the guards). */
#include "statedb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stateread.h"
#include "version.h"
#include "dates.h"

extern const char cp_state_sql[];   /* schema/state.sql, compiled in */

/* Runs one query returning an integer; *out stays as it was when no row. */
static cp_err query_int(sqlite3 *db, const char *path, const char *q, int64_t *out)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE
           ? CP_OK : cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
}

/* Reads meta's value of key into out (size n); "" when absent. Returns the
 * SQLite code of a failed read (a damaged page: SQLITE_CORRUPT), or
 * SQLITE_OK; out is "" then too. */
static int meta_get(sqlite3 *db, const char *key, char *out, size_t n)
{
  sqlite3_stmt *st;
  out[0] = '\0';
  int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if ((rc = sqlite3_step(st)) == SQLITE_ROW)
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

cp_err cp_statedb_check(sqlite3 *db, const char *path, int *version)
{
  int64_t v = 0, tables = 0;
  cp_err rc = query_int(db, path, "PRAGMA user_version", &v);
  if (rc == CP_OK && v == 0)
    rc = query_int(db, path, "SELECT count(*) FROM sqlite_master WHERE name='runs'", &tables);
  if (rc != CP_OK)
    return rc;
  if (v < 0)   /* no crmpolicy writes one: a state edited by hand, not version 1 */
    return cp_diag_fail(CP_ESTATE, "state: %s has state schema version %lld, which no crmpolicy "
                        "writes (PRAGMA user_version was changed by hand?); nothing was written",
                        path, (long long)v);
  *version = v ? (int)v : tables ? 1 : 0;
  if (v <= CP_STATE_VERSION)
    return CP_OK;
  char writer[128];
  meta_get(db, "writer", writer, sizeof writer);
  return cp_diag_fail(CP_ESTATE, "state: %s has state schema version %lld, written by %s; this "
                   "is crmpolicy %s, which knows versions up to %d: use a newer crmpolicy "
                   "(nothing was written)", path, (long long)v,
                   *writer ? writer : "a newer crmpolicy", cp_version, CP_STATE_VERSION);
}

/* Writes 16 random hex digits and a NUL into out (from /dev/urandom). */
static cp_err random_id(const char *path, char *out)
{
  unsigned char b[8];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
  if (fd >= 0)
    close(fd);
  if (n != (ssize_t)sizeof b)
    return cp_diag_fail(CP_EIO, "state: %s: cannot read /dev/urandom for the epoch: %s", path,
                     strerror(errno));
  for (int i = 0; i < 8; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  return CP_OK;
}

/* Executes sql on db; CP_ESTATE with a message naming doing on failure. */
static cp_err exec(sqlite3 *db, const char *path, const char *sql, const char *doing)
{
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return CP_OK;
  return cp_diag_fail(CP_ESTATE, "state: %s: %s: %s", path, doing, sqlite3_errmsg(db));
}

/* Migration from version 1 to 2: the new tables come from the schema (CREATE
 * TABLE IF NOT EXISTS); the database gets its epoch now. */
static cp_err migrate_1_to_2(sqlite3 *db, const char *path)
{
  char epoch[17], sql[128];
  cp_err rc = random_id(path, epoch);
  if (rc != CP_OK)
    return rc;
  snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO meta(key, value) VALUES('epoch', '%s')",
           epoch);
  return exec(db, path, sql, "recording the epoch");
}

/* Adds the columns and tables that came after version 2 and that older
 * writers ignore (every statement of theirs names its columns): a pick's
 * pool and group, the rows of each run's tables, the index by which the
 * guard counts the last run's data problems of a column. */
static cp_err add_columns(sqlite3 *db, const char *path)
{
  cp_err rc = exec(db, path, "CREATE TABLE IF NOT EXISTS run_tables (run_id INTEGER NOT NULL, "
                   "name TEXT NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (run_id, name)); "
                   "CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id, tbl, col)",
                   "adding a table");
  if (rc != CP_OK)
    return rc;
  sqlite3_stmt *st = NULL;
  int have = -1;   /* unknown: a failed read must not add them twice */
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('assignments') "
                         "WHERE name = 'pick_pool'", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    have = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (have < 0)
    return cp_diag_fail(CP_ESTATE, "state: %s: reading the columns of assignments: %s", path,
                        sqlite3_errmsg(db));
  return have ? CP_OK
              : exec(db, path, "ALTER TABLE assignments ADD COLUMN pick_pool TEXT; "
                     "ALTER TABLE assignments ADD COLUMN pick_group TEXT", "adding columns");
}

cp_err cp_statedb_upgrade(sqlite3 *db, const char *path)
{
  int version;
  cp_err rc = cp_statedb_check(db, path, &version);
  if (rc == CP_OK && version == CP_STATE_VERSION)
    rc = add_columns(db, path);
  if (rc != CP_OK || version == CP_STATE_VERSION)
    return rc;
  /* The schema creates what is missing; each step then moves the data on. */
  if ((rc = exec(db, path, cp_state_sql, "creating the schema")) != CP_OK)
    return rc;
  if (version <= 1 && (rc = migrate_1_to_2(db, path)) != CP_OK)
    return rc;
  if ((rc = add_columns(db, path)) != CP_OK)
    return rc;
  char sql[160];
  snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES('writer', "
           "'crmpolicy %s'); PRAGMA user_version=%d", cp_version, CP_STATE_VERSION);
  return exec(db, path, sql, "recording the schema version");
}

cp_err cp_statedb_epoch(sqlite3 *db, const char *path, char *out)
{
  int rc = meta_get(db, "epoch", out, 17);
  if (rc != SQLITE_OK && rc != SQLITE_ERROR)   /* a damaged page, not a table that is missing */
    return cp_diag_fail(CP_ESTATE, "state: %s: reading the epoch (meta table): %s", path,
                        sqlite3_errstr(rc));
  if (!*out)
    return cp_diag_fail(CP_ESTATE, "state: %s has no epoch (meta table)", path);
  /* 16 hex digits, as the state was made with and feed --epoch takes: an
   * epoch set by hand goes into the webhook's headers and bodies, where a
   * quote or a line break would forge a header or break the JSON */
  if (strlen(out) == 16 && strspn(out, "0123456789abcdefABCDEF") == 16)
    return CP_OK;
  return cp_diag_fail(CP_ESTATE, "state: %s: its epoch (meta table) is '%s', not 16 hex digits "
                      "(edited by hand?); give it a new one: sqlite3 %s \"UPDATE meta SET value = "
                      "lower(hex(randomblob(8))) WHERE key = 'epoch'\"", path, out, path);
}

/* Refuses the run of id whose as_of is not a day (id -1: the first run whose
 * as_of has not the form YYYY-MM-DD, if any); CP_OK when there is none. */
static cp_err bad_day(sqlite3 *db, const char *path, int64_t id)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, id >= 0 ? "SELECT id, as_of FROM runs WHERE id = ?1"
                                     : "SELECT id, as_of FROM runs WHERE typeof(as_of) <> 'text' "
                                       "OR as_of NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
                                       "ORDER BY id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  cp_err err = CP_OK;
  if (rc == SQLITE_ROW) {
    const char *day = (const char *)sqlite3_column_text(st, 1);
    err = cp_diag_fail(CP_ESTATE, "state: %s: runs row %lld has as_of '%.40s', not a date "
                       "YYYY-MM-DD (was the state database changed by hand?); nothing was "
                       "written", path, (long long)sqlite3_column_int64(st, 0),
                       day ? day : "NULL");
  } else if (rc != SQLITE_DONE) {
    err = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  return err;
}

cp_err cp_statedb_last_run(sqlite3 *db, const char *path, cp_last_run *out)
{
  sqlite3_stmt *st;
  memset(out, 0, sizeof *out);
  if (sqlite3_prepare_v2(db, "SELECT id, as_of, clients FROM runs ORDER BY id DESC LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  int rc = sqlite3_step(st), bad = 0;
  if (rc == SQLITE_ROW) {
    const char *day = (const char *)sqlite3_column_text(st, 1);
    out->id = sqlite3_column_int64(st, 0);
    out->clients = (uint64_t)sqlite3_column_int64(st, 2);
    bad = !day || cp_dates_parse_date(day, strlen(day), &out->as_of) != 0;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  /* A day that is not one (a state edited by hand) read as day 0: a run as
   * of an earlier day went through as a forward one, no --replay asked; and
   * the runs' days are compared as text (a later run's), so every run's
   * must have the one form. */
  cp_err err = bad ? bad_day(db, path, out->id) : CP_OK;
  if (err == CP_OK)
    err = bad_day(db, path, -1);
  if (err != CP_OK)
    return err;
  int64_t open = 0;
  err = query_int(db, path, "SELECT count(*) FROM alerts WHERE status='open'", &open);
  out->open_alerts = (uint64_t)open;
  return err;
}

/* Opens path with flags and its busy timeout; NULL with a message on failure. */
static sqlite3 *open_db(const char *path, int flags, int wait_ms)
{
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, flags, NULL) == SQLITE_OK &&
      sqlite3_busy_timeout(db, wait_ms) == SQLITE_OK) {
    /* the first read opens the WAL: a failure to make its files shows here */
    int rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
    if (rc == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY)
      cp_stateread_explain(path);
    return db;
  }
  char why[160];
  cp_stateread_size_limit(db, why, sizeof why);
  cp_diag_fail(CP_ESTATE, "state: %s: %s%s", path, sqlite3_errmsg(db), why);
  sqlite3_close(db);
  return NULL;
}

/* Opens path to read it, leaving no -wal or -shm file behind
 * (cp_stateread_open), with its busy timeout; NULL with a message. */
static sqlite3 *open_reader(const char *path, int wait_ms)
{
  sqlite3 *db = NULL;
  if (cp_stateread_open(path, &db) == SQLITE_OK &&
      sqlite3_busy_timeout(db, wait_ms) == SQLITE_OK)
    return db;
  char why[160];
  cp_stateread_size_limit(db, why, sizeof why);
  cp_diag_fail(CP_ESTATE, "state: %s: %s%s", path, sqlite3_errmsg(db), why);
  sqlite3_close(db);
  return NULL;
}

/* Brings db to the current version under the write lock. */
static cp_err migrate(sqlite3 *db, const char *path)
{
  cp_err rc = exec(db, path, "BEGIN IMMEDIATE", "taking the write lock");
  if (rc == CP_OK && (rc = cp_statedb_upgrade(db, path)) == CP_OK)
    rc = exec(db, path, "COMMIT", "migrating");
  if (rc != CP_OK)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

cp_err cp_statedb_found(const char *path)
{
  struct stat sb;
  if (stat(path, &sb) < 0)   /* a link that loops is no state not yet written */
    return cp_diag_fail(CP_ESTATE, "state: %s: %s%s", path, strerror(errno),
                        errno == ENOENT ? " (no run has written it yet?)" : "");
  if (!S_ISREG(sb.st_mode))   /* a device reads as an empty database, a FIFO blocks */
    return cp_diag_fail(CP_ESTATE, "state: %s: not a regular file", path);
  /* SQLite says "unable to open database file" of one it may not read. Not
   * open() and close(): closing any descriptor of the file drops every
   * POSIX lock this process holds on it, a connection's read lock too. */
  if (access(path, R_OK) < 0)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, strerror(errno));
  return cp_stateread_sides(path, CP_ESTATE);
}

cp_err cp_statedb_has_run(sqlite3 *db, const char *path)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs LIMIT 1", -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW)
    return CP_OK;
  if (rc != SQLITE_DONE)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  return cp_diag_fail(CP_ESTATE, "state: %s: no run has written it yet (it holds the schema "
                      "alone: did the first run fail?)", path);
}

cp_err cp_statedb_open(const char *path, int write, int wait_ms, sqlite3 **out)
{
  int version = 0;
  *out = NULL;
  cp_err rc = cp_statedb_found(path);
  if (rc != CP_OK)
    return rc;
  sqlite3 *db = write ? open_db(path, SQLITE_OPEN_READWRITE, wait_ms) : open_reader(path, wait_ms);
  rc = db ? cp_statedb_check(db, path, &version) : CP_ESTATE;
  if (rc == CP_OK && version == 0)   /* another database (the facts?), or an empty file */
    rc = cp_diag_fail(CP_ESTATE, "state: %s is not a crmpolicy state database (it has no runs "
                      "table: no run has written it); nothing was written", path);
  if (rc == CP_OK && version < CP_STATE_VERSION) {   /* migrated first, so written */
    if (!write) {
      sqlite3_close(db);
      db = open_db(path, SQLITE_OPEN_READWRITE, wait_ms);
    }
    rc = db ? migrate(db, path) : CP_ESTATE;
  }
  if (rc == CP_OK && !write)
    rc = cp_statedb_has_run(db, path);
  if (rc != CP_OK) {
    sqlite3_close(db);
    return rc;
  }
  *out = db;
  return CP_OK;
}
