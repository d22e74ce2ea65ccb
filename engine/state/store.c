/* store.c: applies outcomes to the state database inside one transaction.
 *
 * The state before the run is read through a second connection that holds a
 * snapshot (WAL mode), in (client_id, rule, key) order; each client's sorted
 * outcome is merged against it as clients stream by, so memory stays flat. */
#include "store.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "dates.h"
#include "record.h"
#include "sbuf.h"
#include "stateread.h"

/* The opened_at of a result opened again: its own, when it closed after the
 * day of the run (a replay of an earlier day: it was open then), else the
 * run's. */
#define REOPENED_AT                                                                  \
  "opened_at=CASE WHEN updated_at > excluded.opened_at AND opened_at <= excluded.opened_at " \
  "THEN opened_at ELSE excluded.opened_at END, "

/* Prepared statements of the writer, by use. */
enum {
  S_RUN, S_FINISH, S_OPEN_ALERT, S_UPDATE_ALERT, S_CLOSE_ALERT, S_OPEN_ASSIGN,
  S_UPDATE_ASSIGN, S_PICK_ASSIGN, S_CLOSE_ASSIGN, S_EVENT, S_RULE_ERROR, S_FINDING,
  S_REOPEN_ALERT, S_REOPEN_ASSIGN, S_LATER, S_BACKDATE_ASSIGN, S_COUNT
};

/* Opening an alert or proposing an assignment: an insert, or an update of
 * the row closed before. RETURNING costs SQLite a temporary table a row
 * (measured: 6% of a first run's instructions), so a run takes the stored
 * opened_at back (the S_REOPEN_* forms) only where REOPENED_AT can keep an
 * older one: when the state holds a run as of a later day. */
#define OPEN_ALERT                                                                       \
  "INSERT INTO alerts(fingerprint, rule, client_id, key, severity, level, assignee, title, " \
  "data, status, opened_at, updated_at, run_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,'open',"   \
  "?10,?10,?11) ON CONFLICT(client_id, rule, key) DO UPDATE SET severity=excluded.severity, " \
  "level=excluded.level, assignee=excluded.assignee, title=excluded.title, "                 \
  "data=excluded.data, status='open', " REOPENED_AT                                          \
  "updated_at=excluded.updated_at, run_id=excluded.run_id"
#define OPEN_ASSIGN                                                                      \
  "INSERT INTO assignments(fingerprint, rule, client_id, key, kind, assignee, data, status, " \
  "opened_at, updated_at, run_id, pick_pool, pick_group) "                                  \
  "VALUES(?1,?2,?3,?4,?5,?6,?7,'proposed',?8,?8,?9,?10,?11) "                               \
  "ON CONFLICT(client_id, rule, key) DO UPDATE SET kind=excluded.kind, "                    \
  "assignee=excluded.assignee, data=excluded.data, status='proposed', " REOPENED_AT        \
  "updated_at=excluded.updated_at, run_id=excluded.run_id, "                                \
  "pick_pool=excluded.pick_pool, pick_group=excluded.pick_group"

static const char *const sql[S_COUNT] = {
  [S_RUN] = "INSERT INTO runs(as_of, started_at, status, config, facts) "
            "VALUES(?1, ?2, 'running', ?3, ?4)",
  [S_FINISH] = "UPDATE runs SET finished_at=?2, status=?3, clients=?4, rule_errors=?5, "
               "findings=?6, events=?7 WHERE id=?1",
  [S_OPEN_ALERT] = OPEN_ALERT,
  [S_REOPEN_ALERT] = OPEN_ALERT " RETURNING opened_at",
  [S_UPDATE_ALERT] = "UPDATE alerts SET severity=?2, level=?3, assignee=?4, title=?5, data=?6, "
                     "updated_at=?7, run_id=?8, opened_at=min(opened_at, ?7) WHERE id=?1",
  [S_CLOSE_ALERT] = "UPDATE alerts SET status=?2, updated_at=?3, run_id=?4 WHERE id=?1",
  [S_OPEN_ASSIGN] = OPEN_ASSIGN,
  [S_REOPEN_ASSIGN] = OPEN_ASSIGN " RETURNING opened_at",
  [S_UPDATE_ASSIGN] = "UPDATE assignments SET kind=?2, assignee=?3, data=?4, updated_at=?5, "
                      "run_id=?6, opened_at=min(opened_at, ?5) WHERE id=?1",
  [S_PICK_ASSIGN] = "UPDATE assignments SET pick_pool=?2, pick_group=?3 WHERE id=?1",
  [S_CLOSE_ASSIGN] = "UPDATE assignments SET status=?2, updated_at=?3, run_id=?4 WHERE id=?1",
  [S_EVENT] = "INSERT INTO events(run_id, type, at, fingerprint, rule, client_id, key, body) "
              "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
  [S_RULE_ERROR] = "INSERT INTO rule_errors(run_id, rule, client_id, message, traceback) "
                   "VALUES(?1,?2,?3,?4,?5)",
  [S_FINDING] = "INSERT INTO findings(run_id, tbl, row_id, col, value, problem) "
                "VALUES(?1,?2,?3,?4,?5,?6)",
  [S_LATER] = "SELECT EXISTS(SELECT 1 FROM runs WHERE as_of > ?1)",
  [S_BACKDATE_ASSIGN] = "UPDATE assignments SET updated_at=?2 WHERE id=?1",
};

/* The snapshot cursors: open alerts and proposed assignments, in order. */
static const char *const cursor_sql[2] = {
  "SELECT id, client_id, rule, key, severity, level, assignee, title, data, opened_at, "
  "fingerprint, updated_at, NULL, NULL FROM alerts WHERE status='open' "
  "ORDER BY client_id, rule, key",
  "SELECT id, client_id, rule, key, kind, 0, assignee, NULL, data, opened_at, "
  "fingerprint, updated_at, pick_pool, pick_group FROM assignments WHERE status='proposed' "
  "ORDER BY client_id, rule, key",
};

