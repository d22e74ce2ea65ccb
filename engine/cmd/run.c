/* run.c: `crmpolicy run`: config -> facts -> rules ->
 * outcomes -> store, with the summary and the exit code. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assignees.h"
#include "cli.h"
#include "dates.h"
#include "facts.h"
#include "guard.h"
#include "jobs.h"
#include "settle.h"
#include "stateread.h"
#include "cplocale.h"
#include "progress.h"
#include "push.h"
#include "query.h"
#include "record.h"
#include "rules.h"
#include "store.h"
#include "tally.h"

#define MAX_PRINTED_ERRORS 20
#define PROGRESS_DELAY 1.0   /* seconds a run lasts before its progress shows */


/* Event names in Chinese, in cp_event order (store.c names them in English). */
static const char *const events_zh[CP_EV_COUNT] = {
  "预警新增", "预警升级", "预警更新", "预警解除", "分派提议", "分派更新", "分派完成", "分派撤回",
};

/* The name of event type e as the run summary shows it in locale l. */
static const char *event_label(cp_locale l, int e)
{
  if (l == CP_LOCALE_ZH_CN && e >= 0 && e < CP_EV_COUNT)
    return events_zh[e];
  return cp_store_event_name((cp_event)e);
}

/* Everything a run holds open. */
typedef struct run {
  cp_config *cfg;          /* the config */
  cp_facts *facts;         /* facts reader */
  cp_rules *rules;         /* loaded rules */
  cp_store *store;         /* state database */
  uint64_t errors_printed; /* rule errors printed so far */
  uint64_t findings_printed;  /* data problems printed so far */
  int strict;              /* a data problem fails the run */
  cp_progress progress;    /* the progress line on a terminal */
  double started;          /* monotonic seconds when the command began */
  cp_assignee_check assignees;  /* assignees against their kind's lookup */
  cp_tally by_column;      /* data problems by column */
  cp_tally lookup_problems;   /* the lookup tables' data problems by column, for the guard */
  struct rule_count {      /* rule errors by rule id, in first-met order */
    char *rule;
    uint64_t n;
  } *by_rule;
  size_t n_rules, cap_rules;
  uint64_t rule_errors, by_rule_lost;   /* all, and those of no room to count */
  cp_err run_failure_rc;                /* recording a failed run value (record_run_failure) */
} run;

/* Counts a rule error of rule under its id. */
static void count_rule_error(run *r, const char *rule)
{
  r->rule_errors++;
  for (size_t i = 0; i < r->n_rules; i++)
    if (!strcmp(r->by_rule[i].rule, rule)) {
      r->by_rule[i].n++;
      return;
    }
  char *copy = strdup(rule);
  if (!copy || cp_arena_grow((void **)&r->by_rule, &r->cap_rules, r->n_rules,
                             sizeof *r->by_rule) < 0) {
    free(copy);
    r->by_rule_lost++;
    return;
  }
  r->by_rule[r->n_rules++] = (struct rule_count){copy, 1};
}

/* Orders rule counts by count, the largest first, then as met. */
static int by_count(const void *a, const void *b)
{
  const struct rule_count *x = a, *y = b;
  return x->n != y->n ? (x->n < y->n ? 1 : -1) : (x < y ? -1 : x > y);
}

/* Says, once the clients are evaluated, which rules the rule errors were of
 * when there were more than the run printed (policy-z: "3,746 rule errors"
 * and 20 printed, of which rule?): the ten largest counts. */
static void say_errors_by_rule(run *r)
{
  if (r->errors_printed <= MAX_PRINTED_ERRORS || !r->n_rules)
    return;
  sbuf b = {0};
  char n[32], k[32];
  qsort(r->by_rule, r->n_rules, sizeof *r->by_rule, by_count);
  for (size_t i = 0; i < r->n_rules && i < 10; i++) {
    cp_progress_format_count(k, r->by_rule[i].n);
    cp_sbuf_printf(&b, "%s%s %s", i ? ", " : "", r->by_rule[i].rule, k);
  }
  if (r->n_rules > 10 || r->by_rule_lost)
    cp_sbuf_add(&b, ", and of other rules");
  cp_progress_format_count(n, r->rule_errors);
  if (!b.oom)
    cp_diag_fail(CP_EEVAL, "%s rule error%s, by rule: %s", n, r->rule_errors == 1 ? "" : "s",
                 b.s);
  cp_sbuf_free(&b);
}

