/* fixture.c: loads fixture files strictly with libcyaml (the typed part) and
 * ytree (facts, params, and the lines that messages name). */
#include "fixture.h"

#include <cyaml/cyaml.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

static const cyaml_strval_t mode_names[] = {
  {"exact", CP_FX_EXACT},
  {"at_least", CP_FX_AT_LEAST},
};

#define RESULT_STRING(key, member, min)                                                        \
  CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_fx_result, member, \
                         min, CYAML_UNLIMITED)
#define RESULT_ID(key, member)                                                                 \
  CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, cp_fx_result, member, 1, CYAML_UNLIMITED)

static const cyaml_schema_field_t alert_fields[] = {
  RESULT_ID("rule", rule),
  RESULT_ID("client", client),
  RESULT_STRING("key", key, 0),
  RESULT_STRING("severity", severity, 1),
  CYAML_FIELD_INT("level", CYAML_FLAG_OPTIONAL, cp_fx_result, level),
  RESULT_STRING("assignee", assignee, 0),
  RESULT_STRING("title", title, 0),
  CYAML_FIELD_IGNORE("data", CYAML_FLAG_OPTIONAL),   /* a tree: read from the document */
  CYAML_FIELD_END,
};

static const cyaml_schema_field_t assignment_fields[] = {
  RESULT_ID("rule", rule),
  RESULT_ID("client", client),
  RESULT_STRING("key", key, 0),
  RESULT_STRING("kind", kind, 1),
  RESULT_STRING("assignee", assignee, 0),
  CYAML_FIELD_IGNORE("data", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_END,
};

static const cyaml_schema_field_t absent_fields[] = {
  RESULT_ID("rule", rule),
  RESULT_ID("client", client),
  RESULT_STRING("key", key, 0),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t alert_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_fx_result, alert_fields),
};
static const cyaml_schema_value_t assignment_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_fx_result, assignment_fields),
};
static const cyaml_schema_value_t absent_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_fx_result, absent_fields),
};
static const cyaml_schema_value_t rule_schema = {
  CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

/* A list of a step; empty (`alerts:`) or null is the empty list. */
#define STEP_SEQUENCE(key, member, schema)                                              \
  CYAML_FIELD_SEQUENCE(key, CYAML_FLAG_POINTER_NULL_STR | CYAML_FLAG_OPTIONAL, cp_fx_step, \
                       member, &schema, 0, CYAML_UNLIMITED)

static const cyaml_schema_field_t step_fields[] = {
  CYAML_FIELD_STRING_PTR("as_of", CYAML_FLAG_POINTER, cp_fx_step, as_of, 1, CYAML_UNLIMITED),
  CYAML_FIELD_ENUM("mode", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, cp_fx_step, mode,
                   mode_names, CYAML_ARRAY_LEN(mode_names)),
  STEP_SEQUENCE("rules", rules, rule_schema),
  STEP_SEQUENCE("alerts", alerts, alert_schema),
  STEP_SEQUENCE("assignments", assignments, assignment_schema),
  STEP_SEQUENCE("absent", absent, absent_schema),
  STEP_SEQUENCE("fulfilled", fulfilled, absent_schema),
  STEP_SEQUENCE("withdrawn", withdrawn, absent_schema),
  CYAML_FIELD_IGNORE("facts", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_IGNORE("changes", CYAML_FLAG_OPTIONAL),   /* read from the tree, by fixdb.c */
  CYAML_FIELD_IGNORE("replay", CYAML_FLAG_OPTIONAL),   /* read from the tree: true or false */
  CYAML_FIELD_IGNORE("findings", CYAML_FLAG_OPTIONAL),   /* read from the tree */
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t step_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_fx_step, step_fields),
};

static const cyaml_schema_field_t file_fields[] = {
  CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, cp_fx_file, name, 1, CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("doc", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_fx_file, doc, 0,
                         CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("schema", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_fx_file, schema,
                         1, CYAML_UNLIMITED),
  CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_fx_file, rules,
                       &rule_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_IGNORE("params", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_IGNORE("facts", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_SEQUENCE("steps", CYAML_FLAG_POINTER, cp_fx_file, steps, &step_schema, 1,
                       CYAML_UNLIMITED),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t file_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, cp_fx_file, file_fields),
};

/* Checks a step's `findings:`: a list of {table, row, column}, each a text
 * (`findings: []`: none expected). */
static cp_err check_findings(const cp_fixture *fx, const yt_node *f)
{
  if (!f)
    return CP_OK;
  if (f->kind == YT_SCALAR && f->plain && cp_ytree_plain(f->value, NULL, NULL, NULL) == YT_PLAIN_NULL)
    return CP_OK;   /* findings: (nothing): none */
  if (f->kind != YT_SEQ)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: findings: a list of {table, row, column} is "
                        "expected here", fx->path, f->line);
  static const char *const keys[] = {"table", "row", "column"};
  for (size_t i = 0; i < f->n; i++) {
    const yt_node *e = f->items[i];
    if (e->kind != YT_MAP)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: findings: each entry is {table, row, column}",
                          fx->path, e->line);
    for (size_t k = 0; k + 1 < e->n; k += 2) {
      const char *name = e->items[k]->value ? e->items[k]->value : "";
      if (strcmp(name, "table") && strcmp(name, "row") && strcmp(name, "column"))
        return cp_diag_fail(CP_ECONFIG, "%s:%u: findings: unknown key '%s' (table, row, column)",
                            fx->path, e->items[k]->line, name);
    }
    for (size_t k = 0; k < 3; k++) {
      const yt_node *v = cp_ytree_get(e, keys[k]);
      if (!v || v->kind != YT_SCALAR || !v->value || !*v->value)
        return cp_diag_fail(CP_ECONFIG, "%s:%u: findings: '%s' is required, a text (as the "
                            "warning names it: 'orders row O1 column amount')", fx->path,
                            v ? v->line : e->line, keys[k]);
    }
  }
  return CP_OK;
}

/* Returns 1 when a scalar node is a plain null (null, ~ or nothing). */
static int is_null(const yt_node *n)
{
  return n && n->kind == YT_SCALAR && n->plain &&
         (!*n->value || !strcmp(n->value, "null") || !strcmp(n->value, "~"));
}

/* Sets the line and the fields given of each entry of a result list. */
static void mark_results(cp_fx_result *r, unsigned n, const yt_node *seq)
{
  static const struct { const char *name; unsigned bit; } bits[] = {
    {"key", CP_FX_KEY},           {"severity", CP_FX_SEVERITY}, {"level", CP_FX_LEVEL},
    {"assignee", CP_FX_ASSIGNEE}, {"kind", CP_FX_KIND},         {"title", CP_FX_TITLE},
  };
  for (unsigned i = 0; i < n && seq && i < seq->n; i++) {
    const yt_node *m = seq->items[i];
    r[i].line = m->line;
    for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++)
      if (cp_ytree_get(m, bits[b].name))
        r[i].has |= bits[b].bit;
    r[i].assignee_null = is_null(cp_ytree_get(m, "assignee"));
    r[i].level_node = cp_ytree_get(m, "level");
    r[i].data = cp_ytree_get(m, "data");
    if (r[i].data)
      r[i].has |= CP_FX_DATA;
    if (r[i].key && is_null(cp_ytree_get(m, "key")))
      r[i].key[0] = '\0';   /* key: null is the empty key */
  }
}

