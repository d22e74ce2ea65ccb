/* config.h: the YAML config: databases, rule files, fact tables, limits, params,
 * locale and labels. */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "ytree.h"

/* How a fact column is read and what Lua sees. */
typedef enum cp_coltype {
  CP_COL_TEXT,        /* string */
  CP_COL_INTEGER,     /* integer */
  CP_COL_REAL,        /* float */
  CP_COL_MONEY,       /* integer cents, rounded half away from zero */
  CP_COL_DATE,        /* integer epoch day */
  CP_COL_TIMESTAMP,   /* integer epoch seconds; a bare date means 00:00:00 */
  CP_COL_BOOLEAN      /* 0/1 integer read as false/true */
} cp_coltype;

/* What a date or timestamp after the as-of time reads as. */
typedef enum cp_future { CP_FUTURE_KEEP, CP_FUTURE_EMPTY } cp_future;

/* One declared column of a fact table. */
typedef struct cp_column_cfg {
  char *name;          /* column name, also the field name in Lua */
  cp_coltype type;     /* how it is converted */
  bool required;       /* NULL is a data error */
  cp_future future;    /* after the as-of time: keep, or read as nil */
  bool sensitive;      /* personal data: masked by explain, kept out of results */
} cp_column_cfg;

/* A fact table: the clients table, a per-client table, or a lookup table. */
typedef struct cp_table_cfg {
  char *name;                /* name rules use: c.orders, lookup.staff */
  char *table;               /* SQL table name; NULL means the same as name */
  char *key;                 /* per-client tables: the client key column */
  char *id;                  /* row id column (clients, lookups: required) */
  char *order;               /* column that orders a client's rows, optional */
  char *exists_from;         /* date/timestamp column: rows after the as-of time do not exist */
  cp_column_cfg *columns;    /* the columns rules may read */
  unsigned columns_count;        /* number of columns */
  unsigned line;             /* line of the table's entry in the config */
} cp_table_cfg;

/* Limits that keep one rule from harming the run. */
typedef struct cp_limits {
  uint32_t memory_mb;        /* Lua heap cap per worker, MiB */
  uint64_t instructions;     /* Lua instructions per rule and client */
  uint32_t facts_seconds;    /* longest a connection may read the facts, seconds */
  uint32_t client_memory_mb; /* one client's rows held in C, MiB (cp_client.over) */
  uint32_t lookup_memory_mb; /* one lookup table held in C, MiB */
} cp_limits;

/* Fields of alerts and assignments that the feed can drop or mask (bits). */
typedef enum cp_feed_field {
  CP_FF_TITLE = 1,          /* title */
  CP_FF_DATA = 2,           /* data */
  CP_FF_ASSIGNEE = 4,       /* assignee */
  CP_FF_CLIENT_ID = 8,      /* client_id */
  CP_FF_KEY = 16            /* key */
} cp_feed_field;

/* What customer data the event feed carries. */
typedef struct cp_feed_cfg {
  unsigned drop;            /* cp_feed_field bits written as null ({} for data) */
  unsigned mask;            /* cp_feed_field bits written as a salted hash */
  char *salt;               /* mixed into masks, so that ids cannot be looked up */
  char *salt_env;           /* or: the environment variable that holds the salt */
} cp_feed_cfg;

/* Guards of the nightly run against a bad export (the guard section). */
typedef struct cp_guard_cfg {
  uint32_t client_drop_percent;  /* refuse when evaluated clients fall by more than this (20) */
  uint32_t resolve_percent;      /* refuse when more of the open alerts would resolve (50) */
  uint32_t table_drop_percent;   /* refuse when a table's rows fall by more than this (40) */
  uint32_t column_problem_percent;  /* refuse when the share of a column's rows with a data
                                       problem rises by more points than this (50) */
  uint32_t min_count;            /* shares are checked from this many clients or alerts (100) */
  uint32_t table_min_count;      /* ... and a table's drop guard from this many rows
                                    (min_count's) */
  uint32_t table_empty_min;      /* a table's empty guard from this many rows: table_min_count
                                    when given, else 1 (not read from the config) */
  char **allow_empty;            /* per-client or lookup tables that may come empty */
  unsigned allow_empty_count;    /* their number */
  char **allow_removed;          /* ids (globs) no rule reports under any more, whose open
                                    alerts and proposals may resolve */
  unsigned allow_removed_count;  /* their number */
} cp_guard_cfg;

/* Where `push` delivers the feed. */
typedef enum cp_sink_type { CP_SINK_ALERTMANAGER, CP_SINK_WEBHOOK } cp_sink_type;

/* One sink of the sinks section: a named consumer of the feed. */
typedef struct cp_sink_cfg {
  char *name;                /* its name; its cursor is the consumer "sink:NAME" */
  cp_sink_type type;         /* alertmanager or webhook */
  char *url;                 /* Alertmanager's base URL, or the webhook's URL */
  char *secret_env;          /* webhook: environment variable holding the HMAC secret */
  char *ca_file;             /* certificates (PEM) to trust for an https URL, instead of the
                                system's; resolved against the config's folder; or NULL */
  char *proxy;               /* "none" (no proxy, whatever the environment says), a proxy's
                                URL, or NULL: the environment's (https_proxy, no_proxy ...) */
  uint32_t timeout_ms;       /* per request (10000) */
  uint32_t retries;          /* retries after a failed request (3) */
  uint32_t backoff_ms;       /* wait before the first retry, doubled each time (1000) */
  uint32_t batch;            /* webhook: events per delivery (100) */
  uint32_t ends_after_hours; /* alertmanager: endsAt of an open alert, from now (72) */
  unsigned line;             /* line of its entry in the config */
} cp_sink_cfg;

