/* eval.c: evaluates every check for one client, under the budget, into an
 * outcome (in reporting order); a check that fails leaves nothing
 * half-reported. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "eval.h"

/* Records that rule r failed for the client with msg (pushed above the
 * error's message and traceback, all three popped); a repeat is stored, not
 * printed. */
static cp_err record(cp_rules *api, const cp_rule *r, const char *msg, int repeat)
{
  lua_State *L = api->L;
  cp_err rc = cp_outcome_fail(api->out, r->id, r->ids, msg, lua_tostring(L, -2));
  if (rc == CP_OK && repeat)
    api->out->failures[api->out->n_failures - 1].repeat = 1;
  lua_pop(L, 3);
  return rc;
}

/* A rule, or the scope, that runs out of its budget (or of memory) for this
 * many clients in a row is not called again in the run: each such call
 * costs the whole budget (4 ms at the default), so a loop without end in one
 * rule made a night of 1,000,000 clients last more than an hour. Skipping it
 * changes no result: a rule that fails keeps its results, as a skipped one
 * does; only a client after the streak that the rule would have finished
 * in budget keeps its results too. */
#define SPENT_IN_A_ROW 100

/* What a notice appends to the failure that ends a streak. */
#define SPENT_MORE "; it ran out of its budget or memory for %d clients in a row, so it is " \
                   "skipped for the rest of the run, each later client's earlier results kept"

/* Returns 1 when the call that just returned status failed for want of its
 * budget or of memory. */
static int spent(cp_rules *api, int status)
{
  return status == LUA_ERRMEM || (status != LUA_OK && cp_sandbox_tripped(api->sb));
}

/* Records a failure of rule r (message and traceback on the stack, popped),
 * dropping what it had reported before failing. When it ends a streak of
 * SPENT_IN_A_ROW failures for want of budget, the rule is skipped from now
 * on, and the failure says so, printed even past the run's first errors. */
static cp_err record_failure(cp_rules *api, cp_rule *r, size_t keep)
{
  lua_State *L = api->L;
  int last = r->spent == SPENT_IN_A_ROW;
  api->out->n = keep;
  const char *msg = lua_tostring(L, -2);
  char path[192];
  const char *param = msg ? cp_params_explain(api->params_miss, msg, path, sizeof path) : NULL;
  if (!param && msg && api->params_miss && !api->params_miss->on && strstr(msg, "nil"))
    cp_params_watch(L);   /* a misspelt param? the next errors will say (params.h) */
  if (param)
    lua_pushfstring(L, "%s (%s, read on that line, is not in the config's params)", msg, param);
  else
    lua_pushstring(L, msg ? msg : "(error)");
  lua_pushfstring(L, "%s (rule %s, client %s)", lua_tostring(L, -1), r->id, api->client->id);
  lua_remove(L, -2);
  if (last) {
    lua_pushfstring(L, SPENT_MORE, SPENT_IN_A_ROW);
    lua_concat(L, 2);
    free(r->held);
    lua_pushfstring(L, "rule %s is skipped for the rest of the run: it ran out of its budget or "
                    "memory for %d clients in a row, the last %s; this client's earlier results "
                    "kept", r->id, SPENT_IN_A_ROW, api->client->id);
    r->held = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  cp_err rc = record(api, r, lua_tostring(L, -1), 0);
  if (rc == CP_OK && last)
    api->out->failures[api->out->n_failures - 1].notice = 1;
  return rc == CP_OK && last && !r->held ? CP_ENOMEM : rc;
}

/* Records, as record_failure() does, that rule r failed for the client
 * because the scope did: printed once for the client (the first rule), each
 * rule stored. more: what the first one's message ends with (a notice), or
 * NULL. */
static cp_err record_scope_failure(cp_rules *api, const cp_rule *r, int first, const char *more)
{
  cp_err rc = record(api, r, lua_pushfstring(api->L, "%s (the scope, client %s: every rule fails "
                                             "for it and keeps its results)%s",
                                             lua_tostring(api->L, -2), api->client->id,
                                             first && more ? more : ""), !first);
  if (rc == CP_OK && first && more)
    api->out->failures[api->out->n_failures - 1].notice = 1;
  return rc;
}

/* Returns a rough size in bytes of the value at idx: a string's length; a
 * table's entries and the strings and tables right inside it (two levels,
 * raw reads). Only orders a holding rule's upvalues, largest first. */
static size_t rough_size(lua_State *L, int idx, int levels)
{
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) == LUA_TSTRING)
    return lua_rawlen(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE || levels == 0 || !lua_checkstack(L, 3))
    return 0;
  size_t n = 64 + 16 * lua_rawlen(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    n += 32 + rough_size(L, -1, levels - 1) + rough_size(L, -2, levels - 1);
    lua_pop(L, 1);
  }
  return n;
}

