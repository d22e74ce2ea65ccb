/* rules.c: loading rule files and the declarations they make: rule{},
 * derive{}, global{}, aggregate{}, scope{}; and the run-wide values. */
#include "rules.h"

#include <fnmatch.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "progress.h"
#include "filter.h"
#include "freeze.h"
#include "groups.h"
#include "words.h"
#include "reportdef.h"
#include "sandbox.h"
#include "sbuf.h"
#include "sensitive.h"

/* Raises an error unless rule files are still loading. */
static cp_rules *declaring(lua_State *L, const char *fn)
{
  cp_rules *api = cp_api_of(L);
  if (api->current || api->client || api->rules_locked)
    luaL_error(L, "%s{} can only be called at the top level of a rule file", fn);
  luaL_checktype(L, 1, LUA_TTABLE);
  /* The declaration is read from a copy of its own, made with raw reads
   * (through a read-only view): what is checked now is what runs later,
   * whatever metamethods or later writes do. Its values stay as given (a
   * view stays read-only: an `init` from params is no rule's to change). */
  lua_settop(L, 1);
  int src = cp_freeze_behind(L, 1) ? 2 : 1;
  lua_newtable(L);
  for (lua_pushnil(L); lua_next(L, src);) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_replace(L, 1);
  lua_settop(L, 1);
  return api;
}

/* Returns 1 when the string at idx holds a NUL byte: as C text it would be
 * cut, and name something else (or collide). */
static int has_nul(lua_State *L, int idx)
{
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  return s && strlen(s) != len;
}

/* Returns the required string field name of the declaration at 1. */
static const char *need_string(lua_State *L, const char *fn, const char *name)
{
  if (lua_getfield(L, 1, name) != LUA_TSTRING || !*lua_tostring(L, -1))
    luaL_error(L, "%s{}: '%s' is required and must be a non-empty string", fn, name);
  if (has_nul(L, -1))
    luaL_error(L, "%s{}: '%s' contains a NUL byte", fn, name);
  return lua_tostring(L, -1);
}

/* Checks that field name of the declaration at 1 is a function. */
static void need_function(lua_State *L, const char *fn, const char *name)
{
  if (lua_getfield(L, 1, name) != LUA_TFUNCTION)
    luaL_error(L, "%s{}: '%s' must be a function", fn, name);
  lua_pop(L, 1);
}

/* Pushes "file:line" of the declaring call: the innermost Lua code, past
 * C functions (pcall(rule, {...}) would say "[C]:-1"). */
static const char *push_where(lua_Debug *ar, lua_State *L)
{
  for (int level = 1; lua_getstack(L, level, ar); level++)
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
      return lua_pushfstring(L, "%s:%d", ar->short_src, ar->currentline);
  return lua_pushliteral(L, "?");
}

/* Raises an error for unknown fields of the declaration at 1. */
static void only_fields(lua_State *L, const char *fn, const char *fields)
{
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s{}: fields are named (%s), not a %s key", fn, fields,
                 luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    if (!cp_words_has(fields, k))
      luaL_error(L, "%s{}: unknown field '%s' (fields: %s)", fn, k, fields);
  }
}

/* Pushes field name of the declaration at 1, a list the host reads raw: a
 * view (params.ids) is replaced by the table behind it. Returns its type. */
static int push_list(lua_State *L, const char *name)
{
  int t = lua_getfield(L, 1, name);
  if (t == LUA_TTABLE && cp_freeze_behind(L, -1))
    lua_replace(L, -2);
  return t;
}

#define EMITS_MAX 1000   /* ids a rule's emits may list */