/* Says, once the clients are read, in which columns the data problems were
 * when there were more than the run printed: 167,965 data problems said
 * as a number only hid that every amount was text. */
static void say_problems_by_column(run *r)
{
  if (r->findings_printed > MAX_PRINTED_ERRORS)
    cp_tally_say(&r->by_column, "in the clients and per-client tables");
}

/* Prints the rule errors and data problems of an outcome, up to a few of
 * each in a run; all of them are stored. */
static void print_problems(run *r, const cp_outcome *o)
{
  if ((o->n_findings && r->findings_printed <= MAX_PRINTED_ERRORS) ||
      (o->n_failures && r->errors_printed <= MAX_PRINTED_ERRORS))
    cp_progress_clear(&r->progress);
  for (size_t i = 0; i < o->n_findings; i++, r->findings_printed++) {
    const cp_finding *f = &o->findings[i];
    cp_tally_add(&r->by_column, f);
    if (r->findings_printed < MAX_PRINTED_ERRORS)
      cp_diag_warn("facts: %s row %s column %s: %s%s%s %s", f->table, f->row_id, f->column,
                   cp_facts_finding_quote(f), f->value, cp_facts_finding_quote(f), f->problem);
    else if (r->findings_printed == MAX_PRINTED_ERRORS)
      cp_diag_warn("facts: more data problems follow; the run, once committed, keeps them all "
                   "in the state database's findings table");
  }
  for (size_t i = 0; i < o->n_failures; i++, r->errors_printed++) {
    count_rule_error(r, o->failures[i].rule);
    if (o->failures[i].repeat)   /* its first error was printed; the rest are stored */
      r->errors_printed--;
    else if (o->failures[i].notice && r->errors_printed >= MAX_PRINTED_ERRORS) {
      cp_progress_clear(&r->progress);   /* a rule or the scope skipped from now on */
      cp_diag_fail(CP_EEVAL, "%s", o->failures[i].message);
      r->errors_printed--;
    } else if (r->errors_printed < MAX_PRINTED_ERRORS)
      cp_diag_fail(CP_EEVAL, "%s", o->failures[i].message);
    else if (r->errors_printed == MAX_PRINTED_ERRORS)
      cp_diag_fail(CP_EEVAL, "more rule errors follow; the run, once committed, keeps them "
                   "all in the state database's rule_errors table");
  }
}

static cp_err write_one(run *r, cp_outcome *o);

/* Keeps a run value that failed (printed as it failed) as a rule error of
 * the run's own, so that the run is incomplete and says why. */
static void record_run_failure(void *ctx, const char *id, const char *msg)
{
  run *r = ctx;
  count_rule_error(r, id);
  if (r->run_failure_rc == CP_OK)
    r->run_failure_rc = cp_store_run_error(r->store, id, msg);
}

/* The writer: write_one(), timed with --profile. */
static cp_err write_outcome(void *ctx, cp_outcome *o)
{
  run *r = ctx;
  cp_profile *prof = cp_rules_profile(r->rules);
  if (!prof)
    return write_one(r, o);
  uint64_t outer, t0 = cp_rules_prof_begin(prof, &outer);
  cp_err rc = write_one(r, o);
  cp_rules_prof_end(prof, &prof->part[CP_PROF_WRITE], t0, outer);
  return rc;
}

/* Takes each outcome in client order, resolves its picks against the state
 * before the run, and merges it into the store. */
static cp_err write_one(run *r, cp_outcome *o)
{
  cp_err rc = CP_OK;
  if (r->strict && o->n_findings) {
    const cp_finding *f = &o->findings[0];
    return cp_diag_fail(CP_EFACTS, "facts: %s row %s column %s: %s%s%s %s (--strict)", f->table,
                        f->row_id, f->column, cp_facts_finding_quote(f), f->value,
                        cp_facts_finding_quote(f), f->problem);
  }
  if ((rc = cp_settle(r->rules, r->store, o)) != CP_OK)   /* a pick from a failed pool fails */
    return rc;
  print_problems(r, o);
  if ((rc = cp_store_apply(r->store, o)) != CP_OK)
    return rc;
  cp_assignees_outcome(&r->assignees, o);
  if (o->client_id)
    cp_progress_tick(&r->progress);
  return CP_OK;
}

