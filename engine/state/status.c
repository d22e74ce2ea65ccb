/* status.c: `crmpolicy status`: a state database's last run, its open
 * alerts and proposals, and its feed's consumers, read in one read
 * transaction (one snapshot, whatever a run commits meanwhile). */
#include "status.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>

#include "progress.h"
#include "sbuf.h"
#include "query.h"

/* What status reads. */
typedef struct status {
  char epoch[17];
  int64_t runs, run_id, clients, rule_errors, findings, events;
  char as_of[16], run_status[16], started[32], finished[32];
  int64_t started_unix, finished_unix, as_of_unix;   /* -1: not known */
  int64_t alerts[3];        /* open alerts: info, warning, critical */
  int64_t other_alerts;     /* open alerts of another severity (a state edited by hand) */
  int64_t proposed;         /* proposed assignments */
  int64_t last_seq;         /* the feed's last seq (0: none) */
} status;

static const char *const severities[3] = {"info", "warning", "critical"};

int cp_status_format_parse(const char *name)
{
  static const char *const names[] = {"text", "json", "prometheus"};
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, names[i]))
      return i;
  return -1;
}

/* Runs q (no parameters) and gives its first row's columns to fn; returns
 * the SQLite result code of the step (SQLITE_ROW when a row came). */
static int one_row(sqlite3 *db, const char *q, void (*fn)(sqlite3_stmt *st, status *s), status *s)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
    fn(st, s);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_ROW : rc;
}