/* Checks the optional `emits` list of the declaration at 1; returns its length. */
static size_t check_emits(lua_State *L, const char *id)
{
  int t = push_list(L, "emits");
  size_t n = 0;
  if (t == LUA_TTABLE) {
    n = lua_rawlen(L, -1);
    if (n > EMITS_MAX)   /* each is checked against every rule, and failed with the rule */
      luaL_error(L, "rule{}: 'emits' lists %I ids; at most %d", (lua_Integer)n, EMITS_MAX);
    for (size_t i = 1; i <= n; i++) {
      if (lua_rawgeti(L, -1, (lua_Integer)i) != LUA_TSTRING || !strcmp(lua_tostring(L, -1), id))
        luaL_error(L, "rule{}: 'emits' must list other rule ids as strings");
      if (!lua_rawlen(L, -1))   /* alerts of rule "", titled "" */
        luaL_error(L, "rule{}: 'emits' item %d is empty: a rule id is a non-empty string", (int)i);
      if (has_nul(L, -1))
        luaL_error(L, "rule{}: 'emits' item %d contains a NUL byte", (int)i);
      if (!cp_sbuf_is_utf8(lua_tostring(L, -1), lua_rawlen(L, -1)))
        luaL_error(L, "rule{}: 'emits' item %d is not valid UTF-8 (the feed and sinks could not "
                   "tell it from another)", (int)i);
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    luaL_error(L, "rule{}: 'emits' must be a list of rule ids");
  }
  lua_settop(L, 1);
  return n;
}

/* Returns the source of the innermost main chunk running in thread T, or
 * NULL; sets *lua to the innermost Lua code's when NULL. */
static const char *main_source(lua_State *T, lua_Debug *ar, char *lua, size_t len)
{
  for (int level = 0; lua_getstack(T, level, ar); level++) {
    if (!lua_getinfo(T, "S", ar) || ar->source[0] != '@')
      continue;
    if (!strcmp(ar->what, "main"))
      return ar->source;
    if (lua && !*lua)
      snprintf(lua, len, "%s", ar->source);
  }
  return NULL;
}

/* Pushes the chunk name of the declaring file ("@rules/a.lua"): the one
 * whose top level runs (the innermost main chunk: a helper function of a
 * module, or pcall(rule, {...}), declares for the file that calls it; in a
 * coroutine, the main thread's), else the innermost Lua code's. Not the
 * caller's alone: pcall would make every file "=[C]", one file, whose
 * rules could then report each other's ids. */
static const char *push_file(lua_State *L)
{
  lua_Debug ar;
  char lua[1024] = "";
  const char *src = main_source(L, &ar, lua, sizeof lua);
  lua_State *M = cp_sandbox_state(cp_sandbox_of(L));
  if (!src && M != L)
    src = main_source(M, &ar, NULL, 0);
  return lua_pushstring(L, src ? src : *lua ? lua : "?");
}

/* Returns 1 when rule r emits id (lists it in its emits). */
static int emits_id(const cp_rule *r, const char *id)
{
  for (size_t j = 1; r->ids[j]; j++)
    if (strcmp(r->ids[j], id) == 0)
      return 1;
  return 0;
}

/* Raises an error when rule id (declared in file) or an id its `emits`
 * names (the declaration at 1) belongs to a rule of another file, whichever
 * was declared first: a file may report only its own ids. */
static void own_ids(lua_State *L, const cp_rules *api, const char *id, const char *file)
{
  for (size_t i = 0; i < api->n_rules; i++) {
    const cp_rule *r = &api->rules[i];
    if (strcmp(r->file, file) != 0 && emits_id(r, id))
      luaL_error(L, "rule{}: id '%s' is named in 'emits' of rule '%s' at %s, another file; a "
                 "file may report only ids that no other file declares", id, r->id, r->where);
  }
  push_list(L, "emits");
  for (lua_Integer k = 1; lua_istable(L, -1) && k <= (lua_Integer)lua_rawlen(L, -1); k++) {
    lua_rawgeti(L, -1, k);
    for (size_t i = 0; i < api->n_rules; i++)
      if (strcmp(api->rules[i].file, file) != 0 &&
          strcmp(api->rules[i].id, lua_tostring(L, -1)) == 0)
        luaL_error(L, "rule{}: 'emits' names '%s', a rule declared in another file at %s; a "
                   "file may report only ids that no other file declares", api->rules[i].id,
                   api->rules[i].where);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* Fills rule r from the checked declaration at 1. Returns -1 when out of memory. */
static int fill_rule(lua_State *L, cp_rule *r, const char *where, const char *file,
                     size_t n_emits)
{
  lua_getfield(L, 1, "id");
  lua_getfield(L, 1, "doc");
  r->id = strdup(lua_tostring(L, -2));
  r->doc = strdup(lua_tostring(L, -1));
  r->where = strdup(where);
  r->file = strdup(file);
  r->ids = calloc(n_emits + 2, sizeof *r->ids);
  lua_pop(L, 2);
  if (!r->id || !r->doc || !r->where || !r->file || !r->ids)
    return -1;
  r->ids[0] = r->id;
  push_list(L, "emits");
  for (size_t i = 1; i <= n_emits; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i);
    if (!(r->ids[i] = strdup(lua_tostring(L, -1))))
      return -1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "fn");
  r->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* Reads rule{}'s optional needs = "table": the index of a per-client table of
 * the config, or -1 when absent; raises an error naming the tables otherwise. */
static int rule_needs(lua_State *L, const cp_rules *api)
{
  const cp_config_file *f = api->cfg->file;
  int t = lua_getfield(L, 1, "needs");
  const char *name = lua_tostring(L, -1);
  if (t == LUA_TSTRING && has_nul(L, -1))
    return luaL_error(L, "rule{}: 'needs' contains a NUL byte");
  lua_pop(L, 1);
  if (t == LUA_TNIL)
    return -1;
  for (unsigned i = 0; t == LUA_TSTRING && i < f->tables_count; i++)
    if (strcmp(f->tables[i].name, name) == 0)
      return (int)i;
  sbuf names = {0};
  for (unsigned i = 0; i < f->tables_count; i++)
    cp_sbuf_printf(&names, "%s%s", i ? ", " : "", f->tables[i].name);
  const char *msg =
      lua_pushfstring(L, "rule{}: 'needs' must name a table with rows per client (%s), not %s%s%s",
                      names.s ? names.s : "the config has none", t == LUA_TSTRING ? "'" : "a ",
                      t == LUA_TSTRING ? name : lua_typename(L, t), t == LUA_TSTRING ? "'" : "");
  cp_sbuf_free(&names);
  return luaL_error(L, "%s", msg);   /* with the file and line of the declaration */
}

/* rule{id=, doc=, fn=function(c) ... end, emits={...}, needs="table"}: a check. */
static int l_rule(lua_State *L)
{
  cp_rules *api = declaring(L, "rule");
  only_fields(L, "rule", "id doc emits fn needs");
  const char *id = need_string(L, "rule", "id");
  if (!cp_sbuf_is_utf8(id, strlen(id)))   /* JSON's U+FFFD would write two ids alike */
    luaL_error(L, "rule{}: 'id' is not valid UTF-8 (the feed and sinks could not tell it from "
               "another)");
  need_string(L, "rule", "doc");
  need_function(L, "rule", "fn");
  for (size_t i = 0; i < api->n_rules; i++)
    if (strcmp(api->rules[i].id, id) == 0)
      luaL_error(L, "rule{}: id '%s' is already declared at %s", id, api->rules[i].where);
  size_t n_emits = check_emits(L, id);
  int needs = rule_needs(L, api);
  const char *file = push_file(L);
  own_ids(L, api, id, file);
  lua_Debug ar;
  const char *where = push_where(&ar, L);
  if (cp_arena_grow((void **)&api->rules, &api->cap_rules, api->n_rules, sizeof *api->rules) < 0)
    return cp_sandbox_nomem(L);
  cp_rule *r = &api->rules[api->n_rules++];
  memset(r, 0, sizeof *r);
  r->fn_ref = LUA_NOREF;
  r->needs_table = needs;
  if (fill_rule(L, r, where, file, n_emits) < 0 ||
      (needs >= 0 && !(r->needs = strdup(api->cfg->file->tables[needs].name))))
    return cp_sandbox_nomem(L);
  return 0;
}

/* Stores the declaration at 1 as {id=, doc=, fn=/..., where=} in the table at
 * registry ref, keyed by id (by_id) or appended (a list). */
static void store_decl(lua_State *L, int ref, const char *fn, int by_id)
{
  const char *id = need_string(L, fn, "id");
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (by_id && lua_getfield(L, -1, id) != LUA_TNIL) {
    lua_getfield(L, -1, "declared_at");
    luaL_error(L, "%s{}: '%s' is already declared at %s", fn, id, lua_tostring(L, -1));
  }
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_Debug ar;
  push_where(&ar, L);
  lua_setfield(L, -2, "declared_at");
  if (by_id)
    lua_setfield(L, -2, id);
  else
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

/* Raises an error when id is already a run value (global or aggregate). */
static void unique_run_value(lua_State *L, cp_rules *api, const char *fn)
{
  const char *id = need_string(L, fn, "id");
  const char *at = cp_api_declared_at(api, api->globals_ref, id);
  if (at || (at = cp_api_declared_at(api, api->aggregates_ref, id)))
    luaL_error(L, "%s{}: run value '%s' is already declared at %s", fn, id, at);
  lua_settop(L, 1);
}

/* derive{id=, doc=, fn=function(c) return value end}: c.<id>, computed once
 * per client when first read. */
static int l_derive(lua_State *L)
{
  cp_rules *api = declaring(L, "derive");
  only_fields(L, "derive", "id doc fn type");
  need_string(L, "derive", "doc");
  need_function(L, "derive", "fn");
  if (lua_getfield(L, 1, "type") != LUA_TNIL && (lua_type(L, -1) != LUA_TSTRING ||
      (strcmp(lua_tostring(L, -1), "date") && strcmp(lua_tostring(L, -1), "timestamp"))))
    luaL_error(L, "derive{}: 'type' is \"date\" or \"timestamp\" (how explain shows the value)");
  lua_pop(L, 1);
  store_decl(L, api->derive_ref, "derive", 1);
  if (api->n_derived == api->cap_derived) {   /* the order the profile lists them in */
    size_t cap = api->cap_derived ? api->cap_derived * 2 : 16;
    char **ids = realloc(api->derived_ids, cap * sizeof *ids);
    if (!ids)
      return cp_sandbox_nomem(L);
    api->derived_ids = ids;
    api->cap_derived = cap;
  }
  if (!(api->derived_ids[api->n_derived] = strdup(need_string(L, "derive", "id"))))
    return cp_sandbox_nomem(L);
  api->n_derived++;
  return 0;
}

/* global{id=, doc=, fn=function() return value end}: run.<id>, once a run. */
static int l_global(lua_State *L)
{
  cp_rules *api = declaring(L, "global");
  only_fields(L, "global", "id doc fn");
  need_string(L, "global", "doc");
  need_function(L, "global", "fn");
  unique_run_value(L, api, "global");
  store_decl(L, api->globals_ref, "global", 0);
  return 0;
}

/* Pushes a copy of the table at idx and of every table inside it, made with
 * raw reads through read-only views (params): what the host compiles later
 * is its own, out of a rule's reach (no metamethod, no change after the
 * declaration, at any depth). levels bounds the nesting. */
static void copy_plain(lua_State *L, int idx, int levels)
{
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 6, "where nested too deep");
  int view = cp_freeze_behind(L, idx);
  if (view)
    idx = lua_gettop(L);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_istable(L, -1)) {
      if (levels <= 1)
        luaL_error(L, "aggregate{}: 'where' is nested too deep");
      copy_plain(L, -1, levels - 1);
      lua_remove(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  if (view)
    lua_remove(L, -2);   /* the table behind the view */
}

/* Checks the list of fields to group by at the top of the stack (1 to
 * CP_GROUP_KEYS distinct fields of t) and makes it the declaration's own
 * copy, out of the rule's reach. */
static void group_list(lua_State *L, const cp_table_cfg *t)
{
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  if (n < 1 || n > CP_GROUP_KEYS)
    luaL_error(L, "aggregate{}: 'group' lists 1 to %d fields, not %d", CP_GROUP_KEYS, (int)n);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer j = 1; j <= n; j++) {
    if (lua_rawgeti(L, -2, j) != LUA_TSTRING)
      luaL_error(L, "aggregate{}: 'group' lists field names; item %d is a %s", (int)j,
                 luaL_typename(L, -1));
    cp_filter_column_at(L, t, -1);
    for (lua_Integer k = 1; k < j; k++) {
      lua_rawgeti(L, -2, k);
      if (lua_rawequal(L, -1, -2))
        luaL_error(L, "aggregate{}: 'group' lists '%s' twice", lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_rawseti(L, -2, j);
  }
  lua_Integer keys = 0;
  for (lua_pushnil(L); lua_next(L, -3); lua_pop(L, 1))
    keys++;
  if (keys != n)
    luaL_error(L, "aggregate{}: 'group' is a list of field names, without other keys");
  lua_pushliteral(L, "group");
  lua_insert(L, -2);
  lua_rawset(L, 1);
}

/* aggregate{id=, doc=, table=, init=, step=function(acc, row) return acc end}:
 * run.<id>, folded over every row of a per-client table before the clients. */
static int l_aggregate(lua_State *L)
{
  cp_rules *api = declaring(L, "aggregate");
  only_fields(L, "aggregate", "id doc table init step sum count where group");
  need_string(L, "aggregate", "doc");
  int step = lua_getfield(L, 1, "step") != LUA_TNIL;
  int sum = lua_getfield(L, 1, "sum") != LUA_TNIL;
  int count = lua_getfield(L, 1, "count") != LUA_TNIL && lua_toboolean(L, -1);
  if (step + sum + count != 1)
    luaL_error(L, "aggregate{}: give exactly one of step (a function), sum (a field) or count");
  if (sum && lua_type(L, -2) != LUA_TSTRING)
    luaL_error(L, "aggregate{}: 'sum' names a field");
  if (lua_getfield(L, 1, "where") != LUA_TNIL && !lua_istable(L, -1))
    luaL_error(L, "aggregate{}: 'where' is a table of field = value or range conditions");
  int group = lua_getfield(L, 1, "group");
  if (group != LUA_TNIL && (step || (group != LUA_TSTRING && group != LUA_TTABLE)))
    luaL_error(L, "aggregate{}: 'group' names a field (or lists up to %d), and goes with sum "
               "or count", CP_GROUP_KEYS);
  lua_settop(L, 1);
  if (step)
    need_function(L, "aggregate", "step");
  const char *table = need_string(L, "aggregate", "table");
  const cp_config_file *file = api->cfg->file;
  unsigned i = 0;   /* tables_count: the clients table */
  while (i < file->tables_count && strcmp(file->tables[i].name, table))
    i++;
  if (i == file->tables_count && strcmp(file->clients->name, table))
    luaL_error(L, "aggregate{}: '%s' is not the clients table or a per-client table of the "
               "config", table);
  const cp_table_cfg *t = cp_aggregate_source(file, i);
  if (lua_getfield(L, 1, "sum") == LUA_TSTRING) {   /* check the fields now, with a location */
    const cp_column_cfg *col = &t->columns[cp_filter_column_at(L, t, -1)];
    if (col->type == CP_COL_TEXT || col->type == CP_COL_BOOLEAN)
      luaL_error(L, "aggregate{}: 'sum' names %s.%s, a %s column; a sum is over numbers "
                 "(integer, real, money, date or timestamp)", t->name, col->name,
                 col->type == CP_COL_TEXT ? "text" : "boolean");
  }
  if (push_list(L, "group") == LUA_TSTRING)
    cp_filter_column_at(L, t, -1);
  else if (lua_istable(L, -1))
    group_list(L, t);
  lua_pushliteral(L, "where");
  if (lua_rawget(L, 1) == LUA_TTABLE) {   /* the declaration keeps a copy, checked */
    lua_pushliteral(L, "where");
    copy_plain(L, -2, 4);
    lua_rawset(L, 1);
  }
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "where") == LUA_TTABLE) {
    cp_filter f;
    cp_filter_compile(L, -1, t, &f, cp_freeze_behind);
  }
  lua_settop(L, 1);
  unique_run_value(L, api, "aggregate");
  lua_pushinteger(L, i);
  lua_setfield(L, 1, "source");
  store_decl(L, api->aggregates_ref, "aggregate", 0);
  return 0;
}

/* pool{id=, doc=, members=function() return {{id=, group=, capacity=, load=}} end,
 * across_runs=}:
 * people that assign{pick=...} chooses from; members are computed once, after
 * the globals. */
static int l_pool(lua_State *L)
{
  cp_rules *api = declaring(L, "pool");
  only_fields(L, "pool", "id doc members across_runs");
  need_string(L, "pool", "doc");
  need_function(L, "pool", "members");
  int t = lua_getfield(L, 1, "across_runs");
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_error(L, "pool{}: 'across_runs' must be true or false, not %s", luaL_typename(L, -1));
  lua_pop(L, 1);
  const char *id = need_string(L, "pool", "id");
  if (cp_api_declared_at(api, api->pools_ref, id))
    luaL_error(L, "pool{}: pool '%s' is already declared", id);
  lua_settop(L, 1);
  store_decl(L, api->pools_ref, "pool", 0);
  return 0;
}

/* scope{doc=, fn=function(c) return bool end}: which clients are evaluated. */
static int l_scope(lua_State *L)
{
  cp_rules *api = declaring(L, "scope");
  only_fields(L, "scope", "doc fn");
  need_string(L, "scope", "doc");
  need_function(L, "scope", "fn");
  if (api->scope_ref != LUA_NOREF)
    luaL_error(L, "scope{}: the scope is already declared");
  lua_getfield(L, 1, "fn");
  api->scope_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* run.<id>: a run-wide value once computed; an error before. */
static int run_index(lua_State *L)
{
  lua_pushvalue(L, 2);
  int known = lua_rawget(L, lua_upvalueindex(2));
  if (known == LUA_TNIL)
    return luaL_error(L, "run value '%s' is not computed yet (declare it with global{} or "
                      "aggregate{}, before what reads it)", luaL_tolstring(L, 2, NULL));
  if (known == LUA_TSTRING) {   /* it failed: its readers fail, and keep their results */
    const char *why = lua_tostring(L, -1);
    const char *id = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "run value '%s' failed in this run: %s", id, why);
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  cp_rules *api = cp_api_of(L);
  if (api->tracer && api->client)   /* explain: what a rule or derived value read */
    api->tracer->read(api->tracer->ctx, L, CP_NAME_RUN, 0);
  return 1;
}

/* run.<id> = v: refused, with what run values are. */
static int run_newindex(lua_State *L)
{
  return luaL_error(L, "run is read-only (field '%s'): run values are computed once a run by "
                    "global{} and aggregate{}", luaL_tolstring(L, 2, NULL));
}

/* Computes the globals in declaration order. */
static cp_err compute_globals(cp_rules *api)
{
  lua_State *L = api->L;
  int top = lua_gettop(L);
  cp_err rc = CP_OK;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->globals_ref);
  for (lua_Integer i = 1; rc == CP_OK && i <= (lua_Integer)lua_rawlen(L, top + 1); i++) {
    lua_rawgeti(L, top + 1, i);
    lua_getfield(L, -1, "id");
    lua_getfield(L, -2, "fn");
    cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
    if (cp_sandbox_call(api->sb, 0, 1) != LUA_OK)
      cp_api_run_failed(api, "global", lua_tostring(L, -3));   /* the run goes on */
    else
      rc = cp_api_run_set(api, lua_tostring(L, -2));
    lua_settop(L, top + 1);
  }
  lua_settop(L, top);
  return rc;
}

size_t cp_rules_run_failures(cp_rules *api, void (*fn)(void *ctx, const char *id, const char *msg),
                             void *ctx)
{
  lua_State *L = api->L;
  size_t n = 0;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->known_ref);
  int refs[] = {api->aggregates_ref, api->globals_ref};
  for (int r = 0; r < 2; r++) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, refs[r]);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, top + 2); i++) {
      lua_rawgeti(L, top + 2, i);
      lua_getfield(L, -1, "id");
      lua_pushvalue(L, -1);
      if (lua_rawget(L, top + 1) == LUA_TSTRING) {
        n++;
        if (fn)
          fn(ctx, lua_tostring(L, -2), lua_tostring(L, -1));
      }
      lua_settop(L, top + 2);
    }
    lua_settop(L, top + 1);
  }
  lua_settop(L, top);
  for (size_t i = 0; i < api->n_pools; i++)   /* then the pools, in declaration order */
    if (api->pools[i].failed) {
      n++;
      if (fn)
        fn(ctx, api->pools[i].id, api->pools[i].failed);
    }
  return n;
}

