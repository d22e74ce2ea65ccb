/* config.c: loads the YAML config strictly with libcyaml, params with ytree. */
#include "config.h"
#include "cplocale.h"

#include <cyaml/cyaml.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define DEFAULT_MEMORY_MB 64
#define DEFAULT_INSTRUCTIONS 1000000
#define DEFAULT_FACTS_SECONDS 3600
#define DEFAULT_CLIENT_MEMORY_MB 1024
#define DEFAULT_LOOKUP_MEMORY_MB 1024

static const cyaml_strval_t coltype_names[] = {
  {"text", CP_COL_TEXT},   {"integer", CP_COL_INTEGER},     {"real", CP_COL_REAL},
  {"money", CP_COL_MONEY}, {"date", CP_COL_DATE},           {"timestamp", CP_COL_TIMESTAMP},
  {"boolean", CP_COL_BOOLEAN},
};

static const cyaml_strval_t future_names[] = {
  {"keep", CP_FUTURE_KEEP},
  {"empty", CP_FUTURE_EMPTY},
};

static const cyaml_schema_field_t column_fields[] = {
  CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, cp_column_cfg, name, 1, CYAML_UNLIMITED),
  CYAML_FIELD_ENUM("type", CYAML_FLAG_STRICT, cp_column_cfg, type, coltype_names,
                   CYAML_ARRAY_LEN(coltype_names)),
  CYAML_FIELD_BOOL("required", CYAML_FLAG_OPTIONAL, cp_column_cfg, required),
  CYAML_FIELD_ENUM("future", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, cp_column_cfg, future,
                   future_names, CYAML_ARRAY_LEN(future_names)),
  CYAML_FIELD_BOOL("sensitive", CYAML_FLAG_OPTIONAL, cp_column_cfg, sensitive),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t column_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_column_cfg, column_fields),
};

#define OPT_STRING(key, member)                                                              \
  CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_table_cfg, member, \
                         1, CYAML_UNLIMITED)

static const cyaml_schema_field_t table_fields[] = {
  CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, cp_table_cfg, name, 1, CYAML_UNLIMITED),
  OPT_STRING("table", table),
  OPT_STRING("key", key),
  OPT_STRING("id", id),
  OPT_STRING("order", order),
  OPT_STRING("exists_from", exists_from),
  CYAML_FIELD_SEQUENCE("columns", CYAML_FLAG_POINTER, cp_table_cfg, columns, &column_schema, 0,
                       CYAML_UNLIMITED),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t table_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_table_cfg, table_fields),
};

