/* filter.c: compiling and checking table filters on fact rows. */
#include "filter.h"

#include <lauxlib.h>
#include <string.h>

uint32_t cp_filter_column(lua_State *L, const cp_table_cfg *t, const char *name)
{
  for (uint32_t j = 0; j < t->columns_count; j++)
    if (strcmp(t->columns[j].name, name) == 0)
      return j;
  return (uint32_t)luaL_error(L, "%s row has no field '%s'", t->name, name);
}

/* Reads one bound of a range table (at the top of the stack). */
static void bound(lua_State *L, const char *name, int *has, int *strict, lua_Number *v,
                  int is_strict)
{
  if (lua_getfield(L, -1, name) != LUA_TNIL) {
    if (!lua_isnumber(L, -1) || *has)
      luaL_error(L, "a range takes numbers, and at most one of gt/ge and one of lt/le");
    *has = 1;
    *strict = is_strict;
    *v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
}

/* Reads the value at the top of the stack into condition c. */
static void read_value(lua_State *L, cp_cond *c)
{
  c->type = lua_type(L, -1);
  switch (c->type) {
  case LUA_TSTRING:
    c->s = lua_tolstring(L, -1, &c->len);
    break;
  case LUA_TNUMBER:
    if ((c->is_int = lua_isinteger(L, -1)))
      c->i = lua_tointeger(L, -1);
    else
      c->n = lua_tonumber(L, -1);
    break;
  case LUA_TBOOLEAN:
    c->i = lua_toboolean(L, -1);
    break;
  case LUA_TTABLE:
    bound(L, "gt", &c->has_lo, &c->lo_strict, &c->lo, 1);
    bound(L, "ge", &c->has_lo, &c->lo_strict, &c->lo, 0);
    bound(L, "lt", &c->has_hi, &c->hi_strict, &c->hi, 1);
    bound(L, "le", &c->has_hi, &c->hi_strict, &c->hi, 0);
    break;
  default:
    luaL_error(L, "a filter value must be a string, number, boolean or {gt=, ge=, lt=, le=}");
  }
}

void cp_filter_compile(lua_State *L, int idx, const cp_table_cfg *t, cp_filter *f)
{
  idx = lua_absindex(L, idx);
  memset(f, 0, sizeof *f);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (f->n == CP_FILTER_MAX || lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "a filter table holds at most %d field = value pairs", CP_FILTER_MAX);
    cp_cond *c = &f->c[f->n++];
    c->col = cp_filter_column(L, t, lua_tostring(L, -2));
    read_value(L, c);
    lua_pop(L, 1);
  }
}

/* Returns 1 when number x is within the condition's range. */
static int in_range(const cp_cond *c, lua_Number x)
{
  if (c->has_lo && (c->lo_strict ? !(x > c->lo) : !(x >= c->lo)))
    return 0;
  if (c->has_hi && (c->hi_strict ? !(x < c->hi) : !(x <= c->hi)))
    return 0;
  return 1;
}

/* Returns 1 when fact value v satisfies condition c. */
static int holds(const cp_cond *c, const cp_value *v)
{
  switch (v->type) {
  case CP_V_TEXT:
    return c->type == LUA_TSTRING && c->len == v->len && memcmp(c->s, v->u.s, c->len) == 0;
  case CP_V_INT:
    if (c->type == LUA_TTABLE)
      return in_range(c, (lua_Number)v->u.i);
    return c->type == LUA_TNUMBER && (c->is_int ? c->i == v->u.i : c->n == (lua_Number)v->u.i);
  case CP_V_REAL:
    if (c->type == LUA_TTABLE)
      return in_range(c, v->u.r);
    return c->type == LUA_TNUMBER && (c->is_int ? (lua_Number)c->i == v->u.r : c->n == v->u.r);
  case CP_V_BOOL:
    return c->type == LUA_TBOOLEAN && c->i == v->u.i;
  default:
    return 0;
  }
}

int cp_filter_match(const cp_filter *f, const cp_value *v)
{
  for (int k = 0; k < f->n; k++)
    if (!holds(&f->c[k], &v[f->c[k].col]))
      return 0;
  return 1;
}
