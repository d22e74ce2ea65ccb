/* client.c: what a rule sees of a client: the client object `c` (columns,
 * rows, derived values computed once and cached), rows read lazily from the
 * C-side arena, and the `lookup` tables. */
#include <lauxlib.h>
#include <string.h>

#include "api.h"

#define CLIENT_MT "crmpolicy.client"
#define ROWSET_MT "crmpolicy.rowset"
#define ROW_MT "crmpolicy.row"

/* A client object: its values are cached in user value 1. */
typedef struct client_ud {
  cp_api *api;        /* the API context */
  uint32_t gen;       /* generation of the client it stands for */
} client_ud;

/* A set of rows: a client's table or a lookup table. Rows in user value 1. */
typedef struct rowset_ud {
  cp_api *api;        /* the API context */
  uint32_t gen;       /* client generation; 0 for lookup tables */
  uint32_t source;    /* table index; lookups follow the per-client tables */
} rowset_ud;

/* One row of a rowset. */
typedef struct row_ud {
  cp_api *api;        /* the API context */
  uint32_t gen;       /* as for its rowset */
  uint32_t source;    /* as for its rowset */
  uint32_t row;       /* index in the rows */
} row_ud;

void cp_value_push(lua_State *L, const cp_value *v)
{
  switch (v->type) {
  case CP_V_INT:
    lua_pushinteger(L, v->u.i);
    break;
  case CP_V_REAL:
    lua_pushnumber(L, v->u.r);
    break;
  case CP_V_TEXT:
    lua_pushlstring(L, v->u.s, v->len);
    break;
  case CP_V_BOOL:
    lua_pushboolean(L, (int)v->u.i);
    break;
  default:
    lua_pushnil(L);
  }
}

/* Returns the table declaration of a source. */
static const cp_table_cfg *source_cfg(const cp_api *api, uint32_t source)
{
  const cp_config_file *f = api->cfg->file;
  return source < f->tables_count ? &f->tables[source] : &f->lookups[source - f->tables_count];
}

/* Returns the rows of a source, raising an error for rows of a client whose
 * evaluation is over (a rule kept them in a global or upvalue). */
static const cp_rows *source_rows(lua_State *L, cp_api *api, uint32_t gen, uint32_t source)
{
  if (gen && (gen != api->gen || !api->client))
    luaL_error(L, "rows of %s belong to a client whose evaluation is over",
               source_cfg(api, source)->name);
  if (source < api->cfg->file->tables_count)
    return &api->client->tables[source];
  const cp_rows *rows;
  cp_facts_lookup(api->facts, source - api->cfg->file->tables_count, &rows);
  return rows;
}

/* row.field: upvalue 1 maps source+1 -> {column name -> column index}. */
static int row_index(lua_State *L)
{
  row_ud *r = luaL_checkudata(L, 1, ROW_MT);
  const cp_rows *rows = source_rows(L, r->api, r->gen, r->source);
  lua_rawgeti(L, lua_upvalueindex(1), (lua_Integer)r->source + 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNUMBER) {
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "%s row has no field '%s'", source_cfg(r->api, r->source)->name,
                      name ? name : luaL_typename(L, 2));
  }
  size_t ncols = source_cfg(r->api, r->source)->columns_count;
  lua_Integer col = lua_tointeger(L, -1);
  cp_value_push(L, &rows->v[(size_t)r->row * ncols + (size_t)col]);
  return 1;
}

/* Pushes row i (0-based) of a rowset at idx, cached in its user value. */
static void push_row(lua_State *L, int idx, const rowset_ud *s, uint32_t i)
{
  lua_getiuservalue(L, idx, 1);
  if (lua_rawgeti(L, -1, (lua_Integer)i + 1) == LUA_TNIL) {
    lua_pop(L, 1);
    row_ud *r = lua_newuserdatauv(L, sizeof *r, 0);
    *r = (row_ud){s->api, s->gen, s->source, i};
    luaL_setmetatable(L, ROW_MT);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
  }
  lua_remove(L, -2);
}

