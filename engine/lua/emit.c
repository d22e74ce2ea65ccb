/* emit.c: alert{}, assign{} and fulfilled{}: what a rule reports, checked
 * field by field and added to the client's outcome; `data` becomes canonical
 * JSON (sorted keys) so that an unchanged alert compares equal across runs. */
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "filter.h"
#include "sandbox.h"
#include "sensitive.h"
#include "show.h"
#include "sbuf.h"
#include "words.h"

#define MAX_DEPTH 32
#define MAX_DATA (1u << 20)   /* bytes of JSON one item's data may take */
#define SEEN_KEY "crmpolicy.seen"   /* registry: the reported (what, rule, key) */
#define SEEN_MIN 64                 /* slots of a fresh set */
#define REPORT_COST 16              /* instructions charged per report, plus its bytes / 16 */

/* Where the writer of `data` is: the step (a key, or an index of a list)
 * to each level from data down, and the table at each level, so that an
 * error names its place (data.orders[2].total) and a table met again on the
 * way down is told as a cycle, not as nesting too deep. */
typedef struct where {
  const char *key[MAX_DEPTH + 2];    /* the key of level d, NULL for an index */
  size_t keylen[MAX_DEPTH + 2];
  lua_Integer index[MAX_DEPTH + 2];
  const void *table[MAX_DEPTH + 2];  /* the table at level d (a view's, behind it) */
} where;

static int encode(lua_State *L, const char *fn, int idx, sbuf *b, where *w, int depth);

#define PATH_KEY_MAX 40   /* bytes of one key shown in a path; more are cut, with "..." */

/* Returns 1 when key (len bytes) can follow a dot: a Lua name. */
static int plain_name(const char *key, size_t len)
{
  if (!len || len > PATH_KEY_MAX || (key[0] >= '0' && key[0] <= '9'))
    return 0;
  for (size_t i = 0; i < len; i++)
    if (!(key[i] == '_' || (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
          (key[i] >= '0' && key[i] <= '9')))
      return 0;
  return 1;
}

/* Pushes the path of level depth, as a rule would write it: data, then
 * .name, ["other key"] or [index] for each level below (a long key cut). */
static void push_path(lua_State *L, const where *w, int depth)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "data");
  for (int d = 1; d <= depth && d <= MAX_DEPTH + 1; d++) {
    const char *k = w->key[d];
    size_t len = w->keylen[d];
    if (!k) {
      char n[32];
      snprintf(n, sizeof n, "[%lld]", (long long)w->index[d]);
      luaL_addstring(&b, n);
    } else if (plain_name(k, len)) {
      luaL_addchar(&b, '.');
      luaL_addlstring(&b, k, len);
    } else {
      luaL_addstring(&b, "[\"");
      for (size_t i = 0; i < len && i < PATH_KEY_MAX; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c == '"' || c == '\\') {
          luaL_addchar(&b, '\\');
          luaL_addchar(&b, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
          char x[8];
          snprintf(x, sizeof x, "\\x%02x", c);
          luaL_addstring(&b, x);
        } else {
          luaL_addchar(&b, (char)c);
        }
      }
      luaL_addstring(&b, len > PATH_KEY_MAX ? "...\"]" : "\"]");
    }
  }
  luaL_pushresult(&b);
}

/* Raises fn's error about the value at level depth of data: "alert{}:
 * data.x: <what>". */
static int data_error(lua_State *L, const char *fn, const where *w, int depth,
                      const char *what, ...)
{
  luaL_checkstack(L, 4, "data nested too deep");
  push_path(L, w, depth);
  va_list ap;
  va_start(ap, what);
  lua_pushvfstring(L, what, ap);
  va_end(ap);
  return luaL_error(L, "%s: %s: %s", fn, lua_tostring(L, -2), lua_tostring(L, -1));
}

/* Writes finite float d into buf in its shortest exact form: the fewest
 * significant digits (15 to 17) that read back as d, so that two different
 * floats never give one text; -0.0 is "0". */
static void float_text(double d, char buf[32])
{
  if (d == 0)
    d = 0;   /* -0.0 == 0 */
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, 32, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
}

void cp_emit_number_text(lua_State *L, int idx, char buf[32])
{
  /* a float's text as JSON writes it, not Lua's tostring: 1.0 is the id
   * "1" as 1 is (1 == 1.0 in Lua), and two floats that %.14g writes alike
   * stay two ids; a whole float is the integer it equals (2^60 is the key
   * 1 << 60, not '1.152921504606847e+18': a key that came as a REAL one
   * night and an INTEGER the next was two alerts) */
  int whole = 0;
  lua_Integer i = lua_tointegerx(L, idx, &whole);
  if (whole)
    snprintf(buf, 32, "%lld", (long long)i);
  else
    float_text(lua_tonumber(L, idx), buf);
}

