/* expect.c: a fixture step's expectations against the state it left: the
 * open alerts and proposed assignments, matched by (rule, client, key), and
 * the difference written as fixture entries that can be pasted back. */
#include "expect.h"
#include "arena.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Open alerts, proposed assignments, and the assignments the last run
 * fulfilled or withdrew (10 + closed), in client, rule, key order. */
static const char found_sql[] =
  "SELECT 1, rule, client_id, key, severity, level, assignee, NULL, title FROM alerts "
  "WHERE status = 'open' UNION ALL "
  "SELECT CASE status WHEN 'proposed' THEN 0 WHEN 'fulfilled' THEN 11 ELSE 12 END, rule, "
  "client_id, key, NULL, 0, assignee, kind, NULL FROM assignments WHERE status = 'proposed' "
  "OR (status IN ('fulfilled', 'withdrawn') AND run_id = (SELECT max(id) FROM runs)) "
  "ORDER BY 3, 2, 4, 1 DESC";

/* Sections of a diff, in the order they are printed. */
enum { SEC_ALERTS, SEC_ASSIGNMENTS, SEC_FULFILLED, SEC_WITHDRAWN, SEC_ABSENT, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"alerts:", "assignments:", "fulfilled:",
                                                     "withdrawn:", "absent:"};

/* Fields shown of a found alert or assignment when nothing narrows them. */
#define ALERT_FIELDS (CP_FX_KEY | CP_FX_SEVERITY | CP_FX_LEVEL | CP_FX_ASSIGNEE)
#define ASSIGN_FIELDS (CP_FX_KEY | CP_FX_KIND | CP_FX_ASSIGNEE)

/* One line of a diff, with what sorts it. */
typedef struct dline {
  int section;              /* SEC_* */
  const char *client;       /* sort keys: client, rule, key */
  const char *rule;
  const char *key;
  int sign;                 /* '-' or '+' */
  size_t seq;               /* order of making, last sort key */
  char *text;               /* the line without indent (malloc'd) */
} dline;

/* The lines of one diff being made. */
typedef struct dlines {
  dline *v;                 /* lines */
  size_t n, cap;            /* used and allocated */
  int oom;                  /* a line could not be kept */
} dlines;

/* Returns a malloc'd copy of a column's text; NULL for NULL (or no memory). */
static char *column(sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? strdup((const char *)s) : NULL;
}

/* Appends the result under st's cursor to out; -1 when out of memory. */
static int add_found(cp_found_set *out, sqlite3_stmt *st)
{
  if (cp_arena_grow((void **)&out->v, &out->cap, out->n, sizeof *out->v) < 0)
    return -1;
  cp_found *f = &out->v[out->n++];
  int what = sqlite3_column_int(st, 0);
  *f = (cp_found){.is_alert = what == 1, .closed = what > 10 ? what - 10 : 0,
                  .level = sqlite3_column_int(st, 5)};
  f->rule = column(st, 1);
  f->client = column(st, 2);
  f->key = column(st, 3);
  f->severity = column(st, 4);
  f->assignee = column(st, 6);
  f->kind = column(st, 7);
  f->title = column(st, 8);
  return f->rule && f->client && f->key ? 0 : -1;
}

