/* testrun.c: runs policy fixtures. Each fixture gets a temporary folder with
 * a facts database made from its rows and a state database that its steps
 * share; each step is a run as of its date (config -> facts -> rules ->
 * resolve picks -> store), after which the open alerts and proposed
 * assignments are compared with what the step expects. Nothing is left
 * behind. */
#include "testrun.h"
#include "arena.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assignees.h"
#include "cli.h"
#include "coverage.h"
#include "expect.h"
#include "fixdb.h"
#include "jobs.h"
#include "settle.h"
#include "sbuf.h"
#include "store.h"

/* A fixture being run. */
typedef struct fxrun {
  cp_config *cfg;           /* the config, its facts, state and params set for the fixture */
  const cp_test_opts *to;   /* how to run */
  cp_fixture *fx;           /* the fixture */
  char dir[512];            /* its temporary folder ("" when none) */
  sbuf report;              /* what to print when it fails */
  int failed;               /* a step failed */
} fxrun;

/* One step being run: what the writer needs. */
typedef struct steprun {
  fxrun *r;                 /* the fixture */
  const cp_fx_step *step;   /* the step */
  cp_facts *facts;          /* facts reader */
  cp_rules *rules;          /* loaded rules */
  cp_store *store;          /* state database */
  int ran;                  /* the run was committed: there is a state to compare */
  sbuf problems;            /* rule errors and bad assignees, one a line */
  size_t n_problems;        /* how many */
  sbuf found;               /* with `findings:`, the data problems met, each "table\x1frow\x1f
                               column\x1fvalue\x1fproblem\n" */
} steprun;

/* Records a problem that fails the step. */
static void problem(steprun *s, const char *text)
{
  cp_sbuf_term_printf(&s->problems, "    error: %s\n", text);   /* rule errors echo facts */
  s->n_problems++;
}

/* Returns 1 when id is an id of lookup li. */
static int is_assignee(const steprun *s, int li, const char *id)
{
  const cp_table_cfg *t = &s->r->cfg->file->lookups[li];
  const cp_rows *rows;
  unsigned col = 0;
  while (col < t->columns_count && strcmp(t->columns[col].name, t->id))
    col++;
  cp_facts_lookup(s->facts, (unsigned)li, &rows);
  for (uint32_t i = 0; col < t->columns_count && i < rows->n; i++) {
    cp_value v;
    cp_facts_value(rows, t->columns_count, i, col, &v);
    if (v.type == CP_V_TEXT && !strcmp(v.u.s, id))
      return 1;
  }
  return 0;
}

/* Checks that every assignee of the rules the step selects is an id of
 * the lookup of its kind (assignees.h). */
static void check_assignees(steprun *s, const cp_outcome *o)
{
  char text[512];
  unsigned nrules;
  char **rules = cp_fixture_rules(s->r->fx, s->step, &nrules);
  for (size_t i = 0; i < o->n; i++) {
    const cp_item *it = &o->items[i];
    if ((it->what != CP_ALERT && it->what != CP_ASSIGN) || !it->assignee ||
        !cp_fixture_rule_matches(rules, nrules, it->rule))
      continue;
    int li = cp_assignees_lookup(s->r->cfg, s->r->to->assignees,
                                 it->what == CP_ALERT ? NULL : it->kind ? it->kind : "", it->rule);
    if (li < 0 || is_assignee(s, li, it->assignee))
      continue;
    cp_assignees_say(s->r->cfg, it, o->client_id, li, text, sizeof text);
    problem(s, text);
  }
}

/* Returns the value node of column col in a row of a fixture's facts (a list
 * under the columns header, or a mapping; else the entry's defaults), or
 * NULL. */
static const yt_node *row_value(const yt_node *row, const yt_node *columns,
                                const yt_node *defaults, const char *col)
{
  const yt_node *v = NULL;
  if (row->kind == YT_SEQ && columns)
    for (size_t i = 0; !v && i < columns->n && i < row->n; i++)
      if (columns->items[i]->value && !strcmp(columns->items[i]->value, col))
        v = row->items[i];
  if (row->kind == YT_MAP)
    v = cp_ytree_get(row, col);
  return v ? v : defaults ? cp_ytree_get(defaults, col) : NULL;
}

/* Returns the entry of facts (a fixture's or a step's) that gives the rows
 * of table t, by its config name or its SQL table; NULL when none. */
static const yt_node *table_entry(const yt_node *facts, const cp_table_cfg *t)
{
  const yt_node *entry = NULL;
  if (t && facts && facts->kind == YT_MAP)
    entry = cp_ytree_get(facts, t->name);
  if (t && facts && facts->kind == YT_MAP && !entry && t->table)
    entry = cp_ytree_get(facts, t->table);
  return entry;
}

