/* fixdb.c: writes a fixture's facts into a new SQLite database whose tables
 * follow the config's declarations (or a schema file). Values are bound as
 * text and take the declared column type's affinity, so `0`, `12.5` and
 * `2026-01-01` read as the engine expects. */
#include "fixdb.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbuf.h"

#define MAX_COLUMNS 2000   /* SQLite's own limit (SQLITE_MAX_COLUMN) on a table's columns */

/* A fact table of the config: the clients table, a per-client table or a lookup. */
typedef struct fxtable {
  const cp_table_cfg *t;    /* declaration */
  const char *sql;          /* SQL table name */
  const char *cols[MAX_COLUMNS];   /* its columns, each once */
  const char *types[MAX_COLUMNS];  /* their SQL types (affinity) */
  unsigned n;               /* number of columns */
} fxtable;

/* What one database creation needs. */
typedef struct fxdb {
  const cp_config *cfg;     /* the config */
  const cp_fixture *fx;     /* the fixture */
  sqlite3 *db;              /* the database being written */
  int checked;              /* column names are checked against the config */
} fxdb;

/* Returns the SQL type whose affinity reads as a column type does. */
/* The code of the fixture's database error: its SQL or values (CP_ECONFIG:
 * the fixture is invalid), unless SQLite ran out of memory (a runtime
 * failure, exit 3, as anywhere else). */
static cp_err sql_code(sqlite3 *db)
{
  return (sqlite3_errcode(db) & 0xff) == SQLITE_NOMEM ? CP_ENOMEM : CP_ECONFIG;
}

static const char *sql_type(cp_coltype t)
{
  switch (t) {
  case CP_COL_INTEGER: case CP_COL_BOOLEAN: return "INTEGER";
  case CP_COL_REAL: case CP_COL_MONEY: return "REAL";
  default: return "TEXT";
  }
}

/* Adds column name (of SQL type type) to a table unless it is there. */
static void add_column(fxtable *x, const char *name, const char *type)
{
  for (unsigned i = 0; i < x->n; i++)
    if (!strcmp(x->cols[i], name))
      return;
  if (name && x->n < MAX_COLUMNS) {
    x->cols[x->n] = name;
    x->types[x->n++] = type;
  }
}

/* Fills x with the columns the engine reads of table t: the declared ones,
 * then the client key, row id and order columns when not declared. */
static void describe(fxtable *x, const cp_table_cfg *t)
{
  *x = (fxtable){.t = t, .sql = t->table ? t->table : t->name};
  for (unsigned i = 0; i < t->columns_count; i++)
    add_column(x, t->columns[i].name, sql_type(t->columns[i].type));
  const char *extra[] = {t->id, t->key, t->order};
  for (int i = 0; i < 3; i++)
    if (extra[i])
      add_column(x, extra[i], "TEXT");
}

/* Finds the config table called name (its name or SQL name) into x.
 * Returns 0, or -1 when the config declares none. */
static int find_table(const cp_config *cfg, const char *name, fxtable *x)
{
  const cp_config_file *f = cfg->file;
  unsigned n = 1 + f->tables_count + f->lookups_count;
  for (unsigned i = 0; i < n; i++) {
    const cp_table_cfg *t = i == 0 ? f->clients
                          : i <= f->tables_count ? &f->tables[i - 1]
                                                 : &f->lookups[i - 1 - f->tables_count];
    if (!strcmp(t->name, name) || (t->table && !strcmp(t->table, name))) {
      describe(x, t);
      return 0;
    }
  }
  return -1;
}

