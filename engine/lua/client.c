/* client.c: what a rule sees of a client: the client object `c` (its id,
 * columns, rowsets and derived values, each found once and then kept).
 *
 * `c` is an empty table, one per client, whose metatable (one for all
 * clients, the live one) sends reads to the value table (the backing) and
 * refuses writes, like a view (freeze.c), but never lets the backing out: no
 * pairs, next, rawget or # reach it. The backing is one table for the whole
 * run, emptied at each client's end. It starts a client empty; its own
 * metatable's __index (load) finds a field the first time it is read (the
 * id, a column, the rowset of a per-client table, a derived value) and
 * stores it in the backing, so that every later
 * read of it, by any rule of the client, is a table read inside the Lua VM
 * with no call into C. The fields stored are noted by slot (their place
 * among all field names), so that emptying the backing needs no traversal.
 * Nil values cannot be stored: a NULL column goes to load at each read.
 *
 * What load must see again of a derived value is its state, a byte per
 * derived value in C (api->dstate): under way (a cycle), nil (computed once
 * too) or failed. The error of a failed one is kept in the side table (an
 * error box), so that later readers fail alike. While explain traces reads,
 * the state is kept in the side table instead (markers for under way and
 * nil), with the rowsets and derived values, so that every read reaches
 * load and its tracer. The side table is one for the run too, emptied at a
 * client's end when used; the current client's object is in the registry:
 * only the current client's object reaches load.
 *
 * A client object lives as long as its evaluation: cp_client_end() gives it
 * the dead metatable, so that a rule that kept `c` gets an error, never
 * another client's values. Per client, that is one new table and one
 * metatable change. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "freeze.h"

#define CACHE_SLOTS 32   /* fields a client's rules read, and room */

/* Upvalues of load: names, the nil and busy markers, error boxes' mt. */
enum { UV_NAMES = 1, UV_NIL, UV_BUSY, UV_ERRMT };

/* States of a derived value for the current client, when reads are not
 * traced (api->dstate): not computed yet (or computed, its value in the
 * backing, where load no longer sees it), under way, nil, failed (its error
 * box in the side table). */
enum { D_NONE, D_BUSY, D_NIL, D_FAILED };

/* Returns the code of field name (at 2): its kind (CP_NAME_*) and index;
 * raises an error when the client has no such field. */
static lua_Integer code_of(lua_State *L)
{
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(UV_NAMES)) != LUA_TNUMBER)
    luaL_error(L, "client has no field '%s'",
               lua_tostring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2));
  lua_Integer code = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return code;
}

/* Returns the slot of a field code: its place among all field names (the
 * id, the columns, the tables, the derived values). */
static unsigned slot_of(const cp_rules *api, lua_Integer code)
{
  unsigned idx = (unsigned)(code & 0xffffff);
  const cp_config_file *f = api->cfg->file;
  switch (code >> 24) {
  case CP_NAME_ID:
    return 0;
  case CP_NAME_COLUMN:
    return 1 + idx;
  case CP_NAME_TABLE:
    return 1 + f->clients->columns_count + idx;
  default:
    return 1 + f->clients->columns_count + f->tables_count + idx;
  }
}

/* Keeps the value at the top of the stack as field name (at 2) in the
 * backing (at 1), noting its slot so that the client's end takes it out. A
 * nil cannot be kept (a derived value's nil is its state). */
static void keep(lua_State *L, cp_rules *api, unsigned slot)
{
  if (lua_isnil(L, -1))
    return;
  if (api->n_kept < api->n_slots)   /* noted first: a failed rawset leaves no field */
    api->kept[api->n_kept++] = slot;
  else
    api->kept_all = 1;   /* a slot noted twice: a memory error left it unstored before */
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
}

/* Makes the error of a failed derivation of derived value name (at 2), at
 * the top of the stack, the one its readers get: pushes the message naming
 * the derived value (when it is text), then the error box holding it, so
 * that later readers fail alike. */
