/* show.c: values as `explain` shows them, so that a derived row, map or date
 * reads as the rule sees it and not as <userdata>, <0 items> or a day
 * number. Map keys are sorted, so the output does not depend on Lua's
 * hashing; long tables are cut after SHOW_ITEMS items. */
#include "show.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dates.h"
#include "freeze.h"

#define SHOW_ITEMS 12   /* items of a table shown before "..." */
#define SHOW_DEPTH 3    /* tables nested deeper are shown as {...} */

/* Appends number at idx, as a date or timestamp when type says so. */
static void show_number(lua_State *L, int idx, int type, sbuf *b)
{
  char buf[32];
  lua_Number x = lua_tonumber(L, idx);
  if (!lua_isinteger(L, idx) && !isfinite(x))   /* one spelling, whatever the C library's */
    cp_sbuf_add(b, isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
  else if (!lua_isinteger(L, idx))
    cp_sbuf_printf(b, "%.14g", x);
  else if ((type == CP_COL_DATE && cp_dates_day_ok(lua_tointeger(L, idx))) ||
           (type == CP_COL_TIMESTAMP && cp_dates_time_ok(lua_tointeger(L, idx)))) {
    (type == CP_COL_DATE ? cp_dates_format_date : cp_dates_format_timestamp)(lua_tointeger(L, idx), buf);
    cp_sbuf_add(b, buf);
  } else
    cp_sbuf_printf(b, "%lld", (long long)lua_tointeger(L, idx));
}

/* Returns the table whose items a table at idx shows: a read-only view's
 * table behind (pushed), or the table itself (pushed). */
static int push_items(lua_State *L, int idx)
{
  lua_pushvalue(L, idx);
  if (lua_getmetatable(L, -1)) {
    if (lua_getfield(L, -1, "__index") == LUA_TTABLE && lua_rawlen(L, -3) == 0) {
      lua_pushnil(L);
      if (!lua_next(L, -4)) {   /* an empty table with a table behind: a view */
        if (cp_freeze_behind(L, -3))   /* a locked file environment reads a merged */
          lua_replace(L, -2);          /* table: its own globals are the ones behind */
        lua_remove(L, -2);
        lua_remove(L, -2);
        return lua_gettop(L);
      }
      lua_pop(L, 2);
    }
    lua_pop(L, 2);
  }
  return lua_gettop(L);
}

/* One key of a map: as shown, and where the key itself is kept. */
typedef struct item {
  char *text;               /* the key as shown (malloc'd; NULL: out of memory) */
  lua_Integer slot;         /* its index in the table of keys */
} item;

void cp_show_text(sbuf *b, const char *s, size_t len)
{
  for (const char *nul; (nul = memchr(s, '\0', len)); len -= (size_t)(nul - s) + 1, s = nul + 1) {
    cp_sbuf_addn(b, s, (size_t)(nul - s));
    cp_sbuf_add(b, "\\x00");
  }
  cp_sbuf_addn(b, s, len);
}

/* Appends the string at idx as cp_show_text() does. */
static void add_text(sbuf *b, lua_State *L, int idx)
{
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  cp_show_text(b, s, len);
}

/* Orders items by their text. */
static int by_text(const void *a, const void *b)
{
  const item *x = a, *y = b;
  return strcmp(x->text ? x->text : "", y->text ? y->text : "");
}

/* Returns the key at idx as shown, malloc'd (NULL when out of memory). */
static char *key_text(lua_State *L, int idx, int depth)
{
  sbuf k = {0};
  if (lua_type(L, idx) == LUA_TSTRING) {
    add_text(&k, L, idx);
  } else {
    cp_sbuf_add(&k, "[");
    cp_show_item(L, idx, -1, &k, depth + 1);
    cp_sbuf_add(&k, "]");
  }
  char *text = k.s && !k.oom ? strdup(k.s) : NULL;
  cp_sbuf_free(&k);
  return text;
}

/* Appends the map at t (not a list): "k = v" pairs sorted by key. */
static void show_map(lua_State *L, int t, sbuf *b, int depth)
{
  size_t total = 0;
  lua_newtable(L);   /* the keys, in a sequence: lua_next order is not kept */
  int keys = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, (lua_Integer)++total);
  }
  item *v = calloc(total + 1, sizeof *v);
  for (size_t i = 0; v && i < total; i++) {
    lua_rawgeti(L, keys, (lua_Integer)i + 1);
    v[i] = (item){key_text(L, -1, depth), (lua_Integer)i + 1};
    lua_pop(L, 1);
  }
  if (v)
    qsort(v, total, sizeof *v, by_text);
  cp_sbuf_add(b, "{");
  for (size_t i = 0; v && i < total && i < SHOW_ITEMS; i++) {
    cp_sbuf_printf(b, "%s%s = ", i ? ", " : "", v[i].text ? v[i].text : "?");
    lua_rawgeti(L, keys, v[i].slot);
    lua_rawget(L, t);
    cp_show_item(L, -1, -1, b, depth + 1);
    lua_pop(L, 1);
  }
  if (total > SHOW_ITEMS)
    cp_sbuf_printf(b, ", ... (%zu items)", total);
  cp_sbuf_add(b, "}");
  for (size_t i = 0; v && i < total; i++)
    free(v[i].text);
  free(v);
  lua_pop(L, 1);
}

/* Appends the table at idx: a list {a, b} or a map {k = v}. */
static void show_table(lua_State *L, int idx, sbuf *b, int depth)
{
  if (depth >= SHOW_DEPTH) {
    cp_sbuf_add(b, "{...}");
    return;
  }
  if (cp_freeze_kept(L, idx)) {   /* the client: its fields are not in its table */
    cp_sbuf_add(b, "<client>");
    return;
  }
  int t = push_items(L, idx);
  size_t len = lua_rawlen(L, t), keys = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    keys++;
    lua_pop(L, 1);
  }
  if (len && keys == len) {
    cp_sbuf_add(b, "{");
    for (size_t i = 1; i <= len && i <= SHOW_ITEMS; i++) {
      cp_sbuf_add(b, i > 1 ? ", " : "");
      lua_rawgeti(L, t, (lua_Integer)i);
      cp_show_item(L, -1, -1, b, depth + 1);
      lua_pop(L, 1);
    }
    if (len > SHOW_ITEMS)
      cp_sbuf_printf(b, ", ... (%zu items)", len);
    cp_sbuf_add(b, "}");
  } else {
    show_map(L, t, b, depth);
  }
  lua_pop(L, 1);
}

void cp_show_item(lua_State *L, int idx, int type, sbuf *b, int depth)
{
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 8, "explain: values nested too deep");
  switch (lua_type(L, idx)) {
  case LUA_TNIL: cp_sbuf_add(b, "nil"); break;
  case LUA_TBOOLEAN: cp_sbuf_add(b, lua_toboolean(L, idx) ? "true" : "false"); break;
  case LUA_TNUMBER: show_number(L, idx, type, b); break;
  case LUA_TSTRING:
    if (depth)
      cp_sbuf_add(b, "\"");
    add_text(b, L, idx);
    if (depth)
      cp_sbuf_add(b, "\"");
    break;
  case LUA_TTABLE: show_table(L, idx, b, depth); break;
  case LUA_TLIGHTUSERDATA: cp_sbuf_add(b, lua_touserdata(L, idx) ? "[]" : "null"); break;
  default:
    if (!cp_rowsby_show(L, idx, b, depth))
      cp_sbuf_printf(b, "<%s>", luaL_typename(L, idx));
  }
}

void cp_show(lua_State *L, int idx, int type, sbuf *b)
{
  cp_show_item(L, idx, type, b, 0);
}
