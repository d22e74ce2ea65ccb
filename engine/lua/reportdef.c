/* reportdef.c: the report{} declaration and the rows it computes. The
 * report's scope and row functions run in the rules' sandbox under the same
 * budget as a rule, and what a row function returns is checked against the
 * declared columns before the engine shows it. */
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dates.h"
#include "reportdef.h"
#include "words.h"

#define REPORT_KEY "crmpolicy.report"        /* registry: the checked declaration */
#define MONTH_KEY "crmpolicy.report.month"   /* registry: the month table */
#define ALERTS_MT_KEY "crmpolicy.report.alerts_mt"   /* registry: metatable of alerts */
#define RULES_MT_KEY "crmpolicy.report.rules_mt"     /* ... and of alerts.rules */

const char *const cp_reportdef_type_names[CP_RT_COUNT] = {"text", "money", "integer", "percent",
                                                 "date", "ratio-change"};

const char *const cp_reportdef_total_names[CP_RTOTAL_KINDS] = {"none", "sum", "min", "max",
                                                               "count"};

/* Raises an error for keys of the table at t that are not in the
 * space-separated list `keys`. */
static void only_keys(lua_State *L, int t, const char *what, const char *keys)
{
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    if (!cp_words_has(keys, k))
      luaL_error(L, "%s: unknown field '%s' (fields: %s)", what, k, keys);
  }
}

/* Pushes field name of the table at t, which must be a non-empty string. */
static const char *need_text(lua_State *L, int t, const char *what, const char *name)
{
  if (lua_getfield(L, t, name) != LUA_TSTRING || !*lua_tostring(L, -1))
    luaL_error(L, "%s: '%s' is required and must be a non-empty string", what, name);
  return lua_tostring(L, -1);
}

/* Returns the type named by the string at the top of the stack, or raises. */
static cp_rtype type_of(lua_State *L, const char *what, int money_or_integer)
{
  const char *name = lua_tostring(L, -1);
  for (int t = 0; t < CP_RT_COUNT; t++)
    if (strcmp(name, cp_reportdef_type_names[t]) == 0 &&
        (!money_or_integer || t == CP_RT_MONEY || t == CP_RT_INTEGER))
      return (cp_rtype)t;
  return luaL_error(L, "%s: unknown type '%s' (types: %s)", what, name,
                    money_or_integer ? "money integer"
                                     : "text money integer percent date ratio-change");
}

/* Replaces the table at idx, when it is a read-only view (params, run, a
 * derived value), by the table behind it, which this file reads raw. */
static void see_through(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  if (lua_istable(L, idx) && cp_freeze_behind(L, idx))
    lua_replace(L, idx);
}

/* Returns what column `id` of type t shows in total rows, from its field
 * `total` at the top of the stack: nil is the type's default (the sum of
 * money and integer, nothing for the rest), false is nothing. */
static cp_rtotal total_of(lua_State *L, const char *id, cp_rtype t)
{
  int numeric = t == CP_RT_MONEY || t == CP_RT_INTEGER;
  if (lua_isnil(L, -1))
    return numeric ? CP_RTOTAL_SUM : CP_RTOTAL_NONE;
  if (lua_isboolean(L, -1) && !lua_toboolean(L, -1))
    return CP_RTOTAL_NONE;
  const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  for (int i = CP_RTOTAL_SUM; i < CP_RTOTAL_KINDS; i++) {
    if (strcmp(k, cp_reportdef_total_names[i]) != 0)
      continue;
    if (i == CP_RTOTAL_SUM && !numeric)
      luaL_error(L, "report{} column '%s': total 'sum' adds money or integer values, and the "
                 "column is %s (write 'count', 'min', 'max' or false)", id,
                 cp_reportdef_type_names[t]);
    if ((i == CP_RTOTAL_MIN || i == CP_RTOTAL_MAX) && t == CP_RT_TEXT)
      luaL_error(L, "report{} column '%s': total '%s' is for numbers and dates, and the column "
                 "is text (write 'count' or false)", id, k);
    return (cp_rtotal)i;
  }
  return luaL_error(L, "report{} column '%s': 'total' must be one of 'sum', 'min', 'max', "
                    "'count' or false, not %s", id,
                    lua_type(L, -1) == LUA_TSTRING ? lua_pushfstring(L, "'%s'", k)
                                                   : luaL_typename(L, -1));
}