/* Columns of a snapshot cursor row. */
enum { C_ID, C_CLIENT, C_RULE, C_KEY, C_SEVERITY_OR_KIND, C_LEVEL, C_ASSIGNEE, C_TITLE,
       C_DATA, C_OPENED, C_FINGERPRINT, C_UPDATED, C_POOL, C_GROUP, C_COUNT };

static const char *const event_names[CP_EV_COUNT] = {
  "alert.opened", "alert.escalated", "alert.updated", "alert.resolved",
  "assignment.proposed", "assignment.updated", "assignment.fulfilled",
  "assignment.withdrawn",
};

/* One open result from before the run (strings borrowed or in an arena). */
typedef struct prior {
  int64_t id;               /* row id */
  int level;                /* alerts: level */
  const char *col[C_COUNT];  /* text columns, by C_* index */
} prior;

/* A cursor over the state before the run, and the rows of the client it is
 * at, buffered so that evaluation can read them before they are merged. */
typedef struct cursor {
  sqlite3_stmt *stmt;       /* on the reader connection */
  int ready;                /* positioned on a row */
  prior *rows;              /* the sought client's rows */
  size_t n, cap;            /* rows used and allocated */
  cp_arena arena;           /* their strings */
} cursor;

struct cp_store {
  sqlite3 *db;              /* writer */
  sqlite3 *rd;              /* reader of the snapshot */
  cp_err broken;            /* a read whose caller takes no error failed: the commit refuses */
  char *path;               /* state database path */
  sqlite3_stmt *st[S_COUNT];  /* writer statements */
  cursor cur[2];            /* 0: alerts, 1: assignments */
  char *sought;             /* client whose prior rows are buffered, or NULL */
  int in_run;               /* a transaction is open */
  int64_t run_id;           /* current run */
  char at[24];              /* as-of time as text */
  cp_store_stats stats;     /* figures of the run */
  sbuf body;                /* scratch for event bodies */
  const cp_feed_cfg *feed;  /* privacy of the feed, or NULL */
  cp_last_run last;         /* the state before this run */
  int replay;               /* the run is as of a day before the last run's */
  int later;                /* the state holds a run as of a later day */
  int picks_held;           /* cp_store_open_picks() ran for this run */
  sqlite3_stmt *closed;     /* replay: an assignment closed after the run's day */
};

const char *cp_store_event_name(cp_event e)
{
  return (unsigned)e < CP_EV_COUNT ? event_names[e] : "?";
}

const cp_store_stats *cp_store_stats_of(const cp_store *s)
{
  return &s->stats;
}

int64_t cp_store_run_id(const cp_store *s)
{
  return s->run_id;
}

const cp_last_run *cp_store_last(const cp_store *s)
{
  return &s->last;
}

/* Prints the writer's (or reader's) last error and returns CP_ESTATE. */
static cp_err fail(const cp_store *s, sqlite3 *db, const char *doing)
{
  /* SQLite names neither the file nor the cause: "attempt to write a
   * readonly database" of a file whose mode was mended (its -shm kept the
   * old one), "unable to open database file" on a read-only file system */
  char why[3 * PATH_MAX];
  int code = sqlite3_errcode(db) & 0xff;
  why[0] = '\0';
  char fds[256];
  if (code == SQLITE_CANTOPEN && cp_diag_fd_limit(sqlite3_system_errno(db), fds, sizeof fds))
    snprintf(why, sizeof why, " (%s)", fds);
  else if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
    cp_stateread_unwritable(s->path, why, sizeof why);
  else
    cp_stateread_size_limit(db, why, sizeof why);
  return cp_diag_fail(CP_ESTATE, "state: %s: %s: %s%s", s->path, doing, sqlite3_errmsg(db), why);
}

/* SQLite rolls the whole transaction back by itself after some errors in
 * any statement (out of memory, a full disk, I/O); a write after that would
 * run on its own and be committed at once, half a run kept. Every write
 * first checks that the run's transaction is still open (else st is reset). */
static cp_err in_transaction(cp_store *s, sqlite3_stmt *st, const char *doing)
{
  if (!sqlite3_get_autocommit(s->db))
    return CP_OK;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return cp_diag_fail(CP_ESTATE, "state: %s: %s: the run's transaction was rolled back after an "
                      "earlier error; nothing was written", s->path, doing);
}

/* Steps a bound writer statement to completion and resets it. */
static cp_err exec_stmt(cp_store *s, sqlite3_stmt *st, const char *doing)
{
  cp_err lost = in_transaction(s, st, doing);
  if (lost != CP_OK)
    return lost;
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? CP_OK : fail(s, s->db, doing);
}

