/* filter.c: compiling and checking table filters on fact rows. Compiling
 * checks every value against its column's type, so that a misspelt
 * operator or a date written as text fails at once instead of matching
 * nothing. */
#include "filter.h"
#include "dates.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

const char *cp_filter_undeclared(const cp_table_cfg *t, const char *name)
{
  if (name && t->key && strcmp(name, t->key) == 0)
    return " (it is the table's key: declare it under the table's columns too to read it)";
  if (name && t->id && strcmp(name, t->id) == 0)
    return " (it is the table's id: declare it under the table's columns too to read it)";
  return "";
}

uint32_t cp_filter_column(lua_State *L, const cp_table_cfg *t, const char *name)
{
  for (uint32_t j = 0; j < t->columns_count; j++)
    if (strcmp(t->columns[j].name, name) == 0)
      return j;
  return (uint32_t)luaL_error(L, "%s row has no field '%s'%s", t->name, name,
                              cp_filter_undeclared(t, name));
}

void cp_filter_check_name(lua_State *L, int idx, const char *fn)
{
  if (lua_isnone(L, idx))
    luaL_error(L, "%s: the field name must be a text (a string); none was given", fn);
  if (lua_type(L, idx) != LUA_TSTRING)   /* by(0/0) said "no field '-nan'" */
    luaL_error(L, "%s: the field name must be a text (a string), not a %s", fn,
               luaL_typename(L, idx));
}

uint32_t cp_filter_column_at(lua_State *L, const cp_table_cfg *t, int idx)
{
  if (lua_type(L, idx) != LUA_TSTRING)
    return (uint32_t)luaL_error(L, "%s: a field name must be a text (a string), not a %s",
                                t->name, luaL_typename(L, idx));
  size_t len;
  const char *name = lua_tolstring(L, idx, &len);
  if (name && strlen(name) != len)
    return (uint32_t)luaL_error(L, "%s row has no field '%s\\0...': a field name contains a NUL "
                                "byte", t->name, name);
  return cp_filter_column(L, t, name);
}

int cp_filter_is_weak(lua_State *L, int idx)
{
  if (!lua_getmetatable(L, idx))
    return 0;
  lua_pushliteral(L, "__mode");
  int weak = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return weak;
}

/* Raises an error when the table at idx is weak: the filter keeps pointers
 * to its strings while rows are made (and the collector runs). */
static void refuse_weak(lua_State *L, int idx)
{
  if (cp_filter_is_weak(L, idx))
    luaL_error(L, "a condition table cannot be weak (__mode): the collector would remove "
               "its entries while rows are compared");
}

/* Where a condition is compiled: for messages and type checks. */
typedef struct site {
  const cp_table_cfg *t;    /* the table */
  uint32_t col;             /* the column */
  cp_filter *f;             /* the filter being built */
  cp_filter_behind behind;  /* sees through views, or NULL */
} site;

/* Replaces the table at the top of the stack by the table behind it when it
 * is a view (the view keeps that table, and its strings, alive). */
static void see_through(lua_State *L, const site *s)
{
  if (s->behind && lua_istable(L, -1) && s->behind(L, -1))
    lua_replace(L, -2);
}

/* Raises "condition on table.column: why". */
static int fail(lua_State *L, const site *s, const char *why)
{
  return luaL_error(L, "condition on %s.%s: %s", s->t->name, s->t->columns[s->col].name, why);
}

/* Returns 1 when the column holds numbers (ranges apply). */
static int numeric(const site *s)
{
  cp_coltype ty = s->t->columns[s->col].type;
  return ty != CP_COL_TEXT && ty != CP_COL_BOOLEAN;
}

/* Refuses a number at the top of the stack that is NaN, or in the other
 * unit than the column's: a date column holds day numbers, a timestamp column
 * seconds, and a condition mixing them (happened_at >= dt.today - 30)
 * would match every row or none, silently. A date outside 0000..9999 is no
 * day (a timestamp, say: dt.day(t) is its day); a timestamp within the day
 * numbers' span (1969-12-23 to 1970-02-03, in seconds) is a day number (dt.start(day)
 * is its first second). +-math.huge, "no bound", stays. */
