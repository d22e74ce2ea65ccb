/* pool.c: pools of people that assignments pick from, by load and capacity,
 * deterministically and in client order (the engine's staffing mechanism). */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "freeze.h"
#include "pool.h"
#include "sbuf.h"

/* qsort comparator: by group, then id. */
static int cmp_member(const void *a, const void *b)
{
  const cp_member *x = a, *y = b;
  int c = strcmp(x->group, y->group);
  return c ? c : strcmp(x->id, y->id);
}

/* The members being sorted, for by_index() (qsort has no context argument;
 * each worker thread sorts its own pools). */
static _Thread_local const cp_member *sorting;

/* qsort comparator of member indexes: by group, then id, then index (the
 * order members were added in, for the same id twice). */
static int by_index(const void *a, const void *b)
{
  uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
  int c = cmp_member(&sorting[i], &sorting[j]);
  return c ? c : (i > j) - (i < j);
}

/* Sorts the members of p by group, then id, keeping the order they were
 * added in for equal ones: sorts 4-byte indexes, then moves each member
 * once along the permutation's cycles, so that no second copy of the
 * members is made (qsort would make one: 1.3 MB for 40,000 members).
 * Returns 0, or -1 when out of memory. */
static int sort_members(cp_pool *p)
{
  if (!p->n)   /* nothing to sort (and malloc(0) may answer NULL) */
    return 0;
  uint32_t *from = p->n < UINT32_MAX ? malloc(p->n * sizeof *from) : NULL;
  if (!from)   /* from[k]: the member that goes to k */
    return -1;
  for (uint32_t k = 0; k < p->n; k++)
    from[k] = k;
  sorting = p->members;
  qsort(from, p->n, sizeof *from, by_index);
  sorting = NULL;
  for (uint32_t start = 0; start < p->n; start++) {
    if (from[start] == UINT32_MAX || from[start] == start)
      continue;
    cp_member held = p->members[start];
    uint32_t k = start;
    while (from[k] != start) {
      uint32_t next = from[k];
      p->members[k] = p->members[next];
      from[k] = UINT32_MAX;
      k = next;
    }
    p->members[k] = held;
    from[k] = UINT32_MAX;
  }
  free(from);
  return 0;
}

/* Reads integer field name of the table at idx; def when nil; -2 when it is
 * not a whole number >= 0. */
static int64_t int_field(lua_State *L, int idx, const char *name, int64_t def)
{
  int isnum = 0;
  lua_getfield(L, idx, name);
  lua_Integer v = lua_isnil(L, -1) ? def : lua_tointegerx(L, -1, &isnum);
  /* a number only: lua_tointegerx also converts a text ("12", " 1 ", "0x10"),
   * which alert{}'s level and every other whole number of the API refuse */
  if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TNUMBER || !isnum || v < 0))
    v = -2;
  lua_pop(L, 1);
  return v;
}

/* Returns a copy of the string at idx in p's names; one copy per group, found
 * through the table groups (string -> light userdata). NULL when out of memory. */
static const char *group_name(lua_State *L, int idx, int groups, cp_pool *p)
{
  size_t len;
  const char *s;
  idx = lua_absindex(L, idx);
  lua_pushvalue(L, idx);
  if (lua_rawget(L, groups) == LUA_TLIGHTUSERDATA)
    s = lua_touserdata(L, -1);
  else if ((s = lua_tolstring(L, idx, &len)) && (s = cp_arena_strndup(&p->names, s, len))) {
    lua_pushvalue(L, idx);
    lua_pushlightuserdata(L, (void *)s);
    lua_rawset(L, groups);
  }
  lua_pop(L, 1);
  return s;
}

/* Returns the name of a field of the member table at idx that is none of
 * id, group, capacity and load (its type's name for a key that is not a
 * text), or NULL. Its own keys are read raw, a read-only view's (a member
 * from params or a run value) those of the table behind it; what an
 * __index gives is not seen. The name stays valid while the table holds it. */
