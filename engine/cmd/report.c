/* report.c: `crmpolicy report`: config -> facts -> the rules' report{} rows,
 * beside the open alerts of the state database read in the same client
 * order -> CSV, or HTML (html.c). Reads the state database, never writes it;
 * the output file appears whole or not at all. */
#include "report.h"
#include "arena.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dates.h"
#include "progress.h"
#include "cplocale.h"
#include "statedb.h"
#include "stateread.h"

#define MAX_PRINTED_ERRORS 20

/* The run whose state the report shows: of the runs as of its day or
 * earlier, one as of the latest such day (the last of them: a replay of an
 * earlier day made later does not stand for that day); and whether it is
 * the last run of all. */
static const char last_run_sql[] =
  "SELECT id, as_of, id = (SELECT max(id) FROM runs) FROM runs WHERE as_of <= ?1 "
  "ORDER BY as_of DESC, id DESC LIMIT 1";

/* The open alerts now, counted by client, rule and severity, in client order. */
static const char open_alerts_sql[] =
  "SELECT client_id, rule, severity, count(*) FROM alerts WHERE status = 'open' "
  "GROUP BY client_id, rule, severity ORDER BY client_id, rule, severity";

/* The same after an earlier run ?1: each alert as its last event up to that
 * run left it (a replay of the feed). */
static const char replay_alerts_sql[] =
  "SELECT client_id, rule, json_extract(body, '$.severity') AS sev, count(*) FROM events "
  "WHERE seq IN (SELECT max(seq) FROM events WHERE run_id <= ?1 AND type LIKE 'alert.%' "
  "GROUP BY fingerprint) AND type <> 'alert.resolved' "
  "GROUP BY client_id, rule, sev ORDER BY client_id, rule, sev";

/* The open alerts, read beside the clients: one query, in client order. */
typedef struct alert_stream {
  const char *path;         /* state database, for messages */
  sqlite3 *db;              /* opened read-only, in one read transaction */
  sqlite3_stmt *st;         /* the alerts query; NULL when no run qualifies */
  int more;                 /* st holds a row not consumed yet */
} alert_stream;

/* Everything a report holds open. */
typedef struct report {
  int html;                 /* writing HTML (else CSV) */
  cp_config *cfg;           /* the config */
  cp_facts *facts;          /* facts reader */
  cp_rules *rules;          /* loaded rules */
  cp_report_def *def;       /* the declared report */
  alert_stream alerts;      /* open alerts of the state database */
  cp_report_page page;      /* totals for the page */
  cp_ralerts *mine;         /* the current client's open alerts by rule (zeroed per client) */
  size_t n_mine, cap_mine;  /* rules in mine, and allocated */
  int bom;                  /* CSV: begin with a UTF-8 byte order mark */
  cp_rrow row;              /* the current row */
  cp_rtable *table;         /* the table's rows, CSV or HTML */
  char *tmp;                /* the output's temporary name, until renamed */
  char *dest;               /* the file it is renamed to: -o, its link followed */
  FILE *out;                /* the output, under its temporary name */
  int to_stdout;            /* -o -: the output goes to standard output when whole */
  sbuf err;                 /* the current row's error */
} report;

int cp_report_parse_month(const char *s, int64_t *first)
{
  char day[16];
  if (strlen(s) != 7)
    return -1;
  snprintf(day, sizeof day, "%s-01", s);
  return cp_dates_parse_date(day, 10, first);
}

void cp_report_number(sbuf *out, int64_t n, int cents)
{
  uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(cents ? u / 100 : u));
  if (n < 0)
    cp_sbuf_add(out, "-");
  for (int i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      cp_sbuf_add(out, ",");
    cp_sbuf_addn(out, digits + i, 1);
  }
  if (cents)
    cp_sbuf_printf(out, ".%02u", (unsigned)(u % 100));
}

/* Returns ratio r in percent, with a tiny value as 0 (never "-0.00"). */
static double percent(double r)
{
  return fabs(r * 100) < 0.005 ? 0 : r * 100;
}

