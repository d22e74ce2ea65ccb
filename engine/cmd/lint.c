/* lint.c: `crmpolicy check`'s warnings. Params reach rules through tables
 * that record each read (which key of which table, from which file:line);
 * with --fixtures, the fixtures run quietly so that reads inside rule
 * functions are seen too. A key read that the config lacks is reported
 * unless the same line read several keys of that table (a lookup by data,
 * like interval_days[c.tier], where a missing key is the point). */
#include "lint.h"
#include "arena.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "assignees.h"
#include "freeze.h"
#include "params.h"
#include "progress.h"
#include "fixture.h"
#include "lintsrc.h"
#include "sbuf.h"
#include "tally.h"
#include "testrun.h"

/* One distinct read: key of the table at path, from where. */
typedef struct lread {
  char *path;               /* the table read ("params.visits") */
  char *key;                /* the key read; "*" for pairs() over the table */
  char *where;              /* "rules/visits.lua:9" */
  int present;              /* the config has the key */
} lread;

struct cp_lint {
  lread *v;                 /* distinct reads */
  size_t n, cap;
  size_t *slots;            /* hash of the reads: 1 + index into v, 0 empty */
  size_t n_slots;           /* a power of two, at least twice n */
  char **covered;           /* rule ids that some fixture checks */
  size_t n_covered, cap_covered;
  int oom;                  /* something could not be recorded */
};

cp_lint *cp_lint_new(void)
{
  return calloc(1, sizeof(cp_lint));
}

void cp_lint_free(cp_lint *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].path);
    free(l->v[i].key);
    free(l->v[i].where);
  }
  for (size_t i = 0; i < l->n_covered; i++)
    free(l->covered[i]);
  free(l->v);
  free(l->slots);
  free(l->covered);
  free(l);
}

/* The hash of a read (path, key, where). */
static size_t read_hash(const char *path, const char *key, const char *where)
{
  size_t h = cp_arena_hash(path, strlen(path));
  h = h * 31 + cp_arena_hash(key, strlen(key));
  return h * 31 + cp_arena_hash(where, strlen(where));
}

/* Returns the slot of read (path, key, where) in l->slots: the one holding
 * it, or the empty one where it goes. l->n_slots must be above 0. */
static size_t read_slot(const cp_lint *l, const char *path, const char *key, const char *where)
{
  size_t i = read_hash(path, key, where) & (l->n_slots - 1);
  for (; l->slots[i]; i = (i + 1) & (l->n_slots - 1)) {
    const lread *r = &l->v[l->slots[i] - 1];
    if (!strcmp(r->key, key) && !strcmp(r->path, path) && !strcmp(r->where, where))
      break;
  }
  return i;
}

/* Keeps l->n_slots at least twice the reads and one more; returns -1 when
 * out of memory. */
static int grow_slots(cp_lint *l)
{
  if (l->n_slots >= 2 * (l->n + 1))
    return 0;
  size_t n = l->n_slots ? l->n_slots * 2 : 64;
  size_t *old = l->slots, old_n = l->n_slots;
  if (!(l->slots = calloc(n, sizeof *l->slots))) {
    l->slots = old;
    return -1;
  }
  l->n_slots = n;
  for (size_t i = 0; i < old_n; i++)
    if (old[i]) {
      const lread *r = &l->v[old[i] - 1];
      l->slots[read_slot(l, r->path, r->key, r->where)] = old[i];
    }
  free(old);
  return 0;
}

/* Records a read unless the same one is recorded. */
static void record(cp_lint *l, const char *path, const char *key, const char *where,
                   int present)
{
  if (grow_slots(l) < 0) {
    l->oom = 1;
    return;
  }
  size_t slot = read_slot(l, path, key, where);
  if (l->slots[slot])
    return;
  if (cp_arena_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0) {
    l->oom = 1;
    return;
  }
  lread r = {strdup(path), strdup(key), strdup(where), present};
  if (!r.path || !r.key || !r.where) {
    free(r.path), free(r.key), free(r.where);
    l->oom = 1;
    return;
  }
  l->v[l->n++] = r;
  l->slots[slot] = l->n;
}

void cp_lint_note(cp_lint *l, const char *path, const char *key, const char *where)
{
  record(l, path, key, where, 0);
}