/* Copies the declaration's columns (at 1) into the checked copy (at 2). */
static void copy_columns(lua_State *L)
{
  if (lua_getfield(L, 1, "columns") == LUA_TTABLE)
    see_through(L, -1);
  if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0)
    luaL_error(L, "report{}: 'columns' must be a non-empty list of {id=, label=, type=}");
  int src = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, src);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, src, i) != LUA_TTABLE)
      luaL_error(L, "report{}: column %d must be a table {id=, label=, type=}", (int)i);
    see_through(L, -1);
    int col = lua_gettop(L);
    only_keys(L, col, "report{} column", "id label type group total");
    lua_createtable(L, 0, 4);
    const char *id = need_text(L, col, "report{} column", "id");
    if (strlen(id) != lua_rawlen(L, -1))   /* the row's key 'n' would fill column 'n\0x' */
      luaL_error(L, "report{}: column id '%s\\0...' holds a NUL byte", id);
    if (strcmp(id, "series") == 0)
      luaL_error(L, "report{}: 'series' is not a column id (a row's series goes there)");
    for (lua_Integer j = 1; j < i; j++) {
      lua_rawgeti(L, src + 1, j);
      if (lua_getfield(L, -1, "id") == LUA_TSTRING && strcmp(lua_tostring(L, -1), id) == 0)
        luaL_error(L, "report{}: column '%s' is declared twice", id);
      lua_pop(L, 2);
    }
    lua_setfield(L, col + 1, "id");
    need_text(L, col, "report{} column", "label");
    lua_setfield(L, col + 1, "label");
    need_text(L, col, "report{} column", "type");
    cp_rtype type = type_of(L, "report{} column", 0);
    lua_pushinteger(L, type);
    lua_setfield(L, col + 1, "type");
    lua_pop(L, 1);
    lua_getfield(L, col + 1, "id");
    lua_getfield(L, col, "total");
    lua_pushinteger(L, total_of(L, lua_tostring(L, -2), type));
    lua_setfield(L, col + 1, "total");
    lua_pop(L, 2);
    int g = lua_getfield(L, col, "group");
    if (g != LUA_TNIL && (g != LUA_TSTRING || !*lua_tostring(L, -1)))
      luaL_error(L, "report{} column: 'group' must be a non-empty string");
    lua_setfield(L, col + 1, "group");
    lua_rawseti(L, src + 1, i);
    lua_settop(L, src + 1);
  }
  lua_setfield(L, 2, "columns");
  lua_settop(L, 2);
}

/* Copies the optional series declaration (at 1) into the copy (at 2). */
static void copy_series(lua_State *L)
{
  int t = lua_getfield(L, 1, "series");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TTABLE)
    luaL_error(L, "report{}: 'series' must be a table {title=, type=, groups=}");
  see_through(L, 3);
  only_keys(L, 3, "report{} series", "title type groups");
  lua_createtable(L, 0, 3);
  need_text(L, 3, "report{} series", "title");
  lua_setfield(L, 4, "title");
  need_text(L, 3, "report{} series", "type");
  lua_pushinteger(L, type_of(L, "report{} series", 1));
  lua_setfield(L, 4, "type");
  lua_pop(L, 1);
  lua_createtable(L, CP_REPORT_GROUPS, 0);
  t = lua_getfield(L, 3, "groups");
  if (t == LUA_TTABLE)
    see_through(L, 6);
  lua_Integer n = t == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, -1) : 0;
  if ((t != LUA_TTABLE && t != LUA_TNIL) || n > CP_REPORT_GROUPS)
    luaL_error(L, "report{}: series 'groups' must be a list of at most %d names",
               CP_REPORT_GROUPS);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, 6, i) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
      luaL_error(L, "report{}: series 'groups' must be a list of names");
    if (memchr(lua_tostring(L, -1), '\0', lua_rawlen(L, -1)))   /* cut, two would merge */
      luaL_error(L, "report{}: series group %d holds a NUL byte", (int)i);
    for (lua_Integer j = 1; j < i; j++) {
      lua_rawgeti(L, 5, j);
      if (lua_rawequal(L, -1, -2))
        luaL_error(L, "report{}: series 'groups' names '%s' twice", lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_rawseti(L, 5, i);
  }
  lua_pop(L, 1);
  lua_setfield(L, 4, "groups");
  lua_setfield(L, 2, "series");
  lua_settop(L, 2);
}