/* The typed part of the config file, as libcyaml loads it. */
typedef struct cp_config_file {
  char *facts;               /* facts database path */
  char *state;               /* state database path */
  char **rules;              /* rule files, in load order */
  unsigned rules_count;          /* number of rule files */
  cp_limits limits;          /* limits */
  cp_table_cfg *clients;     /* the clients table */
  cp_table_cfg *tables;      /* per-client tables */
  unsigned tables_count;         /* number of per-client tables */
  cp_table_cfg *lookups;     /* tables loaded whole (staff) */
  unsigned lookups_count;        /* number of lookup tables */
  cp_feed_cfg feed;          /* privacy of the event feed */
  int locale;                /* language of texts for people (a cp_locale; default en) */
  char *currency;            /* the money axis's currency (NULL: the locale's yuan / 元) */
  cp_guard_cfg guard;        /* guards of the nightly run */
  cp_sink_cfg *sinks;        /* where push delivers the feed */
  unsigned sinks_count;      /* number of sinks */
} cp_config_file;

/* A loaded config. Paths are resolved against the config file's folder. */
typedef struct cp_config {
  char *path;                /* config file as given */
  char *dir;                 /* its folder, for relative paths */
  cp_config_file *file;      /* typed settings (libcyaml owns the memory) */
  yt_node *doc;              /* the whole document as a tree (for params and lines) */
  const yt_node *params;     /* the params tree, or NULL */
  const yt_node *labels;     /* the labels tree (locale.h), or NULL */
  char *facts;               /* facts path, resolved or overridden */
  char *state;               /* state path, resolved or overridden */
  int any_sensitive;         /* some column of the clients or a table is sensitive */
} cp_config;

/* Loads and validates a config file. On failure prints a message naming the
 * file and line and returns CP_ECONFIG with *out NULL. The caller frees the
 * result with cp_config_free(). */
cp_err cp_config_load(const char *path, cp_config **out);

/* Frees a config; accepts NULL. */
void cp_config_free(cp_config *c);

/* Replaces the facts or state path (from the command line). Returns CP_ENOMEM
 * on failure. */
cp_err cp_config_set_path(char **slot, const char *path);

/* Returns a malloc'd path for a rule file, resolved against the config's
 * folder. The caller frees it; NULL when out of memory. */
char *cp_config_resolve(const cp_config *c, const char *rel);

/* Returns a malloc'd path for rel, resolved against the config's folder and
 * with "." and ".." folded away ("examples/demo/../../rules/x.lua" becomes
 * "rules/x.lua"): the name messages show. NULL when out of memory. */
char *cp_config_shown(const cp_config *c, const char *rel);

/* Refuses, naming the config's line, a rule file that cannot be read
 * (a misspelt path): said before the facts open, not after every data
 * problem they print. CP_OK else; the rules' loader says the rest (a
 * folder, a FIFO). */
cp_err cp_config_rule_files(const cp_config *c);

/* Returns a malloc'd copy of the folder part of path ("." when none, "/"
 * for a file at the root); NULL when out of memory. */
char *cp_config_path_folder(const char *path);

/* Fills the defaults of the guard and sinks sections and checks them (in
 * feedcfg.c; called by cp_config_load). Returns CP_ECONFIG with file:line. */
cp_err cp_feedcfg_check(cp_config *c);

/* The whole-number keys of a sink (NULL-ended). */
extern const char *const cp_feedcfg_sink_numbers[];

/* Checks that each of keys (NULL-ended) that map gives is a plain whole
 * number from min to max, in decimal digits without a leading zero: the
 * typed load reads "16.5" as 16, a quoted "200000" as a number and "017" as
 * octal 15. The error names the file, the line, and prefix then the key
 * ("limits.memory_mb"). */
cp_err cp_config_check_wholes(const cp_config *c, const yt_node *map, const char *prefix,
                              const char *const *keys, unsigned min, uint64_t max);

/* Refuses, anywhere in the params tree n (of the file path), a key that is
 * no Lua key (null: `~`, `null`, empty; NaN) or two keys of one mapping that
 * are the same Lua key once converted ('1' and '1.0', '-0' and '0', 'yes'
 * and 'true'), where the second would silently win: prints "PATH:LINE:
 * params: ..." naming the line of each and returns CP_ECONFIG. */
cp_err cp_config_check_params(const char *path, const yt_node *n);

/* Returns the type name of a column type ("date", ...). */
const char *cp_config_coltype_name(cp_coltype t);

struct cyaml_schema_value;

/* Loads a YAML file strictly against a libcyaml schema, as the config is
 * loaded: on failure prints "PATH:LINE: message" (root, the same file as a
 * tree, locates the line) and returns CP_ECONFIG with *out NULL. Free *out
 * with cp_config_cyaml_free(). */
cp_err cp_config_cyaml_load(const char *path, const yt_node *root,
                            const struct cyaml_schema_value *schema, void **out);

/* Frees what cp_config_cyaml_load() loaded; accepts NULL. */
void cp_config_cyaml_free(const struct cyaml_schema_value *schema, void *data);

#endif
