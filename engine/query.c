/* query.c: read-only queries of the state database. Each is one statement,
 * so with WAL a reader sees whole runs only, never half of one. */
#include "query.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "record.h"
#include "sbuf.h"
#include "stateread.h"
#include "textwidth.h"

static const char *const results_sql[2] = {
  "SELECT fingerprint, rule, client_id, key, kind, NULL, 0, assignee, NULL, data, status, "
  "opened_at, updated_at FROM assignments WHERE status='proposed' "
  "ORDER BY client_id, rule, key",
  "SELECT fingerprint, rule, client_id, key, NULL, severity, level, assignee, title, data, "
  "status, opened_at, updated_at FROM alerts WHERE status='open' "
  "ORDER BY client_id, rule, key",
};

static const char feed_sql[] =
  "SELECT seq, type, run_id, at, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2";

static const char summary_sql[] =
  "SELECT 'alert', rule, severity, count(*) FROM alerts WHERE status='open' "
  "GROUP BY rule, severity UNION ALL "
  "SELECT 'assignment', kind, '', count(*) FROM assignments WHERE status='proposed' "
  "GROUP BY kind ORDER BY 1, 2, 3";

int cp_format_parse(const char *s)
{
  static const char *const names[] = {"table", "jsonl", "csv", "alertmanager"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

/* Opens the state database for reading (cp_state_open_reader) and prepares q. */
static cp_err open_query(const char *path, const char *q, sqlite3 **db, sqlite3_stmt **st)
{
  struct stat sb;
  *db = NULL;
  *st = NULL;
  if (stat(path, &sb) < 0)
    return diag_fail(CP_ESTATE, "state: %s: %s (no run has written it yet?)", path,
                     strerror(errno));
  /* the timeout before the first statement: preparing reads the schema, which
   * a run that is starting or ending may hold for a moment */
  if (cp_state_open_reader(path, db) != SQLITE_OK ||
      sqlite3_prepare_v2(*db, q, -1, st, NULL) != SQLITE_OK) {
    cp_err rc = diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(*db));
    sqlite3_close(*db);
    return rc;
  }
  return CP_OK;
}

/* Finishes a query: reports a stepping error, frees everything. */
static cp_err close_query(const char *path, sqlite3 *db, sqlite3_stmt *st, int rc)
{
  cp_err err = rc == SQLITE_DONE ? CP_OK
                                 : diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return err;
}

/* Returns text column i (NULL for NULL). */
static const char *text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

/* Appends one CSV field, quoted when needed. */
static void csv_field(sbuf *b, const char *v, int first)
{
  if (!first)
    sbuf_add(b, ",");
  if (!v)
    return;
  if (!strpbrk(v, ",\"\r\n")) {
    sbuf_add(b, v);
    return;
  }
  sbuf_add(b, "\"");
  for (const char *p = v; *p; p++) {
    sbuf_addn(b, p, 1);
    if (*p == '"')   /* quotes inside a quoted field are doubled */
      sbuf_addn(b, p, 1);
  }
  sbuf_add(b, "\"");
}

/* Column widths of the tables, in terminal columns; the last column (title
 * or data) is not cut. Negative: aligned right. */
static const int alert_widths[] = {10, 22, 10, 8, -3, 8, 0};
static const int assign_widths[] = {10, 16, 20, 14, 8, 0};

/* Appends one table line of cells to b, each padded to its column's display
 * width (a CJK character is two columns) or cut with an ellipsis. */
static void table_row(sbuf *b, int alerts, const char *const *cells)
{
  const int *w = alerts ? alert_widths : assign_widths;
  size_t n = alerts ? 7 : 6;
  for (size_t i = 0; i + 1 < n; i++) {
    cp_cell(b, cells[i], w[i] < 0 ? -w[i] : w[i], w[i] < 0);
    sbuf_add(b, w[i] < 0 ? "  " : " ");
  }
  sbuf_add(b, cells[n - 1] ? cells[n - 1] : "");
}

/* Formats the current row of a results query into b. */
static void format_row(sbuf *b, sqlite3_stmt *st, int alerts, cp_format fmt)
{
  cp_record r = {.is_alert = alerts, .fingerprint = text(st, 0), .rule = text(st, 1),
                 .client_id = text(st, 2), .key = text(st, 3), .kind = text(st, 4),
                 .severity = text(st, 5), .level = sqlite3_column_int(st, 6),
                 .assignee = text(st, 7), .title = text(st, 8), .data = text(st, 9),
                 .status = text(st, 10), .opened_at = text(st, 11), .updated_at = text(st, 12)};
  char level[16];
  snprintf(level, sizeof level, "%d", r.level);
  if (fmt == CP_FMT_JSONL) {
    cp_record_json(b, &r);
  } else if (fmt == CP_FMT_ALERTMANAGER) {
    cp_record_alertmanager(b, &r);
  } else if (fmt == CP_FMT_CSV) {
    const char *alert_cols[] = {r.client_id, r.rule, r.key, r.severity, level, r.assignee,
                                r.title, r.opened_at, r.updated_at, r.data};
    const char *assign_cols[] = {r.client_id, r.rule, r.key, r.kind, r.assignee, r.opened_at,
                                 r.updated_at, r.data};
    size_t n = alerts ? 10 : 8;
    for (size_t i = 0; i < n; i++)
      csv_field(b, alerts ? alert_cols[i] : assign_cols[i], i == 0);
  } else {
    const char *alert_cols[] = {r.client_id, r.rule, r.key, r.severity, level,
                                r.assignee ? r.assignee : "-", r.title};
    const char *assign_cols[] = {r.client_id, r.rule, r.key, r.kind,
                                 r.assignee ? r.assignee : "-", r.data};
    table_row(b, alerts, alerts ? alert_cols : assign_cols);
  }
  if (fmt != CP_FMT_ALERTMANAGER)   /* its rows are elements of one array */
    sbuf_add(b, "\n");
}

/* Prints the header line of a format, if it has one. */
static void header(FILE *out, int alerts, cp_format fmt)
{
  if (fmt == CP_FMT_ALERTMANAGER)
    fputs("[\n", out);
  else if (fmt == CP_FMT_CSV)
    fputs(alerts ? "client_id,rule,key,severity,level,assignee,title,opened_at,updated_at,data\n"
                 : "client_id,rule,key,kind,assignee,opened_at,updated_at,data\n", out);
  else if (fmt == CP_FMT_TABLE) {
    static const char *const alert_head[] = {"CLIENT", "RULE", "KEY", "SEVERITY", "LVL",
                                             "ASSIGNEE", "TITLE"};
    static const char *const assign_head[] = {"CLIENT", "RULE", "KEY", "KIND", "ASSIGNEE",
                                              "DATA"};
    sbuf b = {0};
    table_row(&b, alerts, alerts ? alert_head : assign_head);
    fprintf(out, "%s\n", b.s ? b.s : "");
    sbuf_free(&b);
  }
}

cp_err cp_query_results(const char *path, int alerts, cp_format fmt, FILE *out)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  sbuf b = {0};
  cp_err err = open_query(path, results_sql[alerts != 0], &db, &st);
  if (err != CP_OK)
    return err;
  if (fmt == CP_FMT_ALERTMANAGER && !alerts) {
    close_query(path, db, st, SQLITE_DONE);
    return diag_fail(CP_EUSAGE, "--format alertmanager is for alerts, not assignments");
  }
  header(out, alerts, fmt);
  int rc, first = 1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sbuf_clear(&b);
    if (fmt == CP_FMT_ALERTMANAGER)
      sbuf_add(&b, first ? "" : ",\n");
    format_row(&b, st, alerts, fmt);
    fwrite(b.s, 1, b.len, out);
    first = 0;
  }
  if (fmt == CP_FMT_ALERTMANAGER)
    fputs(first ? "]\n" : "\n]\n", out);
  sbuf_free(&b);
  return close_query(path, db, st, rc);
}

cp_err cp_query_feed(const char *path, int64_t since, int64_t limit, FILE *out)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  cp_err err = open_query(path, feed_sql, &db, &st);
  if (err != CP_OK)
    return err;
  sqlite3_bind_int64(st, 1, since);
  sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *type = text(st, 1);
    fprintf(out, "{\"seq\":%lld,\"type\":\"%s\",\"run_id\":%lld,\"at\":\"%s\",\"%s\":%s}\n",
            (long long)sqlite3_column_int64(st, 0), type,
            (long long)sqlite3_column_int64(st, 2), text(st, 3),
            strncmp(type, "alert.", 6) == 0 ? "alert" : "assignment", text(st, 4));
  }
  return close_query(path, db, st, rc);
}

cp_err cp_query_summary(const char *path, FILE *out)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  cp_err err = open_query(path, summary_sql, &db, &st);
  if (err != CP_OK)
    return err;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int alert = strcmp(text(st, 0), "alert") == 0;
    fprintf(out, "  %-10s %-24s %-8s %7lld\n", text(st, 0), text(st, 1),
            alert ? text(st, 2) : "", (long long)sqlite3_column_int64(st, 3));
  }
  return close_query(path, db, st, rc);
}