/* Copies group_by and totals of the declaration (at 1) into the copy (at
 * 2), after its columns: group_by names one of them, kept as its index. */
static void copy_grouping(lua_State *L)
{
  int t = lua_getfield(L, 1, "group_by");
  if (t != LUA_TNIL) {
    if (t != LUA_TSTRING)
      luaL_error(L, "report{}: 'group_by' must be a column id (a string), not %s",
                 luaL_typename(L, -1));
    lua_getfield(L, 2, "columns");
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1), i = 1;
    for (; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      lua_getfield(L, -1, "id");
      int same = lua_rawequal(L, -1, -4);
      lua_pop(L, 2);
      if (same)
        break;
    }
    if (i > n)
      luaL_error(L, "report{}: group_by '%s' is not the id of one of its columns",
                 lua_tostring(L, -2));
    lua_pop(L, 1);
    lua_pushinteger(L, i - 1);
    lua_setfield(L, 2, "group_by");
  }
  lua_pop(L, 1);
  t = lua_getfield(L, 1, "totals");
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_error(L, "report{}: 'totals' must be true or false, not %s", luaL_typename(L, -1));
  int totals = lua_toboolean(L, -1);
  lua_setfield(L, 2, "totals");
  t = lua_getfield(L, 1, "detail");
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_error(L, "report{}: 'detail' must be true or false, not %s", luaL_typename(L, -1));
  if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1) && !totals &&
      lua_getfield(L, 2, "group_by") == LUA_TNIL)
    luaL_error(L, "report{}: detail = false leaves out the clients' rows, and the report has "
               "neither a group_by nor totals = true: it would have no row");
  lua_settop(L, 3);
  lua_pushboolean(L, t == LUA_TNIL || lua_toboolean(L, -1));
  lua_setfield(L, 2, "detail");
  lua_pop(L, 1);
}

/* Copies function field name of the declaration (at 1) into the copy (at 2). */
static void copy_function(lua_State *L, const char *name, int required)
{
  int t = lua_getfield(L, 1, name);
  if (t != LUA_TFUNCTION && (required || t != LUA_TNIL))
    luaL_error(L, "report{}: '%s' must be a function", name);
  lua_setfield(L, 2, name);
}

/* report{id=, title=, doc=, scope=, columns=, row=, series=, group_by=,
 * totals=, detail=}: the report. */
