/* filter.h: conditions on fact rows written as Lua tables, checked in C:
 * {level = "account"} (equality), {status = {"a", "b"}} (one of a list),
 * {paid_on = null} (is nil), {ordered_on = {gt = a, le = b}} (range), and
 * the operators eq, ne, in, not_in, is_nil, not_nil, and or_nil = true beside
 * others ({until = {gt = d, or_nil = true}}: nil, or after d). A value of the wrong
 * type for the column, an unknown operator or an empty condition is an
 * error, not a condition that silently matches nothing (or everything). */
#ifndef CP_FILTER_H
#define CP_FILTER_H

#include <lua.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"

#define CP_FILTER_MAX 16        /* conditions per filter */
#define CP_FILTER_VALUES 64     /* values of every in/not_in list of a filter */

/* What a condition asks of a field. */
typedef enum cp_condop {
  CP_OP_EQ,       /* equal to the value */
  CP_OP_NE,       /* not equal (a nil field is not equal, as in Lua) */
  CP_OP_RANGE,    /* within bounds (a nil field is not) */
  CP_OP_IN,       /* equal to one of the list's values */
  CP_OP_NOT_IN,   /* equal to none of them (a nil field included) */
  CP_OP_IS_NIL,   /* the field is nil */
  CP_OP_NOT_NIL   /* the field is not nil */
} cp_condop;

/* One value a condition compares with. */
typedef struct cp_scalar {
  int type;                 /* Lua type: string, number or boolean */
  int is_int;               /* the number is an integer */
  lua_Integer i;            /* integer or boolean value */
  lua_Number n;             /* float value */
  const char *s;            /* string value (anchored by the filter table) */
  size_t len;               /* its length */
} cp_scalar;

/* One condition on one column. */
typedef struct cp_cond {
  uint32_t col;             /* column index */
  cp_condop op;             /* what is asked */
  cp_scalar v;              /* EQ, NE: the value */
  int first, count;         /* IN, NOT_IN: the list in the filter's values */
  int has_lo, lo_strict;    /* range: a lower bound, and whether it is excluded */
  int has_hi, hi_strict;    /* range: an upper bound, and whether it is excluded */
  cp_scalar lo, hi;         /* range bounds (numbers, compared exactly as Lua does) */
  int or_nil;               /* a nil field also satisfies it (or_nil = true) */
} cp_cond;

/* A compiled filter: every condition must hold. */
typedef struct cp_filter {
  cp_cond c[CP_FILTER_MAX]; /* conditions */
  int n;                    /* their number */
  cp_scalar vals[CP_FILTER_VALUES]; /* values of the lists */
  int nvals;                /* their number */
} cp_filter;

/* When the table at idx is a read-only view (a value from params or run),
 * pushes the table behind it and returns 1; otherwise pushes nothing and
 * returns 0. The rule API's cp_freeze_behind: filters read tables raw. */
typedef int (*cp_filter_behind)(lua_State *L, int idx);

/* Compiles the filter table at idx for rows of table t; behind (or NULL)
 * sees through views, so that a condition or a list may come from params.
 * Raises a Lua error naming the field for an unknown column, an unknown
 * operator, an empty condition or a value of the wrong type for the
 * column. The table must stay on the stack while the filter is used. */
void cp_filter_compile(lua_State *L, int idx, const cp_table_cfg *t, cp_filter *f,
                       cp_filter_behind behind);

/* Returns 1 when the row values v satisfy every condition. */
int cp_filter_match(const cp_filter *f, const cp_value *v);

/* Returns what to add to "T row has no field 'name'" when name is t's key
 * or id column, which rows do not have unless declared as a column too;
 * else "". */
const char *cp_filter_undeclared(const cp_table_cfg *t, const char *name);

/* Returns the index of column name of t; raises a Lua error when absent. */
uint32_t cp_filter_column(lua_State *L, const cp_table_cfg *t, const char *name);

/* Compares integer i with float d exactly, as Lua does (no rounding of i
 * to a double: 2^53 + 1 is more than 2.0^53): -1, 0 or 1; 2 when d is NaN. */
int cp_filter_cmp_int_float(int64_t i, double d);

/* Returns 1 when the table at idx is weak (its metatable has __mode): the
 * collector may remove its entries, and the strings they hold, at any
 * allocation, so C that reads it keeps no pointer into it and refuses it. */
int cp_filter_is_weak(lua_State *L, int idx);

/* cp_filter_column() for the field name at idx, a string: a name with a NUL
 * byte is refused (as C text it would be cut, and name another field), and
 * so is a value of another type, a number say (its text named no field). */
uint32_t cp_filter_column_at(lua_State *L, const cp_table_cfg *t, int idx);

/* Raises fn's error ("by(): the field name must be a text ...") when the
 * value at idx is not a string; a number is not taken as its text. */
void cp_filter_check_name(lua_State *L, int idx, const char *fn);

#endif
