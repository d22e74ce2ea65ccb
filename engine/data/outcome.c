/* outcome.c: the per-client result buffer between evaluation and the store. */
#include "outcome.h"

#include <stdlib.h>
#include <string.h>

#define OUTCOME_BLOCK 2048   /* a client's results are small; many outcomes may wait */

const char *const cp_outcome_severity_names[CP_SEVERITIES] = {"info", "warning", "critical"};

const char *cp_outcome_severity_name(cp_severity s)
{
  return (unsigned)s < CP_SEVERITIES ? cp_outcome_severity_names[s] : "?";
}

int cp_outcome_severity_parse(const char *s)
{
  for (int i = 0; s && i < CP_SEVERITIES; i++)
    if (strcmp(s, cp_outcome_severity_names[i]) == 0)
      return i;
  return -1;
}

const char *cp_outcome_text(cp_outcome *o, const char *s)
{
  o->arena.block = OUTCOME_BLOCK;
  return cp_arena_strndup(&o->arena, s, strlen(s));
}

/* Copies a string into the outcome's arena; NULL stays NULL. Sets *oom. */
static const char *keep(cp_outcome *o, const char *s, int *oom)
{
  if (!s)
    return NULL;
  const char *p = cp_outcome_text(o, s);
  if (!p)
    *oom = 1;
  return p;
}

/* Copies a list of texts, each ended by a NUL and the list by an empty
 * text, into the outcome's arena; NULL stays NULL. Sets *oom. */
static const char *keep_list(cp_outcome *o, const char *s, int *oom)
{
  if (!s)
    return NULL;
  size_t len = 0;
  while (s[len])
    len += strlen(s + len) + 1;
  o->arena.block = OUTCOME_BLOCK;
  char *p = cp_arena_alloc(&o->arena, len + 1);
  if (!p) {
    *oom = 1;
    return NULL;
  }
  memcpy(p, s, len + 1);
  return p;
}

cp_err cp_outcome_add(cp_outcome *o, const cp_item *item)
{
  int oom = 0;
  if (cp_arena_grow((void **)&o->items, &o->cap, o->n, sizeof *o->items) < 0)
    return CP_ENOMEM;
  cp_item *it = &o->items[o->n];
  *it = *item;
  it->rule = keep(o, item->rule, &oom);
  it->key = keep(o, item->key ? item->key : "", &oom);
  it->kind = keep(o, item->kind, &oom);
  it->assignee = keep(o, item->assignee, &oom);
  it->title = keep(o, item->title, &oom);
  it->data = keep(o, item->data ? item->data : "{}", &oom);
  it->pool = keep(o, item->pool, &oom);
  it->group = keep(o, item->group, &oom);
  it->fallback = keep_list(o, item->fallback, &oom);
  it->unfilled_of = keep(o, item->unfilled_of, &oom);
  if (oom)
    return CP_ENOMEM;
  o->n++;
  return CP_OK;
}

cp_err cp_outcome_finding(cp_outcome *o, const cp_finding *f)
{
  int oom = 0;
  if (cp_arena_grow((void **)&o->findings, &o->cap_findings, o->n_findings, sizeof *o->findings) < 0)
    return CP_ENOMEM;
  cp_finding *x = &o->findings[o->n_findings];
  x->table = keep(o, f->table, &oom);
  x->row_id = keep(o, f->row_id, &oom);
  x->column = keep(o, f->column, &oom);
  x->value = keep(o, f->value, &oom);
  x->problem = keep(o, f->problem, &oom);
  x->is_null = f->is_null;
  if (oom)
    return CP_ENOMEM;
  o->n_findings++;
  return CP_OK;
}

