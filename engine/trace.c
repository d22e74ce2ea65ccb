/* trace.c: records what one client's evaluation reads and says, for
 * `crmpolicy explain`; and why(), which rules call to give their reasons and
 * which costs nothing when no one is listening. */
#include "arena.h"
#include "trace.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "show.h"

cp_trace *cp_trace_new(size_t n_rules)
{
  cp_trace *t = calloc(1, sizeof *t);
  if (!t || !(t->rules = calloc(n_rules + 1, sizeof *t->rules)) ||
      !(t->scope.name = strdup("scope"))) {
    cp_trace_free(t);
    return NULL;
  }
  t->n_rules = n_rules;
  return t;
}

/* Frees what a context holds. */
static void free_ctx(cp_tctx *c)
{
  for (size_t i = 0; i < c->n_reads; i++) {
    free(c->reads[i].name);
    free(c->reads[i].value);
  }
  for (size_t i = 0; i < c->n_why; i++)
    free(c->why[i]);
  free(c->reads);
  free(c->why);
  free(c->name);
  free(c->value);
}

void cp_trace_free(cp_trace *t)
{
  if (!t)
    return;
  free_ctx(&t->scope);
  for (size_t i = 0; t->rules && i < t->n_rules; i++)
    free_ctx(&t->rules[i]);
  for (size_t i = 0; i < t->n_derived; i++)
    free_ctx(&t->derived[i]);
  free(t->rules);
  free(t->derived);
  free(t);
}

const cp_tctx *cp_trace_derived(const cp_trace *t, const char *id)
{
  for (size_t i = 0; i < t->n_derived; i++)
    if (!strcmp(t->derived[i].name, id))
      return &t->derived[i];
  return NULL;
}

/* The context reads are charged to: the derived value being computed, else
 * the rule being evaluated, else the scope. */
static cp_tctx *current(cp_api *api)
{
  cp_trace *t = api->trace;
  if (t->depth > 0)
    return &t->derived[t->stack[t->depth - 1]];
  if (api->current)
    return &t->rules[api->current - api->rules];
  return &t->scope;
}

/* Returns the value at idx as malloc'd text, as show.c shows it (NULL when
 * out of memory); *text says whether it is shown as text (quoted by
 * explain's JSON). Dates and timestamps of a column of type type (-1:
 * none) are written as such. */
static char *render(lua_State *L, int idx, int type, int *text)
{
  sbuf b = {0};
  int t = lua_type(L, idx);
  *text = t != LUA_TNIL && t != LUA_TBOOLEAN && !(t == LUA_TNUMBER &&
          !(lua_isinteger(L, idx) && (type == CP_COL_DATE || type == CP_COL_TIMESTAMP)));
  cp_show(L, idx, type, &b);
  char *s = b.s && !b.oom ? strdup(b.s) : NULL;
  sbuf_free(&b);
  return s;
}

/* Records in c that name (of kind) was read with the value at the top of the
 * stack, unless c has read it before. */
static void add_read(cp_trace *t, cp_tctx *c, int kind, const char *name, char *value, int text)
{
  for (size_t i = 0; i < c->n_reads; i++)
    if (!strcmp(c->reads[i].name, name)) {
      free(value);
      return;
    }
  char *copy = strdup(name);
  if (!value || !copy || cp_grow((void **)&c->reads, &c->cap_reads, c->n_reads, sizeof *c->reads)) {
    free(value);
    free(copy);
    t->oom = 1;
    return;
  }
  c->reads[c->n_reads++] = (cp_tread){kind, copy, value, text};
}