static const char *unknown_field(lua_State *L, int idx)
{
  static const char *const known[] = {"id", "group", "capacity", "load"};
  const char *found = NULL;
  idx = lua_absindex(L, idx);
  int t = cp_freeze_behind(L, idx) ? lua_gettop(L) : idx;
  lua_pushnil(L);
  while (!found && lua_next(L, t)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      found = luaL_typename(L, -1);
      continue;
    }
    const char *k = lua_tostring(L, -1);
    found = k;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
      if (!strcmp(k, known[i]))
        found = NULL;
  }
  if (found)
    lua_pop(L, 1);   /* the key */
  if (t != idx)
    lua_pop(L, 1);   /* the table behind the view */
  return found;
}

/* Adds the member {id=, group=, capacity=, load=} at idx to pool p (not
 * sorted yet); groups as for group_name(). Returns an error message (in buf,
 * of size cap, when it names the member), or NULL. */
static const char *add_member(lua_State *L, int idx, int groups, cp_pool *p, char *buf,
                              size_t cap)
{
  size_t len;
  if (!lua_istable(L, idx))
    return "each member must be a table {id=, group=, capacity=, load=}";
  /* every field is read before the member is made: a field's __index may
   * run add() again, which grows (moves) the member array */
  lua_getfield(L, idx, "id");
  lua_getfield(L, idx, "group");
  int64_t capacity = int_field(L, idx, "capacity", -1), load = int_field(L, idx, "load", 0);
  if (lua_type(L, -2) == LUA_TSTRING && !lua_isstring(L, -1)) {   /* name it: a fact, often */
    const char *mid = lua_tolstring(L, -2, &len);
    snprintf(buf, cap, "member '%.*s': group is %s: each member needs a string id and group",
             (int)(len > 64 ? 64 : len), mid, luaL_typename(L, -1));
    return buf;
  }
  if (!lua_isstring(L, -2) || !lua_isstring(L, -1))
    return "each member needs a string id and group";
  if (lua_type(L, -2) == LUA_TNUMBER) {   /* its digits, as an assignee's: not tostring's
                                           * %.14g, which wrote 5.0 as '5.0' and two floats
                                           * alike */
    char digits[32];
    if (!lua_isinteger(L, -2) && !isfinite(lua_tonumber(L, -2)))
      return "a member's id is NaN or infinity, which has no digits (an id is a text or a "
             "number's digits)";
    cp_emit_number_text(L, -2, digits);
    lua_pushstring(L, digits);
    lua_replace(L, -3);
  }
  size_t glen;
  const char *id = lua_tolstring(L, -2, &len), *group = lua_tolstring(L, -1, &glen);
  if (memchr(id, '\0', len) || memchr(group, '\0', glen))   /* stored as text it would be cut */
    return "a member's id and group may not contain a NUL byte";
  if (!len)   /* picked, it would be the assignee '' (nobody), with no unfilled alert */
    return "a member's id may not be empty (it would be picked as nobody)";
  if (!cp_sbuf_is_utf8(id, len))   /* JSON's U+FFFD would write two ids alike */
    return "a member's id is not valid UTF-8 (the feed and sinks could not tell it from another)";
  const char *unknown = unknown_field(L, idx);   /* capcity = 1 read as no limit, silently */
  if (unknown) {
    snprintf(buf, cap, "member '%.*s' (group '%.*s'): unknown field '%.40s' (fields: id, group, "
             "capacity, load)", (int)(len > 64 ? 64 : len), id, (int)(glen > 64 ? 64 : glen),
             group, unknown);
    return buf;
  }
  if (capacity == -2 || load == -2) {   /* which member and value: often a fact's */
    const char *what = capacity == -2 ? "capacity" : "load";
    char shown[48];
    lua_getfield(L, idx, what);
    if (lua_isinteger(L, -1))
      snprintf(shown, sizeof shown, "%lld", (long long)lua_tointeger(L, -1));
    else if (lua_type(L, -1) == LUA_TNUMBER)
      snprintf(shown, sizeof shown, "%.17g", (double)lua_tonumber(L, -1));
    else if (lua_type(L, -1) == LUA_TSTRING) {   /* a number's text, often: say it is one */
      size_t tlen;
      const char *t = lua_tolstring(L, -1, &tlen);
      snprintf(shown, sizeof shown, "the text '%.*s'%s", (int)(tlen > 24 ? 24 : tlen), t,
               tlen > 24 ? "..." : "");
    } else
      snprintf(shown, sizeof shown, "a %s", luaL_typename(L, -1));
    lua_pop(L, 1);
    snprintf(buf, cap, "member '%.*s' (group '%.*s'): %s %s: a member's capacity and load "
             "must be whole numbers >= 0 (capacity nil: no limit)", (int)(len > 64 ? 64 : len),
             id, (int)(glen > 64 ? 64 : glen), group, what, shown);
    return buf;
  }
  if (cp_arena_grow((void **)&p->members, &p->cap, p->n, sizeof *p->members) < 0)
    return "not enough memory";
  cp_member *m = &p->members[p->n];
  m->id = cp_arena_strndup(&p->names, id, len);
  m->group = group_name(L, -1, groups, p);
  lua_pop(L, 2);
  m->capacity = capacity;
  m->load = load;
  if (!m->id || !m->group)
    return "not enough memory";
  p->n++;
  return NULL;
}