static void check_unit(lua_State *L, const site *s)
{
  cp_coltype ty = s->t->columns[s->col].type;
  lua_Number v = lua_tonumber(L, -1);
  if (isnan(v))   /* equal to nothing, in no range: every row would be decided alike */
    fail(L, s, "NaN (a 0/0 somewhere?) compares with no value, and would decide every row alike");
  if ((ty != CP_COL_DATE && ty != CP_COL_TIMESTAMP) || isinf(v))
    return;
  int in_days = v >= (lua_Number)CP_DAY_MIN && v <= (lua_Number)CP_DAY_MAX;
  if (ty == CP_COL_DATE && !in_days)
    fail(L, s, lua_pushfstring(L, "%s is no date (a date column holds day numbers, 0000-01-01 "
                               "to 9999-12-31: dt.today, dt.date(\"2026-01-31\"); of a time t, "
                               "dt.day(t))", lua_tostring(L, -1)));
  if (ty == CP_COL_TIMESTAMP && in_days && v != 0)
    fail(L, s, lua_pushfstring(L, "%s is a day number, not a time (a timestamp column holds "
                               "seconds: dt.now, dt.time(\"2026-01-31T09:00:00\"); of a day d, "
                               "dt.start(d))", lua_tostring(L, -1)));
}

/* Reads the value at the top of the stack into x, checking it against the
 * column's type. */
static void read_scalar(lua_State *L, const site *s, cp_scalar *x)
{
  cp_coltype ty = s->t->columns[s->col].type;
  int want = ty == CP_COL_TEXT ? LUA_TSTRING : ty == CP_COL_BOOLEAN ? LUA_TBOOLEAN : LUA_TNUMBER;
  x->type = lua_type(L, -1);
  if (x->type != want) {
    if ((ty == CP_COL_DATE || ty == CP_COL_TIMESTAMP) && x->type == LUA_TSTRING)
      luaL_error(L, "condition on %s.%s: a %s column compares with a number "
                 "(dt.date(\"%s\")), not the text '%s'", s->t->name, s->t->columns[s->col].name,
                 cp_config_coltype_name(ty), lua_tostring(L, -1), lua_tostring(L, -1));
    luaL_error(L, "condition on %s.%s: a %s column compares with a %s, not a %s", s->t->name,
               s->t->columns[s->col].name, cp_config_coltype_name(ty), lua_typename(L, want),
               luaL_typename(L, -1));
  }
  if (x->type == LUA_TNUMBER)
    check_unit(L, s);
  if (x->type == LUA_TSTRING) {
    x->s = lua_tolstring(L, -1, &x->len);
  } else if (x->type == LUA_TBOOLEAN) {
    x->i = lua_toboolean(L, -1);
  } else if ((x->is_int = lua_isinteger(L, -1))) {
    x->i = lua_tointeger(L, -1);
  } else {
    x->n = lua_tonumber(L, -1);
  }
}

/* Appends a condition of op on the site's column; returns it. */
static cp_cond *add(lua_State *L, const site *s, cp_condop op)
{
  if (s->f->n == CP_FILTER_MAX)
    luaL_error(L, "a filter table holds at most %d conditions", CP_FILTER_MAX);
  cp_cond *c = &s->f->c[s->f->n++];
  memset(c, 0, sizeof *c);
  c->col = s->col;
  c->op = op;
  return c;
}

/* Adds an eq/ne condition for the value at the top (null: is/not nil). */
static void add_compare(lua_State *L, const site *s, int negate)
{
  if (lua_type(L, -1) == LUA_TLIGHTUSERDATA && !lua_touserdata(L, -1)) {
    add(L, s, negate ? CP_OP_NOT_NIL : CP_OP_IS_NIL);
    return;
  }
  if (lua_type(L, -1) == LUA_TNIL)
    fail(L, s, "no value");
  read_scalar(L, s, &add(L, s, negate ? CP_OP_NE : CP_OP_EQ)->v);
}

/* Adds an in/not_in condition for the list at the top. */
static void add_list(lua_State *L, const site *s, int negate)
{
  if (!lua_istable(L, -1))
    fail(L, s, "in and not_in take a list of values");
  see_through(L, s);
  refuse_weak(L, -1);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1), keys = 0;
  if (n > CP_FILTER_VALUES - s->f->nvals)   /* before the list is walked: a long one, kept
                                             * in an upvalue, was walked whole at each call
                                             * (one instruction) to be refused */
    luaL_error(L, "the lists of a filter hold at most %d values", CP_FILTER_VALUES);
  lua_pushnil(L);
  while (keys <= n && lua_next(L, -2)) {   /* past n, it holds other keys: no need for more */
    keys++;
    lua_pop(L, 1);
  }
  if (keys > n)
    lua_pop(L, 1);   /* the key lua_next left */
  if (keys == 0)
    fail(L, s, "an empty list (nothing is in it: say what you mean without a condition)");
  if (keys != n)   /* {"a", b = "x"} or {"a", nil, "c"}: some would be left out */
    fail(L, s, "in and not_in take a list {a, b}: this one holds other keys or holes");
  cp_cond *c = add(L, s, negate ? CP_OP_NOT_IN : CP_OP_IN);
  c->first = s->f->nvals;
  for (lua_Integer k = 1; k <= n; k++) {
    if (s->f->nvals == CP_FILTER_VALUES)
      luaL_error(L, "the lists of a filter hold at most %d values", CP_FILTER_VALUES);
    lua_rawgeti(L, -1, k);
    read_scalar(L, s, &s->f->vals[s->f->nvals++]);
    lua_pop(L, 1);
  }
  c->count = (int)n;
}