/* Returns the line of the row of entry (a table's rows in facts, as a list
 * or {columns, rows, defaults}) whose column col holds want, or 0. */
static unsigned row_line(const yt_node *entry, const char *col, const char *want)
{
  const yt_node *rows = entry, *columns = NULL, *defaults = NULL;
  if (entry->kind == YT_MAP) {
    rows = cp_ytree_get(entry, "rows");
    columns = cp_ytree_get(entry, "columns");
    defaults = cp_ytree_get(entry, "defaults");
  }
  for (size_t i = 0; col && rows && rows->kind == YT_SEQ && i < rows->n; i++) {
    const yt_node *v = row_value(rows->items[i], columns, defaults, col);
    if (v && v->value && !strcmp(v->value, want))
      return rows->items[i]->line;
  }
  return 0;
}

/* Returns the line of the fixture row that finding f is about: the row of
 * its table whose id column (or, for "(client X)", key column) holds the
 * finding's row id; the step's line when none can be told. A step's
 * `changes:` row that gives the finding's column is that line, before the
 * facts row it changed (which held another value), and a changes row is the
 * line of a row it added: both were said at the row the change left
 * alone, or at the step. */
static unsigned finding_line(const steprun *s, const cp_finding *f)
{
  const cp_config_file *c = s->r->cfg->file;
  const cp_table_cfg *t = NULL;
  for (unsigned i = 0; !t && i < c->tables_count + c->lookups_count + 1; i++) {
    const cp_table_cfg *x = i == 0 ? c->clients : i <= c->tables_count ? &c->tables[i - 1]
                                                  : &c->lookups[i - 1 - c->tables_count];
    if (!strcmp(x->name, f->table) || (x->table && !strcmp(x->table, f->table)))
      t = x;
  }
  if (!t)
    return s->step->line;
  const char *col = t->id, *want = f->row_id;
  char key[128];
  if (sscanf(f->row_id, "(client %127[^)])", key) == 1) {
    col = t->key;
    want = key;
  }
  /* the rows are the last step's (up to this one) whose facts name the
   * table, else the fixture's, as changed by the steps since */
  const cp_fx_step *steps = s->r->fx->file->steps;
  unsigned changed = 0, line;
  for (size_t i = (size_t)(s->step - steps) + 1; i-- > 0;) {
    const yt_node *ch = table_entry(steps[i].changes, t), *entry;
    if (ch && ch->kind == YT_MAP)   /* {rows, delete} */
      ch = cp_ytree_get(ch, "rows");
    for (size_t j = 0; col && ch && ch->kind == YT_SEQ && j < ch->n; j++) {
      const yt_node *row = ch->items[j], *v = row_value(row, NULL, NULL, col);
      if (row->kind != YT_MAP || !v || !v->value || strcmp(v->value, want))
        continue;
      if (cp_ytree_get(row, f->column))   /* the change gave the value */
        return row->line;
      if (!changed)   /* the latest change of the row: the line of a row it added */
        changed = row->line;
    }
    if ((entry = table_entry(steps[i].facts, t)))
      return (line = row_line(entry, col, want)) ? line : changed ? changed : s->step->line;
  }
  const yt_node *entry = table_entry(s->r->fx->facts, t);
  if (entry && (line = row_line(entry, col, want)))
    return line;
  return changed ? changed : s->step->line;
}

/* Says the data problems of an outcome: warnings at the fixture's line,
 * or, with the step's `findings:`, kept to be compared. */
static void note_findings(steprun *s, const cp_outcome *o)
{
  for (size_t i = 0; i < o->n_findings; i++) {
    const cp_finding *f = &o->findings[i];
    if (s->step->findings) {   /* expected ones are compared, not warned of */
      const char *parts[5] = {f->table, f->row_id, f->column, f->value ? f->value : "",
                              f->problem};
      for (int k = 0; k < 5; k++) {   /* control characters escaped: \x1f and \n separate */
        cp_sbuf_term_str(&s->found, parts[k], strlen(parts[k]));
        cp_sbuf_add(&s->found, k < 4 ? "\x1f" : "\n");
      }
      continue;
    }
    cp_diag_warn("%s:%u: facts: %s row %s column %s: %s%s%s %s", s->r->fx->path,
                 finding_line(s, f), f->table, f->row_id, f->column, cp_facts_finding_quote(f),
                 f->value, cp_facts_finding_quote(f), f->problem);
  }
}

