/* api.c: the rule API's shared context, which every module of the API reaches
 * from a Lua state, and the run-wide values they set. Below rules.c (the
 * declarations and the loader), so that the API's modules need not call it. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "freeze.h"

cp_rules *cp_api_of(lua_State *L)
{
  return cp_sandbox_user(cp_sandbox_of(L));
}

/* Sets run value id (at the top of the stack, popped) as computed; a table
 * is frozen to any depth, as rules share it. */
/* Returns the type name of the first function or coroutine in the value at
 * idx (inside tables, keys and values, to any depth; seen: a set of the
 * tables walked), or NULL. Through one, another file could reach the
 * upvalues of the file that made it. */
static const char *code_in(lua_State *L, int idx, int seen, int depth)
{
  int t = lua_type(L, idx);
  if (t == LUA_TFUNCTION || t == LUA_TTHREAD)
    return lua_typename(L, t);
  if (t != LUA_TTABLE || depth > 200 || !lua_checkstack(L, 6))
    return NULL;
  if (cp_freeze_behind(L, idx)) {   /* a view (a module, params): what it shows */
    const char *found = code_in(L, lua_gettop(L), seen, depth + 1);
    lua_pop(L, 1);
    return found;
  }
  lua_pushvalue(L, idx);
  if (lua_rawget(L, seen) != LUA_TNIL) {
    lua_pop(L, 1);
    return NULL;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, seen);
  const char *found = NULL;
  lua_pushnil(L);
  while (!found && lua_next(L, idx)) {
    found = code_in(L, lua_gettop(L) - 1, seen, depth + 1);
    if (!found)
      found = code_in(L, lua_gettop(L), seen, depth + 1);
    lua_pop(L, 1);
  }
  if (found)
    lua_pop(L, 1);
  return found;
}

cp_err cp_api_run_set(cp_rules *api, const char *id)
{
  lua_State *L = api->L;
  int value = lua_gettop(L);
  lua_newtable(L);
  const char *code = code_in(L, value, value + 1, 0);
  lua_settop(L, value);
  const char *at = cp_api_declared_at(api, api->globals_ref, id);
  if (!at)
    at = cp_api_declared_at(api, api->aggregates_ref, id);
  if (code) {
    lua_pop(L, 1);
    return cp_diag_fail(CP_EEVAL, "%s: run value '%s' holds a %s: run values are data (texts, "
                        "numbers, booleans, tables of them), whatever --jobs says, since through "
                        "code another file would reach this file's own locals; share code with "
                        "require() (nothing was written)", at ? at : "?", id, code);
  }
  if (lua_istable(L, -1)) {
    /* under the cap alone, as a --jobs worker copies it: both fail alike */
    int was = cp_sandbox_hold_cap(api->sb, 1);
    int frozen = cp_freeze_top(L);
    cp_sandbox_hold_cap(api->sb, was);
    if (frozen != LUA_OK) {
      /* a value too deep or too large to copy (a tree built from the export,
       * a table per staff row): the data's size, not code, so the run value
       * fails as one whose function failed does, and the run goes on */
      int global = cp_api_declared_at(api, api->globals_ref, id) != NULL;
      lua_pushfstring(L, "%s: run value '%s' cannot be made read-only: %s", at ? at : "?", id,
                      lua_tostring(L, -1));
      lua_remove(L, -2);
      lua_pushliteral(L, "");   /* no traceback: the host's copy failed, not Lua code */
      cp_api_run_failed(api, global ? "global" : "aggregate", id);
      lua_gc(L, LUA_GCCOLLECT);   /* what the copy had made */
      return CP_OK;
    }
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->run_ref);
  lua_insert(L, -2);
  lua_setfield(L, -2, id);
  lua_pop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->known_ref);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, id);
  lua_pop(L, 1);
  return CP_OK;
}

void cp_api_run_mark_failed(cp_rules *api, const char *id, const char *msg)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->known_ref);
  lua_pushstring(L, msg);   /* known: true when computed, the message when failed */
  lua_setfield(L, -2, id);
  lua_pop(L, 1);
}

void cp_api_run_say_failed(cp_rules *api, const char *what, const char *id)
{
  lua_State *L = api->L;
  if (id)
    cp_diag_fail(CP_EEVAL, "%s (%s '%s'; every rule that reads run.%s fails for each client "
                 "and keeps its results)", lua_tostring(L, -2), what, id, id);
  else
    cp_diag_fail(CP_EEVAL, "%s (%s; every rule that reads one of them fails for each client "
                 "and keeps its results)", lua_tostring(L, -2), what);
  if (*lua_tostring(L, -1))
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
}

void cp_api_run_failed(cp_rules *api, const char *what, const char *id)
{
  lua_State *L = api->L;
  cp_api_run_say_failed(api, what, id);
  cp_api_run_mark_failed(api, id, lua_tostring(L, -2));
  lua_pop(L, 2);
}

const char *cp_api_declared_at(cp_rules *api, int ref, const char *id)
{
  lua_State *L = api->L;
  const char *where = NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  for (lua_Integer i = 1; !where && i <= (lua_Integer)lua_rawlen(L, -1); i++) {
    lua_rawgeti(L, -1, i);
    if (lua_getfield(L, -1, "id") == LUA_TSTRING && strcmp(lua_tostring(L, -1), id) == 0) {
      lua_getfield(L, -2, "declared_at");   /* anchored in the declaration */
      where = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
      lua_pop(L, 1);
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  return where;
}