void cp_report_cell(cp_rtype type, const cp_rcell *v, sbuf *out)
{
  char day[16];
  cp_sbuf_clear(out);
  if (v->nil) {
    if (type == CP_RT_CHANGE)
      cp_sbuf_add(out, "\u2014");
    return;
  }
  switch (type) {
  case CP_RT_TEXT: cp_sbuf_addn(out, v->s.s ? v->s.s : "", v->s.len); break;
  case CP_RT_MONEY: cp_report_number(out, v->i, 1); break;
  case CP_RT_INTEGER: cp_report_number(out, v->i, 0); break;   /* 49,044: as money reads */
  case CP_RT_PERCENT: cp_sbuf_printf(out, "%.2f%%", percent(v->r)); break;
  case CP_RT_CHANGE: cp_sbuf_printf(out, "%+.2f%%", percent(v->r)); break;
  case CP_RT_DATE: cp_dates_format_date(v->i, day); cp_sbuf_add(out, day); break;
  default: break;
  }
}

void cp_report_cell_plain(cp_rtype type, const cp_rcell *v, sbuf *out)
{
  if (!v->nil && type == CP_RT_INTEGER) {   /* digits alone: a spreadsheet reads a number */
    cp_sbuf_clear(out);
    cp_sbuf_printf(out, "%lld", (long long)v->i);
    return;
  }
  if (v->nil || type != CP_RT_MONEY) {
    cp_report_cell(type, v, out);
    if (v->nil)
      cp_sbuf_clear(out);
    return;
  }
  uint64_t u = v->i < 0 ? -(uint64_t)v->i : (uint64_t)v->i;
  cp_sbuf_clear(out);
  cp_sbuf_printf(out, "%s%llu.%02u", v->i < 0 ? "-" : "", (unsigned long long)(u / 100),
              (unsigned)(u % 100));
}

/* Steps the alerts query; CP_ESTATE with a message when stepping failed. */
static cp_err alerts_step(alert_stream *a)
{
  int rc = sqlite3_step(a->st);
  a->more = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return CP_OK;
  return cp_diag_fail(CP_ESTATE, "state: %s: %s", a->path, sqlite3_errmsg(a->db));
}

/* Opens the state database at path read-only, finds the run whose state the
 * report shows (into p) and starts the alerts query. */
static cp_err alerts_open(alert_stream *a, const char *path, int64_t as_of, cp_report_page *p)
{
  sqlite3_stmt *run = NULL;
  char day[16];
  cp_err rc = CP_ESTATE;
  a->path = path;
  if (cp_statedb_found(path) != CP_OK)
    return CP_ESTATE;
  if (cp_stateread_open(path, &a->db) != SQLITE_OK ||   /* no -wal or -shm left behind */
      sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(a->db, last_run_sql, -1, &run, NULL) != SQLITE_OK)
    goto fail;
  cp_dates_format_date(as_of, day);
  sqlite3_bind_text(run, 1, day, -1, SQLITE_STATIC);
  int step = sqlite3_step(run);
  if (step == SQLITE_DONE) {
    cp_diag_warn("state: %s has no run as of %s or earlier: the report shows no open alerts",
              path, day);
    sqlite3_finalize(run);
    return CP_OK;
  }
  if (step != SQLITE_ROW)
    goto fail;
  p->alerts_run = sqlite3_column_int64(run, 0);
  snprintf(p->alerts_as_of, sizeof p->alerts_as_of, "%s", sqlite3_column_text(run, 1));
  int latest = sqlite3_column_int(run, 2);
  if (sqlite3_prepare_v2(a->db, latest ? open_alerts_sql : replay_alerts_sql, -1, &a->st,
                         NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_int64(a->st, 1, p->alerts_run);
  sqlite3_finalize(run);
  return alerts_step(a);
fail:
  rc = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, a->db ? sqlite3_errmsg(a->db) : "out of memory");
  sqlite3_finalize(run);
  return rc;
}

/* Closes the alerts query and the state database (ending the read). */
static void alerts_close(alert_stream *a)
{
  sqlite3_finalize(a->st);
  sqlite3_close(a->db);
}

/* Adds n open alerts of rule and severity s to the list *a (*len used,
 * *cap allocated), adding the rule when it is new. */
static cp_err add_rule_alerts(cp_ralerts **a, size_t *len, size_t *cap, const char *rule, int s,
                              uint64_t n)
{
  size_t i = 0;
  while (i < *len && strcmp((*a)[i].rule, rule) != 0)
    i++;
  if (i == *len) {
    if (cp_arena_grow((void **)a, cap, *len, sizeof **a) < 0)
      return cp_diag_fail(CP_ENOMEM, "report: out of memory");
    (*a)[i] = (cp_ralerts){.rule = strdup(rule)};
    if (!(*a)[i].rule)
      return cp_diag_fail(CP_ENOMEM, "report: out of memory");
    (*len)++;
  }
  (*a)[i].n[s] += n;
  return CP_OK;
}

/* Adds the current client's alerts (r->mine) to the page: its row is in
 * the table, so its alerts are in the chart. */
static cp_err add_mine(report *r)
{
  cp_report_page *p = &r->page;
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i < r->n_mine; i++)
    for (int s = 0; rc == CP_OK && s < CP_SEVERITIES; s++)
      if (r->mine[i].n[s])
        rc = add_rule_alerts(&p->alerts, &p->n_alerts, &p->cap_alerts, r->mine[i].rule, s,
                             r->mine[i].n[s]);
  return rc;
}