/* Writes "file:line" of the Lua code that made the current read. */
static void where_of(lua_State *L, char *buf, size_t len)
{
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
    snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
  else
    snprintf(buf, len, "?");
}

/* Upvalues of the recording metamethods. */
enum { UV_TABLE = 1, UV_PATH, UV_LINT };

/* The key a read is recorded under: a text as itself; a number or boolean,
 * which a params key from YAML may be ({1: a}: the integer key 1), in
 * brackets, as Lua compares keys: "[1]" for 1 and 1.0, "[0.5]", "[true]".
 * NULL for a key of another type. */
static const char *key_form(lua_State *L, int idx, char *buf, size_t cap)
{
  lua_Integer i;
  switch (lua_type(L, idx)) {
  case LUA_TSTRING:
    return lua_tostring(L, idx);
  case LUA_TBOOLEAN:
    return lua_toboolean(L, idx) ? "[true]" : "[false]";
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx))
      snprintf(buf, cap, "[%lld]", (long long)lua_tointeger(L, idx));
    else if (lua_numbertointeger(lua_tonumber(L, idx), &i))   /* 1.0 is the key 1 */
      snprintf(buf, cap, "[%lld]", (long long)i);
    else
      snprintf(buf, cap, "[%.17g]", (double)lua_tonumber(L, idx));
    return buf;
  default:
    return NULL;
  }
}

/* __index: the value, after recording the read of a key (key_form). */
static int l_index(lua_State *L)
{
  char where[300], form[64];
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(UV_TABLE));
  const char *key = key_form(L, 2, form, sizeof form);
  if (key) {
    where_of(L, where, sizeof where);
    record(lua_touserdata(L, lua_upvalueindex(UV_LINT)), lua_tostring(L, lua_upvalueindex(UV_PATH)),
           key, where, !lua_isnil(L, -1));
  }
  return 1;
}

/* __pairs: records that the whole table was read, then iterates the view
 * (never handing out the table behind it). */
static int l_pairs(lua_State *L)
{
  char where[300];
  where_of(L, where, sizeof where);
  record(lua_touserdata(L, lua_upvalueindex(UV_LINT)), lua_tostring(L, lua_upvalueindex(UV_PATH)),
         "*", where, 1);
  lua_pushcfunction(L, cp_freeze_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Replaces the read-only view at the top of the stack (as cp_params_push
 * makes them) by a recording one for path; scalars stay as they are. */
static void wrap(cp_lint *l, lua_State *L, const char *path)
{
  if (!lua_istable(L, -1) || !cp_freeze_behind(L, -1))
    return;
  lua_replace(L, -2);               /* the table behind */
  int t = lua_gettop(L);
  luaL_checkstack(L, 8, "params nested too deep");
  lua_pushnil(L);
  while (lua_next(L, t)) {
    char form[64];
    const char *key = key_form(L, -2, form, sizeof form);
    lua_pushfstring(L, "%s.%s", path, key ? key : "[]");
    lua_insert(L, -2);
    wrap(l, L, lua_tostring(L, -2));
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, t);
  }
  cp_freeze_view(L, t);             /* a view that records its reads */
  lua_getmetatable(L, -1);
  static const lua_CFunction fns[] = {l_index, l_pairs};
  static const char *const names[] = {"__index", "__pairs"};
  for (int i = 0; i < 2; i++) {
    lua_pushvalue(L, t);
    lua_pushstring(L, path);
    lua_pushlightuserdata(L, l);
    lua_pushcclosure(L, fns[i], 3);
    lua_setfield(L, -2, names[i]);
  }
  lua_pop(L, 1);
  lua_remove(L, t);
}

void cp_lint_params_push(void *ctx, lua_State *L, const yt_node *params)
{
  cp_params_push(L, params);
  wrap(ctx, L, "params");
}

/* Returns 1 when key of the table at path (or the whole table) was read. */
static int was_read(const cp_lint *l, const char *path, const char *key)
{
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i].path, path) && (!strcmp(l->v[i].key, key) || !strcmp(l->v[i].key, "*")))
      return 1;
  return 0;
}

/* The key of YAML key node k as reads are recorded (key_form): a quoted
 * scalar as its text, a plain one as the Lua key it becomes. */
