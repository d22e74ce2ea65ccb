/* aggregate.c: run-wide values folded over a whole per-client table (or the
 * clients table) before the clients: `sum`/`count` with a `where` filter
 * run in C, by the value of a column when grouped; `step` functions run in
 * Lua, one call per row. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "filter.h"
#include "groups.h"
#include "progress.h"
#include "sandbox.h"

/* One aggregate of a pass. */
typedef struct agg {
  int lua;                  /* a step function (else sum or count in C) */
  int count;                /* count rows (else sum the field) */
  uint32_t col;             /* the summed column */
  cp_filter where;          /* rows that count */
  int64_t i;                /* C: integer total, modulo 2^64 */
  int64_t carry;            /* C: how many times 2^64 that lacks (nonzero: too large) */
  lua_Number n;             /* C: float total */
  int is_float;             /* C: a float was added */
  int grouped;              /* C: totals by the values of group_col (this many) */
  uint32_t group_col[CP_GROUP_KEYS]; /* C: the columns grouped by */
  cp_groups groups;         /* C: the totals when grouped */
  int failed;               /* it could not be computed: run.<id> says so to its readers */
} agg;

/* State of one table's aggregate pass. */
typedef struct agg_pass {
  cp_rules *api;              /* context */
  const cp_table_cfg *t;    /* the table */
  int list;                 /* stack index of the declarations of this table */
  int accs;                 /* stack index of the Lua accumulators */
  int row;                  /* stack index of the reused row table */
  agg *aggs;                /* one per declaration */
  size_t n;                 /* their number */
  int any_lua;              /* some aggregate has a step function */
  int failed;               /* index of the aggregate running or failed, or -1 */
  int oom;                  /* grouping ran out of memory */
} agg_pass;

const cp_table_cfg *cp_aggregate_source(const cp_config_file *f, unsigned ti)
{
  return ti < f->tables_count ? &f->tables[ti] : f->clients;
}

/* (pass, values, list, accs, row) -> folds one row into every Lua
 * aggregate of the pass: sets the reused row table's fields (raw, after
 * removing any metatable a step gave it) and calls each step with a fresh
 * budget. Runs in a protected call: the row and the accumulators are the
 * rule's values. p->failed says which aggregate ran (-1: none yet). */
static int l_fold(lua_State *L)
{
  agg_pass *p = lua_touserdata(L, 1);
  const cp_value *v = lua_touserdata(L, 2);
  const int list = 3, accs = 4, row = 5;
  lua_pushnil(L);
  lua_setmetatable(L, row);
  for (unsigned j = 0; j < p->t->columns_count; j++) {
    lua_pushstring(L, p->t->columns[j].name);
    cp_rowset_value_push(L, &v[j]);
    lua_rawset(L, row);
  }
  for (size_t k = 0; k < p->n; k++) {
    if (!p->aggs[k].lua)
      continue;
    p->failed = (int)k;
    lua_rawgeti(L, list, (lua_Integer)k + 1);
    lua_getfield(L, -1, "step");
    lua_rawgeti(L, accs, (lua_Integer)k + 1);
    lua_pushvalue(L, row);
    cp_sandbox_budget(p->api->sb, p->api->cfg->file->limits.instructions);
    lua_call(L, 2, 1);
    lua_rawseti(L, accs, (lua_Integer)k + 1);
    lua_pop(L, 1);
  }
  return 0;
}

/* Folds the row into the Lua aggregates (l_fold, protected); on an error,
 * leaves the failed aggregate's id (or NULL), message and traceback on the
 * stack. Returns 0, or -1 on an error. */
static int lua_fold(agg_pass *p, const cp_value *v)
{
  lua_State *L = p->api->L;
  lua_pushcfunction(L, l_fold);
  lua_pushlightuserdata(L, p);
  lua_pushlightuserdata(L, (void *)v);
  lua_pushvalue(L, p->list);
  lua_pushvalue(L, p->accs);
  lua_pushvalue(L, p->row);
  p->failed = -1;
  if (cp_sandbox_call(p->api->sb, 5, 0) == LUA_OK)
    return 0;
  if (p->failed >= 0) {
    lua_rawgeti(L, p->list, (lua_Integer)p->failed + 1);
    lua_getfield(L, -1, "id");
    lua_remove(L, -2);
  } else {
    lua_pushnil(L);
  }
  lua_insert(L, -3);   /* the id kept below message and traceback */
  return -1;
}

