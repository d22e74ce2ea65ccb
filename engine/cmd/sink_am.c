/* sink_am.c: the alertmanager sink: after each push, Alertmanager's active
 * alerts are crmpolicy's open alerts, one for one. Every open alert is
 * posted with startsAt = when it opened and endsAt ends_after_hours ahead;
 * a label set posted before that is no longer open (resolved, or its labels
 * changed: a new severity or assignee) is posted with endsAt = now. The
 * label sets posted are kept in the state (sink_alerts). What leaves is what
 * the config's feed section lets the feed carry. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "consumer.h"
#include "dates.h"
#include "http.h"
#include "cplocale.h"
#include "progress.h"
#include "push.h"
#include "record.h"
#include "sbuf.h"

#define AM_BATCH 500   /* alerts per POST */

static const char want_sql[] =
  "CREATE TEMP TABLE IF NOT EXISTS am_want(labels TEXT PRIMARY KEY, starts_at TEXT NOT NULL, "
  "body TEXT NOT NULL); DELETE FROM temp.am_want";

static const char open_sql[] =
  "SELECT fingerprint, rule, client_id, key, severity, level, assignee, title, data, "
  "opened_at FROM alerts WHERE status='open' ORDER BY client_id, rule, key";

/* A kept set that is not a JSON object (the state edited by hand) was never
 * taken by Alertmanager: it is not posted, and the next keep forgets it. */
static const char ended_sql[] =
  "SELECT labels, starts_at FROM sink_alerts WHERE sink=?1 AND labels NOT IN "
  "(SELECT labels FROM temp.am_want) AND "
  "CASE WHEN json_valid(labels) THEN json_type(labels) END = 'object' ORDER BY labels";

static const char keep_sql[] =
  "DELETE FROM sink_alerts WHERE sink=?1; INSERT INTO sink_alerts(sink, labels, starts_at) "
  "SELECT ?1, labels, starts_at FROM temp.am_want";

/* Writes the UTC time t as RFC 3339 into buf (24 bytes): the year in four
 * digits, as RFC 3339 has it (strftime's %Y writes the year 1 as "1", and
 * Alertmanager refused the whole batch of an alert opened by a replay as of
 * 0001-01-01). */