/* Returns the rough size of the largest upvalue of the function at fn that
 * may be cleared (never _ENV, functions or booleans and numbers, which its
 * file's other functions share and which hold little), its index in *at
 * (0: none), and the rough size of all of them in *total (NULL: not asked). */
static size_t largest_upvalue(lua_State *L, int fn, int *at, size_t *total)
{
  size_t most = 0;
  const char *name;
  *at = 0;
  for (int i = 1; (name = lua_getupvalue(L, fn, i)); i++) {
    size_t n = strcmp(name, "_ENV") ? rough_size(L, -1, 2) : 0;
    lua_pop(L, 1);
    if (total)
      *total += n;
    if (n > most) {
      most = n;
      *at = i;
    }
  }
  return most;
}

/* Pushes function k: rule k's, or derived value k - n_rules's (nil for a
 * rule skipped for holding the heap). */
static void push_function(cp_rules *api, size_t k)
{
  lua_State *L = api->L;
  if (k < api->n_rules) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->rules[k].fn_ref);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derived_fns_ref);
  lua_rawgeti(L, -1, (lua_Integer)(k - api->n_rules) + 1);
  lua_remove(L, -2);
}

/* Returns the rough size of the upvalues of function k (push_function()). */
static size_t upvalues_of(cp_rules *api, size_t k)
{
  lua_State *L = api->L;
  size_t total = 0;
  int at;
  push_function(api, k);
  if (lua_isfunction(L, -1))
    largest_upvalue(L, lua_gettop(L), &at, &total);
  lua_pop(L, 1);
  return total;
}

/* Returns the rough size of the scope function's upvalues (0: no scope). */
static size_t scope_upvalues(cp_rules *api)
{
  lua_State *L = api->L;
  size_t total = 0;
  int at;
  if (api->scope_ref == LUA_NOREF)
    return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->scope_ref);
  largest_upvalue(L, lua_gettop(L), &at, &total);
  lua_pop(L, 1);
  return total;
}

/* Sets the heap's holding mark at what it holds now, and notes how much the
 * upvalues of every rule and derived value hold then: the one whose grew is
 * the one that keeps memory between clients. */
static void mark_baseline(cp_rules *api)
{
  cp_sandbox_mark_baseline(api->sb);
  size_t n = api->n_rules + api->n_derived;
  if (!api->up_base && !(api->up_base = calloc(n + 1, sizeof *api->up_base)))
    return;   /* no memory: blame the rule alone, as before */
  for (size_t k = 0; k < n; k++)
    api->up_base[k] = upvalues_of(api, k);
  api->scope_up_base = scope_upvalues(api);
}

/* Clears the upvalues of the function at the top of the stack, largest
 * first, until the heap is below the holding mark; pops the function.
 * Returns 1 when it cleared one. */
static int release_upvalues(cp_rules *api)
{
  lua_State *L = api->L;
  int fn = lua_gettop(L), at, cleared = 0;
  while (largest_upvalue(L, fn, &at, NULL) && at) {
    lua_pushnil(L);
    lua_setupvalue(L, fn, at);
    cleared = 1;
    if (!cp_sandbox_held(api->sb))
      break;
  }
  lua_pop(L, 1);
  return cleared;
}

/* Derived value k kept held bytes of the heap past the rule call that
 * derived it (its function's upvalues were what was released): it fails for
 * every reader from now on, with this message. */
