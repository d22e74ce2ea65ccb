/* sblib.c: the standard library as rules get it. A library function whose
 * work grows with its arguments (string.rep, table.move, patterns ...) runs
 * in C, where the count hook cannot see it: its wrapper charges the budget
 * for that work before calling the original, which refuses it when it would
 * pass the budget. The functions that catch errors (pcall, xpcall,
 * coroutine.resume/wrap/close) re-raise a spent budget when they return, and
 * coroutines get the budget hook whenever they are resumed. */
#include "sblib.h"

#include <lauxlib.h>
#include <string.h>

#include "sandbox.h"

#define BYTES_PER_UNIT 16    /* bytes copied or scanned per instruction charged */
#define STEPS_PER_UNIT 64    /* worst-case pattern steps per instruction charged
                              * (the worst case is seldom reached in full) */

/* a + b, saturating. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* a * b, saturating. */
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
  return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Length of argument i when it is a string, else 0. */
static size_t str_len(lua_State *L, int i)
{
  return lua_type(L, i) == LUA_TSTRING ? lua_rawlen(L, i) : 0;
}

/* Returns 1 when msg starts with a place ("rules/x.lua:12: "). */
static int has_place(const char *msg)
{
  const char *p = strchr(msg, ':');
  if (!p || p == msg || p[1] < '0' || p[1] > '9')
    return 0;
  for (p++; *p >= '0' && *p <= '9'; p++)
    ;
  return *p == ':';
}

/* Raises again the error (status, object on top) of a function that a
 * wrapper called, with the place of the rule's line when it has none; a
 * memory error stays one; a spent budget is raised instead. */
static int raise_placed(lua_State *L, int status)
{
  cp_sandbox_recheck(L);   /* a spent budget is what happened, here */
  if (status == LUA_ERRMEM)   /* the heap is full: asking for more raises it again */
    lua_newuserdatauv(L, (size_t)1 << 62, 0);
  if (lua_type(L, -1) == LUA_TSTRING && !has_place(lua_tostring(L, -1))) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* Calls the original function (upvalue 1) with the arguments on the stack
 * and returns all its results. An error it raises itself is given the place
 * of the rule's line, as it would have had when called from Lua directly; a
 * memory error stays one. */
static int call_original(lua_State *L)
{
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  int status = lua_pcall(L, n, LUA_MULTRET, 0);
  return status == LUA_OK ? lua_gettop(L) : raise_placed(L, status);
}

/* Charges units, then calls the original. */
static int charged(lua_State *L, uint64_t units)
{
  cp_sandbox_charge(L, units);
  return call_original(L);
}

/* Converts a relative string position (negative: from the end) to 1-based. */
static lua_Integer pos_in(lua_Integer pos, size_t len)
{
  if (pos >= 0)
    return pos;
  if (pos < -(lua_Integer)len)   /* also math.mininteger, which has no negation */
    return 0;
  return (lua_Integer)len + pos + 1;
}

/* Work proportional to the length of the string argument 1. */
static int w_scan(lua_State *L)
{
  size_t len;
  luaL_checklstring(L, 1, &len);
  return charged(L, 1 + len / BYTES_PER_UNIT);
}

/* Work proportional to the number of arguments. */
static int w_args(lua_State *L)
{
  return charged(L, (uint64_t)lua_gettop(L));
}

/* string.rep(s, n, sep): n repetitions (even of ""; a few bytes copied
 * each), and their bytes. */
static int w_rep(lua_State *L)
{
  size_t len, lsep;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0)
    return call_original(L);
  uint64_t bytes = sat_mul((uint64_t)n, sat_add(len, lsep));
  return charged(L, sat_add((uint64_t)n / 4, bytes / BYTES_PER_UNIT));
}

/* string.format(fmt, ...) and string.pack(fmt, ...): the format and the
 * strings it copies (the output's allocation is charged by the heap). */
static int w_format(lua_State *L)
{
  size_t len;
  luaL_checklstring(L, 1, &len);
  uint64_t bytes = len;
  for (int i = 2; i <= lua_gettop(L); i++)
    bytes += str_len(L, i);
  return charged(L, (uint64_t)lua_gettop(L) + bytes / BYTES_PER_UNIT);
}