/* Binds a text or NULL. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

/* Writes the current UTC wall-clock time as text into buf (24 bytes). */
static void wall_clock(char *buf)
{
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cp_store_set_feed(cp_store *s, const cp_feed_cfg *feed)
{
  s->feed = feed;
}

/* Appends an event whose body is the record after the change, as the feed's
 * privacy settings let it be seen; its columns keep the record's own
 * identity (the state keeps everything: a report of an earlier month
 * rebuilds its alerts from them). */
static cp_err event(cp_store *s, cp_event type, const cp_record *full)
{
  char m[4][17];
  cp_record shown = cp_record_private(s->feed, full, m);
  sqlite3_stmt *st = s->st[S_EVENT];
  cp_sbuf_clear(&s->body);
  cp_record_json(&s->body, &shown);
  if (s->body.oom)
    return cp_diag_fail(CP_ENOMEM, "state: out of memory");
  sqlite3_bind_int64(st, 1, s->run_id);
  bind_text(st, 2, event_names[type]);
  bind_text(st, 3, s->at);
  bind_text(st, 4, full->fingerprint);
  bind_text(st, 5, full->rule);
  bind_text(st, 6, full->client_id);
  bind_text(st, 7, full->key);
  bind_text(st, 8, s->body.s);
  s->stats.events[type]++;
  return exec_stmt(s, st, "appending an event");
}

/* Builds the record of an item reported now for client. */
static cp_record item_record(const cp_item *it, const char *client, const char *fp,
                             const char *opened, const char *at)
{
  cp_record r = {.is_alert = it->what == CP_ALERT, .fingerprint = fp, .rule = it->rule,
                 .client_id = client, .key = it->key, .kind = it->kind,
                 .severity = cp_outcome_severity_name(it->severity), .level = it->level,
                 .assignee = it->assignee, .title = it->title, .data = it->data,
                 .status = it->what == CP_ALERT ? "open" : "proposed",
                 .opened_at = opened, .updated_at = at};
  return r;
}

/* Returns text column i of the cursor's current row (NULL for NULL). */
static const char *col(const cursor *c, int i)
{
  return (const char *)sqlite3_column_text(c->stmt, i);
}

/* Returns a view of the cursor's current row (valid until it steps). */
static prior row_view(const cursor *c)
{
  prior p = {.id = sqlite3_column_int64(c->stmt, C_ID),
             .level = sqlite3_column_int(c->stmt, C_LEVEL)};
  for (int i = C_CLIENT; i < C_COUNT; i++)
    p.col[i] = col(c, i);
  return p;
}

/* Builds the record of a prior row, with a new status. */
static cp_record prior_record(const prior *p, int is_alert, const char *status, const char *at)
{
  cp_record r = {.is_alert = is_alert, .fingerprint = p->col[C_FINGERPRINT],
                 .rule = p->col[C_RULE], .client_id = p->col[C_CLIENT], .key = p->col[C_KEY],
                 .kind = is_alert ? NULL : p->col[C_SEVERITY_OR_KIND],
                 .severity = is_alert ? p->col[C_SEVERITY_OR_KIND] : NULL,
                 .level = p->level, .assignee = p->col[C_ASSIGNEE], .title = p->col[C_TITLE],
                 .data = p->col[C_DATA], .status = status, .opened_at = p->col[C_OPENED],
                 .updated_at = at};
  return r;
}

/* Opens (or reopens) an alert or proposes an assignment. */
static cp_err open_item(cp_store *s, const cp_outcome *o, const cp_item *it)
{
  char fp[17];
  int alert = it->what == CP_ALERT;
  sqlite3_stmt *st = s->st[alert ? (s->later ? S_REOPEN_ALERT : S_OPEN_ALERT)
                                    : (s->later ? S_REOPEN_ASSIGN : S_OPEN_ASSIGN)];
  cp_record_fingerprint(it->rule, o->client_id, it->key, fp);
  cp_record r = item_record(it, o->client_id, fp, s->at, s->at);
  const char *vals[] = {fp, it->rule, o->client_id, it->key};
  for (int i = 0; i < 4; i++)
    bind_text(st, i + 1, vals[i]);
  if (alert) {
    bind_text(st, 5, r.severity);
    sqlite3_bind_int(st, 6, it->level);
    bind_text(st, 7, it->assignee);
    bind_text(st, 8, it->title);
    bind_text(st, 9, it->data);
    bind_text(st, 10, s->at);
    sqlite3_bind_int64(st, 11, s->run_id);
  } else {
    bind_text(st, 5, it->kind);
    bind_text(st, 6, it->assignee);
    bind_text(st, 7, it->data);
    bind_text(st, 8, s->at);
    sqlite3_bind_int64(st, 9, s->run_id);
    bind_text(st, 10, it->pool);
    bind_text(st, 11, it->pool ? it->group : NULL);
  }
  /* the row's opened_at as stored: a replay reopens one with the opened_at it
   * had (REOPENED_AT), and the event says so too */
  char opened[40];
  cp_err lost = in_transaction(s, st, alert ? "opening an alert" : "proposing an assignment");
  if (lost != CP_OK)
    return lost;
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(opened, sizeof opened, "%s", t ? (const char *)t : s->at);
    r.opened_at = opened;
    step = sqlite3_step(st);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (step != SQLITE_DONE)
    return fail(s, s->db, alert ? "opening an alert" : "proposing an assignment");
  return event(s, alert ? CP_EV_ALERT_OPENED : CP_EV_ASSIGNMENT_PROPOSED, &r);
}

/* Returns 1 when text a and b are equal, NULL being equal only to NULL. */
static int same(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Compares an item with the row it continues; writes and records a change. */
static cp_err change_item(cp_store *s, const prior *p, const cp_outcome *o, const cp_item *it)
{
  int alert = it->what == CP_ALERT;
  /* a replay of an earlier day: one opened after that day holds on it too,
   * so it is open as of that day (the update moves opened_at back) */
  int later = p->col[C_OPENED] && strcmp(p->col[C_OPENED], s->at) > 0;
  cp_record r = item_record(it, o->client_id, p->col[C_FINGERPRINT],
                            later ? s->at : p->col[C_OPENED], s->at);
  int level = p->level;
  int changed = later || !same(alert ? r.severity : it->kind, p->col[C_SEVERITY_OR_KIND]) ||
                !same(it->assignee, p->col[C_ASSIGNEE]) || !same(it->data, p->col[C_DATA]) ||
                (alert && (level != it->level || !same(it->title, p->col[C_TITLE])));
  if (!alert && (!same(it->pool, p->col[C_POOL]) ||   /* no event: not in the feed */
                 !same(it->pool ? it->group : NULL, p->col[C_GROUP]))) {
    sqlite3_stmt *pk = s->st[S_PICK_ASSIGN];
    sqlite3_bind_int64(pk, 1, p->id);
    bind_text(pk, 2, it->pool);
    bind_text(pk, 3, it->pool ? it->group : NULL);
    cp_err rc = exec_stmt(s, pk, "recording a pick");
    if (rc != CP_OK)
      return rc;
  }
  if (!changed && !alert && p->col[C_UPDATED] && strcmp(p->col[C_UPDATED], s->at) > 0) {
    /* a replay that holds a proposal as it is: the state is as of its day,
     * so the proposal is too (no event). Left as of the later day, a run
     * before that day, a forward one after the replay, took it for one
     * changed since: its member was not held from the run's start and it
     * was picked again, moving an open proposal to another assignee. */
    sqlite3_stmt *bd = s->st[S_BACKDATE_ASSIGN];
    sqlite3_bind_int64(bd, 1, p->id);
    bind_text(bd, 2, s->at);
    cp_err rc = exec_stmt(s, bd, "recording a proposal as of the replayed day");
    if (rc != CP_OK)
      return rc;
  }
  if (!changed)
    return CP_OK;
  sqlite3_stmt *st = s->st[alert ? S_UPDATE_ALERT : S_UPDATE_ASSIGN];
  sqlite3_bind_int64(st, 1, p->id);
  int i = 2;
  if (alert) {
    bind_text(st, i++, r.severity);
    sqlite3_bind_int(st, i++, it->level);
  } else {
    bind_text(st, i++, it->kind);
  }
  bind_text(st, i++, it->assignee);
  if (alert)
    bind_text(st, i++, it->title);
  bind_text(st, i++, it->data);
  bind_text(st, i++, s->at);
  sqlite3_bind_int64(st, i, s->run_id);
  cp_err rc = exec_stmt(s, st, "updating a result");
  cp_event type = !alert ? CP_EV_ASSIGNMENT_UPDATED
                  : it->level > level ? CP_EV_ALERT_ESCALATED : CP_EV_ALERT_UPDATED;
  return rc ? rc : event(s, type, &r);
}

/* Closes a prior row: an alert resolves; an assignment is fulfilled when the
 * outcome (NULL: the client was not evaluated) marks it so, else withdrawn. */
static cp_err close_row(cp_store *s, const prior *p, int alert, const cp_outcome *o)
{
  const char *status = "resolved";
  cp_event type = CP_EV_ALERT_RESOLVED;
  if (!alert) {
    int done = o && cp_outcome_find(o, CP_FULFILLED, p->col[C_RULE], p->col[C_KEY]);
    status = done ? "fulfilled" : "withdrawn";
    type = done ? CP_EV_ASSIGNMENT_FULFILLED : CP_EV_ASSIGNMENT_WITHDRAWN;
  }
  sqlite3_stmt *st = s->st[alert ? S_CLOSE_ALERT : S_CLOSE_ASSIGN];
  sqlite3_bind_int64(st, 1, p->id);
  bind_text(st, 2, status);
  bind_text(st, 3, s->at);
  sqlite3_bind_int64(st, 4, s->run_id);
  cp_err rc = exec_stmt(s, st, "closing a result");
  cp_record r = prior_record(p, alert, status, s->at);
  return rc ? rc : event(s, type, &r);
}

/* Moves a snapshot cursor on. A row whose identity (client_id, rule, key)
 * is not text, or an alert whose level is no integer, which only a
 * hand-made change can leave (the schema says NOT NULL), stops the run: it
 * would be compared as no text is, or escalate by itself. */
static cp_err step(cp_store *s, cursor *c)
{
  static const struct { int col; const char *name; } identity[] = {
    {C_CLIENT, "client_id"}, {C_RULE, "rule"}, {C_KEY, "key"}};
  int rc = sqlite3_step(c->stmt);
  c->ready = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail(s, s->rd, "reading the state");
  for (size_t i = 0; c->ready && i < sizeof identity / sizeof identity[0]; i++) {
    int type = sqlite3_column_type(c->stmt, identity[i].col);
    if (type != SQLITE_TEXT)
      return cp_diag_fail(CP_ESTATE, "state: %s: %s row %lld has %s %s, not a text (was the "
                          "state database changed by hand?)", s->path,
                          c == &s->cur[0] ? "alerts" : "assignments",
                          (long long)sqlite3_column_int64(c->stmt, C_ID),
                          type == SQLITE_NULL ? "a NULL" : type == SQLITE_BLOB ? "a BLOB" : "a number",
                          identity[i].name);
  }
  /* an alert's level read as a whole number: a text or a fraction would read
   * as 0 or cut, and the next run call the alert escalated */
  if (c->ready && c == &s->cur[0] && sqlite3_column_type(c->stmt, C_LEVEL) != SQLITE_INTEGER) {
    const char *v = (const char *)sqlite3_column_text(c->stmt, C_LEVEL);
    return cp_diag_fail(CP_ESTATE, "state: %s: alerts row %lld has the level '%.40s', not a "
                        "whole number (was the state database changed by hand?); nothing was "
                        "written", s->path, (long long)sqlite3_column_int64(c->stmt, C_ID),
                        v ? v : "NULL");
  }
  return CP_OK;
}

/* Compares a prior row's (rule, key) with an item's. */
static int cmp_prior_item(const prior *p, const cp_item *it)
{
  int r = strcmp(p->col[C_RULE], it->rule);
  return r ? r : strcmp(p->col[C_KEY], it->key);
}

/* Appends the cursor's current row, copied, to its buffer. */
static cp_err buffer_row(cursor *c)
{
  if (cp_arena_grow((void **)&c->rows, &c->cap, c->n, sizeof *c->rows) < 0)
    return cp_diag_fail(CP_ENOMEM, "state: out of memory");
  prior p = row_view(c);
  for (int i = C_CLIENT; i < C_COUNT; i++)
    if (p.col[i] && !(p.col[i] = cp_arena_strndup(&c->arena, p.col[i], strlen(p.col[i]))))
      return cp_diag_fail(CP_ENOMEM, "state: out of memory");
  c->rows[c->n++] = p;
  return CP_OK;
}

/* Closes every prior row of clients before id (NULL: all that remain): those
 * clients were not evaluated this run. */
static cp_err close_before(cp_store *s, int k, const char *id)
{
  cursor *c = &s->cur[k];
  cp_err rc = CP_OK;
  while (rc == CP_OK && c->ready && (!id || strcmp(col(c, C_CLIENT), id) < 0)) {
    prior p = row_view(c);
    rc = close_row(s, &p, k == 0, NULL);
    if (rc == CP_OK)
      rc = step(s, c);
  }
  return rc;
}

cp_err cp_store_seek(cp_store *s, const char *client_id)
{
  if (s->sought && strcmp(s->sought, client_id) == 0)
    return CP_OK;
  free(s->sought);
  if (!(s->sought = strdup(client_id)))
    return cp_diag_fail(CP_ENOMEM, "state: out of memory");
  cp_err rc = CP_OK;
  for (int k = 0; rc == CP_OK && k < 2; k++) {
    cursor *c = &s->cur[k];
    c->n = 0;
    cp_arena_reset(&c->arena);
    rc = close_before(s, k, client_id);
    while (rc == CP_OK && c->ready && strcmp(col(c, C_CLIENT), client_id) == 0)
      if ((rc = buffer_row(c)) == CP_OK)
        rc = step(s, c);
  }
  return rc;
}

/* The assignee of the client's assignment (rule, key) that was proposed as
 * of this replay's day and closed (fulfilled, withdrawn) after it, or
 * proposed before it and closed by that day's own run: the day's own run
 * kept it (held from the start, as cp_store_open_picks() counts it). NULL when there is none (or no memory). *pool and
 * *group are its pick's (a fallback group's member is found in that group
 * only: without it, its load went uncounted and the pick's own group was
 * recorded); *held is 1 when it was open before the day's run: then
 * cp_store_open_picks() counted it from the start. The texts are kept with
 * the client's buffered rows, until the next seek: the outcome's items
 * point at them until the client is written, whatever else is asked. */
static const char *closed_after(cp_store *s, const char *rule, const char *key,
                                const char **pool, const char **group, int *held)
{
  static const char closed_sql[] =
    "SELECT assignee, pick_pool, pick_group, opened_at < ?4 FROM assignments "
    "WHERE client_id = ?1 AND rule = ?2 AND key = ?3 AND status <> 'proposed' "
    "AND (opened_at <= ?4 AND updated_at > ?4 OR opened_at < ?4 AND updated_at = ?4)";
  if (!s->closed &&
      sqlite3_prepare_v2(s->rd, closed_sql, -1, &s->closed, NULL) != SQLITE_OK) {
    s->broken = fail(s, s->rd, "reading the assignments closed since");
    return NULL;
  }
  const char *vals[] = {s->sought, rule, key, s->at};
  for (int i = 0; i < 4; i++)
    sqlite3_bind_text(s->closed, i + 1, vals[i] ? vals[i] : "", -1, SQLITE_STATIC);
  const char *found = NULL;
  int step = sqlite3_step(s->closed), row = step == SQLITE_ROW;
  if (step != SQLITE_ROW && step != SQLITE_DONE)
    s->broken = fail(s, s->rd, "reading the assignments closed since");
  if (row && !sqlite3_column_text(s->closed, 0))   /* open then with no assignee (its member */
    *held = sqlite3_column_int(s->closed, 3);       /* gone): a while_member pick stays open */
  if (row && sqlite3_column_text(s->closed, 0)) {
    cp_arena *a = &s->cur[1].arena;
    const char *col[3];
    for (int i = 0; i < 3; i++) {
      const char *t = (const char *)sqlite3_column_text(s->closed, i);
      col[i] = t ? cp_arena_strndup(a, t, strlen(t)) : NULL;
      if (t && !col[i] && s->broken == CP_OK)
        s->broken = cp_diag_fail(CP_ENOMEM, "state: out of memory");
    }
    if (col[0] && col[1] && col[2]) {
      *pool = col[1];
      *group = col[2];
      *held = sqlite3_column_int(s->closed, 3);
    }
    found = col[0];
  }
  sqlite3_reset(s->closed);
  return found;
}

void cp_store_kept_picks(cp_store *s, const cp_outcome *o,
                         void (*fn)(void *ctx, const char *pool, const char *group,
                                    const char *assignee),
                         void *ctx)
{
  const cursor *c = &s->cur[1];
  for (size_t i = 0; o->n_failed_ids && i < c->n; i++) {
    const prior *p = &c->rows[i];
    if (p->col[C_POOL] && p->col[C_GROUP] && p->col[C_ASSIGNEE] &&
        cp_outcome_failed(o, p->col[C_RULE]))
      fn(ctx, p->col[C_POOL], p->col[C_GROUP], p->col[C_ASSIGNEE]);
  }
}

cp_err cp_store_open_picks(cp_store *s,
                           void (*fn)(void *ctx, const char *pool, const char *group,
                                      const char *assignee),
                           void *ctx)
{
  sqlite3_stmt *st = NULL;
  if (s->picks_held)
    return CP_OK;
  s->picks_held = 1;
  /* Open before the run: proposed and not changed since its as-of time, or
   * proposed by an earlier day's run and closed by this day's run or a
   * later one (a rerun of the day, a replay of an earlier one): its run
   * counted it from the start. */
  if (sqlite3_prepare_v2(s->db, "SELECT pick_pool, pick_group, assignee FROM assignments "
                         "WHERE pick_pool IS NOT NULL AND pick_group IS NOT NULL "
                         "AND assignee IS NOT NULL AND (status = 'proposed' AND "
                         "updated_at <= ?1 OR status <> 'proposed' AND opened_at < ?1 "
                         "AND updated_at >= ?1)", -1, &st, NULL) != SQLITE_OK)
    return fail(s, s->db, "reading the open picks");
  bind_text(st, 1, s->at);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
       (const char *)sqlite3_column_text(st, 2));
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? CP_OK : fail(s, s->db, "reading the open picks");
}

const char *cp_store_prior_assignee(cp_store *s, const char *rule, const char *key,
                                    const char **pool, const char **group, int *held)
{
  const cursor *c = &s->cur[1];
  *pool = *group = NULL;
  *held = 0;
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->rows[i].col[C_RULE], rule) && !strcmp(c->rows[i].col[C_KEY], key)) {
      /* one changed after this run's as-of time (a replay of an earlier
       * day) may have had another assignee, or none, that day: its pick
       * is made again, as the day's own run made it */
      if (strcmp(c->rows[i].col[C_UPDATED], s->at) > 0) {
        /* ... but opened before that day, it was open before the day's
         * run, so a keep = "while_member" pick that nobody can take stays
         * proposed, as that run kept it, instead of being withdrawn */
        *held = strcmp(c->rows[i].col[C_OPENED], s->at) < 0;
        return NULL;
      }
      *pool = c->rows[i].col[C_POOL];
      *group = c->rows[i].col[C_GROUP];
      *held = 1;
      return c->rows[i].col[C_ASSIGNEE];
    }
  /* a replay: one proposed that day and closed since was the day's to keep */
  return s->replay ? closed_after(s, rule, key, pool, group, held) : NULL;
}