/* The writer of a step: data problems are warnings, rule errors fail the
 * step; picks are resolved and the outcome merged as in a run. */
static cp_err write_outcome(void *ctx, cp_outcome *o)
{
  steprun *s = ctx;
  cp_err rc;
  note_findings(s, o);
  if ((rc = cp_settle(s->rules, s->store, o)) != CP_OK)   /* a pick from a failed pool fails */
    return rc;
  for (size_t i = 0; i < o->n_failures; i++)
    problem(s, o->failures[i].message);
  check_assignees(s, o);
  if (s->r->to->coverage)
    cp_coverage_fired(s->r->to->coverage, o);
  return cp_store_apply(s->store, o);
}

/* Checks the rule ids a list of expectations names. */
static cp_err check_results(const cp_fixture *fx, const cp_rules *rules, const cp_fx_result *e,
                            unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    if (!cp_rules_reports(rules, e[i].rule, 0))
      return cp_diag_fail(CP_ECONFIG, "%s:%u: no rule '%s' is declared", fx->path, e[i].line,
                       e[i].rule);
  return CP_OK;
}

/* The line of item j of the rules filter that step i uses: its own
 * `rules:`, else the fixture's; the step's line when it cannot be found. */
static unsigned filter_line(const cp_fixture *fx, unsigned i, unsigned j)
{
  const cp_fx_step *s = &fx->file->steps[i];
  const yt_node *steps = cp_ytree_get(fx->doc, "steps"), *rules = NULL;
  if (!s->rules_count)
    rules = cp_ytree_get(fx->doc, "rules");
  else if (steps && steps->kind == YT_SEQ && i < steps->n && steps->items[i]->kind == YT_MAP)
    rules = cp_ytree_get(steps->items[i], "rules");
  if (rules && rules->kind == YT_SEQ && j < rules->n)
    return rules->items[j]->line;
  return rules ? rules->line : s->line;
}

/* Checks that the rule ids and filters of the fixture name declared rules. */
static cp_err check_rule_names(const cp_fixture *fx, const cp_rules *rules)
{
  const cp_fx_file *f = fx->file;
  for (unsigned i = 0; i < f->steps_count; i++) {
    const cp_fx_step *s = &f->steps[i];
    unsigned n;
    char **filter = cp_fixture_rules(fx, s, &n);
    for (unsigned j = 0; j < n; j++)
      if (!cp_rules_reports(rules, filter[j], 1))
        return cp_diag_fail(CP_ECONFIG, "%s:%u: rules: '%s' names no declared rule", fx->path,
                         filter_line(fx, i, j), filter[j]);
    if (check_results(fx, rules, s->alerts, s->alerts_count) != CP_OK ||
        check_results(fx, rules, s->assignments, s->assignments_count) != CP_OK ||
        check_results(fx, rules, s->absent, s->absent_count) != CP_OK ||
        check_results(fx, rules, s->fulfilled, s->fulfilled_count) != CP_OK ||
        check_results(fx, rules, s->withdrawn, s->withdrawn_count) != CP_OK)
      return CP_ECONFIG;
  }
  return CP_OK;
}

/* Loads the rules for a step and, on the first, checks the fixture's rule
 * names against them. */
static cp_err load_step(steprun *s, int first)
{
  fxrun *r = s->r;
  const cp_rules_watch *w = r->to->watch;
  cp_err rc = cp_facts_open_holding(r->cfg, s->step->day, &s->facts);
  if (rc == CP_OK)
    rc = cp_rules_load_watched(r->cfg, s->facts, s->step->day, w, &s->rules);
  if (rc == CP_OK)   /* an author's misspelt param, named from the first error */
    cp_rules_watch_params(s->rules);
  if (rc == CP_OK && first && (rc = check_rule_names(r->fx, s->rules)) == CP_OK &&
      r->to->on_fixture)
    r->to->on_fixture(r->to->ctx, r->fx, s->rules);
  if (rc == CP_OK && r->to->coverage)
    cp_coverage_rules(r->to->coverage, s->rules);
  return rc;
}

