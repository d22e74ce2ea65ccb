/* share.c: copies the run-wide values (globals, aggregates) of one sandbox
 * into another, so that --jobs workers need not compute them again. The copy
 * runs in a protected call on the receiving state, reads the giving state
 * with raw, non-allocating calls only (no metamethod of a rule's value runs),
 * copies each table once (a value shared as a DAG stays linear, a cycle
 * stays a cycle), makes a lookup's row or rows anew in the receiving state
 * (workers share the writer's lookups), and refuses functions, other
 * userdata and nesting past MAX_DEPTH (as cp_freeze does) with a message
 * naming the value and where it is declared. */
#include <lauxlib.h>
#include <string.h>

#include "api.h"
#include "freeze.h"
#include "rowset.h"
#include "rules.h"

#define MAX_DEPTH 200   /* tables nested deeper are refused (cp_freeze refuses them too) */

/* What one protected copy needs. */
typedef struct share_ctx {
  lua_State *F;             /* the giving state */
  int memo;                 /* index in L of: table pointer of F -> its copy (false: open) */
  int value;                /* index in F of the value copied (its id just below) */
} share_ctx;

static void copy_value(share_ctx *x, lua_State *L, int idx, int depth);

/* Copies the table at idx of F (raw reads) into a new table pushed on L, or
 * pushes the copy made before for the same table. */
static void copy_table(share_ctx *x, lua_State *L, int idx, int depth)
{
  lua_State *F = x->F;
  if (depth > MAX_DEPTH)
    luaL_error(L, "tables nested deeper than %d levels", MAX_DEPTH);
  if (!lua_checkstack(F, 4))
    luaL_error(L, "tables nested too deep");
  luaL_checkstack(L, 6, "tables nested too deep");
  if (cp_freeze_behind(F, idx)) {   /* a read-only view: copy what it shows */
    copy_table(x, L, lua_gettop(F), depth);   /* the view and its table: one level */
    lua_pop(F, 1);
    return;
  }
  int list = 0;   /* a list of rows (rows:filter() ...): a list in L too */
  if (!cp_params_miss_mt(F, idx) && lua_getmetatable(F, idx)) {   /* params': plain */
    luaL_getmetatable(F, LIST_MT);
    list = lua_rawequal(F, -1, -2);
    lua_pop(F, 2);
    if (!list)
      luaL_error(L, "a table with a metatable (only plain tables can be shared)");
  }
  lua_pushlightuserdata(L, (void *)lua_topointer(F, idx));
  if (lua_rawget(L, x->memo) == LUA_TTABLE)   /* copied, or being copied (a cycle) */
    return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushlightuserdata(L, (void *)lua_topointer(F, idx));
  lua_pushvalue(L, -2);
  lua_rawset(L, x->memo);   /* before its contents: a table inside it may be it */
  lua_pushnil(F);
  while (lua_next(F, idx)) {
    copy_value(x, L, lua_gettop(F) - 1, depth + 1);
    copy_value(x, L, lua_gettop(F), depth + 1);
    lua_rawset(L, -3);
    lua_pop(F, 1);
  }
  if (list)
    luaL_setmetatable(L, LIST_MT);
}

/* Pushes onto L a copy of the value at idx of F (data only); raises an error
 * on L for anything else. */