/* Fails aggregate k whose integer sum would overflow: leaves its id, the
 * message and an empty traceback on the stack, as a failed step does. */
static int overflow(agg_pass *p, size_t k)
{
  lua_State *L = p->api->L;
  lua_rawgeti(L, p->list, (lua_Integer)k + 1);
  lua_getfield(L, -1, "id");
  lua_remove(L, -2);
  lua_pushfstring(L, "aggregate: the sum of %s.%s does not fit in a 64-bit integer",
                  p->t->name, p->t->columns[p->aggs[k].col].name);
  lua_pushliteral(L, "");
  return -1;
}

/* Adds x to the integer total (*lo, *carry): lo + carry * 2^64. */
static void add_wide(int64_t *lo, int64_t *carry, int64_t x)
{
  if (__builtin_add_overflow(*lo, x, lo))   /* wrapped: the carry says by how much */
    *carry += x > 0 ? 1 : -1;
}

/* Folds one row into every aggregate of the pass. */
static int agg_row(void *ctx, const cp_value *v)
{
  agg_pass *p = ctx;
  if (p->any_lua && lua_fold(p, v) < 0)
    return -1;
  for (size_t k = 0; k < p->n; k++) {
    agg *a = &p->aggs[k];
    if (a->lua || !cp_filter_match(&a->where, v))
      continue;
    const cp_value *x = &v[a->col];
    int64_t i = a->count ? 1 : x->type == CP_V_INT ? x->u.i : 0;
    int is_float = !a->count && x->type == CP_V_REAL;
    if (a->grouped) {
      const cp_value *key[CP_GROUP_KEYS];
      for (int j = 0; j < a->grouped; j++)
        key[j] = &v[a->group_col[j]];
      int added = cp_groups_add(&a->groups, key, i, is_float ? x->u.r : 0, is_float);
      if (added > 0)
        return overflow(p, k);
      if (added < 0) {
        p->oom = 1;
        return -1;
      }
      continue;
    }
    add_wide(&a->i, &a->carry, i);   /* only the total must fit, so that parts add up alike */
    if (is_float) {
      a->n += x->u.r;
      a->is_float = 1;
    }
  }
  return 0;
}

/* Prints a failed pass (the failed aggregate's id or nil, the message and
 * the traceback on the stack, left there) and marks failed aggregate only
 * (the one whose total does not fit), or, when only is -1 (the pass
 * stopped), every aggregate of the pass: the run goes on, and each rule
 * that reads one of them fails for each client, keeping its results. */
static void failure(agg_pass *p, long only)
{
  lua_State *L = p->api->L;
  char over[300];
  int named = lua_type(L, -3) == LUA_TSTRING;
  snprintf(over, sizeof over, "aggregates over %s", p->t->name);
  cp_api_run_say_failed(p->api, named ? "aggregate" : over, named ? lua_tostring(L, -3) : NULL);
  const char *msg = lua_tostring(L, -2);
  for (size_t k = 0; k < p->n; k++) {
    if (only >= 0 && k != (size_t)only)
      continue;
    p->aggs[k].failed = 1;
    lua_rawgeti(L, p->list, (lua_Integer)k + 1);
    lua_getfield(L, -1, "id");
    cp_api_run_mark_failed(p->api, lua_tostring(L, -1), msg);
    lua_pop(L, 2);
  }
}

