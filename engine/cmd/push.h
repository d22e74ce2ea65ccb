/* push.h: `crmpolicy push`: delivers the feed to the sinks the config names,
 * each a named consumer of the feed ("sink:NAME") with its own cursor. */
#ifndef CP_PUSH_H
#define CP_PUSH_H

#include <sqlite3.h>
#include <stdint.h>

#include "cli.h"
#include "config.h"

/* What every sink of one push shares. */
typedef struct cp_pusher {
  const cp_config *cfg;     /* the config (its sinks) */
  sqlite3 *db;              /* the state, under the write lock */
  const char *path;         /* its path, for messages */
  char epoch[17];           /* the state's epoch */
  int64_t last_seq;         /* the feed's last seq */
  int quiet;                /* print only errors */
} cp_pusher;

/* Pushes the feed of the config's state database to every sink, under the
 * lock runs take (waiting up to wait_seconds). Returns the exit code: 0, 7
 * when a sink kept failing (the others are delivered), or that of an error. */
cp_exit cp_push(const cp_config *cfg, int wait_seconds, int quiet);

/* The alertmanager sink (sink_am.c): makes Alertmanager's active alerts
 * those open in the state. Returns 0, or -1 with the failure reported. */
int cp_sink_am_deliver(cp_pusher *p, const cp_sink_cfg *s);

/* Reports a sink that failed: its name, type and url, what went wrong, and
 * where its cursor stays. Returns -1. */
int cp_push_failed(cp_pusher *p, const cp_sink_cfg *s, const char *what);

#endif