cp_err cp_rules_prepare(cp_rules *api)
{
  return cp_rules_prepare_from(api, NULL, NULL);
}

cp_err cp_rules_prepare_from(cp_rules *api, cp_aggregates_fn fetch, void *ctx)
{
  cp_err rc = CP_OK;
  for (unsigned i = 0; rc == CP_OK && i <= api->cfg->file->tables_count; i++) {
    int done = 0;   /* the clients table (i == tables_count) is aggregated here */
    if (fetch && i < api->cfg->file->tables_count && cp_aggregate_numeric(api, i))
      rc = fetch(ctx, api, i, &done);
    if (rc == CP_OK && !done)
      rc = cp_aggregate_table(api, i);
  }
  if (rc == CP_OK)
    rc = compute_globals(api);
  lua_gc(api->L, LUA_GCCOLLECT);   /* what the run values left, before pools and clients */
  return rc == CP_OK ? cp_pools_compute(api) : rc;
}

int cp_rules_numeric_aggregates(cp_rules *r, unsigned ti)
{
  return cp_aggregate_numeric(r, ti);
}

cp_err cp_rules_aggregate(cp_rules *r, unsigned ti)
{
  return cp_aggregate_table(r, ti);
}

int cp_rules_aggregates_splittable(cp_rules *r, unsigned ti)
{
  return cp_aggregate_splittable(r, ti);
}