/* Appends a number: integers as such, floats in their shortest exact form. */
static int encode_number(lua_State *L, const char *fn, int idx, sbuf *b, const where *w,
                         int depth)
{
  if (lua_isinteger(L, idx)) {
    cp_sbuf_int(b, (long long)lua_tointeger(L, idx));
    return 0;
  }
  double d = lua_tonumber(L, idx);
  if (!isfinite(d))   /* named here: printf's text of a NaN differs between C libraries */
    return data_error(L, fn, w, depth, "%s cannot be written as JSON",
                      isnan(d) ? "NaN" : d > 0 ? "inf" : "-inf");
  char buf[32];
  float_text(d, buf);
  cp_sbuf_add(b, buf);
  return 0;
}

/* Raises the error for a data key of len bytes that holds a NUL byte,
 * showing each NUL as \x00. */
static int nul_key(lua_State *L, const char *fn, const where *w, int depth, const char *key,
                   size_t len)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < len && i < 200; i++)
    if (key[i])
      luaL_addchar(&b, key[i]);
    else
      luaL_addstring(&b, "\\x00");
  luaL_pushresult(&b);
  return data_error(L, fn, w, depth, "key '%s' contains a NUL byte", lua_tostring(L, -1));
}

/* qsort comparator for key strings. */
static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Charges the budget for a table of data walked in C (n entries, each
 * read again and written: WALK_COST) and, when sorted, for sorting its keys
 * (n log n comparisons, SORT_COST each): one instruction asked for it, and
 * a large table kept in an upvalue, given as data again and again (inside
 * pcall, past 1 MiB refused each time), was walked and sorted for free
 * until the wall-time backstop. A view's table is the data's own. */
#define WALK_COST 4   /* instructions an entry: about the time of 4 of the VM's */
#define SORT_COST 4   /* instructions a comparison of two keys (strcmp of Lua strings) */
static void charge_walk(lua_State *L, size_t n, int sorted)
{
  uint64_t log2n = 1;
  while (sorted && ((uint64_t)1 << log2n) < n && log2n < 63)
    log2n++;
  cp_sandbox_charge(L, (uint64_t)n * (WALK_COST + (sorted && n > 16 ? SORT_COST * log2n : 0)));
}

/* Appends the table at idx as an object with sorted string keys. */
static int encode_object(lua_State *L, const char *fn, int idx, sbuf *b, where *w,
                         int depth)
{
  const char *few[16];   /* most objects: no allocation */
  size_t n = 0, cap = sizeof few / sizeof few[0];
  const char **keys = few;
  lua_pushnil(L);   /* where a longer key list lives (a userdata freed by the GC) */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      return data_error(L, fn, w, depth, "keys must be strings (found a %s key)",
                        luaL_typename(L, -1));
    if (n == cap) {
      const char **bigger = lua_newuserdatauv(L, cap * 2 * sizeof *keys, 0);
      memcpy(bigger, keys, n * sizeof *keys);
      lua_replace(L, -3);
      keys = bigger;
      cap *= 2;
    }
    size_t len;
    keys[n++] = lua_tolstring(L, -1, &len);   /* anchored: the table holds the key */
    if (memchr(keys[n - 1], '\0', len))   /* it would be cut, and collide */
      return nul_key(L, fn, w, depth, keys[n - 1], len);
    if (!cp_sbuf_is_utf8(keys[n - 1], len))   /* JSON's U+FFFD would write two keys alike */
      return data_error(L, fn, w, depth, "a key is not valid UTF-8 (JSON would write it like "
                        "another)");
  }
  charge_walk(L, n, 1);
  if (n <= sizeof few / sizeof few[0]) {   /* an insertion sort: no call per comparison */
    for (size_t i = 1; i < n; i++) {
      const char *k = keys[i];
      size_t j = i;
      for (; j > 0 && strcmp(keys[j - 1], k) > 0; j--)
        keys[j] = keys[j - 1];
      keys[j] = k;
    }
  } else {
    qsort(keys, n, sizeof *keys, cmp_str);
  }
  cp_sbuf_addn(b, "{", 1);
  for (size_t i = 0; i < n; i++) {
    if (i)
      cp_sbuf_addn(b, ",", 1);
    cp_sbuf_json_str(b, keys[i], strlen(keys[i]));
    cp_sbuf_addn(b, ":", 1);
    lua_getfield(L, idx, keys[i]);
    w->key[depth + 1] = keys[i];
    w->keylen[depth + 1] = strlen(keys[i]);
    encode(L, fn, lua_gettop(L), b, w, depth + 1);
    lua_pop(L, 1);
  }
  cp_sbuf_addn(b, "}", 1);
  lua_pop(L, 1);
  return 0;
}

