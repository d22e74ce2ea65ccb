/* params.c: the config's free `params` tree as a frozen Lua table.
 * The engine knows none of the names: plain scalars become numbers, booleans
 * or strings by their form, quoted scalars stay strings. */
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
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

void cp_params_push(lua_State *L, const yt_node *n)
{
  push_tree(L, n);
  if (lua_istable(L, -1)) {
    cp_freeze(L, -1);
    lua_remove(L, -2);
  }
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
