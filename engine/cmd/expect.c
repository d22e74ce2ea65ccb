/* expect.c: a fixture step's expectations against the state it left: the
 * open alerts and proposed assignments, matched by (rule, client, key), and
 * the difference written as fixture entries that can be pasted back. */
#include "expect.h"
#include "arena.h"
#include "filter.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Open alerts, proposed assignments, and the assignments the last run
 * fulfilled or withdrew (10 + closed), in client, rule, key order. */
static const char found_sql[] =
  "SELECT 1, rule, client_id, key, severity, level, assignee, NULL, title, data FROM alerts "
  "WHERE status = 'open' UNION ALL "
  "SELECT CASE status WHEN 'proposed' THEN 0 WHEN 'fulfilled' THEN 11 ELSE 12 END, rule, "
  "client_id, key, NULL, 0, assignee, kind, NULL, data FROM assignments WHERE status = 'proposed' "
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
  f->data = column(st, 9);
  return f->rule && f->client && f->key && f->data ? 0 : -1;
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
    char *strings[] = {f->rule,     f->client, f->key,   f->severity,
                       f->assignee, f->kind,   f->title, f->data};
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
  static const char *const words[] = {"null", "Null", "NULL", "~", "true", "True", "TRUE",
                                      "false", "False", "FALSE", "yes", "Yes", "YES",
                                      "no", "No", "NO"};
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

/* Appends text s as a YAML flow scalar that reads back as that text: a
 * text that a plain scalar would read as a number, boolean or null is
 * double-quoted too. */
static void yaml_text(sbuf *b, const char *s, size_t len)
{
  if (!s)   /* a scratch buffer that could not be made (its oom is in b's turn) */
    s = "", len = 0;
  if (strlen(s) == len && cp_ytree_plain(s, NULL, NULL, NULL) == YT_PLAIN_TEXT)
    yaml_scalar(b, s);
  else
    cp_sbuf_json_str(b, s, len);
}

/* Appends an expected data tree as YAML flow, as the fixture wrote it. */
static void yaml_tree(sbuf *b, const yt_node *n)
{
  if (n->kind == YT_SCALAR) {
    if (!n->plain)
      cp_sbuf_json_str(b, n->value, strlen(n->value));
    else if (cp_ytree_plain(n->value, NULL, NULL, NULL) == YT_PLAIN_TEXT)
      yaml_scalar(b, n->value);
    else
      cp_sbuf_add(b, *n->value ? n->value : "null");
    return;
  }
  int map = n->kind == YT_MAP;
  cp_sbuf_add(b, map ? "{" : "[");
  for (size_t i = 0; i < n->n; i += map ? 2 : 1) {
    cp_sbuf_add(b, i ? ", " : "");
    if (map) {
      yaml_tree(b, n->items[i]);
      cp_sbuf_add(b, ": ");
    }
    yaml_tree(b, n->items[i + map]);
  }
  cp_sbuf_add(b, map ? "}" : "]");
}

/* The JSON of a result's data, read as far as a comparison needs. */

/* Returns p past JSON white space. */
static const char *json_ws(const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

/* Returns the end of the JSON value at p, or NULL when the text ends first
 * (strings and brackets are followed, not checked). */
static const char *json_skip(const char *p)
{
  int depth = 0;
  p = json_ws(p);
  do {
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
          p++;
      if (!*p)
        return NULL;
      p++;
    } else if (*p == '{' || *p == '[') {
      depth++;
      p++;
    } else if (*p == '}' || *p == ']') {
      if (--depth < 0)
        return NULL;
      p++;
    } else if (!*p) {
      return NULL;
    } else if (depth == 0) {
      return p + strcspn(p, ",:}] \t\r\n");
    } else {
      p++;
    }
  } while (depth > 0);
  return p;
}

/* Reads 4 hex digits at p into *v; -1 when they are not. */
static int hex4(const char *p, unsigned *v)
{
  *v = 0;
  for (int k = 0; k < 4; k++) {
    int c = p[k], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      return -1;
    *v = *v << 4 | (unsigned)d;
  }
  return 0;
}

/* Decodes the JSON string at p into out (emptied first); returns its end,
 * or NULL when it is no string. A lone surrogate reads as U+FFFD. */