cp_err cp_rules_aggregate_part(cp_rules *r, unsigned ti, const int64_t rowids[2],
                               cp_agg_total **out, size_t *n)
{
  return cp_aggregate_part(r, ti, rowids, out, n);
}

cp_err cp_rules_aggregate_merge(cp_rules *r, unsigned ti, cp_agg_total *const *parts,
                                size_t nparts, size_t n)
{
  return cp_aggregate_merge(r, ti, parts, nparts, n);
}

/* Pushes `run`: a read-only view of the run values, where reading a value
 * not computed yet is an error. */
static void push_run(cp_rules *api)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->run_ref);
  cp_freeze_view(L, -1);
  lua_remove(L, -2);
  lua_getmetatable(L, -1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->run_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->known_ref);
  lua_pushcclosure(L, run_index, 2);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, run_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
}

/* The rule API's namespace, in one place: every global name the API adds to
 * the sandbox's base environment (which already holds the allowed standard
 * library, print, require: sandbox.c), and where it comes from. params are
 * pushed as w says (check records what the rules read). */
static void register_api(cp_rules *api, const cp_rules_watch *w)
{
  static const luaL_Reg declarations[] = {{"rule", l_rule},       {"derive", l_derive},
                                          {"global", l_global},   {"aggregate", l_aggregate},
                                          {"scope", l_scope},     {"pool", l_pool},
                                          {NULL, NULL}};
  lua_State *L = api->L;
  int *refs[] = {&api->derive_ref, &api->globals_ref, &api->aggregates_ref, &api->run_ref,
                 &api->known_ref, &api->pools_ref};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    lua_newtable(L);
    *refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  cp_rowset_register(api);                     /* the row and rowset metatables */
  cp_sandbox_env(api->sb);
  luaL_setfuncs(L, declarations, 0);           /* rule derive global aggregate scope pool */
  luaL_setfuncs(L, cp_reportdef_functions, 0); /* report */
  luaL_setfuncs(L, cp_emit_functions, 0);      /* alert assign fulfilled why */
  if (w && w->params)
    w->params(w->ctx, L, api->cfg->params);
  else
    cp_params_push(L, api->cfg->params);
  lua_setfield(L, -2, "params");
  cp_params_labels_push(L, api->cfg);
  lua_setfield(L, -2, "labels");
  push_run(api);
  lua_setfield(L, -2, "run");
  cp_dtlib_push(api);
  lua_setfield(L, -2, "dt");
  cp_dtlib_push_os(api);
  lua_setfield(L, -2, "os");
  cp_rowset_push_lookups(api);
  lua_setfield(L, -2, "lookup");
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  lua_pushlightuserdata(L, (void *)&cp_emit_empty_array);
  lua_setfield(L, -2, "empty_array");
  lua_pop(L, 1);
}

