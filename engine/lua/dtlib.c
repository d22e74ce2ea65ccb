/* dtlib.c: the `dt` table: dates and times for rules, computed in C from the
 * engine's as-of time (never the wall clock). Dates are epoch days, times are
 * epoch seconds, as fact columns of those types read. */
#include <lauxlib.h>
#include <string.h>

#include "api.h"
#include "dates.h"
#include "freeze.h"
#include "sandbox.h"

/* Raises "bad argument #i to 'name' (why)", naming the dt function as it
 * was called (dt.hours_since: 'hours_since'). */
#define ARG_ERROR(L, i, ...) luaL_argerror((L), (i), lua_pushfstring((L), __VA_ARGS__))

/* Returns the integer argument i, raising an error naming what it should be. */
static int64_t arg_int(lua_State *L, int i, const char *what)
{
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, i, &ok);
  if (!ok)
    ARG_ERROR(L, i, "%s expected, got %s", what, luaL_typename(L, i));
  return v;
}

/* Dates and times that rules may pass: years 0000 to 9999, which format as
 * YYYY-MM-DD and keep every computation below far from int64 overflow. */
#define DAY_MIN CP_DAY_MIN
#define DAY_MAX CP_DAY_MAX

/* Returns argument i as a day in range, raising an error otherwise (one
 * that asks whether it is a time when it reads as one of 1971 to 9999: a
 * timestamp read where a day was meant). */
static int64_t arg_day(lua_State *L, int i)
{
  int64_t d = arg_int(L, i, "a date (epoch day)");
  if (d >= 365 * CP_DAY_SECONDS && d < (DAY_MAX + 1) * CP_DAY_SECONDS)
    ARG_ERROR(L, i, "day %I is out of range (0000-01-01 to 9999-12-31): a time (epoch seconds)? "
              "of a time t, dt.day(t) is its day", (lua_Integer)d);
  if (d < DAY_MIN || d > DAY_MAX)
    ARG_ERROR(L, i, "day %I is out of range (0000-01-01 to 9999-12-31)", (lua_Integer)d);
  return d;
}

/* Returns argument i as a time in range, raising an error otherwise. A
 * number within the span of day numbers (1969-12-23 to 1970-02-03 read as
 * seconds), but 0, is a day where a time was meant (a date column, dt.today),
 * as a condition on a timestamp column says: it would read as January 1970. */
static int64_t arg_time(lua_State *L, int i)
{
  int64_t t = arg_int(L, i, "a timestamp (epoch seconds)");
  if (t < DAY_MIN * CP_DAY_SECONDS || t > DAY_MAX * CP_DAY_SECONDS + CP_DAY_SECONDS - 1)
    ARG_ERROR(L, i, "time %I is out of range (0000-01-01 to 9999-12-31)", (lua_Integer)t);
  if (t >= DAY_MIN && t <= DAY_MAX && t != 0)
    ARG_ERROR(L, i, "%I is a day number, not a time (epoch seconds; of a day d, dt.start(d) is "
              "its first second)", (lua_Integer)t);
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
    return ARG_ERROR(L, 2, "%I days is out of range", (lua_Integer)n);
  int64_t today = cp_api_of(L)->as_of;
  lua_pushboolean(L, today - n < d && d <= today);
  return 1;
}

/* dt.day(time): the date of a timestamp. */
static int dt_day(lua_State *L)
{
  lua_pushinteger(L, cp_dates_day_of(arg_time(L, 1)));
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
  cp_dates_format_date(arg_day(L, 1), buf);
  lua_pushstring(L, buf);
  return 1;
}

/* dt.format_time(time) -> "YYYY-MM-DDTHH:MM:SS"; nil stays nil. */
static int dt_format_time(lua_State *L)
{
  char buf[24];
  if (lua_isnil(L, 1))
    return lua_pushnil(L), 1;
  cp_dates_format_timestamp(arg_time(L, 1), buf);
  lua_pushstring(L, buf);
  return 1;
}

/* dt.date("YYYY-MM-DD") -> day, or nil when it is not a date; a timestamp
 * gives its day, as in a date column of the facts. */
static int dt_date(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int64_t d;
  if (len > 10 ? cp_dates_parse_timestamp(s, len, &d) < 0 : cp_dates_parse_date(s, len, &d) < 0)
    return lua_pushnil(L), 1;
  if (len > 10)
    d = cp_dates_day_of(d);
  lua_pushinteger(L, d);
  return 1;
}

