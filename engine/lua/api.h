/* api.h: internal state of the rule API shared by rules.c, client.c, emit.c,
 * dtlib.c and eval.c. Not for the rest of the engine: it uses rules.h. */
#ifndef CP_API_H
#define CP_API_H

#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"
#include "freeze.h"
#include "outcome.h"
#include "params.h"
#include "rules.h"
#include "sandbox.h"
#include "sbuf.h"

/* A check declared with rule{...}, in declaration order. */
typedef struct cp_rule {
  char *id;                 /* rule id ("visit.account") */
  char *doc;                /* what it checks, for people */
  char *where;              /* "rules/visits.lua:12", where it is declared */
  char *file;               /* its file's chunk name ("@rules/visits.lua") */
  const char **ids;         /* id and the extra ids it emits, NULL-ended */
  int fn_ref;               /* registry ref of its function */
  char *needs;              /* a per-client table the rule needs rows of, or NULL */
  int needs_table;          /* that table's index, or -1: the rule runs for every client */
  char *held;               /* why it is skipped for the rest of the run (it held the
                               heap, or ran out of its budget for SPENT_IN_A_ROW clients
                               in a row), or NULL */
  unsigned spent;           /* clients in a row it ran out of its budget or memory for */
} cp_rule;

/* A member of a pool: someone a rule can be given, with capacity and load. */
typedef struct cp_member {
  const char *id;           /* staff id, in the pool's names */
  const char *group;        /* the group it is picked for (a role), in the pool's names */
  int64_t capacity;         /* most it may hold; -1: no limit */
  int64_t load;             /* what it holds now, including picks of this run */
} cp_member;

/* A pool declared with pool{}: members sorted by (group, id). */
typedef struct cp_pool {
  char *id;                 /* pool id */
  cp_member *members;       /* sorted by group, then id */
  size_t n, cap;            /* number of members, and room for */
  cp_arena names;           /* the members' ids and groups (each group once) */
  int across_runs;          /* pool{across_runs = true}: the assignments open before the
                               run hold their members from its start */
  char *failed;             /* why its members could not be computed (then none), or NULL:
                               every rule that picks from it fails for each client */
} cp_pool;