static void copy_value(share_ctx *x, lua_State *L, int idx, int depth)
{
  lua_State *F = x->F;
  size_t len;
  const char *s;
  switch (lua_type(F, idx)) {
  case LUA_TNIL: lua_pushnil(L); return;
  case LUA_TBOOLEAN: lua_pushboolean(L, lua_toboolean(F, idx)); return;
  case LUA_TNUMBER:
    if (lua_isinteger(F, idx))
      lua_pushinteger(L, lua_tointeger(F, idx));
    else
      lua_pushnumber(L, lua_tonumber(F, idx));
    return;
  case LUA_TSTRING:
    s = lua_tolstring(F, idx, &len);   /* a string already: no conversion */
    lua_pushlstring(L, s, len);
    return;
  case LUA_TTABLE: copy_table(x, L, idx, depth); return;
  case LUA_TLIGHTUSERDATA:   /* null and empty_array: the same in every state */
    if (!lua_touserdata(F, idx) || lua_touserdata(F, idx) == &cp_emit_empty_array) {
      lua_pushlightuserdata(L, lua_touserdata(F, idx));
      return;
    }
    break;
  case LUA_TUSERDATA: {   /* a lookup's row or rows (gen 0): the same lookup in L */
    const row_ud *r = cp_rowset_udata(F, idx, ROW_MAGIC, sizeof *r);
    const rowset_ud *rs = r ? NULL : cp_rowset_udata(F, idx, ROWSET_MAGIC, sizeof *rs);
    if (r && !r->gen) {
      cp_rowset_push_lookup_row(L, cp_api_of(L), r->source, r->row);
      return;
    }
    if (rs && !rs->gen) {
      cp_rowset_push(L, cp_api_of(L), 0, rs->source);
      return;
    }
    break;
  }
  default:
    break;
  }
  luaL_error(L, "a %s (only tables, strings, numbers, booleans and lookup rows can be shared)",
             lua_typename(F, lua_type(F, idx)));
}

/* (ctx) -> copies the run value at index x->value of ctx's F onto L and
 * sets it as the run value of the id below it; runs in a protected call on L. */
static int l_share(lua_State *L)
{
  share_ctx *x = lua_touserdata(L, 1);
  lua_newtable(L);
  x->memo = lua_gettop(L);
  copy_value(x, L, x->value, 0);
  cp_api_run_set(cp_api_of(L), lua_tostring(x->F, x->value - 1));
  return 0;
}

/* Returns where run value id is declared in api ("rules/x.lua:12"), or "?". */
static const char *declared_at(cp_rules *api, const char *id)
{
  const char *at = cp_api_declared_at(api, api->globals_ref, id);
  if (!at)
    at = cp_api_declared_at(api, api->aggregates_ref, id);
  return at ? at : "?";
}

cp_err cp_share_run_values(cp_rules *from, cp_rules *to)
{
  lua_State *F = from->L, *L = to->L;
  int top = lua_gettop(F);
  cp_err rc = CP_OK;
  share_ctx x = {F, 0, 0};
  lua_rawgeti(F, LUA_REGISTRYINDEX, from->known_ref);
  lua_rawgeti(F, LUA_REGISTRYINDEX, from->run_ref);
  lua_pushnil(F);
  while (rc == CP_OK && lua_next(F, top + 1)) {   /* id -> true, or why it failed */
    if (lua_type(F, -1) == LUA_TSTRING) {   /* failed: it fails alike for this sandbox */
      cp_api_run_mark_failed(to, lua_tostring(F, -2), lua_tostring(F, -1));
      lua_pop(F, 1);
      continue;
    }
    lua_pushvalue(F, -2);
    lua_rawget(F, top + 2);   /* F: id, true, value */
    lua_replace(F, -2);       /* F: id, value */
    lua_pushcfunction(L, l_share);
    lua_pushlightuserdata(L, &x);
    x.value = lua_gettop(F);
    int was = cp_sandbox_lift_cap(to->sb, 1);   /* the main state held it under the cap */
    int status = cp_sandbox_call(to->sb, 1, 0);
    cp_sandbox_lift_cap(to->sb, was);
    if (status != LUA_OK) {
      lua_settop(F, x.value);   /* what the copy had pushed when it failed */
      const char *id = lua_tostring(F, -2);
      rc = cp_diag_fail(CP_EEVAL, "%s: run value '%s' cannot be shared with --jobs: %s",
                     declared_at(from, id), id, lua_tostring(L, -2));
      lua_pop(L, 2);
    }
    lua_pop(F, 1);
  }
  lua_settop(F, top);
  lua_gc(L, LUA_GCCOLLECT);   /* what loading left, before the clients stream */
  return rc;
}