/* Creates every table the config declares. */
static cp_err create_tables(fxdb *d)
{
  const cp_config_file *f = d->cfg->file;
  unsigned n = 1 + f->tables_count + f->lookups_count;
  cp_err rc = CP_OK;
  for (unsigned i = 0; rc == CP_OK && i < n; i++) {
    const cp_table_cfg *t = i == 0 ? f->clients
                          : i <= f->tables_count ? &f->tables[i - 1]
                                                 : &f->lookups[i - 1 - f->tables_count];
    fxtable x;
    sbuf q = {0};
    describe(&x, t);
    cp_sbuf_add(&q, "CREATE TABLE IF NOT EXISTS ");
    cp_sbuf_sql_ident(&q, x.sql);
    for (unsigned j = 0; j < x.n; j++) {
      cp_sbuf_add(&q, j ? ", " : "(");
      cp_sbuf_sql_ident(&q, x.cols[j]);
      cp_sbuf_printf(&q, " %s", x.types[j]);
    }
    cp_sbuf_add(&q, ")");
    if (q.oom)
      rc = cp_diag_fail(CP_ENOMEM, "%s: out of memory", d->fx->path);
    else if (sqlite3_exec(d->db, q.s, NULL, NULL, NULL) != SQLITE_OK)
      rc = cp_diag_fail(CP_EIO, "%s: creating table '%s': %s", d->fx->path, x.sql,
                     sqlite3_errmsg(d->db));
    cp_sbuf_free(&q);
  }
  return rc;
}

/* What the schema authorizer refused first, for the message. */
typedef struct refusal {
  char what[160];           /* e.g. "ATTACH 'x.db'"; empty while nothing was refused */
} refusal;

/* The authorizer of a fixture's schema SQL: it may create, fill, change and
 * drop tables, indexes and views of its own database, and nothing else: no
 * ATTACH or DETACH (VACUUM attaches too, so VACUUM [INTO] is refused with
 * them), no pragma, no trigger or virtual table, no load_extension(). The
 * first refusal is written into ctx (a refusal). */
static int schema_authorize(void *ctx, int action, const char *a, const char *b,
                            const char *c, const char *d)
{
  static const int allowed[] = {
    SQLITE_CREATE_INDEX, SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_INDEX,
    SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_VIEW, SQLITE_CREATE_VIEW, SQLITE_DELETE,
    SQLITE_DROP_INDEX, SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_TEMP_TABLE,
    SQLITE_DROP_TEMP_VIEW, SQLITE_DROP_VIEW, SQLITE_INSERT, SQLITE_READ, SQLITE_SELECT,
    SQLITE_TRANSACTION, SQLITE_UPDATE, SQLITE_ALTER_TABLE, SQLITE_REINDEX, SQLITE_ANALYZE,
    SQLITE_SAVEPOINT, SQLITE_RECURSIVE,
  };
  refusal *r = ctx;
  (void)c, (void)d;
  if (action == SQLITE_FUNCTION && b && strcasecmp(b, "load_extension") != 0)
    return SQLITE_OK;
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (action == allowed[i])
      return SQLITE_OK;
  if (r->what[0])
    return SQLITE_DENY;
  if (action == SQLITE_ATTACH)
    snprintf(r->what, sizeof r->what, "ATTACH (or VACUUM) of '%s'", a ? a : "");
  else if (action == SQLITE_DETACH)
    snprintf(r->what, sizeof r->what, "DETACH");
  else if (action == SQLITE_PRAGMA)
    snprintf(r->what, sizeof r->what, "PRAGMA %s", a ? a : "");
  else if (action == SQLITE_FUNCTION)
    snprintf(r->what, sizeof r->what, "load_extension()");
  else if (action == SQLITE_CREATE_TRIGGER || action == SQLITE_CREATE_TEMP_TRIGGER)
    snprintf(r->what, sizeof r->what, "CREATE TRIGGER %s", a ? a : "");
  else
    snprintf(r->what, sizeof r->what, "SQLite action %d (%s)", action, a ? a : "");
  return SQLITE_DENY;
}

#define SCHEMA_MAX_BYTES (16u << 20)   /* a schema file larger than this is refused */
#define SCHEMA_STEPS_EVERY 1000000     /* SQLite steps between two progress calls */
#define SCHEMA_MAX_CALLS 200           /* 2 x 10^8 steps: a schema that runs longer is stopped */

/* Progress handler of the schema's SQL: a count, not a clock, so that a
 * query without end (a recursive CTE) stops alike on any machine. */
static int schema_progress(void *ctx)
{
  unsigned *calls = ctx;
  return ++*calls > SCHEMA_MAX_CALLS;
}