/* rows[i] (1-based) or rows:method: upvalue 1 is the methods table. */
static int rowset_index(lua_State *L)
{
  rowset_ud *s = luaL_checkudata(L, 1, ROWSET_MT);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    const cp_rows *rows = source_rows(L, s->api, s->gen, s->source);
    lua_Integer i = lua_tointeger(L, 2);
    if (i < 1 || i > (lua_Integer)rows->n || !lua_isinteger(L, 2))
      lua_pushnil(L);
    else
      push_row(L, 1, s, (uint32_t)(i - 1));
    return 1;
  }
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
    return luaL_error(L, "%s has no method '%s'", source_cfg(s->api, s->source)->name,
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
  return 1;
}

/* #rows */
static int rowset_len(lua_State *L)
{
  rowset_ud *s = luaL_checkudata(L, 1, ROWSET_MT);
  lua_pushinteger(L, source_rows(L, s->api, s->gen, s->source)->n);
  return 1;
}

/* Pushes a new rowset object. */
static void push_rowset(lua_State *L, cp_api *api, uint32_t gen, uint32_t source)
{
  rowset_ud *s = lua_newuserdatauv(L, sizeof *s, 2);
  *s = (rowset_ud){api, gen, source};
  luaL_setmetatable(L, ROWSET_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
}

/* lookup.staff:get(id): the row with that id, or nil (index in user value 2). */
static int rowset_get(lua_State *L)
{
  rowset_ud *s = luaL_checkudata(L, 1, ROWSET_MT);
  if (s->gen)
    return luaL_error(L, "get() is for lookup tables; use filter() on a client's rows");
  lua_getiuservalue(L, 1, 2);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNUMBER)
    return lua_pushnil(L), 1;
  push_row(L, 1, s, (uint32_t)lua_tointeger(L, -1));
  return 1;
}

/* Methods shared by rowsets and the lists filter() returns; all plain Lua
 * over #rows and rows[i], so they work on both. */
static const char prelude[] =
  "local M, list = ...\n"
  "function M.each(rows) local i, n = 0, #rows\n"
  "  return function() i = i + 1; if i <= n then return rows[i] end end end\n"
  "function M.filter(rows, pred) local out, n = setmetatable({}, list), 0\n"
  "  for i = 1, #rows do local r = rows[i]; if pred(r) then n = n + 1; out[n] = r end end\n"
  "  return out end\n"
  "function M.count(rows, pred) if not pred then return #rows end; local n = 0\n"
  "  for i = 1, #rows do if pred(rows[i]) then n = n + 1 end end; return n end\n"
  "function M.sum(rows, field, pred) local s = 0\n"
  "  for i = 1, #rows do local r = rows[i]\n"
  "    if not pred or pred(r) then local v = r[field]; if v then s = s + v end end end\n"
  "  return s end\n"
  "local function best(rows, field, pred, better) local b, br\n"
  "  for i = 1, #rows do local r = rows[i]\n"
  "    if not pred or pred(r) then local v = r[field]\n"
  "      if v ~= nil and (b == nil or better(v, b)) then b, br = v, r end end end\n"
  "  return b, br end\n"
  "function M.max(rows, field, pred) return best(rows, field, pred, function(a, b) return a > b end) end\n"
  "function M.min(rows, field, pred) return best(rows, field, pred, function(a, b) return a < b end) end\n"
  "function M.first(rows, pred) for i = 1, #rows do local r = rows[i]\n"
  "  if not pred or pred(r) then return r end end end\n"
  "function M.any(rows, pred) return M.first(rows, pred) ~= nil end\n";

/* Loads the prelude into a fresh methods table, left on the stack. */
static void push_methods(cp_api *api)
{
  lua_State *L = api->L;
  lua_newtable(L);                          /* methods */
  lua_createtable(L, 0, 1);                 /* metatable of filter() lists */
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  if (luaL_loadbufferx(L, prelude, sizeof prelude - 1, "=crmpolicy", "t") != LUA_OK)
    lua_error(L);   /* the prelude is ours: failing to load it is a bug */
  cp_sandbox_env(api->sb);
  lua_setupvalue(L, -2, 1);
  lua_pushvalue(L, -3);
  lua_pushvalue(L, -3);
  lua_call(L, 2, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, rowset_get);
  lua_setfield(L, -2, "get");
}