/* Arguments of register_api() for l_register_api(). */
typedef struct reg_args {
  cp_rules *api;                 /* the rule API */
  const cp_rules_watch *w;     /* its watchers, or NULL */
} reg_args;

/* register_api() in protected mode: pushing params may run out of the heap. */
static int l_register_api(lua_State *L)
{
  const reg_args *a = lua_touserdata(L, 1);
  register_api(a->api, a->w);
  return 0;
}

/* Loads every rule file, in config order. */
static cp_err load_files(cp_rules *api)
{
  const cp_config_file *f = api->cfg->file;
  char *dir = cp_config_shown(api->cfg, f->rules[0]);
  char *rules_dir = dir ? cp_config_path_folder(dir) : NULL;
  cp_err rc = rules_dir ? CP_OK : CP_ENOMEM;
  if (rc == CP_OK)
    cp_sandbox_set_rules_dir(api->sb, rules_dir, rules_dir);
  for (unsigned i = 0; rc == CP_OK && i < f->rules_count; i++) {
    char *path = cp_config_shown(api->cfg, f->rules[i]);   /* opened and named alike */
    rc = path ? cp_sandbox_load_file(api->sb, path, path) : CP_ENOMEM;
    free(path);
  }
  free(dir);
  free(rules_dir);
  return rc;
}