/* Runs schema SQL under schema_authorize(); prints the error, naming the
 * fixture (file:line) and the schema file. */
static cp_err exec_schema(fxdb *d, unsigned line, const char *path, const char *sql)
{
  refusal r = {{0}};
  cp_err rc = CP_OK;
  unsigned calls = 0;
  sqlite3_set_authorizer(d->db, schema_authorize, &r);
  sqlite3_progress_handler(d->db, SCHEMA_STEPS_EVERY, schema_progress, &calls);
  if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
    if (calls > SCHEMA_MAX_CALLS)
      rc = cp_diag_fail(CP_ECONFIG, "%s:%u: schema %s: stopped after 2 x 10^8 steps of SQLite (a "
                        "query without end?)", d->fx->path, line, path);
    else if (r.what[0])
      rc = cp_diag_fail(CP_ECONFIG, "%s:%u: schema %s: %s is not allowed: a fixture's schema may "
                     "only create and fill tables, indexes and views of its own", d->fx->path,
                     line, path, r.what);
    else
      rc = cp_diag_fail(sql_code(d->db), "%s:%u: schema %s: %s", d->fx->path, line, path,
                     sqlite3_errmsg(d->db));
  }
  sqlite3_set_authorizer(d->db, NULL, NULL);
  sqlite3_progress_handler(d->db, 0, NULL, NULL);
  return rc;
}

/* Runs the fixture's schema file: a regular file (a FIFO would block, a
 * device never end) of at most SCHEMA_MAX_BYTES. */
static cp_err run_schema(fxdb *d)
{
  const yt_node *at = cp_ytree_get(d->fx->doc, "schema");
  char *path = cp_fixture_resolve(d->fx, d->fx->file->schema);
  sbuf sql = {0};
  cp_err rc = CP_OK;
  if (!path || cp_sbuf_read_file(&sql, path, SCHEMA_MAX_BYTES) < 0)
    rc = cp_diag_fail(CP_ECONFIG, "%s:%u: schema: %s %s", d->fx->path, at->line,
                      path ? path : d->fx->file->schema,
                      errno == EINVAL || errno == EISDIR ? "is not a regular file"
                      : errno == EFBIG ? "is larger than 16 MiB" : "cannot be read");
  else if (!sql.s)
    rc = cp_diag_fail(CP_ECONFIG, "%s:%u: schema: %s is empty", d->fx->path, at->line, path);
  if (rc == CP_OK)
    rc = exec_schema(d, at->line, path, sql.s);
  cp_sbuf_free(&sql);
  free(path);
  return rc;
}

/* Checks that column node c names a column of x (when checked). */
static cp_err check_column(const fxdb *d, const fxtable *x, const yt_node *c)
{
  if (c->kind != YT_SCALAR)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: a column name must be a plain name",
                     d->fx->path, c->line, x->t->name);
  if (!d->checked)
    return CP_OK;
  for (unsigned i = 0; i < x->n; i++)
    if (!strcmp(x->cols[i], c->value))
      return CP_OK;
  sbuf known = {0};
  for (unsigned i = 0; i < x->n; i++)
    cp_sbuf_printf(&known, "%s%s", i ? ", " : "", x->cols[i]);
  cp_err rc = cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: the config declares no column '%s' "
                        "(columns: %s)", d->fx->path, c->line, x->t->name, c->value,
                        known.s ? known.s : "");
  cp_sbuf_free(&known);
  return rc;
}

/* Binds scalar v to parameter i: a plain null is NULL, plain true/false are
 * 1/0, anything else is text. */
