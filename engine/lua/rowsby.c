/* rowsby.c: a client's rows indexed by a field (rows:by()), built in C once
 * per client and field; and rows as explain shows them. */
#include <lauxlib.h>
#include <string.h>

#include "filter.h"
#include "freeze.h"
#include "rowset.h"
#include "sandbox.h"
#include "show.h"

/* Pushes a new map {value -> list of rows} of the rowset at 1 by column col
 * (rows whose value is nil are left out), the lists in row order. */
static void push_by(lua_State *L, rowset_ud *s, uint32_t col)
{
  const cp_rows *rows = cp_rowset_rows(L, s->api, s->gen, s->source);
  size_t ncols = cp_rowset_cfg(s->api, s->source)->columns_count;
  lua_newtable(L);
  for (uint32_t i = 0; i < rows->n; i++) {
    cp_value value;
    const cp_value *v = &value;
    cp_facts_value(rows, ncols, i, col, &value);
    if (v->type == CP_V_NIL || (v->type == CP_V_REAL && v->u.r != v->u.r))
      continue;
    cp_rowset_value_push(L, v);
    if (lua_rawget(L, -2) == LUA_TNIL) {   /* the first row of this value */
      lua_pop(L, 1);
      lua_newtable(L);
      luaL_setmetatable(L, LIST_MT);
      cp_rowset_value_push(L, v);
      lua_pushvalue(L, -2);
      lua_rawset(L, -4);
    }
    cp_rowset_push_row(L, 1, s, i);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
  }
}

/* list:by(field) for a list that filter() (or by()) made: {value -> list
 * of its rows with that value}, in the list's order, made anew each call. */
static int list_by(lua_State *L)
{
  cp_filter_check_name(L, 2, "by()");
  lua_settop(L, 2);
  if (cp_freeze_behind(L, 1))   /* a frozen list (a derived value, a by() map's): its rows */
    lua_replace(L, 1);
  size_t n = lua_rawlen(L, 1);
  cp_sandbox_charge(L, n);
  lua_newtable(L);   /* the map, at 3 */
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i);   /* at 4 */
    row_ud *r = cp_rowset_udata(L, 4, ROW_MAGIC, sizeof *r);
    if (!r)
      return luaL_error(L, "by(): item %d of the list is not a row", (int)i);
    const cp_table_cfg *t = cp_rowset_cfg(r->api, r->source);
    uint32_t col = cp_filter_column_at(L, t, 2);
    const cp_rows *rows = cp_rowset_rows(L, r->api, r->gen, r->source);
    cp_value v;
    cp_facts_value(rows, t->columns_count, r->row, col, &v);
    if (v.type == CP_V_NIL || (v.type == CP_V_REAL && v.u.r != v.u.r)) {
      lua_settop(L, 3);
      continue;
    }
    cp_rowset_value_push(L, &v);   /* the key, at 5 */
    lua_pushvalue(L, 5);
    if (lua_rawget(L, 3) == LUA_TNIL) {   /* the first row of this value */
      lua_pop(L, 1);
      lua_newtable(L);
      luaL_setmetatable(L, LIST_MT);
      lua_pushvalue(L, 5);
      lua_pushvalue(L, -2);
      lua_rawset(L, 3);
    }
    lua_pushvalue(L, 4);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_settop(L, 3);
  }
  cp_freeze(L, 3);   /* read-only to any depth, as rows:by() gives */
  return 1;
}

/* rows:by(field): {value -> list of the rows with that value}, made once
 * per client and field (kept in user value 2 of the client's rowset); on a
 * list (filter()'s), list_by(). */
int cp_rowsby_by(lua_State *L)
{
  rowset_ud *s = cp_rowset_udata(L, 1, ROWSET_MAGIC, sizeof *s);
  if (!s && lua_type(L, 1) == LUA_TTABLE)
    return list_by(L);
  if (!s)
    return luaL_typeerror(L, 1, "rows");
  cp_filter_check_name(L, 2, "by()");
  const char *field = lua_tostring(L, 2);
  uint32_t col = cp_filter_column_at(L, cp_rowset_cfg(s->api, s->source), 2);
  if (!s->gen) {   /* a lookup table: made anew at each call, as a list's (read whole, and
                    * the same for every client: a global{} makes it once a run) */
    cp_sandbox_charge(L, cp_rowset_rows(L, s->api, 0, s->source)->n);
    lua_settop(L, 2);
    push_by(L, s, col);
    cp_freeze(L, -1);
    return 1;
  }
  if (lua_getiuservalue(L, 1, 2) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, 2);
  }
  if (lua_getfield(L, -1, field) == LUA_TNIL) {
    lua_pop(L, 1);
    push_by(L, s, col);
    cp_freeze(L, -1);   /* read-only to any depth */
    lua_remove(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, field);
  }
  return 1;
}

int cp_rowsby_show(lua_State *L, int idx, sbuf *b, int depth)
{
  row_ud *r = cp_rowset_udata(L, idx, ROW_MAGIC, sizeof *r);
  rowset_ud *s = cp_rowset_udata(L, idx, ROWSET_MAGIC, sizeof *s);
  if (!r && !s)
    return 0;
  cp_rules *api = r ? r->api : s->api;
  uint32_t gen = r ? r->gen : s->gen, source = r ? r->source : s->source;
  const cp_table_cfg *t = cp_rowset_cfg(api, source);
  if (gen && (gen != api->gen || !api->client)) {
    cp_sbuf_printf(b, "<%s of a client whose evaluation is over>", r ? "row" : "rows");
    return 1;
  }
  const cp_rows *rows = cp_rowset_rows(L, api, gen, source);
  if (s) {
    cp_sbuf_printf(b, "<%u row%s of %s>", (unsigned)rows->n, rows->n == 1 ? "" : "s", t->name);
    return 1;
  }
  if (depth >= 3) {
    cp_sbuf_printf(b, "<%s row>", t->name);
    return 1;
  }
  cp_sbuf_printf(b, "%s row {", t->name);
  for (unsigned j = 0; j < t->columns_count; j++) {
    cp_sbuf_printf(b, "%s%s = ", j ? ", " : "", t->columns[j].name);
    if (t->columns[j].sensitive) {
      cp_sbuf_add(b, CP_SHOW_MASKED);
      continue;
    }
    cp_value v;
    cp_facts_value(rows, t->columns_count, r->row, j, &v);
    cp_rowset_value_push(L, &v);
    cp_show_item(L, -1, (int)t->columns[j].type, b, depth + 1);
    lua_pop(L, 1);
  }
  cp_sbuf_add(b, "}");
  return 1;
}