static const char *yaml_key_form(const yt_node *k, char *buf, size_t cap)
{
  int b;
  long long i;
  double d;
  lua_Integer li;
  if (!k->plain)
    return k->value;
  switch (cp_ytree_plain(k->value, &b, &i, &d)) {
  case YT_PLAIN_BOOL: return b ? "[true]" : "[false]";
  case YT_PLAIN_INT: snprintf(buf, cap, "[%lld]", i); return buf;
  case YT_PLAIN_REAL:
    if (lua_numbertointeger(d, &li))
      snprintf(buf, cap, "[%lld]", (long long)li);
    else
      snprintf(buf, cap, "[%.17g]", d);
    return buf;
  default: return k->value;
  }
}

/* Warns about each param of the mapping n that no rule read: path is where
 * reads of it are recorded, shown how the config spells it. A mapping read
 * as a whole is read; one never reached is one warning. */
static unsigned report_unread(const cp_lint *l, const cp_config *cfg, const yt_node *n,
                              const char *path, const char *shown)
{
  unsigned count = 0;
  for (size_t i = 0; n && n->kind == YT_MAP && i + 1 < n->n; i += 2) {
    const yt_node *k = n->items[i], *v = n->items[i + 1];
    char child[512], child_shown[512], form[64];
    const char *key = yaml_key_form(k, form, sizeof form);
    snprintf(child, sizeof child, "%s.%s", path, key);
    snprintf(child_shown, sizeof child_shown, "%s.%s", shown, k->value);
    if (!was_read(l, path, key)) {
      cp_diag_warn("%s:%u: %s: no rule reads it in the fixtures", cfg->path, k->line, child_shown);
      count++;
    } else if (v->kind == YT_MAP && !was_read(l, child, "*")) {
      count += report_unread(l, cfg, v, child, child_shown);
    }
  }
  return count;
}

/* The reads, for sorting their indexes (qsort has no context). */
static const lread *sorted_reads;

/* Orders read indexes by table, then the line that read, then key. */
static int by_where(const void *a, const void *b)
{
  const lread *x = &sorted_reads[*(const size_t *)a], *y = &sorted_reads[*(const size_t *)b];
  int c = strcmp(x->path, y->path);
  c = c ? c : strcmp(x->where, y->where);
  return c ? c : strcmp(x->key, y->key);
}

/* Orders read indexes by table, then key, then the order they were read. */
static int by_key(const void *a, const void *b)
{
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  const lread *x = &sorted_reads[i], *y = &sorted_reads[j];
  int c = strcmp(x->path, y->path);
  c = c ? c : strcmp(x->key, y->key);
  return c ? c : (i > j) - (i < j);
}

/* Warns about keys read that the config lacks, once each, unless the line
 * that read it read other keys of the same table (a lookup by data). Two
 * sorts of the reads' indexes, so that many reads stay fast. */
static unsigned report_missing(const cp_lint *l)
{
  unsigned count = 0;
  size_t *idx = malloc((l->n + 1) * sizeof *idx);
  unsigned char *skip = calloc(l->n + 1, 1);
  if (!idx || !skip) {
    free(idx);
    free(skip);
    return 0;
  }
  sorted_reads = l->v;
  for (size_t i = 0; i < l->n; i++)
    idx[i] = i;
  qsort(idx, l->n, sizeof *idx, by_where);   /* one line reading two keys of a table */
  for (size_t a = 0, b; a < l->n; a = b) {
    for (b = a + 1; b < l->n && !strcmp(l->v[idx[b]].path, l->v[idx[a]].path) &&
                    !strcmp(l->v[idx[b]].where, l->v[idx[a]].where); b++)
      ;
    for (size_t k = a; b - a > 1 && k < b; k++)   /* reads are distinct: other keys */
      skip[idx[k]] = 1;
  }
  qsort(idx, l->n, sizeof *idx, by_key);   /* a missing key reported at its first read */
  for (size_t a = 0, b; a < l->n; a = b) {
    int first = 1;
    for (b = a; b < l->n && !strcmp(l->v[idx[b]].path, l->v[idx[a]].path) &&
                !strcmp(l->v[idx[b]].key, l->v[idx[a]].key); b++) {
      if (!first)
        skip[idx[b]] = 1;
      first &= l->v[idx[b]].present;
    }
  }
  for (size_t i = 0; i < l->n; i++) {
    const lread *r = &l->v[i];
    if (!r->present && !skip[i]) {
      cp_diag_warn("%s: %s%s%s is read, but the config has no such param", r->where, r->path,
                   r->key[0] == '[' ? "" : ".", r->key);   /* params.x[7]: a number's key */
      count++;
    }
  }
  free(idx);
  free(skip);
  return count;
}