/* Raises an error when a call returned more than CP_SBLIB_MAX_RESULTS values. */
static int bounded_results(lua_State *L, int n)
{
  if (n > CP_SBLIB_MAX_RESULTS)
    return luaL_error(L, "too many results (%d; at most %d)", n, CP_SBLIB_MAX_RESULTS);
  return n;
}

/* string.byte(s, i, j) and utf8.codepoint(s, i, j): a value per byte or
 * character of s[i..j], at most CP_SBLIB_MAX_RESULTS. */
static int w_bytes(lua_State *L)
{
  size_t len;
  luaL_checklstring(L, 1, &len);
  lua_Integer i = pos_in(luaL_optinteger(L, 2, 1), len);
  lua_Integer j = pos_in(luaL_optinteger(L, 3, i), len);
  if (i < 1)
    i = 1;
  if (j > (lua_Integer)len)
    j = (lua_Integer)len;
  uint64_t n = j >= i ? (uint64_t)(j - i) + 1 : 0;
  if (n > CP_SBLIB_MAX_RESULTS)
    return luaL_error(L, "too many results (%d; at most %d)", (int)(n > 1u << 30 ? 1u << 30 : n),
                      CP_SBLIB_MAX_RESULTS);
  cp_sandbox_charge(L, n);
  return bounded_results(L, call_original(L));
}

/* string.unpack(fmt, s, pos): a value per item of the format. */
static int w_unpack_str(lua_State *L)
{
  size_t len;
  luaL_checklstring(L, 1, &len);
  cp_sandbox_charge(L, 1 + len);
  return bounded_results(L, call_original(L));
}

/* The arithmetic metamethods of strings ("10" + 1): converting a string to
 * a number reads all of it. */
static int w_arith(lua_State *L)
{
  return charged(L, 1 + (str_len(L, 1) + str_len(L, 2)) / BYTES_PER_UNIT);
}

/* tonumber(v, base): reads all of a string. */
static int w_tonumber(lua_State *L)
{
  return charged(L, 1 + str_len(L, 1) / BYTES_PER_UNIT);
}

/* Worst-case steps of Lua's matcher for pattern p (plen bytes) on a subject
 * of len bytes. Each repetition (* + -) that something follows multiplies
 * by len + 1 (backtracking tries every count), as do %b and back-references;
 * ? doubles; a search that is not anchored by a leading ^ (anchor: the
 * function honours one) retries at every start position; and each attempt
 * compares up to min(plen, len) + 1 characters (a literal needle of 800 KB
 * in 1.6 MB: every start compares the needle). */
/* The characters one attempt of a match may compare: the needle's, but
 * never more than the subject has, and one. */
static uint64_t compared(size_t plen, size_t len)
{
  return (uint64_t)(plen < len ? plen : len) + 1;
}

static uint64_t pattern_steps(const char *p, size_t plen, size_t len, int anchor)
{
  uint64_t per = 1, l1 = (uint64_t)len + 1;
  int anchored = anchor && plen && p[0] == '^', special = anchored;
  for (size_t i = anchored; i < plen;) {
    if (p[i] == '(' || p[i] == ')' || (p[i] == '$' && i + 1 == plen)) {
      special = 1;
      i++;
      continue;
    }
    if (p[i] == '%' && i + 1 < plen && (p[i + 1] == 'b' || (p[i + 1] >= '0' && p[i + 1] <= '9'))) {
      per = sat_mul(per, l1);
      special = 1;
      i += p[i + 1] == 'b' ? 4 : 2;
      continue;
    }
    if (p[i] == '%' && i + 1 < plen && p[i + 1] == 'f')
      i += 2;
    if (p[i] == '%') {
      i += 2;
      special = 1;
    } else if (p[i] == '[') {   /* a set: skip to its ']' (a first ']' is a member) */
      i += 1 + (i + 1 < plen && p[i + 1] == '^');
      for (i++; i < plen && p[i] != ']'; i++)
        i += p[i] == '%';
      i++;
      special = 1;
    } else {
      special |= p[i] == '.';
      i++;
    }
    if (i < plen && strchr("*+-?", p[i])) {
      size_t rest = ++i;
      while (rest < plen && p[rest] == ')')
        rest++;
      if (p[i - 1] == '?')
        per = sat_mul(per, 2);
      else if (rest < plen)   /* a last repetition scans once, without backtracking */
        per = sat_mul(per, l1);
      special = 1;
    }
  }
  uint64_t steps = sat_mul(anchored ? 1 : l1, per);
  return sat_mul(special ? sat_add(steps, l1) : l1, compared(plen, len));
}