cp_err cp_expect_found_read(const char *state, cp_found_set *out)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  cp_err rc = CP_OK;
  int step;
  cp_expect_found_free(out);
  if (sqlite3_open_v2(state, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, found_sql, -1, &st, NULL) != SQLITE_OK)
    rc = cp_diag_fail(CP_ESTATE, "state: %s: %s", state, sqlite3_errmsg(db));
  while (rc == CP_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
    if (add_found(out, st) < 0)
      rc = cp_diag_fail(CP_ENOMEM, "state: out of memory");
  if (rc == CP_OK && step != SQLITE_DONE)
    rc = cp_diag_fail(CP_ESTATE, "state: %s: %s", state, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

void cp_expect_found_free(cp_found_set *s)
{
  for (size_t i = 0; i < s->n; i++) {
    cp_found *f = &s->v[i];
    char *strings[] = {f->rule, f->client, f->key, f->severity, f->assignee, f->kind, f->title};
    for (size_t j = 0; j < sizeof strings / sizeof strings[0]; j++)
      free(strings[j]);
  }
  free(s->v);
  *s = (cp_found_set){0};
}

/* Appends s as a YAML flow scalar: plain when that reads back as the same
 * string, else double-quoted; NULL is null. */
static void yaml_scalar(sbuf *b, const char *s)
{
  static const char *const words[] = {"null", "Null", "NULL", "~", "true", "false", "yes", "no"};
  if (!s) {
    cp_sbuf_add(b, "null");
    return;
  }
  int quote = !*s || strpbrk(s, ":{}[],#&*!|>'\"%@`\\") || strchr("-?. ", s[0]) ||
              s[strlen(s) - 1] == ' ';
  /* a control character or a byte that is not UTF-8 goes in a \u escape
   * (YAML's double quotes read it back; raw, it would move the cursor or
   * split the line that is to be pasted) */
  quote = quote || !cp_sbuf_is_plain(s, strlen(s));
  for (size_t i = 0; !quote && i < sizeof words / sizeof words[0]; i++)
    quote = !strcmp(s, words[i]);
  if (quote)
    cp_sbuf_json_str(b, s, strlen(s));
  else
    cp_sbuf_add(b, s);
}

/* Appends ", name: value" (value NULL: null). */
static void yaml_field(sbuf *b, const char *name, const char *value)
{
  cp_sbuf_printf(b, ", %s: ", name);
  yaml_scalar(b, value);
}

/* The fields shown of a found result when nothing narrows them: a
 * fulfilled or withdrawn assignment is named by its identity alone. */
static unsigned shown_fields(const cp_found *f)
{
  return f->is_alert ? ALERT_FIELDS : f->closed ? CP_FX_KEY : ASSIGN_FIELDS;
}

/* The section of a diff a found result belongs in. */
static int section_of(const cp_found *f)
{
  return f->is_alert ? SEC_ALERTS
         : f->closed ? (f->closed == 1 ? SEC_FULFILLED : SEC_WITHDRAWN)
                     : SEC_ASSIGNMENTS;
}

/* Appends a found result with the fields of mask (CP_FX_* bits). */
static void found_fields(sbuf *b, const cp_found *f, unsigned mask)
{
  cp_sbuf_add(b, "{rule: ");
  yaml_scalar(b, f->rule);
  yaml_field(b, "client", f->client);
  if (*f->key || ((mask & CP_FX_KEY) && mask != shown_fields(f)))
    yaml_field(b, "key", f->key);   /* an empty key only when the expectation gave one */
  if ((mask & CP_FX_KIND) && !f->is_alert)
    yaml_field(b, "kind", f->kind);
  if ((mask & CP_FX_SEVERITY) && f->is_alert)
    yaml_field(b, "severity", f->severity);
  if ((mask & CP_FX_LEVEL) && f->is_alert)
    cp_sbuf_printf(b, ", level: %d", f->level);
  if (mask & CP_FX_ASSIGNEE)
    yaml_field(b, "assignee", f->assignee);
  if ((mask & CP_FX_TITLE) && f->is_alert)
    yaml_field(b, "title", f->title);
  cp_sbuf_add(b, "}");
}

/* Appends a found result with the fields shown when nothing narrows them. */
static void found_yaml(sbuf *b, const cp_found *f)
{
  found_fields(b, f, shown_fields(f));
}

/* Appends an expected result with the fields it gives. */
static void expected_fields(sbuf *b, const cp_fx_result *e)
{
  cp_sbuf_add(b, "{rule: ");
  yaml_scalar(b, e->rule);
  yaml_field(b, "client", e->client);
  if (e->has & CP_FX_KEY)
    yaml_field(b, "key", e->key ? e->key : "");
  if (e->has & CP_FX_KIND)
    yaml_field(b, "kind", e->kind);
  if (e->has & CP_FX_SEVERITY)
    yaml_field(b, "severity", e->severity);
  if (e->has & CP_FX_LEVEL)
    cp_sbuf_printf(b, ", level: %d", e->level);
  if (e->has & CP_FX_ASSIGNEE)
    yaml_field(b, "assignee", e->assignee_null ? NULL : e->assignee);
  if (e->has & CP_FX_TITLE)
    yaml_field(b, "title", e->title);
  cp_sbuf_add(b, "}");
}

/* Keeps one diff line whose text is in b (taken: b is left empty). */
static void keep(dlines *d, int section, const char *client, const char *rule, const char *key,
                 int sign, sbuf *b)
{
  if (!b->oom)
    cp_arena_grow((void **)&d->v, &d->cap, d->n, sizeof *d->v);
  if (b->oom || !b->s || d->n == d->cap) {
    d->oom = 1;
    cp_sbuf_free(b);
    return;
  }
  d->v[d->n] = (dline){section, client, rule, key, sign, d->n, b->s};
  d->n++;
  *b = (sbuf){0};
}

/* Returns 1 when expected e and found f are the same (rule, client, key);
 * an expectation without a key matches any key. */
static int same_identity(const cp_fx_result *e, const cp_found *f)
{
  return !strcmp(e->rule, f->rule) && !strcmp(e->client, f->client) &&
         (!(e->has & CP_FX_KEY) || !strcmp(e->key ? e->key : "", f->key));
}

/* Returns 1 when text a equals b, either NULL. */
static int same_text(const char *a, const char *b)
{
  return a && b ? !strcmp(a, b) : a == b;
}

/* Returns 1 when every field that e gives equals f's. */
static int same_fields(const cp_fx_result *e, const cp_found *f)
{
  return (!(e->has & CP_FX_SEVERITY) || same_text(e->severity, f->severity)) &&
         (!(e->has & CP_FX_LEVEL) || e->level == f->level) &&
         (!(e->has & CP_FX_ASSIGNEE) ||
          same_text(e->assignee_null ? NULL : e->assignee, f->assignee)) &&
         (!(e->has & CP_FX_KIND) || same_text(e->kind, f->kind)) &&
         (!(e->has & CP_FX_TITLE) || same_text(e->title, f->title));
}

/* Appends to an expected fulfilled or withdrawn assignment that the run did
 * not close so what happened to it instead, which its section alone (the
 * other one may not be checked) would not show. */
static void closing_note(sbuf *b, const cp_fx_result *e, const cp_found_set *found)
{
  const char *what = "not closed by this run (no such open assignment)";
  for (size_t i = 0; i < found->n; i++) {
    const cp_found *f = &found->v[i];
    if (f->is_alert || !same_identity(e, f))
      continue;
    what = f->closed == 1 ? "fulfilled by this run" : f->closed == 2 ? "withdrawn by this run"
                                                                    : "still proposed";
    break;
  }
  cp_sbuf_printf(b, "   # %s", what);
}

/* Matches one section's expectations e[0..ne) against the found results of
 * its kind that pass the step's rule filter, adding diff lines. */
static void diff_section(const cp_fixture *fx, const cp_fx_step *step, int section,
                         const cp_fx_result *e, unsigned ne, const cp_found_set *found,
                         dlines *d)
{
  unsigned nrules;
  char **rules = cp_fixture_rules(fx, step, &nrules);
  char *used = calloc(found->n + ne + 1, 1), *done = used ? used + found->n : NULL;
  if (!used) {
    d->oom = 1;
    return;
  }
  for (size_t i = 0; i < found->n; i++)   /* other kinds and rules are not ours */
    used[i] = section_of(&found->v[i]) != section ||
              !cp_fixture_rule_matches(rules, nrules, found->v[i].rule);
  for (int pass = 0; pass < 2; pass++)
    for (unsigned j = 0; j < ne; j++)
      for (size_t i = 0; !done[j] && i < found->n; i++) {
        const cp_found *f = &found->v[i];
        if (used[i] || !same_identity(&e[j], f) || (pass == 0 && !same_fields(&e[j], f)))
          continue;
        used[i] = done[j] = 1;
        if (pass == 0)
          continue;
        sbuf b = {0};
        expected_fields(&b, &e[j]);
        keep(d, section, f->client, f->rule, f->key, '-', &b);
        found_fields(&b, f, e[j].has);
        keep(d, section, f->client, f->rule, f->key, '+', &b);
      }
  for (unsigned j = 0; j < ne; j++)
    if (!done[j]) {
      sbuf b = {0};
      expected_fields(&b, &e[j]);
      if (section == SEC_FULFILLED || section == SEC_WITHDRAWN)
        closing_note(&b, &e[j], found);
      keep(d, section, e[j].client, e[j].rule, e[j].key ? e[j].key : "", '-', &b);
    }
  for (size_t i = 0; step->mode == CP_FX_EXACT && i < found->n; i++)
    if (!used[i]) {
      sbuf b = {0};
      found_yaml(&b, &found->v[i]);
      keep(d, section, found->v[i].client, found->v[i].rule, found->v[i].key, '+', &b);
    }
  free(used);
}

/* Adds a line for each found result that an `absent` entry names. */
static void diff_absent(const cp_fx_step *step, const cp_found_set *found, dlines *d)
{
  for (unsigned j = 0; j < step->absent_count; j++)
    for (size_t i = 0; i < found->n; i++) {
      const cp_found *f = &found->v[i];
      if (f->closed || !same_identity(&step->absent[j], f))
        continue;
      sbuf b = {0};
      found_yaml(&b, f);
      cp_sbuf_printf(&b, "   # absent at line %u", step->absent[j].line);
      keep(d, SEC_ABSENT, f->client, f->rule, f->key, '+', &b);
    }
}

/* qsort order of diff lines: section, client, rule, key, '-' first, made first. */
static int cmp_line(const void *pa, const void *pb)
{
  const dline *a = pa, *b = pb;
  int c;
  if (a->section != b->section)
    return a->section - b->section;
  if ((c = strcmp(a->client, b->client)) || (c = strcmp(a->rule, b->rule)) ||
      (c = strcmp(a->key, b->key)))
    return c;
  if (a->sign != b->sign)
    return a->sign == '-' ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

size_t cp_expect_diff(const cp_fixture *fx, const cp_fx_step *step, const cp_found_set *found,
                      const char *indent, sbuf *diff)
{
  dlines d = {0};
  diff_section(fx, step, SEC_ALERTS, step->alerts, step->alerts_count, found, &d);
  diff_section(fx, step, SEC_ASSIGNMENTS, step->assignments, step->assignments_count, found, &d);
  if (step->has_fulfilled)
    diff_section(fx, step, SEC_FULFILLED, step->fulfilled, step->fulfilled_count, found, &d);
  if (step->has_withdrawn)
    diff_section(fx, step, SEC_WITHDRAWN, step->withdrawn, step->withdrawn_count, found, &d);
  diff_absent(step, found, &d);
  if (d.n)
    qsort(d.v, d.n, sizeof *d.v, cmp_line);
  for (size_t i = 0; i < d.n; i++) {
    if (i == 0 || d.v[i].section != d.v[i - 1].section)
      cp_sbuf_printf(diff, "%s%s\n", indent, section_names[d.v[i].section]);
    cp_sbuf_printf(diff, "%s%c %s\n", indent, d.v[i].sign, d.v[i].text);
    free(d.v[i].text);
  }
  if (d.oom)
    cp_sbuf_printf(diff, "%s(out of memory: the difference is incomplete)\n", indent);
  free(d.v);
  return d.n + (size_t)d.oom;
}