static int l_report(lua_State *L)
{
  cp_rules *api = cp_api_of(L);
  if (api->current || api->client || api->rules_locked)
    return luaL_error(L, "report{} can only be called at the top level of a rule file");
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  only_keys(L, 1, "report{}", "id title doc scope columns row series group_by totals detail");
  if (lua_getfield(L, LUA_REGISTRYINDEX, REPORT_KEY) != LUA_TNIL) {
    lua_getfield(L, -1, "where");
    return luaL_error(L, "report{}: a report is already declared at %s", lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 9);
  static const char *const texts[] = {"id", "title", "doc"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    need_text(L, 1, "report{}", texts[i]);
    lua_setfield(L, 2, texts[i]);
  }
  copy_function(L, "scope", 0);
  copy_function(L, "row", 1);
  copy_columns(L);
  copy_grouping(L);
  copy_series(L);
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
  else
    lua_pushliteral(L, "?");
  lua_setfield(L, 2, "where");
  lua_setfield(L, LUA_REGISTRYINDEX, REPORT_KEY);
  return 0;
}

const luaL_Reg cp_reportdef_functions[] = {{"report", l_report}, {NULL, NULL}};

/* Returns a malloc'd copy of string field name of the table at the top. */
static char *dup_field(lua_State *L, const char *name)
{
  lua_getfield(L, -1, name);
  char *s = strdup(lua_tostring(L, -1));
  lua_pop(L, 1);
  return s;
}

/* Copies the checked series (at the top of the stack) into d. */
static int load_series(lua_State *L, cp_report_def *d)
{
  d->series_title = dup_field(L, "title");
  lua_getfield(L, -1, "type");
  d->series_type = (cp_rtype)lua_tointeger(L, -1);
  lua_getfield(L, -2, "groups");
  d->n_groups = lua_rawlen(L, -1);
  d->groups = calloc(d->n_groups + 1, sizeof *d->groups);
  for (size_t i = 0; d->groups && i < d->n_groups; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    d->groups[i] = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (!d->groups[i])
      return -1;
  }
  lua_pop(L, 2);
  return d->series_title && d->groups ? 0 : -1;
}

/* Copies the checked columns (at the top of the stack) into d. */
static int load_columns(lua_State *L, cp_report_def *d)
{
  size_t n = lua_rawlen(L, -1);
  if (!(d->columns = calloc(n, sizeof *d->columns)))
    return -1;
  d->n_columns = n;
  for (size_t i = 0; i < n; i++) {
    cp_rcolumn *c = &d->columns[i];
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    c->id = dup_field(L, "id");
    c->label = dup_field(L, "label");
    if (lua_getfield(L, -1, "group") == LUA_TSTRING && !(c->group = strdup(lua_tostring(L, -1))))
      return lua_pop(L, 2), -1;
    lua_pop(L, 1);
    lua_getfield(L, -1, "type");
    c->type = (cp_rtype)lua_tointeger(L, -1);
    lua_getfield(L, -2, "total");
    c->total = (cp_rtotal)lua_tointeger(L, -1);
    lua_pop(L, 3);
    if (!c->id || !c->label)
      return -1;
  }
  return 0;
}

cp_err cp_reportdef_load(cp_rules *api, const char *config, cp_report_def **out)
{
  lua_State *L = api->L;
  int top = lua_gettop(L);
  cp_report_def *d = NULL;
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (lua_getfield(L, LUA_REGISTRYINDEX, REPORT_KEY) != LUA_TTABLE) {
    rc = cp_diag_fail(CP_ERULES, "%s: the rule files declare no report{}", config);
    goto fail;
  }
  if (!(d = calloc(1, sizeof *d)))
    goto fail;
  d->id = dup_field(L, "id");
  d->title = dup_field(L, "title");
  d->doc = dup_field(L, "doc");
  d->where = dup_field(L, "where");
  lua_getfield(L, -1, "columns");
  if (!d->id || !d->title || !d->doc || !d->where || load_columns(L, d) < 0)
    goto fail;
  lua_pop(L, 1);
  d->group_by = lua_getfield(L, -1, "group_by") == LUA_TNUMBER ? (long)lua_tointeger(L, -1) : -1;
  d->totals = lua_getfield(L, -2, "totals") == LUA_TBOOLEAN && lua_toboolean(L, -1);
  d->detail = lua_getfield(L, -3, "detail") != LUA_TBOOLEAN || lua_toboolean(L, -1);
  lua_pop(L, 3);
  if (lua_getfield(L, -1, "series") == LUA_TTABLE && load_series(L, d) < 0)
    goto fail;
  lua_settop(L, top);
  *out = d;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM)
    cp_diag_fail(rc, "report: out of memory");
  lua_settop(L, top);
  cp_reportdef_free(d);
  return rc;
}

void cp_reportdef_free(cp_report_def *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->n_columns; i++) {
    free(d->columns[i].id);
    free(d->columns[i].label);
    free(d->columns[i].group);
  }
  for (size_t i = 0; d->groups && i < d->n_groups; i++)
    free(d->groups[i]);
  free(d->groups);
  free(d->columns);
  free(d->series_title);
  free(d->id);
  free(d->title);
  free(d->doc);
  free(d->where);
  free(d);
}

/* __index of the tables a report's row() is given (month, its months,
 * alerts): a read of a key they lack is the row's error, naming the key and
 * the fields there are, as for a misspelt field of the client (an
 * `alerts.critcal` was an empty column, silently); a key that is not a text
 * (ipairs' end, month.series[13]) is nil. Upvalues: the table's name
 * ("month.prev") and what it holds ("fields: name first last through"). */
static int strict_index(lua_State *L)
{
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  return luaL_error(L, "%s has no field '%s' (%s)", lua_tostring(L, lua_upvalueindex(1)),
                    lua_tostring(L, 2), lua_tostring(L, lua_upvalueindex(2)));
}

/* Pushes a protected metatable whose __index is strict_index for the table
 * `name`, which holds `fields` (a host metatable: the frozen copy of a
 * table keeps it). */
static void push_strict_mt(lua_State *L, const char *name, const char *fields)
{
  lua_createtable(L, 0, 2);
  lua_pushstring(L, name);
  lua_pushstring(L, fields);
  lua_pushcclosure(L, strict_index, 2);
  lua_setfield(L, -2, "__index");
  cp_freeze_protect(L, -1);
}