static void bind_scalar(sqlite3_stmt *st, int i, const yt_node *v)
{
  const char *s = v->value;
  if (v->plain && (!*s || !strcmp(s, "null") || !strcmp(s, "~")))
    sqlite3_bind_null(st, i);
  else if (v->plain && (!strcmp(s, "true") || !strcmp(s, "false")))
    sqlite3_bind_int(st, i, s[0] == 't');
  else
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Returns 1 when scalar v is a plain null (bound as NULL). */
static int is_null(const yt_node *v)
{
  return v->plain && (!*v->value || !strcmp(v->value, "null") || !strcmp(v->value, "~"));
}

/* The values of one row: names and value nodes, the row's first then defaults. */
typedef struct rowvals {
  const yt_node *names[MAX_COLUMNS];   /* column name nodes */
  const yt_node *values[MAX_COLUMNS];  /* scalar value nodes */
  unsigned n;                          /* number of values */
} rowvals;

/* Adds name = value to a row unless the name is there; returns -1 when the
 * row already has MAX_COLUMNS values. */
static int row_add(rowvals *r, const yt_node *name, const yt_node *value)
{
  for (unsigned i = 0; i < r->n; i++)
    if (!strcmp(r->names[i]->value, name->value))
      return 0;
  if (r->n >= MAX_COLUMNS)
    return -1;
  r->names[r->n] = name;
  r->values[r->n++] = value;
  return 0;
}

/* Inserts one row into x's table. */
static cp_err insert_row(fxdb *d, const fxtable *x, const rowvals *r, unsigned line)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  cp_err rc = CP_OK;
  cp_sbuf_add(&q, "INSERT INTO ");
  cp_sbuf_sql_ident(&q, x->sql);
  for (unsigned i = 0; i < r->n; i++) {
    cp_sbuf_add(&q, i ? ", " : "(");
    cp_sbuf_sql_ident(&q, r->names[i]->value);
  }
  cp_sbuf_add(&q, ") VALUES(");
  for (unsigned i = 0; i < r->n; i++)
    cp_sbuf_add(&q, i ? ", ?" : "?");
  cp_sbuf_add(&q, ")");
  if (q.oom)
    rc = cp_diag_fail(CP_ENOMEM, "%s: out of memory", d->fx->path);
  else if (sqlite3_prepare_v2(d->db, q.s, -1, &st, NULL) != SQLITE_OK)
    rc = cp_diag_fail(sql_code(d->db), "%s:%u: facts.%s: %s", d->fx->path, line, x->t->name,
                   sqlite3_errmsg(d->db));
  for (unsigned i = 0; rc == CP_OK && i < r->n; i++)
    bind_scalar(st, (int)i + 1, r->values[i]);
  if (rc == CP_OK && sqlite3_step(st) != SQLITE_DONE)
    rc = cp_diag_fail(sql_code(d->db), "%s:%u: facts.%s: %s", d->fx->path, line, x->t->name,
                   sqlite3_errmsg(d->db));
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return rc;
}

/* Reads one row node (a list under the columns header, or a mapping) with
 * the defaults into r. */
static cp_err read_row(fxdb *d, const fxtable *x, const yt_node *row, const yt_node *columns,
                       const yt_node *defaults, rowvals *r)
{
  const char *path = d->fx->path, *name = x->t->name;
  r->n = 0;
  if (row->kind == YT_SEQ) {
    if (!columns)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: a row given as a list needs a "
                       "'columns' header", path, row->line, name);
    if (row->n != columns->n)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: %zu values for %zu columns", path,
                       row->line, name, row->n, columns->n);
    for (size_t i = 0; i < row->n; i++)
      if (row_add(r, columns->items[i], row->items[i]) < 0)
        goto too_many;
  } else if (row->kind == YT_MAP) {
    for (size_t i = 0; i + 1 < row->n; i += 2) {
      if (check_column(d, x, row->items[i]) != CP_OK)
        return CP_ECONFIG;
      if (row_add(r, row->items[i], row->items[i + 1]) < 0)
        goto too_many;
    }
  } else {
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: a row is a list of values or a mapping of "
                     "column: value", path, row->line, name);
  }
  for (size_t i = 0; defaults && i + 1 < defaults->n; i += 2)
    if (row_add(r, defaults->items[i], defaults->items[i + 1]) < 0)
      goto too_many;
  for (unsigned i = 0; i < r->n; i++)
    if (r->values[i]->kind != YT_SCALAR)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: column '%s': a value must be a scalar",
                       path, r->values[i]->line, name, r->names[i]->value);
  return CP_OK;