/* Merges one kind of result (k = 0 alerts, 1 assignments) of client o with
 * its buffered prior rows. */
static cp_err merge(cp_store *s, int k, const cp_outcome *o)
{
  const cursor *c = &s->cur[k];
  cp_what what = k == 0 ? CP_ALERT : CP_ASSIGN;
  cp_err rc = CP_OK;
  size_t i = 0, j = 0;
  while (i < o->n && o->items[i].what != what)
    i++;
  while (rc == CP_OK) {
    int old = j < c->n, now = i < o->n && o->items[i].what == what;
    if (!old && !now)
      break;
    int cmp = !old ? 1 : !now ? -1 : cmp_prior_item(&c->rows[j], &o->items[i]);
    if (cmp < 0 && !cp_outcome_failed(o, c->rows[j].col[C_RULE]))
      rc = close_row(s, &c->rows[j], k == 0, o);
    else if (cmp > 0)
      rc = open_item(s, o, &o->items[i]);
    else if (cmp == 0)
      rc = change_item(s, &c->rows[j], o, &o->items[i]);
    j += cmp <= 0;
    i += cmp >= 0;
  }
  return rc;
}

/* Records one data problem found in the facts. */
static cp_err store_finding(cp_store *s, const cp_finding *f)
{
  sqlite3_stmt *st = s->st[S_FINDING];
  sqlite3_bind_int64(st, 1, s->run_id);
  const char *vals[] = {f->table, f->row_id, f->column, f->value, f->problem};
  for (int i = 0; i < 5; i++)
    bind_text(st, i + 2, vals[i]);
  s->stats.findings++;
  return exec_stmt(s, st, "recording a data problem");
}