static void rfc3339(time_t t, char *buf)
{
  struct tm tm;
  gmtime_r(&t, &tm);
  long year = tm.tm_year + 1900L;
  snprintf(buf, 24, "%04u-%02u-%02uT%02u:%02u:%02uZ",
           (unsigned)(year < 0 ? 0 : year > 9999 ? 9999 : year), (unsigned)(tm.tm_mon + 1) % 100u,
           (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
           (unsigned)tm.tm_sec % 100u);
}

/* Writes into buf (24 bytes) the startsAt of an alert opened at opened
 * ("YYYY-MM-DDTHH:MM:SS", on the CRM's clock, which is this machine's local
 * time): in UTC, and never after now (Alertmanager refuses an alert that
 * starts after it ends, and an ended alert ends now; a run as of today
 * opens its alerts at 23:59:59 of today, still to come). */
static void starts_at(const char *opened, time_t now, char *buf)
{
  int64_t civil;   /* the opening time's fields, read as local time by mktime() */
  struct tm tm;
  time_t t = now, c;
  if (opened && cp_dates_parse_timestamp(opened, strlen(opened), &civil) == 0 &&
      gmtime_r(&(time_t){(time_t)civil}, &tm)) {
    tm.tm_isdst = -1;
    if ((c = mktime(&tm)) != (time_t)-1 && c < now)
      t = c;
  }
  rfc3339(t, buf);
}

/* Returns whether s is a time as rfc3339() writes it (YYYY-MM-DDTHH:MM:SSZ). */
static int is_rfc3339(const char *s)
{
  static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
  for (size_t i = 0; i < sizeof form - 1; i++)
    if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
      return 0;
  return s[sizeof form - 1] == '\0';
}

/* Reports the state's last error; returns -1. */
static int state_error(cp_pusher *p)
{
  cp_diag_fail(CP_ESTATE, "state: %s: %s", p->path, sqlite3_errmsg(p->db));
  return -1;
}

/* Prepares sql on the pusher's state; reports a failure. */
static int prepare(cp_pusher *p, const char *sql, sqlite3_stmt **st)
{
  return sqlite3_prepare_v2(p->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : state_error(p);
}

/* Returns text column i. */
static const char *text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

/* Fills temp.am_want with every open alert as it is posted. */
static int build_wanted(cp_pusher *p, time_t now, const char *ends, sbuf *labels, sbuf *body,
                        uint64_t *n)
{
  sqlite3_stmt *rd = NULL, *ins = NULL;
  if (sqlite3_exec(p->db, want_sql, NULL, NULL, NULL) != SQLITE_OK)
    return state_error(p);
  if (prepare(p, open_sql, &rd) ||
      prepare(p, "INSERT OR REPLACE INTO temp.am_want VALUES(?1, ?2, ?3)", &ins)) {
    sqlite3_finalize(rd);
    return -1;
  }
  int rc;
  char starts[32];
  while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
    cp_record r = {.is_alert = 1, .fingerprint = text(rd, 0), .rule = text(rd, 1),
                   .client_id = text(rd, 2), .key = text(rd, 3), .severity = text(rd, 4),
                   .level = sqlite3_column_int(rd, 5), .assignee = text(rd, 6),
                   .title = text(rd, 7), .data = text(rd, 8), .opened_at = text(rd, 9)};
    r.rule_label = cp_locale_label(p->cfg, "rules", r.rule);   /* as alerts --format alertmanager */
    char m[4][17];
    cp_record shown = cp_record_private(&p->cfg->file->feed, &r, m);
    starts_at(r.opened_at, now, starts);
    cp_sbuf_clear(labels);
    cp_sbuf_clear(body);
    cp_record_am_labels(labels, &shown);
    cp_record_alertmanager(body, &shown);
    body->s[--body->len] = '\0';   /* reopen the object for the times */
    cp_sbuf_printf(body, ",\"startsAt\":\"%s\",\"endsAt\":\"%s\"}", starts, ends);
    /* a text that could not be copied would be pushed as NULL */
    if (labels->oom || body->oom ||
        sqlite3_bind_text(ins, 1, labels->s, (int)labels->len, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_text(ins, 2, starts, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_text(ins, 3, body->s, (int)body->len, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(ins) != SQLITE_DONE)
      break;
    sqlite3_reset(ins);
    (*n)++;
  }
  sqlite3_finalize(rd);
  sqlite3_finalize(ins);
  if (rc == SQLITE_DONE)
    return 0;
  return state_error(p);
}

/* POSTs the JSON array in b, the alerts first to first + n - 1 of the ones
 * st yields, to Alertmanager; reports a failure. Returns 0 when posted, 1
 * when Alertmanager refused this array (a 4xx: its content, which the
 * other arrays do not share), -1 on any other failure (no answer, a 5xx
 * after the retries: the next array would fare the same). */
static int post(cp_pusher *p, const cp_sink_cfg *s, sbuf *b, uint64_t first, uint64_t n)
{
  char what[320];
  cp_http_result res;
  sbuf url = {0};   /* sized to the url: a fixed buffer cut a long query, silently */
  if (b->oom)
    return cp_push_failed(p, s, "out of memory");
  size_t path = strcspn(s->url, "?#");   /* the API path goes before a query */
  cp_sbuf_printf(&url, "%.*s%sapi/v2/alerts%s", (int)path, s->url,
                 path && s->url[path - 1] == '/' ? "" : "/", s->url + path);
  if (url.oom || !url.s) {
    cp_sbuf_free(&url);
    return cp_push_failed(p, s, "out of memory");
  }
  int posted = cp_http_post(s, url.s, b->s, b->len, NULL, &res);
  cp_sbuf_free(&url);
  if (posted == 0)
    return 0;
  snprintf(what, sizeof what, "%s after %u attempt%s (posting %llu alerts, %llu to %llu)",
           res.error, res.attempts, res.attempts == 1 ? "" : "s", (unsigned long long)n,
           (unsigned long long)first, (unsigned long long)(first + n - 1));
  cp_push_failed(p, s, what);
  return res.status >= 400 && res.status < 500 && res.status != 408 && res.status != 429 ? 1 : -1;
}

/* Posts the alert objects that st yields (ended: built from labels and
 * startsAt with endsAt now; else column 0 as is) in arrays of AM_BATCH. An
 * array that Alertmanager refuses does not keep the arrays after it out
 * (one alert it cannot take would hide every alert after it, night after
 * night); the others are posted, and -1 is returned at the end. */
static int post_all(cp_pusher *p, const cp_sink_cfg *s, sqlite3_stmt *st, const char *now,
                    int ended, uint64_t *n)
{
  sbuf b = {0};
  int rc = 0, step, refused = 0;
  uint64_t in = 0;
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if (ended && !cp_sbuf_is_utf8(text(st, 0), strlen(text(st, 0))))
      continue;   /* a set edited by hand, which Alertmanager never took: forgotten */
    cp_sbuf_add(&b, in ? "," : "[");
    if (ended) {   /* a set kept before 2026-12-06 may start after now: it ends as it starts */
      /* a starts_at edited by hand (a date alone, a quote) ends as of now */
      const char *starts = is_rfc3339(text(st, 1)) ? text(st, 1) : now;
      cp_sbuf_printf(&b, "{\"labels\":%s,\"startsAt\":\"%s\",\"endsAt\":\"%s\"}", text(st, 0),
                     starts, strcmp(starts, now) > 0 ? starts : now);
    } else {
      cp_sbuf_add(&b, text(st, 0));
    }
    (*n)++;
    if (++in == AM_BATCH) {
      cp_sbuf_add(&b, "]");
      rc = post(p, s, &b, *n - in + 1, in);
      refused |= rc == 1;
      rc = rc == 1 ? 0 : rc;
      cp_sbuf_clear(&b);
      in = 0;
    }
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = state_error(p);
  if (rc == 0 && in) {
    cp_sbuf_add(&b, "]");
    rc = post(p, s, &b, *n - in + 1, in);
    refused |= rc == 1;
  }
  cp_sbuf_free(&b);
  return rc == 0 && !refused ? 0 : -1;
}

/* Ends what is no longer open, posts what is, then keeps the posted sets. */
static int sync_alerts(cp_pusher *p, const cp_sink_cfg *s, const char *now, uint64_t *ended)
{
  sqlite3_stmt *st = NULL;
  uint64_t posted = 0;
  int rc = prepare(p, ended_sql, &st);
  if (rc == 0) {
    sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
    rc = post_all(p, s, st, now, 1, ended);
  }
  sqlite3_finalize(st);
  st = NULL;
  /* the open alerts are posted even when ending the others failed: one
   * refused post must not keep every later alert out; the sets are kept
   * only when both went through, so the ended ones are posted again */
  int opened = prepare(p, "SELECT body FROM temp.am_want ORDER BY labels", &st);
  if (opened == 0)
    opened = post_all(p, s, st, now, 0, &posted);
  rc = rc ? rc : opened;
  sqlite3_finalize(st);
  st = NULL;
  for (const char *sql = keep_sql; rc == 0 && *sql; ) {
    if (sqlite3_prepare_v2(p->db, sql, -1, &st, &sql) != SQLITE_OK)
      return state_error(p);
    sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
    if (st && sqlite3_step(st) != SQLITE_DONE)
      rc = state_error(p);
    sqlite3_finalize(st);
    st = NULL;
  }
  return rc;
}

int cp_sink_am_deliver(cp_pusher *p, const cp_sink_cfg *s)
{
  char now[24], ends[24], name[160], a[32], b[32];
  time_t t = time(NULL);
  uint64_t open = 0, ended = 0;
  sbuf labels = {0}, body = {0};
  rfc3339(t, now);
  rfc3339(t + (time_t)s->ends_after_hours * 3600, ends);
  int rc = build_wanted(p, t, ends, &labels, &body, &open);
  cp_sbuf_free(&labels);
  cp_sbuf_free(&body);
  if (rc == 0)
    rc = sync_alerts(p, s, now, &ended);
  snprintf(name, sizeof name, "sink:%s", s->name);
  if (rc == 0 && cp_consumer_set(p->db, p->path, name, p->last_seq) != CP_OK)
    rc = -1;
  if (rc == 0 && !p->quiet) {
    cp_progress_format_count(a, open);
    cp_progress_format_count(b, ended);
    printf("push: sink '%s' (alertmanager): %s open alerts posted, %s ended, now at seq %lld\n",
           s->name, a, b, (long long)p->last_seq);
  }
  return rc;
}