/* Consumes the alerts of clients up to id (NULL: all that remain), counting
 * them all in the page's all_alerts; counts and r->mine get those of client
 * id itself, by severity and by rule and severity. */
static cp_err alerts_upto(report *r, const char *id, uint64_t counts[CP_SEVERITIES])
{
  alert_stream *a = &r->alerts;
  cp_err rc = CP_OK;
  memset(counts, 0, CP_SEVERITIES * sizeof *counts);
  for (size_t i = 0; i < r->n_mine; i++)
    memset(r->mine[i].n, 0, sizeof r->mine[i].n);
  while (rc == CP_OK && a->more) {
    const char *client = (const char *)sqlite3_column_text(a->st, 0);
    int cmp = id ? strcmp(client ? client : "", id) : -1;
    if (cmp > 0)
      break;
    int s = cp_outcome_severity_parse((const char *)sqlite3_column_text(a->st, 2));
    uint64_t n = (uint64_t)sqlite3_column_int64(a->st, 3);
    r->page.all_alerts += s >= 0 ? n : 0;
    if (s >= 0 && cmp == 0) {
      /* a rule that is NULL (a table made again by hand, without its NOT
       * NULL) counts under "", as `alerts` lists it */
      const char *rule = (const char *)sqlite3_column_text(a->st, 1);
      counts[s] += n;
      rc = add_rule_alerts(&r->mine, &r->n_mine, &r->cap_mine, rule ? rule : "", s, n);
    }
    if (rc == CP_OK)
      rc = alerts_step(a);
  }
  return rc;
}

/* Records a row that failed (message in r->err): printed and kept for the
 * page, the first few, and a notice (the row no longer computed) always. */
static cp_err row_failed(report *r, int notice)
{
  cp_report_page *p = &r->page;
  if (notice && p->failed >= MAX_PRINTED_ERRORS) {   /* said past the errors printed */
    cp_diag_fail(CP_EEVAL, "%s", r->err.s);
    cp_sbuf_printf(&p->failures, "%s\n", r->err.s);
  } else if (p->failed < MAX_PRINTED_ERRORS) {
    cp_diag_fail(CP_EEVAL, "%s", r->err.s);
    cp_sbuf_printf(&p->failures, "%s\n", r->err.s);
  } else if (p->failed == MAX_PRINTED_ERRORS) {
    cp_diag_fail(CP_EEVAL, "more row errors follow; they are counted, not printed");
    cp_sbuf_add(&p->failures, "...\n");
  }
  p->failed++;
  return p->failures.oom ? cp_diag_fail(CP_ENOMEM, "report: out of memory") : CP_OK;
}