cp_err cp_store_apply(cp_store *s, const cp_outcome *o)
{
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i < o->n_findings; i++)
    rc = store_finding(s, &o->findings[i]);
  if (rc != CP_OK || !o->evaluated)
    return rc;
  rc = cp_store_seek(s, o->client_id);
  if (rc == CP_OK)
    rc = merge(s, 0, o);
  if (rc == CP_OK)
    rc = merge(s, 1, o);
  for (size_t i = 0; rc == CP_OK && i < o->n_failures; i++) {
    const cp_failure *f = &o->failures[i];
    sqlite3_stmt *st = s->st[S_RULE_ERROR];
    sqlite3_bind_int64(st, 1, s->run_id);
    bind_text(st, 2, f->rule);
    bind_text(st, 3, o->client_id);
    bind_text(st, 4, f->message);
    bind_text(st, 5, f->traceback);
    rc = exec_stmt(s, st, "recording a rule error");
    s->stats.rule_errors++;
  }
  s->stats.clients += !o->skipped;
  return rc;
}

cp_err cp_store_run_error(cp_store *s, const char *id, const char *message)
{
  sqlite3_stmt *st = s->st[S_RULE_ERROR];
  sqlite3_bind_int64(st, 1, s->run_id);
  bind_text(st, 2, id);
  bind_text(st, 3, "");   /* no client's: the run's */
  bind_text(st, 4, message);
  bind_text(st, 5, "");
  s->stats.rule_errors++;
  return exec_stmt(s, st, "recording a rule error");
}