/* Gives the table at the top of the stack the strict metatable (see
 * strict_index). */
static void set_strict(lua_State *L, const char *name, const char *fields)
{
  push_strict_mt(L, name, fields);
  lua_setmetatable(L, -2);
}

#define MONTH_FIELDS "fields: name first last through"

/* __index of alerts.rules: nil for a rule id that a rule declares or emits
 * (it has no open alert), the row's error for any other text (a misspelt
 * id), as for a pick's pool. */
static int rules_index(lua_State *L)
{
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  const cp_rules *api = cp_api_of(L);
  const char *k = lua_tostring(L, 2);
  if (cp_rules_reports(api, k, 0))
    return 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t n = 0;
  for (size_t r = 0; r < api->n_rules; r++)
    for (const char *const *id = api->rules[r].ids; *id; id++, n++)
      if (n < 20) {
        luaL_addstring(&b, n ? ", '" : "'");
        luaL_addstring(&b, *id);
        luaL_addchar(&b, '\'');
      }
  char more[48];
  snprintf(more, sizeof more, " and %zu more", n - 20);
  luaL_addstring(&b, n > 20 ? more : n == 0 ? "none" : "");
  luaL_pushresult(&b);
  return luaL_error(L, "alerts.rules: no rule '%s' is declared (rules: %s)", k,
                    lua_tostring(L, -1));
}

/* Pushes the metatable of the alerts argument (made once), and below it
 * the one of alerts.rules. */
static void push_alerts_mts(lua_State *L)
{
  if (lua_getfield(L, LUA_REGISTRYINDEX, RULES_MT_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, rules_index);
    lua_setfield(L, -2, "__index");
    cp_freeze_protect(L, -1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, RULES_MT_KEY);
  }
  if (lua_getfield(L, LUA_REGISTRYINDEX, ALERTS_MT_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    push_strict_mt(L, "alerts", "fields: info warning critical rules");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, ALERTS_MT_KEY);
  }
}

/* What the month table is built from. */
typedef struct month_ctx {
  const cp_rmonth *m;       /* the month M */
  int64_t as_of;            /* the as-of day of the facts */
} month_ctx;

/* Pushes {name=, first=, last=, through=} for month m: through is the day
 * of m as far into it as `days` after its first day go (its last day at
 * most). */
static void push_month(lua_State *L, const cp_rmonth *m, int64_t days)
{
  lua_createtable(L, 0, 4);
  lua_pushstring(L, m->name);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, m->first);
  lua_setfield(L, -2, "first");
  lua_pushinteger(L, m->last);
  lua_setfield(L, -2, "last");
  lua_pushinteger(L, m->first + days < m->last ? m->first + days : m->last);
  lua_setfield(L, -2, "through");
}

/* Sets field name of the table at -2 to month M shifted by `shift`: through
 * as many days as M is while M is in progress (days >= 0), else whole
 * (days < 0: a finished month compares with the whole other month, whose
 * length differs). */
static void set_shifted(lua_State *L, const cp_rmonth *m, int shift, int64_t days,
                        const char *name)
{
  cp_rmonth other;
  cp_reportdef_month(m->first, shift, &other);
  push_month(L, &other, days >= 0 ? days : other.last - other.first);
  char full[32];
  snprintf(full, sizeof full, "month.%s", name);
  set_strict(L, full, MONTH_FIELDS);
  lua_setfield(L, -2, name);
}

void cp_reportdef_month(int64_t day, int shift, cp_rmonth *m)
{
  int64_t y;
  unsigned mo, d;
  cp_dates_civil_from_days(day, &y, &mo, &d);
  int64_t k = y * 12 + (int64_t)mo - 1 + shift;
  int64_t ny = k >= 0 ? k / 12 : (k - 11) / 12;
  unsigned nm = (unsigned)(k - ny * 12) + 1;
  m->first = cp_dates_days_from_civil(ny, nm, 1);
  m->last = cp_dates_days_from_civil(nm == 12 ? ny + 1 : ny, nm == 12 ? 1 : nm + 1, 1) - 1;
  snprintf(m->name, sizeof m->name, "%04d-%02u", (int)ny, nm);
}

