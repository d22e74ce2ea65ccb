/* fuzz_params.c: libFuzzer harness of the params -> Lua conversion. Any YAML
 * document becomes, through cp_params_push() as rules.c calls it, a Lua
 * value that mirrors the tree: quoted scalars stay strings, plain ones become
 * the number, boolean or nil their form denotes, containers become tables
 * that refuse writes; a null key or two keys of one mapping that are one Lua
 * key once converted raise "LINE: params: ..." instead (none is dropped and
 * none silently wins), and only then. */
#include <errno.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "sandbox.h"
#include "ytree.h"

#define HEAP (64u << 20)   /* the default limits.memory_mb */

static char path[64];      /* the YAML file cp_ytree_load reads */

/* Stops the run with a message: libFuzzer keeps the input as a crash. */
static void broken(const char *what, const char *text)
{
  fprintf(stderr, "fuzz_params: %s: [%s]\n", what, text ? text : "");
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc, (void)argv;
  snprintf(path, sizeof path, "/tmp/crmpolicy-fuzz-params-%d.yaml", (int)getpid());
  return 0;
}

/* Returns 1 when s has the form of a decimal number: [+-]digits[.digits][e[+-]digits]. */
static int number_form(const char *s)
{
  const char *p = s + (*s == '+' || *s == '-');
  size_t whole = strspn(p, "0123456789"), frac = 0;
  p += whole;
  if (*p == '.') {
    frac = strspn(p + 1, "0123456789");
    p += 1 + frac;
  }
  if (whole + frac == 0)
    return 0;
  if (*p == 'e' || *p == 'E') {
    p += 1 + (p[1] == '+' || p[1] == '-');
    size_t exp = strspn(p, "0123456789");
    if (!exp)
      return 0;
    p += exp;
  }
  return *p == '\0';
}

/* Returns 1 when s is word (lower case) as YAML spells it: word, Word or
 * WORD (the spellings the params reader takes for booleans and null). */
static int spelled(const char *s, const char *word)
{
  size_t n = strlen(word);
  if (strlen(s) != n)
    return 0;
  int lower = 1, upper = 1;
  for (size_t k = 0; k < n; k++) {
    lower &= s[k] == word[k];
    upper &= s[k] == word[k] - 'a' + 'A';
  }
  return lower || upper || (s[0] == word[0] - 'a' + 'A' && !strcmp(s + 1, word + 1));
}

/* Checks the Lua value at the top of the stack against scalar node n. */
static void check_scalar(lua_State *L, const yt_node *n)
{
  const char *s = n->value;
  int t = lua_type(L, -1);
  if (!n->plain) {
    if (t != LUA_TSTRING || strcmp(lua_tostring(L, -1), s) != 0)
      broken("a quoted scalar did not stay the same string", s);
    return;
  }
  int truth = spelled(s, "true") || spelled(s, "yes") || spelled(s, "on");
  if (truth || spelled(s, "false") || spelled(s, "no") || spelled(s, "off")) {
    if (t != LUA_TBOOLEAN || lua_toboolean(L, -1) != truth)
      broken("a plain boolean did not become that boolean", s);
  } else if (!*s || !strcmp(s, "~") || spelled(s, "null")) {
    if (t != LUA_TNIL)
      broken("a plain null did not become nil", s);
  } else if (number_form(s)) {
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno == ERANGE)   /* beyond a double's range: a string or a number will do */
      return;
    if (t != LUA_TNUMBER)
      broken("a plain number did not become a number", s);
    if (lua_isinteger(L, -1) ? (double)lua_tointeger(L, -1) != d : lua_tonumber(L, -1) != d)
      broken("a plain number became another number", s);
  } else if (t != LUA_TSTRING || strcmp(lua_tostring(L, -1), s) != 0) {
    broken("a plain word did not become the same string", s);
  }
}

/* Pushes the Lua key that a mapping key node becomes (as params.c does it). */
static void push_key(lua_State *L, const yt_node *k)
{
  cp_params_push(L, k);
}