/* Starts the progress line: on a terminal only, over the clients table's rows. */
static void start_progress(run *r, const cp_opts *o)
{
  uint64_t total = 0;
  cp_progress_start(&r->progress, stderr, o->quiet, 0, PROGRESS_DELAY);
  if (r->progress.out && cp_facts_count_clients(r->facts, &total) == CP_OK)
    r->progress.total = total;
}

/* Prints what the run did. */
static void summary(const run *r, const cp_opts *o)
{
  const cp_store_stats *s = cp_store_stats_of(r->store);
  char day[16];
  cp_dates_format_date(o->as_of, day);
  if (o->quiet)
    return;
  double took = cp_progress_monotonic() - r->started;
  char clients[32], rate[32], when[32], errors[32], findings[32];
  cp_progress_format_count(clients, s->clients);
  cp_progress_format_count(errors, s->rule_errors);
  cp_progress_format_count(findings, s->findings);
  cp_progress_format_count(rate, took > 0 ? (uint64_t)((double)s->clients / took + 0.5) : 0);
  cp_progress_format_duration(when, took);
  cp_locale l = cp_locale_of(r->cfg);
  printf(cp_locale_msg(l, CP_MSG_RUN_SUMMARY), (long long)cp_store_run_id(r->store), day,
         clients, s->clients == 1 ? "" : "s", when, rate, errors, s->rule_errors == 1 ? "" : "s",
         findings, s->findings == 1 ? "" : "s");   /* "1 client", the plural's s else */
  fputs(cp_locale_msg(l, CP_MSG_RUN_EVENTS), stdout);
  int any = 0;
  for (int i = 0; i < CP_EV_COUNT; i++)
    if (s->events[i]) {
      char n[32];
      cp_progress_format_count(n, s->events[i]);
      printf(" %s %s", event_label(l, i), n);
      any = 1;
    }
  if (!any)
    fputs(cp_locale_msg(l, CP_MSG_RUN_NO_EVENTS), stdout);
  printf(cp_locale_msg(l, CP_MSG_RUN_OPEN_NOW), r->cfg->state);
  fflush(stdout);
  cp_query_summary(r->cfg->state, r->cfg, stdout);
}

/* Prints one line of the profile: part, name, calls, clients a rule did not
 * run for, seconds, microseconds a call and share of all the parts' time. */
static void profile_line(FILE *f, const char *part, const char *name, const cp_prof *p,
                         int rule, uint64_t total)
{
  char not_run[24] = "-";
  if (rule)
    snprintf(not_run, sizeof not_run, "%llu", (unsigned long long)p->not_run);
  fprintf(f, "%-8s %-28s %9llu %8s %10.3f %11.2f %6.1f%%\n", part, name,
          (unsigned long long)p->calls, not_run, (double)p->ns / 1e9,
          p->calls ? (double)p->ns / 1e3 / (double)p->calls : 0.0,
          total ? 100.0 * (double)p->ns / (double)total : 0.0);
}

/* Writes where the run's time went (--profile), in the order it was spent. */
static void write_profile(run *r, const cp_opts *o)
{
  cp_profile *p = cp_rules_profile(r->rules);
  size_t nr = cp_rules_count(r->rules), nd = cp_rules_derived_count(r->rules);
  uint64_t total = 0;
  for (int i = 0; i < CP_PROF_PARTS; i++)
    total += p->part[i].ns;
  for (size_t i = 0; i < nr; i++)
    total += p->rule[i].ns;
  for (size_t i = 0; i < nd; i++)
    total += p->derived[i].ns;
  char day[16];
  cp_dates_format_date(o->as_of, day);
  FILE *f = strcmp(o->profile, "-") ? fopen(o->profile, "w") : stdout;
  if (!f) {
    cp_diag_fail(CP_EIO, "--profile: %s: %s; the run was committed", o->profile, strerror(errno));
    return;
  }
  fprintf(f, "# crmpolicy profile: run %lld as of %s, %llu clients, --jobs %d, %.3f s in all\n",
          (long long)cp_store_run_id(r->store), day,
          (unsigned long long)cp_store_stats_of(r->store)->clients, o->jobs,
          cp_progress_monotonic() - r->started);
  fprintf(f, "# part    name                             calls  not_run    seconds"
             " us_per_call  share\n");
  profile_line(f, "values", "run-wide", &p->part[CP_PROF_VALUES], 0, total);
  profile_line(f, "read", "facts", &p->part[CP_PROF_READ], 0, total);
  if (cp_rules_has_scope(r->rules))
    profile_line(f, "scope", "scope", &p->part[CP_PROF_SCOPE], 0, total);
  for (size_t i = 0; i < nr; i++)
    profile_line(f, "rule", cp_rules_id(r->rules, i), &p->rule[i], 1, total);
  for (size_t i = 0; i < nd; i++)
    profile_line(f, "derived", cp_rules_derived_id(r->rules, i), &p->derived[i], 0, total);
  profile_line(f, "write", "state", &p->part[CP_PROF_WRITE], 0, total);
  profile_line(f, "commit", "state", &p->part[CP_PROF_COMMIT], 0, total);
  fprintf(f, "%-8s %-28s %9s %8s %10.3f %11s %6.1f%%\n", "total", "-", "-", "-",
          (double)total / 1e9, "-", 100.0);
  if (f == stdout ? fflush(f) != 0 : fclose(f) != 0)
    cp_diag_fail(CP_EIO, "--profile: %s: %s; the run was committed", o->profile, strerror(errno));
}