/* The rule API's context: one per sandbox (one per worker). */
typedef struct cp_rules {
  cp_sandbox *sb;           /* the Lua host */
  lua_State *L;             /* its state */
  const cp_config *cfg;     /* the config (not owned) */
  cp_facts *facts;          /* the facts reader (not owned) */
  int64_t as_of;            /* as-of day */
  int64_t now;              /* as-of day 23:59:59 in seconds */
  cp_rule *rules;           /* checks, in order */
  size_t n_rules, cap_rules;
  const cp_client *client;  /* client under evaluation, or NULL */
  uint32_t gen;             /* generation of client: stale rows are refused */
  cp_outcome *out;          /* where the current rule's results go */
  const cp_rule *current;   /* the rule being evaluated, or NULL */
  const char *deriving;     /* the derived value being computed for it, or NULL */
  int in_why;               /* explain's why() is formatting its reason (a run does not) */
  int rules_locked;         /* rule files are loaded: no more declarations */
  int derive_ref;           /* registry: derived id -> {fn=, doc=} */
  char **derived_ids;       /* derived ids in declaration order (the profile's order) */
  size_t n_derived, cap_derived;
  cp_profile *prof;         /* `run --profile`, or NULL */
  int globals_ref;          /* registry: list of {id=, fn=, doc=} */
  int aggregates_ref;       /* registry: list of {id=, table=, init=, step=} */
  int run_ref;              /* registry: run values by id */
  int known_ref;            /* registry: set of run value ids computed so far */
  int pools_ref;            /* registry: list of {id=, doc=, members=} */
  cp_pool *pools;           /* computed pools, in declaration order */
  size_t n_pools;           /* number of pools */
  int scope_ref;            /* registry ref of the scope function, or LUA_NOREF */
  unsigned scope_spent;     /* clients in a row the scope ran out of its budget or memory for */
  char *scope_skipped;      /* why the scope is no longer called (every rule fails), or NULL */
  unsigned report_spent;    /* clients in a row the report's row ran out of its budget for */
  char *report_last;        /* the last of such a streak of 100: no row is computed after it */
  int backing_ref;          /* registry: the client's values, emptied per client (client.c) */
  int live_mt_ref;          /* registry: metatable of the live client object */
  int dead_mt_ref;          /* registry: metatable of ended client objects */
  int client_self_ref;      /* registry: the live client object, or false */
  int client_side_ref;      /* registry: the side table, emptied per client when used */
  int side_used;            /* the side table holds something of this client */
  int slot_names_ref;       /* registry: slot + 1 -> client field name (client.c) */
  unsigned *kept;           /* slots of the fields the backing holds for this client */
  size_t n_kept, n_slots;   /* their number, and room (one per field name) */
  int kept_all;             /* more were kept than there is room: empty all of it */
  int derived_fns_ref;      /* registry: idx + 1 -> derived value's function */
  unsigned char *dstate;    /* state of each derived value for this client (client.c) */
  uint32_t *dgen;           /* the rule call that last derived each value (eval.c) */
  uint32_t rule_gen;        /* rule calls so far, for dgen */
  char **dheld;             /* a derived value found keeping the heap: its error, or NULL */
  size_t *up_base;          /* rules' then derived values' upvalue sizes at the heap's mark */
  int row_mt_ref;           /* registry: metatable of rows */
  int rowset_mt_ref;        /* registry: metatable of rowsets */
  sbuf json;                /* scratch for data JSON (kept: Lua errors longjmp) */
  cp_value *row_buf;        /* scratch: a packed lookup row read for a method (rowset.c) */
  size_t row_buf_cap;       /* its room, in values */
  const cp_tracer *tracer;  /* explain's hooks, or NULL */
  int marked;               /* the heap's holding mark is set (first client) */
  struct cp_rule *suspect;  /* the first rule of this client after whose call the heap
                             * was held, with no upvalue grown to explain it: judged
                             * once the client's own values are let go (eval.c) */
  uint32_t suspect_gen;     /* its call's rule_gen */
  size_t scope_up_base;     /* the scope's upvalue sizes at the heap's mark */
  cp_params_miss *params_miss;   /* the last read of a param the config lacks, cleared
                                  * before each rule's call (params.c), or NULL */
} cp_rules;

/* Codes of client field names: kind (CP_NAME_*) in the high bits, index in
 * the low. */
#define CP_NAME_CODE(kind, i) (((lua_Integer)(kind) << 24) | (lua_Integer)(i))

/* Returns the API context of a state. */
cp_rules *cp_api_of(lua_State *L);

/* Registers the metatables of row and rowset objects and their methods
 * (rowset.c). */
void cp_rowset_register(cp_rules *api);

/* Pushes the `lookup` table of the config's lookups (rowset.c). */
void cp_rowset_push_lookups(cp_rules *api);

/* Pushes a rowset over source's rows for client generation gen (rowset.c). */
void cp_rowset_push(lua_State *L, cp_rules *api, uint32_t gen, uint32_t source);

/* Builds the name table once rules are loaded; fails on a derived id that
 * shadows a column or table (client.c). */
cp_err cp_client_names(cp_rules *api);

/* Pushes a new client object for api->client, ending the one before
 * (client.c). */
void cp_client_push(cp_rules *api);

/* Ends the client object of the evaluation that is over: reading it then
 * fails (client.c). */
void cp_client_end(cp_rules *api);

/* Pushes one fact value (client.c). */
void cp_rowset_value_push(lua_State *L, const cp_value *v);

/* The global `empty_array` is a light userdata of this address: written
 * as [] in data, where an empty table is written as {} (emit.c). */
extern const char cp_emit_empty_array;

/* Writes the finite number at idx as an id's text: an integer, or a float
 * that equals one, as its digits; another float in the fewest digits that
 * give it back (emit.c). Keys, assignees and pool members alike. */
void cp_emit_number_text(lua_State *L, int idx, char buf[32]);