cp_err cp_rules_load(const cp_config *cfg, cp_facts *facts, int64_t as_of, cp_rules **out)
{
  return cp_rules_load_watched(cfg, facts, as_of, NULL, out);
}

cp_err cp_rules_load_watched(const cp_config *cfg, cp_facts *facts, int64_t as_of,
                             const cp_rules_watch *w, cp_rules **out)
{
  cp_rules *api = calloc(1, sizeof *api);
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (!api || !(api->sb = cp_sandbox_open((size_t)cfg->file->limits.memory_mb << 20)))
    goto fail;
  api->L = cp_sandbox_state(api->sb);
  api->cfg = cfg;
  api->facts = facts;
  api->as_of = as_of;
  api->now = as_of * 86400 + 86399;
  api->scope_ref = LUA_NOREF;
  api->backing_ref = api->live_mt_ref = api->dead_mt_ref = LUA_NOREF;
  api->client_self_ref = api->client_side_ref = LUA_NOREF;
  api->slot_names_ref = api->derived_fns_ref = LUA_NOREF;
  cp_sandbox_set_user(api->sb, api);
  if (w && w->sandbox)
    w->sandbox(w->ctx, api->sb);
  reg_args args = {api, w};
  lua_pushcfunction(api->L, l_register_api);
  lua_pushlightuserdata(api->L, &args);
  int status = cp_sandbox_call(api->sb, 1, 0);   /* under the cap: rules see params */
  const char *msg = status != LUA_OK ? lua_tostring(api->L, -2) : NULL;
  if (status != LUA_OK && status != LUA_ERRMEM && msg && *msg >= '0' && *msg <= '9') {
    rc = cp_diag_fail(CP_ECONFIG, "%s:%s", cfg->path, msg);   /* "LINE: params: ..." */
    goto fail;
  }
  if (status != LUA_OK && cp_sandbox_out_of_memory(api->sb)) {   /* the machine's, not the cap */
    rc = cp_diag_fail(CP_ENOMEM, "%s: out of memory while loading the params", cfg->path);
    goto fail;
  }
  if (status != LUA_OK) {
    rc = cp_diag_fail(CP_ECONFIG, "%s: params do not fit in the Lua heap (limits.memory_mb: %u): "
                   "%s", cfg->path, (unsigned)cfg->file->limits.memory_mb, msg);
    goto fail;
  }
  api->params_miss = cp_params_miss_record(api->L);
  cp_sandbox_budget(api->sb, cfg->file->limits.instructions);
  if ((rc = load_files(api)) != CP_OK)
    goto fail;
  if ((rc = cp_client_names(api)) != CP_OK)
    goto fail;
  if (api->n_rules == 0) {
    rc = cp_diag_fail(CP_ERULES, "%s: the rule files declare no rule{}", cfg->path);
    goto fail;
  }
  api->rules_locked = 1;
  cp_sandbox_lock(api->sb);
  *out = api;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM && !cp_diag_oom_said())   /* said once, where it was met if there */
    cp_diag_fail(rc, "rules: out of memory");
  cp_rules_close(api);
  return rc;
}