too_many:
  return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: a row has more than %d columns", path,
                      row->line, name, MAX_COLUMNS);
}

/* Returns the value of key in a table entry, checking its kind. */
static cp_err part(const fxdb *d, const yt_node *entry, const char *key, yt_kind kind,
                   const yt_node **out)
{
  static const char *const kinds[] = {"a scalar", "a list", "a mapping"};
  *out = cp_ytree_get(entry, key);
  if (*out && (*out)->kind != kind)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: '%s' must be %s", d->fx->path, (*out)->line, key,
                     kinds[kind]);
  return CP_OK;
}

/* Inserts the rows of one facts entry: {columns, rows, defaults}, or a list
 * of rows given as mappings. */
static cp_err insert_table(fxdb *d, const yt_node *k, const yt_node *entry)
{
  fxtable x;
  const yt_node *columns = NULL, *rows = entry, *defaults = NULL;
  if (find_table(d->cfg, k->value, &x) < 0)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts: '%s' is not a table of the config", d->fx->path,
                     k->line, k->value);
  if (entry->kind == YT_MAP) {
    for (size_t i = 0; i + 1 < entry->n; i += 2)
      if (strcmp(entry->items[i]->value, "columns") && strcmp(entry->items[i]->value, "rows") &&
          strcmp(entry->items[i]->value, "defaults"))
        return cp_diag_fail(CP_ECONFIG, "%s:%u: unknown key '%s' in facts.%s (keys: columns, "
                         "rows, defaults)", d->fx->path, entry->items[i]->line,
                         entry->items[i]->value, k->value);
    if (part(d, entry, "columns", YT_SEQ, &columns) || part(d, entry, "rows", YT_SEQ, &rows) ||
        part(d, entry, "defaults", YT_MAP, &defaults))
      return CP_ECONFIG;
  } else if (entry->kind != YT_SEQ) {
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: give {columns, rows} or a list of rows",
                     d->fx->path, entry->line, k->value);
  }
  if (columns && columns->n > MAX_COLUMNS)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: 'columns' names %zu columns, more than "
                        "the %d a table can have", d->fx->path, columns->line, k->value,
                        columns->n, MAX_COLUMNS);
  for (size_t i = 0; columns && i < columns->n; i++) {
    if (check_column(d, &x, columns->items[i]) != CP_OK)
      return CP_ECONFIG;
    for (size_t j = 0; j < i; j++)   /* a repeat's values would be silently dropped */
      if (!strcmp(columns->items[j]->value, columns->items[i]->value))
        return cp_diag_fail(CP_ECONFIG, "%s:%u: facts.%s: column '%s' is given twice in "
                            "'columns'", d->fx->path, columns->items[i]->line, k->value,
                            columns->items[i]->value);
  }
  for (size_t i = 0; defaults && i + 1 < defaults->n; i += 2)
    if (check_column(d, &x, defaults->items[i]) != CP_OK)
      return CP_ECONFIG;
  rowvals r;
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && rows && i < rows->n; i++)
    if ((rc = read_row(d, &x, rows->items[i], columns, defaults, &r)) == CP_OK)
      rc = insert_row(d, &x, &r, rows->items[i]->line);
  return rc;   /* said; CP_ENOMEM stays itself (exit 3), not the fixture's fault */
}

