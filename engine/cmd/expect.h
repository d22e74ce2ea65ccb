/* expect.h: what a fixture step found in the state database, compared with
 * what it expects, and the difference as lines prefixed - and +. */
#ifndef CP_EXPECT_H
#define CP_EXPECT_H

#include <stddef.h>

#include "fixture.h"
#include "sbuf.h"

/* An open alert or a proposed assignment after a step. */
typedef struct cp_found {
  int is_alert;             /* 1: alert, 0: assignment */
  int closed;               /* assignments: 0 proposed; the step's run 1 fulfilled, 2 withdrew it */
  char *rule;               /* rule id */
  char *client;             /* client id */
  char *key;                /* key ("" when none) */
  char *severity;           /* alerts: severity */
  int level;                /* alerts: level */
  char *assignee;           /* staff id, or NULL */
  char *kind;               /* assignments: kind */
  char *title;              /* alerts: title */
  char *data;               /* its data, JSON */
} cp_found;

/* The results a step found, in (client, rule, key) order. */
typedef struct cp_found_set {
  cp_found *v;              /* the results (malloc'd, with their strings) */
  size_t n, cap;            /* used and allocated */
} cp_found_set;

/* Reads the open alerts and proposed assignments of a state database, and
 * the assignments its last run fulfilled or withdrew, into out (emptied
 * first). Prints and returns CP_ESTATE on a database error. */
cp_err cp_expect_found_read(const char *state, cp_found_set *out);

/* Frees the results; the set may be reused. */
void cp_expect_found_free(cp_found_set *s);

/* Compares step's expectations with found and appends the differences to
 * diff, one line each, under a header per section ("alerts:", ...), each
 * line indented by indent: "- {...}" expected and not found, "+ {...}" found
 * and not expected. Returns the number of differences. */
size_t cp_expect_diff(const cp_fixture *fx, const cp_fx_step *step, const cp_found_set *found,
                      const char *indent, sbuf *diff);

#endif