static const cyaml_schema_field_t limits_fields[] = {
  CYAML_FIELD_UINT("memory_mb", CYAML_FLAG_OPTIONAL, cp_limits, memory_mb),
  CYAML_FIELD_UINT("instructions", CYAML_FLAG_OPTIONAL, cp_limits, instructions),
  CYAML_FIELD_UINT("facts_seconds", CYAML_FLAG_OPTIONAL, cp_limits, facts_seconds),
  CYAML_FIELD_UINT("client_memory_mb", CYAML_FLAG_OPTIONAL, cp_limits, client_memory_mb),
  CYAML_FIELD_UINT("lookup_memory_mb", CYAML_FLAG_OPTIONAL, cp_limits, lookup_memory_mb),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t rule_file_schema = {
  CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

static const cyaml_strval_t feed_field_names[] = {
  {"title", CP_FF_TITLE},         {"data", CP_FF_DATA}, {"assignee", CP_FF_ASSIGNEE},
  {"client_id", CP_FF_CLIENT_ID}, {"key", CP_FF_KEY},
};

static const cyaml_schema_field_t feed_fields[] = {
  CYAML_FIELD_FLAGS("drop", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, cp_feed_cfg, drop,
                    feed_field_names, CYAML_ARRAY_LEN(feed_field_names)),
  CYAML_FIELD_FLAGS("mask", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, cp_feed_cfg, mask,
                    feed_field_names, CYAML_ARRAY_LEN(feed_field_names)),
  CYAML_FIELD_STRING_PTR("salt", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_feed_cfg, salt, 1,
                         CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("salt_env", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_feed_cfg,
                         salt_env, 1, CYAML_UNLIMITED),
  CYAML_FIELD_END,
};

/* The values of `locale`, as cp_locale numbers them (locale.h). */
static const cyaml_strval_t locale_names[] = {
  {"en", 0},
  {"zh-CN", 1},
};

static const cyaml_schema_value_t allow_empty_schema = {
  CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t guard_fields[] = {
  CYAML_FIELD_UINT("client_drop_percent", CYAML_FLAG_OPTIONAL, cp_guard_cfg,
                   client_drop_percent),
  CYAML_FIELD_UINT("resolve_percent", CYAML_FLAG_OPTIONAL, cp_guard_cfg, resolve_percent),
  CYAML_FIELD_UINT("table_drop_percent", CYAML_FLAG_OPTIONAL, cp_guard_cfg, table_drop_percent),
  CYAML_FIELD_UINT("column_problem_percent", CYAML_FLAG_OPTIONAL, cp_guard_cfg,
                   column_problem_percent),
  CYAML_FIELD_UINT("min_count", CYAML_FLAG_OPTIONAL, cp_guard_cfg, min_count),
  CYAML_FIELD_UINT("table_min_count", CYAML_FLAG_OPTIONAL, cp_guard_cfg, table_min_count),
  CYAML_FIELD_SEQUENCE("allow_empty", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_guard_cfg,
                       allow_empty, &allow_empty_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_SEQUENCE("allow_removed", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_guard_cfg,
                       allow_removed, &allow_empty_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_END,
};

static const cyaml_strval_t sink_type_names[] = {
  {"alertmanager", CP_SINK_ALERTMANAGER},
  {"webhook", CP_SINK_WEBHOOK},
};

static const cyaml_schema_field_t sink_fields[] = {
  CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, cp_sink_cfg, name, 1, CYAML_UNLIMITED),
  CYAML_FIELD_ENUM("type", CYAML_FLAG_STRICT, cp_sink_cfg, type, sink_type_names,
                   CYAML_ARRAY_LEN(sink_type_names)),
  CYAML_FIELD_STRING_PTR("url", CYAML_FLAG_POINTER, cp_sink_cfg, url, 1, CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("secret_env", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_sink_cfg,
                         secret_env, 1, CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("ca_file", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_sink_cfg,
                         ca_file, 1, CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("proxy", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_sink_cfg,
                         proxy, 1, CYAML_UNLIMITED),
  CYAML_FIELD_UINT("timeout_ms", CYAML_FLAG_OPTIONAL, cp_sink_cfg, timeout_ms),
  CYAML_FIELD_UINT("retries", CYAML_FLAG_OPTIONAL, cp_sink_cfg, retries),
  CYAML_FIELD_UINT("backoff_ms", CYAML_FLAG_OPTIONAL, cp_sink_cfg, backoff_ms),
  CYAML_FIELD_UINT("batch", CYAML_FLAG_OPTIONAL, cp_sink_cfg, batch),
  CYAML_FIELD_UINT("ends_after_hours", CYAML_FLAG_OPTIONAL, cp_sink_cfg, ends_after_hours),
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t sink_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, cp_sink_cfg, sink_fields),
};

static const cyaml_schema_field_t top_fields[] = {
  CYAML_FIELD_STRING_PTR("facts", CYAML_FLAG_POINTER, cp_config_file, facts, 1, CYAML_UNLIMITED),
  CYAML_FIELD_STRING_PTR("state", CYAML_FLAG_POINTER, cp_config_file, state, 1, CYAML_UNLIMITED),
  CYAML_FIELD_SEQUENCE("rules", CYAML_FLAG_POINTER, cp_config_file, rules, &rule_file_schema, 1,
                       CYAML_UNLIMITED),
  CYAML_FIELD_MAPPING("limits", CYAML_FLAG_OPTIONAL, cp_config_file, limits, limits_fields),
  CYAML_FIELD_MAPPING_PTR("clients", CYAML_FLAG_POINTER, cp_config_file, clients, table_fields),
  CYAML_FIELD_SEQUENCE("tables", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_config_file,
                       tables, &table_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_SEQUENCE("lookups", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_config_file,
                       lookups, &table_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_MAPPING("feed", CYAML_FLAG_OPTIONAL, cp_config_file, feed, feed_fields),
  CYAML_FIELD_MAPPING("guard", CYAML_FLAG_OPTIONAL, cp_config_file, guard, guard_fields),
  CYAML_FIELD_SEQUENCE("sinks", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_config_file, sinks,
                       &sink_schema, 0, CYAML_UNLIMITED),
  CYAML_FIELD_IGNORE("params", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_ENUM("locale", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, cp_config_file, locale,
                   locale_names, CYAML_ARRAY_LEN(locale_names)),
  CYAML_FIELD_STRING_PTR("currency", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, cp_config_file,
                         currency, 1, 40),
  CYAML_FIELD_IGNORE("labels", CYAML_FLAG_OPTIONAL),
  CYAML_FIELD_IGNORE("assignees", CYAML_FLAG_OPTIONAL),   /* read by assignees.c */
  CYAML_FIELD_END,
};

static const cyaml_schema_value_t top_schema = {
  CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, cp_config_file, top_fields),
};

/* Collects libcyaml's log lines so that one message with a line can be made. */
typedef struct cylog {
  char text[2048];   /* concatenated log output */
  size_t len;        /* bytes used */
} cylog;

/* libcyaml log callback: appends to the cylog buffer. */
static void cylog_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
  cylog *log = ctx;
  (void)level;
  if (log->len < sizeof log->text) {
    int n = vsnprintf(log->text + log->len, sizeof log->text - log->len, fmt, args);
    if (n > 0)
      log->len += (size_t)n;
    if (log->len > sizeof log->text - 1)
      log->len = sizeof log->text - 1;
  }
}

const char *cp_config_coltype_name(cp_coltype t)
{
  for (size_t i = 0; i < CYAML_ARRAY_LEN(coltype_names); i++)
    if (coltype_names[i].val == (int64_t)t)
      return coltype_names[i].str;
  return "?";
}

/* Follows libcyaml's backtrace (innermost line first) from the document root
 * to the mapping it names, writing the dotted path into path. Returns that
 * mapping node, or NULL when it cannot be followed. */
static const yt_node *follow_backtrace(const yt_node *root, const char *bt, int skip,
                                       char *path, size_t pathlen)
{
  const char *fields[16];
  size_t lens[16], n = 0;
  for (const char *p = bt; (p = strstr(p, "in mapping field '")) && n < 16; p++) {
    if (skip && skip--)   /* the innermost field: not where the error is */
      continue;
    fields[n] = p + strlen("in mapping field '");
    lens[n] = strcspn(fields[n], "'");
    n++;
  }
  const yt_node *node = root;
  path[0] = '\0';
  while (n-- > 0 && node) {
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)lens[n], fields[n]);
    node = cp_ytree_get(node, key);
    size_t used = strlen(path);
    snprintf(path + used, pathlen - used, "%s%s", used ? "." : "", key);
    if (node && node->kind == YT_SEQ)   /* entries of a sequence: the entry itself */
      break;
  }
  return node;
}

/* Returns the key node of a mapping whose text is name, or starts with it
 * (name may have been cut short in the log), or NULL. */
static const yt_node *key_like(const yt_node *map, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; map && map->kind == YT_MAP && i + 1 < map->n; i += 2)
    if (map->items[i]->kind == YT_SCALAR && strncmp(map->items[i]->value, name, len) == 0)
      return map->items[i];
  return NULL;
}

/* Names a kind of YAML node in libcyaml's words (what it expects: SEQUENCE,
 * MAPPING or a scalar's type, INT, ENUM, ...; what it got: SCALAR,
 * SEQUENCE_START or MAPPING_START) as a config's author reads it. */
static const char *node_kind(const char *k)
{
  if (strncmp(k, "SEQUENCE", 8) == 0)
    return "a list";
  if (strncmp(k, "MAPPING", 7) == 0)
    return "a mapping";
  return "one value";
}

/* Returns the key of the mapping entry of root's tree on line whose value is
 * the scalar value, or NULL: the key an enum's error is about. */
static const char *key_of_value(const yt_node *n, unsigned line, const char *value)
{
  if (!n || n->kind == YT_SCALAR)
    return NULL;
  for (size_t i = 0; i < n->n; i++) {
    const yt_node *v = n->items[i];
    if (n->kind == YT_MAP && i % 2 == 1 && v->kind == YT_SCALAR && v->line == line &&
        v->value && !strcmp(v->value, value) && n->items[i - 1]->kind == YT_SCALAR)
      return n->items[i - 1]->value;
    const char *k = key_of_value(v, line, value);
    if (k)
      return k;
  }
  return NULL;
}

/* Turns libcyaml's log into "FILE:LINE: MESSAGE" and prints it. */
static cp_err report_cyaml(const char *file, const yt_node *root, const cylog *log,
                           cyaml_err_t err)
{
  int opened = errno;   /* why fopen() failed, for CYAML_ERR_FILE_OPEN */
  char msg[256] = "", path[256] = "";
  unsigned line = 0;
  /* the file parsed once already (cp_ytree_load): libyaml failing on it now,
   * with no problem to name, is its memory failing */
  if (err == CYAML_ERR_OOM || err == CYAML_ERR_LIBYAML_PARSER_INIT ||
      (err == CYAML_ERR_LIBYAML_PARSER && strstr(log->text, "(null)")))
    return cp_diag_fail(CP_ENOMEM, "%s: out of memory", file);
  /* it was read a moment ago: opening it again fails for want of memory
   * (fopen's buffer), or because it was removed or replaced since */
  if (err == CYAML_ERR_FILE_OPEN)
    return opened == ENOMEM ? cp_diag_fail(CP_ENOMEM, "%s: out of memory", file)
                            : cp_diag_fail(CP_EIO, "%s: read once, it could not be opened "
                                           "again: %s", file, strerror(opened));
  const char *first = strstr(log->text, "Load: ");
  if (first) {
    first += strlen("Load: ");
    snprintf(msg, sizeof msg, "%.*s", (int)strcspn(first, "\n"), first);
  } else {
    snprintf(msg, sizeof msg, "%s", cyaml_strerror(err));
  }
  const char *bt = strstr(log->text, "Backtrace:");
  const char *l = bt ? strstr(bt, "(line: ") : NULL;
  if (l)
    line = (unsigned)strtoul(l + strlen("(line: "), NULL, 10);
  /* A missing field is reported with the last field libcyaml read in the
   * mapping that lacks it: the mapping is one step out. */
  int missing = strncmp(msg, "Missing required mapping field: ", 32) == 0;
  const yt_node *at = bt ? follow_backtrace(root, bt, missing, path, sizeof path) : NULL;
  if (strncmp(msg, "Unexpected key: ", 16) == 0) {
    const yt_node *k = key_like(at ? at : root, msg + 16);   /* no backtrace: a top key */
    if (k)
      line = k->line;
    return cp_diag_fail(CP_ECONFIG, "%s:%u: unknown key '%s'%s%s", file, line, msg + 16,
                     path[0] ? " in " : "", path);
  }
  const char *got = strstr(msg, ", got event: ");
  if (strncmp(msg, "Expecting ", 10) == 0 && got) {
    /* libcyaml's "Expecting SEQUENCE, got event: MAPPING_START": what the
     * key takes and what it was given, in the config's words */
    const char *want = node_kind(msg + 10), *given = node_kind(got + 13);
    if (strcmp(want, given) != 0) {
      char said[256];
      snprintf(said, sizeof said, "%s is expected here, not %s", want, given);
      snprintf(msg, sizeof msg, "%s", said);
    }
  }
  if (missing && at)
    line = at->line;
  char rel;
  unsigned lim;
  if (sscanf(msg, "STRING length %c %u:", &rel, &lim) == 2 && (rel == '<' || rel == '>')) {
    /* libcyaml's "STRING length < 1: " says neither what nor what to do */
    if (rel == '<' && lim <= 1)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s%san empty text is not allowed here (\"\"): "
                          "write a value", file, line, path, path[0] ? ": " : "");
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s%sthe text is %s than %u bytes here", file, line,
                        path, path[0] ? ": " : "", rel == '<' ? "shorter" : "longer", lim);
  }
  unsigned have, need;
  if (sscanf(msg, "Insufficient entries (%u of %u min) in sequence", &have, &need) == 2)
    /* a list that must not be empty, given empty (steps: []) */
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s%sthe list has %u entr%s, and needs at least %u",
                        file, line, path, path[0] ? ": " : "", have, have == 1 ? "y" : "ies",
                        need);
  if (strncmp(msg, "Invalid ENUM value: ", 20) == 0) {   /* name the key and its values */
    const char *value = msg + 20, *key = key_of_value(root, line, value);
    const cyaml_strval_t *names = NULL;
    size_t n = 0;
    if (key && !strcmp(key, "type") && strstr(path, "sinks"))
      names = sink_type_names, n = CYAML_ARRAY_LEN(sink_type_names);
    else if (key && !strcmp(key, "type"))
      names = coltype_names, n = CYAML_ARRAY_LEN(coltype_names);
    else if (key && !strcmp(key, "future"))
      names = future_names, n = CYAML_ARRAY_LEN(future_names);
    else if (key && !strcmp(key, "locale"))
      names = locale_names, n = CYAML_ARRAY_LEN(locale_names);
    if (names) {
      char list[200] = "";
      for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 names[i].str);
      int at_path = path[0] && strcmp(path, key) != 0;
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' is not one of %s%s%s%s", file, line, key,
                          value, list, at_path ? " (at " : "", at_path ? path : "",
                          at_path ? ")" : "");
    }
  }
  return cp_diag_fail(CP_ECONFIG, "%s:%u: %s%s%s", file, line, msg, bt && path[0] ? " at " : "",
                   bt ? path : "");
}

char *cp_config_path_folder(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
}

char *cp_config_resolve(const cp_config *c, const char *rel)
{
  if (rel[0] == '/' || strcmp(c->dir, ".") == 0)
    return strdup(rel);
  size_t n = strlen(c->dir) + strlen(rel) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", c->dir, rel);
  return p;
}

/* Folds "." and ".." out of path in place (lexically: symbolic links are
 * not followed). A leading ".." that cannot fold stays. A path of more
 * than 256 components, or of more than 4095 bytes once folded, stays as it
 * is: cut there, it would name another file (a folder, or a file that the
 * rest of the path left by a "..": `.../f/../g.lua` opened f). */
static void fold_dots(char *path)
{
  enum { MAX_PARTS = 256 };
  char *parts[MAX_PARTS];
  size_t n = 0, keep_up = 0, len = strlen(path);
  char *copy = malloc(len + 1);
  if (!copy)
    return;   /* left unfolded: the same file, named longer */
  memcpy(copy, path, len + 1);
  int absolute = copy[0] == '/', whole = 1;
  char *save = NULL;   /* strtok_r: workers of --jobs load their rules at once */
  for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (strcmp(t, ".") == 0)
      continue;
    if (strcmp(t, "..") == 0 && n > keep_up)
      n--;
    else if (strcmp(t, "..") == 0 && absolute)
      continue;
    else if (n == MAX_PARTS)
      whole = 0;
    else if ((parts[n++] = t) && strcmp(t, "..") == 0)
      keep_up = n;
    if (!whole)
      break;
  }
  char out[4096] = "";
  size_t used = 0;
  for (size_t i = 0; whole && i < n; i++) {
    int k = snprintf(out + used, sizeof out - used, "%s%s", i || absolute ? "/" : "", parts[i]);
    if (k < 0 || (size_t)k >= sizeof out - used)
      whole = 0;
    else
      used += (size_t)k;
  }
  const char *folded = n ? out : absolute ? "/" : ".";
  if (whole && strlen(folded) <= len)   /* never longer, but for "" (".") */
    memcpy(path, folded, strlen(folded) + 1);
  free(copy);
}