/* Adds rule id to the covered ones unless it is there. */
static void cover(cp_lint *l, const char *id)
{
  for (size_t i = 0; i < l->n_covered; i++)
    if (!strcmp(l->covered[i], id))
      return;
  char *copy = strdup(id);
  if (copy)
    cp_arena_grow((void **)&l->covered, &l->cap_covered, l->n_covered, sizeof *l->covered);
  if (!copy || l->n_covered == l->cap_covered) {
    free(copy);
    l->oom = 1;
    return;
  }
  l->covered[l->n_covered++] = copy;
}

/* on_fixture: notes the rules the fixture checks: those its expectations
 * name, and every rule an exact step's filter lets through. */
static void note_covered(void *ctx, const cp_fixture *fx, const cp_rules *rules)
{
  cp_lint *l = ctx;
  for (unsigned i = 0; i < fx->file->steps_count; i++) {
    const cp_fx_step *s = &fx->file->steps[i];
    unsigned n;
    char **filter = cp_fixture_rules(fx, s, &n);
    const cp_fx_result *lists[] = {s->alerts, s->assignments, s->absent, s->fulfilled,
                                   s->withdrawn};
    unsigned counts[] = {s->alerts_count, s->assignments_count, s->absent_count,
                         s->fulfilled_count, s->withdrawn_count};
    for (int k = 0; k < 5; k++)
      for (unsigned j = 0; j < counts[k]; j++)
        cover(l, lists[k][j].rule);
    for (size_t r = 0; s->mode == CP_FX_EXACT && r < cp_rules_count(rules); r++)
      for (const char *const *id = cp_rules_ids(rules, r); *id; id++)
        if (cp_fixture_rule_matches(filter, n, *id))
          cover(l, *id);
  }
}

/* Warns about each rule none of whose ids a fixture checks. */
static unsigned report_uncovered(const cp_lint *l, const cp_rules *rules, const char *dir)
{
  unsigned count = 0;
  for (size_t r = 0; r < cp_rules_count(rules); r++) {
    int covered = 0;
    for (const char *const *id = cp_rules_ids(rules, r); *id && !covered; id++)
      for (size_t i = 0; i < l->n_covered && !covered; i++)
        covered = !strcmp(l->covered[i], *id);
    if (!covered) {
      cp_diag_warn("%s: rule %s: no fixture in %s checks it", cp_rules_where(rules, r),
                cp_rules_id(rules, r), dir);
      count++;
    }
  }
  return count;
}

/* Warns about each key of map sec (labels.rules, assignees.rules) that is
 * no rule's id (its own or one it emits): a label or a lookup for a
 * misspelt or renamed rule is never used; `what` names the section, and
 * `never` what then never happens. */
static unsigned report_unknown_rule_keys(const cp_config *cfg, const cp_rules *rules,
                                         const yt_node *sec, const char *what, const char *never)
{
  unsigned count = 0;
  for (size_t k = 0; sec && sec->kind == YT_MAP && k + 1 < sec->n; k += 2) {
    const yt_node *key = sec->items[k];
    int found = 0;
    for (size_t r = 0; r < cp_rules_count(rules) && !found; r++)
      for (const char *const *id = cp_rules_ids(rules, r); *id && !found; id++)
        found = !strcmp(*id, key->value);
    if (!found) {
      cp_diag_warn("%s:%u: %s: '%s' is no rule's id; %s", cfg->path, key->line, what,
                   key->value, never);
      count++;
    }
  }
  return count;
}

/* Warns about the keys of labels.rules and assignees.rules that are no
 * rule's id. */
static unsigned report_unknown_labels(const cp_config *cfg, const cp_rules *rules)
{
  const yt_node *a = cfg->doc ? cp_ytree_get(cfg->doc, "assignees") : NULL;
  return report_unknown_rule_keys(cfg, rules,
                                  cfg->labels ? cp_ytree_get(cfg->labels, "rules") : NULL,
                                  "labels.rules", "its label is never shown") +
         report_unknown_rule_keys(cfg, rules, a ? cp_ytree_get(a, "rules") : NULL,
                                  "assignees.rules", "its lookup checks no alert");
}