/* Checks the values of an expected alert or assignment that libcyaml cannot. */
static cp_err check_result(const cp_fixture *fx, const cp_fx_result *r)
{
  if ((r->has & CP_FX_DATA) && r->data->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: data is a mapping of the keys expected "
                     "(data: {amount: 123456}), not a %s", fx->path, r->data->line,
                     r->data->kind == YT_SEQ ? "list" : "single value");
  if ((r->has & CP_FX_SEVERITY) && strcmp(r->severity, "info") &&
      strcmp(r->severity, "warning") && strcmp(r->severity, "critical"))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: severity '%s' is not one of info, warning, critical",
                     fx->path, r->line, r->severity);
  const yt_node *lv = r->level_node;   /* libcyaml took 8.5 and 8abc for 8, 1e1 for 1, 010 for 8 */
  if (lv && (lv->kind != YT_SCALAR || !lv->plain || !*lv->value || lv->value[0] == '0' ||
             strspn(lv->value, "0123456789") != strlen(lv->value)))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: level '%s' is not a whole number of at least 1 "
                     "(written in decimal, without a leading zero)", fx->path, lv->line,
                     lv->kind == YT_SCALAR ? lv->value : "(not a value)");
  if ((r->has & CP_FX_LEVEL) && r->level < 1)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: level %d: levels start at 1", fx->path, r->line,
                     r->level);
  return CP_OK;
}