/* Builds {column name -> index} for a source, left on the stack. */
static void push_colmap(lua_State *L, const cp_table_cfg *t)
{
  lua_createtable(L, 0, (int)t->columns_count);
  for (unsigned j = 0; j < t->columns_count; j++) {
    lua_pushinteger(L, j);
    lua_setfield(L, -2, t->columns[j].name);
  }
}

/* Returns the index of the lookup's id column among its columns, or -1. */
static int id_column(const cp_table_cfg *t)
{
  for (unsigned j = 0; j < t->columns_count; j++)
    if (strcmp(t->columns[j].name, t->id) == 0)
      return (int)j;
  return -1;
}

/* Sets the global `lookup`: name -> rowset over the whole lookup table, with
 * an id index for get(). */
static void push_lookups(cp_api *api)
{
  lua_State *L = api->L;
  const cp_config_file *f = api->cfg->file;
  lua_newtable(L);
  for (unsigned i = 0; i < f->lookups_count; i++) {
    const cp_table_cfg *t = &f->lookups[i];
    const cp_rows *rows;
    int idc = id_column(t);
    cp_facts_lookup(api->facts, i, &rows);
    push_rowset(L, api, 0, f->tables_count + i);
    lua_createtable(L, 0, (int)rows->n);
    for (uint32_t r = 0; idc >= 0 && r < rows->n; r++) {
      cp_value_push(L, &rows->v[(size_t)r * t->columns_count + (size_t)idc]);
      lua_pushinteger(L, r);
      lua_rawset(L, -3);
    }
    lua_setiuservalue(L, -2, 2);
    lua_setfield(L, -2, t->name);
  }
  cp_sandbox_readonly(L, -1);
  lua_remove(L, -2);
}

void cp_client_register(cp_api *api)
{
  lua_State *L = api->L;
  const cp_config_file *f = api->cfg->file;
  luaL_newmetatable(L, ROW_MT);
  lua_createtable(L, (int)(f->tables_count + f->lookups_count), 0);
  for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++) {
    push_colmap(L, source_cfg(api, i));
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcclosure(L, row_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, ROWSET_MT);
  push_methods(api);
  lua_pushcclosure(L, rowset_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, rowset_len);
  lua_setfield(L, -2, "__len");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  cp_sandbox_env(api->sb);
  push_lookups(api);
  lua_setfield(L, -2, "lookup");
  lua_pop(L, 1);
}

/* Upvalues of client_index: names, the nil and busy markers, error boxes' mt. */
enum { UV_NAMES = 1, UV_NIL, UV_BUSY, UV_ERRMT };

/* Returns a cached value at the top of the stack to the rule, decoding the
 * markers: a nil, a derivation under way (a cycle), or a failed derivation. */
static int from_cache(lua_State *L)
{
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
static int derive(lua_State *L, cp_api *api)
{
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  lua_getfield(L, -1, "fn");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(UV_BUSY));
  lua_rawset(L, 3);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
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
  cp_api *api = c->api;
  if (c->gen != api->gen || !api->client)
    return luaL_error(L, "a client object was used after its evaluation ended");
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, 3) != LUA_TNIL)
    return from_cache(L);
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
    return 1;
  case CP_NAME_COLUMN:
    cp_value_push(L, &api->client->fields[idx]);
    return 1;
  case CP_NAME_TABLE:
    push_rowset(L, api, api->gen, idx);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 3);
    return 1;
  default:
    return derive(L, api);
  }
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
static cp_err add_derived(cp_api *api, int names)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_getfield(L, -1, "where");
    const char *where = lua_tostring(L, -1), *id = lua_tostring(L, -3);
    if (add_name(L, names, id, CP_NAME_CODE(CP_NAME_DERIVED, 0)) < 0) {
      cp_err rc = diag_fail(CP_ERULES, "%s: derived value '%s' has the name of a client "
                            "column or table", where, id);
      lua_pop(L, 4);
      return rc;
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  return CP_OK;
}

cp_err cp_client_names(cp_api *api)
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
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  return CP_OK;
}

void cp_client_push(cp_api *api)
{
  lua_State *L = api->L;
  client_ud *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->api = api;
  c->gen = api->gen;
  luaL_setmetatable(L, CLIENT_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
}