/* Appends the table at idx: an array when its keys are exactly 1..n. */
static int encode_table(lua_State *L, const char *fn, int idx, sbuf *b, where *w, int depth)
{
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
  if (n == 0)   /* no border: an object (or {}), whatever its keys; no need to count them */
    return encode_object(L, fn, idx, b, w, depth);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
  }
  if (count != n)
    return encode_object(L, fn, idx, b, w, depth);
  charge_walk(L, (size_t)count, 0);
  cp_sbuf_add(b, "[");
  for (lua_Integer i = 1; i <= n; i++) {
    cp_sbuf_add(b, i > 1 ? "," : "");
    lua_rawgeti(L, idx, i);
    w->key[depth + 1] = NULL;
    w->index[depth + 1] = i;
    encode(L, fn, lua_gettop(L), b, w, depth + 1);
    lua_pop(L, 1);
  }
  cp_sbuf_add(b, "]");
  return 0;
}

/* What data cannot hold of the engine's objects (engine_object()). */
static const char ENGINE_OBJECT[] = "the client, a list of rows or another of the engine's "
                                    "objects cannot be written as JSON; write the fields you need";

/* Returns 1 when the table or userdata at idx is one of the engine's objects
 * (the client, a row, a list of rows, an environment): its metatable is
 * protected ("read-only"), and it is not a view. */
static int engine_object(lua_State *L, int idx)
{
  if (luaL_getmetafield(L, idx, "__metatable") == LUA_TNIL)
    return 0;
  int protected = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "read-only");
  lua_pop(L, 1);
  return protected;
}

/* Appends the Lua value at idx, level depth of data (w: the way to it), as
 * JSON; raises an error for what JSON lacks, naming where it is. */
static int encode(lua_State *L, const char *fn, int idx, sbuf *b, where *w, int depth)
{
  size_t len;
  const char *s;
  if (depth > MAX_DEPTH)
    return data_error(L, fn, w, depth, "nested deeper than %d levels", MAX_DEPTH);
  if (b->len > MAX_DATA)   /* also bounds the work on a table shared many times (a DAG) */
    return luaL_error(L, "%s: data: more than %d bytes as JSON", fn, (int)MAX_DATA);
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    cp_sbuf_add(b, "null");
    return 0;
  case LUA_TLIGHTUSERDATA:   /* the global `null`: a JSON null inside data */
    if (lua_touserdata(L, idx) == &cp_emit_empty_array) {
      cp_sbuf_add(b, "[]");
      return 0;
    }
    if (lua_touserdata(L, idx) != NULL)
      break;
    cp_sbuf_add(b, "null");
    return 0;
  case LUA_TBOOLEAN:
    cp_sbuf_add(b, lua_toboolean(L, idx) ? "true" : "false");
    return 0;
  case LUA_TNUMBER:
    return encode_number(L, fn, idx, b, w, depth);
  case LUA_TSTRING:
    s = lua_tolstring(L, idx, &len);
    if (len > MAX_DATA - b->len)   /* its JSON is at least as long: not made at all */
      return luaL_error(L, "%s: data: more than %d bytes as JSON", fn, (int)MAX_DATA);
    cp_sbuf_json_str(b, s, len);
    return 0;
  case LUA_TTABLE: {
    luaL_checkstack(L, 8, "data nested too deep");
    int view = cp_freeze_behind(L, idx);   /* a read-only view: the table it shows */
    const void *t = lua_topointer(L, view ? lua_gettop(L) : idx);
    for (int d = 0; d < depth; d++)   /* the tables on the way here: not one met twice */
      if (w->table[d] == t) {
        push_path(L, w, d);
        return data_error(L, fn, w, depth, "a table that contains itself cannot be written as "
                          "JSON (it is %s: a cycle)", lua_tostring(L, -1));
      }
    w->table[depth] = t;
    if (view) {
      encode_table(L, fn, lua_gettop(L), b, w, depth);
      lua_pop(L, 1);
      return 0;
    }
    if (cp_filter_is_weak(L, idx))   /* its keys are freed as entries are cleared */
      return data_error(L, fn, w, depth, "a weak table (__mode) cannot be written as JSON: the "
                        "collector would remove its entries while it is written");
    if (engine_object(L, idx))   /* its fields are not in the table: it would read {} */
      return data_error(L, fn, w, depth, "%s", ENGINE_OBJECT);
    return encode_table(L, fn, idx, b, w, depth);
  }
  case LUA_TUSERDATA:   /* a row, c.orders, lookup.staff: not "a userdata" to a rule's author */
    if (engine_object(L, idx))
      return data_error(L, fn, w, depth, "%s", ENGINE_OBJECT);
    break;
  default:
    break;
  }
  return data_error(L, fn, w, depth, "a %s cannot be written as JSON", luaL_typename(L, idx));
}

const char cp_emit_empty_array = '[';