/* Marks lines and checks each step. */
static cp_err check_steps(cp_fixture *fx)
{
  const yt_node *seq = cp_ytree_get(fx->doc, "steps");
  cp_fx_file *f = fx->file;
  for (unsigned i = 0; i < f->steps_count; i++) {
    cp_fx_step *s = &f->steps[i];
    const yt_node *n = seq->items[i];
    s->line = n->line;
    mark_results(s->alerts, s->alerts_count, cp_ytree_get(n, "alerts"));
    mark_results(s->assignments, s->assignments_count, cp_ytree_get(n, "assignments"));
    mark_results(s->absent, s->absent_count, cp_ytree_get(n, "absent"));
    mark_results(s->fulfilled, s->fulfilled_count, cp_ytree_get(n, "fulfilled"));
    mark_results(s->withdrawn, s->withdrawn_count, cp_ytree_get(n, "withdrawn"));
    s->has_fulfilled = cp_ytree_get(n, "fulfilled") != NULL;
    s->has_withdrawn = cp_ytree_get(n, "withdrawn") != NULL;
    s->facts = cp_ytree_get(n, "facts");
    s->changes = cp_ytree_get(n, "changes");
    if (check_findings(fx, s->findings = cp_ytree_get(n, "findings")) != CP_OK)
      return CP_ECONFIG;
    const yt_node *d = cp_ytree_get(n, "as_of");
    if (cp_dates_parse_date(s->as_of, strlen(s->as_of), &s->day) < 0)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: as_of '%s' is not a date (YYYY-MM-DD)", fx->path,
                       d ? d->line : s->line, s->as_of);
    const yt_node *rp = cp_ytree_get(n, "replay");
    int b = 0;
    if (rp && (rp->kind != YT_SCALAR || !rp->plain ||
               cp_ytree_plain(rp->value, &b, NULL, NULL) != YT_PLAIN_BOOL))
      return cp_diag_fail(CP_ECONFIG, "%s:%u: replay: '%s' is not true or false", fx->path,
                          rp->line, rp->kind == YT_SCALAR ? rp->value : "(not a scalar)");
    s->replay = b;
    if (s->replay && (i == 0 || s->day >= f->steps[i - 1].day))
      return cp_diag_fail(CP_ECONFIG, "%s:%u: replay: true replays a day before the previous "
                          "step's, and as_of %s is %s", fx->path, rp->line, s->as_of,
                          i == 0 ? "the first step's" : "not before it");
    if (i > 0 && s->day < f->steps[i - 1].day && !s->replay)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: as_of %s is before the previous step's %s; steps "
                       "go forward in time, or say replay: true to replay an earlier day (as "
                       "run --replay does)", fx->path, d ? d->line : s->line, s->as_of,
                       f->steps[i - 1].as_of);
    for (unsigned j = 0; j < s->alerts_count; j++)
      if (check_result(fx, &s->alerts[j]) != CP_OK)
        return CP_ECONFIG;
    for (unsigned j = 0; j < s->assignments_count; j++)
      if (check_result(fx, &s->assignments[j]) != CP_OK)
        return CP_ECONFIG;
  }
  return CP_OK;
}

/* Returns a deep copy of a tree; NULL when out of memory (or n is NULL). */
static yt_node *copy_tree(const yt_node *n)
{
  yt_node *c = n ? calloc(1, sizeof *c) : NULL;
  if (!c)
    return NULL;
  *c = (yt_node){.kind = n->kind, .line = n->line, .plain = n->plain};
  if (n->value && !(c->value = strdup(n->value)))
    goto fail;
  if (n->n && !(c->items = calloc(n->n, sizeof *c->items)))
    goto fail;
  for (; c->n < n->n; c->n++)
    if (!(c->items[c->n] = copy_tree(n->items[c->n])))
      goto fail;
  return c;
fail:
  cp_ytree_free(c);
  return NULL;
}

/* Merges the mapping over into the copy base (both mappings): values of
 * mappings merge key by key, anything else replaces. A key that base lacks
 * is an error naming path (the dotted name so far). */
