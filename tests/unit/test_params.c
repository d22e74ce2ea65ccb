/* test_params.c: cp_params_push's last line of defence. The loaders refuse
 * params keys that are null or one Lua key written twice; a tree that skipped
 * them (ytree alone) still never reaches rules with an entry dropped or
 * silently replaced: pushing it raises "LINE: params: ...". */
#include <lauxlib.h>
#include <stdio.h>

#include "params.h"
#include "sandbox.h"
#include "unit.h"
#include "ytree.h"

/* (tree) -> pushes the params tree (light userdata) as rules see it. */
static int push(lua_State *L)
{
  cp_params_push(L, lua_touserdata(L, 1));
  return 1;
}

/* Loads yaml with ytree alone and pushes it in protected mode: returns the
 * error message (static buffer), or "ok: " and what the key k maps to. */
static const char *pushed(const char *yaml)
{
  static char out[400];
  char path[300], err[300];
  snprintf(path, sizeof path, "%s/p.yaml", unit_tmpdir());
  FILE *f = fopen(path, "w");
  if (!f)
    return "cannot write";
  fputs(yaml, f);
  fclose(f);
  yt_node *root = NULL;
  if (cp_ytree_load(path, &root, err, sizeof err) < 0) {
    snprintf(out, sizeof out, "ytree: %s", err);
    return out;
  }
  cp_sandbox *sb = cp_sandbox_open(8 << 20);
  lua_State *L = cp_sandbox_state(sb);
  lua_pushcfunction(L, push);
  lua_pushlightuserdata(L, root);
  if (cp_sandbox_call(sb, 1, 1) != LUA_OK) {
    snprintf(out, sizeof out, "%s", lua_tostring(L, -2));
  } else {
    lua_getfield(L, -1, "k");
    lua_pushinteger(L, 1);
    lua_gettable(L, -2);
    snprintf(out, sizeof out, "ok: %s", luaL_tolstring(L, -1, NULL));
  }
  cp_sandbox_close(sb);
  cp_ytree_free(root);
  return out;
}

TEST(params_push_refuses_keys_that_are_one_lua_key)
{
  CHECK_STR("3: params: the key '1.0' is the key '1' of line 2 to a rule (the same number); "
            "give it once", pushed("k:\n  1: a\n  1.0: b\n"));
  CHECK_STR("1: params: the key '0' is the key '-0' of line 1 to a rule (the same number); "
            "give it once", pushed("k: {-0: a, 0: b}\n"));
  CHECK_STR("1: params: the key '100' is the key '1e2' of line 1 to a rule (the same number); "
            "give it once", pushed("k: {1e2: a, 100: b}\n"));
  CHECK_STR("1: params: the key 'true' is the key 'yes' of line 1 to a rule (the same "
            "boolean); give it once", pushed("k: {yes: a, true: b}\n"));
  CHECK_STR("1: params: the key '9.223372036854775807e18' is the key '9223372036854775808' of "
            "line 1 to a rule (the same number); give it once",
            pushed("k: {9223372036854775808: b, 9.223372036854775807e18: c}\n"));
  CHECK_STR("ok: a", pushed("k: {1: a, 2: b, \"1.0\": c}\n"));
}

TEST(params_push_refuses_a_null_key)
{
  CHECK_STR("2: params: the key '~' is null: no key a rule can read; quote it to make it text",
            pushed("k:\n  ~: a\n"));
  CHECK_STR("1: params: the key 'null' is null: no key a rule can read; quote it to make it "
            "text", pushed("k: {null: a, b: c}\n"));
}