/* alert, assign, fulfilled and why, for the namespace (emit.c). */
extern const luaL_Reg cp_emit_functions[];

/* Pushes the read-only `dt` table of date helpers, and the `os` table that
 * answers os.time() with the as-of time (dtlib.c). */
void cp_dtlib_push(cp_rules *api);
void cp_dtlib_push_os(cp_rules *api);

/* Sets run value id (the value at the top of the stack, popped) as computed
 * (rules.c). A table is frozen to any depth (a copy). Prints and returns
 * CP_EEVAL when it cannot be (out of memory, nested too deep). */
cp_err cp_api_run_set(cp_rules *api, const char *id);

/* Returns where the declaration called id of the list at registry ref (the
 * globals, aggregates or pools) was made ("rules/x.lua:12"), or NULL when
 * none is; the text lives as long as the declaration (api.c). */
const char *cp_api_declared_at(cp_rules *api, int ref, const char *id);

/* Prints that run value id failed (message and traceback on the stack,
 * left there; what: "global", "aggregate"), or with id NULL every run value
 * of what ("aggregates over orders"): the run goes on, and the rules that
 * read them fail (api.c). */
void cp_api_run_say_failed(cp_rules *api, const char *what, const char *id);

/* Prints that run value id failed (message and traceback on the stack,
 * popped; what: "global", "aggregate") and marks it failed, as
 * cp_api_run_mark_failed does: the run goes on (api.c). */
void cp_api_run_failed(cp_rules *api, const char *what, const char *id);

/* Marks run value id failed with msg: reading run.<id> is then an error
 * that says so, so every rule that reads it fails for each client and keeps
 * its results (api.c). */
void cp_api_run_mark_failed(cp_rules *api, const char *id, const char *msg);

/* Returns the table of aggregate source ti: per-client table ti, or the
 * clients table for ti == tables_count (aggregate.c). */
const cp_table_cfg *cp_aggregate_source(const cp_config_file *f, unsigned ti);

/* Computes the aggregates over per-client table ti, or the clients table
 * for ti == tables_count (aggregate.c). */
cp_err cp_aggregate_table(cp_rules *api, unsigned ti);

/* Returns 1 when table ti has aggregates and all are sums or counts: numbers
 * computed in C, without Lua (aggregate.c). */
int cp_aggregate_numeric(cp_rules *api, unsigned ti);

/* Returns 1 when per-client table ti's aggregates may be computed over parts
 * of its rows and added up alike: sums and counts, none grouped, none the
 * sum of a real column (aggregate.c). */
int cp_aggregate_splittable(cp_rules *api, unsigned ti);

/* Computes the integer totals of per-client table ti's aggregates over its
 * rows whose rowid is in [rowids[0], rowids[1]] into a malloc'd array *out
 * of *n, in declaration order (aggregate.c). */
cp_err cp_aggregate_part(cp_rules *api, unsigned ti, const int64_t rowids[2],
                         cp_agg_total **out, size_t *n);

/* Adds up the nparts parts (of n totals each) of table ti's aggregates and
 * sets them as run values; prints and returns CP_EEVAL when a total does not
 * fit in 64 bits (aggregate.c). */
cp_err cp_aggregate_merge(cp_rules *api, unsigned ti, cp_agg_total *const *parts, size_t nparts,
                          size_t n);

/* Computes every pool's members (pool.c); prints and returns CP_EEVAL on an
 * error. */
cp_err cp_pools_compute(cp_rules *api);

/* Returns 1 when a pool with this id is declared (pool.c). */
int cp_pool_declared(cp_rules *api, const char *id);

/* Pushes the ids of the declared pools, for a message: "'staff', 'kam'"
 * (the first 20, then how many more), or "none" (pool.c). */
void cp_pool_push_ids(cp_rules *api);

/* Finds a computed pool by id (pool.c); NULL when none. */
cp_pool *cp_pool_find(cp_rules *api, const char *id);

/* Frees the computed pools (pool.c). */
void cp_pools_free(cp_rules *api);


#endif
