/* rtable.c: the report's table as CSV or HTML rows: in client order, or,
 * when report{} names a `group_by` column, group by group (groups in the
 * order of their values, each group's rows in client order) with a subtotal
 * row after each, and a total row at the end when it asks for `totals`;
 * with `detail = false`, the subtotal and total rows only.
 * Rows that wait for their group's turn are kept in a temporary file, not in
 * memory; each group keeps one running total per column that has one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cplocale.h"
#include "report.h"

/* A report may group its rows into this many groups at most: a table for
 * people, where a subtotal after every other row helps nobody. */
#define MAX_GROUPS 10000
/* A text that groups rows is a label (a region, a manager), at most this
 * long: each group keeps its value while the table is made. */
#define MAX_GROUP_TEXT 1024

/* The running total of one column over a group's rows. */
typedef struct acc {
  int has;                  /* a value was taken */
  int64_t i;                /* money, integer and date values: sum, min or max */
  double r;                 /* percent and ratio-change values: min or max */
  uint64_t n;               /* values taken, for count */
} acc;

/* The rows of one value of the group_by column. */
typedef struct group {
  char *key;                /* the value, encoded exactly (text: its bytes) */
  size_t key_len;           /* its length */
  cp_rcell value;           /* the value, for ordering and the subtotal's label */
  cp_rtype type;            /* its type: the group_by column's */
  uint64_t rows;            /* rows in the group */
  acc *totals;              /* one per column */
  size_t rank;              /* where its rows go, once the groups are ordered */
} group;

/* Where a row waits in the temporary file. */
typedef struct entry {
  uint32_t group;           /* its group */
  uint64_t off;             /* its offset */
  size_t len;               /* its bytes */
} entry;

struct cp_rtable {
  const cp_report_def *def; /* the report (not owned) */
  const cp_config *cfg;     /* locale (not owned) */
  int html;                 /* rows as HTML (else CSV) */
  FILE *out;                /* the output, for rows written as they come */
  FILE *rows;               /* rows that wait: HTML, and grouped CSV; else NULL */
  group all;                /* every row: the total row */
  group *groups;            /* the groups, as first met */
  size_t n_groups, cap_groups;
  uint32_t *slots;          /* hash of groups by key: index + 1, 0 empty */
  size_t n_slots;           /* a power of 2 */
  entry *entries;           /* the waiting rows, in client order */
  size_t n_entries, cap_entries;
  cp_rcell *cells;          /* a subtotal or total row being made */
  cp_rtype *types;          /* its cells' types */
  sbuf key;                 /* scratch: a row's group key */
  sbuf text;                /* scratch: one value */
  sbuf cell;                /* scratch: a CSV text cell made safe */
  char *buf;                /* scratch: a row read back */
  size_t buf_cap;
};

/* Writes one CSV field, quoted as RFC 4180 says when it holds a comma, a
 * quote or a line break, and when it holds a ';': Excel where the list
 * separator is ';' splits an unquoted field there, and the text after it
 * would be a cell of its own, unguarded (x;=cmd|...). */
