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
cp_err cp_api_run_set(cp_rules *api, const char *id)
{
  lua_State *L = api->L;
  if (lua_istable(L, -1)) {
    if (cp_freeze_top(L) != LUA_OK) {
      cp_err rc = cp_diag_fail(CP_EEVAL, "run value '%s' cannot be made read-only: %s (nothing "
                            "was written)", id, lua_tostring(L, -1));
      lua_pop(L, 1);
      return rc;
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

/* Prints a failed run-wide computation and returns CP_EEVAL. */
cp_err cp_api_run_failure(cp_rules *api, const char *what, const char *id)
{
  lua_State *L = api->L;
  cp_err rc = cp_diag_fail(CP_EEVAL, "%s (%s '%s'; nothing was written)", lua_tostring(L, -2),
                        what, id);
  if (*lua_tostring(L, -1))
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
  lua_pop(L, 2);
  return rc;
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
