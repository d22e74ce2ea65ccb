/* rules.h: the policy as loaded: rule files in a sandbox, their checks,
 * derived values, run-wide values, and per-client evaluation. */
#ifndef CP_RULES_H
#define CP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"
#include "outcome.h"
#include "sandbox.h"

typedef struct cp_rules cp_rules;

/* A check as declared with rule{...}. */
typedef struct cp_rule cp_rule;

/* Loads every rule file of the config into a new sandbox, with the rule API,
 * params and the lookup tables of facts, then locks the globals. as_of is the
 * as-of day. Prints "file:line: message" and returns CP_ERULES when a file
 * does not compile or its top level fails. Close with cp_rules_close(). */
cp_err cp_rules_load(const cp_config *cfg, cp_facts *facts, int64_t as_of, cp_rules **out);

/* Hooks that the authoring tools install to watch rules load and run
 * (`test`'s coverage, `check`'s params reads), and that a run's --jobs
 * workers use to keep print()'s lines in the outcomes. The core calls them
 * and knows nothing of the tools. Every member may be NULL. */
typedef struct cp_rules_watch {
  void (*sandbox)(void *ctx, cp_sandbox *sb);
      /* the sandbox exists, no rule file is loaded yet: install its watch */
  void (*params)(void *ctx, lua_State *L, const yt_node *params);
      /* pushes the `params` rules see, in place of cp_params_push()'s */
  void *ctx;                      /* their context */
} cp_rules_watch;

/* Kinds of client fields a rule reads (c.id, a column, a table's rows, a
 * derived value), as the tracer's read hook gets them; 0: a derived value
 * already computed for the client. */
enum { CP_NAME_ID = 1, CP_NAME_COLUMN = 2, CP_NAME_TABLE = 3, CP_NAME_DERIVED = 4,
       CP_NAME_RUN = 5 /* a run value, run.<id> (only ever traced) */ };

/* Hooks that `explain` installs to record one client's evaluation; the core
 * calls them while one is set (cp_rules_set_tracer()), inside the rule's
 * protected call. Every member must be set. */
typedef struct cp_tracer {
  void (*read)(void *ctx, lua_State *L, int kind, unsigned idx);
      /* a client field was read: its name at stack index 2, its value on top;
       * kind CP_NAME_*, idx the column's or table's index in the config; or
       * a run value (CP_NAME_RUN, idx 0) */
  void (*derive_begin)(void *ctx, const char *name);
      /* derived value name starts computing */
  void (*derive_end)(void *ctx, lua_State *L, int failed);
      /* it ended with its value, or its error when failed, on top */
  void (*why)(void *ctx, const char *reason);
      /* the current rule (or derived value) gave a reason with why() */
  void (*not_run)(void *ctx, size_t rule);
      /* check `rule` was not run: the client has no rows it needs */
  void *ctx;                      /* their context */
} cp_tracer;

/* Sets the tracer of the next evaluations (NULL: none); t must outlive them. */
void cp_rules_set_tracer(cp_rules *r, const cp_tracer *t);

/* The index of the check being evaluated, or -1 (the scope, or none). */
long cp_rules_current(const cp_rules *r);

/* From now on, a rule error about a nil on a line that read a param the
 * config lacks names that param (params.h: cp_params_watch()). The
 * authoring commands call it once the rules load; a run's first such error
 * does. */
void cp_rules_watch_params(cp_rules *api);

/* cp_rules_load(), watched as w says (NULL: nothing). */
cp_err cp_rules_load_watched(const cp_config *cfg, cp_facts *facts, int64_t as_of,
                             const cp_rules_watch *w, cp_rules **out);

/* Computes the run-wide values: aggregates (one pass over their tables),
 * globals in declaration order, then pools. An aggregate or a global that
 * fails is printed and marked (cp_rules_run_failures), and the rest goes
 * on; any other error is printed and returns CP_EEVAL. */
cp_err cp_rules_prepare(cp_rules *r);

/* Calls fn with the id and message of each run value (aggregate, then
 * global, in declaration order) and each pool that failed in the run
 * values computed (printed as it failed: the run goes on, and every rule
 * that reads it, or picks from it, fails for each client, keeping its
 * results); returns their number. */
size_t cp_rules_run_failures(cp_rules *r, void (*fn)(void *ctx, const char *id, const char *msg),
                             void *ctx);

/* Fetches the aggregates over per-client table ti, computed by another
 * sandbox, into r's run values (cp_share_run_values()) and sets *done; leaves
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

/* An integer total of an aggregate over part of its table: lo + carry * 2^64
 * (carry nonzero: it does not fit in 64 bits; parts add up to the whole). */
typedef struct cp_agg_total {
  int64_t lo;
  int64_t carry;
} cp_agg_total;

/* Returns 1 when per-client table ti's aggregates may be computed over parts
 * of its rows by several sandboxes and added up (cp_rules_aggregate_part(),
 * cp_rules_aggregate_merge()) with the result cp_rules_aggregate() gives:
 * sums and counts, none grouped, none the sum of a real column. */
