/* query.c: read-only queries of the state database. Each is one statement,
 * so with WAL a reader sees whole runs only, never half of one. */
#include "query.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "cplocale.h"
#include "outcome.h"
#include "progress.h"
#include "record.h"
#include "sbuf.h"
#include "statedb.h"
#include "stateread.h"
#include "textwidth.h"

static const char *const results_sql[2] = {
  "SELECT fingerprint, rule, client_id, key, kind, NULL, 0, assignee, NULL, " CP_QUERY_AS_JSON("data")
  ", status, opened_at, updated_at FROM assignments WHERE status='proposed' "
  "ORDER BY client_id, rule, key",
  "SELECT fingerprint, rule, client_id, key, NULL, severity, level, assignee, title, "
  CP_QUERY_AS_JSON("data") ", status, opened_at, updated_at FROM alerts WHERE status='open' "
  "ORDER BY client_id, rule, key",
};

const char cp_query_feed_sql[] =
  "SELECT seq, type, run_id, at, " CP_QUERY_AS_JSON("body") " FROM events WHERE seq > ?1 "
  "ORDER BY seq LIMIT ?2";

static const char summary_sql[] =
  "SELECT 'alert', rule, severity, count(*), 0 FROM alerts WHERE status='open' "
  "GROUP BY rule, severity UNION ALL "
  "SELECT 'assignment', kind, '', count(*), count(*) - count(assignee) FROM assignments "
  "WHERE status='proposed' GROUP BY kind ORDER BY 1, 2, 3";

int cp_query_format_parse(const char *s)
{
  static const char *const names[] = {"table", "jsonl", "csv", "alertmanager"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0)
      return i;
  return -1;
}


/* Severity name as people read it in cfg's locale (and labels); the name
 * itself without a config or for a name that is no severity. */
static const char *severity_shown(const cp_config *cfg, const char *name)
{
  int s = cp_outcome_severity_parse(name);
  return cfg && s >= 0 ? cp_locale_severity(cfg, s) : name;
}

cp_err cp_query_open(const char *path, sqlite3 **db)
{
  *db = NULL;
  cp_err found = cp_statedb_found(path);
  if (found != CP_OK)
    return found;
  /* the timeout before the first statement: preparing reads the schema, which
   * a run that is starting or ending may hold for a moment */
  int version;
  if (cp_stateread_open(path, db) != SQLITE_OK) {
    cp_err rc = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(*db));
    sqlite3_close(*db);
    *db = NULL;
    return rc;
  }
  cp_err rc = cp_statedb_check(*db, path, &version);   /* refuses a newer schema */
  if (rc == CP_OK && version == 0)   /* an empty file a failed first run left, the facts */
    rc = cp_diag_fail(CP_ESTATE, "state: %s is not a crmpolicy state database (it has no runs "
                      "table: no run has written it)", path);
  if (rc == CP_OK)
    rc = cp_statedb_has_run(*db, path);
  if (rc != CP_OK) {
    sqlite3_close(*db);
    *db = NULL;
  }
  return rc;
}

/* Opens the state database for reading (cp_query_open) and prepares q. */
static cp_err open_query(const char *path, const char *q, sqlite3 **db, sqlite3_stmt **st)
{
  *st = NULL;
  cp_err rc = cp_query_open(path, db);
  if (rc == CP_OK && sqlite3_prepare_v2(*db, q, -1, st, NULL) != SQLITE_OK) {
    rc = cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(*db));
    sqlite3_close(*db);
  }
  return rc;
}

/* Finishes a query: reports a stepping error, frees everything. */
static cp_err close_query(const char *path, sqlite3 *db, sqlite3_stmt *st, int rc)
{
  cp_err err = rc == SQLITE_DONE ? CP_OK
                                 : cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
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
    cp_sbuf_add(b, ",");
  if (!v)
    return;
  int quoted = strpbrk(v, ",\"\r\n") != NULL;
  if (quoted)
    cp_sbuf_add(b, "\"");
  for (const char *p = v, *q; *p; p = q + 1) {   /* a state edited by hand: UTF-8 still */
    q = strchr(p, '"');
    cp_sbuf_add_utf8(b, p, q ? (size_t)(q - p) : strlen(p));
    if (!q)
      break;
    cp_sbuf_add(b, "\"\"");   /* quotes inside a quoted field are doubled */
  }
  if (quoted)
    cp_sbuf_add(b, "\"");
}

/* Column widths of the tables, in terminal columns; the last column (title
 * or data) is not cut. Negative: aligned right. */