void cp_trace_read(cp_api *api, int kind, unsigned idx)
{
  lua_State *L = api->L;
  cp_trace *t = api->trace;
  const char *name = lua_tostring(L, 2);
  const cp_tctx *d = kind == 0 ? cp_trace_derived(t, name) : NULL;
  char *value;
  int text = 0;
  if (kind == 0 && d) {   /* a derived value from the cache: as computed */
    value = strdup(d->value ? d->value : "nil");
    text = d->text;
    kind = CP_TRACE_DERIVED;
  } else if (kind == CP_NAME_TABLE || (kind == 0 && lua_isuserdata(L, -1))) {
    char buf[48];   /* a rowset: the client's rows of that table */
    long long n = kind == CP_NAME_TABLE ? (long long)api->client->tables[idx].n
                                        : (long long)luaL_len(L, -1);
    snprintf(buf, sizeof buf, "<%lld row%s>", n, n == 1 ? "" : "s");
    value = strdup(buf);
    text = 1;
    kind = CP_NAME_TABLE;
  } else if (kind == CP_NAME_COLUMN && api->cfg->file->clients->columns[idx].sensitive) {
    value = strdup(CP_SHOW_MASKED);
    text = 1;
  } else {
    int type = kind == CP_NAME_COLUMN ? (int)api->cfg->file->clients->columns[idx].type : -1;
    value = render(L, -1, type, &text);
  }
  add_read(t, current(api), kind, name, value, text);
}

void cp_trace_derive_begin(cp_api *api)
{
  cp_trace *t = api->trace;
  const char *name = lua_tostring(api->L, 2);
  cp_tctx *c;
  if (t->depth == (int)(sizeof t->stack / sizeof t->stack[0]) ||
      cp_grow((void **)&t->derived, &t->cap_derived, t->n_derived, sizeof *t->derived) ||
      !name) {
    t->oom = 1;
    t->depth++;   /* kept in step with cp_trace_derive_end() */
    return;
  }
  c = &t->derived[t->n_derived];
  *c = (cp_tctx){.name = strdup(name)};
  if (!c->name) {
    t->oom = 1;
    t->depth++;
    return;
  }
  t->stack[t->depth++] = t->n_derived++;
}

/* Returns the column type that derive{type = ...} of id declares, or -1. */
static int derived_type(cp_api *api, const char *id)
{
  lua_State *L = api->L;
  int type = -1, top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, api->derive_ref);
  if (lua_getfield(L, -1, id) == LUA_TTABLE && lua_getfield(L, -1, "type") == LUA_TSTRING)
    type = strcmp(lua_tostring(L, -1), "date") ? CP_COL_TIMESTAMP : CP_COL_DATE;
  lua_settop(L, top);
  return type;
}

void cp_trace_derive_end(cp_api *api, int failed)
{
  lua_State *L = api->L;
  cp_trace *t = api->trace;
  int over = t->depth > (int)(sizeof t->stack / sizeof t->stack[0]);
  t->depth--;
  if (over || t->oom)
    return;
  cp_tctx *c = &t->derived[t->stack[t->depth]];
  c->failed = failed;
  c->seq = ++t->seq;
  c->value = failed ? strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)")
                    : render(L, -1, derived_type(api, c->name), &c->text);
  if (!failed)
    add_read(t, current(api), CP_TRACE_DERIVED, c->name,
             strdup(c->value ? c->value : "nil"), c->text);
}

/* why(fmt, ...): records string.format(fmt, ...) as a reason of the current
 * rule; does nothing (not even the formatting) when no one traces. */
static int l_why(lua_State *L)
{
  cp_api *api = cp_api_of(L);
  if (!api->trace || !api->client)
    return 0;
  int n = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, LUA_STRLIBNAME);
  lua_getfield(L, -1, "format");
  lua_insert(L, 1);
  lua_pop(L, 2);
  if (lua_pcall(L, n, 1, 0) != LUA_OK) {   /* name the rule's line, not format's */
    luaL_where(L, 1);
    lua_pushfstring(L, "%swhy(): %s", lua_tostring(L, -1), lua_tostring(L, -2));
    return lua_error(L);
  }
  cp_tctx *c = current(api);
  char *s = strdup(lua_tostring(L, -1));
  if (!s || cp_grow((void **)&c->why, &c->cap_why, c->n_why, sizeof *c->why)) {
    free(s);
    api->trace->oom = 1;
    return 0;
  }
  c->why[c->n_why++] = s;
  return 0;
}

void cp_trace_register(cp_api *api)
{
  cp_sandbox_env(api->sb);
  lua_pushcfunction(api->L, l_why);
  lua_setfield(api->L, -2, "why");
  lua_pop(api->L, 1);
}