static const char *json_text(const char *p, sbuf *out)
{
  static const char plain[] = "\"\\/bfnrt", real[] = "\"\\/\b\f\n\r\t";
  out->len = 0;
  cp_sbuf_addn(out, "", 0);
  if (*p != '"')
    return NULL;
  for (p++; *p != '"'; p++) {
    if (!*p)
      return NULL;
    if (*p != '\\') {
      cp_sbuf_addn(out, p, 1);
      continue;
    }
    const char *e = *++p ? strchr(plain, *p) : NULL;
    unsigned u, lo;
    if (e && *e) {
      cp_sbuf_addn(out, &real[e - plain], 1);
      continue;
    }
    if (*p != 'u' || hex4(p + 1, &u) < 0)
      return NULL;
    p += 4;
    if (u >= 0xD800 && u < 0xDC00 && p[1] == '\\' && p[2] == 'u' && hex4(p + 3, &lo) == 0 &&
        lo >= 0xDC00 && lo < 0xE000) {
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      p += 6;
    } else if (u >= 0xD800 && u < 0xE000) {
      u = 0xFFFD;
    }
    char utf8[4];
    size_t n = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t k = n - 1; k > 0; k--, u >>= 6)
      utf8[k] = (char)(0x80 | (u & 0x3F));
    utf8[0] = (char)(lead[n] | u);
    cp_sbuf_addn(out, utf8, n);
  }
  return p + 1;
}

/* Returns 1 when the decoded text t is the scalar text s. */
static int same_decoded(const sbuf *t, const char *s)
{
  return t->len == strlen(s) && (!t->len || !memcmp(t->s, s, t->len));
}

/* A key of an expected mapping and its value. */
typedef struct kv {
  const yt_node *k, *v;
} kv;

/* The keys of an expected mapping, sorted, to be found by halving when
 * there are many: a data object and its expectation may hold thousands. */
typedef struct keys {
  const yt_node *map;       /* the mapping */
  kv *sorted;               /* its scalar keys, sorted, or NULL: scan the mapping */
  size_t n;                 /* how many */
} keys;

/* qsort order of keys: by their text. */
static int cmp_kv(const void *a, const void *b)
{
  return strcmp(((const kv *)a)->k->value, ((const kv *)b)->k->value);
}

/* Indexes the scalar keys of mapping n (no index for a few of them, or when
 * there is no memory for it: then a scan). Free with keys_free(). */
static void keys_of(const yt_node *n, keys *k)
{
  *k = (keys){n, NULL, 0};
  if (!n || n->n < 32 || !(k->sorted = malloc(n->n / 2 * sizeof *k->sorted)))
    return;
  for (size_t i = 0; i + 1 < n->n; i += 2)
    if (n->items[i]->kind == YT_SCALAR)
      k->sorted[k->n++] = (kv){n->items[i], n->items[i + 1]};
  qsort(k->sorted, k->n, sizeof *k->sorted, cmp_kv);
}

static void keys_free(keys *k)
{
  free(k->sorted);
}