char *cp_config_shown(const cp_config *c, const char *rel)
{
  char *p = cp_config_resolve(c, rel);
  if (p)
    fold_dots(p);
  return p;
}

/* Whether folding "." and ".." out of path names the same file: no folder
 * that a ".." leaves is a symbolic link (through one, "link/.." is the
 * parent of the link's target, not the folder holding the link). */
static int folds_safely(const char *path)
{
  char out[4096];
  size_t len = 0;
  for (const char *s = path; *s; s += *s == '/') {
    size_t n = strcspn(s, "/");
    struct stat st;
    if (n == 2 && !memcmp(s, "..", 2) && len && strcmp(out, "..") &&
        (len < 3 || strcmp(out + len - 3, "/.."))) {
      if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode))
        return 0;
      while (len && out[len - 1] != '/')
        len--;
      len -= len > 1;   /* the "/" before the component, but not the root's */
      out[len] = '\0';
    } else if (n && !(n == 1 && s[0] == '.')) {
      if (len + n + 2 >= sizeof out)
        return 0;
      len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s",
                              len && out[len - 1] != '/' ? "/" : "", (int)n, s);
    } else if (!len && s == path && path[0] == '/') {
      out[len++] = '/';
      out[len] = '\0';
    }
    s += n;
  }
  return 1;
}