/* The (what, rule, key) of the current client's items, so that a repeated
 * report is found in constant time: an open-addressing set of item indexes
 * (+ 1; 0 is empty), in a userdata under SEEN_KEY. Slots may name items that
 * a failed rule's results replaced: an index is checked against the item. */
typedef struct seen {
  const cp_outcome *out;    /* the outcome whose items the slots index */
  uint32_t gen;             /* the client generation they belong to */
  size_t cap;               /* number of slots, a power of two */
  size_t used;              /* slots filled */
  uint32_t slot[];          /* item index + 1, or 0 */
} seen;

/* FNV-1a hash of an item's (what, rule, key). */
static size_t item_hash(cp_what what, const char *rule, const char *key)
{
  uint64_t h = 1469598103934665603u ^ (uint64_t)what;
  for (const char *p = rule; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  h = (h ^ 0xff) * 1099511628211u;
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  return (size_t)(h ^ (h >> 29));
}

/* Returns 1 when item i of the outcome is (what, rule, key). */
static int item_is(const cp_outcome *o, size_t i, const cp_item *it)
{
  if (i >= o->n)
    return 0;
  const cp_item *x = &o->items[i];
  return x->what == it->what && strcmp(x->rule, it->rule) == 0 && strcmp(x->key, it->key) == 0;
}

/* Returns the slot where (what, rule, key) is, or the empty one where it
 * would go. */
static uint32_t *seen_slot(seen *s, const cp_outcome *o, const cp_item *it)
{
  size_t i = item_hash(it->what, it->rule, it->key) & (s->cap - 1);
  while (s->slot[i] && !item_is(o, s->slot[i] - 1, it))
    i = (i + 1) & (s->cap - 1);
  return &s->slot[i];
}

/* Returns the set for the current client, made anew (empty, with room for
 * want items) when it belongs to another client or is too full. */
static seen *seen_for(lua_State *L, cp_rules *api, size_t want)
{
  lua_getfield(L, LUA_REGISTRYINDEX, SEEN_KEY);
  seen *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  int fresh = !s || s->gen != api->gen || s->out != api->out;
  if (s && !fresh && (s->used + 1) * 2 <= s->cap)
    return s;
  size_t cap = SEEN_MIN;
  while (cap < want * 4)
    cap *= 2;
  if (!s || cap != s->cap) {
    s = lua_newuserdatauv(L, sizeof *s + cap * sizeof s->slot[0], 0);
    lua_setfield(L, LUA_REGISTRYINDEX, SEEN_KEY);
  }
  memset(s->slot, 0, cap * sizeof s->slot[0]);
  *s = (seen){api->out, api->gen, cap, 0};
  for (size_t i = 0; i < api->out->n; i++) {
    *seen_slot(s, api->out, &api->out->items[i]) = (uint32_t)i + 1;
    s->used++;
  }
  return s;
}

/* Fields each emitter accepts; anything else is a mistake worth an error. */
static const char alert_fields[] = "rule key severity level assignee title data";
static const char assign_fields[] = "rule kind key assignee data pick unfilled";
#define MAX_FALLBACK 256   /* groups a pick may fall back to */
static const char fulfilled_fields[] = "rule key";

/* Raises an error for a field of the table at t not in allowed (words),
 * naming the fields it takes; a value given by position (alert{"info"}: a
 * number key) is told apart from a misspelt name, as declarations do. */
static void check_fields_at(lua_State *L, int t, const char *fn, const char *allowed)
{
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_isinteger(L, -2))   /* alert{"info"}: [1] = "info" */
      luaL_error(L, "%s: fields are named (%s), not given by position ([%I] = a %s): write "
                 "name = value", fn, allowed, (LUAI_UACINT)lua_tointeger(L, -2),
                 luaL_typename(L, -1));
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: fields are named (%s), not a %s key", fn, allowed,
                 luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    if (!cp_words_has(allowed, k))
      luaL_error(L, "%s: unknown field '%s' (fields: %s)", fn, k, allowed);
  }
}

/* check_fields_at() for the emitter's argument, the table at 1. */
static void check_fields(lua_State *L, const char *fn, const char *allowed)
{
  check_fields_at(L, 1, fn, allowed);
}

/* Returns field name of the table at 1 as a string, or def when absent.
 * Numbers are accepted and turned into text (keys are often ids). */