static cp_err merge_into(const cp_fixture *fx, yt_node *base, const yt_node *over, char *path,
                         size_t len)
{
  size_t used = strlen(path);
  for (size_t i = 0; i + 1 < over->n; i += 2) {
    const yt_node *k = over->items[i], *v = over->items[i + 1];
    snprintf(path + used, len - used, ".%s", k->value);
    long at = -1;
    for (size_t j = 0; base && j + 1 < base->n && at < 0; j += 2)
      if (!strcmp(base->items[j]->value, k->value))
        at = (long)j + 1;
    if (at < 0)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: the config has no such param", fx->path, k->line,
                       path);
    yt_node *b = base->items[at];
    if (b->kind == YT_MAP && v->kind == YT_MAP) {
      if (merge_into(fx, b, v, path, len) != CP_OK)
        return CP_ECONFIG;
    } else {
      yt_node *copy = copy_tree(v);
      if (!copy)
        return cp_diag_fail(CP_ENOMEM, "%s: out of memory", fx->path);
      cp_ytree_free(b);
      base->items[at] = copy;
    }
    path[used] = '\0';
  }
  return CP_OK;
}

/* Sets fx->params: the config's params with the fixture's merged in. */
static cp_err merge_params(cp_fixture *fx, const cp_config *cfg)
{
  const yt_node *over = cp_ytree_get(fx->doc, "params");
  char path[512] = "params";
  if (!over)
    return CP_OK;
  if (over->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: params must be a mapping", fx->path, over->line);
  if (!cfg->params)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: params: the config has no params", fx->path,
                     over->line);
  /* A value that replaces the config's brings keys of its own: they are
   * refused as the config's are (null, or one Lua key written twice). */
  cp_err rc = cp_config_check_params(fx->path, over);
  if (rc != CP_OK)
    return rc;
  if (!(fx->params = copy_tree(cfg->params)))
    return cp_diag_fail(CP_ENOMEM, "%s: out of memory", fx->path);
  return merge_into(fx, fx->params, over, path, sizeof path);
}

cp_err cp_fixture_load(const char *path, const cp_config *cfg, cp_fixture **out)
{
  char err[512];
  cp_fixture *fx = calloc(1, sizeof *fx);
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (!fx || !(fx->path = strdup(path)) || !(fx->dir = cp_config_path_folder(path)))
    goto fail;
  int loaded = cp_ytree_load(path, &fx->doc, err, sizeof err);
  if (loaded < 0) {
    rc = cp_diag_fail(loaded == -2 ? CP_ENOMEM : CP_ECONFIG, "%s", err);
    goto fail;
  }
  if (!fx->doc || fx->doc->kind != YT_MAP) {
    rc = cp_diag_fail(CP_ECONFIG, "%s:1: a fixture is a mapping with name, facts and steps", path);
    goto fail;
  }
  if ((rc = cp_config_cyaml_load(path, fx->doc, &file_schema, (void **)&fx->file)) != CP_OK)
    goto fail;
  fx->facts = cp_ytree_get(fx->doc, "facts");
  if ((rc = check_steps(fx)) != CP_OK || (rc = merge_params(fx, cfg)) != CP_OK)
    goto fail;
  *out = fx;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM && !cp_diag_oom_said())   /* said once, where it was met if there */
    cp_diag_fail(rc, "%s: out of memory", path);
  cp_fixture_free(fx);
  return rc;
}

void cp_fixture_free(cp_fixture *fx)
{
  if (!fx)
    return;
  cp_config_cyaml_free(&file_schema, fx->file);
  cp_ytree_free(fx->doc);
  cp_ytree_free(fx->params);
  free(fx->path);
  free(fx->dir);
  free(fx);
}

char *cp_fixture_resolve(const cp_fixture *fx, const char *rel)
{
  if (rel[0] == '/' || strcmp(fx->dir, ".") == 0)
    return strdup(rel);
  size_t n = strlen(fx->dir) + strlen(rel) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", fx->dir, rel);
  return p;
}

char **cp_fixture_rules(const cp_fixture *fx, const cp_fx_step *step, unsigned *n)
{
  if (step->rules_count) {
    *n = step->rules_count;
    return step->rules;
  }
  *n = fx->file->rules_count;
  return fx->file->rules;
}

int cp_fixture_rule_matches(char **filter, unsigned n, const char *rule)
{
  for (unsigned i = 0; i < n; i++)
    if (fnmatch(filter[i], rule, 0) == 0)
      return 1;
  return n == 0;
}