void cp_rules_close(cp_rules *api)
{
  if (!api)
    return;
  free(api->row_buf);
  free(api->kept);
  free(api->dstate);
  free(api->dgen);
  for (size_t i = 0; api->dheld && i < api->n_derived; i++)
    free(api->dheld[i]);
  free(api->dheld);
  free(api->up_base);
  free(api->scope_skipped);
  free(api->report_last);
  for (size_t i = 0; i < api->n_rules; i++) {
    for (size_t j = 1; api->rules[i].ids && api->rules[i].ids[j]; j++)
      free((char *)api->rules[i].ids[j]);
    free(api->rules[i].ids);
    free(api->rules[i].id);
    free(api->rules[i].doc);
    free(api->rules[i].where);
    free(api->rules[i].file);
    free(api->rules[i].needs);
    free(api->rules[i].held);
  }
  free(api->rules);
  for (size_t i = 0; i < api->n_derived; i++)
    free(api->derived_ids[i]);
  free(api->derived_ids);
  if (api->prof) {
    free(api->prof->rule);
    free(api->prof->derived);
    free(api->prof);
  }
  cp_pools_free(api);
  cp_sbuf_free(&api->json);
  cp_sandbox_close(api->sb);
  free(api);
}

size_t cp_rules_derived_count(const cp_rules *r)
{
  return r->n_derived;
}

