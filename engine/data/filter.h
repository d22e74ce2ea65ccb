/* filter.h: conditions on fact rows written as Lua tables, checked in C:
 * {level = "account"} (equality) or {ordered_on = {gt = a, le = b}} (range). */
#ifndef CP_FILTER_H
#define CP_FILTER_H

#include <lua.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"

#define CP_FILTER_MAX 8

/* One condition: column = value, or column within bounds. */
typedef struct cp_cond {
  uint32_t col;             /* column index */
  int type;                 /* Lua type of the value; LUA_TTABLE for a range */
  int is_int;               /* the number is an integer */
  lua_Integer i;            /* integer or boolean value */
  lua_Number n;             /* float value */
  const char *s;            /* string value (anchored by the filter table) */
  size_t len;               /* its length */
  int has_lo, lo_strict;    /* range: a lower bound, and whether it is excluded */
  int has_hi, hi_strict;    /* range: an upper bound, and whether it is excluded */
  lua_Number lo, hi;        /* range bounds */
} cp_cond;

/* A compiled filter: every condition must hold. */
typedef struct cp_filter {
  cp_cond c[CP_FILTER_MAX]; /* conditions */
  int n;                    /* their number */
} cp_filter;

/* Compiles the filter table at idx for rows of table t. Raises a Lua error
 * naming the field for an unknown column or a value of the wrong kind. The
 * table must stay on the stack while the filter is used. */
void cp_filter_compile(lua_State *L, int idx, const cp_table_cfg *t, cp_filter *f);

/* Returns 1 when the row values v satisfy every condition. */
int cp_filter_match(const cp_filter *f, const cp_value *v);

/* Returns the index of column name of t; raises a Lua error when absent. */
uint32_t cp_filter_column(lua_State *L, const cp_table_cfg *t, const char *name);

#endif
