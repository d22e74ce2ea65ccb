/* eval.c: evaluates every check for one client, under the budget, into an
 * outcome (in reporting order); a check that fails leaves nothing
 * half-reported. */
#include <lauxlib.h>
#include <string.h>

#include "api.h"
#include "eval.h"

/* Records a failure of rule r (message and traceback on the stack, popped),
 * dropping what it had reported before failing. */
static cp_err record_failure(cp_api *api, const cp_rule *r, size_t keep)
{
  lua_State *L = api->L;
  api->out->n = keep;
  const char *msg = lua_pushfstring(L, "%s (rule %s, client %s)", lua_tostring(L, -2), r->id,
                                    api->client->id);
  cp_err rc = cp_outcome_fail(api->out, r->id, r->ids, msg, lua_tostring(L, -2));
  lua_pop(L, 3);
  return rc;
}

/* Runs the scope function on the client at the top of the stack. Returns 1 in
 * scope, 0 out of scope, -1 when it failed (message and traceback pushed). */
static int in_scope(cp_api *api)
{
  lua_State *L = api->L;
  if (api->scope_ref == LUA_NOREF)
    return 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->scope_ref);
  lua_pushvalue(L, -2);
  cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
  if (cp_sandbox_call(api->sb, 1, 1) != LUA_OK)
    return -1;
  int yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

/* Fails every rule for the client: the scope itself could not be decided. */
static cp_err fail_all(cp_api *api)
{
  lua_State *L = api->L;
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i < api->n_rules; i++) {
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    rc = record_failure(api, &api->rules[i], 0);
  }
  lua_pop(L, 2);
  return rc;
}

cp_err cp_eval_client(cp_rules *api, const cp_client *c, cp_outcome *out)
{
  lua_State *L = api->L;
  cp_err rc = CP_OK;
  api->client = c;
  api->gen++;
  api->out = out;
  out->client_id = cp_outcome_text(out, c->id);
  out->evaluated = 1;
  cp_client_push(api);
  int scope = in_scope(api);
  if (scope < 0)
    rc = fail_all(api);
  out->skipped = scope == 0;
  cp_sandbox_push_handler(api->sb);   /* one handler under every rule's call */
  int handler = lua_gettop(L);
  for (size_t i = 0; scope > 0 && rc == CP_OK && i < api->n_rules; i++) {
    const cp_rule *r = &api->rules[i];
    size_t keep = out->n;
    api->current = r;
    if (r->needs_table >= 0 && c->tables[r->needs_table].n == 0) {   /* needs = "table" */
      if (api->tracer)
        api->tracer->not_run(api->tracer->ctx, i);
      continue;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->fn_ref);
    lua_pushvalue(L, handler - 1);
    cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
    if (cp_sandbox_call_with(api->sb, 1, 0, handler) != LUA_OK)
      rc = record_failure(api, r, keep);
  }
  cp_sandbox_unhook(api->sb);
  lua_pop(L, 2);
  api->current = NULL;
  api->client = NULL;
  api->out = NULL;
  return out->client_id ? rc : CP_ENOMEM;
}