/* string.find/match/gmatch/gsub(s, pattern, ...): charged for the worst
 * case of the pattern on s (upvalue 2: whether a leading ^ anchors; for
 * find, a 4th argument true asks for a plain search). */
static int w_pattern(lua_State *L)
{
  size_t len, plen;
  luaL_checklstring(L, 1, &len);
  const char *p = luaL_checklstring(L, 2, &plen);
  int plain = lua_toboolean(L, lua_upvalueindex(3)) && lua_toboolean(L, 4);
  uint64_t steps = plain ? sat_mul((uint64_t)len + 1, compared(plen, len))
                         : pattern_steps(p, plen, len, lua_toboolean(L, lua_upvalueindex(2)));
  return charged(L, 1 + steps / STEPS_PER_UNIT);
}

/* Returns 1 when the value at i is a table or has a __len metamethod. */
static int has_len(lua_State *L, int i)
{
  if (lua_type(L, i) == LUA_TTABLE)
    return 1;
  if (luaL_getmetafield(L, i, "__len") == LUA_TNIL)
    return 0;
  lua_pop(L, 1);
  return 1;
}

/* Returns #t for the table at i (-1 when it has no length: the original
 * will say so), raising an error when a __len metamethod
 * written in Lua would be asked (the original asks again: it could answer
 * more the second time than what was charged). */
static lua_Integer checked_len(lua_State *L, int i)
{
  if (!has_len(L, i))
    return -1;
  if (luaL_getmetafield(L, i, "__len") != LUA_TNIL) {
    int lua_len = !lua_iscfunction(L, -1);
    lua_pop(L, 1);
    if (lua_len)
      return luaL_error(L, "a table with a __len metamethod cannot be given to this function in "
                        "rules");
  }
  return luaL_len(L, i);
}

/* table.concat(t, sep, i, j): j - i + 1 items; #t is asked once. */
static int w_concat(lua_State *L)
{
  if (!has_len(L, 1))
    return call_original(L);
  luaL_optstring(L, 2, "");
  lua_Integer i = luaL_optinteger(L, 3, 1);
  lua_Integer j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
  lua_settop(L, 3);
  if (lua_isnil(L, 2)) {
    lua_pushliteral(L, "");
    lua_replace(L, 2);
  }
  lua_pushinteger(L, i);
  lua_replace(L, 3);
  lua_pushinteger(L, j);
  return charged(L, j >= i ? (uint64_t)j - (uint64_t)i + 1 : 0);
}

/* table.unpack(t, i, j): j - i + 1 values, at most CP_SBLIB_MAX_RESULTS. */
static int w_unpack(lua_State *L)
{
  if (!has_len(L, 1) && lua_isnoneornil(L, 3))
    return call_original(L);
  lua_Integer i = luaL_optinteger(L, 2, 1);
  lua_Integer j = lua_isnoneornil(L, 3) ? luaL_len(L, 1) : luaL_checkinteger(L, 3);
  uint64_t n = j >= i ? (uint64_t)j - (uint64_t)i + 1 : 0;
  if (n > CP_SBLIB_MAX_RESULTS)
    return luaL_error(L, "too many results to unpack (at most %d)", CP_SBLIB_MAX_RESULTS);
  lua_settop(L, 1);
  lua_pushinteger(L, i);
  lua_pushinteger(L, j);
  return charged(L, n);
}