/* Builds the month table (see cp_reportdef_set_month) in protected mode. */
static int build_month(lua_State *L)
{
  const month_ctx *x = lua_touserdata(L, 1);
  const cp_rmonth *m = x->m;
  int64_t days = (x->as_of < m->last ? x->as_of : m->last) - m->first;
  cp_rmonth other;
  push_month(L, m, days);
  lua_pushboolean(L, x->as_of < m->last);
  lua_setfield(L, -2, "in_progress");
  int in_progress = x->as_of < m->last;
  set_shifted(L, m, -1, in_progress ? days : -1, "prev");
  set_shifted(L, m, -12, in_progress ? days : -1, "year_ago");
  lua_createtable(L, CP_REPORT_MONTHS, 0);
  for (int i = 0; i < CP_REPORT_MONTHS; i++) {
    cp_reportdef_month(m->first, i - (CP_REPORT_MONTHS - 1), &other);
    push_month(L, &other, i == CP_REPORT_MONTHS - 1 ? days : other.last - other.first);
    char name[32];
    snprintf(name, sizeof name, "month.series[%d]", i + 1);
    set_strict(L, name, MONTH_FIELDS);
    lua_rawseti(L, -2, i + 1);
  }
  char list[96];
  snprintf(list, sizeof list, "it is a list of %d months, month.series[1] to month.series[%d]",
           CP_REPORT_MONTHS, CP_REPORT_MONTHS);
  set_strict(L, "month.series", list);
  lua_setfield(L, -2, "series");
  set_strict(L, "month", MONTH_FIELDS " in_progress prev year_ago series");
  cp_freeze(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, MONTH_KEY);
  return 0;
}

cp_err cp_reportdef_set_month(cp_rules *api, const cp_rmonth *m, int64_t as_of)
{
  lua_State *L = api->L;
  month_ctx x = {m, as_of};
  lua_pushcfunction(L, build_month);
  lua_pushlightuserdata(L, &x);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    lua_pop(L, 1);
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  }
  return CP_OK;
}

/* What a protected conversion of a row needs. */
typedef struct convert_ctx {
  const cp_report_def *d;   /* the columns */
  cp_rrow *row;             /* where the values go */
} convert_ctx;

/* Checks value v (at the top of the stack) of column c into cell. */
static void convert_cell(lua_State *L, const cp_report_def *d, const cp_rcolumn *c,
                         cp_rcell *cell)
{
  int t = lua_type(L, -1), ok = 0;
  cell->nil = t == LUA_TNIL;
  if (cell->nil)
    return;
  if (c->type == CP_RT_TEXT && t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    cp_sbuf_clear(&cell->s);
    cp_sbuf_addn(&cell->s, s, n);
    if (cell->s.oom)
      cp_sandbox_nomem(L);
    ok = 1;
  } else if (t == LUA_TNUMBER && (c->type == CP_RT_PERCENT || c->type == CP_RT_CHANGE)) {
    cell->r = lua_tonumber(L, -1);
    if (!(fabs(cell->r) <= CP_REPORT_FRACTION_MAX))   /* NaN too; 1e308 showed "inf%" */
      luaL_error(L, "%s: column '%s' (%s) got %s: a %s cell is a fraction (0.25 for 25.00%%) "
                 "at most %I in size", d->where, c->id, cp_reportdef_type_names[c->type],
                 isnan(cell->r) ? "NaN" : luaL_tolstring(L, -1, NULL),
                 cp_reportdef_type_names[c->type], (lua_Integer)CP_REPORT_FRACTION_MAX);
    ok = 1;
  } else if (t == LUA_TNUMBER && c->type != CP_RT_TEXT) {
    cell->i = lua_tointegerx(L, -1, &ok);
    if (ok && c->type == CP_RT_DATE && !cp_dates_day_ok(cell->i))
      luaL_error(L, "%s: column '%s' (date) got %I, not a day from 0000-01-01 to 9999-12-31",
                 d->where, c->id, (lua_Integer)cell->i);
  }
  if (!ok && t == LUA_TNUMBER)   /* 0/0 reads "-nan" or "nan" by the C library: NaN */
    luaL_error(L, "%s: column '%s' (%s) got %s", d->where, c->id, cp_reportdef_type_names[c->type],
               lua_tonumber(L, -1) != lua_tonumber(L, -1) ? "NaN"
                                                          : luaL_tolstring(L, -1, NULL));
  if (!ok)
    luaL_error(L, "%s: column '%s' (%s) got a %s", d->where, c->id, cp_reportdef_type_names[c->type],
               luaL_typename(L, -1));
}