/* add(member), the argument of members(): upvalue 1 holds the pool being
 * filled (NULL once members() returned), upvalue 2 its groups. */
static int l_add(lua_State *L)
{
  cp_pool **p = lua_touserdata(L, lua_upvalueindex(1));
  if (!*p)
    return luaL_error(L, "add() works only while members() runs");
  char buf[320];
  const char *err = add_member(L, 1, lua_upvalueindex(2), *p, buf, sizeof buf);
  return err ? luaL_error(L, "%s", err) : 0;
}

/* (box, members, groups) -> nil, or what is wrong with the list: calls
 * members(add) and takes the list it returns, if any, into the pool in box.
 * Runs in a protected, budgeted call: the list and its members are the
 * rule's values, and reading them may run their metamethods. */
static int l_fill(lua_State *L)
{
  cp_pool **box = lua_touserdata(L, 1);
  cp_pool *p = *box;
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 3);
  lua_pushcclosure(L, l_add, 2);
  lua_call(L, 1, 1);
  *box = NULL;
  if (lua_istable(L, -1) && cp_freeze_behind(L, -1))   /* a read-only view: its table */
    lua_replace(L, -2);
  int list = lua_gettop(L);
  const char *err = NULL;
  char buf[320];   /* err may point here after the loop pops the member */
  if (lua_istable(L, list)) {
    lua_Integer keys = 0;
    for (lua_pushnil(L); lua_next(L, list); lua_pop(L, 1))
      keys++;
    if (keys != (lua_Integer)lua_rawlen(L, list))   /* a map would give no member, silently */
      err = "members(add) returned a table that is not a list of members (it has keys other "
            "than 1, 2, 3...)";
    for (lua_Integer i = 1; !err && i <= (lua_Integer)lua_rawlen(L, list); i++) {
      lua_rawgeti(L, list, i);
      err = add_member(L, list + 1, 3, p, buf, sizeof buf);
      lua_settop(L, list);
    }
  } else if (!lua_isnil(L, list)) {
    err = "members(add) must add each member with add{id=, group=, capacity=, load=} or "
          "return a list of them";
  }
  if (err)
    lua_pushstring(L, err);
  else
    lua_pushnil(L);
  return 1;
}

/* Says that pool p failed (why: a message with its file:line) and leaves
 * it without members: each rule that picks from it fails for each client
 * and keeps its results (cp_pool_resolve), and the run goes on. Returns
 * CP_OK, or CP_ENOMEM. */
static cp_err pool_failed(cp_pool *p, const char *why)
{
  cp_diag_fail(CP_EEVAL, "%s (pool '%s'; every rule that picks from it fails for each client "
               "and keeps its results)", why ? why : "?", p->id ? p->id : "?");
  p->n = 0;
  free(p->failed);
  return (p->failed = strdup(why ? why : "?")) ? CP_OK : CP_ENOMEM;
}

