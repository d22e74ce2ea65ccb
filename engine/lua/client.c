/* client.c: what a rule sees of a client: the client object `c` (its id,
 * columns, rowsets and derived values, each found once and then kept).
 *
 * `c` is an empty table, one per client, whose metatable (one for all
 * clients, the live one) sends reads to the current client's value table
 * (the backing) and refuses writes, like a view (freeze.c), but never lets
 * the backing out: no pairs, next or rawget reach it. The backing starts
 * with the id only (empty while reads are traced); its own metatable's __index (load) finds a field the
 * first time it is read (a column, the rowset of a per-client table, a
 * derived value) and stores it in the backing, so that every later read of
 * it, by any rule of the client, is a table read inside the Lua VM with no
 * call into C. Nil values are not stored: a NULL column or a nil derived
 * value goes to load at each read.
 *
 * The side table holds what load must see again: a derivation under way (a
 * cycle), a failed one (an error box, so that later readers fail alike) and
 * a nil derived value; while explain traces reads, it also holds the
 * rowsets and derived values instead of the backing, so that every read
 * reaches load and its tracer. The current client's object and side table
 * are in the registry: only the current client's object reaches load.
 *
 * A client object lives as long as its evaluation: cp_client_end() gives it
 * the dead metatable, so that a rule that kept `c` gets an error, never
 * another client's values. Per client, that is three tables and one
 * metatable change. */
#include <lauxlib.h>
#include <string.h>

#include "api.h"

#define CACHE_SLOTS 32   /* fields a client's rules read, and room */

/* Upvalues of load: names, the nil and busy markers, error boxes' mt. */
enum { UV_NAMES = 1, UV_NIL, UV_BUSY, UV_ERRMT };

/* Returns a value of the side table at the top of the stack to the rule,
 * decoding the markers: a nil, a derivation under way (a cycle), or a
 * failed derivation. The markers are tables, so any other value is
 * returned as it is. */
static int from_side(lua_State *L)
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

/* Keeps the value at the top of the stack as field name (at 2): in the
 * backing (at 1), or in the side table (at 3) while reads are traced or
 * when it is nil (as the nil marker, which a table can hold: a derived value
 * that is nil is computed once too). */
static void keep(lua_State *L, const cp_rules *api)
{
  int nil = lua_isnil(L, -1);
  lua_pushvalue(L, 2);
  if (nil)
    lua_pushvalue(L, lua_upvalueindex(UV_NIL));
  else
    lua_pushvalue(L, -2);
  lua_rawset(L, api->tracer || nil ? 3 : 1);
}

/* Computes derived value name (at 2), the idx-th declared, for the client
 * whose backing is at 1; side table at 3. */
static int derive(lua_State *L, cp_rules *api, unsigned idx)
{
  uint64_t outer = 0, t0 = api->prof ? cp_rules_prof_begin(api->prof, &outer) : 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  lua_getfield(L, -1, "fn");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(UV_BUSY));
  lua_rawset(L, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_self_ref);
  if (api->tracer)
    api->tracer->derive_begin(api->tracer->ctx, lua_tostring(L, 2));
  int status = lua_pcall(L, 1, 1, 0);
  if (status == LUA_OK && lua_istable(L, -1))   /* rules of the client share it */
    status = cp_freeze_top(L);
  if (api->prof)
    cp_rules_prof_end(api->prof, &api->prof->derived[idx], t0, outer);
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
  lua_pushnil(L);
  lua_rawset(L, 3);   /* no longer under way */
  keep(L, api);
  return 1;
}

/* __index of a client's backing (at 1), for a field (at 2) not in it yet:
 * a column, a rowset or a derived value. */