/* Checks a row's series (at the top of the stack) into row. */
static void convert_series(lua_State *L, const cp_report_def *d, cp_rrow *row)
{
  int s = lua_gettop(L), ok = lua_istable(L, s);
  see_through(L, s);
  row->has_series = !lua_isnil(L, s);
  if (!row->has_series)
    return;
  if (!d->series_title)
    luaL_error(L, "%s: the row gives a series, but report{} declares none", d->where);
  if (ok) {
    only_keys(L, s, lua_pushfstring(L, "%s: the row's series", d->where), "group values");
    lua_pop(L, 1);
    lua_pushliteral(L, "group");
    ok = lua_rawget(L, s) == LUA_TSTRING && lua_rawlen(L, -1) > 0;
    if (ok && memchr(lua_tostring(L, -1), '\0', lua_rawlen(L, -1)))   /* cut, two would merge */
      luaL_error(L, "%s: a row's series group holds a NUL byte", d->where);
  }
  if (ok) {
    cp_sbuf_clear(&row->group);
    cp_sbuf_addn(&row->group, lua_tostring(L, -1), lua_rawlen(L, -1));
    lua_pushliteral(L, "values");
    if (lua_rawget(L, s) == LUA_TTABLE)
      see_through(L, -1);
    ok = lua_istable(L, -1) && lua_rawlen(L, -1) == CP_REPORT_MONTHS;
  }
  for (int i = 0; ok && i < CP_REPORT_MONTHS; i++) {
    ok = lua_rawgeti(L, -1, i + 1) == LUA_TNUMBER &&
         fabs(lua_tonumber(L, -1)) <= CP_REPORT_SERIES_MAX;   /* NaN fails too */
    row->values[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  if (!ok)
    luaL_error(L, "%s: a row's series must be {group = name, values = {%d numbers, oldest "
               "month first, each at most %I in size}}", d->where, CP_REPORT_MONTHS,
               (lua_Integer)CP_REPORT_SERIES_MAX);
  if (row->group.oom)
    cp_sandbox_nomem(L);
  lua_settop(L, s);
}

/* What one protected row computation needs. */
typedef struct row_ctx {
  const cp_report_def *d;           /* the report */
  cp_rrow *row;                     /* where the values go */
  const uint64_t *alerts;           /* the client's open alerts, by severity */
  const cp_ralerts *by_rule;        /* ... by rule and severity */
  size_t n_rules;                   /* their number */
} row_ctx;

/* Checks the row table (at index t) against the columns into x->row. */
static void convert_row(lua_State *L, const row_ctx *x, int t)
{
  const cp_report_def *d = x->d;
  if (!lua_istable(L, t))
    luaL_error(L, "%s: the row function returned %s, not a table", d->where,
               luaL_typename(L, t));
  see_through(L, t);   /* a derived value, say: read as the table behind it */
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    size_t j = 0;
    while (k && j < d->n_columns && strcmp(d->columns[j].id, k) != 0)
      j++;
    if (!k || (j == d->n_columns && strcmp(k, "series") != 0))
      luaL_error(L, "%s: the row has a value for '%s', which is not a declared column",
                 d->where, luaL_tolstring(L, -1, NULL));
  }
  for (size_t j = 0; j < d->n_columns; j++) {
    lua_pushstring(L, d->columns[j].id);
    lua_rawget(L, t);
    convert_cell(L, d, &d->columns[j], &x->row->cells[j]);
    lua_pop(L, 1);
  }
  lua_pushliteral(L, "series");
  lua_rawget(L, t);
  convert_series(L, d, x->row);
  lua_pop(L, 1);
}

/* Calls the scope function at the top of the stack (nil: everyone) on the
 * client at index 2; returns whether the client is in scope. */
static int call_scope(lua_State *L)
{
  if (lua_isnil(L, -1))
    return lua_pop(L, 1), 1;
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  int yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

/* (ctx) -> whether the client is in scope; fills ctx's row when it is. */
static int l_row(lua_State *L)
{
  const row_ctx *x = lua_touserdata(L, 1);
  cp_rules *api = cp_api_of(L);
  cp_client_push(api);                              /* 2: the client */
  lua_getfield(L, LUA_REGISTRYINDEX, REPORT_KEY);   /* 3: the declaration */
  lua_getfield(L, 3, "scope");
  if (api->scope_ref == LUA_NOREF)
    lua_pushnil(L);
  else
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->scope_ref);
  if (!call_scope(L) || !call_scope(L))   /* the policy's scope, then the report's */
    return lua_pushboolean(L, 0), 1;
  lua_getfield(L, 3, "row");
  lua_pushvalue(L, 2);
  lua_getfield(L, LUA_REGISTRYINDEX, MONTH_KEY);
  push_alerts_mts(L);                               /* the metatables of alerts.rules, alerts */
  lua_createtable(L, 0, CP_SEVERITIES + 1);
  lua_insert(L, -2);
  lua_setmetatable(L, -2);   /* a misspelt alerts.critcal is an error, not an empty column */
  for (int i = 0; i < CP_SEVERITIES; i++) {
    lua_pushinteger(L, (lua_Integer)x->alerts[i]);
    lua_setfield(L, -2, cp_outcome_severity_names[i]);
  }
  lua_createtable(L, 0, (int)x->n_rules);   /* alerts.rules[rule id]: its open alerts */
  for (size_t k = 0; k < x->n_rules; k++) {
    uint64_t n = 0;
    for (int i = 0; i < CP_SEVERITIES; i++)
      n += x->by_rule[k].n[i];
    if (n) {
      lua_pushinteger(L, (lua_Integer)n);
      lua_setfield(L, -2, x->by_rule[k].rule);
    }
  }
  lua_pushvalue(L, -3);   /* the metatable of alerts.rules */
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "rules");
  lua_remove(L, -2);   /* the metatable of alerts.rules: row(c, month, alerts) */
  lua_call(L, 3, 1);
  convert_row(L, x, lua_gettop(L));
  return lua_pushboolean(L, 1), 1;
}