/* Returns rel resolved against the config's folder, with "." and ".."
 * folded out when that names the same file (folds_safely): messages then show build/demo/facts.db, not
 * examples/demo/../../build/demo/facts.db. NULL when out of memory. */
static char *resolve_tidy(const cp_config *c, const char *rel)
{
  char *p = cp_config_resolve(c, rel), *t = p ? strdup(p) : NULL;
  if (!t) {
    free(p);
    return NULL;
  }
  fold_dots(t);
  if (folds_safely(p)) {
    free(p);
    return t;
  }
  free(t);
  return p;
}

cp_err cp_config_set_path(char **slot, const char *path)
{
  char *copy = strdup(path);
  if (!copy)
    return CP_ENOMEM;
  free(*slot);
  *slot = copy;
  return CP_OK;
}

static cp_err validate(cp_config *c);

/* Checks the whole numbers of limits and guard before the typed load, whose
 * own message for one too large ("Invalid UINT value") gives no range. */
/* Checks the booleans of the columns of one table entry (libcyaml reads any
 * text but false, no, off, disable and 0 as true: required: nope, or ~). */
static cp_err check_column_bools(const cp_config *c, const yt_node *table)
{
  static const char *const keys[] = {"required", "sensitive"};
  const yt_node *cols = table && table->kind == YT_MAP ? cp_ytree_get(table, "columns") : NULL;
  for (size_t i = 0; cols && cols->kind == YT_SEQ && i < cols->n; i++)
    for (size_t k = 0; k < 2; k++) {
      const yt_node *v = cols->items[i]->kind == YT_MAP ? cp_ytree_get(cols->items[i], keys[k])
                                                         : NULL;
      if (v && v->kind == YT_SCALAR &&
          (!v->plain || cp_ytree_plain(v->value, NULL, NULL, NULL) != YT_PLAIN_BOOL))
        return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' is not true or false", c->path,
                            v->line, keys[k], v->value);
    }
  return CP_OK;
}

