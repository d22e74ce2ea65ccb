/* params.c: the config's free `params` tree as a frozen Lua table.
 * The engine knows none of the names: plain scalars become numbers, booleans
 * or strings by their form, quoted scalars stay strings. */
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#include "freeze.h"

#include "sandbox.h"

/* Pushes a plain scalar as the value its text denotes. */
static void push_plain(lua_State *L, const char *s)
{
  int b;
  long long i;
  double d;
  switch (cp_ytree_plain(s, &b, &i, &d)) {
  case YT_PLAIN_BOOL: lua_pushboolean(L, b); break;
  case YT_PLAIN_NULL: lua_pushnil(L); break;
  case YT_PLAIN_INT: lua_pushinteger(L, i); break;
  case YT_PLAIN_REAL: lua_pushnumber(L, d); break;
  default: lua_pushstring(L, s); break;
  }
}

static void push_tree(lua_State *L, const yt_node *n);

/* The text of key node k for a message. */
static const char *key_text(const yt_node *k)
{
  return k->kind == YT_SCALAR && k->value ? k->value : "(a list or mapping)";
}

/* Pushes the key items[i] of mapping map (on the stack below it: the table
 * being built, then the table of the keys seen, which it adds the key to)
 * as the Lua key rules see. The config's and fixtures' loaders
 * refuse what follows (cp_config_check_params): here it is a last line of
 * defence, so that no key is dropped and none silently wins. Raises
 * "LINE: params: ..." for a key that is no Lua key (null, NaN: lua_rawset
 * would drop it or raise) or one that is the key of an earlier entry once
 * converted (1 and 1.0, -0 and 0, yes and true: Lua's own key equality). */
static void push_key(lua_State *L, const yt_node *map, size_t i)
{
  const yt_node *k = map->items[i];
  push_tree(L, k);
  if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1) &&
                           isnan(lua_tonumber(L, -1))))
    luaL_error(L, "%d: params: the key '%s' is %s: no key a rule can read; quote it to make it "
               "text", (int)k->line, key_text(k), lua_isnil(L, -1) ? "null" : "not a number (NaN)");
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) == LUA_TNIL) {   /* the keys seen: a null value leaves no entry */
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -4);
    return;
  }
  lua_pop(L, 1);
  for (size_t j = 0; j < i; j += 2) {   /* the earlier key it is (only on this error) */
    push_tree(L, map->items[j]);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
    if (same)
      luaL_error(L, "%d: params: the key '%s' is the key '%s' of line %d to a rule (the same "
                 "%s); give it once", (int)k->line, key_text(k), key_text(map->items[j]),
                 (int)map->items[j]->line, lua_isboolean(L, -1) ? "boolean"
                 : lua_type(L, -1) == LUA_TSTRING ? "text" : "number");
  }
  luaL_error(L, "%d: params: the key '%s' is given twice", (int)k->line, key_text(k));
}