/* Returns the value whose key is the decoded text t, or NULL. */
static const yt_node *tree_member(const keys *k, const sbuf *t)
{
  const yt_node *n = k->map;
  if (!k->sorted) {
    for (size_t i = 0; i + 1 < n->n; i += 2)
      if (n->items[i]->kind == YT_SCALAR && same_decoded(t, n->items[i]->value))
        return n->items[i + 1];
    return NULL;
  }
  size_t lo = 0, hi = k->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(k->sorted[mid].k->value, t->s ? t->s : "");
    if (c == 0)   /* a text with a NUL byte (longer than its strlen) is no key's */
      return same_decoded(t, k->sorted[mid].k->value) ? k->sorted[mid].v : NULL;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* Returns 1 when the JSON number token at p, len bytes, is the number the
 * plain scalar s denotes (kind YT_PLAIN_INT or YT_PLAIN_REAL). */
static int same_number(const char *p, size_t len, const char *s, yt_plain kind)
{
  char tok[64], *end;
  if (len == 0 || len >= sizeof tok || !strchr("-0123456789", *p))
    return 0;
  memcpy(tok, p, len);
  tok[len] = '\0';
  long long i, want_i;
  double want_d;
  cp_ytree_plain(s, NULL, &want_i, &want_d);
  errno = 0;
  i = strtoll(tok, &end, 10);
  if (!*end && !errno)   /* an integer: compared exactly with either kind */
    return kind == YT_PLAIN_INT ? i == want_i : cp_filter_cmp_int_float(i, want_d) == 0;
  double d = strtod(tok, &end);
  if (*end)
    return 0;
  return kind == YT_PLAIN_INT ? cp_filter_cmp_int_float(want_i, d) == 0 : d == want_d;
}

/* Matches the JSON value at p against the expected tree n: a mapping's
 * keys must be there with matching values (other keys too, unless subset),
 * a list item by item, a scalar as its form says (yaml_tree). Returns the
 * end of the value, or NULL when it does not match. t is scratch. */
static const char *json_match(const char *p, const yt_node *n, int subset, sbuf *t, int depth)
{
  p = json_ws(p);
  if (depth > 100)
    return NULL;
  if (n->kind == YT_MAP || n->kind == YT_SEQ) {
    int map = n->kind == YT_MAP;
    size_t matched = 0;
    if (*p != (map ? '{' : '['))
      return NULL;
    keys k;
    keys_of(map ? n : NULL, &k);
    p = json_ws(p + 1);
    while (p && *p != (map ? '}' : ']')) {
      const yt_node *v = map ? NULL : matched < n->n ? n->items[matched] : NULL;
      if (map) {
        if (!(p = json_text(p, t)) || *(p = json_ws(p)) != ':') {
          p = NULL;
          break;
        }
        p++;
        v = tree_member(&k, t);
      }
      if (!v && !subset) {
        p = NULL;
        break;
      }
      p = v ? json_match(p, v, 0, t, depth + 1) : json_skip(p);
      matched += v != NULL;
      if (p && *(p = json_ws(p)) == ',')
        p = json_ws(p + 1);
    }
    keys_free(&k);
    return p && matched == (map ? n->n / 2 : n->n) ? p + 1 : NULL;
  }
  const char *end = json_skip(p);
  yt_plain kind = n->plain ? cp_ytree_plain(n->value, NULL, NULL, NULL) : YT_PLAIN_TEXT;
  if (!end)
    return NULL;
  size_t len = (size_t)(end - p);
  int same;
  switch (kind) {
  case YT_PLAIN_NULL: same = len == 4 && !memcmp(p, "null", 4); break;
  case YT_PLAIN_BOOL: {
    int truth = 0;
    cp_ytree_plain(n->value, &truth, NULL, NULL);
    same = truth ? len == 4 && !memcmp(p, "true", 4) : len == 5 && !memcmp(p, "false", 5);
    break;
  }
  case YT_PLAIN_INT: case YT_PLAIN_REAL: same = same_number(p, len, n->value, kind); break;
  default: same = json_text(p, t) == end && same_decoded(t, n->value); break;
  }
  return same ? end : NULL;
}

/* Returns 1 when the data JSON holds the keys of the expected mapping n
 * with matching values. */
static int same_data(const yt_node *n, const char *json)
{
  sbuf t = {0};
  const char *end = json ? json_match(json, n, 1, &t, 0) : NULL;
  cp_sbuf_free(&t);
  return end && !*json_ws(end);
}

/* Appends the JSON value at *pp as YAML flow and moves *pp past it; of an
 * object, only the keys of keep (when given). Returns -1 when it is not
 * JSON as the engine writes it. */
static int json_yaml(sbuf *b, const char **pp, const keys *keep, sbuf *t, int depth)
{
  const char *p = json_ws(*pp);
  if (depth > 100)
    return -1;
  if (*p == '{' || *p == '[') {
    int map = *p == '{', first = 1;
    cp_sbuf_add(b, map ? "{" : "[");
    p = json_ws(p + 1);
    while (*p != (map ? '}' : ']')) {
      int shown = 1;
      if (map) {
        if (!(p = json_text(p, t)) || *(p = json_ws(p)) != ':')
          return -1;
        p++;
        shown = !keep || tree_member(keep, t);
        if (shown) {
          cp_sbuf_add(b, first ? "" : ", ");
          yaml_text(b, t->s, t->len);
          cp_sbuf_add(b, ": ");
        }
      } else {
        cp_sbuf_add(b, first ? "" : ", ");
      }
      first &= !shown;
      if (shown ? json_yaml(b, &p, NULL, t, depth + 1) < 0 : !(p = json_skip(p)))
        return -1;
      if (*(p = json_ws(p)) == ',')
        p = json_ws(p + 1);
      else if (*p != (map ? '}' : ']'))
        return -1;
    }
    cp_sbuf_add(b, map ? "}" : "]");
    *pp = p + 1;
    return 0;
  }
  const char *end = json_skip(p);
  if (!end)
    return -1;
  if (*p == '"') {
    if (json_text(p, t) != end)
      return -1;
    yaml_text(b, t->s, t->len);
  } else {
    cp_sbuf_addn(b, p, (size_t)(end - p));
  }
  *pp = end;
  return 0;
}

/* Returns 1 when the JSON object json has the key (at its top level). */
static int json_has_key(const char *json, const char *key)
{
  sbuf t = {0};
  const char *p = json_ws(json);
  int found = 0;
  if (*p != '{')
    return 0;
  p = json_ws(p + 1);
  while (!found && *p == '"') {
    if (!(p = json_text(p, &t)) || *(p = json_ws(p)) != ':')
      break;
    found = t.len == strlen(key) && !memcmp(t.s, key, t.len);
    if (!(p = json_skip(json_ws(p + 1))))
      break;
    if (*(p = json_ws(p)) == ',')
      p = json_ws(p + 1);
  }
  cp_sbuf_free(&t);
  return found;
}

/* Appends "   # data has no K, L" for the keys of the expected data that the
 * found data lacks: the + line leaves them out, where a null would read as
 * the value null (policy-r pasted a line that lost its expectation). */
static void missing_keys(sbuf *b, const char *json, const yt_node *data)
{
  int any = 0;
  for (size_t i = 0; data && data->kind == YT_MAP && i + 1 < data->n; i += 2)
    if (data->items[i]->kind == YT_SCALAR && !json_has_key(json, data->items[i]->value)) {
      cp_sbuf_add(b, any ? ", " : "   # data has no ");
      yaml_text(b, data->items[i]->value, strlen(data->items[i]->value));
      any = 1;
    }
}

/* Appends ", data: " and the data JSON as YAML flow, only the keys of keep. */
static void data_field(sbuf *b, const char *json, const yt_node *keep)
{
  sbuf t = {0};
  keys k;
  keys_of(keep, &k);
  cp_sbuf_add(b, ", data: ");
  size_t at = b->len;
  const char *p = json;
  if (json_yaml(b, &p, &k, &t, 0) < 0) {   /* not the engine's JSON: shown as it is */
    b->len = at;
    cp_sbuf_addn(b, "", 0);
    cp_sbuf_json_str(b, json, strlen(json));
  }
  keys_free(&k);
  cp_sbuf_free(&t);
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

/* Appends a found result with the fields of mask (CP_FX_* bits); its data
 * with only the keys of the expected data (when mask has CP_FX_DATA). */
static void found_fields(sbuf *b, const cp_found *f, unsigned mask, const yt_node *data)
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
  if ((mask & CP_FX_DATA) && data)
    data_field(b, f->data, data);
  cp_sbuf_add(b, "}");
  if ((mask & CP_FX_DATA) && data)
    missing_keys(b, f->data, data);
}

/* Appends a found result with the fields shown when nothing narrows them. */
static void found_yaml(sbuf *b, const cp_found *f)
{
  found_fields(b, f, shown_fields(f), NULL);
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
  if (e->has & CP_FX_DATA) {
    cp_sbuf_add(b, ", data: ");
    yaml_tree(b, e->data);
  }
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
         (!(e->has & CP_FX_TITLE) || same_text(e->title, f->title)) &&
         (!(e->has & CP_FX_DATA) || same_data(e->data, f->data));
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
        found_fields(&b, f, e[j].has, e[j].data);
        keep(d, section, f->client, f->rule, f->key, '+', &b);
      }
  for (unsigned j = 0; j < ne; j++)
    if (!done[j]) {
      sbuf b = {0};
      expected_fields(&b, &e[j]);
      if (!cp_fixture_rule_matches(rules, nrules, e[j].rule))
        /* the found results of such a rule were set aside above: it can
         * never match, which the bare '-' line would not tell */
        cp_sbuf_printf(&b, "   # %s is not among this step's rules: add it to 'rules:'",
                       e[j].rule);
      else if (section == SEC_FULFILLED || section == SEC_WITHDRAWN)
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
    /* the first header says what the signs mean: a lone "- {...}" reads
     * like a YAML item of the fixture (policy-n) */
    if (i == 0)
      cp_sbuf_printf(diff, "%s%s   # -: expected, not found; +: found, not expected\n", indent,
                     section_names[d.v[i].section]);
    else if (d.v[i].section != d.v[i - 1].section)
      cp_sbuf_printf(diff, "%s%s\n", indent, section_names[d.v[i].section]);
    cp_sbuf_printf(diff, "%s%c %s\n", indent, d.v[i].sign, d.v[i].text);
    free(d.v[i].text);
  }
  if (d.oom)
    cp_sbuf_printf(diff, "%s(out of memory: the difference is incomplete)\n", indent);
  free(d.v);
  return d.n + (size_t)d.oom;
}