static const char *opt_text(lua_State *L, const char *fn, const char *name, const char *def)
{
  int t = lua_getfield(L, 1, name);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TSTRING && t != LUA_TNUMBER)
    luaL_error(L, "%s: '%s' must be a string, not a %s", fn, name, lua_typename(L, t));
  if (t == LUA_TNUMBER && !lua_isinteger(L, -1) && !isfinite(lua_tonumber(L, -1)))
    luaL_error(L, "%s: '%s' must be a string or a finite number, not %s", fn, name,
               lua_tostring(L, -1));   /* its text differs between C libraries */
  if (t == LUA_TNUMBER && !lua_isinteger(L, -1)) {
    char buf[32];
    cp_emit_number_text(L, -1, buf);
    lua_pop(L, 1);
    lua_pushstring(L, buf);
  }
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);   /* left on the stack, which anchors it */
  if (memchr(s, '\0', len))   /* stored as C text it would be cut, and collide */
    luaL_error(L, "%s: '%s' contains a NUL byte", fn, name);
  return s;
}

/* Checks the call is made by a running rule and returns the API context. */
static cp_rules *running(lua_State *L, const char *fn)
{
  cp_rules *api = cp_api_of(L);
  if (!api->current || !api->out)
    luaL_error(L, "%s can only be called while a rule is evaluated", fn);
  if (api->deriving)   /* its results would go to whichever rule read it first */
    luaL_error(L, "%s: derived value '%s' reports nothing: a derived value is computed once "
               "for every rule that reads it; report from a rule{}", fn, api->deriving);
  if (api->in_why)   /* a run formats no reason: it would report nothing there */
    luaL_error(L, "%s: called while why() formats its reason (in a __tostring, say), "
               "which a run never does", fn);
  luaL_checktype(L, 1, LUA_TTABLE);
  return api;
}

/* Raises the error of an item (rule, key) that fn reports a second time. */
static int reported_twice(lua_State *L, const char *fn, const cp_item *it)
{
  return luaL_error(L, "%s: '%s' with key '%s' was already reported for this client", fn,
                    it->rule, it->key);
}

/* Raises an error when the client's outcome (s) holds the other of assign{}
 * and fulfilled{} for it's (rule, key): needed and done at once, which the
 * store would settle silently as needed. */
static void refuse_both(lua_State *L, seen *s, const cp_outcome *o, const cp_item *it)
{
  if (it->what != CP_ASSIGN && it->what != CP_FULFILLED)
    return;
  cp_item other = *it;
  other.what = it->what == CP_ASSIGN ? CP_FULFILLED : CP_ASSIGN;
  if (*seen_slot(s, o, &other))
    luaL_error(L, "%s: '%s' with key '%s' was already reported by %s for this client: an "
               "assignment is needed (assign{}) or done (fulfilled{}), not both",
               it->what == CP_ASSIGN ? "assign{}" : "fulfilled{}", it->rule, it->key,
               it->what == CP_ASSIGN ? "fulfilled{}" : "assign{}");
}

/* Fills the fields every item has: rule (checked against the running rule's
 * ids), key, assignee and data. */
static void common(lua_State *L, cp_rules *api, const char *fn, cp_item *it)
{
  it->rule = opt_text(L, fn, "rule", api->current->id);
  size_t i = 0;
  while (api->current->ids[i] && strcmp(api->current->ids[i], it->rule) != 0)
    i++;
  if (!api->current->ids[i])
    luaL_error(L, "%s: rule '%s' may not report '%s' (add it to the rule's emits)", fn,
               api->current->id, it->rule);
  it->key = opt_text(L, fn, "key", "");
  if (!cp_sbuf_is_utf8(it->key, strlen(it->key)))   /* JSON's U+FFFD would merge two keys */
    luaL_error(L, "%s: 'key' is not valid UTF-8 (the feed and sinks could not tell it from "
               "another)", fn);
  if (it->what != CP_FULFILLED) {
    /* an id of the lookup of assignees, a text; a number (a staff row's
     * numeric column) is taken as its digits, as policies written so far
     * do, but NaN and inf have no digits (the C library's "nan", "-nan"
     * or "inf" would be taken for an id) */
    if (lua_getfield(L, 1, "assignee") == LUA_TNUMBER && !lua_isinteger(L, -1) &&
        !isfinite(lua_tonumber(L, -1))) {
      double d = lua_tonumber(L, -1);
      luaL_error(L, "%s: 'assignee' must be an id (a text, or a number's digits), not %s", fn,
                 isnan(d) ? "NaN" : d > 0 ? "inf" : "-inf");
    }
    lua_pop(L, 1);
    it->assignee = opt_text(L, fn, "assignee", NULL);
    if (it->assignee && !*it->assignee)   /* a fact's empty staff id: nobody, as nil */
      it->assignee = NULL;
    if (it->assignee && !cp_sbuf_is_utf8(it->assignee, strlen(it->assignee)))
      luaL_error(L, "%s: 'assignee' is not valid UTF-8 (the feed and sinks could not tell it "
                 "from another)", fn);
    cp_sbuf_clear(&api->json);
    int t = lua_getfield(L, 1, "data");
    if (t != LUA_TNIL && t != LUA_TTABLE)
      luaL_error(L, "%s: 'data' must be a table, not a %s", fn, lua_typename(L, t));
    if (t == LUA_TTABLE) {
      where w;
      encode(L, fn, lua_gettop(L), &api->json, &w, 0);
      if (api->json.len && api->json.s[0] == '[')   /* the feed's data is an object */
        luaL_error(L, "%s: 'data' must be a table of named fields (a JSON object), not a list: "
                   "write data = { name = list }", fn);
    }
    if (api->json.len > MAX_DATA)   /* the last value's JSON (a string's escapes) */
      luaL_error(L, "%s: data: more than %d bytes as JSON", fn, (int)MAX_DATA);
    lua_pop(L, 1);
    if (api->json.oom)
      cp_sandbox_nomem(L);
    /* a copy of its own, left on the stack: the fields read after it may run
     * an __index that reports another result, which reuses api->json */
    if (api->json.len)
      lua_pushlstring(L, api->json.s, api->json.len);
    else
      lua_pushliteral(L, "{}");
    it->data = lua_tostring(L, -1);
  }
  seen *s = seen_for(L, api, api->out->n + 1);
  if (*seen_slot(s, api->out, it))
    reported_twice(L, fn, it);
  refuse_both(L, s, api->out, it);
}