int cp_rules_aggregates_splittable(cp_rules *r, unsigned ti);

/* Computes the totals of table ti's aggregates over its rows whose rowid
 * is in [rowids[0], rowids[1]] (cp_facts_rowid_span()) into a malloc'd array
 * *out of *n, in declaration order. */
cp_err cp_rules_aggregate_part(cp_rules *r, unsigned ti, const int64_t rowids[2],
                               cp_agg_total **out, size_t *n);

/* Adds up nparts parts of n totals each, from cp_rules_aggregate_part() in
 * sandboxes loaded from the same config, into r's run values for table ti;
 * prints and returns CP_EEVAL when a total does not fit. */
cp_err cp_rules_aggregate_merge(cp_rules *r, unsigned ti, cp_agg_total *const *parts,
                                size_t nparts, size_t n);

/* Copies the run-wide values computed so far in from into to (another
 * sandbox loaded from the same config), so that a worker need not compute
 * them again. Values must be data (no functions); prints and returns
 * CP_EEVAL otherwise. */
cp_err cp_share_run_values(cp_rules *from, cp_rules *to);

/* Number of checks, and the id, doc and place of check i. */
size_t cp_rules_count(const cp_rules *r);
const char *cp_rules_id(const cp_rules *r, size_t i);
const char *cp_rules_doc(const cp_rules *r, size_t i);
const char *cp_rules_where(const cp_rules *r, size_t i);

/* The per-client table check i needs rows of (rule{needs=}), or NULL. */
const char *cp_rules_needs(const cp_rules *r, size_t i);

/* The ids check i reports under: its own, then those it emits; NULL-ended. */
const char *const *cp_rules_ids(const cp_rules *r, size_t i);

/* Returns 1 when some check reports under id (its own id, or one it emits);
 * with glob, when one of those ids matches id as an fnmatch() pattern. */
int cp_rules_reports(const cp_rules *r, const char *id, int glob);

/* The column type (CP_COL_DATE or CP_COL_TIMESTAMP) that derive{type = ...}
 * of derived value id declares, or -1. */
int cp_rules_derived_type(const cp_rules *r, const char *id);

/* Returns a malloc'd copy of text (a reason, a derived value as explain
 * shows it) in which every text value of 4 bytes or more of a sensitive
 * column of the client being evaluated reads <sensitive>; NULL when memory
 * ran out. */
char *cp_rules_masked(const cp_rules *r, const char *text);

/* Returns 1 when the rule files declare a derived value called id. */
int cp_rules_is_derived(const cp_rules *r, const char *id);

/* Returns 1 when the rule files declare a scope{}. */
int cp_rules_has_scope(const cp_rules *r);

/* `run --profile`: where the client pass's time went, by part. Each part's
 * time is wall-clock time in the thread that ran it, less the parts it
 * called (a rule's excludes the derived values it computed first; a derived
 * value's those it read first). */
typedef struct cp_prof {
  uint64_t calls;           /* times it ran */
  uint64_t not_run;         /* rules: clients without the rows it needs */
  uint64_t ns;              /* nanoseconds, its own */
} cp_prof;

/* The parts that are not a rule or a derived value: run-wide values, reading
 * the clients' facts, the scope, writing the results to the state, the commit. */
enum { CP_PROF_VALUES, CP_PROF_READ, CP_PROF_SCOPE, CP_PROF_WRITE, CP_PROF_COMMIT,
       CP_PROF_PARTS };

typedef struct cp_profile {
  cp_prof part[CP_PROF_PARTS];  /* by CP_PROF_* */
  cp_prof *rule;            /* by check, cp_rules_count() of them */
  cp_prof *derived;         /* by derived value, cp_rules_derived_count() of them */
  uint64_t inner;           /* time of the parts the running part called */
} cp_profile;

/* Starts profiling r's evaluations (before the first); CP_ENOMEM. */
cp_err cp_rules_profile_start(cp_rules *r);

/* r's profile, or NULL when it is not profiled. */
cp_profile *cp_rules_profile(cp_rules *r);

/* The profile's timers: cp_rules_prof_begin() starts timing a part and
 * returns its start, keeping in *outer the time of what the part around it
 * called so far; cp_rules_prof_end() adds one call of the part to e, with
 * its time less that of the parts it called. */
uint64_t cp_rules_prof_begin(cp_profile *p, uint64_t *outer);
void cp_rules_prof_end(cp_profile *p, cp_prof *e, uint64_t t0, uint64_t outer);

/* Adds the profile of from (a worker's, loaded from the same config) to r's. */
void cp_rules_profile_add(cp_rules *r, const cp_rules *from);

/* Number of derived values, and the id of derived value i, in declaration order. */
size_t cp_rules_derived_count(const cp_rules *r);
const char *cp_rules_derived_id(const cp_rules *r, size_t i);

/* Frees the rules and their sandbox; accepts NULL. */
void cp_rules_close(cp_rules *r);

#endif
