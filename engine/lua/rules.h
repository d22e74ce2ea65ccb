/* rules.h: the policy as loaded: rule files in a sandbox, their checks,
 * derived values, run-wide values, and per-client evaluation. */
#ifndef CP_RULES_H
#define CP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"
#include "outcome.h"

typedef struct cp_api cp_rules;

/* A check as declared with rule{...}. */
typedef struct cp_rule cp_rule;

/* Loads every rule file of the config into a new sandbox, with the rule API,
 * params and the lookup tables of facts, then locks the globals. as_of is the
 * as-of day. Prints "file:line: message" and returns CP_ERULES when a file
 * does not compile or its top level fails. Close with cp_rules_close(). */
cp_err cp_rules_load(const cp_config *cfg, cp_facts *facts, int64_t as_of, cp_rules **out);

struct cp_coverage;
struct cp_lint;

/* What `test`, `check` and `explain` watch while rules load and run; runs
 * watch nothing. Every member may be NULL. */
typedef struct cp_rules_watch {
  struct cp_coverage *coverage;   /* lines of rule code executed (coverage.h) */
  struct cp_lint *lint;           /* params the rules read (lint.h) */
} cp_rules_watch;

/* cp_rules_load(), watched as w says (NULL: nothing). */
cp_err cp_rules_load_watched(const cp_config *cfg, cp_facts *facts, int64_t as_of,
                             const cp_rules_watch *w, cp_rules **out);

/* Computes the run-wide values: aggregates (one pass over their tables),
 * globals in declaration order, then pools. Prints and returns CP_EEVAL on an
 * error. */
cp_err cp_rules_prepare(cp_rules *r);

/* Fetches the aggregates over per-client table ti, computed by another
 * sandbox, into r's run values (cp_rules_share()) and sets *done; leaves
 * *done 0 for r to compute them. */
typedef cp_err (*cp_aggregates_fn)(void *ctx, cp_rules *r, unsigned ti, int *done);

/* cp_rules_prepare(), asking fetch (NULL: nobody) for the aggregates of the
 * tables whose aggregates are all numeric (see below), in table order. */
cp_err cp_rules_prepare_from(cp_rules *r, cp_aggregates_fn fetch, void *ctx);

/* Returns 1 when per-client table ti has aggregates and all are sums or
 * counts: numbers computed in C that any sandbox of the config computes
 * alike, whatever the other run values. */
int cp_rules_numeric_aggregates(cp_rules *r, unsigned ti);

/* Computes the aggregates over per-client table ti into r's run values. */
cp_err cp_rules_aggregate(cp_rules *r, unsigned ti);

/* Copies the run-wide values computed so far in from into to (another
 * sandbox loaded from the same config), so that a worker need not compute
 * them again. Values must be data (no functions); prints and returns
 * CP_EEVAL otherwise. */
cp_err cp_rules_share(cp_rules *from, cp_rules *to);

/* Evaluates every check for client c into out (reset by the caller). A check
 * that fails is recorded in out; only running out of host memory fails the
 * call. */
cp_err cp_rules_eval(cp_rules *r, const cp_client *c, cp_outcome *out);

/* Looks up the assignee of a client's open assignment (rule, key) from an
 * earlier run; NULL when none. */
typedef const char *(*cp_prior_fn)(void *ctx, const char *rule, const char *key);

/* Resolves the picks of an outcome (in reporting order, before sorting): an
 * assignment still open from an earlier run keeps its assignee; otherwise the
 * pool member of the group with the smallest load below its capacity, then
 * the smallest id, is chosen and its load grows. When nobody qualifies, the
 * assignment is dropped and its `unfilled` alert stands. Clients must come in
 * ascending id order for the result to be the policy's. */
cp_err cp_rules_resolve(cp_rules *r, cp_outcome *o, cp_prior_fn prior, void *ctx);

/* Number of checks, and the id, doc and place of check i. */
size_t cp_rules_count(const cp_rules *r);
const char *cp_rules_id(const cp_rules *r, size_t i);
const char *cp_rules_doc(const cp_rules *r, size_t i);
const char *cp_rules_where(const cp_rules *r, size_t i);

/* The per-client table check i needs rows of (rule{needs=}), or NULL. */
const char *cp_rules_needs(const cp_rules *r, size_t i);

/* The ids check i reports under: its own, then those it emits; NULL-ended. */
const char *const *cp_rules_ids(const cp_rules *r, size_t i);

/* Frees the rules and their sandbox; accepts NULL. */
void cp_rules_close(cp_rules *r);

#endif
