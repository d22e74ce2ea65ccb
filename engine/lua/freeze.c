/* freeze.c: read-only views of Lua values, to any depth. A view is an empty
 * table whose metatable sends reads to the table behind it and refuses
 * writes; the metatable is protected, so no rule can reach that table.
 *
 * Freezing is eager: cp_freeze() copies a value once, when the host hands it
 * out (params at load, a run value when computed), making every nested table
 * a view as it goes. The lazy alternative, a C __index that wraps each
 * nested table when first read, would run C code on every read of every
 * level (run.staff_load[role][id] in a loop over staff, for every client) and need
 * a cache to keep `params.x == params.x`; eagerly, a read is one __index
 * hop per level, the cost of a plain view, and the copy is paid once a run.
 * The copy matters: the table a global{} function returned may still be an
 * upvalue of its file, which could otherwise change run values later. */
#include "freeze.h"

#include <lauxlib.h>

#define FREEZE_DEPTH 200   /* deepest nesting a frozen value may have */

/* The address of this variable is the key, in a view's metatable, of the
 * table behind the view: no rule can make that key, and a metatable that
 * lacks it is not a view's. */
static const char behind_key = 0;

/* The address of this one is the registry key of the set of the host's own
 * metatables (weak keys): the ones a frozen copy keeps. */
static const char host_key = 0;

/* And this one the registry key of the set of metatables of the objects a
 * frozen value holds as they are (weak keys): cp_freeze_keep(). */
static const char keep_key = 0;

/* __newindex of views. */
static int ro_newindex(lua_State *L)
{
  return luaL_error(L, "attempt to modify read-only field '%s'", luaL_tolstring(L, 2, NULL));
}

int cp_freeze_behind(lua_State *L, int idx)
{
  if (!lua_getmetatable(L, idx))
    return 0;
  if (lua_rawgetp(L, -1, &behind_key) == LUA_TTABLE) {
    lua_remove(L, -2);
    return 1;
  }
  lua_pop(L, 2);
  return 0;
}

/* For next, rawget and rawlen on the table at 1 that is not a view: when
 * its metatable is protected and says how pairs() reads it (the client,
 * whose fields are not in the table), asks that, which refuses; an empty
 * answer would be a wrong one. */
static void refuse_opaque(lua_State *L)
{
  if (luaL_getmetafield(L, 1, "__metatable") == LUA_TNIL)
    return;
  lua_pop(L, 1);
  if (luaL_getmetafield(L, 1, "__pairs") == LUA_TNIL)
    return;
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
}

int cp_freeze_next(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (cp_freeze_behind(L, 1))
    lua_replace(L, 1);
  else
    refuse_opaque(L);
  if (lua_next(L, 1))
    return 2;
  lua_pushnil(L);
  return 1;
}

/* __pairs of views: cp_freeze_next over the view itself, so that the table
 * behind it never reaches the rule. */
static int view_pairs(lua_State *L)
{
  lua_pushcfunction(L, cp_freeze_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* __len of views: the border of the table behind. */
static int view_len(lua_State *L)
{
  lua_Integer n = 0;
  if (cp_freeze_behind(L, 1))
    n = (lua_Integer)lua_rawlen(L, -1);
  lua_pushinteger(L, n);
  return 1;
}

/* rawget(t, k) for rules: a view answers from the table behind it. */
static int sb_rawget(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  if (cp_freeze_behind(L, 1))
    lua_replace(L, 1);
  else
    refuse_opaque(L);
  lua_rawget(L, 1);
  return 1;
}

/* rawlen(v) for rules: a view answers for the table behind it. */
static int sb_rawlen(lua_State *L)
{
  int t = lua_type(L, 1);
  luaL_argexpected(L, t == LUA_TTABLE || t == LUA_TSTRING, 1, "table or string");
  if (t == LUA_TTABLE && cp_freeze_behind(L, 1))
    lua_replace(L, 1);
  else if (t == LUA_TTABLE)
    refuse_opaque(L);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
  return 1;
}

/* Adds the table at idx to the weak-keyed set at registry key key. */
static void add_to_set(lua_State *L, int idx, const char *key)
{
  idx = lua_absindex(L, idx);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
  }
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void cp_freeze_protect(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  lua_pushliteral(L, "read-only");
  lua_setfield(L, idx, "__metatable");
  add_to_set(L, idx, &host_key);
}

void cp_freeze_keep(lua_State *L, int idx)
{
  add_to_set(L, idx, &keep_key);
}

int cp_freeze_kept(lua_State *L, int idx)
{
  int kept = 0;
  if (!lua_getmetatable(L, idx))
    return 0;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &keep_key) == LUA_TTABLE) {
    lua_pushvalue(L, -2);
    kept = lua_rawget(L, -2) == LUA_TBOOLEAN;
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
  return kept;
}

/* Gives the copy at copy the metatable of src when it is one of the host's. */
static void keep_host_metatable(lua_State *L, int src, int copy)
{
  if (!lua_getmetatable(L, src))
    return;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &host_key);
  lua_pushvalue(L, -2);
  int host = lua_istable(L, -2) && lua_rawget(L, -2) == LUA_TBOOLEAN;
  lua_pop(L, 2);
  if (host)
    lua_setmetatable(L, copy);
  else
    lua_pop(L, 1);
}