static cp_err check_numbers(const cp_config *c)
{
  static const char *const limits32[] = {"memory_mb", "facts_seconds", "client_memory_mb",
                                        "lookup_memory_mb", NULL};
  static const char *const limits64[] = {"instructions", NULL};
  static const char *const guard[] = {"client_drop_percent", "resolve_percent",
                                      "table_drop_percent", "column_problem_percent",
                                      "min_count", "table_min_count", NULL};
  const yt_node *lm = cp_ytree_get(c->doc, "limits");
  cp_err rc = cp_config_check_wholes(c, lm, "limits.", limits32, 1, UINT32_MAX);
  if (rc == CP_OK)
    rc = cp_config_check_wholes(c, lm, "limits.", limits64, 1, UINT64_MAX);
  if (rc == CP_OK)
    rc = cp_config_check_wholes(c, cp_ytree_get(c->doc, "guard"), "guard.", guard, 0,
                                UINT32_MAX);
  if (rc == CP_OK)
    rc = check_column_bools(c, cp_ytree_get(c->doc, "clients"));
  for (size_t s = 0; s < 2; s++) {
    const yt_node *list = cp_ytree_get(c->doc, s ? "lookups" : "tables");
    for (size_t i = 0; rc == CP_OK && list && list->kind == YT_SEQ && i < list->n; i++)
      rc = check_column_bools(c, list->items[i]);
  }
  const yt_node *sinks = cp_ytree_get(c->doc, "sinks");
  for (size_t i = 0; rc == CP_OK && sinks && sinks->kind == YT_SEQ && i < sinks->n; i++) {
    const yt_node *m = sinks->items[i];
    const yt_node *name = m->kind == YT_MAP ? cp_ytree_get(m, "name") : NULL;
    char prefix[240];
    if (!name || name->kind != YT_SCALAR)
      continue;   /* the typed load's error */
    snprintf(prefix, sizeof prefix, "sinks: '%.200s': ", name->value);
    rc = cp_config_check_wholes(c, m, prefix, cp_feedcfg_sink_numbers, 0, UINT32_MAX);
  }
  return rc;
}

cp_err cp_config_load(const char *path, cp_config **out)
{
  char err[512];
  cylog log = {.len = 0};
  cyaml_config_t cy = {.log_fn = cylog_fn, .log_ctx = &log, .mem_fn = cyaml_mem,
                       .log_level = CYAML_LOG_WARNING, .flags = CYAML_CFG_NO_ALIAS};
  cp_config *c = calloc(1, sizeof *c);
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (!c || !(c->path = strdup(path)) || !(c->dir = cp_config_path_folder(path)))
    goto fail;
  int loaded = cp_ytree_load(path, &c->doc, err, sizeof err);
  if (loaded < 0) {
    rc = cp_diag_fail(loaded == -2 ? CP_ENOMEM : CP_ECONFIG, "%s", err);
    goto fail;
  }
  if (!c->doc || c->doc->kind != YT_MAP) {
    rc = cp_diag_fail(CP_ECONFIG, "%s:1: the config must be a mapping of settings", path);
    goto fail;
  }
  if ((rc = check_numbers(c)) != CP_OK)
    goto fail;
  cyaml_err_t e = cyaml_load_file(path, &cy, &top_schema, (cyaml_data_t **)&c->file, NULL);
  if (e != CYAML_OK) {
    rc = report_cyaml(path, c->doc, &log, e);
    goto fail;
  }
  c->params = cp_ytree_get(c->doc, "params");
  c->labels = cp_ytree_get(c->doc, "labels");
  if ((rc = validate(c)) != CP_OK)
    goto fail;
  *out = c;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM && !cp_diag_oom_said())   /* said once, where it was met if there */
    cp_diag_fail(rc, "%s: out of memory", path);
  cp_config_free(c);
  return rc;
}

void cp_config_free(cp_config *c)
{
  if (!c)
    return;
  if (c->file) {
    cyaml_config_t cy = {.mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR};
    cyaml_free(&cy, &top_schema, c->file, 0);
  }
  cp_ytree_free(c->doc);
  free(c->facts);
  free(c->state);
  free(c->path);
  free(c->dir);
  free(c);
}

/* Finds a declared column by name; NULL when absent. */
static const cp_column_cfg *find_column(const cp_table_cfg *t, const char *name)
{
  for (unsigned i = 0; i < t->columns_count; i++)
    if (strcmp(t->columns[i].name, name) == 0)
      return &t->columns[i];
  return NULL;
}

