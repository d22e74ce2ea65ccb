/* store.h: the state database: one run is one transaction that merges each
 * client's outcome into the open alerts and assignments and appends events. */
#ifndef CP_STORE_H
#define CP_STORE_H

#include <stdint.h>

#include "diag.h"
#include "facts.h"
#include "outcome.h"
#include "statedb.h"

/* Event types, in the order of cp_store_stats.events. */
typedef enum cp_event {
  CP_EV_ALERT_OPENED, CP_EV_ALERT_ESCALATED, CP_EV_ALERT_UPDATED, CP_EV_ALERT_RESOLVED,
  CP_EV_ASSIGNMENT_PROPOSED, CP_EV_ASSIGNMENT_UPDATED, CP_EV_ASSIGNMENT_FULFILLED,
  CP_EV_ASSIGNMENT_WITHDRAWN, CP_EV_COUNT
} cp_event;

/* What a run did. */
typedef struct cp_store_stats {
  uint64_t events[CP_EV_COUNT];  /* events appended, by type */
  uint64_t clients;              /* clients merged */
  uint64_t rule_errors;          /* failed (rule, client) evaluations */
  uint64_t findings;             /* data problems recorded */
} cp_store_stats;

typedef struct cp_store cp_store;

/* Returns the name of an event type ("alert.opened"). */
const char *cp_store_event_name(cp_event e);

/* What a state database is for, when it is made: a run's (large pages, for
 * many rows) or a fixture's (a few rows, SQLite's default page). */
typedef enum { CP_STORE_RUN, CP_STORE_FIXTURE } cp_store_use;

/* Opens (creating if needed, mode 0600) the state database and its schema,
 * waiting up to wait_ms (at least 2 s) for the switch to WAL. Returns
 * CP_ESTATE with a message on failure (CP_EBUSY: still in use). Close with
 * cp_store_close(). */
cp_err cp_store_open(const char *path, cp_store_use use, int wait_ms, cp_store **out);

/* Closes the store, rolling back a run not finished; accepts NULL. */
void cp_store_close(cp_store *s);

/* Starts a run: takes the write lock (waiting up to wait_ms for another run
 * to finish; CP_EBUSY after that), records the run and opens a snapshot of
 * the state before it. as_of is the as-of day. */
cp_err cp_store_begin(cp_store *s, int64_t as_of, int wait_ms, const char *config,
                      const char *facts);

/* Sets what the event feed drops or masks (the config's feed section; the
 * store keeps the pointer). Alerts and assignments themselves keep
 * everything. */
void cp_store_set_feed(cp_store *s, const cp_feed_cfg *feed);


/* Moves to client_id (clients in ascending id order): closes the results of
 * clients skipped over (not evaluated this run) and buffers this client's
 * open results from before the run. */
cp_err cp_store_seek(cp_store *s, const char *client_id);

/* Once a run, before its first client: calls fn for each assignment open
 * before the run (picked from a pool, with an assignee; proposed and not
 * changed after the run's as-of time, or proposed by an earlier day and
 * closed by this day's run or a later one): the loads a
 * pool{across_runs = true} holds from the start. Later calls do nothing. */
cp_err cp_store_open_picks(cp_store *s,
                           void (*fn)(void *ctx, const char *pool, const char *group,
                                      const char *assignee),
                           void *ctx);

/* Calls fn for each proposed assignment of client o (cp_store_seek()) that
 * a rule failing for it keeps as it was, picked from a pool: the member's
 * load it holds. */
void cp_store_kept_picks(cp_store *s, const cp_outcome *o,
                         void (*fn)(void *ctx, const char *pool, const char *group,
                                    const char *assignee),
                         void *ctx);

/* The assignee of the client's proposed assignment (rule, key) from before
 * the run, or NULL (also when it was changed after the run's as-of time:
 * in a replay of an earlier day, it is picked again). In a replay, one
 * proposed as of that day and closed after it keeps its assignee too.
 * *pool and *group are the pick the row records (NULL for none); *held is 1
 * when cp_store_open_picks() counted it (0 for a closed one opened by that
 * day's own run, whose member that run took from its client on), and when
 * NULL is returned for one that was open before that day's run (changed
 * since, or open then with no assignee): its pick is made again, and a
 * keep = "while_member" one that nobody can take stays proposed. Valid
 * until the next seek. Call after cp_store_seek(). */
const char *cp_store_prior_assignee(cp_store *s, const char *rule, const char *key,
                                    const char **pool, const char **group, int *held);

/* Records a run value (aggregate, global) that failed in this run as a rule
 * error of no client (client_id ''): the run is incomplete, as when a rule
 * fails. */
cp_err cp_store_run_error(cp_store *s, const char *id, const char *message);

/* Records the outcome's data problems, then merges its client's sorted
 * results (seeking to it first if needed). An outcome with no evaluated
 * client carries data problems only. */
cp_err cp_store_apply(cp_store *s, const cp_outcome *o);

/* Closes what remains of clients after the last one evaluated (their open
 * alerts resolve, their assignments are withdrawn), so that the run's
 * figures are whole before the guards read them. */
cp_err cp_store_finish(cp_store *s);

/* Finishes the run (cp_store_finish()) if not done yet, records the run's
 * figures and commits. */
cp_err cp_store_commit(cp_store *s);

/* The figures of the current or last run, and its id. */
const cp_store_stats *cp_store_stats_of(const cp_store *s);
int64_t cp_store_run_id(const cp_store *s);

/* The last run before the current one and the alerts open after it (read
 * when the run began). */
const cp_last_run *cp_store_last(const cp_store *s);
/* The rows the last run recorded for the facts table name
 * (cp_store_record_rows), -1 when it recorded none, or -2 after printing an
 * error reading them. */
int64_t cp_store_last_rows(const cp_store *s, const char *name);

/* Calls fn for each id under which the state holds open alerts or proposed
 * assignments, as the run began (call it before the first cp_store_apply),
 * with their numbers, in byte order of the ids; stops when fn returns
 * nonzero. */
cp_err cp_store_open_ids(cp_store *s,
                         int (*fn)(void *ctx, const char *id, uint64_t alerts,
                                   uint64_t assignments),
                         void *ctx);

/* The data problems the last run stored for column col of the facts table
 * tbl (as findings name them); 0 when there was no last run. */
cp_err cp_store_last_problems(cp_store *s, const char *tbl, const char *col, uint64_t *n);

/* Records the rows this run found in the facts table name. */
cp_err cp_store_record_rows(cp_store *s, const char *name, uint64_t rows);

#endif