static void csv_field(FILE *f, const char *s, size_t n, int first)
{
  size_t i = 0;
  if (!first)
    fputc(',', f);
  while (i < n && s[i] != ',' && s[i] != '"' && s[i] != '\r' && s[i] != '\n' && s[i] != ';')
    i++;
  if (i == n) {
    fwrite(s, 1, n, f);
    return;
  }
  fputc('"', f);
  for (i = 0; i < n; i++) {
    if (s[i] == '"')
      fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

/* Adds text s (n bytes) to b as the report shows it, on the page and in the
 * CSV alike: each byte that is not part of valid UTF-8 as U+FFFD (the file
 * is UTF-8) and without NUL bytes (which neither a page nor a spreadsheet
 * cell can hold). */
static void shown_text(sbuf *b, const char *s, size_t n)
{
  for (size_t i = 0; i < n;) {
    size_t k = cp_sbuf_utf8_len(s + i, n - i);
    if (k == 1 && s[i] == '\0')
      ;
    else if (k)
      cp_sbuf_addn(b, s + i, k);
    else
      cp_sbuf_add(b, "\xEF\xBF\xBD");
    i += k ? k : 1;
  }
}

/* Makes the text cell in b safe for a spreadsheet, which is where this CSV
 * goes: shown as on the page (shown_text: U+FFFD for a stray byte, no NUL
 * byte), and a cell that a spreadsheet would read as a formula (one that
 * starts with =, +, -, @, a tab or a carriage return: a client name
 * `=HYPERLINK(...)` from the facts) gets a ' in front, which Excel and
 * LibreOffice show as text. */
static void spreadsheet_text(sbuf *b, sbuf *tmp)
{
  cp_sbuf_clear(tmp);
  if (b->len && strchr("=+-@\t\r", b->s[0]))
    cp_sbuf_add(tmp, "'");
  shown_text(tmp, b->s, b->len);
  cp_sbuf_clear(b);
  cp_sbuf_addn(b, tmp->s ? tmp->s : "", tmp->len);
}

/* Writes the CSV header, after the byte order mark when asked: each
 * column's label, after its group's ("销售额（本月）", "Sales (this month)"),
 * made safe for a spreadsheet as a text cell is (a label may come from
 * params, which the config holds). */
static void csv_header(cp_rtable *t, int bom)
{
  int zh = cp_locale_of(t->cfg) == CP_LOCALE_ZH_CN;
  if (bom)
    fputs("\xEF\xBB\xBF", t->out);
  for (size_t j = 0; j < t->def->n_columns; j++) {
    const cp_rcolumn *c = &t->def->columns[j];
    cp_sbuf_clear(&t->text);
    if (c->group)
      cp_sbuf_printf(&t->text, zh ? "%s（%s）" : "%s (%s)", c->group, c->label);
    else
      cp_sbuf_add(&t->text, c->label);
    spreadsheet_text(&t->text, &t->cell);
    csv_field(t->out, t->text.s ? t->text.s : "", t->text.len, j == 0);
  }
  fputs("\r\n", t->out);
}

/* Returns the class of a table cell of type t: text wraps between words,
 * numbers align right, dates neither. */
static const char *cell_class(cp_rtype t)
{
  if (t == CP_RT_DATE)
    return "";
  return t == CP_RT_TEXT ? " class=\"t\"" : " class=\"n\"";
}

/* Writes a row of cells (of types `types`, NULL: the columns') to f, as
 * HTML (a <tr> of class cls, when given) or CSV. */
static void write_cells(cp_rtable *t, FILE *f, const cp_rcell *cells, const cp_rtype *types,
                        const char *cls)
{
  const cp_report_def *d = t->def;
  if (t->html)
    fprintf(f, cls ? "<tr class=\"%s\">" : "<tr>", cls);
  for (size_t j = 0; j < d->n_columns; j++) {
    cp_rtype type = types ? types[j] : d->columns[j].type;
    if (t->html) {
      cp_report_cell(type, &cells[j], &t->text);
      fprintf(f, "<td%s>", cell_class(type));
      cp_html_esc(f, t->text.s ? t->text.s : "", t->text.len);
      fputs("</td>", f);
      continue;
    }
    cp_report_cell_plain(type, &cells[j], &t->text);
    if (type == CP_RT_TEXT)
      spreadsheet_text(&t->text, &t->cell);
    csv_field(f, t->text.s ? t->text.s : "", t->text.len, j == 0);
  }
  fputs(t->html ? "</tr>\n" : "\r\n", f);
}

/* Fails with a message when a scratch buffer or f could not be written. */
static cp_err written(cp_rtable *t, FILE *f)
{
  if (t->text.oom || t->cell.oom || t->key.oom)
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  if (ferror(f))
    return cp_diag_fail(CP_EIO, "report: writing %s: %s",
                        f == t->rows ? "a temporary file" : "the report", strerror(errno));
  return CP_OK;
}

cp_err cp_rtable_open(const cp_report_def *d, const cp_config *cfg, int html, int bom, FILE *out,
                      cp_rtable **tp)
{
  cp_rtable *t = calloc(1, sizeof *t);
  *tp = NULL;
  if (!t)
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  t->def = d;
  t->cfg = cfg;
  t->html = html;
  t->out = out;
  *tp = t;
  if (!(t->all.totals = calloc(d->n_columns, sizeof *t->all.totals)) ||
      !(t->cells = calloc(d->n_columns, sizeof *t->cells)) ||
      !(t->types = calloc(d->n_columns, sizeof *t->types)))
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  if ((html || d->group_by >= 0) && !(t->rows = tmpfile()))
    return cp_diag_fail(CP_EIO, "report: cannot create a temporary file: %s", strerror(errno));
  if (!html)
    csv_header(t, bom);
  return written(t, out);
}

void cp_rtable_close(cp_rtable *t)
{
  if (!t)
    return;
  if (t->rows)
    fclose(t->rows);
  for (size_t i = 0; i < t->n_groups; i++) {
    free(t->groups[i].key);
    free(t->groups[i].totals);
  }
  free(t->groups);
  free(t->all.totals);
  free(t->slots);
  free(t->entries);
  for (size_t j = 0; t->cells && j < t->def->n_columns; j++)
    cp_sbuf_free(&t->cells[j].s);
  free(t->cells);
  free(t->types);
  cp_sbuf_free(&t->key);
  cp_sbuf_free(&t->text);
  cp_sbuf_free(&t->cell);
  free(t->buf);
  free(t);
}

/* Encodes the group value v of type `type` into t->key as the report shows
 * it: two values are one group when their keys are equal. A text is its
 * bytes as shown (two that show alike, "a\0b" and "ab", or two stray bytes,
 * would otherwise make two groups of one label), and a percent or a change
 * its two decimals (0.1 + 0.2 and 0.3 both show 30.00%). */
static void group_key(cp_rtable *t, cp_rtype type, const cp_rcell *v)
{
  cp_sbuf_clear(&t->key);
  if (v->nil)
    cp_sbuf_add(&t->key, "n");
  else if (type == CP_RT_TEXT) {
    cp_sbuf_add(&t->key, "t");
    shown_text(&t->key, v->s.s ? v->s.s : "", v->s.len);
    if (t->key.len == 1)   /* an empty text (or one of NUL bytes): no value */
      cp_sbuf_clear(&t->key), cp_sbuf_add(&t->key, "n");
  } else if (type == CP_RT_PERCENT || type == CP_RT_CHANGE) {
    cp_report_cell(type, v, &t->text);
    cp_sbuf_add(&t->key, "r");
    cp_sbuf_addn(&t->key, t->text.s ? t->text.s : "", t->text.len);
  } else
    cp_sbuf_printf(&t->key, "i%lld", (long long)v->i);
}

/* Makes the hash of groups twice as large (or its first slots). */
static int rehash(cp_rtable *t)
{
  size_t n = t->n_slots ? t->n_slots * 2 : 64;
  uint32_t *s = calloc(n, sizeof *s);
  if (!s)
    return -1;
  for (size_t g = 0; g < t->n_groups; g++) {
    size_t h = cp_arena_hash(t->groups[g].key, t->groups[g].key_len) & (n - 1);
    while (s[h])
      h = (h + 1) & (n - 1);
    s[h] = (uint32_t)g + 1;
  }
  free(t->slots);
  t->slots = s;
  t->n_slots = n;
  return 0;
}

/* Finds the group of the key in t->key, or makes it (value v); returns its
 * index, -1 when out of memory, -2 when the table has its most groups. */
static long find_group(cp_rtable *t, const cp_rcell *v)
{
  const char *k = t->key.s;
  size_t len = t->key.len, h = 0;
  if (t->n_slots) {
    h = cp_arena_hash(k, len) & (t->n_slots - 1);
    for (uint32_t s; (s = t->slots[h]) != 0; h = (h + 1) & (t->n_slots - 1)) {
      group *g = &t->groups[s - 1];
      if (g->key_len == len && memcmp(g->key, k, len) == 0)
        return (long)s - 1;
    }
  }
  if (t->n_groups >= MAX_GROUPS)
    return -2;
  if ((t->n_groups + 1) * 2 > t->n_slots) {
    if (rehash(t) < 0)
      return -1;
    h = cp_arena_hash(k, len) & (t->n_slots - 1);
    while (t->slots[h])
      h = (h + 1) & (t->n_slots - 1);
  }
  if (cp_arena_grow((void **)&t->groups, &t->cap_groups, t->n_groups, sizeof *t->groups) < 0)
    return -1;
  group *g = &t->groups[t->n_groups];
  *g = (group){.key = malloc(len + 1), .key_len = len,
               .value = {.nil = k[0] == 'n', .i = v->i, .r = v->r},
               .type = t->def->columns[t->def->group_by].type,
               .totals = calloc(t->def->n_columns, sizeof *g->totals)};
  if (g->key)
    memcpy(g->key, k, len + 1);
  if (!g->key || !g->totals) {   /* a text's value is its key's bytes after the 't' */
    free(g->key);
    free(g->totals);
    return -1;
  }
  t->slots[h] = (uint32_t)t->n_groups + 1;
  return (long)t->n_groups++;
}

/* Writes group g's value into t->text as its subtotal row names it. */
static void group_label(cp_rtable *t, const group *g)
{
  if (g->type == CP_RT_TEXT && !g->value.nil) {   /* as shown: the key after its 't' */
    cp_sbuf_clear(&t->text);
    cp_sbuf_addn(&t->text, g->key + 1, g->key_len - 1);
  } else {
    cp_report_cell(g->type, &g->value, &t->text);
  }
  if (g->value.nil || !t->text.len) {
    cp_sbuf_clear(&t->text);
    cp_sbuf_add(&t->text, cp_locale_msg(cp_locale_of(t->cfg), CP_MSG_NO_GROUP));
  }
}

/* Whether adding the row's value v of column c to the total a holds: a sum
 * past 64 bits does not. */
static int fits(const acc *a, const cp_rcolumn *c, const cp_rcell *v)
{
  int64_t s;
  return c->total != CP_RTOTAL_SUM || v->nil || !__builtin_add_overflow(a->i, v->i, &s);
}

/* Adds the row's value v of column c to the total a. */
static void take(acc *a, const cp_rcolumn *c, const cp_rcell *v)
{
  if (v->nil)
    return;
  int real = c->type == CP_RT_PERCENT || c->type == CP_RT_CHANGE;
  a->n++;
  switch (c->total) {
  case CP_RTOTAL_SUM: a->i += v->i; break;
  case CP_RTOTAL_MIN:
    if (!a->has || (real ? v->r < a->r : v->i < a->i))
      a->i = v->i, a->r = v->r;
    break;
  case CP_RTOTAL_MAX:
    if (!a->has || (real ? v->r > a->r : v->i > a->i))
      a->i = v->i, a->r = v->r;
    break;
  default: break;
  }
  a->has = 1;
}

int cp_rtable_add(cp_rtable *t, const cp_rrow *row, const char *client, sbuf *err)
{
  const cp_report_def *d = t->def;
  group *g = NULL;
  if (d->group_by >= 0) {
    const cp_rcell *v = &row->cells[d->group_by];
    if (!v->nil && d->columns[d->group_by].type == CP_RT_TEXT && v->s.len > MAX_GROUP_TEXT) {
      cp_sbuf_printf(err, "%s: group_by '%s': a value of %zu bytes, longer than the %d a group's "
                     "value may have (report %s, client %s); group by a short value (a region, "
                     "a manager's id)", d->where, d->columns[d->group_by].id, v->s.len,
                     MAX_GROUP_TEXT, d->id, client);
      return 0;
    }
    group_key(t, d->columns[d->group_by].type, v);
    long gi = t->key.oom ? -1 : find_group(t, v);
    if (gi == -1)
      return cp_diag_fail(CP_ENOMEM, "report: out of memory"), -1;
    if (gi == -2) {
      cp_sbuf_printf(err, "%s: group_by '%s': this row would make a group past the %d a report "
                     "can have (report %s, client %s); group by a column with fewer values",
                     d->where, d->columns[d->group_by].id, MAX_GROUPS, d->id, client);
      return 0;
    }
    g = &t->groups[gi];
  }
  for (size_t j = 0; j < d->n_columns; j++) {
    int sub = g && !fits(&g->totals[j], &d->columns[j], &row->cells[j]);
    if (sub || !fits(&t->all.totals[j], &d->columns[j], &row->cells[j])) {
      if (sub)
        group_label(t, g);
      cp_sbuf_printf(err, "%s: column '%s': with this row the %s%s%s adds up past what 64 bits "
                     "hold (report %s, client %s)", d->where, d->columns[j].id,
                     sub ? "subtotal of group '" : "total", sub ? t->text.s : "", sub ? "'" : "",
                     d->id, client);
      return 0;
    }
  }
  for (size_t j = 0; j < d->n_columns; j++) {
    take(&t->all.totals[j], &d->columns[j], &row->cells[j]);
    if (g)
      take(&g->totals[j], &d->columns[j], &row->cells[j]);
  }
  t->all.rows++;
  if (!d->detail) {   /* counted in its group and the total, not shown */
    if (g)
      g->rows++;
    return 1;
  }
  if (!t->rows) {
    write_cells(t, t->out, row->cells, NULL, NULL);
    return written(t, t->out) == CP_OK ? 1 : -1;
  }
  long off = ftell(t->rows);
  write_cells(t, t->rows, row->cells, NULL, NULL);
  long end = ftell(t->rows);
  if (written(t, t->rows) != CP_OK || off < 0 || end < 0)
    return -1;
  if (g) {
    g->rows++;
    if (cp_arena_grow((void **)&t->entries, &t->cap_entries, t->n_entries, sizeof *t->entries) < 0)
      return cp_diag_fail(CP_ENOMEM, "report: out of memory"), -1;
    t->entries[t->n_entries++] =
      (entry){.group = (uint32_t)(g - t->groups), .off = (uint64_t)off, .len = (size_t)(end - off)};
  }
  return 1;
}

/* Writes the subtotal row of group g (NULL: the total row of all rows). */
static void write_total(cp_rtable *t, FILE *f, const group *g)
{
  const cp_report_def *d = t->def;
  cp_locale l = cp_locale_of(t->cfg);
  const group *of = g ? g : &t->all;
  for (size_t j = 0; j < d->n_columns; j++) {
    const acc *a = &of->totals[j];
    cp_rcell *c = &t->cells[j];
    c->nil = !a->has || d->columns[j].total == CP_RTOTAL_NONE;
    c->i = d->columns[j].total == CP_RTOTAL_COUNT ? (int64_t)a->n : a->i;
    c->r = a->r;
    t->types[j] = d->columns[j].total == CP_RTOTAL_COUNT ? CP_RT_INTEGER
                  : d->columns[j].total == CP_RTOTAL_NONE ? CP_RT_TEXT   /* blank, not a dash */
                                                          : d->columns[j].type;
    if (d->columns[j].total == CP_RTOTAL_COUNT)
      c->nil = 0;   /* no values is a count of 0 */
  }
  /* The first column holds the row's label: "Subtotal: East (12)". */
  cp_rcell *first = &t->cells[0];
  cp_sbuf_clear(&first->s);
  if (g) {
    group_label(t, g);
    cp_sbuf_printf(&first->s, cp_locale_msg(l, CP_MSG_SUBTOTAL), t->text.s,
                   (unsigned long long)g->rows);
  } else {
    cp_sbuf_printf(&first->s, cp_locale_msg(l, CP_MSG_TOTAL), (unsigned long long)t->all.rows);
  }
  first->nil = 0;
  t->types[0] = CP_RT_TEXT;
  write_cells(t, f, t->cells, t->types, g ? "sub" : "total");
}

/* Orders groups by their values: texts in byte order, numbers and dates by
 * value, and the rows without a value last. */
static int by_value(const void *a, const void *b)
{
  const group *x = *(const group *const *)a, *y = *(const group *const *)b;
  if (x->value.nil || y->value.nil)
    return x->value.nil - y->value.nil;
  switch (x->type) {
  case CP_RT_TEXT: {
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;   /* 't' and the text */
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
  }
  case CP_RT_PERCENT:
  case CP_RT_CHANGE: return (x->value.r > y->value.r) - (x->value.r < y->value.r);
  default: return (x->value.i > y->value.i) - (x->value.i < y->value.i);
  }
}

/* Copies the waiting rows in client order to out. */
static void copy_rows(FILE *rows, FILE *out)
{
  char buf[16384];
  size_t n;
  rewind(rows);
  while ((n = fread(buf, 1, sizeof buf, rows)) > 0)
    fwrite(buf, 1, n, out);
}

/* Writes the waiting rows group by group, each group's subtotal after it:
 * the rows are placed by their group's rank, each group's in client order. */
static cp_err write_groups(cp_rtable *t, FILE *out)
{
  size_t n = t->n_groups ? t->n_groups : 1, m = t->n_entries ? t->n_entries : 1;
  group **order = malloc(n * sizeof *order);
  size_t *first = malloc((n + 1) * sizeof *first);
  entry *placed = malloc(m * sizeof *placed);
  cp_err rc = CP_OK;
  if (!order || !first || !placed) {
    rc = cp_diag_fail(CP_ENOMEM, "report: out of memory");
    goto done;
  }
  for (size_t i = 0; i < t->n_groups; i++)
    order[i] = &t->groups[i];
  qsort(order, t->n_groups, sizeof *order, by_value);
  first[0] = 0;
  for (size_t i = 0; i < t->n_groups; i++) {
    order[i]->rank = first[i];   /* the next free place of the group's rows */
    first[i + 1] = first[i] + order[i]->rows;
  }
  for (size_t e = 0; e < t->n_entries; e++)
    placed[t->groups[t->entries[e].group].rank++] = t->entries[e];
  for (size_t e = 0, i = 0; rc == CP_OK && i < t->n_groups; i++) {
    if (!t->def->detail)
      e = first[i + 1];   /* no row of it waits */
    for (; rc == CP_OK && e < first[i + 1]; e++) {
      const entry *x = &placed[e];
      if (x->len > t->buf_cap) {
        free(t->buf);
        t->buf_cap = x->len;
        if (!(t->buf = malloc(t->buf_cap)))
          rc = cp_diag_fail(CP_ENOMEM, "report: out of memory");
      }
      if (rc == CP_OK && (fseek(t->rows, (long)x->off, SEEK_SET) != 0 ||
                          fread(t->buf, 1, x->len, t->rows) != x->len))
        rc = cp_diag_fail(CP_EIO, "report: reading a temporary file: %s", strerror(errno));
      if (rc == CP_OK)
        fwrite(t->buf, 1, x->len, out);
    }
    if (rc == CP_OK && order[i]->rows)   /* a group whose one row failed has none */
      write_total(t, out, order[i]);
  }
done:
  free(order);
  free(first);
  free(placed);
  return rc;
}

cp_err cp_rtable_write(cp_rtable *t, FILE *out)
{
  cp_err rc = CP_OK;
  if (t->def->group_by >= 0)
    rc = write_groups(t, out);
  else if (t->rows)
    copy_rows(t->rows, out);
  if (rc == CP_OK && t->def->totals && t->all.rows)
    write_total(t, out, NULL);
  return rc == CP_OK ? written(t, out) : rc;
}