/* Runs one step: a whole run as of its date into the fixture's state. */
static cp_err run_step(steprun *s, int first)
{
  fxrun *r = s->r;
  cp_err rc = load_step(s, first);
  if (rc == CP_OK && (rc = cp_rules_prepare(s->rules)) == CP_EEVAL)
    problem(s, "the run-wide values could not be computed (see the message above)");
  if (rc == CP_OK && cp_rules_run_failures(s->rules, NULL, NULL))   /* the run goes on */
    problem(s, "a run-wide value or a pool failed (see the message above)");
  if (rc == CP_OK)
    rc = cp_store_open(r->cfg->state, CP_STORE_FIXTURE, 0, &s->store);
  if (rc == CP_OK)
    rc = cp_store_begin(s->store, s->step->day, 0, r->cfg->path, r->cfg->facts);
  if (rc == CP_OK)   /* the lookup tables' data problems, met when the facts opened */
    note_findings(s, cp_facts_held_findings(s->facts));
  if (rc == CP_OK)
    rc = cp_jobs_evaluate(r->cfg, s->step->day, s->facts, s->rules, 1, write_outcome, s);
  if (rc == CP_OK && (rc = cp_store_commit(s->store)) == CP_OK)
    s->ran = 1;
  cp_store_close(s->store);
  cp_rules_close(s->rules);
  cp_facts_close(s->facts);
  return rc == CP_EEVAL ? CP_OK : rc;
}

/* Compares the data problems a step met (s->found) with its `findings:`:
 * each expected one must be met, and each met one expected. Appends the
 * difference to diff (as the results' difference reads); returns 1 when
 * there is one. */
static int diff_findings(const steprun *s, const char *indent, sbuf *diff)
{
  const yt_node *want = s->step->findings;
  size_t n = want && want->kind == YT_SEQ ? want->n : 0, m = 0;
  for (const char *p = s->found.s; p && *p; p = strchr(p, '\n') + 1)
    m++;
  char *used = calloc(m + 1, 1);
  int differs = 0;
  if (!used)
    return 1;
  for (size_t i = 0; i < n; i++) {
    const yt_node *e = want->items[i];
    const char *t = cp_ytree_get(e, "table")->value, *r = cp_ytree_get(e, "row")->value,
               *c = cp_ytree_get(e, "column")->value;
    size_t j = 0, hit = 0;
    for (const char *p = s->found.s; !hit && p && *p; p = strchr(p, '\n') + 1, j++) {
      size_t lt = strlen(t), lr = strlen(r), lc = strlen(c);
      if (!used[j] && !strncmp(p, t, lt) && p[lt] == '\x1f' && !strncmp(p + lt + 1, r, lr) &&
          p[lt + 1 + lr] == '\x1f' && !strncmp(p + lt + lr + 2, c, lc) &&
          p[lt + lr + 2 + lc] == '\x1f')
        used[j] = 1, hit = 1;
    }
    if (!hit) {
      if (!differs++)
        cp_sbuf_printf(diff, "%sfindings:   # -: expected, not found; +: found, not expected\n",
                       indent);
      cp_sbuf_term_printf(diff, "%s- {table: %s, row: %s, column: %s}\n", indent, t, r, c);
    }
  }
  size_t j = 0;
  for (const char *p = s->found.s; p && *p; p = strchr(p, '\n') + 1, j++) {
    if (used[j])
      continue;
    char f[5][512];
    const char *q = p;
    for (int k = 0; k < 5; k++) {
      size_t len = strcspn(q, k < 4 ? "\x1f" : "\n");
      snprintf(f[k], sizeof f[k], "%.*s", (int)len, q);
      q += len + 1;
    }
    if (!differs++)
      cp_sbuf_printf(diff, "%sfindings:   # -: expected, not found; +: found, not expected\n",
                     indent);
    cp_sbuf_term_printf(diff, "%s+ {table: %s, row: %s, column: %s}   # '%s' %s\n", indent, f[0],
                        f[1], f[2], f[3], f[4]);
  }
  free(used);
  return differs > 0;
}

/* Appends the header of a failing step to the fixture's report. */
static void step_header(fxrun *r, unsigned i)
{
  const cp_fx_step *s = &r->fx->file->steps[i];
  unsigned n;
  char **filter = cp_fixture_rules(r->fx, s, &n);
  cp_sbuf_printf(&r->report, "  %s:%u: step %u as of %s (%s", r->fx->path, s->line, i + 1,
              s->as_of, s->mode == CP_FX_EXACT ? "exact" : "at least");
  for (unsigned j = 0; j < n; j++)
    cp_sbuf_printf(&r->report, "%s%s", j ? ", " : "; rules ", filter[j]);
  cp_sbuf_add(&r->report, ")\n");
}

