/* groups.h: sums and counts by the values of one or more columns, in C:
 * what aggregate{group = "column"} (or group = {"a", "b"}) folds over a
 * whole table before the clients. */
#ifndef CP_GROUPS_H
#define CP_GROUPS_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "facts.h"

#define CP_GROUP_KEYS 4     /* columns a group may be keyed by */

/* One group's total; its key is in the groups' keys, nkeys values a group. */
typedef struct cp_group {
  int64_t i;                /* integer total */
  double n;                 /* float total */
  int is_float;             /* a float was added */
} cp_group;

/* The groups of one aggregate, in the order they were first met, found
 * through a hash index at most half full. */
typedef struct cp_groups {
  uint32_t *index;          /* cap slots: 0 empty, else a group's number + 1 */
  size_t cap;               /* slots (a power of 2), 0 before the first group */
  cp_group *group;          /* the groups */
  cp_value *keys;           /* their keys, nkeys values each (text in the arena) */
  size_t n;                 /* groups */
  size_t group_room, keys_room; /* room in group and keys (cp_arena_grow) */
  int nkeys;                /* columns in a key (1 when 0) */
  cp_arena text;            /* the keys' text */
} cp_groups;

/* Adds integer i and float n (when is_float) to the group of the nkeys
 * values key (g->nkeys of them); a nil or NaN value among them adds nothing.
 * Returns 0; 1 when the group's integer total would not fit in 64 bits (it
 * is left as it was); -1 when out of memory. */
int cp_groups_add(cp_groups *g, const cp_value *const *key, int64_t i, double n, int is_float);

/* Pushes a new Lua table of the groups: {key = total}, or with several key
 * columns nested tables in their order, {a = {b = total}}. Raises a memory
 * error: call it under a protected call. */
void cp_groups_push(lua_State *L, const cp_groups *g);

/* Frees the groups' memory (not g itself); accepts an empty g. */
void cp_groups_free(cp_groups *g);

#endif