/* table.insert(t, [pos,] v): the items after pos move up. */
static int w_insert(lua_State *L)
{
  lua_Integer n = checked_len(L, 1);
  lua_Integer pos = lua_gettop(L) == 3 ? luaL_checkinteger(L, 2) : n + 1;
  return charged(L, n >= pos && pos >= 1 ? (uint64_t)n - (uint64_t)pos + 2 : 1);
}

/* table.remove(t, pos): the items after pos move down. */
static int w_remove(lua_State *L)
{
  lua_Integer n = checked_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, n);
  return charged(L, n >= pos && pos >= 1 ? (uint64_t)n - (uint64_t)pos + 2 : 1);
}

/* table.move(a1, f, e, t, a2): e - f + 1 items. */
static int w_move(lua_State *L)
{
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
  return charged(L, e >= f ? (uint64_t)e - (uint64_t)f + 1 : 0);
}

/* table.sort(t, comp): n log n comparisons, each of up to the longest
 * string's bytes when the default order compares strings. */
static int w_sort(lua_State *L)
{
  lua_Integer n = checked_len(L, 1);
  if (n < 2)
    return call_original(L);   /* nothing to sort, or the original's error */
  uint64_t log2n = 1, longest = 0;
  while (((uint64_t)1 << log2n) < (uint64_t)n && log2n < 63)
    log2n++;
  if (lua_isnoneornil(L, 2) && lua_type(L, 1) == LUA_TTABLE) {
    cp_sandbox_charge(L, (uint64_t)n);
    for (lua_Integer i = 1; i <= n; i++) {
      if (lua_rawgeti(L, 1, i) == LUA_TSTRING && lua_rawlen(L, -1) > longest)
        longest = lua_rawlen(L, -1);
      lua_pop(L, 1);
    }
  }
  uint64_t per = 2 + longest / BYTES_PER_UNIT;
  return charged(L, sat_mul(sat_mul((uint64_t)n, log2n), per));
}

/* The iterator of utf8.codes (upvalue 1: the original): it first skips the
 * continuation bytes at the position it is given. */
static int w_codes_step(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Unsigned n = (lua_Unsigned)lua_tointeger(L, 2), k = n;
  while (k < len && ((unsigned char)s[k] & 0xC0) == 0x80)
    k++;
  return charged(L, 1 + (k - (n < k ? n : k)) / BYTES_PER_UNIT);
}

/* utf8.codes(s): the original's results, with its iterator charged. */
static int w_codes(lua_State *L)
{
  int n = call_original(L);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, w_codes_step, 1);
  lua_replace(L, 1);
  return n;
}

/* The continuation of w_catch: a budget spent in the call is raised again. */
static int catch_k(lua_State *L, int status, lua_KContext ctx)
{
  (void)status;
  (void)ctx;
  cp_sandbox_recheck(L);
  return lua_gettop(L);
}

/* pcall/xpcall (upvalue 1): they may catch any error but a spent budget.
 * Called with a continuation, so that a coroutine may yield inside. */
static int w_catch(lua_State *L)
{
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, catch_k);
  return catch_k(L, LUA_OK, 0);
}

/* An xpcall message handler (upvalue 1: the rule's). Lua calls it where the
 * error was raised, before unwinding; when that was the budget's hook, hooks
 * are off until the unwinding, so the rule's handler would run with no
 * budget and no wall-time backstop (a loop in it would never end). A spent
 * budget is what happened whatever the handler does (xpcall raises it again
 * once it returns): the error object is passed on, the handler not called. */