/* Length of s, 0 for NULL. */
static size_t len0(const char *s)
{
  return s ? strlen(s) : 0;
}

/* Adds the item to the outcome, charging the budget for what it copies, or
 * raises a memory error. */
static int add(lua_State *L, cp_rules *api, const cp_item *it)
{
  size_t bytes = len0(it->rule) + len0(it->key) + len0(it->title) + len0(it->data) +
                 len0(it->kind) + len0(it->assignee);
  cp_sandbox_charge(L, REPORT_COST + bytes / 16);
  /* a client's results are held in memory until written: at most
   * limits.memory_mb, as its Lua heap (a large instruction budget let a
   * loop of long titles hold gigabytes) */
  size_t cap = (size_t)api->cfg->file->limits.memory_mb << 20;
  if (bytes > cap || cp_outcome_bytes(api->out) > cap - bytes)
    return luaL_error(L, "%s: the results of this client would hold more than "
                      "limits.memory_mb (%d MiB): report fewer or shorter ones",
                      it->what == CP_ALERT ? "alert{}" : it->what == CP_ASSIGN ? "assign{}"
                                                                                : "fulfilled{}",
                      (int)api->cfg->file->limits.memory_mb);
  cp_sensitive_check(L, api, it);
  seen *s = seen_for(L, api, api->out->n + 1);
  if (*seen_slot(s, api->out, it))   /* again, now: an __index of its fields may have reported it */
    return reported_twice(L, it->what == CP_ALERT ? "alert{}"
                             : it->what == CP_ASSIGN ? "assign{}" : "fulfilled{}", it);
  refuse_both(L, s, api->out, it);
  if (api->out->n >= UINT32_MAX - 1 || cp_outcome_add(api->out, it) != CP_OK)
    return cp_sandbox_nomem(L);
  *seen_slot(s, api->out, it) = (uint32_t)api->out->n;
  s->used++;
  return 0;
}

/* Reads the alert described by the table at 1 into *it (its texts anchored
 * by that table); if_unfilled marks it as standing in for an assignment whose
 * pick fails. Raises what is wrong in it (add() checks what is sensitive);
 * records nothing. */
