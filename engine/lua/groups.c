/* groups.c: totals by key for grouped aggregates, kept in C so that a pass
 * over a large table does not grow the Lua heap one key at a time; keys
 * compare as Lua table keys do (idindex.h). */
#include "groups.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "idindex.h"

/* Returns the slot of key in slots of size cap (a power of 2): the one
 * holding it, or the empty one where it goes. */
static cp_group *find(cp_group *slot, size_t cap, const cp_value *key)
{
  for (size_t i = cp_idindex_key_hash(key) & (cap - 1);; i = (i + 1) & (cap - 1))
    if (slot[i].key.type == CP_V_NIL || cp_idindex_key_eq(&slot[i].key, key))
      return &slot[i];
}

/* Doubles the table (or makes its first 16 slots). Returns 0 or -1. */
static int grow(cp_groups *g)
{
  size_t cap = g->cap ? g->cap * 2 : 16;
  cp_group *slot = calloc(cap, sizeof *slot);   /* CP_V_NIL is 0: every slot empty */
  if (!slot)
    return -1;
  for (size_t i = 0; i < g->cap; i++)
    if (g->slot[i].key.type != CP_V_NIL)
      *find(slot, cap, &g->slot[i].key) = g->slot[i];
  free(g->slot);
  g->slot = slot;
  g->cap = cap;
  return 0;
}

int cp_groups_add(cp_groups *g, const cp_value *key, int64_t i, double n, int is_float)
{
  cp_value k = cp_idindex_key_of(key);
  if (k.type == CP_V_NIL)
    return 0;
  if ((g->n + 1) * 2 > g->cap && grow(g) < 0)
    return -1;
  cp_group *s = find(g->slot, g->cap, &k);
  if (s->key.type == CP_V_NIL) {
    if (k.type == CP_V_TEXT) {   /* the row's text lives only until the next row */
      char *copy = malloc((size_t)k.len + 1);
      if (!copy)
        return -1;
      memcpy(copy, k.u.s, k.len);
      copy[k.len] = '\0';
      k.u.s = copy;
    }
    s->key = k;
    g->n++;
  }
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
  lua_createtable(L, 0, (int)(g->n < 1u << 20 ? g->n : 1u << 20));
  for (size_t i = 0; i < g->cap; i++) {
    const cp_group *s = &g->slot[i];
    if (s->key.type == CP_V_NIL)
      continue;
    cp_rowset_value_push(L, &s->key);
    if (s->is_float)
      lua_pushnumber(L, s->n + (double)s->i);
    else
      lua_pushinteger(L, s->i);
    lua_rawset(L, -3);
  }
}

void cp_groups_free(cp_groups *g)
{
  for (size_t i = 0; i < g->cap; i++)
    if (g->slot[i].key.type == CP_V_TEXT)
      free((char *)g->slot[i].key.u.s);
  free(g->slot);
  *g = (cp_groups){0};
}