/* Returns the index of series group g among the page's groups, adding it.
 * A group past the chart's lines folds, with the last group given, into one
 * line of the other groups, unless every line is a declared group; -1 then,
 * or out of memory. */
static int group_index(cp_report_page *p, const char *g, size_t declared)
{
  size_t named = p->folded ? CP_REPORT_GROUPS - 1 : p->n_groups, i = 0;
  while (i < named && strcmp(p->groups[i], g) != 0)
    i++;
  if (i < named)
    return (int)i;
  if (p->folded)
    return CP_REPORT_GROUPS - 1;
  if (i < CP_REPORT_GROUPS) {
    if (!(p->groups[i] = strdup(g)))
      return -1;
    p->n_groups++;
    return (int)i;
  }
  if (declared >= CP_REPORT_GROUPS)
    return -1;
  p->folded = 1;
  return CP_REPORT_GROUPS - 1;
}

/* Adds the current row (client id) to the output and the page's totals. */
static cp_err add_row(report *r, const char *id)
{
  cp_report_page *p = &r->page;
  int g = 0;
  if (r->row.has_series) {
    g = group_index(p, r->row.group.s, r->def->n_groups);
    if (g < 0) {
      cp_sbuf_printf(&r->err, "%s: series group '%s' is not one of the %d that report{} declares, "
                     "which take every line of the chart (report %s, client %s)", r->def->where,
                     r->row.group.s, CP_REPORT_GROUPS, r->def->id, id);
      return row_failed(r, 0);
    }
    for (int i = 0; i < CP_REPORT_MONTHS; i++)
      if (!(fabs(p->series[g][i] + r->row.values[i]) <= CP_REPORT_SERIES_MAX)) {
        cp_sbuf_printf(&r->err, "%s: series group '%s': with this row its month %d adds up "
                       "past %.0f, more than the chart can draw (report %s, client %s)",
                       r->def->where, r->row.group.s, i + 1, CP_REPORT_SERIES_MAX, r->def->id,
                       id);
        return row_failed(r, 0);
      }
  }
  int added = cp_rtable_add(r->table, &r->row, id, &r->err);
  if (added <= 0)
    return added < 0 ? CP_EIO : row_failed(r, 0);
  for (int i = 0; r->row.has_series && i < CP_REPORT_MONTHS; i++)
    p->series[g][i] += r->row.values[i];
  p->rows++;
  return add_mine(r);
}

/* Streams the clients: each one's alerts, then its row. */
static cp_err client_pass(report *r)
{
  cp_client *c;
  uint64_t counts[CP_SEVERITIES];
  int more = 0;
  cp_err rc = cp_facts_begin(r->facts, NULL, NULL);
  while (rc == CP_OK && (more = cp_facts_next(r->facts, &c)) > 0) {
    if ((rc = alerts_upto(r, c->id, counts)) != CP_OK)
      break;
    int got = cp_reportdef_row(r->rules, r->def, c, counts, r->mine, r->n_mine, &r->row,
                               &r->err);
    if (got < 0)
      rc = row_failed(r, got == -2);
    else if (got > 0)
      rc = add_row(r, c->id);
  }
  if (rc == CP_OK && more < 0)
    rc = cp_facts_error(r->facts);
  if (rc == CP_OK)   /* "they are counted": said, as a run says them (policy-z) */
    cp_facts_say_unprinted(r->facts, "in the clients and per-client tables");
  return rc == CP_OK ? alerts_upto(r, NULL, counts) : rc;
}

/* The output's temporary file while it exists, for a signal that ends the
 * command (SIGINT, SIGTERM, SIGHUP) to remove first: a Ctrl-C or a
 * timeout left report.html.tmp-XXXXXX, customer data, beside the report. */
static char signal_tmp[4096 + 16];
static volatile sig_atomic_t signal_tmp_set;

/* Signal handler: removes the temporary file (async-signal-safe calls
 * only), then ends the process by the same signal. */