static void read_alert(lua_State *L, int if_unfilled, cp_item *out)
{
  const char *fn = if_unfilled ? "assign{}: unfilled" : "alert{}";   /* in messages */
  cp_rules *api = running(L, fn);
  cp_item it = {.what = CP_ALERT, .if_unfilled = if_unfilled};
  check_fields(L, fn, alert_fields);
  common(L, api, fn, &it);
  const char *sev = opt_text(L, fn, "severity", NULL);
  int s = sev ? cp_outcome_severity_parse(sev) : -1;
  if (s < 0)
    luaL_error(L, "%s: 'severity' must be info, warning or critical, not %s%s%s", fn,
               sev ? "'" : "", sev ? sev : "nil", sev ? "'" : "");
  it.severity = (cp_severity)s;
  lua_getfield(L, 1, "level");
  int isnum = 0;
  /* a number, not a text that reads as one ("2", which Lua would take) */
  lua_Integer level = lua_isnil(L, -1) ? 1
                      : lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isnum) : 0;
  if ((!isnum && !lua_isnil(L, -1)) || level < 1 || level > 1000) {
    int number = lua_type(L, -1) == LUA_TNUMBER;
    luaL_error(L, "%s: 'level' must be a whole number from 1 to 1000, not %s%s", fn,
               number ? "" : "a ", number ? luaL_tolstring(L, -1, NULL) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  it.level = (int)level;
  it.title = opt_text(L, fn, "title", it.rule);
  if (!*it.title)   /* as left out: an empty title would show nothing to people */
    it.title = it.rule;
  *out = it;
}

/* alert{severity=, level=, key=, assignee=, title=, data=, rule=} */
static int l_alert(lua_State *L)
{
  cp_item it;
  read_alert(L, 0, &it);
  return add(L, cp_api_of(L), &it);
}

/* Reads the optional pick.fallback at the top of the stack (pick's table at
 * pick) into it: a list of group names, kept as one text (each name ended
 * by a NUL, the list by an empty name) anchored on the stack. */
static void read_fallback(lua_State *L, int pick, cp_item *it)
{
  int t = lua_getfield(L, pick, "fallback");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TTABLE)
    luaL_error(L, "assign{}: pick.fallback must be a list of group names {\"g2\", \"g3\"}, "
               "not a %s", lua_typename(L, t));
  int list = lua_gettop(L);
  if (cp_freeze_behind(L, list))   /* params.x: its entries, not the empty view */
    lua_replace(L, list);
  lua_Integer n = (lua_Integer)lua_rawlen(L, list);
  if (n < 1 || n > MAX_FALLBACK)
    luaL_error(L, "assign{}: pick.fallback must list 1 to %d group names, not %d", MAX_FALLBACK,
               (int)(n > INT_MAX ? INT_MAX : n));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, list, i) != LUA_TSTRING)
      luaL_error(L, "assign{}: pick.fallback[%d] must be a group name (a string), not a %s",
                 (int)i, luaL_typename(L, -1));
    size_t len;
    const char *g = lua_tolstring(L, -1, &len);
    if (!len || memchr(g, '\0', len))
      luaL_error(L, "assign{}: pick.fallback[%d] is empty or contains a NUL byte", (int)i);
    lua_pop(L, 1);
    luaL_addlstring(&b, g, len + 1);   /* with its NUL */
  }
  luaL_addchar(&b, '\0');
  luaL_pushresult(&b);
  lua_replace(L, list);   /* anchored where the list was */
  it->fallback = lua_tostring(L, list);
}

/* Reads assign{}'s `pick` table into it; the pool must exist. */
static void read_pick(lua_State *L, cp_rules *api, cp_item *it)
{
  int t = lua_getfield(L, 1, "pick");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TTABLE)
    luaL_error(L, "assign{}: 'pick' must be a table {pool=, group=}");
  if (it->assignee)
    luaL_error(L, "assign{}: give 'assignee' or 'pick', not both");
  int pick = lua_gettop(L);
  if (cp_freeze_behind(L, pick))   /* params.x: its fields, not the empty view */
    lua_replace(L, pick);
  check_fields_at(L, pick, "assign{}: pick", "pool group fallback keep");   /* a misspelt
                                                    field would be left out without a word */
  /* the pool first: a group or fallback of a pool that does not exist is not
   * worth a word */
  if (lua_getfield(L, pick, "pool") != LUA_TSTRING)
    luaL_error(L, "assign{}: pick.pool must be a string (the id of a pool{}), not a %s",
               luaL_typename(L, -1));
  size_t plen;
  const char *pool = lua_tolstring(L, -1, &plen);
  if (memchr(pool, '\0', plen))
    luaL_error(L, "assign{}: pick.pool contains a NUL byte");
  if (!cp_pool_declared(api, pool)) {
    cp_pool_push_ids(api);
    luaL_error(L, "assign{}: no pool '%s' is declared (pools: %s)", pool, lua_tostring(L, -1));
  }
  it->pool = pool;   /* anchored on the stack */
  int kt = lua_getfield(L, pick, "keep");
  const char *keep = kt == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (kt != LUA_TNIL && (!keep || (strcmp(keep, "always") && strcmp(keep, "while_member"))))
    luaL_error(L, "assign{}: pick.keep must be \"always\" (the default: an assignee kept from "
               "an earlier run stays) or \"while_member\" (it stays while a member of its "
               "group), not %s", keep ? lua_pushfstring(L, "'%s'", keep) : luaL_typename(L, -1));
  it->keep_while_member = keep && !strcmp(keep, "while_member");
  lua_pop(L, 1);
  if (lua_getfield(L, pick, "group") != LUA_TSTRING)
    luaL_error(L, "assign{}: pick.group must be a string");
  size_t len;
  const char *group = lua_tolstring(L, -1, &len);
  if (memchr(group, '\0', len))
    luaL_error(L, "assign{}: pick.group contains a NUL byte");
  it->group = group;
  read_fallback(L, pick, it);
}

/* Reads assign{}'s `unfilled` alert, keyed like the assignment: a copy of
 * the table with the key set goes to 1, above assign{}'s table (which keeps
 * the strings of it alive), and is checked as an alert, in assign{}'s own
 * call, so that an error in it has the rule's file and line. Returns 0 when
 * there is none. */