/* Refuses a --profile path that names a file of the run (the config, a rule
 * file, the facts, the state or its journals: writing the profile would
 * destroy it) or that cannot be written, before anything is. */
static cp_err check_profile_path(const cp_config *cfg, const char *path)
{
  if (!strcmp(path, "-"))
    return CP_OK;
  if (!*path)
    return cp_diag_fail(CP_EUSAGE, "--profile: the path is empty (- is standard output)");
  if (cp_cli_own_file(cfg, path, "--profile", "the profile") != CP_OK)
    return CP_EUSAGE;
  struct stat st;
  char *dir = NULL;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      errno = EISDIR;
    else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))   /* a FIFO would block the run */
      return cp_diag_fail(CP_EUSAGE, "--profile: %s is not a regular file (a FIFO or a "
                          "socket); - is standard output", path);
    else if (access(path, W_OK) == 0)
      return CP_OK;
  } else if (errno == ENOENT && (dir = cp_config_path_folder(path)) && access(dir, W_OK) == 0) {
    free(dir);
    return CP_OK;
  }
  int err = errno;
  free(dir);
  return cp_diag_fail(CP_EUSAGE, "--profile: %s: %s", path, strerror(err));
}

/* Refuses a state path that is the facts file itself: the same device and
 * inode, whichever symlinks or hard links lead there (the run would write
 * its state into the facts, and switch them to WAL). A state that does not
 * exist yet cannot be the facts. Refuses as well a state that is one of
 * the facts' own side files (facts.db-wal, -shm, -journal: the next open of
 * the facts would take the state for its WAL or hot journal and delete it),
 * and facts that are one of the state's (the run's WAL would replace them). */
static cp_err check_state_path(const cp_config *cfg)
{
  const char *const *sides = cp_cli_sides;
  struct stat st;
  char side[PATH_MAX];
  if (stat(cfg->state, &st) == 0 && !S_ISREG(st.st_mode))   /* a FIFO would block the run */
    return cp_diag_fail(CP_ECONFIG, "state: %s: not a regular file", cfg->state);
  if (cp_stateread_sides(cfg->state, CP_ECONFIG) != CP_OK)
    return CP_ECONFIG;
  if (cp_cli_same_file(cfg->state, cfg->facts))
    return cp_diag_fail(CP_ECONFIG, "state: %s is the facts database %s (the same file); the "
                     "state needs a file of its own", cfg->state, cfg->facts);
  /* SQLite names the side files after the file a symlink leads to */
  char *facts = realpath(cfg->facts, NULL), *state = realpath(cfg->state, NULL);
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && sides[i]; i++) {
    snprintf(side, sizeof side, "%s%s", facts ? facts : cfg->facts, sides[i]);
    if (cp_cli_same_file(cfg->state, side)) {
      rc = cp_diag_fail(CP_ECONFIG, "state: %s is the facts database's %s file (%s%s); SQLite "
                        "would delete it the next time the facts are opened; the state needs "
                        "a file of its own", cfg->state, sides[i] + 1, cfg->facts, sides[i]);
      break;
    }
    snprintf(side, sizeof side, "%s%s", state ? state : cfg->state, sides[i]);
    if (cp_cli_same_file(cfg->facts, side))
      rc = cp_diag_fail(CP_ECONFIG, "state: %s would use the facts database %s as its %s file "
                        "(%s%s); the state needs a file of its own", cfg->state, cfg->facts,
                        sides[i] + 1, cfg->state, sides[i]);
  }
  free(facts);
  free(state);
  return rc;
}