/* Adds one bound to the site's range condition (made on the first). */
static void add_bound(lua_State *L, const site *s, cp_cond **range, int upper, int strict)
{
  if (!numeric(s))
    fail(L, s, "a range (gt, ge, lt, le) is for a number, money, date or timestamp column");
  if (lua_type(L, -1) != LUA_TNUMBER)
    fail(L, s, "a range takes numbers (a date is dt.date(\"2026-01-31\"))");
  check_unit(L, s);
  if (!*range)
    *range = add(L, s, CP_OP_RANGE);
  int *has = upper ? &(*range)->has_hi : &(*range)->has_lo;
  if (*has)
    fail(L, s, "at most one of gt/ge and one of lt/le");
  *has = 1;
  *(upper ? &(*range)->hi_strict : &(*range)->lo_strict) = strict;
  cp_scalar *b = upper ? &(*range)->hi : &(*range)->lo;
  b->type = LUA_TNUMBER;
  b->is_int = lua_isinteger(L, -1);
  b->i = b->is_int ? lua_tointeger(L, -1) : 0;
  b->n = lua_tonumber(L, -1);
}

/* Adds the conditions of one operator (key at -2, value at -1). */
static void add_operator(lua_State *L, const site *s, cp_cond **range)
{
  const char *op = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
  if (!strcmp(op, "gt") || !strcmp(op, "ge") || !strcmp(op, "lt") || !strcmp(op, "le"))
    add_bound(L, s, range, op[0] == 'l', op[1] == 't');
  else if (!strcmp(op, "eq") || !strcmp(op, "ne"))
    add_compare(L, s, op[0] == 'n');
  else if (!strcmp(op, "in") || !strcmp(op, "not_in"))
    add_list(L, s, op[0] == 'n');
  else if (!strcmp(op, "or_nil"))
    return;   /* add_table() reads it */
  else if (!strcmp(op, "is_nil") || !strcmp(op, "not_nil")) {
    if (!lua_isboolean(L, -1))
      fail(L, s, "is_nil and not_nil take true or false");
    add(L, s, (op[0] == 'i') == lua_toboolean(L, -1) ? CP_OP_IS_NIL : CP_OP_NOT_NIL);
  } else {
    luaL_error(L, "condition on %s.%s: unknown operator '%s' (gt, ge, lt, le, eq, ne, "
               "in, not_in, is_nil, not_nil, or_nil; a list {a, b} means in)", s->t->name,
               s->t->columns[s->col].name, *op ? op : luaL_typename(L, -2));
  }
}

/* Reads the table at the top's or_nil: 1 for true, 0 for false or absent. */
static int or_nil(lua_State *L, const site *s)
{
  lua_pushliteral(L, "or_nil");
  int t = lua_rawget(L, -2), v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    fail(L, s, "or_nil takes true or false");
  return v;
}

/* Adds the conditions of the table at the top: a list (in) or operators;
 * with or_nil = true, each of them also holds for a nil field. */
static void add_table(lua_State *L, const site *s)
{
  cp_cond *range = NULL;
  see_through(L, s);
  refuse_weak(L, -1);
  int first = s->f->n, nil_ok = or_nil(L, s);
  size_t keys = 0, len = lua_rawlen(L, -1);
  if (len > (size_t)(CP_FILTER_VALUES - s->f->nvals))   /* refused before it is walked */
    luaL_error(L, "the lists of a filter hold at most %d values", CP_FILTER_VALUES);
  lua_pushnil(L);
  while ((!len || keys <= len) && lua_next(L, -2)) {   /* an operator at a time, or a list
                                                         * walked no further than its length */
    keys++;
    if (!len)
      add_operator(L, s, &range);
    lua_pop(L, 1);
  }
  if (len && keys > len)
    lua_pop(L, 1);   /* the key lua_next left */
  if (keys == 0)
    fail(L, s, "an empty condition {}");
  if (len && keys != len)
    fail(L, s, "a list of values {a, b} cannot also hold operators");
  if (len)
    add_list(L, s, 0);
  if (s->f->n == first)   /* only or_nil */
    fail(L, s, "or_nil goes with another operator ({gt = d, or_nil = true}: nil or "
         "after d); for nil alone write null");
  for (int k = first; k < s->f->n; k++)
    s->f->c[k].or_nil = nil_ok;
}

