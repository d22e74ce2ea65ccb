/* feedcfg.c: the config's guard and sinks sections: documented defaults for
 * the keys left out, and the checks libcyaml's schema cannot express. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define DEFAULT_CLIENT_DROP_PERCENT 20
#define DEFAULT_RESOLVE_PERCENT 50
#define DEFAULT_COLUMN_PROBLEM_PERCENT 50
#define DEFAULT_TABLE_DROP_PERCENT 40
#define DEFAULT_MIN_COUNT 100
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_MS 1000
#define DEFAULT_BATCH 100
#define DEFAULT_ENDS_AFTER_HOURS 72
#define MAX_BATCH 10000
/* A sink's cursor is the consumer "sink:NAME", and a consumer's name is at
 * most 100 bytes (feed --consumer): longer names were cut to one consumer. */
#define MAX_SINK_NAME 95
#define MAX_RETRIES 20
#define MAX_BACKOFF_MS 60000   /* http.c doubles the wait up to this; a longer first wait held the lock */
#define MAX_ENDS_AFTER_HOURS 87600   /* ten years: Alertmanager reads years of 4 digits */

/* Sets *v to def when the mapping m lacks key (libcyaml leaves it 0, which
 * may also be a value someone wrote). */
static void default_of(const yt_node *m, const char *key, uint32_t *v, uint32_t def)
{
  if (!m || !cp_ytree_get(m, key))
    *v = def;
}

/* Fills the guard's defaults and checks its shares are percentages. */
static cp_err check_guard(cp_config *c)
{
  cp_guard_cfg *g = &c->file->guard;
  const yt_node *m = cp_ytree_get(c->doc, "guard");   /* its numbers: check_numbers() */
  default_of(m, "client_drop_percent", &g->client_drop_percent, DEFAULT_CLIENT_DROP_PERCENT);
  default_of(m, "resolve_percent", &g->resolve_percent, DEFAULT_RESOLVE_PERCENT);
  default_of(m, "table_drop_percent", &g->table_drop_percent, DEFAULT_TABLE_DROP_PERCENT);
  default_of(m, "column_problem_percent", &g->column_problem_percent,
             DEFAULT_COLUMN_PROBLEM_PERCENT);
  default_of(m, "min_count", &g->min_count, DEFAULT_MIN_COUNT);
  default_of(m, "table_min_count", &g->table_min_count, g->min_count);
  /* a table that had a row and comes empty is refused, however small,
   * unless table_min_count says from how many rows */
  g->table_empty_min = m && cp_ytree_get(m, "table_min_count") ? g->table_min_count : 1;
  const struct { const char *key; uint32_t v; } shares[] = {
      {"client_drop_percent", g->client_drop_percent},
      {"resolve_percent", g->resolve_percent},
      {"table_drop_percent", g->table_drop_percent},
      {"column_problem_percent", g->column_problem_percent}};
  for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++)
    if (shares[i].v > 100) {
      const yt_node *at = cp_ytree_get(m, shares[i].key);
      return cp_diag_fail(CP_ECONFIG, "%s:%u: guard: %s: %u is not a percentage (0 to 100)",
                          c->path, at ? at->line : m ? m->line : 0, shares[i].key, shares[i].v);
    }
  for (unsigned i = 0; i < g->allow_empty_count; i++) {
    const cp_config_file *f = c->file;
    int known = 0;
    const char *sql_of = NULL;   /* the config name of the table whose SQL table it names */
    for (unsigned j = 0; j < f->tables_count + f->lookups_count; j++) {
      const cp_table_cfg *t = j < f->tables_count ? &f->tables[j]
                                                  : &f->lookups[j - f->tables_count];
      known |= !strcmp(t->name, g->allow_empty[i]);
      if (!sql_of && t->table && !strcmp(t->table, g->allow_empty[i]))
        sql_of = t->name;
    }
    /* the entry's own line (a block list puts each on one) */
    const yt_node *list = cp_ytree_get(m, "allow_empty");
    unsigned line = list && list->kind == YT_SEQ && i < list->n ? list->items[i]->line
                    : m ? m->line : 0;
    if (!known && sql_of)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: guard.allow_empty: '%s' is the SQL table of "
                          "'%s': name the table by its config name ('%s')", c->path,
                          line, g->allow_empty[i], sql_of, sql_of);
    if (!known)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: guard.allow_empty: '%s' is no per-client or "
                          "lookup table of the config", c->path, line, g->allow_empty[i]);
  }
  return CP_OK;
}

