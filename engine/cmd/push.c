/* push.c: `crmpolicy push` and `run --push`: the webhook sink (the events
 * as JSON in batches, an idempotency key, an HMAC signature) and the loop
 * over the sinks, all under the state's write lock. */
#include "push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "http.h"
#include "progress.h"
#include "query.h"
#include "sbuf.h"
#include "statedb.h"

/* The events of one batch: after ?1, of the run of the first one, at most ?2. */
static const char batch_sql[] =
  "SELECT seq, type, run_id, at, " CP_QUERY_AS_JSON("body") " FROM events WHERE seq > ?1 AND run_id = "
  "(SELECT run_id FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1) ORDER BY seq LIMIT ?2";

static const char *const type_names[] = {"alertmanager", "webhook"};

/* Writes the consumer name of sink s into out (size n). */
static void consumer_of(const cp_sink_cfg *s, char *out, size_t n)
{
  snprintf(out, n, "sink:%s", s->name);
}

/* Writes url into buf (cap bytes) as messages show it: a user name and
 * password in it ("https://user:secret@host/...") as "***", since messages
 * go to logs. */
static void shown_url(const char *url, char *buf, size_t cap)
{
  const char *host = strstr(url, "://");
  host = host ? host + 3 : url;
  size_t authority = strcspn(host, "/?#");
  const char *at = memchr(host, '@', authority);
  for (const char *q = at; q && (q = memchr(q + 1, '@', authority - (size_t)(q + 1 - host)));)
    at = q;   /* the last '@' of the authority ends the user information */
  if (at)
    snprintf(buf, cap, "%.*s***%s", (int)(host - url), url, at);
  else
    snprintf(buf, cap, "%s", url);
}

int cp_push_failed(cp_pusher *p, const cp_sink_cfg *s, const char *what)
{
  char name[160], waiting[32], url[2048];
  int64_t at = 0;
  consumer_of(s, name, sizeof name);
  cp_consumer_get(p->db, p->path, name, &at);
  cp_progress_format_count(waiting, (uint64_t)(p->last_seq > at ? p->last_seq - at : 0));
  shown_url(s->url, url, sizeof url);
  cp_diag_fail(CP_EIO, "push: sink '%s' (%s %s): %s; it stays at seq %lld (%s events wait for "
            "the next push)", s->name, type_names[s->type], url, what, (long long)at,
            waiting);
  return -1;
}

/* Builds the body of the next batch after seq at; *first and *last get its
 * seqs (*last = 0: nothing left). Returns -1 on a state error. */
static int next_batch(cp_pusher *p, const cp_sink_cfg *s, int64_t at, sbuf *b, int64_t *first,
                      int64_t *last)
{
  sqlite3_stmt *st;
  *first = *last = 0;
  if (sqlite3_prepare_v2(p->db, batch_sql, -1, &st, NULL) != SQLITE_OK)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", p->path, sqlite3_errmsg(p->db)), -1;
  sqlite3_bind_int64(st, 1, at);
  sqlite3_bind_int64(st, 2, s->batch);
  cp_sbuf_clear(b);
  cp_sbuf_printf(b, "{\"epoch\":\"%s\",\"events\":[", p->epoch);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*last)
      cp_sbuf_add(b, ",");
    *last = sqlite3_column_int64(st, 0);
    if (!*first)
      *first = *last;
    cp_query_event(b, st, p->epoch);
  }
  cp_sbuf_add(b, "]}");
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE || b->oom)
    return cp_diag_fail(CP_ESTATE, "state: %s: %s", p->path, b->oom ? "out of memory"
                     : sqlite3_errmsg(p->db)), -1;
  return 0;
}

/* Delivers one batch body to the webhook with its key and signature. */
static int deliver(const cp_sink_cfg *s, const char *secret, const char *epoch, int64_t first,
                   int64_t last, const sbuf *b, cp_http_result *res)
{
  char key[96], sig[128], ep[64], hex[65];
  snprintf(key, sizeof key, "Idempotency-Key: %s-%lld-%lld", epoch, (long long)first,
           (long long)last);
  snprintf(ep, sizeof ep, "X-Crmpolicy-Epoch: %s", epoch);
  const char *headers[4] = {key, ep, NULL, NULL};
  if (secret) {
    if (cp_http_sign(secret, b->s, b->len, hex) < 0) {
      snprintf(res->error, sizeof res->error, "HMAC-SHA256 failed");
      return -1;
    }
    snprintf(sig, sizeof sig, "X-Crmpolicy-Signature: sha256=%s", hex);
    headers[2] = sig;
  }
  return cp_http_post(s, s->url, b->s, b->len, headers, res);
}

/* The webhook sink: every event after its cursor, batch by batch; the
 * cursor moves after each delivered batch. Returns 0 or -1 (reported). */