/* Compiles the declaration at the top of the stack into a (C part). */
static void compile(lua_State *L, const cp_table_cfg *t, agg *a)
{
  a->lua = lua_getfield(L, -1, "step") != LUA_TNIL;
  lua_pop(L, 1);
  if (a->lua)
    return;
  a->count = lua_getfield(L, -1, "sum") == LUA_TNIL;
  if (!a->count)
    a->col = cp_filter_column_at(L, t, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, -1, "group") == LUA_TSTRING) {   /* one field, or a list (l_aggregate) */
    a->group_col[a->grouped++] = cp_filter_column_at(L, t, -1);
  } else if (lua_istable(L, -1)) {
    for (lua_Integer j = 1; j <= (lua_Integer)lua_rawlen(L, -1) && j <= CP_GROUP_KEYS; j++) {
      lua_rawgeti(L, -1, j);
      a->group_col[a->grouped++] = cp_filter_column_at(L, t, -1);
      lua_pop(L, 1);
    }
  }
  a->groups.nkeys = a->grouped;
  lua_pop(L, 1);
  if (lua_getfield(L, -1, "where") == LUA_TTABLE)
    cp_filter_compile(L, -1, t, &a->where, cp_freeze_behind);
  lua_pop(L, 1);
}

/* Collects the declarations over table ti into the pass. */
static cp_err collect(agg_pass *p, unsigned ti)
{
  lua_State *L = p->api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, p->api->aggregates_ref);
  size_t all = lua_rawlen(L, -1);
  if (!(p->aggs = calloc(all + 1, sizeof *p->aggs)))
    return cp_diag_fail(CP_ENOMEM, "rules: out of memory");
  for (lua_Integer i = 1; i <= (lua_Integer)all; i++) {
    lua_rawgeti(L, -1, i);
    lua_getfield(L, -1, "source");
    if (lua_tointeger(L, -1) == (lua_Integer)ti) {
      lua_pop(L, 1);
      compile(L, p->t, &p->aggs[p->n]);
      p->any_lua |= p->aggs[p->n++].lua;
      lua_getfield(L, -1, "init");
      lua_rawseti(L, p->accs, (lua_Integer)p->n);
      lua_pushvalue(L, -1);
      lua_rawseti(L, p->list, (lua_Integer)p->n);
    }
    lua_settop(L, p->row + 1);
  }
  lua_pop(L, 1);
  return CP_OK;
}

/* Pushes the table of the groups (a light userdata at 1), in a protected call. */
static int push_groups(lua_State *L)
{
  cp_groups_push(L, lua_touserdata(L, 1));
  return 1;
}

/* Sets every aggregate of the pass as a run value; CP_EEVAL when one cannot
 * be (printed), CP_ENOMEM when a grouped table could not be made. */
static cp_err publish(agg_pass *p)
{
  lua_State *L = p->api->L;
  cp_err rc = CP_OK;
  for (size_t k = 0; rc == CP_OK && k < p->n; k++) {
    agg *a = &p->aggs[k];
    if (a->failed)   /* marked so: run.<id> says it failed */
      continue;
    lua_rawgeti(L, p->list, (lua_Integer)k + 1);
    lua_getfield(L, -1, "id");
    if (a->grouped) {
      lua_pushcfunction(L, push_groups);
      lua_pushlightuserdata(L, &a->groups);
      int was = cp_sandbox_hold_cap(p->api->sb, 1);   /* rules hold it under the cap */
      int status = lua_pcall(L, 1, 1, 0);
      cp_sandbox_hold_cap(p->api->sb, was);
      if (status != LUA_OK) {   /* the export's many values: this aggregate fails alone */
        const char *id = lua_tostring(L, -2);
        const char *at = cp_api_declared_at(p->api, p->api->aggregates_ref, id);
        char groups[32];
        cp_progress_format_count(groups, (uint64_t)a->groups.n);
        lua_pushfstring(L, "%s: aggregate '%s': its %s groups do not fit in the Lua heap "
                        "(limits.memory_mb, %d MiB): group by fields with fewer values, or "
                        "raise the limit", at ? at : "?", id, groups,
                        (int)p->api->cfg->file->limits.memory_mb);
        lua_remove(L, -2);
        lua_pushliteral(L, "");   /* no traceback: the host's table, not Lua code */
        cp_api_run_failed(p->api, "aggregate", id);
        lua_pop(L, 2);
        lua_gc(L, LUA_GCCOLLECT);
        continue;
      }
    } else if (a->lua)
      lua_rawgeti(L, p->accs, (lua_Integer)k + 1);
    else if (a->is_float)
      lua_pushnumber(L, a->n + (lua_Number)a->i);
    else
      lua_pushinteger(L, a->i);
    rc = cp_api_run_set(p->api, lua_tostring(L, -2));
    lua_pop(L, 2);
  }
  return rc;
}