static const int alert_widths[] = {10, 22, 10, 8, -3, 8, 0};
static const int assign_widths[] = {10, 16, 20, 14, 8, 0};
#define LABEL_WIDTH_MAX 40   /* the widest a column of labels grows to fit them */
#define ASSIGNEE_WIDTH 8       /* the assignee column, at least ... */
#define ASSIGNEE_WIDTH_MAX 24  /* ... and at most, as wide as the widest id listed */
#define ID_WIDTH_MAX 40        /* the client and key columns: as wide as the widest listed,
                                  from their widths above, up to this */

/* The widths of the columns that fit what the table lists. */
typedef struct fit {
  int client, key, assignee;
} fit;

/* Appends one table line of cells to b, each padded to its column's display
 * width (a CJK character is two columns) or cut with an ellipsis; the
 * columns of labels (rule, kind) are as wide as the config's widest label
 * needs, up to LABEL_WIDTH_MAX. */
static void table_row(sbuf *b, int alerts, const char *const *cells, const cp_config *cfg,
                      const fit *f)
{
  int aw[sizeof alert_widths / sizeof alert_widths[0]];
  int sw[sizeof assign_widths / sizeof assign_widths[0]];
  memcpy(aw, alert_widths, sizeof aw);
  memcpy(sw, assign_widths, sizeof sw);
  aw[5] = sw[4] = f->assignee;
  aw[0] = sw[0] = f->client;
  aw[2] = sw[2] = f->key;
  aw[1] = cp_locale_label_width(cfg, "rules", alert_widths[1], LABEL_WIDTH_MAX);
  sw[1] = cp_locale_label_width(cfg, "rules", assign_widths[1], LABEL_WIDTH_MAX);
  sw[3] = cp_locale_label_width(cfg, "kinds", assign_widths[3], LABEL_WIDTH_MAX);
  const int *w = alerts ? aw : sw;
  size_t n = alerts ? 7 : 6;
  sbuf safe = {0};   /* a cell with its control characters escaped */
  for (size_t i = 0; i < n; i++) {
    const char *c = cells[i] ? cells[i] : "";
    cp_sbuf_clear(&safe);
    cp_sbuf_term_str(&safe, c, strlen(c));
    c = safe.s ? safe.s : "";
    if (i + 1 == n) {
      cp_sbuf_add(b, c);
      break;
    }
    cp_textwidth_cell(b, c, w[i] < 0 ? -w[i] : w[i], w[i] < 0);
    cp_sbuf_add(b, w[i] < 0 ? "  " : " ");
  }
  cp_sbuf_free(&safe);
}

/* Formats the current row of a results query into b; the table shows rule
 * ids and severities under cfg's labels (cfg may be NULL), its clients, keys
 * and assignees in columns of the widths f. */
static void format_row(sbuf *b, sqlite3_stmt *st, int alerts, cp_format fmt,
                       const cp_config *cfg, const fit *f)
{
  cp_record r = {.is_alert = alerts, .fingerprint = text(st, 0), .rule = text(st, 1),
                 .client_id = text(st, 2), .key = text(st, 3), .kind = text(st, 4),
                 .severity = text(st, 5), .level = sqlite3_column_int(st, 6),
                 .assignee = text(st, 7), .title = text(st, 8), .data = text(st, 9),
                 .status = text(st, 10), .opened_at = text(st, 11), .updated_at = text(st, 12)};
  char level[16];
  snprintf(level, sizeof level, "%d", r.level);
  const char *rule = fmt == CP_FMT_TABLE ? cp_locale_label(cfg, "rules", r.rule) : r.rule;
  const char *kind = fmt == CP_FMT_TABLE && r.kind ? cp_locale_label(cfg, "kinds", r.kind) : r.kind;
  if (fmt == CP_FMT_ALERTMANAGER && cp_locale_label(cfg, "rules", r.rule) != r.rule)
    r.rule_label = cp_locale_label(cfg, "rules", r.rule);
  const char *sev = fmt == CP_FMT_TABLE ? severity_shown(cfg, r.severity) : r.severity;
  if (fmt == CP_FMT_JSONL) {
    sbuf fixed = {0};   /* JSON data that is not UTF-8 (a state edited by hand): a string */
    if (r.data && !cp_sbuf_is_utf8(r.data, strlen(r.data))) {
      cp_sbuf_json_str(&fixed, r.data, strlen(r.data));
      r.data = fixed.s ? fixed.s : "{}";
    }
    cp_record_json(b, &r);
    cp_sbuf_free(&fixed);
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
    const char *alert_cols[] = {r.client_id, rule, r.key, sev, level,
                                r.assignee ? r.assignee : "-", r.title};
    const char *assign_cols[] = {r.client_id, rule, r.key, kind,
                                 r.assignee ? r.assignee : "-", r.data};
    table_row(b, alerts, alerts ? alert_cols : assign_cols, cfg, f);
  }
  if (fmt != CP_FMT_ALERTMANAGER)   /* its rows are elements of one array; CSV: RFC 4180 */
    cp_sbuf_add(b, fmt == CP_FMT_CSV ? "\r\n" : "\n");
}