/* Runs the fixtures of --fixtures quietly, watching params reads and the
 * rules they check. Returns how many failed (an error, printed); *invalid
 * says whether some could not run (exit 2, as with `crmpolicy test`). */
static unsigned run_fixtures(cp_lint *l, cp_config *cfg, const cp_opts *o, cp_err *rc,
                             int *invalid)
{
  cp_rules_watch w = {.params = cp_lint_params_push, .ctx = l};
  cp_test_opts to = {.watch = &w, .assignees = o->assignees, .quiet = 2,
                     .on_fixture = note_covered, .ctx = l};
  cp_test_counts counts;
  char *paths[] = {(char *)o->fixtures};
  *rc = cp_testrun_fixtures(cfg, paths, 1, &to, &counts);
  if (*rc == CP_OK && counts.failed)
    cp_diag_fail(CP_EEVAL, "%u of %u fixtures in %s fail%s; 'crmpolicy test %s' shows why",
                 counts.failed, counts.passed + counts.failed, o->fixtures,
                 counts.invalid ? " (some are invalid)" : "", o->fixtures);
  *invalid = *rc == CP_OK && counts.invalid;
  return *rc == CP_OK ? counts.failed : 0;
}

#define SAMPLE_ROWS 1000        /* rows of each table check converts as a run would */
#define SAMPLE_PRINTED 20       /* of their data problems, printed one by one */

/* The data problems of check's sample: the first few printed, all counted. */
typedef struct sample {
  cp_tally tally;
  uint64_t seen;
} sample;

static void sample_finding(void *ctx, const cp_finding *f)
{
  sample *s = ctx;
  if (++s->seen <= SAMPLE_PRINTED)
    cp_diag_warn("facts: %s row %s column %s: %s%s%s %s", f->table, f->row_id, f->column,
                 cp_facts_finding_quote(f), f->value, cp_facts_finding_quote(f), f->problem);
  else if (s->seen == SAMPLE_PRINTED + 1)
    cp_diag_warn("facts: more data problems follow in the sample; they are counted below");
  cp_tally_add(&s->tally, f);
}

/* Converts the first rows of the clients and per-client tables as a run
 * would, saying their data problems and their count by column: check said
 * "ok" of an export whose every empty cell was a data problem, as it read
 * no client's row (policy-x). */
static cp_err sample_facts(cp_facts *facts, uint64_t *problems, unsigned long *lines)
{
  sample s = {0};
  unsigned long before = cp_diag_warnings();
  cp_err rc = cp_facts_sample(facts, SAMPLE_ROWS, sample_finding, &s);
  if (rc == CP_OK)
    cp_tally_say(&s.tally, "in the first 1,000 rows of the clients and per-client tables");
  cp_tally_free(&s.tally);
  *problems = s.seen;
  *lines = cp_diag_warnings() - before;   /* the problems' lines, "more follow", the count */
  return rc;
}

/* Warns of the environment variables the config names that are not set
 * here (or empty): the feed's salt, which every run and push needs (exit 2
 * without it), and a webhook's secret, without which its push fails (exit
 * 7). check runs where the nightly job will, or should: the night is too
 * late to find out. */
static void warn_secrets(const cp_config *cfg)
{
  const cp_config_file *f = cfg->file;
  const char *v;
  if (f->feed.salt_env && (!(v = getenv(f->feed.salt_env)) || !*v))
    cp_diag_warn("%s: feed.salt_env: the environment variable %s is %s here: run and push "
                 "stop without it (exit 2)", cfg->path, f->feed.salt_env, v ? "empty" : "not set");
  for (unsigned i = 0; i < f->sinks_count; i++)
    if (f->sinks[i].secret_env && (!(v = getenv(f->sinks[i].secret_env)) || !*v))
      cp_diag_warn("%s:%u: sinks: '%s': secret_env: the environment variable %s is %s here: "
                   "push cannot sign for this sink, and fails it (exit 7)", cfg->path,
                   f->sinks[i].line, f->sinks[i].name, f->sinks[i].secret_env,
                   v ? "empty" : "not set");
}