/* Fills pool p: calls members(add) of the declaration at decl, then takes
 * the list it returns, if any (l_fill). Prints and returns CP_EEVAL on an
 * error. */
static cp_err call_members(cp_rules *api, int decl, cp_pool *p)
{
  lua_State *L = api->L;
  cp_pool **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = p;
  lua_pushcfunction(L, l_fill);
  lua_pushvalue(L, -2);
  lua_getfield(L, decl, "members");
  lua_newtable(L);   /* the groups */
  cp_sandbox_budget(api->sb, api->cfg->file->limits.instructions);
  int rc = cp_sandbox_call(api->sb, 3, 1);
  *box = NULL;
  if (rc != LUA_OK)
    return pool_failed(p, lua_tostring(L, -2));
  if (lua_isnil(L, -1))
    return CP_OK;
  const char *err = lua_tostring(L, -1);
  lua_getfield(L, decl, "declared_at");
  lua_pushfstring(L, "%s: pool '%s': %s", lua_tostring(L, -1), p->id, err);
  return pool_failed(p, lua_tostring(L, -1));
}

cp_err cp_pools_compute(cp_rules *api)
{
  lua_State *L = api->L;
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->pools_ref);
  size_t n = lua_rawlen(L, -1);
  if (!(api->pools = calloc(n + 1, sizeof *api->pools)))
    return cp_diag_fail(CP_ENOMEM, "rules: out of memory");
  cp_err rc = CP_OK;
  for (size_t i = 1; rc == CP_OK && i <= n; i++, api->n_pools++) {
    cp_pool *p = &api->pools[api->n_pools];
    lua_rawgeti(L, top + 1, (lua_Integer)i);
    lua_getfield(L, -1, "id");
    p->id = strdup(lua_tostring(L, -1));
    lua_getfield(L, top + 2, "across_runs");
    p->across_runs = lua_toboolean(L, -1);
    lua_pop(L, 1);
    rc = call_members(api, top + 2, p);
    lua_settop(L, top + 1);
  }
  lua_settop(L, top);
  lua_gc(L, LUA_GCCOLLECT);   /* the members lists are garbage: free them before sorting */
  for (size_t i = 0; rc == CP_OK && i < api->n_pools; i++) {
    cp_pool *p = &api->pools[i];
    if (p->n > 1 && sort_members(p) < 0)   /* NULL members: empty */
      rc = cp_diag_fail(CP_ENOMEM, "pool '%s': out of memory", p->id);
    for (size_t k = 1; rc == CP_OK && k < p->n; k++)   /* sorted: a repeat is next to it */
      if (cmp_member(&p->members[k - 1], &p->members[k]) == 0) {
        const char *at = cp_api_declared_at(api, api->pools_ref, p->id);
        lua_pushfstring(api->L, "%s: pool '%s': member '%s' is added twice to group '%s' (it "
                        "would be picked under two capacities)", at ? at : "?", p->id,
                        p->members[k].id, p->members[k].group);
        rc = pool_failed(p, lua_tostring(api->L, -1));
        lua_pop(api->L, 1);
        break;
      }
  }
  return rc;
}

int cp_pool_declared(cp_rules *api, const char *id)
{
  lua_State *L = api->L;
  int found = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->pools_ref);
  for (lua_Integer i = 1; !found && i <= (lua_Integer)lua_rawlen(L, -1); i++) {
    lua_rawgeti(L, -1, i);
    lua_getfield(L, -1, "id");
    found = strcmp(lua_tostring(L, -1), id) == 0;
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  return found;
}