/* Copies text column i of st into buf (cap bytes); "" for NULL. */
static void copy_text(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

/* An integer column that may be NULL: -1 then. */
static int64_t int_or_none(sqlite3_stmt *st, int i)
{
  return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static void read_run(sqlite3_stmt *st, status *s)
{
  s->run_id = sqlite3_column_int64(st, 0);
  copy_text(st, 1, s->as_of, sizeof s->as_of);
  copy_text(st, 2, s->started, sizeof s->started);
  copy_text(st, 3, s->finished, sizeof s->finished);
  copy_text(st, 4, s->run_status, sizeof s->run_status);
  s->clients = sqlite3_column_int64(st, 5);
  s->rule_errors = sqlite3_column_int64(st, 6);
  s->findings = sqlite3_column_int64(st, 7);
  s->events = sqlite3_column_int64(st, 8);
  s->started_unix = int_or_none(st, 9);
  s->finished_unix = int_or_none(st, 10);
  s->as_of_unix = int_or_none(st, 11);
  s->runs = sqlite3_column_int64(st, 12);
}

static void read_counts(sqlite3_stmt *st, status *s)
{
  for (int i = 0; i < 3; i++)
    s->alerts[i] = sqlite3_column_int64(st, i);
  s->other_alerts = sqlite3_column_int64(st, 3);
  s->proposed = sqlite3_column_int64(st, 4);
  s->last_seq = sqlite3_column_int64(st, 5);
}

static void read_epoch(sqlite3_stmt *st, status *s)
{
  copy_text(st, 0, s->epoch, sizeof s->epoch);
}

/* Appends a count with thousands separators. */
static void count(sbuf *b, int64_t n)
{
  char buf[32];
  cp_progress_format_count(buf, (uint64_t)(n < 0 ? 0 : n));
  cp_sbuf_add(b, buf);
}

/* Appends "N things" (" thing" for 1), then sep. */
static void counted(sbuf *b, int64_t n, const char *thing, const char *sep)
{
  count(b, n);
  cp_sbuf_printf(b, " %s%s%s", thing, n == 1 ? "" : "s", sep);
}

/* Appends a Prometheus label value: backslash, double quote and line feed
 * escaped, the rest as UTF-8 (a name edited by hand: U+FFFD). */
static void prom_label(sbuf *b, const char *v)
{
  for (const char *p = v; *p; p++) {
    if (*p == '\\' || *p == '"')
      cp_sbuf_addn(b, "\\", 1), cp_sbuf_addn(b, p, 1);
    else if (*p == '\n')
      cp_sbuf_add(b, "\\n");
    else {
      size_t n = strcspn(p, "\\\"\n");
      cp_sbuf_add_utf8(b, p, n);
      p += n - 1;
    }
  }
}

/* Appends one Prometheus metric with its HELP and TYPE lines (help NULL:
 * a further sample of the metric above). */
static void metric(sbuf *b, const char *name, const char *help, int64_t v)
{
  if (help)
    cp_sbuf_printf(b, "# HELP crmpolicy_%s %s\n# TYPE crmpolicy_%s gauge\n", name, help, name);
  cp_sbuf_printf(b, "crmpolicy_%s %" PRId64 "\n", name, v);
}

/* Events after cursor seq (0 for one past the end). */
static int64_t behind(const status *s, int64_t seq)
{
  return s->last_seq > seq ? s->last_seq - seq : 0;
}

/* Returns 1 when the cursor of the consumer under cons cannot be read from:
 * past the feed's end (a state copied back from an earlier copy), below 0,
 * or not a whole number (set by hand); `feed --consumer` refuses it, so
 * its "behind" of 0 would hide a consumer that gets nothing. */
static int past_end(const status *s, sqlite3_stmt *cons)
{
  int64_t seq = sqlite3_column_int64(cons, 1);
  return sqlite3_column_type(cons, 1) != SQLITE_INTEGER || seq < 0 || seq > s->last_seq;
}

static void print_prometheus(sbuf *b, const status *s, sqlite3_stmt *cons)
{
  metric(b, "runs", "Runs the state database holds.", s->runs);
  metric(b, "last_run_id", "The id of the last run.", s->run_id);
  metric(b, "last_run_as_of_timestamp_seconds", "The as-of date of the last run, 00:00 UTC.",
         s->as_of_unix);
  metric(b, "last_run_started_timestamp_seconds", "When the last run started (wall clock).",
         s->started_unix);
  metric(b, "last_run_finished_timestamp_seconds", "When the last run finished (wall clock).",
         s->finished_unix);
  metric(b, "last_run_complete", "1 when no rule evaluation of the last run failed.",
         !strcmp(s->run_status, "complete"));
  metric(b, "last_run_clients", "Clients the last run evaluated.", s->clients);
  metric(b, "last_run_rule_errors", "(rule, client) evaluations of the last run that failed.",
         s->rule_errors);
  metric(b, "last_run_data_problems", "Data problems the last run met in the facts.",
         s->findings);
  metric(b, "last_run_events", "Events the last run appended to the feed.", s->events);
  cp_sbuf_add(b, "# HELP crmpolicy_open_alerts Open alerts, by severity.\n"
                 "# TYPE crmpolicy_open_alerts gauge\n");
  for (int i = 0; i < 3; i++)
    cp_sbuf_printf(b, "crmpolicy_open_alerts{severity=\"%s\"} %" PRId64 "\n", severities[i],
                   s->alerts[i]);
  metric(b, "proposed_assignments", "Proposed assignments.", s->proposed);
  metric(b, "feed_last_seq", "The seq of the feed's last event (0: none).", s->last_seq);
  int first = 1;
  while (sqlite3_step(cons) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(cons, 0);
    int64_t seq = sqlite3_column_int64(cons, 1);
    if (first)
      cp_sbuf_add(b, "# HELP crmpolicy_consumer_behind Events after a named consumer's (or "
                     "sink's) cursor.\n# TYPE crmpolicy_consumer_behind gauge\n");
    first = 0;
    cp_sbuf_add(b, "crmpolicy_consumer_behind{consumer=\"");
    prom_label(b, name ? name : "");
    cp_sbuf_printf(b, "\"} %" PRId64 "\n", behind(s, seq));
  }
  sqlite3_reset(cons);
  for (first = 1; sqlite3_step(cons) == SQLITE_ROW; first = 0) {
    const char *name = (const char *)sqlite3_column_text(cons, 0);
    if (first)
      cp_sbuf_add(b, "# HELP crmpolicy_consumer_past_end 1 when a named consumer's (or sink's) "
                     "cursor is past the feed's end or not a seq: it gets nothing.\n"
                     "# TYPE crmpolicy_consumer_past_end gauge\n");
    cp_sbuf_add(b, "crmpolicy_consumer_past_end{consumer=\"");
    prom_label(b, name ? name : "");
    cp_sbuf_printf(b, "\"} %d\n", past_end(s, cons));
  }
}

static void print_json(sbuf *b, const char *path, const status *s, sqlite3_stmt *cons)
{
  cp_sbuf_add(b, "{\"state\":");
  cp_sbuf_json_str(b, path, strlen(path));
  cp_sbuf_add(b, ",\"epoch\":");
  cp_sbuf_json_str(b, s->epoch, strlen(s->epoch));
  cp_sbuf_printf(b, ",\"runs\":%" PRId64 ",\"last_run\":{\"id\":%" PRId64 ",\"as_of\":",
                 s->runs, s->run_id);
  cp_sbuf_json_str(b, s->as_of, strlen(s->as_of));
  cp_sbuf_add(b, ",\"status\":");
  cp_sbuf_json_str(b, s->run_status, strlen(s->run_status));
  cp_sbuf_add(b, ",\"started_at\":");
  cp_sbuf_json_str(b, s->started, strlen(s->started));
  cp_sbuf_add(b, ",\"finished_at\":");
  if (*s->finished)
    cp_sbuf_json_str(b, s->finished, strlen(s->finished));
  else
    cp_sbuf_add(b, "null");
  cp_sbuf_printf(b, ",\"clients\":%" PRId64 ",\"rule_errors\":%" PRId64 ",\"data_problems\":%"
                 PRId64 ",\"events\":%" PRId64 "},\"open_alerts\":{", s->clients,
                 s->rule_errors, s->findings, s->events);
  for (int i = 2; i >= 0; i--)
    cp_sbuf_printf(b, "\"%s\":%" PRId64 "%s", severities[i], s->alerts[i], i ? "," : "");
  cp_sbuf_printf(b, "},\"proposed_assignments\":%" PRId64 ",\"feed\":{\"last_seq\":%" PRId64
                 ",\"consumers\":[", s->proposed, s->last_seq);
  for (int n = 0; sqlite3_step(cons) == SQLITE_ROW; n++) {
    const char *name = (const char *)sqlite3_column_text(cons, 0);
    const char *at = (const char *)sqlite3_column_text(cons, 2);
    int64_t seq = sqlite3_column_int64(cons, 1);
    cp_sbuf_add(b, n ? ",{\"name\":" : "{\"name\":");
    cp_sbuf_json_str(b, name ? name : "", name ? strlen(name) : 0);
    cp_sbuf_printf(b, ",\"seq\":%" PRId64 ",\"behind\":%" PRId64 ",\"past_end\":%s"
                   ",\"updated_at\":", seq, behind(s, seq),
                   past_end(s, cons) ? "true" : "false");
    cp_sbuf_json_str(b, at ? at : "", at ? strlen(at) : 0);
    cp_sbuf_add(b, "}");
  }
  cp_sbuf_add(b, "]}}\n");
}

static void print_text(sbuf *b, const char *path, const status *s, sqlite3_stmt *cons)
{
  cp_sbuf_term_printf(b, "state %s, epoch %s: ", path, s->epoch);
  counted(b, s->runs, "run", "\n");
  cp_sbuf_printf(b, "last run %" PRId64, s->run_id);
  cp_sbuf_term_printf(b, " as of %s: %s, from %s to %s; ", s->as_of, s->run_status, s->started,
                      *s->finished ? s->finished : "?");
  counted(b, s->clients, "client", ", ");
  counted(b, s->rule_errors, "rule error", ", ");
  counted(b, s->findings, "data problem", ", ");
  counted(b, s->events, "event", "\nopen alerts: ");
  count(b, s->alerts[0] + s->alerts[1] + s->alerts[2] + s->other_alerts);
  for (int i = 2; i >= 0; i--) {
    cp_sbuf_add(b, i == 2 ? " (" : ", ");
    cp_sbuf_printf(b, "%s ", severities[i]);
    count(b, s->alerts[i]);
  }
  cp_sbuf_add(b, "); proposed assignments: ");
  count(b, s->proposed);
  cp_sbuf_add(b, "\nfeed: last seq ");
  count(b, s->last_seq);
  int n = 0;
  while (sqlite3_step(cons) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(cons, 0);
    int64_t seq = sqlite3_column_int64(cons, 1);
    cp_sbuf_add(b, n++ ? ", " : "; consumers: ");
    cp_sbuf_term_printf(b, "%s at ", name ? name : "");
    count(b, seq);
    if (past_end(s, cons)) {
      cp_sbuf_add(b, " (past the feed's end, or not a seq: feed --consumer refuses it)");
      continue;
    }
    cp_sbuf_add(b, " (");
    count(b, behind(s, seq));
    cp_sbuf_add(b, " behind)");
  }
  cp_sbuf_add(b, "\n");
}

cp_err cp_status_print(const char *path, cp_status_format fmt, FILE *out)
{
  status s = {0};
  sqlite3 *db = NULL;
  sqlite3_stmt *cons = NULL;
  cp_err err = cp_query_open(path, &db);
  if (err != CP_OK)
    return err;
  int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  if (err == CP_OK && rc == SQLITE_OK)
    rc = one_row(db, "SELECT value FROM meta WHERE key = 'epoch'", read_epoch, &s);
  if (err == CP_OK && rc == SQLITE_ROW)
    rc = one_row(db, "SELECT id, as_of, started_at, finished_at, status, clients, rule_errors, "
                 "findings, events, CAST(strftime('%s', started_at) AS INTEGER), "
                 "CAST(strftime('%s', finished_at) AS INTEGER), "
                 "CAST(strftime('%s', as_of) AS INTEGER), (SELECT count(*) FROM runs) "
                 "FROM runs ORDER BY id DESC LIMIT 1", read_run, &s);
  if (err == CP_OK && rc == SQLITE_ROW)
    rc = one_row(db, "SELECT "
                 "(SELECT count(*) FROM alerts WHERE status = 'open' AND severity = 'info'), "
                 "(SELECT count(*) FROM alerts WHERE status = 'open' AND severity = 'warning'), "
                 "(SELECT count(*) FROM alerts WHERE status = 'open' AND severity = 'critical'), "
                 "(SELECT count(*) FROM alerts WHERE status = 'open' AND severity NOT IN "
                 "('info', 'warning', 'critical')), "
                 "(SELECT count(*) FROM assignments WHERE status = 'proposed'), "
                 "(SELECT ifnull(max(seq), 0) FROM events)", read_counts, &s);
  if (err == CP_OK && rc == SQLITE_ROW)
    rc = sqlite3_prepare_v2(db, "SELECT name, seq, updated_at FROM consumers ORDER BY name "
                            "LIMIT 1000", -1, &cons, NULL) == SQLITE_OK ? SQLITE_ROW : SQLITE_ERROR;
  if (err == CP_OK && rc != SQLITE_ROW)
    err = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  if (err == CP_OK) {
    sbuf b = {0};
    if (fmt == CP_STATUS_PROMETHEUS)
      print_prometheus(&b, &s, cons);
    else if (fmt == CP_STATUS_JSON)
      print_json(&b, path, &s, cons);
    else
      print_text(&b, path, &s, cons);
    if (b.oom)
      err = cp_diag_fail(CP_ENOMEM, "status: out of memory");
    else
      fwrite(b.s, 1, b.len, out);
    cp_sbuf_free(&b);
  }
  sqlite3_finalize(cons);
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  return err;
}