void cp_filter_compile(lua_State *L, int idx, const cp_table_cfg *t, cp_filter *f,
                       cp_filter_behind behind)
{
  idx = lua_absindex(L, idx);
  int seen = behind && lua_istable(L, idx) && behind(L, idx);   /* the view at idx keeps it */
  if (seen)
    idx = lua_gettop(L);
  refuse_weak(L, idx);
  f->n = f->nvals = 0;
  lua_pushnil(L);
  if (!lua_next(L, idx))
    luaL_error(L, "an empty condition table {} (a field = nil leaves no key: write "
               "field = null for 'is nil', or give no condition for every row)");
  lua_pop(L, 2);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "a filter table holds field = value pairs");
    site s = {t, cp_filter_column_at(L, t, -2), f, behind};
    if (lua_istable(L, -1))
      add_table(L, &s);
    else
      add_compare(L, &s, 0);
    lua_pop(L, 1);
  }
  if (seen)
    lua_remove(L, idx);
}

int cp_filter_cmp_int_float(int64_t i, double d)
{
  if (d != d)
    return 2;
  if (d >= 9223372036854775808.0)
    return -1;
  if (d < -9223372036854775808.0)
    return 1;
  double fl = floor(d);
  int64_t f = (int64_t)fl;
  if (i != f)
    return i < f ? -1 : 1;
  return d > fl ? -1 : 0;
}

/* Compares a fact number (an integer or a float) with the number x:
 * -1, 0 or 1; 2 when they are unordered (a NaN). */
static int cmp_number(const cp_value *v, const cp_scalar *x)
{
  if (v->type == CP_V_INT) {
    if (x->is_int)
      return v->u.i < x->i ? -1 : v->u.i > x->i;
    return cp_filter_cmp_int_float(v->u.i, x->n);
  }
  if (x->is_int) {
    int c = cp_filter_cmp_int_float(x->i, v->u.r);
    return c == 2 ? 2 : -c;
  }
  return v->u.r < x->n ? -1 : v->u.r > x->n ? 1 : v->u.r == x->n ? 0 : 2;
}

/* Returns 1 when fact number v is within the condition's range. */
static int in_range(const cp_cond *c, const cp_value *v)
{
  int lo = c->has_lo ? cmp_number(v, &c->lo) : 1, hi = c->has_hi ? cmp_number(v, &c->hi) : -1;
  if (lo == 2 || hi == 2 || lo < 0 || (lo == 0 && c->lo_strict))
    return 0;
  return hi < 0 || (hi == 0 && !c->hi_strict);
}

/* Returns 1 when the non-nil fact value v equals x. */
static int equal(const cp_scalar *x, const cp_value *v)
{
  switch (v->type) {
  case CP_V_TEXT:
    return x->type == LUA_TSTRING && x->len == v->len && memcmp(x->s, v->u.s, x->len) == 0;
  case CP_V_INT: case CP_V_REAL:
    return x->type == LUA_TNUMBER && cmp_number(v, x) == 0;
  case CP_V_BOOL:
    return x->type == LUA_TBOOLEAN && x->i == v->u.i;
  default:
    return 0;
  }
}

/* Returns 1 when v equals one value of the condition's list. */
static int in_list(const cp_filter *f, const cp_cond *c, const cp_value *v)
{
  for (int k = 0; k < c->count; k++)
    if (equal(&f->vals[c->first + k], v))
      return 1;
  return 0;
}

/* Returns 1 when fact value v satisfies condition c. */
static int holds(const cp_filter *f, const cp_cond *c, const cp_value *v)
{
  if (v->type == CP_V_NIL)
    return c->or_nil || c->op == CP_OP_NE || c->op == CP_OP_NOT_IN || c->op == CP_OP_IS_NIL;
  switch (c->op) {
  case CP_OP_EQ:
    return equal(&c->v, v);
  case CP_OP_NE:
    return !equal(&c->v, v);
  case CP_OP_IN:
    return in_list(f, c, v);
  case CP_OP_NOT_IN:
    return !in_list(f, c, v);
  case CP_OP_RANGE:
    return (v->type == CP_V_INT || v->type == CP_V_REAL) && in_range(c, v);
  case CP_OP_NOT_NIL:
    return 1;
  default:
    return 0;
  }
}

int cp_filter_match(const cp_filter *f, const cp_value *v)
{
  for (int k = 0; k < f->n; k++)
    if (!holds(f, &f->c[k], &v[f->c[k].col]))
      return 0;
  return 1;
}