static int w_handler(lua_State *L)
{
  if (cp_sandbox_tripped(cp_sandbox_of(L)))
    return lua_gettop(L) ? 1 : (lua_pushnil(L), 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

/* xpcall(f, handler, ...) (upvalue 1): w_catch, with the handler guarded. */
static int w_xcatch(lua_State *L)
{
  if (lua_type(L, 2) == LUA_TFUNCTION) {   /* else xpcall's own error */
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, w_handler, 1);
    lua_replace(L, 2);
  }
  return w_catch(L);
}

/* coroutine.resume/close (upvalue 1): the coroutine gets the budget hook
 * first; a budget spent inside it is raised again in the caller. */
static int w_resume(lua_State *L)
{
  lua_State *co = lua_tothread(L, 1);
  lua_State *prev = co ? cp_sandbox_arm(L, co) : NULL;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (co)
    cp_sandbox_left(L, prev);
  return status == LUA_OK ? lua_gettop(L) : raise_placed(L, status);
}

/* The function coroutine.wrap returns (upvalue 1: the coroutine): resumes
 * it under the budget, returns what it yields or returns, raises its error. */
static int w_wrapped(lua_State *L)
{
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int n = lua_gettop(L), nres;
  if (!lua_checkstack(co, n + 1))
    return luaL_error(L, "too many arguments to resume");
  lua_xmove(L, co, n);
  lua_State *prev = cp_sandbox_arm(L, co);
  int status = lua_resume(co, L, n, &nres);
  cp_sandbox_left(L, prev);
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1))
      return luaL_error(L, "too many results to resume");
    lua_xmove(co, L, nres);
    return nres;
  }
  int st = lua_status(co);
  if (st != LUA_OK && st != LUA_YIELD)   /* it failed: close its pending variables */
    st = lua_resetthread(co);
  lua_xmove(co, L, 1);   /* the error */
  if (st != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* coroutine.wrap(f) */
static int w_wrap(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, w_wrapped, 1);
  return 1;
}

/* What replaces what: library, function name, wrapper. */
static const struct wrapper {
  const char *lib;          /* "_G", "string", ... or "string metatable" */
  const char *name;         /* function name in it */
  lua_CFunction fn;         /* the wrapper: upvalue 1 is the original */
} wrappers[] = {
  {"_G", "pcall", w_catch},          {"_G", "xpcall", w_xcatch},
  {"_G", "tonumber", w_tonumber},    {"string", "rep", w_rep},
  {"string", "format", w_format},    {"string", "pack", w_format},
  {"string", "byte", w_bytes},       {"string", "char", w_args},
  {"string", "upper", w_scan},       {"string", "lower", w_scan},
  {"string", "reverse", w_scan},     {"string", "packsize", w_scan},
  {"string", "unpack", w_unpack_str}, {"table", "concat", w_concat},
  {"table", "unpack", w_unpack},     {"table", "insert", w_insert},
  {"table", "remove", w_remove},     {"table", "move", w_move},
  {"table", "sort", w_sort},         {"utf8", "char", w_args},
  {"utf8", "codepoint", w_bytes},    {"utf8", "len", w_scan},
  {"utf8", "offset", w_scan},        {"utf8", "codes", w_codes},
  {"coroutine", "resume", w_resume}, {"coroutine", "close", w_resume},
  {"coroutine", "wrap", w_wrap},
  {"string metatable", "__add", w_arith}, {"string metatable", "__sub", w_arith},
  {"string metatable", "__mul", w_arith}, {"string metatable", "__div", w_arith},
  {"string metatable", "__mod", w_arith}, {"string metatable", "__pow", w_arith},
  {"string metatable", "__idiv", w_arith}, {"string metatable", "__unm", w_arith},
};

void cp_sblib_wrap(lua_State *L, const char *lib, int idx)
{
  static const char *const patterns[] = {"find", "match", "gmatch", "gsub"};
  idx = lua_absindex(L, idx);
  for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++) {
    if (strcmp(wrappers[i].lib, lib) != 0)
      continue;
    if (lua_getfield(L, idx, wrappers[i].name) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushcclosure(L, wrappers[i].fn, 1);
    lua_setfield(L, idx, wrappers[i].name);
  }
  for (size_t i = 0; strcmp(lib, "string") == 0 && i < 4; i++) {
    lua_getfield(L, idx, patterns[i]);
    lua_pushboolean(L, i != 2);   /* gmatch takes ^ as a character */
    lua_pushboolean(L, i == 0);   /* find has a plain mode */
    lua_pushcclosure(L, w_pattern, 3);
    lua_setfield(L, idx, patterns[i]);
  }
}