cp_err cp_outcome_fail(cp_outcome *o, const char *rule, const char *const *ids,
                       const char *message, const char *traceback)
{
  int oom = 0;
  if (cp_arena_grow((void **)&o->failures, &o->cap_failures, o->n_failures, sizeof *o->failures) < 0)
    return CP_ENOMEM;
  cp_failure *f = &o->failures[o->n_failures++];
  f->rule = keep(o, rule, &oom);
  f->message = keep(o, message, &oom);
  f->traceback = keep(o, traceback ? traceback : "", &oom);
  f->repeat = 0;
  f->notice = 0;
  for (size_t i = 0; ids && ids[i]; i++) {
    if (cp_arena_grow((void **)&o->failed_ids, &o->cap_failed_ids, o->n_failed_ids,
             sizeof *o->failed_ids) < 0)
      return CP_ENOMEM;
    o->failed_ids[o->n_failed_ids++] = keep(o, ids[i], &oom);
  }
  return oom ? CP_ENOMEM : CP_OK;
}

int cp_outcome_failed(const cp_outcome *o, const char *rule)
{
  for (size_t i = 0; i < o->n_failed_ids; i++)
    if (strcmp(o->failed_ids[i], rule) == 0)
      return 1;
  return 0;
}

void cp_outcome_drop(cp_outcome *o, const char *const *ids)
{
  for (size_t i = 0; i < o->n; i++)
    for (size_t j = 0; ids && ids[j]; j++)
      if (!strcmp(o->items[i].rule, ids[j]))
        o->items[i].what = CP_DROPPED;
}

/* qsort comparator over (what, rule, key). */
static int cmp_item(const void *a, const void *b)
{
  const cp_item *x = a, *y = b;
  if (x->what != y->what)
    return (int)x->what - (int)y->what;
  int c = strcmp(x->rule, y->rule);
  return c ? c : strcmp(x->key, y->key);
}

void cp_outcome_sort(cp_outcome *o)
{
  size_t n = 0;
  for (size_t i = 0; i < o->n; i++)
    if (o->items[i].what != CP_DROPPED)
      o->items[n++] = o->items[i];
  o->n = n;
  if (o->n > 1)
    qsort(o->items, o->n, sizeof *o->items, cmp_item);
}

const cp_item *cp_outcome_find(const cp_outcome *o, cp_what what, const char *rule,
                               const char *key)
{
  cp_item probe = {.what = what, .rule = rule, .key = key};
  return o->n ? bsearch(&probe, o->items, o->n, sizeof *o->items, cmp_item) : NULL;
}

cp_err cp_outcome_print(cp_outcome *o, const char *line, size_t n, size_t counted)
{
  size_t len = o->prints.len;
  if (cp_arena_grow((void **)&o->print_counts, &o->cap_prints, o->n_prints,
                    sizeof *o->print_counts) < 0)
    return CP_ENOMEM;
  cp_sbuf_addn(&o->prints, line, n);
  if (o->prints.oom) {
    o->prints.oom = 0;
    o->prints.len = len;
    return CP_ENOMEM;
  }
  o->print_counts[o->n_prints++] = counted;
  return CP_OK;
}

size_t cp_outcome_bytes(const cp_outcome *o)
{
  return o->cap * sizeof *o->items + o->cap_failures * sizeof *o->failures +
         o->cap_failed_ids * sizeof *o->failed_ids + o->cap_findings * sizeof *o->findings +
         cp_arena_bytes(&o->arena) + o->prints.cap + o->cap_prints * sizeof *o->print_counts;
}

void cp_outcome_reset(cp_outcome *o)
{
  o->n = o->n_failures = o->n_failed_ids = o->n_findings = 0;
  o->skipped = o->scope_failed = o->evaluated = 0;
  o->client_id = NULL;
  cp_sbuf_clear(&o->prints);
  o->n_prints = o->print_counted = 0;
  cp_arena_reset(&o->arena);
}

void cp_outcome_trim(cp_outcome *o, size_t keep)
{
  cp_outcome_reset(o);   /* the arena keeps its first block; the arrays keep their room */
  if (cp_outcome_bytes(o) > keep)
    cp_outcome_free(o);
}

void cp_outcome_free(cp_outcome *o)
{
  if (!o)
    return;
  free(o->items);
  free(o->failures);
  free(o->failed_ids);
  free(o->findings);
  cp_arena_free(&o->arena);
  cp_sbuf_free(&o->prints);
  free(o->print_counts);
  memset(o, 0, sizeof *o);
}