/* Empties the SQL table of facts entry k (a step's facts replace its rows). */
static cp_err empty_table(fxdb *d, const yt_node *k)
{
  fxtable x;
  if (find_table(d->cfg, k->value, &x) < 0)
    return CP_OK;   /* insert_table() says so */
  sbuf sql = {0};
  cp_sbuf_add(&sql, "DELETE FROM \"");
  for (const char *p = x.sql; *p; p++)   /* a quote doubled, as SQL writes it in a name */
    cp_sbuf_addn(&sql, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
  cp_sbuf_add(&sql, "\"");
  cp_err rc = CP_OK;
  if (sql.oom)
    rc = cp_diag_fail(CP_ENOMEM, "out of memory");
  else if (sqlite3_exec(d->db, sql.s, NULL, NULL, NULL) != SQLITE_OK)
    rc = cp_diag_fail(sql_code(d->db), "%s:%u: facts.%s: the rows before this step cannot be "
                      "removed: %s", d->fx->path, k->line, k->value, sqlite3_errmsg(d->db));
  cp_sbuf_free(&sql);
  return rc;
}

/* Inserts every table of facts (the fixture's, or a step's, whose tables
 * are emptied first when replace is set), then a step's changes, in one
 * transaction. Every table
 * is emptied before any is filled: two names of one SQL table (the config's
 * name and its table:, or two config tables reading one) both give rows,
 * as in the fixture's facts, where the second's emptying dropped the
 * first's. */
static cp_err apply_changes(fxdb *d, const yt_node *changes, const yt_node *facts);

static cp_err insert_facts(fxdb *d, const yt_node *facts, const yt_node *changes, int replace)
{
  cp_err rc = CP_OK;
  if (!facts && !changes)
    return CP_OK;
  if (facts && facts->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: facts must be a mapping of table: rows", d->fx->path,
                     facts->line);
  sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL);
  for (size_t i = 0; facts && replace && rc == CP_OK && i + 1 < facts->n; i += 2)
    rc = empty_table(d, facts->items[i]);
  for (size_t i = 0; facts && rc == CP_OK && i + 1 < facts->n; i += 2)
    rc = insert_table(d, facts->items[i], facts->items[i + 1]);
  if (rc == CP_OK && changes)   /* after the facts, in the same transaction */
    rc = apply_changes(d, changes, facts);
  if (rc == CP_OK && sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = cp_diag_fail(CP_EIO, "%s: writing the facts: %s", d->fx->path, sqlite3_errmsg(d->db));
  if (rc != CP_OK)
    sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* Appends " WHERE idcol IS ?" to q: the row (or rows) of one id. */
static void where_id(sbuf *q, const char *idcol)
{
  cp_sbuf_add(q, " WHERE ");
  cp_sbuf_sql_ident(q, idcol);
  cp_sbuf_add(q, " IS ?");
}

/* Runs statement q with the values of r bound from first (1-based) on, and
 * with id bound last when not NULL; sets *changed to the rows it changed. */
static cp_err exec_bound(fxdb *d, const fxtable *x, sbuf *q, const rowvals *r, unsigned first,
                         const yt_node *id, unsigned line, int *changed)
{
  sqlite3_stmt *st = NULL;
  cp_err rc = CP_OK;
  int k = 1;
  if (q->oom)
    return cp_diag_fail(CP_ENOMEM, "%s: out of memory", d->fx->path);
  if (sqlite3_prepare_v2(d->db, q->s, -1, &st, NULL) != SQLITE_OK)
    rc = cp_diag_fail(sql_code(d->db), "%s:%u: changes.%s: %s", d->fx->path, line, x->t->name,
                      sqlite3_errmsg(d->db));
  for (unsigned i = first; rc == CP_OK && r && i < r->n; i++)
    bind_scalar(st, k++, r->values[i]);
  if (rc == CP_OK && id)
    bind_scalar(st, k, id);
  if (rc == CP_OK && sqlite3_step(st) != SQLITE_DONE)
    rc = cp_diag_fail(sql_code(d->db), "%s:%u: changes.%s: %s", d->fx->path, line, x->t->name,
                      sqlite3_errmsg(d->db));
  if (rc == CP_OK)
    *changed = sqlite3_changes(d->db);
  sqlite3_finalize(st);
  return rc;
}

/* Changes, or adds, one row given as a mapping with its id: the columns it
 * gives change, the others keep their values; a row whose id no table row
 * has is added as given, with defaults (the table's in the facts, or NULL)
 * for the columns it leaves out. */
static cp_err upsert_row(fxdb *d, const fxtable *x, const char *idcol, const yt_node *row,
                         const yt_node *defaults)
{
  rowvals r;
  if (row->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: a row is a mapping of column: value, "
                        "with its %s", d->fx->path, row->line, x->t->name, idcol);
  if (read_row(d, x, row, NULL, NULL, &r) != CP_OK)
    return CP_ECONFIG;
  const yt_node *id = NULL;
  for (unsigned i = 0; i < r.n; i++)
    if (!strcmp(r.names[i]->value, idcol)) {   /* the id first, then the columns to set */
      const yt_node *name = r.names[i];
      id = r.values[i];
      r.names[i] = r.names[0], r.values[i] = r.values[0];
      r.names[0] = name, r.values[0] = id;
      break;
    }
  if (!id || is_null(id))   /* a null id tells no row: it added one of NULL id */
    return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: the row gives no %s, the column that "
                        "tells which row it changes", d->fx->path, row->line, x->t->name, idcol);
  int changed = 0;
  if (r.n > 1) {
    sbuf q = {0};
    cp_sbuf_add(&q, "UPDATE ");
    cp_sbuf_sql_ident(&q, x->sql);
    for (unsigned i = 1; i < r.n; i++) {
      cp_sbuf_add(&q, i > 1 ? ", " : " SET ");
      cp_sbuf_sql_ident(&q, r.names[i]->value);
      cp_sbuf_add(&q, " = ?");
    }
    where_id(&q, idcol);
    cp_err rc = exec_bound(d, x, &q, &r, 1, id, row->line, &changed);
    cp_sbuf_free(&q);
    if (rc != CP_OK)
      return rc;
  } else {   /* the id alone: added when missing */
    sbuf q = {0};
    cp_sbuf_add(&q, "SELECT 1 FROM ");
    cp_sbuf_sql_ident(&q, x->sql);
    where_id(&q, idcol);
    sqlite3_stmt *st = NULL;
    int step = SQLITE_NOMEM;
    if (!q.oom && sqlite3_prepare_v2(d->db, q.s, -1, &st, NULL) == SQLITE_OK) {
      bind_scalar(st, 1, id);
      changed = (step = sqlite3_step(st)) == SQLITE_ROW;
    }
    int qoom = q.oom;
    sqlite3_finalize(st);
    cp_sbuf_free(&q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)   /* not "no row": it would add one */
      return cp_diag_fail(qoom ? CP_ENOMEM : sql_code(d->db), "%s:%u: changes.%s: %s",
                          d->fx->path, row->line, x->t->name,
                          qoom ? "out of memory" : sqlite3_errmsg(d->db));
  }
  if (changed)
    return CP_OK;
  if (defaults && read_row(d, x, row, NULL, defaults, &r) != CP_OK)   /* none had that id */
    return CP_ECONFIG;
  return insert_row(d, x, &r, row->line);
}

/* The defaults of table name in facts (a fixture's or a step's), or NULL. */
static const yt_node *defaults_of(const yt_node *facts, const char *name)
{
  for (size_t i = 0; facts && facts->kind == YT_MAP && i + 1 < facts->n; i += 2) {
    const yt_node *entry = facts->items[i + 1];
    if (strcmp(facts->items[i]->value, name) || entry->kind != YT_MAP)
      continue;
    for (size_t j = 0; j + 1 < entry->n; j += 2)
      if (!strcmp(entry->items[j]->value, "defaults") && entry->items[j + 1]->kind == YT_MAP)
        return entry->items[j + 1];
  }
  return NULL;
}

/* Removes the rows of table x whose id is one of ids (a list of values). */
static cp_err delete_rows(fxdb *d, const fxtable *x, const char *idcol, const yt_node *ids)
{
  for (size_t i = 0; i < ids->n; i++) {
    const yt_node *id = ids->items[i];
    if (id->kind != YT_SCALAR || is_null(id))   /* null: the rows of NULL id, not an id */
      return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: delete: a list of %s values",
                          d->fx->path, id->line, x->t->name, idcol);
    sbuf q = {0};
    cp_sbuf_add(&q, "DELETE FROM ");
    cp_sbuf_sql_ident(&q, x->sql);
    where_id(&q, idcol);
    int changed = 0;
    cp_err rc = exec_bound(d, x, &q, NULL, 0, id, id->line, &changed);
    cp_sbuf_free(&q);
    if (rc != CP_OK)
      return rc;
    if (!changed)   /* a mistyped id would change nothing, silently */
      return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: delete: no row has %s '%s'",
                          d->fx->path, id->line, x->t->name, idcol, id->value);
  }
  return CP_OK;
}