/* Opens the snapshot: a read transaction on the reader taken while the writer
 * holds the write lock, so it sees exactly the last committed run. */
static cp_err open_snapshot(cp_store *s)
{
  if (sqlite3_exec(s->rd, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return fail(s, s->rd, "reading the state");
  for (int k = 0; k < 2; k++) {
    if (!s->cur[k].stmt &&
        sqlite3_prepare_v2(s->rd, cursor_sql[k], -1, &s->cur[k].stmt, NULL) != SQLITE_OK)
      return fail(s, s->rd, "reading the state");
    cp_err rc = step(s, &s->cur[k]);
    if (rc != CP_OK)
      return rc;
  }
  return CP_OK;
}

cp_err cp_store_begin(cp_store *s, int64_t as_of, int wait_ms, const char *config,
                      const char *facts)
{
  char day[16], started[24];
  cp_dates_format_date(as_of, day);
  cp_dates_format_timestamp(as_of * CP_DAY_SECONDS + CP_DAY_SECONDS - 1, s->at);
  memset(&s->stats, 0, sizeof s->stats);
  sqlite3_busy_timeout(s->db, wait_ms);
  /* The schema first, in a transaction of its own under the write lock: a new
   * state database is made whole or not at all, a second run waits for it
   * only as long as --wait says, and the snapshot reader sees the tables. */
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc == SQLITE_OK) {
    s->in_run = 1;   /* rolled back on close when the schema fails */
    if (cp_statedb_upgrade(s->db, s->path) != CP_OK)
      return CP_ESTATE;
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    s->in_run = rc != SQLITE_OK;
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc == SQLITE_BUSY)
    return cp_diag_fail(CP_EBUSY, "state: %s is in use by another run or writer (waited %d s; "
                     "--wait SECONDS waits longer); nothing was written", s->path, wait_ms / 1000);
  if (rc != SQLITE_OK)
    return fail(s, s->db, "starting the run");
  s->in_run = 1;
  /* The epoch too, which the run does not write: a damaged meta page would
   * let the run commit events that no feed reader could read ("no epoch"). */
  char epoch[17];
  if (cp_statedb_last_run(s->db, s->path, &s->last) != CP_OK ||
      cp_statedb_epoch(s->db, s->path, epoch) != CP_OK)
    return CP_ESTATE;
  s->replay = s->last.id && as_of < s->last.as_of;
  s->picks_held = 0;
  for (int i = 0; i < S_COUNT; i++)
    if (!s->st[i] &&
        sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL))
      return fail(s, s->db, "preparing statements");
  sqlite3_stmt *st = s->st[S_LATER];
  bind_text(st, 1, day);
  int later = sqlite3_step(st);
  s->later = later == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  if (later != SQLITE_ROW)
    return fail(s, s->db, "reading the runs");
  wall_clock(started);
  st = s->st[S_RUN];
  bind_text(st, 1, day);
  bind_text(st, 2, started);
  bind_text(st, 3, config);
  bind_text(st, 4, facts);
  cp_err err = exec_stmt(s, st, "recording the run");
  s->run_id = sqlite3_last_insert_rowid(s->db);
  return err ? err : open_snapshot(s);
}

