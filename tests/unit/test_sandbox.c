/* test_sandbox.c: the sandbox's last lines of defence: the panic handler
 * exits 3 with a message, the host has a heap reserve past the cap, and a
 * heap held between calls is seen after them. */
#include <lauxlib.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

/* (n) -> allocates blocks of 64 KiB into a registry table until the heap is
 * full (a memory error) or n blocks are held. */
static int fill(lua_State *L)
{
  lua_Integer n = luaL_optinteger(L, 1, LUA_MAXINTEGER);
  lua_getfield(L, LUA_REGISTRYINDEX, "kept");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_newuserdatauv(L, 64 << 10, 0);
    lua_rawseti(L, -2, i);
  }
  return 0;
}

/* () -> allocates 1 MiB. */
static int one_mib(lua_State *L)
{
  lua_newuserdatauv(L, 1 << 20, 0);
  return 0;
}

TEST(sandbox_panic_exits_3_with_a_message)
{
  char path[300];
  snprintf(path, sizeof path, "%s/stderr", unit_tmpdir());
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(path, "w", stderr))
      _Exit(1);
    cp_sandbox *sb = cp_sandbox_open(1 << 20);
    lua_State *L = cp_sandbox_state(sb);
    lua_pushliteral(L, "boom");
    lua_error(L);   /* outside any protected call: the panic handler */
    _Exit(0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK_INT(3, WEXITSTATUS(status));
  char buf[300] = "";
  FILE *f = fopen(path, "r");
  CHECK(f && fgets(buf, sizeof buf, f));
  if (f)
    fclose(f);
  CHECK_STR("crmpolicy: internal error: a Lua error outside a protected call: boom; nothing "
            "was written\n", buf);
}

TEST(sandbox_host_has_a_reserve_past_the_cap)
{
  cp_sandbox *sb = cp_sandbox_open(2 << 20);
  lua_State *L = cp_sandbox_state(sb);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "kept");
  lua_pushcfunction(L, fill);
  CHECK_INT(LUA_ERRMEM, cp_sandbox_call(sb, 0, 0));   /* rule code: the cap holds */
  lua_pop(L, 2);
  lua_pushcfunction(L, one_mib);
  CHECK_INT(LUA_ERRMEM, cp_sandbox_call(sb, 0, 0));
  lua_pop(L, 2);
  lua_pushcfunction(L, one_mib);   /* the host's own work: the reserve */
  CHECK_INT(LUA_OK, lua_pcall(L, 0, 0, 0));
  cp_sandbox_close(sb);
}

TEST(sandbox_held_heap_is_seen_after_a_call)
{
  cp_sandbox *sb = cp_sandbox_open(8 << 20);
  lua_State *L = cp_sandbox_state(sb);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "kept");
  cp_sandbox_mark_baseline(sb);
  lua_pushcfunction(L, fill);
  lua_pushinteger(L, 8);   /* 512 KiB: well below the mark */
  CHECK_INT(LUA_OK, cp_sandbox_call(sb, 1, 0));
  CHECK_INT(0, cp_sandbox_held(sb));
  lua_pushcfunction(L, fill);
  lua_pushinteger(L, 80);   /* 5 MiB, kept */
  CHECK_INT(LUA_OK, cp_sandbox_call(sb, 1, 0));
  CHECK(cp_sandbox_held(sb) >= (5u << 20));
  lua_newtable(L);   /* let go: garbage, not held */
  lua_setfield(L, LUA_REGISTRYINDEX, "kept");
  CHECK_INT(0, cp_sandbox_held(sb));
  cp_sandbox_close(sb);
}
