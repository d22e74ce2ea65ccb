/* tally.c: data problems counted by column (tally.h). */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "progress.h"
#include "sbuf.h"

#define TALLY_SHOWN 10   /* columns a message names, the largest counts */

void cp_tally_add(cp_tally *t, const cp_finding *f)
{
  t->total++;
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->cols[i].column, f->column) && !strcmp(t->cols[i].table, f->table)) {
      t->cols[i].n++;
      return;
    }
  cp_tally_col *c = &t->cols[t->n];
  if (t->n == CP_TALLY_COLUMNS || !(c->table = strdup(f->table)) ||
      !(c->column = strdup(f->column))) {
    if (t->n < CP_TALLY_COLUMNS)
      free(c->table), c->table = NULL;
    t->elsewhere++;
    return;
  }
  c->n = 1;
  t->n++;
}

/* Orders columns by count, the largest first, then as met. */
static int by_count(const void *a, const void *b)
{
  const cp_tally_col *x = a, *y = b;
  return x->n != y->n ? (x->n < y->n ? 1 : -1) : (x < y ? -1 : x > y);
}

void cp_tally_say(cp_tally *t, const char *where)
{
  if (!t->total)
    return;
  sbuf b = {0};
  char n[32];
  cp_progress_format_count(n, t->total);
  qsort(t->cols, t->n, sizeof *t->cols, by_count);
  for (size_t i = 0; i < t->n && i < TALLY_SHOWN; i++) {
    char k[32];
    cp_progress_format_count(k, t->cols[i].n);
    cp_sbuf_printf(&b, "%s%s.%s %s", i ? ", " : "", t->cols[i].table, t->cols[i].column, k);
  }
  if (t->n > TALLY_SHOWN || t->elsewhere)
    cp_sbuf_add(&b, ", and in other columns");
  if (!b.oom)
    cp_diag_warn("facts: %s data problem%s %s, by column: %s", n, t->total == 1 ? "" : "s",
                 where, b.s ? b.s : "");
  cp_sbuf_free(&b);
}

void cp_tally_free(cp_tally *t)
{
  for (size_t i = 0; i < t->n; i++)
    free(t->cols[i].table), free(t->cols[i].column);
  *t = (cp_tally){0};
}