/* Raises, in protected mode, when the table at index 1 accepts a write. */
static int try_write(lua_State *L)
{
  lua_pushinteger(L, 1);
  lua_setfield(L, 1, "__fuzz_written");
  return 0;
}

/* Checks the Lua value at the top of the stack against node n. */
static void check_node(lua_State *L, const yt_node *n, int depth)
{
  luaL_checkstack(L, 8, "fuzz_params");
  if (n->kind == YT_SCALAR) {
    check_scalar(L, n);
    return;
  }
  if (!lua_istable(L, -1))
    broken("a container did not become a table", NULL);
  lua_pushcfunction(L, try_write);
  lua_pushvalue(L, -2);
  if (lua_pcall(L, 1, 0, 0) == LUA_OK)
    broken("a params table accepted a write", NULL);
  lua_pop(L, 1);
  if (n->kind == YT_SEQ) {
    for (size_t i = 0; i < n->n; i++) {
      lua_geti(L, -1, (lua_Integer)i + 1);
      check_node(L, n->items[i], depth + 1);
      lua_pop(L, 1);
    }
    return;
  }
  /* A mapping: no key is null and none repeats (the push refused those). */
  lua_newtable(L);   /* keys seen */
  for (size_t i = n->n; i >= 2; i -= 2) {
    if (n->items[i - 2]->kind != YT_SCALAR)   /* a table key: found by identity only */
      continue;
    push_key(L, n->items[i - 2]);
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) !=
                             lua_tonumber(L, -1)))
      broken("a null or NaN key was pushed", n->items[i - 2]->value);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) != LUA_TNIL)
      broken("two keys of one mapping that are one Lua key were pushed", n->items[i - 2]->value);
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -4);
    lua_gettable(L, -3);
    check_node(L, n->items[i - 1], depth + 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* Returns 1 when some mapping of tree n has a null or NaN key, or two keys
 * that are one Lua key once converted (what cp_params_push must refuse). */
static int has_bad_key(lua_State *L, const yt_node *n)
{
  luaL_checkstack(L, 8, "fuzz_params");
  if (n->kind == YT_SCALAR)
    return 0;
  for (size_t i = n->kind == YT_MAP; i < n->n; i += n->kind == YT_MAP ? 2 : 1)
    if (has_bad_key(L, n->items[i]))
      return 1;
  if (n->kind != YT_MAP)
    return 0;
  int bad = 0;
  lua_newtable(L);   /* keys seen */
  for (size_t i = 0; !bad && i + 1 < n->n; i += 2) {
    if (n->items[i]->kind != YT_SCALAR)
      continue;
    push_key(L, n->items[i]);
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) !=
                             lua_tonumber(L, -1))) {
      bad = 1;
    } else {
      lua_pushvalue(L, -1);
      bad = lua_rawget(L, -3) != LUA_TNIL;
      lua_pop(L, 1);
      if (!bad) {
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
        continue;
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return bad;
}

/* (tree) -> the params tree pushed as rules see it. */
static int push_root(lua_State *L)
{
  cp_params_push(L, lua_touserdata(L, 1));
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char err[512];
  yt_node *root = NULL;
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  if (cp_ytree_load(path, &root, err, sizeof err) != 0 || !root) {
    cp_ytree_free(root);
    return 0;
  }
  cp_sandbox *sb = cp_sandbox_open(HEAP);
  if (!sb)
    abort();
  lua_State *L = cp_sandbox_state(sb);
  int top = lua_gettop(L);
  lua_pushcfunction(L, push_root);   /* protected, as rules.c calls it */
  lua_pushlightuserdata(L, root);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (!msg || !strstr(msg, ": params: the key '"))
      broken("cp_params_push raised", msg);
    lua_pop(L, 1);
    if (!has_bad_key(L, root))
      broken("cp_params_push refused a tree with no null or repeated key", msg);
  } else {
    if (lua_gettop(L) != top + 1)
      broken("cp_params_push did not push exactly one value", NULL);
    check_node(L, root, 0);
  }
  cp_sandbox_close(sb);
  cp_ytree_free(root);
  return 0;
}
