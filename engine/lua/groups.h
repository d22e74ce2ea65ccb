/* groups.h: sums and counts by the value of a column, in C: what
 * aggregate{group = "column"} folds over a whole table before the clients. */
#ifndef CP_GROUPS_H
#define CP_GROUPS_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "facts.h"

/* One group: its key and its total. */
typedef struct cp_group {
  cp_value key;             /* the key (text malloc'd); CP_V_NIL: empty slot */
  int64_t i;                /* integer total */
  double n;                 /* float total */
  int is_float;             /* a float was added */
} cp_group;

/* The groups of one aggregate: a hash table, at most half full. */
typedef struct cp_groups {
  cp_group *slot;           /* slots */
  size_t cap;               /* number of slots (a power of 2), 0 before the first */
  size_t n;                 /* groups in use */
} cp_groups;

/* Adds integer i and float n (when is_float) to the group of key; a nil
 * or NaN key adds nothing. Returns 0; 1 when the group's integer total would
 * not fit in 64 bits (it is left as it was); -1 when out of memory. */
int cp_groups_add(cp_groups *g, const cp_value *key, int64_t i, double n, int is_float);

/* Pushes a new Lua table {key = total} of the groups. Raises a memory
 * error: call it under a protected call. */
void cp_groups_push(lua_State *L, const cp_groups *g);

/* Frees the groups' memory (not g itself); accepts an empty g. */
void cp_groups_free(cp_groups *g);

#endif