static void on_signal(int sig)
{
  if (signal_tmp_set)
    unlink(signal_tmp);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Removes the output's temporary file, and forgets it (the handler too). */
static void output_remove(report *r)
{
  if (r->tmp)
    unlink(r->tmp);
  signal_tmp_set = 0;
  free(r->tmp);
  r->tmp = NULL;
}

/* Opens the output's temporary file beside path, mode 0600. A path that
 * is a symbolic link is written through: the file it leads to is replaced,
 * not the link. A path that is not a regular file (a device, a FIFO, a
 * folder, or a link to one) is refused: renaming over it would replace it. */
static cp_err output_open(report *r, const char *path)
{
  struct stat st;
  if (r->to_stdout) {   /* written whole first, like a file: a failed CSV writes nothing */
    if (!(r->out = tmpfile()))
      return cp_diag_fail(CP_EIO, "report: a temporary file for standard output: %s",
                          strerror(errno));
    return CP_OK;
  }
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !(r->dest = realpath(path, NULL)))
    return cp_diag_fail(CP_EUSAGE, "report: -o: %s is a symbolic link that leads to no file",
                        path);
  if (!r->dest && !(r->dest = strdup(path)))
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  if (stat(r->dest, &st) == 0 && !S_ISREG(st.st_mode))
    return cp_diag_fail(CP_EUSAGE, "report: -o: %s is not a regular file (a device, FIFO or "
                        "folder); the report is written to a file of its own", path);
  path = r->dest;
  size_t n = strlen(path) + 16;
  int fd = -1;
  if (!(r->tmp = malloc(n)))
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  snprintf(r->tmp, n, "%s.tmp-XXXXXX", path);
  /* the signals are held until the handler knows the file's name */
  struct sigaction sa = {.sa_handler = on_signal};
  sigset_t ends, was;
  sigemptyset(&sa.sa_mask);
  sigemptyset(&ends);
  for (int sig = 0; sig < 3; sig++) {
    sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[sig], &sa, NULL);
    sigaddset(&ends, (int[]){SIGINT, SIGTERM, SIGHUP}[sig]);
  }
  sigprocmask(SIG_BLOCK, &ends, &was);
  fd = mkstemp(r->tmp);
  if (fd >= 0 && n <= sizeof signal_tmp) {
    memcpy(signal_tmp, r->tmp, n);
    signal_tmp_set = 1;
  }
  sigprocmask(SIG_SETMASK, &was, NULL);
  if (fd < 0 || fchmod(fd, 0600) < 0 || !(r->out = fdopen(fd, "w"))) {
    cp_err rc = cp_diag_fail(CP_EIO, "report: %s: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      output_remove(r);
    }
    free(r->tmp);
    r->tmp = NULL;
    return rc;
  }
  return CP_OK;
}

/* Writes the output whole and renames it to its destination (path, or the
 * file its link leads to). */
static cp_err output_commit(report *r, const char *path)
{
  if (r->to_stdout) {
    char buf[65536];
    size_t n;
    int bad = fflush(r->out) != 0 || ferror(r->out) || fseek(r->out, 0, SEEK_SET) != 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, r->out)) > 0)
      bad = fwrite(buf, 1, n, stdout) != n;
    bad |= ferror(r->out) || fflush(stdout) != 0;
    int err = errno;
    fclose(r->out);
    r->out = NULL;
    if (bad && err == EPIPE)   /* the reader stopped (| head): exit 3 without a message, */
      return CP_EIO;           /* as for every command (main.c stdout_written) */
    return bad ? cp_diag_fail(CP_EIO, "report: standard output: %s", strerror(err)) : CP_OK;
  }
  int bad = fflush(r->out) != 0 || ferror(r->out) || fsync(fileno(r->out)) != 0;
  bad |= fclose(r->out) != 0;
  r->out = NULL;
  if (bad || rename(r->tmp, r->dest) != 0)
    return cp_diag_fail(CP_EIO, "report: %s: %s", path, strerror(errno));
  signal_tmp_set = 0;
  free(r->tmp);
  r->tmp = NULL;
  return CP_OK;
}