/* __tostring of a view of a table whose host metatable has one (a filtered
 * list: "<2 rows>"): that __tostring, asked of the table behind, so that a
 * frozen list (a derived value, a run value, a list of a by() map) reads as
 * the list it shows, never as an address that changes from run to run. */
static int view_tostring(lua_State *L)
{
  if (cp_freeze_behind(L, 1) && luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL) {
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      return 1;
  }
  lua_pushfstring(L, "table: %p", lua_topointer(L, 1));
  return 1;
}

void cp_freeze_view_meta(lua_State *L, int idx, int behind)
{
  idx = lua_absindex(L, idx);
  behind = lua_absindex(L, behind);
  if (luaL_getmetafield(L, behind, "__tostring") != LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushcfunction(L, view_tostring);
    lua_setfield(L, idx, "__tostring");
  }
  lua_pushvalue(L, behind);
  lua_setfield(L, idx, "__index");
  lua_pushvalue(L, behind);
  lua_rawsetp(L, idx, &behind_key);
  lua_pushcfunction(L, ro_newindex);
  lua_setfield(L, idx, "__newindex");
  lua_pushcfunction(L, view_pairs);
  lua_setfield(L, idx, "__pairs");
  lua_pushcfunction(L, view_len);
  lua_setfield(L, idx, "__len");
  lua_pushliteral(L, "read-only");   /* protected, but no host metatable to keep: */
  lua_setfield(L, idx, "__metatable");   /* a view is never copied (cp_freeze_behind) */
}

void cp_freeze_view(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_createtable(L, 0, 8);   /* 7 fields with __tostring: no rehash while filled */
  cp_freeze_view_meta(L, -1, idx);
  lua_setmetatable(L, -2);
}

static void freeze_value(lua_State *L, int idx, int memo, int depth);

/* Pushes the view of a frozen copy of the plain table at src, made once per
 * table of the value being frozen (memo maps a table to its view; 0: src
 * holds no table, so none is needed). */
static void freeze_table(lua_State *L, int src, int memo, int depth)
{
  if (memo) {
    lua_pushvalue(L, src);
    if (lua_rawget(L, memo) != LUA_TNIL)
      return;
    lua_pop(L, 1);
  }
  if (depth > FREEZE_DEPTH)
    luaL_error(L, "a value nested deeper than %d levels cannot be made read-only",
               FREEZE_DEPTH);
  luaL_checkstack(L, 8, "value nested too deep");
  lua_createtable(L, (int)lua_rawlen(L, src), 0);   /* the copy */
  int copy = lua_gettop(L);
  keep_host_metatable(L, src, copy);
  cp_freeze_view(L, copy);
  if (memo) {
    lua_pushvalue(L, src);
    lua_pushvalue(L, -2);
    lua_rawset(L, memo);   /* before the contents: a cycle finds the view */
  }
  lua_pushnil(L);
  while (lua_next(L, src)) {
    int key = lua_gettop(L) - 1;
    freeze_value(L, key, memo, depth + 1);
    freeze_value(L, key + 1, memo, depth + 1);
    lua_rawset(L, copy);
    lua_pop(L, 1);
  }
  lua_remove(L, copy);
}

/* Pushes the frozen value of the value at idx (see cp_freeze). */
static void freeze_value(lua_State *L, int idx, int memo, int depth)
{
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushvalue(L, idx);
  } else if (cp_freeze_behind(L, idx)) {   /* already a view: it stays */
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
  } else if (cp_freeze_kept(L, idx)) {   /* the client: read-only, its fields not in it */
    lua_pushvalue(L, idx);
  } else {
    freeze_table(L, idx, memo, depth);
  }
}

/* Returns 1 when a key or value of the table at idx is a table. */
static int holds_tables(lua_State *L, int idx)
{
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -2) == LUA_TTABLE) {
      lua_pop(L, 2);
      return 1;
    }
    lua_pop(L, 1);
  }
  return 0;
}

void cp_freeze(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushvalue(L, idx);
  } else if (!holds_tables(L, idx)) {   /* flat (a list of rows): no memo to make */
    freeze_value(L, idx, 0, 0);
  } else {
    lua_newtable(L);   /* memo */
    freeze_value(L, idx, lua_gettop(L), 0);
    lua_remove(L, -2);
  }
}

/* cp_freeze() of the value at 1, for cp_freeze_top(). */
static int l_freeze(lua_State *L)
{
  cp_freeze(L, 1);
  return 1;
}

int cp_freeze_top(lua_State *L)
{
  lua_pushcfunction(L, l_freeze);
  lua_insert(L, -2);
  return lua_pcall(L, 1, 1, 0);
}

void cp_freeze_register(lua_State *L, int idx)
{
  static const luaL_Reg fns[] = {
    {"next", cp_freeze_next}, {"rawget", sb_rawget}, {"rawlen", sb_rawlen}, {NULL, NULL}};
  idx = lua_absindex(L, idx);
  for (const luaL_Reg *f = fns; f->name; f++) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, idx, f->name);
  }
}