int cp_aggregate_numeric(cp_rules *api, unsigned ti)
{
  lua_State *L = api->L;
  int n = 0, numeric = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->aggregates_ref);
  for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
    lua_rawgeti(L, -1, i);
    lua_getfield(L, -1, "source");
    lua_getfield(L, -2, "step");
    if (lua_tointeger(L, -2) == (lua_Integer)ti) {
      n++;
      numeric &= lua_isnil(L, -1);
    }
    lua_pop(L, 3);
  }
  lua_pop(L, 1);
  return n > 0 && numeric;
}

/* Starts a pass over table ti: its declarations collected on three new
 * stack slots. */
static cp_err begin(agg_pass *p, cp_rules *api, unsigned ti)
{
  lua_State *L = api->L;
  *p = (agg_pass){.api = api, .t = cp_aggregate_source(api->cfg->file, ti)};
  lua_newtable(L);
  p->list = lua_gettop(L);
  lua_newtable(L);
  p->accs = lua_gettop(L);
  lua_newtable(L);
  p->row = lua_gettop(L);
  return collect(p, ti);
}

/* Reads table ti (the rows whose rowid is in rowids, when given) into the
 * pass; on an error, prints it. */
static cp_err scan(agg_pass *p, unsigned ti, const int64_t *rowids)
{
  lua_State *L = p->api->L;
  cp_err rc = CP_OK;
  unsigned char *want = p->any_lua ? NULL : calloc(p->t->columns_count + 1, 1);
  for (size_t k = 0; want && k < p->n; k++) {   /* C aggregates read only what they use */
    want[p->aggs[k].col] |= !p->aggs[k].count;
    for (int j = 0; j < p->aggs[k].grouped; j++)
      want[p->aggs[k].group_col[j]] = 1;
    for (int c = 0; c < p->aggs[k].where.n; c++)
      want[p->aggs[k].where.c[c].col] = 1;
  }
  if (p->n > 0)
    rc = cp_facts_scan(p->api->facts, ti, want, rowids, agg_row, p);
  free(want);
  if (rc == CP_EEVAL && p->oom)
    rc = cp_diag_fail(CP_ENOMEM, "aggregates over %s: out of memory", p->t->name);
  if (rc == CP_EEVAL && lua_gettop(L) >= p->row + 3) {   /* id, message, traceback */
    failure(p, -1);   /* the pass stopped: none of its aggregates is known */
    lua_settop(L, p->row);
    rc = CP_OK;
  }
  return rc;
}

/* Checks that every integer total fits, then sets them as run values. */
static cp_err finish(agg_pass *p)
{
  for (size_t k = 0; k < p->n; k++)
    if (p->aggs[k].carry && !p->aggs[k].failed) {
      overflow(p, k);
      failure(p, (long)k);   /* that one alone: the others' totals are whole */
      lua_settop(p->api->L, p->row);
    }
  return publish(p);
}

/* Frees the pass and drops its stack slots. */
static void end(agg_pass *p, int top)
{
  for (size_t k = 0; p->aggs && k < p->n; k++)
    cp_groups_free(&p->aggs[k].groups);
  free(p->aggs);
  lua_settop(p->api->L, top);
}

cp_err cp_aggregate_table(cp_rules *api, unsigned ti)
{
  int top = lua_gettop(api->L);
  agg_pass p = {0};
  cp_err rc = begin(&p, api, ti);
  if (rc == CP_OK)
    rc = scan(&p, ti, NULL);
  if (rc == CP_OK)
    rc = finish(&p);
  end(&p, top);
  return rc;
}