/* Opens everything up to the loaded rules; nothing is written yet. */
static cp_err open_run(run *r, const cp_opts *o)
{
  cp_err rc = cp_cli_config(o, &r->cfg);
  if (rc == CP_OK)
    rc = cp_config_rule_files(r->cfg);
  if (rc == CP_OK)
    rc = cp_facts_open_readers(r->cfg, o->as_of, o->jobs, &r->facts);
  if (rc == CP_OK)
    rc = check_state_path(r->cfg);
  if (rc == CP_OK)
    rc = cp_rules_load(r->cfg, r->facts, o->as_of, &r->rules);
  return rc;
}

/* Frees what a run opened. */
static void close_run(run *r)
{
  cp_tally_free(&r->by_column);
  cp_tally_free(&r->lookup_problems);
  for (size_t i = 0; i < r->n_rules; i++)
    free(r->by_rule[i].rule);
  free(r->by_rule);
  cp_store_close(r->store);
  cp_rules_close(r->rules);
  cp_facts_close(r->facts);
  cp_config_free(r->cfg);
}

/* Opens the state and begins the run, then the guards that need the state
 * before the run (1: refused) and after the evaluation. */
static cp_err evaluate(run *r, const cp_opts *o, int *refused)
{
  cp_err rc;
  if ((rc = cp_store_open(r->cfg->state, CP_STORE_RUN, o->wait_seconds * 1000,
                          &r->store)) != CP_OK ||
      (rc = cp_store_begin(r->store, o->as_of, o->wait_seconds * 1000, r->cfg->path,
                           r->cfg->facts)) != CP_OK)
    return rc;
  cp_facts_restart_deadline(r->facts);   /* the wait for the lock was no reading */
  if ((*refused = cp_guard_as_of(r->store, o)))
    return rc;
  /* a table come empty refuses the run, which still evaluates so that the
   * reasons beside it are said too (the clients' drop, a table cut short) */
  int empty = cp_guard_tables(r->cfg, r->facts, r->store, o);
  int gone = cp_guard_rules(r->cfg, r->rules, r->store, o);   /* before any result is merged */
  if (gone < 0)
    return CP_ESTATE;
  cp_store_set_feed(r->store, &r->cfg->file->feed);
  /* the lookup tables' data problems, met when the facts opened */
  const cp_outcome *held = cp_facts_held_findings(r->facts);
  for (size_t i = 0; held && i < held->n_findings; i++)
    cp_tally_add(&r->lookup_problems, &held->findings[i]);
  if ((rc = cp_store_apply(r->store, held)) != CP_OK)
    return rc;
  if ((rc = cp_assignees_start(&r->assignees, r->cfg, r->facts)) != CP_OK)
    return rc;
  start_progress(r, o);
  if (o->profile && (rc = cp_rules_profile_start(r->rules)) != CP_OK)
    return rc;
  if ((rc = cp_jobs_run(r->cfg, o->as_of, r->facts, r->rules, o->jobs, write_outcome, r)) !=
      CP_OK)
    return rc;
  cp_rules_run_failures(r->rules, record_run_failure, r);   /* aggregates, globals */
  if ((rc = r->run_failure_rc) != CP_OK)
    return rc;
  cp_progress_clear(&r->progress);
  say_problems_by_column(r);
  say_errors_by_rule(r);
  /* the alerts of clients after the last one resolve now, so that the guard
   * counts them (an export that lost its last clients) */
  if ((rc = cp_store_finish(r->store)) != CP_OK)
    return rc;
  *refused = cp_guard_commit(r->cfg, r->store, o, cp_facts_number_ids(r->facts));
  if (*refused < 2)   /* each reason to refuse is said: a lost table and the alerts it resolves */
    *refused |= cp_guard_table_rows(r->cfg, r->facts, r->store, o, &rc);
  int bad = 0;   /* the clients and per-client tables, then the lookups */
  for (int k = 0; k < 2 && bad >= 0 && rc == CP_OK && *refused < 2; k++) {
    int b = cp_guard_columns(r->cfg, r->facts, r->store, o,
                             k ? &r->lookup_problems : &r->by_column);
    bad = b < 0 ? b : bad | b;
  }
  if (bad < 0)
    return CP_ESTATE;
  *refused |= bad;
  *refused |= empty | gone;
  return rc;
}

