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

#include "dates.h"
#include "freeze.h"
#include "sbuf.h"
#include "show.h"

static void on_read(void *ctx, lua_State *L, int kind, unsigned idx);
static void on_derive_begin(void *ctx, const char *name);
static void on_derive_end(void *ctx, lua_State *L, int failed);
static void on_why(void *ctx, const char *reason);
static void on_not_run(void *ctx, size_t rule);

cp_trace *cp_trace_new(const cp_config *cfg, const cp_rules *rules)
{
  size_t n_rules = cp_rules_count(rules);
  cp_trace *t = calloc(1, sizeof *t);
  if (!t || !(t->rules = calloc(n_rules + 1, sizeof *t->rules)) ||
      !(t->scope.name = strdup("scope"))) {
    cp_trace_free(t);
    return NULL;
  }
  t->n_rules = n_rules;
  t->cfg = cfg;
  t->loaded = rules;
  t->hooks = (cp_tracer){on_read, on_derive_begin, on_derive_end, on_why, on_not_run, t};
  return t;
}

const cp_tracer *cp_trace_tracer(cp_trace *t)
{
  return &t->hooks;
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
static cp_tctx *current(cp_trace *t)
{
  long rule = cp_rules_current(t->loaded);
  if (t->depth > 0)
    return &t->derived[t->stack[t->depth - 1]];
  if (rule >= 0)
    return &t->rules[rule];
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
  cp_sbuf_free(&b);
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
  if (!value || !copy || cp_arena_grow((void **)&c->reads, &c->cap_reads, c->n_reads, sizeof *c->reads)) {
    free(value);
    free(copy);
    t->oom = 1;
    return;
  }
  c->reads[c->n_reads++] = (cp_tread){kind, copy, value, text};
}

/* The tracer's read hook: records the field read (name at 2, value on top). */
static void on_read(void *ctx, lua_State *L, int kind, unsigned idx)
{
  cp_trace *t = ctx;
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
    long long n = (long long)luaL_len(L, -1);
    snprintf(buf, sizeof buf, "<%lld row%s>", n, n == 1 ? "" : "s");
    value = strdup(buf);
    text = 1;
    kind = CP_NAME_TABLE;
  } else if (kind == CP_NAME_RUN) {   /* run.<id>: shown by that name, masked as results are */
    char *shown = render(L, -1, -1, &text);
    value = shown ? cp_rules_masked(t->loaded, shown) : NULL;
    free(shown);
    lua_pushfstring(L, "run.%s", name ? name : "?");
    add_read(t, current(t), kind, lua_tostring(L, -1), value, text);
    lua_pop(L, 1);
    return;
  } else if (kind == CP_NAME_COLUMN && t->cfg->file->clients->columns[idx].sensitive) {
    value = strdup(CP_SHOW_MASKED);
    text = 1;
  } else {
    int type = kind == CP_NAME_COLUMN ? (int)t->cfg->file->clients->columns[idx].type : -1;
    value = render(L, -1, type, &text);
  }
  add_read(t, current(t), kind, name, value, text);
}

/* The tracer's derive_begin hook: a derived value starts. */
static void on_derive_begin(void *ctx, const char *name)
{
  cp_trace *t = ctx;
  cp_tctx *c;
  if (t->depth == (int)(sizeof t->stack / sizeof t->stack[0]) ||
      cp_arena_grow((void **)&t->derived, &t->cap_derived, t->n_derived, sizeof *t->derived) ||
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

/* The tracer's derive_end hook: it ended with its value, or its error, on top. */
static void on_derive_end(void *ctx, lua_State *L, int failed)
{
  cp_trace *t = ctx;
  int over = t->depth > (int)(sizeof t->stack / sizeof t->stack[0]);
  t->depth--;
  if (over || t->oom)
    return;
  cp_tctx *c = &t->derived[t->stack[t->depth]];
  c->failed = failed;
  c->seq = ++t->seq;
  char *shown = failed ? strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)")
                       : render(L, -1, cp_rules_derived_type(t->loaded, c->name), &c->text);
  c->value = shown ? cp_rules_masked(t->loaded, shown) : NULL;   /* masked, as its columns are */
  free(shown);
  if (!failed)
    add_read(t, current(t), CP_TRACE_DERIVED, c->name,
             strdup(c->value ? c->value : "nil"), c->text);
}

/* The tracer's why hook: a reason of the current rule or derived value.
 * The reasons of the client hold at most limits.memory_mb, as its Lua heap
 * does: past that (a loop giving a long reason per row, under a large
 * instruction budget) a reason is counted, not kept. */
static void on_why(void *ctx, const char *reason)
{
  cp_trace *t = ctx;
  cp_tctx *c = current(t);
  size_t len = strlen(reason ? reason : "");
  if (len > ((size_t)t->cfg->file->limits.memory_mb << 20) - t->why_bytes) {
    c->why_dropped++;
    return;
  }
  char *s = cp_rules_masked(t->loaded, reason ? reason : "");
  if (!s || cp_arena_grow((void **)&c->why, &c->cap_why, c->n_why, sizeof *c->why)) {
    free(s);
    t->oom = 1;
    return;
  }
  t->why_bytes += len;
  c->why[c->n_why++] = s;
}

/* The tracer's not_run hook: a check was not run for want of rows. */
static void on_not_run(void *ctx, size_t rule)
{
  cp_trace *t = ctx;
  t->rules[rule].not_run = 1;
}