/* Runs every step of the fixture and compares; fills the report. */
static cp_err run_steps(fxrun *r)
{
  cp_found_set found = {0};
  cp_err rc = CP_OK;
  for (unsigned i = 0; rc == CP_OK && i < r->fx->file->steps_count; i++) {
    steprun s = {.r = r, .step = &r->fx->file->steps[i]};
    sbuf diff = {0};
    if ((rc = cp_fixdb_step(r->cfg, r->fx, s.step, r->cfg->facts)) == CP_OK &&
        (rc = run_step(&s, i == 0)) == CP_OK && s.ran)
      rc = cp_expect_found_read(r->cfg->state, &found);
    int differs = rc == CP_OK && s.ran && cp_expect_diff(r->fx, s.step, &found, "    ", &diff);
    if (rc == CP_OK && s.step->findings)
      differs |= diff_findings(&s, "    ", &diff);
    if (rc == CP_OK && (differs || s.n_problems)) {
      r->failed = 1;
      step_header(r, i);
      cp_sbuf_add(&r->report, diff.s ? diff.s : "");
      cp_sbuf_add(&r->report, s.problems.s ? s.problems.s : "");
    }
    cp_sbuf_free(&diff);
    cp_sbuf_free(&s.problems);
    cp_sbuf_free(&s.found);
  }
  cp_expect_found_free(&found);
  return rc;
}

/* The fixture's temporary folder while it exists, for a signal that ends
 * the command (SIGINT, SIGTERM, SIGHUP) to remove first: "nothing is left
 * behind" holds for a CI timeout or a Ctrl-C too. */
static char signal_dir[4096];
static volatile sig_atomic_t signal_dir_set;

/* What a fixture's folder holds: the databases and SQLite's files. */
static const char *const fixture_files[] = {
  "facts.db", "facts.db-journal", "facts.db-wal", "facts.db-shm",
  "state.db", "state.db-journal", "state.db-wal", "state.db-shm"};

/* Signal handler: removes the folder (async-signal-safe calls only), then
 * ends the process by the same signal. */