cp_exit cp_cmd_run(const cp_opts *o)
{
  run r = {.strict = o->strict, .started = cp_progress_monotonic()};
  cp_exit code = CP_EXIT_INVALID;
  int opened = 0;   /* the config, facts and rules are open: a failure now is 3 */
  int refused = 0;
  char *fresh = NULL;   /* the state's path, to remove: this run made it, a guard refused */
  cp_err rc = open_run(&r, o);
  if (rc != CP_OK) {   /* out of memory or I/O (a facts lock too) is 3; the rest invalid: 2 */
    code = rc == CP_ENOMEM || rc == CP_EIO ? CP_EXIT_FAILED : CP_EXIT_INVALID;
    goto done;
  }
  if ((rc = cp_cli_feed_salt(r.cfg)) != CP_OK)
    goto done;   /* invalid: exit 2, nothing opened for writing */
  if (o->push && !r.cfg->file->sinks_count) {   /* else found after the commit */
    rc = cp_diag_fail(CP_ECONFIG, "run --push: %s names no sinks (add a sinks: section: "
                      "README \"Pushing to sinks\")", r.cfg->path);
    goto done;
  }
  /* checked now, written after the commit: a failed run leaves the file be */
  if (o->profile && (rc = check_profile_path(r.cfg, o->profile)) != CP_OK)
    goto done;   /* invalid: exit 2, nothing written */
  opened = 1;
  code = CP_EXIT_FAILED;
  if (o->strict && cp_facts_findings(r.facts)) {   /* found while loading lookup tables */
    rc = cp_diag_fail(CP_EFACTS, "facts: the lookup tables have data problems (--strict)");
    goto done;
  }
  if ((refused = cp_guard_facts(r.cfg, r.facts, o)) < 0)
    rc = CP_EFACTS;
  struct stat st;
  int made = stat(r.cfg->state, &st) != 0;   /* this run creates the state */
  if (refused || rc != CP_OK || (rc = evaluate(&r, o, &refused)) != CP_OK || refused) {
    /* under the write lock since evaluate() began: no other run wrote it */
    if (refused > 0 && made && r.store && !cp_store_last(r.store)->id &&
        !(fresh = strdup(r.cfg->state)))
      cp_diag_fail(CP_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = cp_facts_check_unchanged(r.facts)) != CP_OK)   /* read all from one file? */
    goto done;
  cp_profile *prof = cp_rules_profile(r.rules);
  uint64_t outer = 0, t0 = prof ? cp_rules_prof_begin(prof, &outer) : 0;
  if ((rc = cp_store_commit(r.store)) != CP_OK)
    goto done;
  if (prof)
    cp_rules_prof_end(prof, &prof->part[CP_PROF_COMMIT], t0, outer);
  cp_progress_end(&r.progress);
  summary(&r, o);
  if (prof)
    write_profile(&r, o);
  code = cp_store_stats_of(r.store)->rule_errors ? CP_EXIT_INCOMPLETE : CP_EXIT_OK;
  if (o->push) {   /* the run is committed whatever the sinks do */
    cp_exit pushed = cp_push(r.cfg, o->wait_seconds, o->quiet);
    if (pushed != CP_EXIT_OK && pushed != CP_EXIT_SINK)   /* the state busy, say: no sink ran */
      cp_diag_warn("the run was committed; the push did not run (crmpolicy push delivers it)");
    code = pushed != CP_EXIT_OK ? CP_EXIT_SINK : code;
  }
done:
  cp_assignees_end(&r.assignees);
  cp_progress_clear(&r.progress);
  if (refused > 0)
    code = CP_EXIT_GUARD;
  else if (rc == CP_ENOMEM && !opened && !cp_diag_oom_said())
    cp_diag_fail(rc, "out of memory; nothing was written");
  else if (rc != CP_OK && opened && rc != CP_EBUSY)
    cp_diag_fail(rc, "the run failed (%s); nothing was written",
                 cp_diag_oom_said() ? "out of memory" : cp_diag_strerror(rc));
  if (rc == CP_EBUSY)
    code = CP_EXIT_BUSY;
  close_run(&r);
  if (refused > 0 && fresh) {   /* a refused first run leaves no state */
    unlink(fresh);
    for (int i = 0; cp_cli_sides[i]; i++) {
      char side[PATH_MAX];
      snprintf(side, sizeof side, "%s%s", fresh, cp_cli_sides[i]);
      unlink(side);
    }
  }
  free(fresh);
  return code;
}