int cp_aggregate_splittable(cp_rules *api, unsigned ti)
{
  if (ti >= api->cfg->file->tables_count)
    return 0;
  int top = lua_gettop(api->L);
  agg_pass p = {0};
  int ok = begin(&p, api, ti) == CP_OK && p.n > 0;
  for (size_t k = 0; ok && k < p.n; k++) {
    const agg *a = &p.aggs[k];
    ok = !a->lua && !a->grouped && (a->count || p.t->columns[a->col].type != CP_COL_REAL);
  }
  end(&p, top);
  return ok;
}

/* Returns the order of the pass's aggregates by id (o[j]: the index of the
 * j-th id), or NULL when out of memory. Each sandbox declares them in its
 * own order when a rule file declares them in a pairs() loop (string keys
 * come in an order that Lua seeds anew in each state), so the parts of a
 * table read by several sandboxes are added up in this order, not in the
 * order of declaration: else one aggregate's part went to another's total. */
static size_t *by_id(agg_pass *p)
{
  lua_State *L = p->api->L;
  size_t *o = malloc((p->n + 1) * sizeof *o);
  const char **ids = malloc((p->n + 1) * sizeof *ids);
  for (size_t k = 0; o && ids && k < p->n; k++) {
    lua_rawgeti(L, p->list, (lua_Integer)k + 1);
    lua_getfield(L, -1, "id");
    ids[k] = lua_tostring(L, -1);   /* anchored in the declaration, in p->list */
    lua_pop(L, 2);
    size_t j = k;   /* insertion: a table has few aggregates */
    for (; j > 0 && strcmp(ids[o[j - 1]], ids[k]) > 0; j--)
      o[j] = o[j - 1];
    o[j] = k;
  }
  free(ids);
  if (!ids) {
    free(o);
    return NULL;
  }
  return o;
}

cp_err cp_aggregate_part(cp_rules *api, unsigned ti, const int64_t rowids[2],
                         cp_agg_total **out, size_t *n)
{
  int top = lua_gettop(api->L);
  agg_pass p = {0};
  *out = NULL;
  *n = 0;
  cp_err rc = begin(&p, api, ti);
  if (rc == CP_OK)
    rc = scan(&p, ti, rowids);
  for (size_t k = 0; rc == CP_OK && k < p.n; k++)   /* a part's totals are whole, or none */
    if (p.aggs[k].failed)
      rc = CP_EEVAL;
  size_t *o = rc == CP_OK ? by_id(&p) : NULL;
  if (rc == CP_OK && (!o || !(*out = calloc(p.n + 1, sizeof **out))))
    rc = cp_diag_fail(CP_ENOMEM, "aggregates over %s: out of memory", p.t->name);
  for (size_t j = 0; rc == CP_OK && j < p.n; j++)
    (*out)[j] = (cp_agg_total){p.aggs[o[j]].i, p.aggs[o[j]].carry};
  free(o);
  if (rc == CP_OK)
    *n = p.n;
  end(&p, top);
  return rc;
}

cp_err cp_aggregate_merge(cp_rules *api, unsigned ti, cp_agg_total *const *parts, size_t nparts,
                          size_t n)
{
  int top = lua_gettop(api->L);
  agg_pass p = {0};
  cp_err rc = begin(&p, api, ti);
  if (rc == CP_OK && p.n != n)   /* every sandbox loads the same declarations */
    rc = cp_diag_fail(CP_EEVAL, "aggregates over %s: the parts do not match", p.t->name);
  size_t *o = rc == CP_OK ? by_id(&p) : NULL;   /* the parts' order */
  if (rc == CP_OK && !o)
    rc = cp_diag_fail(CP_ENOMEM, "aggregates over %s: out of memory", p.t->name);
  for (size_t x = 0; rc == CP_OK && x < p.n; x++) {
    agg *a = &p.aggs[o[x]];
    for (size_t j = 0; j < nparts; j++) {
      a->carry += parts[j][x].carry;
      add_wide(&a->i, &a->carry, parts[j][x].lo);
    }
  }
  free(o);
  if (rc == CP_OK)
    rc = finish(&p);
  end(&p, top);
  return rc;
}