/* Checks one table entry; section names it in messages ("tables", ...). */
static cp_err validate_table(const cp_config *c, cp_table_cfg *t, const char *section)
{
  const char *what = strcmp(section, "tables") == 0 ? "key" : "id";
  if (!(strcmp(what, "key") == 0 ? t->key : t->id))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s '%s' needs '%s'", c->path, t->line, section,
                     t->name, what);
  for (unsigned i = 0; i < t->columns_count; i++) {
    const cp_column_cfg *col = &t->columns[i];
    if (find_column(t, col->name) != col)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s '%s': column '%s' is declared twice", c->path,
                       t->line, section, t->name, col->name);
    if (col->future == CP_FUTURE_EMPTY && col->type != CP_COL_DATE &&
        col->type != CP_COL_TIMESTAMP)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s '%s': column '%s': 'future' needs a date or "
                       "timestamp column", c->path, t->line, section, t->name, col->name);
  }
  if (strcmp(section, "lookups") == 0 && !find_column(t, t->id))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: lookups '%s': its id column '%s' must be among its "
                     "columns", c->path, t->line, t->name, t->id);
  if (t->exists_from) {
    const cp_column_cfg *col = find_column(t, t->exists_from);
    if (!col || (col->type != CP_COL_DATE && col->type != CP_COL_TIMESTAMP))
      return cp_diag_fail(CP_ECONFIG, "%s:%u: %s '%s': exists_from '%s' must be a declared date "
                       "or timestamp column", c->path, t->line, section, t->name,
                       t->exists_from);
  }
  return CP_OK;
}

cp_err cp_config_rule_files(const cp_config *c)
{
  const yt_node *seq = cp_ytree_get(c->doc, "rules");
  for (unsigned i = 0; i < c->file->rules_count; i++) {
    char *path = cp_config_shown(c, c->file->rules[i]);
    if (!path)
      return cp_diag_fail(CP_ENOMEM, "out of memory");
    int bad = access(path, R_OK) < 0, err = errno;
    unsigned line = seq && seq->kind == YT_SEQ && i < seq->n ? seq->items[i]->line : 0;
    if (bad)
      cp_diag_fail(CP_ECONFIG, "%s:%u: rules: %s: cannot read: %s", c->path, line, path,
                   strerror(err));
    free(path);
    if (bad)
      return CP_ECONFIG;
  }
  return CP_OK;
}

/* Gives each table entry of a section the line of its entry in the file. */
static void set_lines(const cp_config *c, const char *section, cp_table_cfg *t, unsigned n)
{
  const yt_node *seq = cp_ytree_get(c->doc, section);
  for (unsigned i = 0; i < n; i++)
    t[i].line = seq && seq->kind == YT_SEQ && i < seq->n ? seq->items[i]->line : 0;
}

/* Returns the table named name among all sections, other than self. */
static const cp_table_cfg *other_named(const cp_config_file *f, const cp_table_cfg *self,
                                       const char *name)
{
  for (unsigned i = 0; i < f->tables_count; i++)
    if (&f->tables[i] != self && strcmp(f->tables[i].name, name) == 0)
      return &f->tables[i];
  for (unsigned i = 0; i < f->lookups_count; i++)
    if (&f->lookups[i] != self && strcmp(f->lookups[i].name, name) == 0)
      return &f->lookups[i];
  return NULL;
}

/* Returns 1 when a column of table t is marked sensitive. */
static int any_sensitive(const cp_table_cfg *t)
{
  for (unsigned j = 0; j < t->columns_count; j++)
    if (t->columns[j].sensitive)
      return 1;
  return 0;
}

/* Checks map's key, shown as prefix and key (see cp_config_check_wholes). */
static cp_err check_whole(const cp_config *c, const yt_node *map, const char *prefix,
                          const char *key, unsigned min, uint64_t max)
{
  char label[300];
  snprintf(label, sizeof label, "%s%s", prefix, key);
  const yt_node *v = map && map->kind == YT_MAP ? cp_ytree_get(map, key) : NULL;
  if (!v || v->kind != YT_SCALAR)
    return CP_OK;   /* absent; another type is the typed load's error */
  const char *p = v->value;
  while (*p >= '0' && *p <= '9')
    p++;
  size_t zeros = strspn(v->value, "0"), len = strlen(v->value);
  int digits = v->plain && p != v->value && !*p;
  if (digits && zeros > 0 && len > 1 && (zeros < len || min == 0))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' has a leading zero, which YAML reads as "
                        "an octal number; write %s", c->path, v->line, label, v->value,
                        zeros < len ? v->value + zeros : "0");
  if (digits && (zeros < len || min == 0)) {
    errno = 0;
    unsigned long long n = strtoull(v->value, NULL, 10);
    if (errno != ERANGE && n <= max)
      return CP_OK;
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' is too large: it is a whole number from "
                        "%u to %llu", c->path, v->line, label, v->value, min,
                        (unsigned long long)max);
  }
  if (min == 0)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' is not a whole number", c->path, v->line,
                        label, v->value);
  return cp_diag_fail(CP_ECONFIG, "%s:%u: %s: '%s' is not a whole number of at least %u",
                      c->path, v->line, label, v->value, min);
}

cp_err cp_config_check_wholes(const cp_config *c, const yt_node *map, const char *prefix,
                              const char *const *keys, unsigned min, uint64_t max)
{
  cp_err rc = CP_OK;
  for (; rc == CP_OK && *keys; keys++)
    rc = check_whole(c, map, prefix, *keys, min, max);
  return rc;
}
/* A params key and the Lua key rules see for it. */
typedef struct lua_key {
  char text[48];            /* "i1", "f0.5", "b1", or "s" for the node's own text */
  const yt_node *node;      /* the key as written */
} lua_key;

/* Writes the Lua key that params key k is to rules into buf (plain scalars
 * convert: 1, 1.0 and 1e0 are one integer key, yes and true one boolean;
 * "s" for text, whose own text tells it apart); NULL when it can be none
 * (null, NaN). */