/* dt.time("YYYY-MM-DDTHH:MM:SS") -> seconds, or nil when malformed. */
static int dt_time(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  int64_t t;
  if (cp_dates_parse_timestamp(s, len, &t) < 0)
    return lua_pushnil(L), 1;
  lua_pushinteger(L, t);
  return 1;
}

/* dt.month(day) -> "YYYY-MM". */
static int dt_month(lua_State *L)
{
  char buf[16];
  cp_dates_format_date(arg_day(L, 1), buf);
  lua_pushlstring(L, buf, 7);
  return 1;
}

/* Pushes day d, raising an error when a computation left the years 0000
 * to 9999. */
static int push_day(lua_State *L, int64_t d)
{
  if (d < DAY_MIN || d > DAY_MAX)
    return luaL_error(L, "the date is out of range (0000-01-01 to 9999-12-31)");
  lua_pushinteger(L, d);
  return 1;
}

/* Returns optional argument i as a day, the as-of date when absent. */
static int64_t opt_day(lua_State *L, int i)
{
  return lua_isnoneornil(L, i) ? cp_api_of(L)->as_of : arg_day(L, i);
}

/* dt.ymd(day) -> year, month, day of the month. */
static int dt_ymd(lua_State *L)
{
  int64_t y;
  unsigned m, d;
  cp_dates_civil_from_days(arg_day(L, 1), &y, &m, &d);
  lua_pushinteger(L, y);
  lua_pushinteger(L, m);
  lua_pushinteger(L, d);
  return 3;
}

/* dt.make(year, month, day) -> day; an error for a date that does not exist. */
static int dt_make(lua_State *L)
{
  int64_t y = arg_int(L, 1, "a year"), m = arg_int(L, 2, "a month");
  int64_t d = arg_int(L, 3, "a day of the month");
  if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > cp_dates_month_days(y, (unsigned)m))
    return luaL_error(L, "dt.make(%I, %I, %I): no such date", (lua_Integer)y, (lua_Integer)m,
                      (lua_Integer)d);
  lua_pushinteger(L, cp_dates_days_from_civil(y, (unsigned)m, (unsigned)d));
  return 1;
}

/* Returns argument i as a number of months within the calendar's span. */
static int64_t arg_months(lua_State *L, int i, int64_t per)
{
  int64_t n = arg_int(L, i, "a whole number");
  if (n < -120000 / per || n > 120000 / per)
    ARG_ERROR(L, i, "%I is out of range", (lua_Integer)n);
  return n * per;
}

/* dt.add_months(day, n): month ends clamped (31 Jan + 1 = 28/29 Feb). */
static int dt_add_months(lua_State *L)
{
  int64_t d = arg_day(L, 1);
  return push_day(L, cp_dates_add_months(d, arg_months(L, 2, 1)));
}

/* dt.add_years(day, n): 29 February + 1 year = 28 February. */
static int dt_add_years(lua_State *L)
{
  int64_t d = arg_day(L, 1);
  return push_day(L, cp_dates_add_months(d, arg_months(L, 2, 12)));
}

/* dt.weekday(day) -> 1 (Monday) .. 7 (Sunday). */
static int dt_weekday(lua_State *L)
{
  lua_pushinteger(L, cp_dates_weekday(arg_day(L, 1)));
  return 1;
}

/* dt.age_years(birth, on): whole years; on defaults to the as-of date. */
static int dt_age_years(lua_State *L)
{
  int64_t birth = arg_day(L, 1);
  lua_pushinteger(L, cp_dates_age_years(birth, opt_day(L, 2)));
  return 1;
}

/* dt.next_anniversary(day, from): the first on or after from (default D). */
static int dt_next_anniversary(lua_State *L)
{
  int64_t d = arg_day(L, 1);
  return push_day(L, cp_dates_next_anniversary(d, opt_day(L, 2)));
}

/* Parses "MM-DD" (a day of any year; 02-29 allowed) into a day of year
 * 2000, a leap year. Returns 0, or -1 when the text is not one. */
static int parse_month_day(const char *s, size_t len, int64_t *day)
{
  char buf[11] = "2000-";
  if (len != 5)
    return -1;
  memcpy(buf + 5, s, 5);
  return cp_dates_parse_date(buf, 10, day);
}

/* Pushes, and returns, text s of len bytes as an error message shows it:
 * a NUL byte as \0 (the text would end there, and '01-01\0x' read as the
 * valid '01-01'), and no more than its first 40 bytes. */