static void blame_derived(cp_rules *api, size_t k, size_t held)
{
  lua_State *L = api->L;
  lua_Debug ar;
  push_function(api, api->n_rules + k);
  lua_getinfo(L, ">S", &ar);
  lua_pushfstring(L, "%s:%d: derived value '%s' keeps %d MiB of the Lua heap after it was "
                  "derived (cap %d MiB): memory kept between clients, e.g. in a top-level local; "
                  "its largest upvalues are cleared and it fails for the rest of the run",
                  ar.short_src, ar.linedefined, api->derived_ids[k], (int)(held >> 20),
                  (int)(cp_sandbox_limit(api->sb) >> 20));
  api->dheld[k] = strdup(lua_tostring(L, -1));
  lua_pop(L, 1);
}

/* Releases the memory rule r's call left held: of r's function and the
 * derived values the call derived, the one whose upvalues grew most since
 * the mark has its largest upvalues cleared, then the next, until the heap
 * is below the mark. Sets cleared[k] for each (k as for upvalues_of()).
 * Without the sizes at the mark (no memory), r's function alone. */
static void release_holders(cp_rules *api, size_t r, unsigned char *cleared)
{
  size_t n = api->n_rules + api->n_derived;
  for (;;) {
    size_t best = n, most = 0;
    for (size_t k = 0; k < n && api->up_base; k++) {
      int ours = k == r || (k >= api->n_rules && api->dgen[k - api->n_rules] == api->rule_gen);
      size_t now = ours && !cleared[k] ? upvalues_of(api, k) : 0;
      if (now > api->up_base[k] && now - api->up_base[k] >= most) {
        most = now - api->up_base[k];
        best = k;
      }
    }
    if (best == n)
      best = cleared[r] ? n : r;   /* none grew (or no sizes): the rule's own */
    if (best == n)
      return;
    cleared[best] = 1;
    push_function(api, best);
    release_upvalues(api);
    if (!cp_sandbox_held(api->sb))
      return;
  }
}

/* Rule r returned (its error, if failed, is on the stack: popped) with the
 * heap above the holding mark after a full collection: it keeps that memory
 * between clients, or a derived value it derived does (release_holders()).
 * When only derived values' upvalues were released, each of them is blamed
 * (it fails for every reader from now on) and the rule fails for this
 * client alone. Otherwise the rule is: its failure for this client, and it
 * is skipped for the rest of the run (its results stay as they were, as for
 * a failed rule). */
static cp_err blame_holder(cp_rules *api, cp_rule *r, size_t keep, size_t held, int failed)
{
  lua_State *L = api->L;
  size_t n = api->n_rules + api->n_derived, ri = (size_t)(r - api->rules);
  unsigned char *cleared = calloc(n + 1, 1);
  if (failed)
    lua_pop(L, 2);
  api->out->n = keep;
  if (cleared)
    release_holders(api, ri, cleared);
  else
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->fn_ref), release_upvalues(api);
  mark_baseline(api);   /* what stays held (elsewhere) blames no other rule */
  const char *why = NULL;
  for (size_t k = api->n_rules; cleared && !cleared[ri] && k < n; k++)
    if (cleared[k]) {
      blame_derived(api, k - api->n_rules, held);
      why = why ? why : api->dheld[k - api->n_rules];
    }
  free(cleared);
  if (why) {
    lua_pushfstring(L, "%s (rule %s, client %s)", why, r->id, api->client->id);
    cp_err rc = cp_outcome_fail(api->out, r->id, r->ids, lua_tostring(L, -1), "");
    lua_pop(L, 1);
    return rc;
  }
  lua_pushfstring(L, "%s: rule %s keeps %d MiB of the Lua heap after it returned (cap %d MiB): "
                  "memory kept between clients, e.g. in a top-level local; the rule is skipped "
                  "for the rest of the run, its earlier results kept (rule %s, client %s)",
                  r->where, r->id, (int)(held >> 20), (int)(cp_sandbox_limit(api->sb) >> 20),
                  r->id, api->client->id);
  free(r->held);
  r->held = strdup(lua_tostring(L, -1));
  cp_err rc = cp_outcome_fail(api->out, r->id, r->ids, lua_tostring(L, -1), "");
  lua_pop(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, r->fn_ref);
  r->fn_ref = LUA_NOREF;
  return r->held ? rc : CP_ENOMEM;
}

/* Returns 1 when the upvalues of rule r's function, or of the derived values
 * its call derived, grew since the heap's mark by at least a quarter of
 * what the heap holds above the mark: they explain it. Otherwise what is
 * held may be the client's own values (rows a rule looked at, derived
 * values), which the engine keeps until the client ends: a client with
 * 200,000 orders that a rule reads is no memory kept between clients. */