static const char *as_lua_key(const yt_node *k, char *buf, size_t cap)
{
  int b = 0;
  long long i = 0;
  double d = 0;
  switch (k->plain ? cp_ytree_plain(k->value, &b, &i, &d) : YT_PLAIN_TEXT) {
  case YT_PLAIN_NULL:
    return NULL;
  case YT_PLAIN_BOOL:
    snprintf(buf, cap, "b%d", b);
    break;
  case YT_PLAIN_INT:
    snprintf(buf, cap, "i%lld", i);
    break;
  case YT_PLAIN_REAL:
    if (isnan(d))
      return NULL;
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      snprintf(buf, cap, "i%lld", (long long)d);   /* Lua keeps an integral float as an integer */
    else
      snprintf(buf, cap, "f%.17g", d);
    break;
  default:
    snprintf(buf, cap, "s");
    break;
  }
  return buf;
}

/* qsort comparator of lua_keys: by Lua key, then line. */
static int cmp_lua_keys(const void *x, const void *y)
{
  const lua_key *a = x, *b = y;
  int c = strcmp(a->text, b->text);
  if (!c && a->text[0] == 's' && !a->text[1])
    c = strcmp(a->node->value, b->node->value);
  return c ? c : (a->node->line > b->node->line) - (a->node->line < b->node->line);
}

/* Returns 1 when plain scalar s is a number written with a leading zero
 * (010, -007, 012.5): YAML 1.1 readers take 010 as octal 8, YAML 1.2 and
 * this one as 10, and an area code or a zip code meant as text ("010")
 * would never equal the facts' text. */
static int leading_zero(const char *s)
{
  const char *p = s + (*s == '-' || *s == '+');
  yt_plain kind = cp_ytree_plain(s, NULL, NULL, NULL);
  return p[0] == '0' && p[1] >= '0' && p[1] <= '9' &&
         (kind == YT_PLAIN_INT || kind == YT_PLAIN_REAL);
}

/* Returns 1 when plain scalar s is written as a number beyond a double's
 * range: 1e400 (which would stay text) or 1e-400 (which would be 0). */
static int out_of_range(const char *s)
{
  char *end;
  if (!*s || strspn(s, "+-0123456789.eE") != strlen(s))
    return 0;
  errno = 0;
  double d = strtod(s, &end);
  return !*end && errno == ERANGE && (d == 0 || isinf(d));
}

/* Returns 1 when plain scalar s is text here but a number to other YAML
 * readers: hexadecimal 0x1F, octal 0o17, binary 0b101, digits grouped
 * with underscores (1_000), .inf and .nan. A threshold written so would
 * be a string, equal to no number. */
static int foreign_number(const char *s)
{
  const char *p = s + (*s == '-' || *s == '+');
  if (cp_ytree_plain(s, NULL, NULL, NULL) != YT_PLAIN_TEXT)
    return 0;
  if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
    return 1;
  if (p == s && (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")))
    return 1;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
    const char *digits = p[1] == 'x' ? "0123456789abcdefABCDEF_" : p[1] == 'o' ? "01234567_" : "01_";
    return p[2] && strspn(p + 2, digits) == strlen(p + 2);
  }
  /* 1_000, 1_000.5: a number once the underscores after digits are gone */
  char plain[64];
  size_t k = 0;
  if (!strchr(s, '_'))
    return 0;
  for (const char *q = s; *q; q++) {
    if (*q == '_' && q > s && (isdigit((unsigned char)q[-1]) || q[-1] == '_'))
      continue;
    if (*q == '_' || k + 1 >= sizeof plain)
      return 0;
    plain[k++] = *q;
  }
  plain[k] = '\0';
  yt_plain kind = cp_ytree_plain(plain, NULL, NULL, NULL);
  return kind == YT_PLAIN_INT || kind == YT_PLAIN_REAL;
}

/* Refuses params scalar n (a key or a value) written with a leading zero,
 * as a number no double holds, or as a number this reader takes as text. */
static cp_err check_scalar(const char *path, const yt_node *n)
{
  if (n->plain && foreign_number(n->value))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: params: %s is a number to some YAML readers but "
                        "text to this one: write it as a plain decimal number (1000, 31, "
                        "0.25), or quote it ('%s') to make it text", path, n->line, n->value,
                        n->value);
  if (n->plain && out_of_range(n->value))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: params: %s is beyond the range of a number (about "
                        "1e-308 to 1e308 in size): write a number within it, or quote it ('%s') "
                        "to make it text", path, n->line, n->value, n->value);
  if (!n->plain || !leading_zero(n->value))
    return CP_OK;
  return cp_diag_fail(CP_ECONFIG, "%s:%u: params: %s has a leading zero, which YAML readers "
                      "take as octal or as decimal: quote it ('%s') to make it text, or write "
                      "it without the zero", path, n->line, n->value, n->value);
}