/* The table head of alerts, by locale. */
static const char *const alert_heads[CP_LOCALE_COUNT][7] = {
  {"CLIENT", "RULE", "KEY", "SEVERITY", "LVL", "ASSIGNEE", "TITLE"},
  {"客户", "规则", "键", "严重程度", "级", "负责人", "标题"},
};

/* The table head of assignments, by locale. */
static const char *const assign_heads[CP_LOCALE_COUNT][6] = {
  {"CLIENT", "RULE", "KEY", "KIND", "ASSIGNEE", "DATA"},
  {"客户", "规则", "键", "类型", "负责人", "数据"},
};

/* Prints the header line of a format, if it has one; the alerts table's
 * in the locale of cfg (may be NULL). */
static void header(FILE *out, int alerts, cp_format fmt, const cp_config *cfg, const fit *f)
{
  const char *const *h = alert_heads[cp_locale_of(cfg)];
  if (fmt == CP_FMT_ALERTMANAGER)
    fputs("[\n", out);
  else if (fmt == CP_FMT_CSV)
    fputs(alerts ? "client_id,rule,key,severity,level,assignee,title,opened_at,updated_at,data\r\n"
                 : "client_id,rule,key,kind,assignee,opened_at,updated_at,data\r\n", out);
  else if (fmt == CP_FMT_TABLE) {
    sbuf b = {0};
    table_row(&b, alerts, alerts ? h : assign_heads[cp_locale_of(cfg)], cfg, f);
    fprintf(out, "%s\n", b.s ? b.s : "");
    cp_sbuf_free(&b);
  }
}

/* Widens column width *w to fit text s (NULL: nothing), up to max. */
static void widen(int *w, const char *s, int max)
{
  int n = s ? cp_textwidth_of(s) : 0;
  if (n > *w)
    *w = n < max ? n : max;
}

cp_err cp_query_results(const char *path, int alerts, cp_format fmt, const cp_config *cfg,
                        int bom, FILE *out)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  sbuf b = {0};
  cp_err err = open_query(path, results_sql[alerts != 0], &db, &st);
  if (err != CP_OK)
    return err;
  if (fmt == CP_FMT_ALERTMANAGER && !alerts) {
    close_query(path, db, st, SQLITE_DONE);
    return cp_diag_fail(CP_EUSAGE, "--format alertmanager is for alerts, not assignments");
  }
  int rc = SQLITE_DONE, first = 1;
  fit f = {alert_widths[0], alerts ? alert_widths[2] : assign_widths[2], ASSIGNEE_WIDTH};
  while (fmt == CP_FMT_TABLE && (rc = sqlite3_step(st)) == SQLITE_ROW) {   /* fit the ids */
    widen(&f.client, text(st, 2), ID_WIDTH_MAX);
    widen(&f.key, text(st, 3), ID_WIDTH_MAX);
    widen(&f.assignee, text(st, 7), ASSIGNEE_WIDTH_MAX);
  }
  sqlite3_reset(st);
  if (bom && fmt == CP_FMT_CSV)
    fputs("\xef\xbb\xbf", out);
  header(out, alerts, fmt, cfg, &f);
  while (!ferror(out) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    cp_sbuf_clear(&b);
    if (fmt == CP_FMT_ALERTMANAGER)
      cp_sbuf_add(&b, first ? "" : ",\n");
    format_row(&b, st, alerts, fmt, cfg, &f);
    fwrite(b.s, 1, b.len, out);
    first = 0;
  }
  if (fmt == CP_FMT_ALERTMANAGER)
    fputs(first ? "]\n" : "\n]\n", out);
  cp_sbuf_free(&b);
  if (ferror(out))   /* the reader went (| head) or the disk is full: the caller says so */
    rc = SQLITE_DONE;
  return close_query(path, db, st, rc);
}

/* Appends column i of st as a JSON string ("" for a NULL). */
static void json_column(sbuf *b, sqlite3_stmt *st, int i)
{
  const char *s = text(st, i);
  cp_sbuf_json_str(b, s ? s : "", s ? (size_t)sqlite3_column_bytes(st, i) : 0);
}