static void on_signal(int sig)
{
  if (signal_dir_set) {
    char path[sizeof signal_dir + 32];
    size_t n = strlen(signal_dir);
    memcpy(path, signal_dir, n);
    path[n] = '/';
    for (size_t i = 0; i < sizeof fixture_files / sizeof fixture_files[0]; i++) {
      size_t m = strlen(fixture_files[i]);
      memcpy(path + n + 1, fixture_files[i], m + 1);
      unlink(path);
    }
    rmdir(signal_dir);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Removes the fixture's temporary folder and what is in it. The signal
 * handler keeps the folder until it is gone: a signal between the first
 * unlink and the rmdir left the rest behind (the -wal and -shm of a
 * read-only reader's state). */
static void remove_dir(fxrun *r)
{
  DIR *d = r->dir[0] ? opendir(r->dir) : NULL;
  struct dirent *e;
  char path[1024];
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", r->dir, e->d_name);
      unlink(path);
    }
  if (d)
    closedir(d);
  if (r->dir[0])
    rmdir(r->dir);
  signal_dir_set = 0;
  r->dir[0] = '\0';
}

/* Makes the temporary folder and databases of a fixture and points the
 * config at them. */
static cp_err prepare(fxrun *r)
{
  const char *tmp = getenv("TMPDIR");
  char path[600];
  snprintf(r->dir, sizeof r->dir, "%s/crmpolicy-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  /* held until the handler knows the folder: one that came between mkdtemp
   * and signal_dir_set left the folder behind */
  sigset_t ends, was;
  sigemptyset(&ends);
  for (int sig = 0; sig < 3; sig++)
    sigaddset(&ends, (int[]){SIGINT, SIGTERM, SIGHUP}[sig]);
  sigprocmask(SIG_BLOCK, &ends, &was);
  if (!mkdtemp(r->dir)) {
    int err = errno;
    sigprocmask(SIG_SETMASK, &was, NULL);
    cp_err rc = cp_diag_fail(CP_EIO, "test: cannot make a folder %s: %s", r->dir, strerror(err));
    r->dir[0] = '\0';
    return rc;
  }
  snprintf(signal_dir, sizeof signal_dir, "%s", r->dir);
  signal_dir_set = 1;
  sigprocmask(SIG_SETMASK, &was, NULL);
  snprintf(path, sizeof path, "%s/facts.db", r->dir);
  if (cp_config_set_path(&r->cfg->facts, path) != CP_OK)
    return cp_diag_fail(CP_ENOMEM, "test: out of memory");
  snprintf(path, sizeof path, "%s/state.db", r->dir);
  if (cp_config_set_path(&r->cfg->state, path) != CP_OK)
    return cp_diag_fail(CP_ENOMEM, "test: out of memory");
  return cp_fixdb_create(r->cfg, r->fx, r->cfg->facts);
}

/* Seconds on the monotonic clock. */
static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keeps a message printed while a fixture runs, for its JUnit testcase. */
static void keep_message(void *ctx, const char *line)
{
  sbuf *out = ctx;
  cp_sbuf_add(out, line);
  cp_sbuf_add(out, "\n");
}

/* The character type under which --run is compiled and matched, UTF-8
 * whatever the environment's locale, so that '.' is one character of a
 * Chinese name, not one of its bytes; (locale_t)0 when the C library has
 * none (bytes, then). */
static locale_t utf8_ctype(void)
{
  static locale_t loc;
  static int tried;
  if (!tried) {
    tried = 1;
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  }
  return loc;
}

/* Matches --run against text under utf8_ctype(). */
static int matches(const regex_t *re, const char *text)
{
  locale_t loc = utf8_ctype(), was = loc ? uselocale(loc) : (locale_t)0;
  int hit = regexec(re, text, 0, NULL, 0) == 0;
  if (loc)
    uselocale(was);
  return hit;
}

/* Returns 1 when --run selects the fixture at path, named name (NULL: it did
 * not load, so it is run, to be reported invalid). */
static int selected(const cp_test_opts *to, const char *path, const char *name)
{
  return !to->select || !name || matches(to->select, path) || matches(to->select, name);
}

/* Runs one fixture file and prints its result; counts it. */
static cp_err run_fixture(cp_config *cfg, const char *path, const cp_test_opts *to,
                          cp_test_counts *counts)
{
  fxrun r = {.cfg = cfg, .to = to};
  const yt_node *params = cfg->params;
  sbuf out = {0};   /* what it printed on standard error, for --junit */
  double t0 = now_seconds();
  if (to->junit)
    cp_diag_set_tee(keep_message, &out);
  cp_err rc = cp_fixture_load(path, cfg, &r.fx);
  if (rc == CP_OK && !selected(to, path, r.fx->file->name)) {
    cp_diag_set_tee(NULL, NULL);
    counts->unselected++;
    if (to->junit)
      cp_junit_case(to->junit, path, r.fx->file->name, 0, CP_JUNIT_SKIPPED, NULL, NULL);
    cp_fixture_free(r.fx);
    cp_sbuf_free(&out);
    return CP_OK;
  }
  if (rc == CP_OK && (rc = prepare(&r)) == CP_OK) {
    cfg->params = r.fx->params ? r.fx->params : params;
    rc = run_steps(&r);
    cfg->params = params;
  }
  remove_dir(&r);
  const yt_node *own = r.fx ? cp_ytree_get(r.fx->doc, "params") : NULL;
  if (rc == CP_ERULES && own)   /* the rules fail with the fixture's params: its own fault */
    rc = cp_diag_fail(CP_ECONFIG, "%s:%u: the rule files do not load with this fixture's "
                      "params (see the message above)", path, own->line);
  cp_diag_set_tee(NULL, NULL);
  int invalid = rc == CP_ECONFIG || rc == CP_EFACTS;
  if (rc == CP_OK || invalid) {
    counts->invalid += (unsigned)invalid;
    counts->failed += (unsigned)(invalid || r.failed);
    counts->passed += (unsigned)!(invalid || r.failed);
    rc = CP_OK;
  }
  if (rc == CP_OK && to->junit)
    cp_junit_case(to->junit, path, r.fx ? r.fx->file->name : NULL, now_seconds() - t0,
                  invalid ? CP_JUNIT_INVALID : r.failed ? CP_JUNIT_FAILED : CP_JUNIT_PASSED,
                  r.report.s, out.s);
  cp_sbuf_free(&out);
  sbuf line = {0};   /* the fixture's name may hold control characters */
  if (invalid && to->quiet < 2)
    cp_sbuf_term_printf(&line, "FAIL %s: invalid fixture (see the message above)\n", path);
  else if (rc == CP_OK && r.failed && to->quiet < 2)
    cp_sbuf_term_printf(&line, "FAIL %s: %s\n", path, r.fx->file->name);
  else if (rc == CP_OK && to->quiet < 1)
    cp_sbuf_term_printf(&line, "ok   %s: %s\n", path, r.fx->file->name);
  fputs(line.s ? line.s : "", stdout);
  if (line.s && r.failed)
    fputs(r.report.s ? r.report.s : "", stdout);
  cp_sbuf_free(&line);
  fflush(stdout);
  cp_sbuf_free(&r.report);
  cp_fixture_free(r.fx);
  return rc;
}

/* A growing list of fixture paths. */
typedef struct pathlist {
  char **v;                 /* malloc'd paths */
  size_t n, cap;            /* used and allocated */
} pathlist;

/* Adds a copy of path; -1 when out of memory. */
static int add_path(pathlist *l, const char *path)
{
  char *copy = strdup(path);
  if (copy)
    cp_arena_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v);
  if (!copy || l->n == l->cap) {
    free(copy);
    return -1;
  }
  l->v[l->n++] = copy;
  return 0;
}

/* scandir order: byte order of names. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* A folder being searched, and the folders it is in: a folder met again
 * below itself (a symbolic link to . or to a parent) is not searched again,
 * so that a loop neither repeats fixtures nor runs without end. */
typedef struct walk {
  dev_t dev;
  ino_t ino;
  const struct walk *up;
} walk;

/* Adds the fixture files under dir (*.yaml, *.yml), in name order,
 * recursively; up: the folders dir is in. */
static cp_err add_dir(pathlist *l, const char *dir, const walk *up)
{
  struct stat here;
  if (stat(dir, &here) < 0)
    return cp_diag_fail(CP_EUSAGE, "test: %s: %s", dir, strerror(errno));
  for (const walk *w = up; w; w = w->up)
    if (w->dev == here.st_dev && w->ino == here.st_ino) {
      cp_diag_warn("test: %s leads back to a folder it is in; it is not searched again", dir);
      return CP_OK;
    }
  walk me = {here.st_dev, here.st_ino, up};
  struct dirent **names;
  int n = scandir(dir, &names, NULL, by_name);
  cp_err rc = n < 0 ? cp_diag_fail(CP_EUSAGE, "test: %s: %s", dir, strerror(errno)) : CP_OK;
  /* the path is on the heap: a frame per level of a tree 2,000 folders deep
   * (PATH_MAX allows that many) must stay small, or the stack overflows */
  char *path = n > 0 ? malloc(PATH_MAX) : NULL;
  if (n > 0 && !path)
    rc = cp_diag_fail(CP_ENOMEM, "test: out of memory");
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    size_t len = strlen(name);
    struct stat st;
    if (rc == CP_OK && name[0] != '.' &&
        (size_t)snprintf(path, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
      rc = cp_diag_fail(CP_EUSAGE, "test: %s/%s: the path is too long", dir, name);
    int yaml = (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
               (len > 4 && !strcmp(name + len - 4, ".yml"));
    /* a fixture that cannot be reached (a symbolic link to nothing) is kept:
     * it fails when loaded, rather than be left out without a word */
    int there = rc == CP_OK && name[0] != '.' && stat(path, &st) == 0;
    if (there && S_ISDIR(st.st_mode))
      rc = add_dir(l, path, &me);
    else if (rc == CP_OK && name[0] != '.' && yaml)
      rc = add_path(l, path) < 0 ? cp_diag_fail(CP_ENOMEM, "test: out of memory") : CP_OK;
    free(names[i]);
  }
  free(path);
  free(n >= 0 ? names : NULL);
  return rc;
}

/* Expands files and folders into the list of fixture files. */
static cp_err collect(pathlist *l, char *const *paths, int n)
{
  cp_err rc = CP_OK;
  for (int i = 0; rc == CP_OK && i < n; i++) {
    struct stat st;
    if (stat(paths[i], &st) < 0)
      rc = cp_diag_fail(CP_EUSAGE, "test: %s: %s", paths[i], strerror(errno));
    else if (S_ISDIR(st.st_mode))
      rc = add_dir(l, paths[i], NULL);
    else if (add_path(l, paths[i]) < 0)
      rc = cp_diag_fail(CP_ENOMEM, "test: out of memory");
  }
  return rc;
}

cp_err cp_testrun_fixtures(cp_config *cfg, char *const *paths, int n, const cp_test_opts *to,
                        cp_test_counts *counts)
{
  pathlist l = {0};
  char *facts = strdup(cfg->facts), *state = strdup(cfg->state);
  cp_err rc = facts && state ? collect(&l, paths, n) : CP_ENOMEM;
  *counts = (cp_test_counts){0};
  for (size_t i = 0; rc == CP_OK && i < l.n; i++)
    rc = run_fixture(cfg, l.v[i], to, counts);
  if (facts && state) {
    cp_config_set_path(&cfg->facts, facts);
    cp_config_set_path(&cfg->state, state);
  }
  for (size_t i = 0; i < l.n; i++)
    free(l.v[i]);
  free(l.v);
  free(facts);
  free(state);
  return rc;
}

cp_exit cp_cmd_test(const cp_opts *o)
{
  cp_config *cfg = NULL;
  cp_coverage *cov = NULL;
  cp_test_counts counts = {0};
  int below = 0;
  if (o->nargs == 0)
    return cp_diag_fail(CP_EUSAGE, "test: name the fixture files or folders to run (for example "
                     "'crmpolicy test tests/fixtures')"), CP_EXIT_INVALID;
  regex_t select;
  int has_select = 0;
  cp_junit junit = {0};
  cp_err rc = CP_OK;
  if (o->run) {
    locale_t loc = utf8_ctype(), was = loc ? uselocale(loc) : (locale_t)0;
    int err = regcomp(&select, o->run, REG_EXTENDED | REG_NOSUB);
    if (loc)
      uselocale(was);
    if (err) {
      char why[256];
      regerror(err, &select, why, sizeof why);
      return cp_diag_fail(CP_EUSAGE, "--run: '%s' is not an extended regular expression: %s",
                          o->run, why), CP_EXIT_INVALID;
    }
    has_select = 1;
  }
  rc = cp_cli_config(o, &cfg);
  if (rc == CP_OK && o->junit)
    rc = cp_cli_own_file(cfg, o->junit, "--junit", "the JUnit report");
  if (rc == CP_OK)
    rc = cp_assignees_option(cfg, o->assignees);
  if (rc == CP_OK && o->coverage && !(cov = cp_coverage_new()))
    rc = cp_diag_fail(CP_ENOMEM, "test: out of memory");
  for (int i = 0; rc == CP_OK && cov && i < o->coverage_skips; i++)
    cp_coverage_skip(cov, o->coverage_skip[i]);
  if (rc == CP_OK) {
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    for (int sig = 0; sig < 3; sig++)
      sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[sig], &sa, NULL);
    cp_rules_watch w = {.sandbox = cov ? cp_coverage_attach : NULL, .ctx = cov};
    cp_test_opts to = {.watch = &w, .coverage = cov, .assignees = o->assignees,
                       .quiet = o->quiet, .select = has_select ? &select : NULL,
                       .junit = o->junit ? &junit : NULL};
    rc = cp_testrun_fixtures(cfg, o->args, o->nargs, &to, &counts);
  }
  if (rc == CP_OK && cov) {
    int none = counts.passed + counts.failed == 0;   /* no rule file loaded: 0 of 0 lines */
    double share = none ? 0 : cp_coverage_report(cov, stdout);   /* not "100.0%" of nothing */
    int uncounted = !none && share < 0;   /* every file skipped: 0 of 0 lines too */
    below = o->min_coverage >= 0 && (share < o->min_coverage || none || uncounted);
    if (none)
      printf("coverage: no fixture ran, so no line did%s", below ? "" : "\n");
    else if (uncounted)
      printf("coverage: no line counts in the total%s%s",
             o->coverage_skips ? " (--coverage-skip leaves out every rule file)" : "",
             below ? "" : "\n");
    if ((none || uncounted) && below)
      printf("; --min-coverage %d%% is not met\n", o->min_coverage);
    else if (below)
      printf("coverage %.1f%% is below --min-coverage %d%%%s\n", share, o->min_coverage,
             counts.unselected ? " (of the fixtures --run selected: the lines and rules of "
                                 "those it left out count as not run)" : "");
  }
  int nothing = rc == CP_OK && counts.passed + counts.failed + counts.invalid == 0;
  if (rc != CP_ECONFIG && rc != CP_EUSAGE) {
    printf("%u passed, %u failed", counts.passed, counts.failed);
    if (has_select)
      printf(" (%u left out by --run)", counts.unselected);
    putchar('\n');
  }
  if (nothing && counts.unselected) {   /* a mistyped --run would pass CI, testing nothing */
    fflush(stdout);
    cp_diag_fail(CP_EEVAL, "test: no fixture ran: --run '%s' matches no fixture's name or "
                 "path (of %u)", o->run, counts.unselected);
  } else if (nothing) {   /* an empty or mistyped folder would pass CI, testing nothing */
    fflush(stdout);
    cp_diag_fail(CP_EEVAL, "test: no fixture ran: no .yaml file in %s%s", o->args[0],
                 o->nargs > 1 ? " nor in the other paths given" : "");
  }
  if (rc == CP_OK && o->junit) {
    fflush(stdout);
    rc = cp_junit_write(&junit, o->junit, "crmpolicy test");
  }
  cp_junit_free(&junit);
  if (has_select)
    regfree(&select);
  cp_coverage_free(cov);
  cp_config_free(cfg);
  if (rc != CP_OK)
    return cp_cli_exit_for(rc);
  return counts.invalid ? CP_EXIT_INVALID
         : counts.failed || below || nothing ? CP_EXIT_INCOMPLETE
                                             : CP_EXIT_OK;
}