static void error_box(lua_State *L)
{
  if (lua_istable(L, -1))   /* every reader gets it: read-only, a copy (not the file's own) */
    cp_freeze_top(L);
  if (lua_type(L, -1) == LUA_TSTRING)
    lua_pushfstring(L, "%s (in derived value '%s')", lua_tostring(L, -1), lua_tostring(L, 2));
  else
    lua_pushvalue(L, -1);
  lua_createtable(L, 1, 0);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, lua_upvalueindex(UV_ERRMT));
  lua_setmetatable(L, -2);
}

/* Message handler of a derivation: a text error without a place of its own
 * (error("x", 0)) gets the line of the innermost Lua code running when it
 * was raised, the derived value's, as a rule's error does; else the reading
 * rule's handler would give it the rule's line, once the derivation is
 * over. Other errors (a table, which readers get as it is) are kept. */
static int derive_msgh(lua_State *L)
{
  const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
  lua_Debug ar;
  if (msg && !cp_sandbox_has_place(msg))
    for (int level = 1; lua_getstack(L, level, &ar); level++)
      if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
        lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
        return 1;
      }
  lua_settop(L, 1);
  return 1;
}

/* Returns 1 when a derivation failed with status for want of the current
 * call's budget or memory: another rule's call, with a budget of its own,
 * derives it again rather than fail with an error that is not its own. */
static int transient(lua_State *L, int status)
{
  return status == LUA_ERRMEM || cp_sandbox_tripped(cp_sandbox_of(L));
}

/* Computes derived value name (at 2), the idx-th declared, for the client
 * whose backing is at 1, when reads are not traced; its state is in
 * api->dstate. A cycle and a failure seen again raise the error a first
 * reader got. */
static int derive(lua_State *L, cp_rules *api, unsigned idx, unsigned slot)
{
  if (api->dheld[idx])   /* it kept the heap between clients: off for the run */
    return lua_pushstring(L, api->dheld[idx]), lua_error(L);
  switch (api->dstate[idx]) {
  case D_BUSY:
    return luaL_error(L, "derived value '%s' depends on itself", lua_tostring(L, 2));
  case D_NIL:
    return lua_pushnil(L), 1;
  case D_FAILED:
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_side_ref);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    lua_rawgeti(L, -1, 1);
    return lua_error(L);
  }
  uint64_t outer = 0, t0 = api->prof ? cp_rules_prof_begin(api->prof, &outer) : 0;
  api->dstate[idx] = D_BUSY;
  api->dgen[idx] = api->rule_gen;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derived_fns_ref);
  lua_pushcfunction(L, derive_msgh);
  lua_rawgeti(L, -2, (lua_Integer)idx + 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_self_ref);
  const char *outer_derive = api->deriving;   /* derived values read one another */
  api->deriving = lua_tostring(L, 2);
  int status = lua_pcall(L, 1, 1, lua_gettop(L) - 2);
  api->deriving = outer_derive;
  lua_remove(L, -2);   /* the handler */
  if (status == LUA_OK && lua_istable(L, -1))   /* rules of the client share it */
    status = cp_freeze_top(L);
  if (api->prof)
    cp_rules_prof_end(api->prof, &api->prof->derived[idx], t0, outer);
  if (status != LUA_OK) {
    int again = transient(L, status);
    error_box(L);
    if (again) {
      api->dstate[idx] = D_NONE;
      lua_pop(L, 1);   /* the box: the message is raised, not kept */
      return lua_error(L);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_side_ref);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 2);
    api->side_used = 1;
    api->dstate[idx] = D_FAILED;   /* only now: its box is there (else still under way) */
    return lua_error(L);
  }
  api->dstate[idx] = lua_isnil(L, -1) ? D_NIL : D_NONE;
  keep(L, api, slot);
  return 1;
}

/* Returns a value of the side table at the top of the stack to the rule,
 * while reads are traced, decoding the markers: a nil, a derivation under
 * way (a cycle), or a failed derivation. The markers are tables, so any
 * other value is returned as it is. */
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

/* Keeps the value at the top of the stack as field name (at 2) in the side
 * table (at 3), while reads are traced; a nil as the nil marker, which a
 * table can hold: a derived value that is nil is computed once too. */
