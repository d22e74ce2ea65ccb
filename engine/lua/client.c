/* client.c: what a rule sees of a client: the client object `c` (its id,
 * columns, rowsets and derived values computed once and cached). */
#include <lauxlib.h>
#include <string.h>

#include "api.h"

#define CLIENT_MT "crmpolicy.client"
#define CACHE_SLOTS 32   /* derived values and tables a client's rules read, and room */

/* A client object: its values are cached in user value 1. */
typedef struct client_ud {
  cp_rules *api;        /* the API context */
  uint32_t gen;       /* generation of the client it stands for */
} client_ud;

/* Upvalues of client_index: names, the nil and busy markers, error boxes' mt. */
enum { UV_NAMES = 1, UV_NIL, UV_BUSY, UV_ERRMT };

/* Returns a cached value at the top of the stack to the rule, decoding the
 * markers: a nil, a derivation under way (a cycle), or a failed derivation.
 * The markers are tables, so any other value is returned as it is. */
static int from_cache(lua_State *L)
{
  if (lua_type(L, -1) != LUA_TTABLE)
    return 1;
  if (lua_rawequal(L, -1, lua_upvalueindex(UV_NIL)))
    return lua_pushnil(L), 1;
  if (lua_rawequal(L, -1, lua_upvalueindex(UV_BUSY)))
    return luaL_error(L, "derived value '%s' depends on itself", lua_tostring(L, 2));
  if (lua_getmetatable(L, -1)) {
    if (lua_rawequal(L, -1, lua_upvalueindex(UV_ERRMT))) {
      lua_rawgeti(L, -2, 1);
      return lua_error(L);
    }
    lua_pop(L, 1);
  }
  return 1;
}

/* Computes derived value name (at 2) for the client (at 1); cache at 3. */
static int derive(lua_State *L, cp_rules *api)
{
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  lua_getfield(L, -1, "fn");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(UV_BUSY));
  lua_rawset(L, 3);
  lua_pushvalue(L, 1);
  if (api->tracer)
    api->tracer->derive_begin(api->tracer->ctx, lua_tostring(L, 2));
  int status = lua_pcall(L, 1, 1, 0);
  if (status == LUA_OK && lua_istable(L, -1))   /* rules of the client share it */
    status = cp_freeze_top(L);
  if (api->tracer)
    api->tracer->derive_end(api->tracer->ctx, L, status != LUA_OK);
  if (status != LUA_OK) {
    if (lua_type(L, -1) == LUA_TSTRING)
      lua_pushfstring(L, "%s (in derived value '%s')", lua_tostring(L, -1), lua_tostring(L, 2));
    else
      lua_pushvalue(L, -1);
    lua_createtable(L, 1, 0);   /* the error box, so later readers fail alike */
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, lua_upvalueindex(UV_ERRMT));
    lua_setmetatable(L, -2);
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_rawset(L, 3);
    return lua_error(L);
  }
  lua_pushvalue(L, 2);
  if (lua_isnil(L, -2))
    lua_pushvalue(L, lua_upvalueindex(UV_NIL));
  else
    lua_pushvalue(L, -2);
  lua_rawset(L, 3);
  return 1;
}

/* c.name: the client's id, a column, a rowset, or a derived value. */
static int client_index(lua_State *L)
{
  client_ud *c = lua_touserdata(L, 1);
  cp_rules *api = c->api;
  if (c->gen != api->gen || !api->client)
    return luaL_error(L, "a client object was used after its evaluation ended");
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, 3) != LUA_TNIL) {
    int n = from_cache(L);
    if (api->tracer)
      api->tracer->read(api->tracer->ctx, L, 0, 0);
    return n;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(UV_NAMES)) != LUA_TNUMBER)
    return luaL_error(L, "client has no field '%s'",
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2));
  lua_Integer code = lua_tointeger(L, -1);
  unsigned idx = (unsigned)(code & 0xffffff);
  lua_pop(L, 1);
  switch (code >> 24) {
  case CP_NAME_ID:
    lua_pushstring(L, api->client->id);
    break;
  case CP_NAME_COLUMN:
    cp_rowset_value_push(L, &api->client->fields[idx]);
    break;
  case CP_NAME_TABLE:
    cp_rowset_push(L, api, api->gen, idx);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 3);
    break;
  default:
    return derive(L, api);
  }
  if (api->tracer)
    api->tracer->read(api->tracer->ctx, L, (int)(code >> 24), idx);
  return 1;
}

/* Writing to a client is refused: rules share it. */
static int client_newindex(lua_State *L)
{
  return luaL_error(L, "the client is read-only (field '%s'); use derive{} to add a value",
                    luaL_tolstring(L, 2, NULL));
}

/* tostring(c): "client C0001". */
static int client_tostring(lua_State *L)
{
  client_ud *c = lua_touserdata(L, 1);
  lua_pushfstring(L, "client %s", c->api->client ? c->api->client->id : "?");
  return 1;
}

/* Adds name -> code to the names table at index names; fails when the name
 * is taken. */
static int add_name(lua_State *L, int names, const char *name, lua_Integer code)
{
  if (lua_getfield(L, names, name) != LUA_TNIL) {
    lua_pop(L, 1);
    return -1;
  }
  lua_pop(L, 1);
  lua_pushinteger(L, code);
  lua_setfield(L, names, name);
  return 0;
}

/* Adds the derived ids to the names table at index names; reports a clash. */
static cp_err add_derived(cp_rules *api, int names)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_getfield(L, -1, "declared_at");
    const char *where = lua_tostring(L, -1), *id = lua_tostring(L, -3);
    if (add_name(L, names, id, CP_NAME_CODE(CP_NAME_DERIVED, 0)) < 0) {
      cp_err rc = cp_diag_fail(CP_ERULES, "%s: derived value '%s' has the name of a client "
                            "column or table", where, id);
      lua_pop(L, 4);
      return rc;
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  return CP_OK;
}

cp_err cp_client_names(cp_rules *api)
{
  lua_State *L = api->L;
  const cp_config_file *f = api->cfg->file;
  lua_newtable(L);
  int names = lua_gettop(L);
  add_name(L, names, "id", CP_NAME_CODE(CP_NAME_ID, 0));
  for (unsigned i = 0; i < f->clients->columns_count; i++)
    add_name(L, names, f->clients->columns[i].name, CP_NAME_CODE(CP_NAME_COLUMN, i));
  for (unsigned i = 0; i < f->tables_count; i++)
    add_name(L, names, f->tables[i].name, CP_NAME_CODE(CP_NAME_TABLE, i));
  cp_err rc = add_derived(api, names);
  if (rc != CP_OK) {
    lua_pop(L, 1);
    return rc;
  }
  luaL_newmetatable(L, CLIENT_MT);
  lua_insert(L, -2);
  lua_newtable(L);
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcclosure(L, client_index, 4);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, client_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, client_tostring);
  lua_setfield(L, -2, "__tostring");
  cp_freeze_protect(L, -1);
  lua_pop(L, 1);
  return CP_OK;
}

void cp_client_push(cp_rules *api)
{
  lua_State *L = api->L;
  client_ud *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->api = api;
  c->gen = api->gen;
  luaL_setmetatable(L, CLIENT_MT);
  lua_createtable(L, 0, CACHE_SLOTS);   /* sized once: no rehashing as values come */
  lua_setiuservalue(L, -2, 1);
}