void cp_pool_push_ids(cp_rules *api)
{
  lua_State *L = api->L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->pools_ref);
  int t = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (lua_Integer i = 1; i <= n && i <= 20; i++) {
    luaL_addstring(&b, i > 1 ? ", '" : "'");
    lua_rawgeti(L, t, i);
    lua_getfield(L, -1, "id");
    lua_remove(L, -2);
    luaL_addvalue(&b);
    luaL_addchar(&b, '\'');
  }
  char more[48];
  snprintf(more, sizeof more, " and %lld more", (long long)(n - 20));
  luaL_addstring(&b, n > 20 ? more : n == 0 ? "none" : "");
  luaL_pushresult(&b);
  lua_remove(L, t);
}

cp_pool *cp_pool_find(cp_rules *api, const char *id)
{
  for (size_t i = 0; i < api->n_pools; i++)
    if (strcmp(api->pools[i].id, id) == 0)
      return &api->pools[i];
  return NULL;
}

void cp_pools_free(cp_rules *api)
{
  for (size_t i = 0; i < api->n_pools; i++) {
    cp_arena_free(&api->pools[i].names);
    free(api->pools[i].members);
    free(api->pools[i].id);
    free(api->pools[i].failed);
  }
  free(api->pools);
  api->pools = NULL;
  api->n_pools = 0;
}

/* Returns the member (group, id) of a pool, or NULL. */
static cp_member *member(cp_pool *p, const char *group, const char *id)
{
  cp_member probe = {.id = id, .group = group};
  if (!p->n)   /* no member: members is NULL, which bsearch may not be given */
    return NULL;
  return bsearch(&probe, p->members, p->n, sizeof *p->members, cmp_member);
}

/* Returns the member of group with the smallest load below its capacity,
 * then the smallest id; NULL when nobody qualifies. */
static cp_member *pick(cp_pool *p, const char *group)
{
  cp_member *best = NULL;
  size_t lo = 0, hi = p->n;   /* members are sorted by group: find its first */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(p->members[mid].group, group) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < p->n && strcmp(p->members[i].group, group) == 0; i++) {
    cp_member *m = &p->members[i];
    if (m->capacity >= 0 && m->load >= m->capacity)
      continue;
    if (!best || m->load < best->load)   /* members are in id order: ties keep the first */
      best = m;
  }
  return best;
}

/* Returns the index of the alert standing in for assignment a when unfilled. */
static size_t unfilled_alert(const cp_outcome *o, const cp_item *a)
{
  for (size_t i = 0; i < o->n; i++)
    if (o->items[i].what == CP_ALERT && o->items[i].if_unfilled &&
        strcmp(o->items[i].key, a->key) == 0 && o->items[i].unfilled_of &&
        strcmp(o->items[i].unfilled_of, a->rule) == 0)
      return i;
  return o->n;
}

void cp_pool_hold(cp_rules *api, const char *pool, const char *group, const char *id)
{
  cp_pool *p = cp_pool_find(api, pool);
  cp_member *m = p && !p->across_runs ? member(p, group, id) : NULL;   /* else held at start */
  if (m && m->load < INT64_MAX)
    m->load++;
}

int cp_pools_across_runs(const cp_rules *api)
{
  for (size_t i = 0; i < api->n_pools; i++)
    if (api->pools[i].across_runs)
      return 1;
  return 0;
}

void cp_pool_hold_open(cp_rules *api, const char *pool, const char *group, const char *id)
{
  cp_pool *p = cp_pool_find(api, pool);
  cp_member *m = p && p->across_runs ? member(p, group, id) : NULL;
  if (m && m->load < INT64_MAX)
    m->load++;
}

/* Returns the group of pick it that is group (its own, or one of its
 * fallback groups), or its own group when group is none of them. */
static const char *group_of_pick(const cp_item *it, const char *group)
{
  for (const char *g = it->fallback; g && *g; g += strlen(g) + 1)
    if (!strcmp(g, group))
      return g;
  return it->group;
}

/* Fails, for the client of o, the rule that reported item it (a pick from
 * pool p, which failed): its results are dropped and its earlier ones stay,
 * as for any rule error. */