int cp_reportdef_row(cp_rules *api, const cp_report_def *d, const cp_client *c,
                  const uint64_t alerts[CP_SEVERITIES], const cp_ralerts *by_rule,
                  size_t n_rules, cp_rrow *row, sbuf *err)
{
  lua_State *L = api->L;
  int top = lua_gettop(L), got;
  row_ctx x = {d, row, alerts, by_rule, n_rules};
  cp_sbuf_clear(err);
  if (!row->cells && !(row->cells = calloc(d->n_columns, sizeof *row->cells))) {
    cp_sbuf_printf(err, "out of memory (report %s, client %s)", d->id, c->id);
    return -1;
  }
  row->n_cells = d->n_columns;
  if (api->report_last) {   /* as a run skips a rule: each call would spend its budget */
    cp_sbuf_printf(err, "report %s: the row is no longer computed: it ran out of its budget or "
                   "memory for 100 clients in a row, the last %s (report %s, client %s)",
                   d->id, api->report_last, d->id, c->id);
    return -1;
  }
  if (c->over) {   /* its rows were not all held: a row from a part of them would be wrong */
    cp_sbuf_printf(err, "%.*s: its row is not computed from a part of its rows (report %s, "
                   "client %s)", c->over_why, c->over, d->id, c->id);
    return -1;
  }
  api->client = c;
  api->gen++;
  lua_pushcfunction(L, l_row);
  lua_pushlightuserdata(L, &x);
  cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
  int status = cp_sandbox_call(api->sb, 1, 1);
  int spent = status == LUA_ERRMEM || (status != LUA_OK && cp_sandbox_tripped(api->sb));
  api->report_spent = spent ? api->report_spent + 1 : 0;
  if (status != LUA_OK) {
    cp_sbuf_printf(err, "%s (report %s, client %s)", lua_tostring(L, -2), d->id, c->id);
    got = -1;
    if (api->report_spent == 100 && (api->report_last = strdup(c->id))) {
      cp_sbuf_add(err, "; it ran out of its budget or memory for 100 clients in a row, so no "
                  "later client's row is computed (each fails)");
      got = -2;
    }
  } else {
    got = lua_toboolean(L, -1);
  }
  lua_settop(L, top);
  cp_client_end(api);
  api->client = NULL;
  return got;
}

void cp_reportdef_row_free(cp_rrow *row)
{
  for (size_t j = 0; row->cells && j < row->n_cells; j++)
    cp_sbuf_free(&row->cells[j].s);
  free(row->cells);
  cp_sbuf_free(&row->group);
  row->cells = NULL;
  row->n_cells = 0;
}
