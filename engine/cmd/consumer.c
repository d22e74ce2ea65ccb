/* consumer.c: `crmpolicy feed`: the events after a seq or after a named
 * consumer's cursor, with the state's epoch; --ack moves a cursor. */
#include "consumer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "query.h"
#include "sbuf.h"
#include "statedb.h"

#define MAX_CONSUMER_NAME 100
#define FEED_WAIT_MS 10000   /* how long feed waits for a run to finish its commit */

/* Runs one statement with an optional text ?1 and integer ?2; reads an
 * integer column 0 into *out when out is set and a row comes. */
static cp_err step_one(sqlite3 *db, const char *path, const char *sql, const char *a,
                       int64_t b, int64_t *out)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  if (a)
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, b);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && out)
    *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE
           ? CP_OK : cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
}

cp_err cp_consumer_get(sqlite3 *db, const char *path, const char *name, int64_t *seq)
{
  /* A cursor that is no whole number of at least 0 (a state edited by
   * hand) read as 0 would send every event again, as 1.5 would read as 1:
   * it is said, with what sets it right. */
  sqlite3_stmt *st;
  *seq = 0;
  if (sqlite3_prepare_v2(db, "SELECT seq, typeof(seq) = 'integer' AND seq >= 0, "
                         "CASE typeof(seq) WHEN 'blob' THEN 'a BLOB' WHEN 'null' THEN 'NULL' "
                         "WHEN 'text' THEN '''' || substr(seq, 1, 40) || '''' "
                         "ELSE CAST(seq AS TEXT) END FROM consumers WHERE name=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  cp_err err = CP_OK;
  if (rc == SQLITE_ROW && sqlite3_column_int(st, 1))
    *seq = sqlite3_column_int64(st, 0);
  else if (rc == SQLITE_ROW)
    err = cp_diag_fail(CP_ESTATE, "state: %s: the consumer '%s' has the cursor %s, not a whole "
                       "number of at least 0 (the consumers table edited by hand?); set it to "
                       "the last seq it handled: crmpolicy feed --consumer %s --ack SEQ", path,
                       name, sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2)
                                                         : "?", name);
  else if (rc != SQLITE_DONE)
    err = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return err;
}

cp_err cp_consumer_set(sqlite3 *db, const char *path, const char *name, int64_t seq)
{
  return step_one(db, path, "INSERT INTO consumers(name, seq, updated_at) VALUES(?1, ?2, "
                  "strftime('%Y-%m-%dT%H:%M:%SZ','now')) ON CONFLICT(name) DO UPDATE SET "
                  "seq=excluded.seq, updated_at=excluded.updated_at", name, seq, NULL);
}

cp_err cp_consumer_last_seq(sqlite3 *db, const char *path, int64_t *seq)
{
  *seq = 0;
  return step_one(db, path, "SELECT coalesce(max(seq), 0) FROM events", NULL, 0, seq);
}

/* Checks the options of feed that go together. */
static cp_err check_options(const cp_opts *o)
{
  if (o->ack >= 0 && !o->consumer)
    return cp_diag_fail(CP_EUSAGE, "feed: --ack moves a consumer's cursor: it needs --consumer");
  if (o->consumer && o->since_given)
    return cp_diag_fail(CP_EUSAGE, "feed: --since and --consumer do not go together (the "
                     "consumer's cursor is where it reads from)");
  if (o->consumer && (!*o->consumer || strlen(o->consumer) > MAX_CONSUMER_NAME ||
                      strspn(o->consumer, " \t\r\n") || !cp_sbuf_is_plain(o->consumer, strlen(o->consumer))))
    return cp_diag_fail(CP_EUSAGE, "feed: --consumer: a name of 1 to %d bytes of UTF-8 text, "
                     "not starting with a space, without control characters", MAX_CONSUMER_NAME);
  return CP_OK;
}

/* Says that db at path was busy past the wait (exit 4: by a writer, or at
 * the commit by readers), or its error. */
static cp_err busy_or_failed(sqlite3 *db, const char *path, int rc, int commit)
{
  if ((rc & 0xff) != SQLITE_BUSY)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  if (commit)
    return cp_diag_fail(CP_EBUSY, "state: %s is being read, and a state not in WAL mode (one "
                        "restored from a dump, until a run switches it) is written only when "
                        "no one reads it (waited %d s); the cursor was not moved: ack again",
                        path, FEED_WAIT_MS / 1000);
  return cp_diag_fail(CP_EBUSY, "state: %s is in use by a run or a push (waited %d s); the "
                      "cursor was not moved: ack again", path, FEED_WAIT_MS / 1000);
}

/* Moves consumer name's cursor to seq, which must be in the feed. The
 * commit may wait too: for the readers of a state in rollback mode (one
 * restored from a dump, until a run switches it to WAL). */
static cp_err ack(sqlite3 *db, const char *path, const char *name, int64_t seq)
{
  int64_t last;
  int begun = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), done;
  cp_err rc = begun == SQLITE_OK ? cp_consumer_last_seq(db, path, &last)
                                 : busy_or_failed(db, path, begun, 0);
  if (rc == CP_OK && seq > last)
    rc = cp_diag_fail(CP_EUSAGE, "feed: --ack %lld: the feed ends at seq %lld; nothing was "
                   "moved", (long long)seq, (long long)last);
  if (rc == CP_OK)
    rc = cp_consumer_set(db, path, name, seq);
  if (rc == CP_OK && (done = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
    rc = busy_or_failed(db, path, done, 1);
  if (rc != CP_OK)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* The feed command on the state database at path; *epoch_differs is set when
 * --epoch names another epoch. */
static cp_err feed(const char *path, const cp_opts *o, int *epoch_differs)
{
  sqlite3 *db;
  char epoch[17];
  int64_t since = o->since;
  cp_err rc = cp_statedb_open(path, o->ack >= 0, FEED_WAIT_MS, &db);
  if (rc != CP_OK)
    return rc;
  if (o->ack >= 0)   /* as the read-only open does: no consumer registered in an empty state */
    rc = cp_statedb_has_run(db, path);
  if (rc == CP_OK && (rc = cp_statedb_epoch(db, path, epoch)) == CP_OK && o->epoch &&
      strcasecmp(o->epoch, epoch) != 0) {
    *epoch_differs = 1;
    rc = cp_diag_fail(CP_ESTATE, "feed: the state database %s has epoch %s, not %s: it was "
                   "created anew since that seq was read, and its seqs start again; read it "
                   "from the start (--since 0 --epoch %s)", path, epoch, o->epoch, epoch);
  }
  int64_t last = 0;
  if (rc == CP_OK && o->consumer && o->ack >= 0) {
    rc = ack(db, path, o->consumer, o->ack);
  } else if (rc == CP_OK) {
    if (o->consumer)
      rc = cp_consumer_get(db, path, o->consumer, &since);
    if (rc == CP_OK)
      rc = cp_consumer_last_seq(db, path, &last);
    /* seqs never go back: a state copied back from a backup does (its
     * epoch unchanged), and its next events would reuse seqs read before */
    if (rc == CP_OK && since > last)
      rc = cp_diag_fail(CP_EUSAGE, "feed: %s %lld is past the end of the feed (its last seq "
                        "is %lld): was the state database copied back from an earlier copy? "
                        "Give it a new epoch (README, \"Results and the feed\") and read it from "
                        "the start", o->consumer ? "the consumer's cursor" : "--since",
                        (long long)since, (long long)last);
    else if (rc == CP_OK)
      rc = cp_query_feed(db, path, epoch, since, o->limit, stdout);
  }
  sqlite3_close(db);
  return rc;
}

cp_exit cp_cmd_feed(const cp_opts *o)
{
  cp_config *cfg = NULL;
  int differs = 0;
  cp_err rc = check_options(o);
  if (rc == CP_OK && !o->state)
    rc = cp_cli_config(o, &cfg);
  if (rc == CP_OK)
    rc = feed(o->state ? o->state : cfg->state, o, &differs);
  cp_config_free(cfg);
  if (differs)
    return CP_EXIT_EPOCH;
  if (rc == CP_EBUSY)
    return CP_EXIT_BUSY;
  return rc == CP_OK ? CP_EXIT_OK : cp_cli_exit_for(rc) == CP_EXIT_INVALID ? CP_EXIT_INVALID
                                                                       : CP_EXIT_FAILED;
}