/* Applies a step's changes: for each table, rows changed or added by id
 * (a list of mappings, or `rows:`) and rows removed by id (`delete:`). A
 * row added takes the table's defaults in the step's facts, else in the
 * fixture's. */
static cp_err apply_changes(fxdb *d, const yt_node *changes, const yt_node *facts)
{
  if (changes->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: changes must be a mapping of table: rows",
                        d->fx->path, changes->line);
  for (size_t i = 0; i + 1 < changes->n; i += 2) {
    const yt_node *k = changes->items[i], *entry = changes->items[i + 1];
    const yt_node *rows = entry, *del = NULL;
    fxtable x;
    if (find_table(d->cfg, k->value, &x) < 0)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: changes: '%s' is not a table of the config",
                          d->fx->path, k->line, k->value);
    const char *idcol = x.t->id;   /* the clients' and a lookup's id, a table's `id` */
    if (!idcol)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: the table declares no id column, so "
                          "its rows cannot be changed by id: give them whole in the step's "
                          "facts:", d->fx->path, k->line, k->value);
    if (entry->kind == YT_MAP) {
      rows = NULL;
      for (size_t j = 0; j + 1 < entry->n; j += 2)
        if (strcmp(entry->items[j]->value, "rows") && strcmp(entry->items[j]->value, "delete"))
          return cp_diag_fail(CP_ECONFIG, "%s:%u: unknown key '%s' in changes.%s (keys: rows, "
                              "delete)", d->fx->path, entry->items[j]->line,
                              entry->items[j]->value, k->value);
      if (part(d, entry, "rows", YT_SEQ, &rows) || part(d, entry, "delete", YT_SEQ, &del))
        return CP_ECONFIG;
    } else if (entry->kind != YT_SEQ) {
      return cp_diag_fail(CP_ECONFIG, "%s:%u: changes.%s: give a list of rows, or {rows, "
                          "delete}", d->fx->path, entry->line, k->value);
    }
    if (del && delete_rows(d, &x, idcol, del) != CP_OK)
      return CP_ECONFIG;
    const yt_node *defaults = defaults_of(facts, k->value);
    if (!defaults)
      defaults = defaults_of(d->fx->facts, k->value);
    for (size_t j = 0; rows && j < rows->n; j++)
      if (upsert_row(d, &x, idcol, rows->items[j], defaults) != CP_OK)
        return CP_ECONFIG;
  }
  return CP_OK;
}