static cp_err fail_picker(cp_rules *api, cp_outcome *o, const cp_item *it, const cp_pool *p)
{
  const cp_rule *r = NULL;
  for (size_t i = 0; !r && i < api->n_rules; i++)
    for (size_t j = 0; api->rules[i].ids && api->rules[i].ids[j]; j++)
      if (!strcmp(api->rules[i].ids[j], it->rule))
        r = &api->rules[i];
  const char *rule = r ? r->id : it->rule;
  const char *one[] = {it->rule, NULL};
  const char *const *ids = r ? (const char *const *)r->ids : one;
  if (cp_outcome_failed(o, rule)) {   /* failed already (a pick before): drop this too */
    cp_outcome_drop(o, ids);
    return CP_OK;
  }
  sbuf msg = {0};
  cp_sbuf_printf(&msg, "assign{}: pool '%s' failed in this run: %s (rule %s, client %s)", p->id,
                 p->failed, rule, o->client_id ? o->client_id : "?");
  cp_err rc = msg.oom ? CP_ENOMEM : cp_outcome_fail(o, rule, ids, msg.s, "");
  cp_sbuf_free(&msg);
  cp_outcome_drop(o, ids);
  return rc;
}

cp_err cp_pool_fail_pickers(cp_rules *api, cp_outcome *o)
{
  for (size_t i = 0; i < o->n; i++) {
    const cp_item *it = &o->items[i];
    if (it->what != CP_ASSIGN || !it->pool)
      continue;
    const cp_pool *p = cp_pool_find(api, it->pool);
    cp_err rc = p && p->failed ? fail_picker(api, o, it, p) : CP_OK;
    if (rc != CP_OK)
      return rc;
  }
  return CP_OK;
}

cp_err cp_pool_resolve(cp_rules *api, cp_outcome *o, cp_prior_fn prior, void *ctx)
{
  for (size_t i = 0; i < o->n; i++) {
    cp_item *it = &o->items[i];
    if (it->what != CP_ASSIGN || !it->pool)
      continue;
    cp_pool *p = cp_pool_find(api, it->pool);
    if (p && p->failed) {
      cp_err rc = fail_picker(api, o, it, p);
      if (rc != CP_OK)
        return rc;
      continue;
    }
    const char *asked = it->group, *was_pool = NULL, *was_group = NULL;
    int was_held = 0;
    const char *kept = prior ? prior(ctx, it->rule, it->key, &was_pool, &was_group, &was_held)
                             : NULL;
    if (kept && was_pool && was_group && !strcmp(was_pool, it->pool))
      it->group = group_of_pick(it, was_group);   /* kept: the group it was picked from */
    cp_member *m = kept && p ? member(p, it->group, kept) : NULL;
    /* keep = "while_member": a proposal open before the run whose member is
     * gone from its group (or that has none since) is picked anew, and
     * when nobody can take it, stays proposed with no assignee beside its
     * unfilled alert: it is still needed, not withdrawn */
    int stays_open = it->keep_while_member && was_held && (!kept || (p && !m));
    if (kept && p && !m && it->keep_while_member) {
      kept = NULL;
      was_held = 0;
      it->group = asked;
    }
    if (!kept && p) {
      m = pick(p, it->group);
      for (const char *g = it->fallback; !m && g && *g; g += strlen(g) + 1)
        if ((m = pick(p, g)) != NULL)
          it->group = g;   /* stored as the pick's group: its load is that group's */
    }
    /* across runs, an open pick of this pool and group was counted before
     * the first client (cp_pool_hold_open) */
    int held = kept && p && p->across_runs && was_held && was_pool && was_group &&
               !strcmp(was_pool, it->pool) && !strcmp(was_group, it->group);
    if (m && m->load < INT64_MAX && !held)   /* add{} takes any load: it saturates */
      m->load++;
    size_t alt = unfilled_alert(o, it);
    it->assignee = kept ? kept : m ? m->id : NULL;
    if (it->assignee) {
      if (alt < o->n)
        o->items[alt].what = CP_DROPPED;
    } else if (alt < o->n) {
      if (!stays_open)
        it->what = CP_DROPPED;
      o->items[alt].if_unfilled = 0;
    }
  }
  return CP_OK;
}