void cp_query_event(sbuf *b, sqlite3_stmt *st, const char *epoch)
{
  /* Every text goes through the JSON writer, so that a state edited by hand
   * (a quote in a type, a byte that is not UTF-8 in a body, which SQLite's
   * json_valid() lets through) still gives one valid line of UTF-8. */
  const char *type = text(st, 1), *body = text(st, 4);
  size_t n = body ? (size_t)sqlite3_column_bytes(st, 4) : 0;
  cp_sbuf_printf(b, "{\"seq\":%lld,\"type\":", (long long)sqlite3_column_int64(st, 0));
  json_column(b, st, 1);
  cp_sbuf_printf(b, ",\"run_id\":%lld,\"at\":", (long long)sqlite3_column_int64(st, 2));
  json_column(b, st, 3);
  cp_sbuf_add(b, ",\"epoch\":");
  cp_sbuf_json_str(b, epoch, strlen(epoch));
  cp_sbuf_printf(b, ",\"%s\":", type && strncmp(type, "alert.", 6) == 0 ? "alert" : "assignment");
  if (body && cp_sbuf_is_utf8(body, n))
    cp_sbuf_add_json_text(b, body, n);
  else   /* as the query makes of a body that is not JSON: a string */
    cp_sbuf_json_str(b, body ? body : "", n);
  cp_sbuf_add(b, "}");
}

cp_err cp_query_feed(sqlite3 *db, const char *path, const char *epoch, int64_t since,
                     int64_t limit, FILE *out)
{
  sqlite3_stmt *st;
  sbuf b = {0};
  if (sqlite3_prepare_v2(db, cp_query_feed_sql, -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
  sqlite3_bind_int64(st, 1, since);
  sqlite3_bind_int64(st, 2, limit >= 0 ? limit : -1);   /* -1: no limit */
  int rc = SQLITE_DONE;
  /* stops once out fails (feed | head: the reader went), instead of
   * formatting the rest of the feed for no one; the caller says so */
  while (!ferror(out) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    cp_sbuf_clear(&b);
    cp_query_event(&b, st, epoch);
    cp_sbuf_add(&b, "\n");
    fwrite(b.s, 1, b.len, out);
  }
  cp_sbuf_free(&b);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || ferror(out) ? CP_OK
                           : cp_diag_fail(CP_ESTATE, "state: %s: %s", path, sqlite3_errmsg(db));
}

cp_err cp_query_summary(const char *path, const cp_config *cfg, FILE *out)
{
  static const char *const kinds[CP_LOCALE_COUNT][2] = {{"alert", "assignment"},
                                                        {"预警", "分派"}};
  const char *const *kind = kinds[cp_locale_of(cfg)];
  sqlite3 *db;
  sqlite3_stmt *st;
  cp_err err = open_query(path, summary_sql, &db, &st);
  if (err != CP_OK)
    return err;
  int rc, label_width = cp_locale_label_width(cfg, "rules", 24, LABEL_WIDTH_MAX),
          kind_width = cp_locale_label_width(cfg, "kinds", 24, LABEL_WIDTH_MAX);
  label_width = kind_width > label_width ? kind_width : label_width;   /* counts aligned */
  sbuf b = {0}, safe = {0};
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int alert = strcmp(text(st, 0), "alert") == 0;
    const char *sev = alert ? severity_shown(cfg, text(st, 2)) : "";
    const char *cells[] = {kind[!alert], cp_locale_label(cfg, alert ? "rules" : "kinds",
                                                      text(st, 1)), sev};
    const int widths[] = {10, label_width, 8};
    cp_sbuf_clear(&b);
    cp_sbuf_add(&b, "  ");
    for (int i = 0; i < 3; i++) {   /* padded by display width: labels may be CJK */
      cp_sbuf_clear(&safe);
      cp_sbuf_term_str(&safe, cells[i], strlen(cells[i]));
      cp_textwidth_cell(&b, safe.s ? safe.s : "", widths[i], 0);
      cp_sbuf_add(&b, " ");
    }
    fprintf(out, "%s%7lld", b.s ? b.s : "", (long long)sqlite3_column_int64(st, 3));
    if (sqlite3_column_int64(st, 4) > 0) {   /* picks that found nobody, with no unfilled alert */
      char n[32];
      cp_progress_format_count(n, (uint64_t)sqlite3_column_int64(st, 4));
      fprintf(out, cp_locale_msg(cp_locale_of(cfg), CP_MSG_RUN_NO_ASSIGNEE), n);
    }
    fputc('\n', out);
  }
  cp_sbuf_free(&b);
  cp_sbuf_free(&safe);
  return close_query(path, db, st, rc);
}