cp_err cp_store_open_ids(cp_store *s,
                         int (*fn)(void *ctx, const char *id, uint64_t alerts,
                                   uint64_t assignments),
                         void *ctx)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, "SELECT rule, sum(a), sum(p) FROM ("
                         "SELECT rule, 1 AS a, 0 AS p FROM alerts WHERE status = 'open' UNION ALL "
                         "SELECT rule, 0, 1 FROM assignments WHERE status = 'proposed') "
                         "GROUP BY rule ORDER BY rule", -1, &st, NULL) != SQLITE_OK)
    return fail(s, s->db, "reading the ids of open alerts");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (id && fn(ctx, id, (uint64_t)sqlite3_column_int64(st, 1),
                 (uint64_t)sqlite3_column_int64(st, 2)))
      break;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail(s, s->db, "reading the ids of open alerts");
  return CP_OK;
}

cp_err cp_store_last_problems(cp_store *s, const char *tbl, const char *col, uint64_t *n)
{
  sqlite3_stmt *st = NULL;
  *n = 0;
  if (!s->last.id)
    return CP_OK;
  if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM findings WHERE run_id = ? AND tbl = ? "
                         "AND col = ?", -1, &st, NULL) != SQLITE_OK)
    return fail(s, s->db, "counting the last run's data problems");
  sqlite3_bind_int64(st, 1, s->last.id);
  bind_text(st, 2, tbl);
  bind_text(st, 3, col);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *n = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? CP_OK : fail(s, s->db, "counting the last run's data problems");
}

int64_t cp_store_last_rows(const cp_store *s, const char *name)
{
  sqlite3_stmt *st = NULL;
  int64_t rows = -1;
  if (!s->last.id)
    return rows;
  int rc = sqlite3_prepare_v2(s->db, "SELECT rows FROM run_tables WHERE run_id = ?1 AND name = ?2",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, s->last.id);
    bind_text(st, 2, name);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
      rows = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail(s, s->db, "reading the last run's table rows"), -2;
  return rows;
}

cp_err cp_store_record_rows(cp_store *s, const char *name, uint64_t rows)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO run_tables(run_id, name, rows) "
                         "VALUES(?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
    return fail(s, s->db, "recording a table's rows");
  sqlite3_bind_int64(st, 1, s->run_id);
  bind_text(st, 2, name);
  sqlite3_bind_int64(st, 3, (int64_t)rows);
  cp_err rc = exec_stmt(s, st, "recording a table's rows");
  sqlite3_finalize(st);
  return rc;
}

cp_err cp_store_finish(cp_store *s)
{
  cp_err rc = close_before(s, 0, NULL);
  return rc == CP_OK ? close_before(s, 1, NULL) : rc;
}