static int read_unfilled(lua_State *L, const cp_item *it, cp_item *alert)
{
  int t = lua_getfield(L, 1, "unfilled");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != LUA_TTABLE || !it->pool)
    luaL_error(L, "assign{}: 'unfilled' must be an alert table, and needs 'pick'");
  if (cp_freeze_behind(L, -1))   /* params.x: its fields, not the empty view */
    lua_replace(L, -2);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  if (lua_getfield(L, -1, "key") != LUA_TNIL)
    luaL_error(L, "assign{}: unfilled: the alert takes the assignment's key; give none");
  lua_pop(L, 1);
  lua_pushstring(L, it->key);
  lua_setfield(L, -2, "key");
  lua_replace(L, -2);
  lua_insert(L, 1);
  read_alert(L, 1, alert);
  alert->unfilled_of = it->rule;   /* its assignment is (rule, key): another rule's may share the key */
  return 1;
}

/* assign{kind=, key=, assignee=, data=, rule=, pick={pool=, group=, fallback=}, unfilled={...}} */
static int l_assign(lua_State *L)
{
  cp_rules *api = running(L, "assign{}");
  cp_item it = {.what = CP_ASSIGN};
  check_fields(L, "assign{}", assign_fields);
  common(L, api, "assign{}", &it);
  it.kind = opt_text(L, "assign{}", "kind", NULL);
  if (!it.kind || !*it.kind)
    return luaL_error(L, "assign{}: 'kind' is required (for example 'assign_staff')");
  if (!cp_sbuf_is_utf8(it.kind, strlen(it.kind)))   /* a label key: two would read alike */
    return luaL_error(L, "assign{}: 'kind' is not valid UTF-8 (the feed and sinks could not "
                      "tell it from another)");
  read_pick(L, api, &it);
  cp_item alert;
  int unfilled = read_unfilled(L, &it, &alert);   /* read before anything is recorded */
  if (unfilled)
    cp_sensitive_check(L, api, &alert);   /* as add() will: nothing half recorded */
  add(L, api, &it);
  if (unfilled)
    add(L, api, &alert);
  return 0;
}

/* fulfilled{key=, rule=}: the assignment (rule, key) is done, per the facts. */
static int l_fulfilled(lua_State *L)
{
  cp_rules *api = running(L, "fulfilled{}");
  cp_item it = {.what = CP_FULFILLED};
  check_fields(L, "fulfilled{}", fulfilled_fields);
  common(L, api, "fulfilled{}", &it);
  return add(L, api, &it);
}

/* why(fmt, ...): gives string.format(fmt, ...) as a reason of the current
 * rule to the tracer; does nothing (not even the formatting) when no one
 * traces. */
static int l_why(lua_State *L)
{
  cp_rules *api = cp_api_of(L);
  if (!api->tracer || !api->client)
    return 0;
  int n = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, LUA_STRLIBNAME);
  lua_getfield(L, -1, "format");
  lua_insert(L, 1);
  lua_pop(L, 2);
  int was = api->in_why;
  api->in_why = 1;
  int status = lua_pcall(L, n, 1, 0);
  api->in_why = was;
  if (status != LUA_OK) {   /* name the rule's line, not format's */
    cp_sandbox_recheck(L);   /* a spent budget stays the budget's error */
    if (status == LUA_ERRMEM)
      return lua_error(L);
    if (!lua_isstring(L, -1)) {
      lua_pushfstring(L, "an error whose value is a %s, not a text", luaL_typename(L, -1));
      lua_replace(L, -2);
    }
    /* A run formats no reason, so the same why() does not fail the rule
     * there: explain shows the failure as the reason, and goes on, so that
     * it shows the rule's results as the run gives them, not an error. */
    lua_pushliteral(L, "why() failed: ");
    lua_insert(L, -2);
    if (cp_sandbox_has_place(lua_tostring(L, -1)))   /* raised in Lua: a __tostring */
      lua_pushliteral(L, "");
    else
      luaL_where(L, 1);
    lua_insert(L, -2);
    lua_pushliteral(L, " (a run formats no reason: the rule does not fail there)");
    lua_concat(L, 4);   /* "why() failed: ", where, message, note */
  }
  size_t len;
  const char *reason = lua_tolstring(L, -1, &len);
  sbuf shown = {0};   /* a NUL as \x00, as explain shows values */
  cp_show_text(&shown, reason, len);
  api->tracer->why(api->tracer->ctx, shown.s && !shown.oom ? shown.s : reason);
  cp_sbuf_free(&shown);
  return 0;
}

const luaL_Reg cp_emit_functions[] = {{"alert", l_alert},         {"assign", l_assign},
                                      {"fulfilled", l_fulfilled}, {"why", l_why},
                                      {NULL, NULL}};
