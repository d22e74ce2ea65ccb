/* groups.c: totals by key for grouped aggregates, kept in C so that a pass
 * over a large table does not grow the Lua heap one key at a time; keys
 * compare as Lua table keys do (idindex.h). A key is one value for each
 * column grouped by. The groups are a dense array (a total and nkeys
 * values each, their text in one arena) under a hash index of 4-byte
 * slots: at 40,000 groups of two text values, about 5 MB. */
#include "groups.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "idindex.h"

/* Returns the number of values in a key. */
static size_t width(const cp_groups *g)
{
  return g->nkeys > 0 ? (size_t)g->nkeys : 1;
}

/* Returns the hash of the w values of key k. */
static uint32_t key_hash(const cp_value *k, size_t w)
{
  uint32_t h = 0;
  for (size_t j = 0; j < w; j++)
    h = h * 0x9e3779b1u + cp_idindex_key_hash(&k[j]);
  return h;
}

/* Returns the slot of key k in g's index: the one holding its group, or
 * the empty one where it goes. */
static size_t find(const cp_groups *g, const cp_value *k)
{
  size_t w = width(g), mask = g->cap - 1;
  for (size_t i = key_hash(k, w) & mask;; i = (i + 1) & mask) {
    if (!g->index[i])
      return i;
    const cp_value *at = &g->keys[(g->index[i] - 1) * w];
    size_t j = 0;
    while (j < w && cp_idindex_key_eq(&at[j], &k[j]))
      j++;
    if (j == w)
      return i;
  }
}

/* Doubles the index (or makes its first 16 slots). Returns 0 or -1. */
static int grow_index(cp_groups *g)
{
  size_t cap = g->cap ? g->cap * 2 : 16;
  uint32_t *index = calloc(cap, sizeof *index);
  if (!index || cap > UINT32_MAX) {
    free(index);
    return -1;
  }
  free(g->index);
  g->index = index;
  g->cap = cap;
  for (size_t e = 0; e < g->n; e++)
    g->index[find(g, &g->keys[e * width(g)])] = (uint32_t)e + 1;
  return 0;
}

int cp_groups_add(cp_groups *g, const cp_value *const *key, int64_t i, double n, int is_float)
{
  size_t w = width(g);
  cp_value k[CP_GROUP_KEYS];
  for (size_t j = 0; j < w; j++)
    if ((k[j] = cp_idindex_key_of(key[j])).type == CP_V_NIL)
      return 0;
  if ((g->n + 1) * 2 > g->cap && grow_index(g) < 0)
    return -1;
  size_t at = find(g, k);
  if (!g->index[at]) {   /* a new group */
    if (cp_arena_grow((void **)&g->group, &g->group_room, g->n, sizeof *g->group) < 0 ||
        cp_arena_grow((void **)&g->keys, &g->keys_room, g->n, w * sizeof *g->keys) < 0)
      return -1;
    for (size_t j = 0; j < w; j++)   /* the row's text lives only until the next row */
      if (k[j].type == CP_V_TEXT && !(k[j].u.s = cp_arena_strndup(&g->text, k[j].u.s, k[j].len)))
        return -1;
    memcpy(&g->keys[g->n * w], k, w * sizeof *k);
    g->group[g->n] = (cp_group){0};
    g->index[at] = (uint32_t)++g->n;
  }
  cp_group *s = &g->group[g->index[at] - 1];
  if (__builtin_add_overflow(s->i, i, &s->i))   /* never a wrapped total */
    return 1;
  if (is_float) {
    s->n += n;
    s->is_float = 1;
  }
  return 0;
}

void cp_groups_push(lua_State *L, const cp_groups *g)
{
  size_t w = width(g);
  luaL_checkstack(L, 2 * (int)w + 4, "groups");
  lua_createtable(L, 0, w > 1 ? 0 : (int)(g->n < 1u << 20 ? g->n : 1u << 20));
  int top = lua_gettop(L);
  for (size_t e = 0; e < g->n; e++) {
    const cp_value *k = &g->keys[e * w];
    for (size_t j = 0; j + 1 < w; j++) {   /* the nested table of the first w-1 values */
      cp_rowset_value_push(L, &k[j]);
      lua_pushvalue(L, -1);
      if (lua_rawget(L, -3) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_rawset(L, -5);
      }
      lua_remove(L, -2);
    }
    cp_rowset_value_push(L, &k[w - 1]);
    if (g->group[e].is_float)
      lua_pushnumber(L, g->group[e].n + (double)g->group[e].i);
    else
      lua_pushinteger(L, g->group[e].i);
    lua_rawset(L, -3);
    lua_settop(L, top);
  }
}

void cp_groups_free(cp_groups *g)
{
  free(g->index);
  free(g->group);
  free(g->keys);
  cp_arena_free(&g->text);
  *g = (cp_groups){0};
}