const char *cp_rules_derived_id(const cp_rules *r, size_t i)
{
  return r->derived_ids[i];
}

cp_err cp_rules_profile_start(cp_rules *r)
{
  cp_profile *p = calloc(1, sizeof *p);   /* + 1: never calloc(0), which may be NULL */
  if (!p || !(p->rule = calloc(r->n_rules + 1, sizeof *p->rule)) ||
      !(p->derived = calloc(r->n_derived + 1, sizeof *p->derived))) {
    if (p)
      free(p->rule);
    free(p);
    return cp_diag_fail(CP_ENOMEM, "out of memory");
  }
  r->prof = p;
  return CP_OK;
}

cp_profile *cp_rules_profile(cp_rules *r)
{
  return r->prof;
}

uint64_t cp_rules_prof_begin(cp_profile *p, uint64_t *outer)
{
  *outer = p->inner;
  p->inner = 0;
  return cp_progress_ns();
}

void cp_rules_prof_end(cp_profile *p, cp_prof *e, uint64_t t0, uint64_t outer)
{
  uint64_t took = cp_progress_ns() - t0;
  e->calls++;
  e->ns += took > p->inner ? took - p->inner : 0;
  p->inner = outer + took;
}

/* Adds the counters of b to those of a. */
static void prof_add(cp_prof *a, const cp_prof *b)
{
  a->calls += b->calls;
  a->not_run += b->not_run;
  a->ns += b->ns;
}

void cp_rules_profile_add(cp_rules *r, const cp_rules *from)
{
  if (!r->prof || !from->prof)
    return;
  for (int i = 0; i < CP_PROF_PARTS; i++)
    prof_add(&r->prof->part[i], &from->prof->part[i]);
  /* by id: a rule file that declares in a pairs() loop declares in another
   * order in each sandbox (Lua seeds the order of string keys anew) */
  for (size_t i = 0, j; i < r->n_rules; i++) {
    for (j = i < from->n_rules && !strcmp(from->rules[i].id, r->rules[i].id) ? i : 0;
         j < from->n_rules && strcmp(from->rules[j].id, r->rules[i].id); j++)
      ;
    if (j < from->n_rules)
      prof_add(&r->prof->rule[i], &from->prof->rule[j]);
  }
  for (size_t i = 0, j; i < r->n_derived; i++) {
    for (j = i < from->n_derived && !strcmp(from->derived_ids[i], r->derived_ids[i]) ? i : 0;
         j < from->n_derived && strcmp(from->derived_ids[j], r->derived_ids[i]); j++)
      ;
    if (j < from->n_derived)
      prof_add(&r->prof->derived[i], &from->prof->derived[j]);
  }
}

size_t cp_rules_count(const cp_rules *r)
{
  return r->n_rules;
}

const char *cp_rules_id(const cp_rules *r, size_t i)
{
  return r->rules[i].id;
}

const char *cp_rules_doc(const cp_rules *r, size_t i)
{
  return r->rules[i].doc;
}

const char *cp_rules_where(const cp_rules *r, size_t i)
{
  return r->rules[i].where;
}

const char *cp_rules_needs(const cp_rules *r, size_t i)
{
  return r->rules[i].needs;
}

const char *const *cp_rules_ids(const cp_rules *r, size_t i)
{
  return r->rules[i].ids;
}

int cp_rules_reports(const cp_rules *r, const char *id, int glob)
{
  for (size_t i = 0; i < cp_rules_count(r); i++)
    for (const char *const *p = cp_rules_ids(r, i); *p; p++)
      if (glob ? fnmatch(id, *p, 0) == 0 : !strcmp(*p, id))
        return 1;
  return 0;
}

void cp_rules_set_tracer(cp_rules *r, const cp_tracer *t)
{
  r->tracer = t;
}

long cp_rules_current(const cp_rules *r)
{
  return r->current ? (long)(r->current - r->rules) : -1;
}

int cp_rules_has_scope(const cp_rules *r)
{
  return r->scope_ref != LUA_NOREF;
}

char *cp_rules_masked(const cp_rules *r, const char *text)
{
  return cp_sensitive_mask(r, text);
}

int cp_rules_derived_type(const cp_rules *r, const char *id)
{
  lua_State *L = r->L;
  int type = -1, top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->derive_ref);
  if (lua_getfield(L, -1, id) == LUA_TTABLE && lua_getfield(L, -1, "type") == LUA_TSTRING)
    type = strcmp(lua_tostring(L, -1), "date") ? CP_COL_TIMESTAMP : CP_COL_DATE;
  lua_settop(L, top);
  return type;
}

int cp_rules_is_derived(const cp_rules *r, const char *id)
{
  lua_State *L = r->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->derive_ref);
  int found = lua_getfield(L, -1, id) == LUA_TTABLE;
  lua_pop(L, 2);
  return found;
}

void cp_rules_watch_params(cp_rules *api)
{
  cp_params_watch(api->L);
}