static int upvalues_explain(cp_rules *api, size_t r, size_t held)
{
  size_t n = api->n_rules + api->n_derived, mark = cp_sandbox_hold_mark(api->sb), grew = 0;
  if (!api->up_base || held <= mark)
    return 1;   /* no sizes at the mark: the rule alone, as before */
  for (size_t k = 0; k < n; k++) {
    int ours = k == r || (k >= api->n_rules && api->dgen[k - api->n_rules] == api->rule_gen);
    size_t now = ours ? upvalues_of(api, k) : 0;
    if (now > api->up_base[k])
      grew += now - api->up_base[k];
  }
  return grew >= (held - mark) / 4;
}

/* Records that held rule r is skipped for this client: its results stay;
 * stored, not printed again. */
static cp_err skip_held(cp_rules *api, const cp_rule *r)
{
  cp_err rc = cp_outcome_fail(api->out, r->id, r->ids, r->held, "");
  if (rc == CP_OK)
    api->out->failures[api->out->n_failures - 1].repeat = 1;
  return rc;
}

/* Runs the scope function on the client at the top of the stack. Returns 1 in
 * scope, 0 out of scope, -1 when it failed (message and traceback pushed),
 * -2 when it is no longer called (api->scope_skipped). */
static int in_scope(cp_rules *api)
{
  lua_State *L = api->L;
  if (api->scope_ref == LUA_NOREF)
    return 1;
  if (api->scope_skipped)
    return -2;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->scope_ref);
  lua_pushvalue(L, -2);
  cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
  uint64_t outer = 0, t0 = api->prof ? cp_rules_prof_begin(api->prof, &outer) : 0;
  int status = cp_sandbox_call(api->sb, 1, 1);
  if (api->prof)
    cp_rules_prof_end(api->prof, &api->prof->part[CP_PROF_SCOPE], t0, outer);
  api->scope_spent = spent(api, status) ? api->scope_spent + 1 : 0;
  size_t held = cp_sandbox_held(api->sb), mark = cp_sandbox_hold_mark(api->sb), now;
  if (held && api->up_base && held > mark &&
      ((now = scope_upvalues(api)) <= api->scope_up_base ||
       now - api->scope_up_base < (held - mark) / 4))
    held = 0;   /* the client's own values (rows it read), let go when it ends */
  if (held) {   /* the scope holds the heap: its failure, not the next rule's */
    lua_pop(L, status == LUA_OK ? 1 : 2);
    lua_Debug ar;
    lua_rawgeti(L, LUA_REGISTRYINDEX, api->scope_ref);
    lua_pushvalue(L, -1);
    lua_getinfo(L, ">S", &ar);
    lua_pushfstring(L, "%s:%d: the scope keeps %d MiB of the Lua heap after it returned (cap %d "
                    "MiB): memory kept between clients, e.g. in a top-level local; its largest "
                    "upvalues are cleared", ar.short_src, ar.linedefined, (int)(held >> 20),
                    (int)(cp_sandbox_limit(api->sb) >> 20));
    lua_pushliteral(L, "");
    lua_rotate(L, -3, 2);   /* message, traceback, then the function */
    release_upvalues(api);
    mark_baseline(api);
    return -1;
  }
  if (status != LUA_OK)
    return -1;
  int yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

/* Fails every rule for the client: the scope itself could not be decided
 * (its message and traceback on the stack, popped). When that ends a streak
 * of SPENT_IN_A_ROW for want of budget, the scope is not called again. */
static cp_err fail_all(cp_rules *api)
{
  lua_State *L = api->L;
  cp_err rc = CP_OK;
  const char *more = NULL;
  if (api->scope_spent == SPENT_IN_A_ROW) {
    more = lua_pushfstring(L, SPENT_MORE, SPENT_IN_A_ROW);
    lua_insert(L, -3);
    free(api->scope_skipped);
    api->scope_skipped = strdup(lua_pushfstring(L, "the scope is skipped for the rest of the "
                                                "run: it ran out of its budget or memory for %d "
                                                "clients in a row, the last %s; every rule fails "
                                                "for this client and keeps its results",
                                                SPENT_IN_A_ROW, api->client->id));
    lua_pop(L, 1);
    if (!api->scope_skipped)
      rc = CP_ENOMEM;
  }
  for (size_t i = 0; rc == CP_OK && i < api->n_rules; i++) {
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    rc = record_scope_failure(api, &api->rules[i], i == 0, more);
  }
  lua_pop(L, more ? 3 : 2);
  return rc;
}

