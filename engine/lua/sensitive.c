/* sensitive.c: keeping sensitive columns out of results. Only configs that
 * mark a column pay for it: the check walks the sensitive columns of the
 * client's own values, which are few, at each alert{} or assign{}. */
#include "sensitive.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "sbuf.h"
#include "show.h"

/* Returns 1 when JSON text data holds text v as a JSON string writes it:
 * a value with a quote, a backslash, a line break or another control
 * character is escaped there ("a\nb"), and would not be found as it is. */
static int json_holds(const char *data, const cp_value *v)
{
  sbuf e = {0};
  cp_sbuf_json_str(&e, v->u.s, v->len);   /* "...": the quotes are left out below */
  int found = !e.oom && e.len >= 2 && (e.len - 2 != v->len || memcmp(e.s + 1, v->u.s, v->len)) &&
              memmem(data, strlen(data), e.s + 1, e.len - 2) != NULL;
  cp_sbuf_free(&e);
  return found;
}

/* Returns the name of the field of it that holds text v, or NULL. */
static const char *holder(const cp_item *it, const cp_value *v)
{
  const char *names[] = {"title", "data", "key", "assignee"};
  const char *texts[] = {it->title, it->data, it->key, it->assignee};
  if (v->type != CP_V_TEXT || v->len < CP_SENSITIVE_MIN)
    return NULL;
  for (int i = 0; i < 4; i++)
    if (texts[i] && (memmem(texts[i], strlen(texts[i]), v->u.s, v->len) ||
                     (texts[i] == it->data && json_holds(texts[i], v))))
      return names[i];
  return NULL;
}

/* Calls fn(ctx, t, col, v) for every text value v of 4 bytes or more of a
 * sensitive column col of table t in the current client's values (its
 * columns, then its rows), until fn returns nonzero; returns that. */
static int each_value(const cp_rules *api, void *ctx,
                      int (*fn)(void *ctx, const cp_table_cfg *t, unsigned col,
                                const cp_value *v))
{
  const cp_config_file *f = api->cfg->file;
  int stop = 0;
  if (!api->cfg->any_sensitive || !api->client)   /* most configs mark nothing */
    return 0;
  for (unsigned j = 0; !stop && j < f->clients->columns_count; j++) {
    const cp_value *v = &api->client->fields[j];
    if (f->clients->columns[j].sensitive && v->type == CP_V_TEXT && v->len >= CP_SENSITIVE_MIN)
      stop = fn(ctx, f->clients, j, v);
  }
  for (unsigned ti = 0; !stop && ti < f->tables_count; ti++) {
    const cp_table_cfg *t = &f->tables[ti];
    const cp_rows *rows = &api->client->tables[ti];
    for (unsigned j = 0; !stop && j < t->columns_count; j++)
      for (uint32_t r = 0; !stop && t->columns[j].sensitive && r < rows->n; r++) {
        const cp_value *v = &rows->v[(size_t)r * t->columns_count + j];
        if (v->type == CP_V_TEXT && v->len >= CP_SENSITIVE_MIN)
          stop = fn(ctx, t, j, v);
      }
  }
  return stop;
}

/* What refuse_found needs: the item, the state, and what the search of one
 * value costs, charged as it goes. */
typedef struct check_ctx {
  lua_State *L;
  const cp_item *it;
  uint64_t per_value;   /* bytes searched for one value: the item's texts, and a value's own */
  uint64_t owed;        /* bytes searched and not yet charged */
} check_ctx;

#define SEARCHED_PER_UNIT 64   /* bytes searched (memmem) per instruction charged, as the
                                * heap's growth is: about the time of a VM instruction */

/* Raises the error for sensitive value v (column col of t) when a text
 * field of the item holds it. Each value searched is charged the budget,
 * as it goes: a client of many rows and an alert{} with a long text (a
 * million rows, 1 MiB of data) searched terabytes for one instruction,
 * longer than any wall-time backstop, which sees nothing inside a C call. */
static int refuse_found(void *ctx, const cp_table_cfg *t, unsigned col, const cp_value *v)
{
  check_ctx *k = ctx;
  k->owed += k->per_value + v->len;
  if (k->owed >= SEARCHED_PER_UNIT) {
    cp_sandbox_charge(k->L, k->owed / SEARCHED_PER_UNIT);
    k->owed %= SEARCHED_PER_UNIT;
  }
  const char *field = holder(k->it, v);
  if (field)
    luaL_error(k->L, "%s{}: its %s holds the client's %s.%s, a sensitive column (config): "
               "leave it out of results", k->it->what == CP_ALERT ? "alert" : "assign", field,
               t->name, t->columns[col].name);
  return 0;
}

void cp_sensitive_check(lua_State *L, const cp_rules *api, const cp_item *it)
{
  const char *texts[] = {it->title, it->data, it->key, it->assignee};
  check_ctx k = {L, it, 64, 0};   /* 64: a value's own work (its strlen()s, the loop) */
  for (int i = 0; i < 4; i++)
    k.per_value += texts[i] ? strlen(texts[i]) : 0;
  each_value(api, &k, refuse_found);
}

/* Replaces every occurrence of v in the malloc'd text at *s by the mask;
 * returns 1 when memory ran out (*s freed and NULL). */
static int mask_found(void *ctx, const cp_table_cfg *t, unsigned col, const cp_value *v)
{
  (void)t, (void)col;
  char **s = ctx, *in = *s;
  size_t len = strlen(in), n = 0, mlen = strlen(CP_SHOW_MASKED);
  for (const char *p = in; (p = memmem(p, len - (size_t)(p - in), v->u.s, v->len)); p += v->len)
    n++;
  if (n == 0)
    return 0;
  char *out = malloc(len - n * v->len + n * mlen + 1), *o = out;
  if (out) {
    const char *p = in, *q;
    while ((q = memmem(p, len - (size_t)(p - in), v->u.s, v->len))) {
      memcpy(o, p, (size_t)(q - p));
      o += q - p;
      memcpy(o, CP_SHOW_MASKED, mlen);
      o += mlen;
      p = q + v->len;
    }
    strcpy(o, p);
  }
  free(in);
  *s = out;
  return out == NULL;
}

char *cp_sensitive_mask(const cp_rules *api, const char *text)
{
  char *s = strdup(text);
  if (s)
    each_value(api, &s, mask_found);
  return s;
}