/* Orders open alerts by total, most first, then by rule id. */
static int by_total(const void *a, const void *b)
{
  const cp_ralerts *x = a, *y = b;
  uint64_t tx = x->n[0] + x->n[1] + x->n[2], ty = y->n[0] + y->n[1] + y->n[2];
  return tx != ty ? (tx < ty ? 1 : -1) : strcmp(x->rule, y->rule);
}

/* Chooses the format from --format, else from the output's extension. */
static cp_err choose_format(const cp_opts *o, report *r)
{
  const char *fmt = o->format_name, *dot = strrchr(o->output, '.');
  if (!fmt && dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm") || !strcmp(dot, ".csv")))
    fmt = strcmp(dot, ".csv") == 0 ? "csv" : "html";
  if (!fmt)
    return cp_diag_fail(CP_EUSAGE, "report: --format csv|html is required unless FILE ends in "
                     ".csv or .html");
  if (strcmp(fmt, "csv") != 0 && strcmp(fmt, "html") != 0)
    return cp_diag_fail(CP_EUSAGE, "--format: '%s' is not one of csv, html", fmt);
  r->html = strcmp(fmt, "html") == 0;
  return CP_OK;
}

/* Checks the options and sets the month, its series months and the as-of
 * day: the last day of the month when the month is over by then. */
static cp_err resolve_options(const cp_opts *o, report *r)
{
  cp_report_page *p = &r->page;
  char as_of[16];
  if (!o->output)
    return cp_diag_fail(CP_EUSAGE, "report: -o FILE is required (see 'crmpolicy report --help')");
  if (!*o->output)
    return cp_diag_fail(CP_EUSAGE, "report: -o: the file name is empty (give a file, or - for "
                        "standard output)");
  r->to_stdout = strcmp(o->output, "-") == 0;
  cp_err rc = choose_format(o, r);
  if (rc != CP_OK)
    return rc;
  cp_reportdef_month(o->has_month ? o->month : o->as_of, 0, &p->month);
  if (p->month.first > o->as_of) {
    cp_dates_format_date(o->as_of, as_of);
    return cp_diag_fail(CP_EUSAGE, "--month: %s is after the as-of date %s", p->month.name, as_of);
  }
  if (p->month.first < cp_dates_days_from_civil(1, 1, 1))   /* dates start at 0000-01-01 */
    return cp_diag_fail(CP_EUSAGE, "report: the month %s is too early: its chart and year-ago "
                        "month reach back a year, and dates start at 0000-01-01; the first "
                        "month a report can show is 0001-01", p->month.name);
  p->as_of = p->month.last < o->as_of ? p->month.last : o->as_of;
  p->in_progress = p->as_of < p->month.last;
  for (int i = 0; i < CP_REPORT_MONTHS; i++)
    cp_reportdef_month(p->month.first, i - (CP_REPORT_MONTHS - 1), &p->months[i]);
  return CP_OK;
}

/* Opens everything up to the first client; nothing is written yet. */
static cp_err open_report(report *r, const cp_opts *o)
{
  cp_err rc = cp_cli_config(o, &r->cfg);
  if (rc == CP_OK)
    rc = cp_facts_open(r->cfg, r->page.as_of, &r->facts);
  if (rc == CP_OK)
    rc = cp_rules_load(r->cfg, r->facts, r->page.as_of, &r->rules);
  if (rc == CP_OK)
    rc = cp_reportdef_load(r->rules, r->cfg->path, &r->def);
  if (rc != CP_OK)
    return rc;
  r->page.def = r->def;
  r->page.cfg = r->cfg;
  r->bom = o->bom >= 0 ? o->bom : cp_locale_of(r->cfg) == CP_LOCALE_ZH_CN;
  for (size_t i = 0; i < r->def->n_groups; i++)
    if (group_index(&r->page, r->def->groups[i], r->def->n_groups) < 0)
      return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  if ((rc = cp_reportdef_set_month(r->rules, &r->page.month, r->page.as_of)) != CP_OK ||
      (rc = alerts_open(&r->alerts, r->cfg->state, r->page.as_of, &r->page)) != CP_OK ||
      (!r->to_stdout &&
       (rc = cp_cli_own_file(r->cfg, o->output, "report: -o", "the report")) != CP_OK) ||
      (rc = output_open(r, o->output)) != CP_OK)
    return rc;
  return cp_rtable_open(r->def, r->cfg, r->html, r->bom, r->out, &r->table);
}

/* Frees what a report opened; removes an output not renamed. */
static void close_report(report *r)
{
  if (r->out)
    fclose(r->out);
  output_remove(r);
  free(r->dest);
  alerts_close(&r->alerts);
  cp_rtable_close(r->table);
  cp_reportdef_row_free(&r->row);
  cp_sbuf_free(&r->err);
  for (size_t i = 0; i < r->page.n_groups; i++)
    free(r->page.groups[i]);
  for (size_t i = 0; i < r->page.n_alerts; i++)
    free(r->page.alerts[i].rule);
  free(r->page.alerts);
  for (size_t i = 0; i < r->n_mine; i++)
    free(r->mine[i].rule);
  free(r->mine);
  cp_sbuf_free(&r->page.failures);
  cp_reportdef_free(r->def);
  cp_rules_close(r->rules);
  cp_facts_close(r->facts);
  cp_config_free(r->cfg);
}

/* Prints what the report wrote: on standard error when the report went to
 * standard output. */
static void summary(const report *r, const char *path)
{
  cp_locale l = cp_locale_of(r->cfg);
  sbuf month = {0}, as_of = {0};
  char rows[32], failed[32];
  cp_progress_format_count(rows, r->page.rows);   /* 2,841 rows, as run counts */
  cp_progress_format_count(failed, r->page.failed);
  cp_locale_month(l, r->page.month.name, &month);
  cp_locale_date(l, r->page.as_of, &as_of);
  fprintf(r->to_stdout ? stderr : stdout, cp_locale_msg(l, CP_MSG_REPORT_SUMMARY),
         r->to_stdout ? "standard output" : path, r->def->id, month.s ? month.s : "",
         as_of.s ? as_of.s : "", rows, failed);
  cp_sbuf_free(&month);
  cp_sbuf_free(&as_of);
}

cp_exit cp_cmd_report(const cp_opts *o)
{
  report r = {0};
  int code_failed = 0;   /* rows failed and the CSV was not written */
  cp_err rc = resolve_options(o, &r);
  if (rc == CP_OK)
    rc = open_report(&r, o);
  if (rc == CP_OK)
    rc = cp_rules_prepare(r.rules);
  if (rc == CP_OK)
    rc = client_pass(&r);
  if (rc == CP_OK && r.page.n_alerts)
    qsort(r.page.alerts, r.page.n_alerts, sizeof *r.page.alerts, by_total);
  if (rc == CP_OK && r.html)
    rc = cp_html_write(&r.page, r.table, r.out);
  else if (rc == CP_OK && !r.page.failed)
    rc = cp_rtable_write(r.table, r.out);
  if (rc == CP_OK && !r.html && r.page.failed) {   /* a CSV has no place to show them */
    char failed[32];
    cp_progress_format_count(failed, r.page.failed);
    cp_diag_fail(CP_EEVAL, "report: %s row%s failed; %s%s (a CSV cannot show that; the "
              "HTML page lists them)", failed, r.page.failed == 1 ? "" : "s", r.to_stdout ? "standard output" : o->output,
              r.to_stdout ? " got nothing" : " was not written");
    code_failed = 1;
  } else if (rc == CP_OK && (rc = output_commit(&r, o->output)) != CP_OK) {
    code_failed = 1;   /* its message names the file */
  }
  if (rc != CP_OK && !code_failed && r.tmp && r.dest)   /* a write failed: say which file */
    cp_diag_fail(rc, "report: %s was not written (a file there before is kept as it was)",
                 r.dest);
  if (rc == CP_OK && !code_failed && !o->quiet)
    summary(&r, o->output);
  cp_exit code = rc != CP_OK ? cp_cli_exit_for(rc) : r.page.failed ? CP_EXIT_INCOMPLETE : CP_EXIT_OK;
  close_report(&r);
  return code;
}