/* Pushes node n as plain Lua values and tables. */
static void push_tree(lua_State *L, const yt_node *n)
{
  luaL_checkstack(L, 4, "params nested too deep");
  if (!n) {
    lua_newtable(L);
  } else if (n->kind == YT_SCALAR) {
    if (n->plain)
      push_plain(L, n->value);
    else
      lua_pushstring(L, n->value);
    return;
  } else if (n->kind == YT_SEQ) {
    lua_createtable(L, (int)n->n, 0);
    for (size_t i = 0; i < n->n; i++) {
      push_tree(L, n->items[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else {
    lua_createtable(L, 0, (int)(n->n / 2));
    lua_newtable(L);   /* the keys seen, for push_key() */
    for (size_t i = 0; i + 1 < n->n; i += 2) {
      push_key(L, n, i);
      push_tree(L, n->items[i + 1]);
      lua_rawset(L, -4);
    }
    lua_pop(L, 1);
  }
}

/* The address of this variable is the registry key of the miss record (a
 * full userdata, cp_params_miss), and the key, in the metatable of the
 * tables behind the params' views, that marks it as the one of
 * note_miss(). */
static const char miss_key = 0;

/* __index of the tables behind the params' views: runs only for a key the
 * table lacks (a read that finds its key never gets here, so reads cost
 * what a plain view's do). Notes the param's path and the place of the
 * Lua code that read it, for the error the nil may cause
 * (cp_params_explain). Upvalues: the table behind -> its path (weak
 * keys), the miss record. Answers nil, as a plain table would. */
static int note_miss(lua_State *L)
{
  if (lua_type(L, 2) != LUA_TSTRING)   /* ipairs' end, a list index: no param's name */
    return 0;
  cp_params_miss *m = lua_touserdata(L, lua_upvalueindex(2));
  lua_Debug ar;
  lua_pushvalue(L, 1);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TSTRING || !lua_getstack(L, 1, &ar) ||
      !lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
    return 0;
  size_t n, k = strlen(ar.short_src);
  const char *key = lua_tolstring(L, 2, &n);
  k = k < sizeof m->src ? k : sizeof m->src - 1;
  memcpy(m->src, ar.short_src, k);
  m->src[k] = '\0';
  m->line = ar.currentline;
  m->table = lua_tostring(L, -1);   /* kept by the path table (upvalue 1) */
  m->key_len = n;
  memcpy(m->key, key, n < sizeof m->key ? n : sizeof m->key);
  return 0;
}

/* Notes the path of every table behind the view at idx, to any depth, in
 * the table at paths (which also keeps a shared table from being walked
 * twice): the tables cp_params_watch() gives the metatable that notes
 * misses. */
static void collect_paths(lua_State *L, int idx, int paths, const char *path)
{
  luaL_checkstack(L, 6, "params nested too deep");
  if (!lua_istable(L, idx) || !cp_freeze_behind(L, idx))
    return;
  int t = lua_gettop(L);
  lua_pushvalue(L, t);
  if (lua_rawget(L, paths) != LUA_TNIL) {
    lua_pop(L, 2);
    return;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, t);
  lua_pushstring(L, path);
  lua_rawset(L, paths);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TSTRING)
      lua_pushfstring(L, "%s.%s", path, lua_tostring(L, -2));
    else if (lua_isinteger(L, -2))
      lua_pushfstring(L, "%s[%I]", path, (LUAI_UACINT)lua_tointeger(L, -2));
    else
      lua_pushfstring(L, "%s[...]", path);
    collect_paths(L, lua_gettop(L) - 1, paths, lua_tostring(L, -1));
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

void cp_params_push(lua_State *L, const yt_node *n)
{
  push_tree(L, n);
  if (lua_istable(L, -1)) {
    cp_freeze(L, -1);
    lua_remove(L, -2);
    int top = lua_gettop(L);
    lua_newtable(L);   /* the metatable of the tables behind */
    lua_pushboolean(L, 1);
    lua_rawsetp(L, -2, &miss_key);
    lua_newtable(L);   /* their paths */
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    cp_params_miss *m = lua_newuserdatauv(L, sizeof *m, 2);   /* the metatable, the paths */
    m->line = 0;
    m->on = 0;
    lua_pushvalue(L, top + 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, top + 2);
    lua_setiuservalue(L, -2, 2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &miss_key);
    lua_pushcclosure(L, note_miss, 2);
    lua_setfield(L, top + 1, "__index");
    collect_paths(L, top, top + 2, "params");
    lua_settop(L, top);
  }
}

cp_params_miss *cp_params_miss_record(lua_State *L)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &miss_key);
  cp_params_miss *m = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return m;
}

void cp_params_watch(lua_State *L)
{
  int top = lua_gettop(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &miss_key);
  cp_params_miss *m = lua_touserdata(L, -1);
  if (m && !m->on) {
    lua_getiuservalue(L, top + 1, 1);   /* the metatable */
    lua_getiuservalue(L, top + 1, 2);   /* the paths: keyed by the tables behind */
    lua_pushnil(L);
    while (lua_next(L, top + 3)) {
      lua_pop(L, 1);
      lua_pushvalue(L, top + 2);
      lua_setmetatable(L, -2);
    }
    m->on = 1;
  }
  lua_settop(L, top);
}

int cp_params_miss_mt(lua_State *L, int idx)
{
  if (!lua_getmetatable(L, idx))
    return 0;
  int is = lua_rawgetp(L, -1, &miss_key) == LUA_TBOOLEAN;
  lua_pop(L, 2);
  return is;
}

const char *cp_params_explain(const cp_params_miss *m, const char *err, char *buf, size_t cap)
{
  char where[96];
  if (!m || m->line <= 0)
    return NULL;
  int n = snprintf(where, sizeof where, "%s:%d:", m->src, m->line);
  if (n <= 0 || strncmp(err, where, (size_t)n) || !strstr(err + n, "nil"))
    return NULL;
  size_t shown = m->key_len < sizeof m->key ? m->key_len : sizeof m->key;
  snprintf(buf, cap, "%s.%.*s%s", m->table, (int)shown, m->key,
           m->key_len > sizeof m->key ? "..." : "");
  return buf;
}

void cp_params_labels_push(lua_State *L, const cp_config *c)
{
  const yt_node *n = c ? c->labels : NULL;
  lua_createtable(L, 0, n ? (int)(n->n / 2) : 0);
  for (size_t i = 0; n && i + 1 < n->n; i += 2) {
    const yt_node *s = n->items[i + 1];
    lua_createtable(L, 0, (int)(s->n / 2));
    for (size_t j = 0; j + 1 < s->n; j += 2) {
      lua_pushstring(L, s->items[j + 1]->value);
      lua_setfield(L, -2, s->items[j]->value);
    }
    lua_setfield(L, -2, n->items[i]->value);
  }
  cp_freeze(L, -1);   /* read-only to any depth */
  lua_remove(L, -2);
}