/* Fails every rule for the client with msg, which was said already (the
 * first one's failure is printed when print_first, else none): each rule
 * keeps its results there. */
static cp_err fail_every(cp_rules *api, cp_outcome *out, const char *msg, int print_first)
{
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i < api->n_rules; i++) {
    const cp_rule *r = &api->rules[i];
    if ((rc = cp_outcome_fail(out, r->id, r->ids, msg, "")) == CP_OK && (i > 0 || !print_first))
      out->failures[out->n_failures - 1].repeat = 1;
  }
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
  if (c->over) {   /* its rows were not all held: no rule runs (the first failure printed) */
    out->scope_failed = 1;
    return out->client_id ? fail_every(api, out, c->over, 1) : CP_ENOMEM;
  }
  if (!api->marked) {   /* the heap of the run values and pools: the baseline */
    mark_baseline(api);
    api->marked = 1;
  }
  cp_sandbox_print_to(api->sb, out);   /* where a worker's print() lines go */
  cp_client_push(api);
  int scope = in_scope(api);
  if (scope == -1)
    rc = fail_all(api);
  else if (scope == -2)   /* the scope no longer called: stored, not printed (the notice was) */
    rc = fail_every(api, out, api->scope_skipped, 0);
  out->skipped = scope == 0;
  out->scope_failed = scope < 0;
  cp_sandbox_push_handler(api->sb);   /* one handler under every rule's call */
  int handler = lua_gettop(L);
  for (size_t i = 0; scope > 0 && rc == CP_OK && i < api->n_rules; i++) {
    cp_rule *r = &api->rules[i];
    size_t keep = out->n;
    api->current = r;
    if (r->needs_table >= 0 && c->tables[r->needs_table].n == 0) {   /* needs = "table" */
      if (api->tracer)
        api->tracer->not_run(api->tracer->ctx, i);
      if (api->prof)
        api->prof->rule[i].not_run++;
      continue;
    }
    if (r->held) {
      rc = skip_held(api, r);
      continue;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->fn_ref);
    lua_pushvalue(L, handler - 1);
    api->rule_gen++;   /* the derived values this call derives are noted with it */
    if (api->params_miss)
      api->params_miss->line = 0;
    cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
    uint64_t outer = 0, t0 = api->prof ? cp_rules_prof_begin(api->prof, &outer) : 0;
    int status = cp_sandbox_call_with(api->sb, 1, 0, handler);
    if (api->prof)
      cp_rules_prof_end(api->prof, &api->prof->rule[i], t0, outer);
    r->spent = spent(api, status) ? r->spent + 1 : 0;
    /* one comparison unless the heap is high; once a rule is suspected,
     * the client's end decides */
    size_t held = api->suspect ? 0 : cp_sandbox_held(api->sb);
    if (held && !upvalues_explain(api, i, held)) {
      api->suspect = r;
      api->suspect_gen = api->rule_gen;
      held = 0;
    }
    if (held)
      rc = blame_holder(api, r, keep, held, status != LUA_OK);
    else if (status != LUA_OK)
      rc = record_failure(api, r, keep);
  }
  cp_sandbox_unhook(api->sb);
  lua_pop(L, 2);
  cp_client_end(api);
  if (api->suspect) {   /* the client's values are let go: is the heap still held? */
    cp_rule *r = api->suspect;
    size_t held = rc == CP_OK ? cp_sandbox_held(api->sb) : 0;
    api->suspect = NULL;
    if (held) {
      uint32_t gen = api->rule_gen;
      api->rule_gen = api->suspect_gen;   /* the derived values its call derived */
      cp_outcome_drop(out, r->ids);
      rc = blame_holder(api, r, out->n, held, 0);
      api->rule_gen = gen;
    }
  }
  api->current = NULL;
  api->client = NULL;
  api->out = NULL;
  cp_sandbox_print_to(api->sb, NULL);
  return out->client_id ? rc : CP_ENOMEM;
}
