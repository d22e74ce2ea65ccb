/* statedb.h: the state database's schema version, its migrations, its epoch
 * (the id it gets when created) and the figures of the last run. */
#ifndef CP_STATEDB_H
#define CP_STATEDB_H

#include <sqlite3.h>
#include <stdint.h>

#include "diag.h"

/* The schema version this crmpolicy writes (PRAGMA user_version). Version 1
 * is the schema before versions were recorded (user_version 0, with tables);
 * version 2 added the epoch and the consumers and sink_alerts tables. */
#define CP_STATE_VERSION 2

/* What the state said about the last committed run before this one. */
typedef struct cp_last_run {
  int64_t id;               /* its id; 0 when there was none */
  int64_t as_of;            /* its as-of day (epoch day) */
  uint64_t clients;         /* clients it evaluated */
  uint64_t open_alerts;     /* alerts open after it */
} cp_last_run;

/* Inside a write transaction on db: creates the schema of an empty database
 * (with a new epoch), migrates an older one step by step, and refuses one
 * that a newer crmpolicy wrote, naming its version and writer (CP_ESTATE).
 * path is for messages. */
cp_err cp_statedb_upgrade(sqlite3 *db, const char *path);

/* Reads the schema version of db into *version (0: no tables yet); refuses
 * (CP_ESTATE) a version newer than CP_STATE_VERSION. */
cp_err cp_statedb_check(sqlite3 *db, const char *path, int *version);

/* Writes the epoch of db (16 hex digits) into out (17 bytes). */
cp_err cp_statedb_epoch(sqlite3 *db, const char *path, char *out);

/* Reads the last run and the open alerts of db into *out. */
cp_err cp_statedb_last_run(sqlite3 *db, const char *path, cp_last_run *out);

/* Checks that the state database path names a regular file that exists
 * (a message and CP_ESTATE when not: no run wrote it yet, or a device). */
cp_err cp_statedb_found(const char *path);

/* Checks that a run has committed into state database db (a message and
 * CP_ESTATE when not: a first run that failed leaves the schema alone). */
cp_err cp_statedb_has_run(sqlite3 *db, const char *path);

/* Opens an existing state database for feed and push, read-only unless
 * write is set, brought to the current version first (an older one is
 * migrated under the write lock, waiting up to wait_ms). Close with
 * sqlite3_close(). CP_ESTATE with a message when it does not exist, is
 * not a state database (no runs table: nothing is written into it) or,
 * read-only, holds no run yet. */
cp_err cp_statedb_open(const char *path, int write, int wait_ms, sqlite3 **out);

#endif
