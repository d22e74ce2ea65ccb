/* fuzz_dtlib.c: libFuzzer harness of the `dt` table as rules call it: any
 * integers, passed to any dt function, give a value or a Lua error, never
 * undefined behaviour; a date or time that dt formats parses back. */
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dates.h"
#include "sandbox.h"

static const char *const fns[] = {"age_days", "hours_since", "in_last_days", "day", "start",
                                  "format", "format_time", "month", "ymd", "add_months",
                                  "add_years", "weekday", "age_years", "next_anniversary",
                                  "next_of"};
#define NFNS (sizeof fns / sizeof fns[0])

static cp_sandbox *sb;     /* one state for the whole run */
static cp_rules api;         /* what dtlib reads: the sandbox and the as-of time */

/* Stops the run with a message: libFuzzer keeps the input as a crash. */
static void broken(const char *what, const char *fn, long long a)
{
  fprintf(stderr, "fuzz_dtlib: dt.%s(%lld): %s\n", fn, a, what);
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc, (void)argv;
  sb = cp_sandbox_open(16u << 20);
  if (!sb)
    abort();
  api.sb = sb;
  api.L = cp_sandbox_state(sb);
  api.as_of = cp_dates_days_from_civil(2026, 11, 15);
  api.now = api.as_of * CP_DAY_SECONDS + CP_DAY_SECONDS - 1;
  cp_sandbox_set_user(sb, &api);
  cp_sandbox_env(sb);
  cp_dtlib_push(&api);
  lua_setfield(api.L, -2, "dt");
  lua_pop(api.L, 1);
  return 0;
}

/* Reads 8 bytes (fewer at the end: zero-filled) as an integer. */
static int64_t take(const uint8_t **p, size_t *n)
{
  uint64_t v = 0;
  size_t k = *n < 8 ? *n : 8;
  memcpy(&v, *p, k);
  *p += k;
  *n -= k;
  return (int64_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  lua_State *L = api.L;
  if (size < 1)
    return 0;
  const char *fn = fns[data[0] % NFNS];
  data++, size--;
  int64_t a = take(&data, &size), b = take(&data, &size);
  cp_sandbox_env(sb);
  lua_getfield(L, -1, "dt");
  lua_getfield(L, -1, fn);
  lua_pushinteger(L, a);
  lua_pushinteger(L, b);
  if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
    const char *s = lua_tostring(L, -1);
    size_t len = strlen(s);
    int64_t back;
    if (!strcmp(fn, "format") && (cp_dates_parse_date(s, len, &back) != 0 || back != a))
      broken("formats to text that does not parse back to it", fn, (long long)a);
    if (!strcmp(fn, "format_time") && (cp_dates_parse_timestamp(s, len, &back) != 0 || back != a))
      broken("formats to text that does not parse back to it", fn, (long long)a);
  }
  lua_settop(L, 0);
  return 0;
}
