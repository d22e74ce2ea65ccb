/* dtlib.c: the `dt` table: dates and times for rules, computed in C from the
 * engine's as-of time (never the wall clock). Dates are epoch days, times are
 * epoch seconds, as fact columns of those types read. */
#include <lauxlib.h>

#include "api.h"
#include "dates.h"

/* Returns the integer argument i, raising an error naming what it should be. */
static int64_t arg_int(lua_State *L, int i, const char *what)
{
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, i, &ok);
  if (!ok)
    luaL_error(L, "bad argument #%d: %s expected, got %s", i, what, luaL_typename(L, i));
  return v;
}

/* Dates and times that rules may pass: years 0000 to 9999, which format as
 * YYYY-MM-DD and keep every computation below far from int64 overflow. */
#define DAY_MIN INT64_C(-719528)          /* 0000-01-01 */
#define DAY_MAX INT64_C(2932896)            /* 9999-12-31 */

/* Returns argument i as a day in range, raising an error otherwise. */
static int64_t arg_day(lua_State *L, int i)
{
  int64_t d = arg_int(L, i, "a date (epoch day)");
  if (d < DAY_MIN || d > DAY_MAX)
    luaL_error(L, "bad argument #%d: day %I is out of range (0000-01-01 to 9999-12-31)", i,
               (lua_Integer)d);
  return d;
}

/* Returns argument i as a time in range, raising an error otherwise. */
static int64_t arg_time(lua_State *L, int i)
{
  int64_t t = arg_int(L, i, "a timestamp (epoch seconds)");
  if (t < DAY_MIN * CP_DAY_SECONDS || t > DAY_MAX * CP_DAY_SECONDS + CP_DAY_SECONDS - 1)
    luaL_error(L, "bad argument #%d: time %I is out of range (0000-01-01 to 9999-12-31)", i,
               (lua_Integer)t);
  return t;
}

/* dt.age_days(day): whole days from day to the as-of date. */
static int dt_age_days(lua_State *L)
{
  lua_pushinteger(L, cp_api_of(L)->as_of - arg_day(L, 1));
  return 1;
}

/* dt.hours_since(time): hours from time to the as-of time, fractional. */
static int dt_hours_since(lua_State *L)
{
  int64_t t = arg_time(L, 1);
  lua_pushnumber(L, (lua_Number)(cp_api_of(L)->now - t) / 3600.0);
  return 1;
}

/* dt.in_last_days(day, n): D - n < day <= D; false for nil. */
static int dt_in_last_days(lua_State *L)
{
  if (lua_isnil(L, 1))
    return lua_pushboolean(L, 0), 1;
  int64_t d = arg_day(L, 1), n = arg_int(L, 2, "a number of days");
  if (n < DAY_MIN - DAY_MAX || n > DAY_MAX - DAY_MIN)
    return luaL_error(L, "bad argument #2: %I days is out of range", (lua_Integer)n);
  int64_t today = cp_api_of(L)->as_of;
  lua_pushboolean(L, today - n < d && d <= today);
  return 1;
}

/* dt.day(time): the date of a timestamp. */
static int dt_day(lua_State *L)
{
  lua_pushinteger(L, cp_day_of(arg_time(L, 1)));
  return 1;
}

/* dt.start(day): the timestamp of 00:00:00 on day. */
static int dt_start(lua_State *L)
{
  lua_pushinteger(L, arg_day(L, 1) * CP_DAY_SECONDS);
  return 1;
}

/* dt.format(day) -> "YYYY-MM-DD"; nil stays nil. */
static int dt_format(lua_State *L)
{
  char buf[16];
  if (lua_isnil(L, 1))
    return lua_pushnil(L), 1;
  cp_format_date(arg_day(L, 1), buf);
  lua_pushstring(L, buf);
  return 1;
}

/* dt.format_time(time) -> "YYYY-MM-DDTHH:MM:SS"; nil stays nil. */
static int dt_format_time(lua_State *L)
{
  char buf[24];
  if (lua_isnil(L, 1))
    return lua_pushnil(L), 1;
  cp_format_timestamp(arg_time(L, 1), buf);
  lua_pushstring(L, buf);
  return 1;
}

/* dt.date("YYYY-MM-DD") -> day, or nil when it is not a date. */
static int dt_date(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int64_t d;
  if (cp_parse_date(s, len, &d) < 0)
    return lua_pushnil(L), 1;
  lua_pushinteger(L, d);
  return 1;
}

/* dt.time("YYYY-MM-DDTHH:MM:SS") -> seconds, or nil when malformed. */
static int dt_time(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int64_t t;
  if (cp_parse_timestamp(s, len, &t) < 0)
    return lua_pushnil(L), 1;
  lua_pushinteger(L, t);
  return 1;
}

/* dt.month(day) -> "YYYY-MM". */
static int dt_month(lua_State *L)
{
  char buf[16];
  cp_format_date(arg_day(L, 1), buf);
  lua_pushlstring(L, buf, 7);
  return 1;
}

/* os.time(): the as-of time, so that rules never see the wall clock. */
static int os_time(lua_State *L)
{
  if (!lua_isnoneornil(L, 1))
    return luaL_error(L, "os.time() takes no argument in rules; use dt.date() or dt.time()");
  lua_pushinteger(L, cp_api_of(L)->now);
  return 1;
}

void cp_dt_register(cp_api *api)
{
  static const luaL_Reg fns[] = {
    {"age_days", dt_age_days}, {"hours_since", dt_hours_since},
    {"in_last_days", dt_in_last_days}, {"day", dt_day}, {"start", dt_start},
    {"format", dt_format}, {"format_time", dt_format_time}, {"date", dt_date},
    {"time", dt_time}, {"month", dt_month}, {NULL, NULL}};
  lua_State *L = api->L;
  cp_sandbox_env(api->sb);
  luaL_newlib(L, fns);
  lua_pushinteger(L, api->as_of);
  lua_setfield(L, -2, "today");
  lua_pushinteger(L, api->now);
  lua_setfield(L, -2, "now");
  lua_pushinteger(L, CP_DAY_SECONDS);
  lua_setfield(L, -2, "DAY");
  lua_pushinteger(L, 3600);
  lua_setfield(L, -2, "HOUR");
  cp_freeze(L, -1);
  lua_setfield(L, -3, "dt");
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, os_time);
  lua_setfield(L, -2, "time");
  cp_freeze(L, -1);
  lua_setfield(L, -3, "os");
  lua_pop(L, 2);
}