static int load(lua_State *L)
{
  cp_rules *api = cp_api_of(L);
  if (!api->client)
    return luaL_error(L, "a client object was used after its evaluation ended");
  lua_settop(L, 2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_side_ref);   /* 3 */
  lua_pushvalue(L, 2);
  if (lua_rawget(L, 3) != LUA_TNIL) {
    int n = from_side(L);
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
  case CP_NAME_ID:   /* in the backing from the start, but when traced */
    lua_pushstring(L, api->client->id);
    break;
  case CP_NAME_COLUMN:
    cp_rowset_value_push(L, &api->client->fields[idx]);
    if (!api->tracer)
      keep(L, api);
    break;
  case CP_NAME_TABLE:
    cp_rowset_push(L, api, api->gen, idx);
    keep(L, api);
    break;
  default:
    return derive(L, api, idx);
  }
  if (api->tracer)
    api->tracer->read(api->tracer->ctx, L, (int)(code >> 24), idx);
  return 1;
}

/* __index of a client object whose evaluation is over. */
static int dead(lua_State *L)
{
  return luaL_error(L, "a client object was used after its evaluation ended");
}

/* Writing to a client is refused: rules share it. */
static int client_newindex(lua_State *L)
{
  return luaL_error(L, "the client is read-only (field '%s'); use derive{} to add a value",
                    luaL_tolstring(L, 2, NULL));
}

/* __pairs: a client is read by field name. */
static int client_pairs(lua_State *L)
{
  return luaL_error(L, "a client cannot be iterated or read raw; read its fields by name (c.id, "
                    "c.tier)");
}

/* tostring(c): "client C0001". */
static int client_tostring(lua_State *L)
{
  cp_rules *api = cp_api_of(L);
  lua_pushfstring(L, "client %s", api->client ? api->client->id : "?");
  return 1;
}

/* Pushes a client object's metatable: __index is the backing (for the live
 * one) or fn (the dead one). */
static void push_object_mt(lua_State *L, lua_CFunction fn)
{
  lua_createtable(L, 0, 5);
  if (fn) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, "__index");
  }
  lua_pushcfunction(L, fn ? fn : client_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, fn ? fn : client_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, fn ? fn : client_pairs);   /* #c would answer 0 */
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, fn ? fn : client_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
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
    size_t k = 0;   /* its place in declaration order */
    while (k < api->n_derived && strcmp(api->derived_ids[k], id))
      k++;
    if (add_name(L, names, id, CP_NAME_CODE(CP_NAME_DERIVED, k)) < 0) {
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
  lua_createtable(L, 0, 2);   /* the backings' metatable */
  lua_insert(L, -2);
  lua_newtable(L);
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcclosure(L, load, 4);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  api->backing_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_object_mt(L, NULL);
  api->live_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_object_mt(L, dead);
  api->dead_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushboolean(L, 0);
  api->client_self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushboolean(L, 0);
  api->client_side_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return CP_OK;
}

void cp_client_end(cp_rules *api)
{
  lua_State *L = api->L;
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_self_ref) == LUA_TTABLE) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->dead_mt_ref);
    lua_setmetatable(L, -2);
    lua_pushboolean(L, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, api->client_self_ref);
    lua_pushboolean(L, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, api->client_side_ref);
  }
  lua_pop(L, 1);
}

void cp_client_push(cp_rules *api)
{
  lua_State *L = api->L;
  cp_client_end(api);
  lua_createtable(L, 0, 4);                 /* the side table */
  lua_rawseti(L, LUA_REGISTRYINDEX, api->client_side_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->live_mt_ref);
  lua_createtable(L, 0, CACHE_SLOTS);       /* the backing: sized once, no rehashing */
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->backing_mt_ref);
  lua_setmetatable(L, -2);
  if (!api->tracer) {                       /* traced, every read reaches load */
    lua_pushstring(L, api->client->id);
    lua_setfield(L, -2, "id");
  }
  lua_setfield(L, -2, "__index");           /* the live metatable reads this backing */
  lua_createtable(L, 0, 0);                 /* the object */
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawseti(L, LUA_REGISTRYINDEX, api->client_self_ref);
}