static void keep_traced(lua_State *L)
{
  int nil = lua_isnil(L, -1);
  lua_pushvalue(L, 2);
  if (nil)
    lua_pushvalue(L, lua_upvalueindex(UV_NIL));
  else
    lua_pushvalue(L, -2);
  lua_rawset(L, 3);
}

/* derive() while reads are traced: the state of derived value name (at 2),
 * the idx-th declared, is a marker in the side table (at 3), and the tracer
 * sees the derivation begin and end. */
static int derive_traced(lua_State *L, cp_rules *api, unsigned idx)
{
  if (api->dheld[idx])
    return lua_pushstring(L, api->dheld[idx]), lua_error(L);
  api->dgen[idx] = api->rule_gen;
  uint64_t outer = 0, t0 = api->prof ? cp_rules_prof_begin(api->prof, &outer) : 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  lua_pushcfunction(L, derive_msgh);
  lua_getfield(L, -2, "fn");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(UV_BUSY));
  lua_rawset(L, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_self_ref);
  api->tracer->derive_begin(api->tracer->ctx, lua_tostring(L, 2));
  const char *outer_derive = api->deriving;
  api->deriving = lua_tostring(L, 2);
  int status = lua_pcall(L, 1, 1, lua_gettop(L) - 2);
  api->deriving = outer_derive;
  lua_remove(L, -2);   /* the handler */
  if (status == LUA_OK && lua_istable(L, -1))   /* rules of the client share it */
    status = cp_freeze_top(L);
  if (api->prof)
    cp_rules_prof_end(api->prof, &api->prof->derived[idx], t0, outer);
  api->tracer->derive_end(api->tracer->ctx, L, status != LUA_OK);
  if (status != LUA_OK) {
    int again = transient(L, status);
    error_box(L);
    if (again) {   /* no longer under way, and not kept */
      lua_pop(L, 1);
      lua_pushvalue(L, 2);
      lua_pushnil(L);
    } else {
      lua_pushvalue(L, 2);
      lua_insert(L, -2);
    }
    lua_rawset(L, 3);
    return lua_error(L);
  }
  lua_pushvalue(L, 2);
  lua_pushnil(L);
  lua_rawset(L, 3);   /* no longer under way */
  keep_traced(L);
  return 1;
}

/* load() while reads are traced: the rowsets and derived values are kept in
 * the side table, so that every read reaches here and the tracer. */
static int load_traced(lua_State *L, cp_rules *api)
{
  api->side_used = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_side_ref);   /* 3 */
  lua_pushvalue(L, 2);
  if (lua_rawget(L, 3) != LUA_TNIL) {
    int n = from_side(L);
    api->tracer->read(api->tracer->ctx, L, 0, 0);
    return n;
  }
  lua_pop(L, 1);
  lua_Integer code = code_of(L);
  unsigned idx = (unsigned)(code & 0xffffff);
  switch (code >> 24) {
  case CP_NAME_ID:   /* not in the backing while traced */
    lua_pushstring(L, api->client->id);
    break;
  case CP_NAME_COLUMN:
    cp_rowset_value_push(L, &api->client->fields[idx]);
    break;
  case CP_NAME_TABLE:
    cp_rowset_push(L, api, api->gen, idx);
    keep_traced(L);
    break;
  default:
    return derive_traced(L, api, idx);
  }
  api->tracer->read(api->tracer->ctx, L, (int)(code >> 24), idx);
  return 1;
}

/* __index of the backing (at 1), for a field (at 2) not in it yet: a
 * column, a rowset or a derived value. */