cp_exit cp_cmd_check(const cp_opts *o)
{
  cp_config *cfg = NULL;
  cp_facts *facts = NULL;
  cp_rules *rules = NULL;
  cp_lint *l = NULL;
  unsigned warnings = 0, failed = 0;
  int invalid = 0;
  struct stat st;
  if (o->fixtures && stat(o->fixtures, &st) != 0)   /* before the config's "ok" line */
    return cp_cli_exit_for(cp_diag_fail(CP_EUSAGE, "check: --fixtures %s: %s", o->fixtures,
                                        strerror(errno)));
  cp_err rc = cp_cli_config(o, &cfg);
  if (rc == CP_OK)   /* a misspelt lookup checked no assignee, silently */
    rc = cp_assignees_option(cfg, o->assignees);
  if (rc == CP_OK && !(l = cp_lint_new()))
    rc = cp_diag_fail(CP_ENOMEM, "check: out of memory");
  if (rc == CP_OK)
    rc = cp_config_rule_files(cfg);
  unsigned long warned = cp_diag_warnings(), sample_lines = 0;
  if (rc == CP_OK)   /* said above the "ok" line: counted there too */
    warn_secrets(cfg);
  uint64_t problems = 0;
  if (rc == CP_OK && (rc = cp_facts_open(cfg, o->as_of, &facts)) == CP_OK &&
      (rc = sample_facts(facts, &problems, &sample_lines)) == CP_OK) {
    cp_rules_watch w = {.params = cp_lint_params_push, .ctx = l};
    rc = cp_rules_load_watched(cfg, facts, o->as_of, &w, &rules);
    if (rc == CP_OK)
      cp_rules_watch_params(rules);
  }
  /* The fixtures run before the "ok" line, which says that all check
   * checked passed: it said "ok" above a failing fixture's exit 1, so a CI
   * log read "ok" for a failing check (authfix). */
  if (rc == CP_OK && o->fixtures)
    failed = run_fixtures(l, cfg, o, &rc, &invalid);
  /* What was said above: the sample's data problems, counted as problems (not
   * as the lines that say them and their count), and the other warnings (the
   * lookups' data problems, a rule file's own warnings, the secrets the
   * environment lacks, a fixture's data problems). */
  char above[96] = "", n[32];
  warned = cp_diag_warnings() - warned - sample_lines;
  cp_progress_format_count(n, problems);
  if (problems && warned)
    snprintf(above, sizeof above, " (%s data problem%s and %lu other warning%s above)", n,
             problems == 1 ? "" : "s", warned, warned == 1 ? "" : "s");
  else if (problems)
    snprintf(above, sizeof above, " (%s data problem%s above)", n, problems == 1 ? "" : "s");
  else if (warned)
    snprintf(above, sizeof above, " (%lu warning%s above)", warned, warned == 1 ? "" : "s");
  if (rc == CP_OK && !failed && !invalid && !o->quiet)
    printf("ok: %s: %zu rule%s load%s; facts %s has every declared table and column%s\n",
           cfg->path, cp_rules_count(rules), cp_rules_count(rules) == 1 ? "" : "s",
           cp_rules_count(rules) == 1 ? "s" : "", cfg->facts, above);
  fflush(stdout);   /* before the lint warnings on stderr, in a pipe too (policy-z) */
  if (rc == CP_OK)
    warnings += cp_lintsrc_check(l, cfg, rules, &rc);
  if (rc == CP_OK) {
    warnings += report_missing(l);
    warnings += report_unknown_labels(cfg, rules);
    if (o->fixtures && !failed)   /* rules that failed read less and check less than they do */
      warnings += report_unread(l, cfg, cfg->params, "params", "params") +
                  report_uncovered(l, rules, o->fixtures);
    if (!o->quiet)
      printf("lint: %u warning%s%s\n", warnings, warnings == 1 ? "" : "s",
             !o->fixtures ? " (with --fixtures DIR: also unread params and untested rules)"
             : failed     ? " (fixtures fail: unread params and untested rules not checked)"
                          : "");
  }
  cp_rules_close(rules);
  cp_facts_close(facts);
  cp_lint_free(l);
  cp_config_free(cfg);
  return rc != CP_OK ? cp_cli_exit_for(rc)
         : invalid  ? CP_EXIT_INVALID
         : failed || (o->lint_fatal && warnings) ? CP_EXIT_INCOMPLETE
                    : CP_EXIT_OK;
}