static const char *shown_text(lua_State *L, const char *s, size_t len)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < len && i < 40; i++)
    if (s[i])
      luaL_addchar(&b, s[i]);
    else
      luaL_addstring(&b, "\\0");
  if (len > 40)
    luaL_addstring(&b, "...");
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

/* Returns the next day on or after from that the value at idx names: a
 * day number, "YYYY-MM-DD", or "MM-DD" recurring every year; -1 when a
 * dated value is before from. Raises an error for anything else. */
static int64_t next_one(lua_State *L, int idx, int64_t from, const char *fn)
{
  size_t len;
  int64_t d;
  int ok = 0;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    d = lua_tointegerx(L, idx, &ok);
    if (!ok || d < DAY_MIN || d > DAY_MAX)
      luaL_error(L, "%s: %s is not a day number in range", fn, lua_tostring(L, idx));
    return d >= from ? d : -1;
  }
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (s && parse_month_day(s, len, &d) == 0)
    return cp_dates_next_anniversary(d, from);
  if (s && cp_dates_parse_date(s, len, &d) == 0)
    return d >= from ? d : -1;
  return luaL_error(L, "%s: '%s' is not a date: write \"MM-DD\" (every year), "
                    "\"YYYY-MM-DD\" or a day number", fn,
                    s ? shown_text(L, s, len) : luaL_typename(L, idx));
}

/* dt.recurring("MM-DD", from): the next such day on or after from (default
 * D); "02-29" falls on 28 February in common years. */
static int dt_recurring(lua_State *L)
{
  size_t len;
  int64_t d;
  const char *s = luaL_checklstring(L, 1, &len);
  if (parse_month_day(s, len, &d) < 0)
    return luaL_error(L, "dt.recurring: '%s' is not \"MM-DD\"", shown_text(L, s, len));
  return push_day(L, cp_dates_next_anniversary(d, opt_day(L, 2)));
}

/* dt.next_of(dates, from): the earliest of dates on or after from (default
 * D), or nil. dates is one value or a list of them: "MM-DD" (every year),
 * "YYYY-MM-DD" or a day number, as params hold holidays. A list is read
 * raw, as its items are: metamethods are not asked. */
static int dt_next_of(lua_State *L)
{
  int64_t from = opt_day(L, 2), best = -1;
  if (!lua_istable(L, 1)) {
    best = next_one(L, 1, from, "dt.next_of");
  } else {
    /* Read raw (through a params view): a __len or __index here would let a
     * loop in C run as long as a rule likes, where no budget counts. */
    int list = cp_freeze_behind(L, 1) ? lua_gettop(L) : 1;
    lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    cp_sandbox_charge(L, (uint64_t)n);   /* an item a step, as table.move: one instruction
                                          * called it, and a list kept in an upvalue is
                                          * walked at every call */
    for (lua_Integer k = 1; k <= n; k++) {
      lua_rawgeti(L, list, k);
      int64_t d = next_one(L, -1, from, "dt.next_of");
      lua_pop(L, 1);
      if (d >= 0 && (best < 0 || d < best))
        best = d;
    }
  }
  return best < 0 ? (lua_pushnil(L), 1) : push_day(L, best);
}

/* os.time(): the as-of time, so that rules never see the wall clock. */
static int os_time(lua_State *L)
{
  if (!lua_isnoneornil(L, 1))
    return luaL_error(L, "os.time() takes no argument in rules; use dt.date() or dt.time()");
  lua_pushinteger(L, cp_api_of(L)->now);
  return 1;
}

void cp_dtlib_push(cp_rules *api)
{
  static const luaL_Reg fns[] = {
    {"age_days", dt_age_days}, {"hours_since", dt_hours_since},
    {"in_last_days", dt_in_last_days}, {"day", dt_day}, {"start", dt_start},
    {"format", dt_format}, {"format_time", dt_format_time}, {"date", dt_date},
    {"time", dt_time}, {"month", dt_month}, {"ymd", dt_ymd}, {"make", dt_make},
    {"add_months", dt_add_months}, {"add_years", dt_add_years}, {"weekday", dt_weekday},
    {"age_years", dt_age_years}, {"next_anniversary", dt_next_anniversary},
    {"recurring", dt_recurring}, {"next_of", dt_next_of}, {NULL, NULL}};
  lua_State *L = api->L;
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
  lua_remove(L, -2);
}

void cp_dtlib_push_os(cp_rules *api)
{
  lua_State *L = api->L;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, os_time);
  lua_setfield(L, -2, "time");
  cp_freeze(L, -1);
  lua_remove(L, -2);
}