static int push_webhook(cp_pusher *p, const cp_sink_cfg *s, uint64_t *sent)
{
  char name[160], what[512];
  const char *secret = NULL;
  int64_t at, first, last;
  sbuf b = {0};
  consumer_of(s, name, sizeof name);
  /* An empty key is no key: signing with it would let anyone sign. */
  if (s->secret_env && (!(secret = getenv(s->secret_env)) || !*secret)) {
    snprintf(what, sizeof what, "its secret_env variable %.200s is %s", s->secret_env,
             secret ? "empty" : "not set");
    return cp_push_failed(p, s, what);
  }
  if (cp_consumer_get(p->db, p->path, name, &at) != CP_OK)
    return -1;
  /* seqs never go back: past the end, the next runs' events up to the
   * cursor would never be sent (feed --consumer refuses it too) */
  if (at > p->last_seq) {
    snprintf(what, sizeof what, "its cursor %lld is past the end of the feed (its last seq is "
             "%lld): was the state database copied back from an earlier copy? Give it a new "
             "epoch (README, \"Results and the feed\") and set the cursor: crmpolicy feed "
             "--consumer %.100s --ack SEQ", (long long)at, (long long)p->last_seq, name);
    return cp_push_failed(p, s, what);
  }
  int rc = 0;
  while (rc == 0 && (rc = next_batch(p, s, at, &b, &first, &last)) == 0 && last) {
    cp_http_result res;
    if (deliver(s, secret, p->epoch, first, last, &b, &res) != 0) {
      snprintf(what, sizeof what, "%s after %u attempt%s (events %lld to %lld)", res.error,
               res.attempts, res.attempts == 1 ? "" : "s", (long long)first, (long long)last);
      rc = cp_push_failed(p, s, what);
    } else if (cp_consumer_set(p->db, p->path, name, last) != CP_OK) {
      rc = -1;
    } else {
      *sent += (uint64_t)(last - first + 1);
      at = last;
    }
  }
  cp_sbuf_free(&b);
  return rc;
}

/* Pushes to every sink in turn; a failing sink does not stop the others.
 * Returns the number of sinks that failed. */
static unsigned push_all(cp_pusher *p)
{
  unsigned failed = 0;
  for (unsigned i = 0; i < p->cfg->file->sinks_count; i++) {
    const cp_sink_cfg *s = &p->cfg->file->sinks[i];
    uint64_t sent = 0;
    int rc = s->type == CP_SINK_WEBHOOK ? push_webhook(p, s, &sent)
                                        : cp_sink_am_deliver(p, s);
    failed += rc != 0;
    if (rc == 0 && s->type == CP_SINK_WEBHOOK && !p->quiet) {
      char n[32];
      cp_progress_format_count(n, sent);
      printf("push: sink '%s' (webhook): %s events delivered, now at seq %lld\n", s->name, n,
             (long long)p->last_seq);
    }
  }
  return failed;
}

/* Takes the write lock on db (waiting up to wait_seconds). */
static cp_err lock(cp_pusher *p, int wait_seconds)
{
  sqlite3_busy_timeout(p->db, wait_seconds * 1000);
  int rc = sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc == SQLITE_BUSY)
    return cp_diag_fail(CP_EBUSY, "state: %s is in use by another run or writer (waited %d s; "
                     "--wait SECONDS waits longer); nothing was pushed", p->path, wait_seconds);
  return rc == SQLITE_OK ? CP_OK : cp_diag_fail(CP_ESTATE, "state: %s: %s", p->path,
                                             sqlite3_errmsg(p->db));
}

cp_exit cp_push(const cp_config *cfg, int wait_seconds, int quiet)
{
  cp_pusher p = {.cfg = cfg, .path = cfg->state, .quiet = quiet};
  if (!cfg->file->sinks_count)
    return cp_diag_fail(CP_ECONFIG, "push: %s names no sinks (add a sinks: section: README "
                        "\"Pushing to sinks\")", cfg->path), CP_EXIT_INVALID;
  if (cp_http_init() < 0)
    return cp_diag_fail(CP_EIO, "push: libcurl does not initialise"), CP_EXIT_FAILED;
  cp_err rc = cp_statedb_open(p.path, 1, wait_seconds * 1000, &p.db);
  if (rc == CP_OK && (rc = lock(&p, wait_seconds)) == CP_OK &&
      (rc = cp_statedb_epoch(p.db, p.path, p.epoch)) == CP_OK)
    rc = cp_consumer_last_seq(p.db, p.path, &p.last_seq);
  unsigned failed = rc == CP_OK ? push_all(&p) : 0;
  if (rc == CP_OK && sqlite3_exec(p.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = cp_diag_fail(CP_ESTATE, "state: %s: keeping the cursors: %s", p.path,
                   sqlite3_errmsg(p.db));
  if (p.db && rc != CP_OK)
    sqlite3_exec(p.db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(p.db);
  if (rc != CP_OK)
    return rc == CP_EBUSY ? CP_EXIT_BUSY : cp_cli_exit_for(rc);
  return failed ? CP_EXIT_SINK : CP_EXIT_OK;
}

cp_exit cp_cmd_push(const cp_opts *o)
{
  cp_config *cfg = NULL;
  cp_err rc = cp_cli_config(o, &cfg);
  if (rc == CP_OK)
    rc = cp_cli_feed_salt(cfg);
  cp_exit code = rc == CP_OK ? cp_push(cfg, o->wait_seconds, o->quiet) : cp_cli_exit_for(rc);
  cp_config_free(cfg);
  return code;
}