static int load(lua_State *L)
{
  cp_rules *api = cp_api_of(L);
  if (!api->client)
    return luaL_error(L, "a client object was used after its evaluation ended");
  lua_settop(L, 2);
  if (api->tracer)
    return load_traced(L, api);
  lua_Integer code = code_of(L);
  unsigned idx = (unsigned)(code & 0xffffff);
  switch (code >> 24) {
  case CP_NAME_ID:   /* made when first read: most clients' rules never read it */
    lua_pushstring(L, api->client->id);
    keep(L, api, slot_of(api, code));
    return 1;
  case CP_NAME_COLUMN:
    cp_rowset_value_push(L, &api->client->fields[idx]);
    keep(L, api, slot_of(api, code));
    return 1;
  case CP_NAME_TABLE:
    cp_rowset_push(L, api, api->gen, idx);
    keep(L, api, slot_of(api, code));
    return 1;
  default:
    return derive(L, api, idx, slot_of(api, code));
  }
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
  cp_freeze_keep(L, -1);   /* a derived value holding c holds c, not an empty copy */
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
  size_t n_slots = 1 + f->clients->columns_count + f->tables_count + api->n_derived;
  api->kept = malloc(n_slots * sizeof *api->kept);
  api->dstate = calloc(api->n_derived + 1, 1);   /* + 1: never calloc(0) */
  api->dgen = calloc(api->n_derived + 1, sizeof *api->dgen);
  api->dheld = calloc(api->n_derived + 1, sizeof *api->dheld);
  if (!api->kept || !api->dstate || !api->dgen || !api->dheld) {
    lua_pop(L, 1);
    return CP_ENOMEM;
  }
  api->n_slots = n_slots;
  lua_createtable(L, (int)n_slots, 0);   /* slot + 1 -> field name */
  for (lua_pushnil(L); lua_next(L, names); lua_pop(L, 1)) {
    lua_pushvalue(L, -2);
    lua_rawseti(L, -4, (lua_Integer)slot_of(api, lua_tointeger(L, -2)) + 1);
  }
  api->slot_names_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, (int)api->n_derived, 0);   /* idx + 1 -> derived value's function */
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  for (size_t k = 0; k < api->n_derived; k++) {
    lua_getfield(L, -1, api->derived_ids[k]);
    lua_getfield(L, -1, "fn");
    lua_rawseti(L, -4, (lua_Integer)k + 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  api->derived_fns_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 2);   /* the backing's metatable */
  lua_insert(L, -2);
  lua_newtable(L);
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcclosure(L, load, 4);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_createtable(L, 0, CACHE_SLOTS);   /* the backing: sized once, no rehashing */
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  push_object_mt(L, NULL);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");   /* the live metatable reads the backing */
  api->live_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  api->backing_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_object_mt(L, dead);
  api->dead_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushboolean(L, 0);
  api->client_self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 4);
  api->client_side_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return CP_OK;
}

/* Empties the table at the top of the stack (popped), keeping its size. */
static void clear_top(lua_State *L)
{
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
}

/* Empties the backing (the fields noted by slot) and, when used, the side
 * table, and forgets the derived values' states: both tables serve the next
 * client as new. */
static void empty_tables(cp_rules *api)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->backing_ref);
  if (api->kept_all) {   /* more noted than there are slots (after memory errors) */
    clear_top(L);
    api->kept_all = 0;
  } else {
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->slot_names_ref);
    for (size_t i = 0; i < api->n_kept; i++) {
      lua_rawgeti(L, -1, (lua_Integer)api->kept[i] + 1);
      lua_pushnil(L);
      lua_rawset(L, -4);
    }
    lua_pop(L, 2);
  }
  api->n_kept = 0;
  memset(api->dstate, D_NONE, api->n_derived);
  if (api->side_used) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_side_ref);
    clear_top(L);
    api->side_used = 0;
  }
}

void cp_client_end(cp_rules *api)
{
  lua_State *L = api->L;
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, api->client_self_ref) == LUA_TTABLE) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->dead_mt_ref);
    lua_setmetatable(L, -2);
    lua_pushboolean(L, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, api->client_self_ref);
  }
  lua_pop(L, 1);
  empty_tables(api);   /* also after a push that failed half way */
}

void cp_client_push(cp_rules *api)
{
  lua_State *L = api->L;
  cp_client_end(api);
  lua_createtable(L, 0, 0);                 /* the object */
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->live_mt_ref);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawseti(L, LUA_REGISTRYINDEX, api->client_self_ref);
}