/* Copies the committed run from the WAL into the database file now, rather
 * than silently as the last connection closes: the copy needs room for the
 * run's pages a second time, and on a full disk (or past the file size
 * limit) it fails after the commit. The run stays committed, in the -wal
 * file, which the next writer or reader copies in; the failure is said, not
 * an error. A reader holding back part of the copy (PASSIVE) is no failure. */
static void checkpoint(const cp_store *s)
{
  int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc == SQLITE_OK || rc == SQLITE_BUSY)
    return;
  char why[3 * PATH_MAX];
  why[0] = '\0';
  cp_stateread_size_limit(s->db, why, sizeof why);
  cp_diag_warn("state: %s: the run is committed, but copying it from %s-wal into %s failed: "
               "%s%s; it stays in %s-wal, which the next run or reader of the state copies in "
               "once there is room", s->path, s->path, s->path, sqlite3_errmsg(s->db), why,
               s->path);
}

cp_err cp_store_commit(cp_store *s)
{
  char finished[24];
  if (s->broken != CP_OK)   /* said when it happened */
    return s->broken;
  cp_err rc = cp_store_finish(s);   /* nothing left when already finished */
  if (rc != CP_OK)
    return rc;
  uint64_t events = 0;
  for (int i = 0; i < CP_EV_COUNT; i++)
    events += s->stats.events[i];
  wall_clock(finished);
  sqlite3_stmt *st = s->st[S_FINISH];
  sqlite3_bind_int64(st, 1, s->run_id);
  bind_text(st, 2, finished);
  bind_text(st, 3, s->stats.rule_errors ? "incomplete" : "complete");
  sqlite3_bind_int64(st, 4, (sqlite3_int64)s->stats.clients);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)s->stats.rule_errors);
  sqlite3_bind_int64(st, 6, (sqlite3_int64)s->stats.findings);
  sqlite3_bind_int64(st, 7, (sqlite3_int64)events);
  if ((rc = exec_stmt(s, st, "recording the run")) != CP_OK)
    return rc;
  for (int k = 0; k < 2; k++)
    sqlite3_reset(s->cur[k].stmt);
  sqlite3_exec(s->rd, "COMMIT", NULL, NULL, NULL);
  if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return fail(s, s->db, "committing the run");
  s->in_run = 0;
  checkpoint(s);
  return CP_OK;
}

/* Opens one connection to the state database with the schema in place. */
static cp_err connect(cp_store *s, sqlite3 **db, int writer, cp_store_use use, int wait_ms)
{
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(s->path, db, flags, NULL) != SQLITE_OK)
    return fail(s, *db, "opening");
  sqlite3_busy_timeout(*db, 10000);
  if (!writer)
    return CP_OK;
  /* A new run's database gets SQLite's largest page: a run appends tens of
   * thousands of rows, and each page costs a write to the WAL and another
   * when it is checkpointed (4 KB pages: 32,700 writes and a 0.23 s commit
   * for 100,000 clients; 64 KB: 2,100 and 0.06 s). A fixture's database
   * holds a few rows: there the 18 pages of an empty schema would be 1.2 MB
   * written and synced per step. The pragma does nothing to a database that
   * has pages already. */
  if (use == CP_STORE_RUN &&
      sqlite3_exec(*db, "PRAGMA page_size=65536", NULL, NULL, NULL) != SQLITE_OK)
    return fail(s, *db, "setting up the database");
  /* Two runs that open a new database together contend for the switch to
   * WAL; SQLite then answers BUSY at once rather than wait (it would
   * deadlock), so the switch is retried for a moment. A reader of a state
   * in rollback mode (one restored from a dump) holds the switch back as
   * long as it reads: it is retried up to --wait (at least that moment),
   * without SQLite's own wait of 10 s a try (200 tries: 33 minutes, past
   * any --wait). */
  int rc, waited = 0, most = wait_ms > 2000 ? wait_ms : 2000;
  sqlite3_busy_timeout(*db, 0);
  while ((rc = sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) == SQLITE_BUSY &&
         waited < most) {
    sqlite3_sleep(10);
    waited += 10;
  }
  sqlite3_busy_timeout(*db, 10000);
  if (rc == SQLITE_BUSY)
    return cp_diag_fail(CP_EBUSY, "state: %s is in use by another run, writer or reader (waited "
                        "%d s; --wait SECONDS waits longer; a state not in WAL mode, one "
                        "restored from a dump say, is switched to it once no one reads it); "
                        "nothing was written", s->path, most / 1000);
  if (rc != SQLITE_OK || sqlite3_exec(*db, "PRAGMA synchronous=FULL", NULL, NULL, NULL))
    return fail(s, *db, "setting up the database");
  return CP_OK;
}

cp_err cp_store_open(const char *path, cp_store_use use, int wait_ms, cp_store **out)
{
  cp_store *s = calloc(1, sizeof *s);
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (!s || !(s->path = strdup(path)))
    goto fail;
  if ((rc = connect(s, &s->db, 1, use, wait_ms)) != CP_OK ||
      (rc = connect(s, &s->rd, 0, use, wait_ms)) != CP_OK)
    goto fail;
  *out = s;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM)
    cp_diag_fail(rc, "state: out of memory");
  cp_store_close(s);
  return rc;
}

void cp_store_close(cp_store *s)
{
  if (!s)
    return;
  for (int k = 0; k < 2; k++) {
    sqlite3_finalize(s->cur[k].stmt);
    free(s->cur[k].rows);
    cp_arena_free(&s->cur[k].arena);
  }
  free(s->sought);
  sqlite3_finalize(s->closed);
  for (int i = 0; i < S_COUNT; i++)
    sqlite3_finalize(s->st[i]);
  if (s->in_run)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(s->rd);
  sqlite3_close(s->db);
  cp_sbuf_free(&s->body);
  free(s->path);
  free(s);
}