cp_err cp_fixdb_create(const cp_config *cfg, const cp_fixture *fx, const char *path)
{
  fxdb d = {.cfg = cfg, .fx = fx, .checked = fx->file->schema == NULL};
  cp_err rc;
  if (sqlite3_open_v2(path, &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK) {
    rc = cp_diag_fail(CP_EIO, "%s: cannot create %s: %s", fx->path, path, sqlite3_errmsg(d.db));
    goto done;
  }
  rc = fx->file->schema ? run_schema(&d) : create_tables(&d);
  if (rc == CP_OK)
    rc = insert_facts(&d, fx->facts, NULL, 0);
done:
  sqlite3_close(d.db);
  return rc;
}

cp_err cp_fixdb_step(const cp_config *cfg, const cp_fixture *fx, const cp_fx_step *step,
                     const char *path)
{
  fxdb d = {.cfg = cfg, .fx = fx, .checked = fx->file->schema == NULL};
  cp_err rc;
  if (!step->facts && !step->changes)
    return CP_OK;
  if (sqlite3_open_v2(path, &d.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    rc = cp_diag_fail(CP_EIO, "%s: cannot open %s: %s", fx->path, path, sqlite3_errmsg(d.db));
  } else {
    rc = insert_facts(&d, step->facts, step->changes, 1);
  }
  sqlite3_close(d.db);
  return rc;
}