/* Returns 1 when name is a usable sink name: letters, digits, '_', '-', '.'. */
static int good_name(const char *name)
{
  return *name && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_-.") == strlen(name);
}

const char *const cp_feedcfg_sink_numbers[] = {"timeout_ms", "retries", "backoff_ms", "batch",
                                              "ends_after_hours", NULL};

/* Returns NULL when url is one libcurl can send to (a host, a port up to
 * 65535, no space), else why not. Checked when the config loads, so that
 * `check`, `run --push` and `push` say it at the sink's line (exit 2)
 * rather than each push failing with exit 7. */
static const char *bad_url(const char *url)
{
  CURLU *u = curl_url();
  if (!u)
    return "out of memory";
  char *host = NULL;
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
  if (rc == CURLUE_OK)
    rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  const char *why = rc == CURLUE_OK && host && *host ? NULL
                    : rc == CURLUE_OK || rc == CURLUE_NO_HOST ? "it names no host"
                    : rc == CURLUE_OUT_OF_MEMORY ? "out of memory"
                    : curl_url_strerror(rc);
  curl_free(host);
  curl_url_cleanup(u);
  return why;
}

/* Fills one sink's defaults and checks it; m is its entry in the file. */
static cp_err check_sink(const cp_config *c, cp_sink_cfg *s, const yt_node *m)
{
  /* its numbers were checked before the typed load (config.c, check_numbers) */
  default_of(m, "timeout_ms", &s->timeout_ms, DEFAULT_TIMEOUT_MS);
  default_of(m, "retries", &s->retries, DEFAULT_RETRIES);
  default_of(m, "backoff_ms", &s->backoff_ms, DEFAULT_BACKOFF_MS);
  default_of(m, "batch", &s->batch, DEFAULT_BATCH);
  default_of(m, "ends_after_hours", &s->ends_after_hours, DEFAULT_ENDS_AFTER_HOURS);
  const char *why = NULL;
  if (!good_name(s->name))
    why = "its name may hold only letters, digits, '_', '-' and '.'";
  else if (strlen(s->name) > MAX_SINK_NAME)
    why = "its name is longer than 95 bytes (its cursor is the consumer sink:NAME, of at most "
          "100 bytes)";
  else if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)
    why = "url must start with http:// or https://";
  else if (s->type == CP_SINK_ALERTMANAGER && (s->secret_env || cp_ytree_get(m, "batch")))
    why = "secret_env and batch are for webhooks";
  else if (s->type == CP_SINK_WEBHOOK && cp_ytree_get(m, "ends_after_hours"))
    why = "ends_after_hours is for alertmanager sinks";
  if (why)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: sinks: '%s': %s", c->path, s->line, s->name, why);
  /* each number in its range, named at its own line */
  const struct { const char *key; uint32_t v, min, max; const char *note; } nums[] = {
      {"timeout_ms", s->timeout_ms, 1, UINT32_MAX, ""},
      {"retries", s->retries, 0, MAX_RETRIES, ""},
      {"backoff_ms", s->backoff_ms, 0, MAX_BACKOFF_MS, " (the wait doubles up to 60 s)"},
      {"batch", s->batch, 1, MAX_BATCH, ""},
      {"ends_after_hours", s->ends_after_hours, 1, MAX_ENDS_AFTER_HOURS, " (ten years)"}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    if (nums[i].v < nums[i].min || nums[i].v > nums[i].max) {
      const yt_node *at = cp_ytree_get(m, nums[i].key);
      if (nums[i].max == UINT32_MAX)
        return cp_diag_fail(CP_ECONFIG, "%s:%u: sinks: '%s': %s: %u is not above 0", c->path,
                            at ? at->line : s->line, s->name, nums[i].key, nums[i].v);
      return cp_diag_fail(CP_ECONFIG, "%s:%u: sinks: '%s': %s: %u is not from %u to %u%s",
                          c->path, at ? at->line : s->line, s->name, nums[i].key, nums[i].v,
                          nums[i].min, nums[i].max, nums[i].note);
    }
  if ((why = bad_url(s->url)))
    return cp_diag_fail(!strcmp(why, "out of memory") ? CP_ENOMEM : CP_ECONFIG,
                        "%s:%u: sinks: '%s': url: not a URL that can be sent to: %s", c->path,
                        s->line, s->name, why);
  static const char *const proxy_schemes[] = {"http://", "https://", "socks4://", "socks4a://",
                                              "socks5://", "socks5h://", NULL};
  if (s->proxy && strcmp(s->proxy, "none") != 0) {
    int known = 0;
    for (int i = 0; proxy_schemes[i]; i++)
      known |= !strncasecmp(s->proxy, proxy_schemes[i], strlen(proxy_schemes[i]));
    why = known ? bad_url(s->proxy) : "it is neither none nor a proxy's URL (http://, https://, "
                                      "socks4://, socks4a://, socks5://, socks5h://)";
    if (why) {
      const yt_node *at = cp_ytree_get(m, "proxy");
      return cp_diag_fail(!strcmp(why, "out of memory") ? CP_ENOMEM : CP_ECONFIG,
                          "%s:%u: sinks: '%s': proxy: %s", c->path, at ? at->line : s->line,
                          s->name, why);
    }
  }
  if (s->ca_file) {   /* relative to the config, as every path of it; read at each request */
    char *path = cp_config_resolve(c, s->ca_file);
    /* O_NONBLOCK: a FIFO there would hang every command that loads the
     * config (the nightly run too); a folder opens, and fails each push */
    int fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    struct stat st;
    const char *bad = !path ? "out of memory" : fd < 0 || fstat(fd, &st) != 0 ? strerror(errno)
                      : !S_ISREG(st.st_mode) ? "not a regular file (a PEM file of certificates)"
                                             : NULL;
    if (fd >= 0)
      close(fd);
    if (bad) {
      cp_err rc = cp_diag_fail(path ? CP_ECONFIG : CP_ENOMEM, "%s:%u: sinks: '%s': ca_file: %s: %s",
                               c->path, s->line, s->name, path ? path : s->ca_file, bad);
      free(path);
      return rc;
    }
    free(s->ca_file);   /* libcyaml frees the typed config with free() */
    s->ca_file = path;
  }
  return CP_OK;
}

cp_err cp_feedcfg_check(cp_config *c)
{
  cp_config_file *f = c->file;
  cp_err rc = check_guard(c);
  const yt_node *seq = cp_ytree_get(c->doc, "sinks");
  for (unsigned i = 0; rc == CP_OK && i < f->sinks_count; i++) {
    const yt_node *m = seq && seq->kind == YT_SEQ && i < seq->n ? seq->items[i] : NULL;
    f->sinks[i].line = m ? m->line : 0;
    rc = check_sink(c, &f->sinks[i], m);
    for (unsigned j = 0; rc == CP_OK && j < i; j++)
      if (strcmp(f->sinks[i].name, f->sinks[j].name) == 0)
        rc = cp_diag_fail(CP_ECONFIG, "%s:%u: sinks: the name '%s' is used twice", c->path,
                       f->sinks[i].line, f->sinks[i].name);
  }
  return rc;
}