cp_err cp_config_check_params(const char *path, const yt_node *n)
{
  if (n && n->kind == YT_SCALAR)
    return check_scalar(path, n);
  if (!n)
    return CP_OK;
  cp_err rc = CP_OK;
  for (size_t i = n->kind == YT_MAP; rc == CP_OK && i < n->n; i += n->kind == YT_MAP ? 2 : 1)
    rc = cp_config_check_params(path, n->items[i]);
  if (rc != CP_OK || n->kind != YT_MAP || n->n < 2)
    return rc;
  size_t m = n->n / 2;
  lua_key *keys = malloc(m * sizeof *keys);
  if (!keys)
    return cp_diag_fail(CP_ENOMEM, "out of memory");
  for (size_t i = 0; rc == CP_OK && i < m; i++) {
    const yt_node *k = n->items[2 * i];
    keys[i].node = k;
    if ((rc = check_scalar(path, k)) == CP_OK &&
        !as_lua_key(k, keys[i].text, sizeof keys[i].text))
      rc = cp_diag_fail(CP_ECONFIG, "%s:%u: params: the key '%s' is %s: no key a rule can read; "
                        "quote it to make it text", path, k->line, k->value,
                        cp_ytree_plain(k->value, NULL, NULL, NULL) == YT_PLAIN_NULL
                            ? "null" : "not a number (NaN)");
  }
  if (rc == CP_OK) {
    qsort(keys, m, sizeof *keys, cmp_lua_keys);
    const lua_key *first = NULL, *repeat = NULL;
    for (size_t i = 1; i < m; i++)
      if (strcmp(keys[i - 1].text, keys[i].text) == 0 &&
          (keys[i].text[0] != 's' || strcmp(keys[i - 1].node->value, keys[i].node->value) == 0) &&
          (!repeat || keys[i].node->line < repeat->node->line)) {
        repeat = &keys[i];
        first = &keys[i - 1];
      }
    if (repeat)
      rc = cp_diag_fail(CP_ECONFIG, "%s:%u: params: the key '%s' is the key '%s' of line %u to a "
                        "rule (the same %s); give it once", path, repeat->node->line,
                        repeat->node->value, first->node->value, first->node->line,
                        repeat->text[0] == 'b' ? "boolean" : "number");
  }
  free(keys);
  return rc;
}


/* Semantic checks and defaults after the typed load. */
static cp_err validate(cp_config *c)
{
  cp_config_file *f = c->file;
  cp_err rc;
  if (!f->limits.memory_mb)
    f->limits.memory_mb = DEFAULT_MEMORY_MB;
  if (!f->limits.instructions)
    f->limits.instructions = DEFAULT_INSTRUCTIONS;
  if (!f->limits.facts_seconds)
    f->limits.facts_seconds = DEFAULT_FACTS_SECONDS;
  if (!f->limits.client_memory_mb)
    f->limits.client_memory_mb = DEFAULT_CLIENT_MEMORY_MB;
  if (!f->limits.lookup_memory_mb)
    f->limits.lookup_memory_mb = DEFAULT_LOOKUP_MEMORY_MB;
  if (!(c->facts = resolve_tidy(c, f->facts)) || !(c->state = resolve_tidy(c, f->state)))
    return CP_ENOMEM;
  const yt_node *cl = cp_ytree_get(c->doc, "clients");
  f->clients->line = cl ? cl->line : 0;
  set_lines(c, "tables", f->tables, f->tables_count);
  set_lines(c, "lookups", f->lookups, f->lookups_count);
  if ((rc = validate_table(c, f->clients, "clients")) != CP_OK)
    return rc;
  c->any_sensitive = any_sensitive(f->clients);
  /* c.id is the client's id: a column or table named id would never be read */
  if (find_column(f->clients, "id") && f->clients->id && strcmp(f->clients->id, "id") != 0)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: clients: a column named 'id' cannot be read: c.id is "
                     "the client id (column '%s'); read it under another name (a view can "
                     "rename it)", c->path, f->clients->line, f->clients->id);
  for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++) {
    int lookup = i >= f->tables_count;
    cp_table_cfg *t = lookup ? &f->lookups[i - f->tables_count] : &f->tables[i];
    if ((rc = validate_table(c, t, lookup ? "lookups" : "tables")) != CP_OK)
      return rc;
    c->any_sensitive |= !lookup && any_sensitive(t);
    if (!lookup && strcmp(t->name, "id") == 0)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: tables: a table named 'id' cannot be read: c.id is "
                       "the client id; give it another name", c->path, t->line);
    if (other_named(f, t, t->name) || find_column(f->clients, t->name))
      return cp_diag_fail(CP_ECONFIG, "%s:%u: the name '%s' is used twice (table names and "
                       "clients columns share one namespace)", c->path, t->line, t->name);
  }
  if (f->feed.drop & (CP_FF_CLIENT_ID | CP_FF_KEY))
    return cp_diag_fail(CP_ECONFIG, "%s:%u: feed: client_id and key identify a result; mask them, "
                     "do not drop them", c->path, cp_ytree_get(c->doc, "feed")->line);
  if (f->feed.salt && f->feed.salt_env)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: feed: give salt or salt_env, not both", c->path,
                     cp_ytree_get(c->doc, "feed")->line);
  if (c->params && c->params->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: params must be a mapping", c->path, c->params->line);
  if ((rc = cp_config_check_params(c->path, c->params)) != CP_OK)
    return rc;
  if ((rc = cp_locale_labels_check(c)) != CP_OK)
    return rc;
  return cp_feedcfg_check(c);
}

cp_err cp_config_cyaml_load(const char *path, const yt_node *root,
                            const struct cyaml_schema_value *schema, void **out)
{
  cylog log = {.len = 0};
  cyaml_config_t cy = {.log_fn = cylog_fn, .log_ctx = &log, .mem_fn = cyaml_mem,
                       .log_level = CYAML_LOG_WARNING, .flags = CYAML_CFG_NO_ALIAS};
  *out = NULL;
  cyaml_err_t e = cyaml_load_file(path, &cy, schema, (cyaml_data_t **)out, NULL);
  return e == CYAML_OK ? CP_OK : report_cyaml(path, root, &log, e);
}

void cp_config_cyaml_free(const struct cyaml_schema_value *schema, void *data)
{
  cyaml_config_t cy = {.mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR};
  if (data)
    cyaml_free(&cy, schema, data, 0);
}
