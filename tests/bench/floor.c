/* floor.c: the benchmarks' floor: reads every fact row the policy needs, once, in client order. */

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

/* A table as examples/demo/crmpolicy.yaml declares it. types holds one letter per
 * column: 't' text, date or timestamp (read as text), 'i' integer or boolean,
 * 'r' money (read as a double). */
typedef struct {
  const char *name;    /* SQL table */
  const char *key;     /* client key column */
  const char *id;      /* row id column, or NULL */
  const char *order;   /* order of a client's rows, or NULL */
  const char *columns; /* declared columns, comma-separated */
  const char *types;   /* their types */
} Table;

/* The clients table first, then the per-client tables, then the staff lookup (read whole). */
static const Table TABLES[] = {
    {"clients", "id", "id", NULL,
     "name, segment, industry, region, status, strategic_partner, approved_tier, created_on",
     "tttttitt"},
    {"client_staff", "client_id", NULL, "since", "staff_id, role, since, \"until\"", "tttt"},
    {"orders", "client_id", "id", "ordered_on", "id, ordered_on, amount, due_on, delivered_on",
     "ttrtt"},
    {"contacts", "client_id", "id", "happened_at", "id, staff_id, level, channel, happened_at",
     "ttttt"},
    {"complaints", "client_id", "id", "opened_at",
     "id, category, severity, opened_at, first_response_at, resolved_at, owner_id", "ttttttt"},
    {"surveys", "client_id", "id", "surveyed_on", "id, surveyed_on, score", "tti"},
    {"credit", "client_id", NULL, NULL, "rating, overdue_amount, overdue_days, assessed_on",
     "trit"},
    {"staff", "id", "id", NULL, "id, name, role, manager_id, active, capacity", "ttttii"},
};
#define NTABLES ((int)(sizeof TABLES / sizeof TABLES[0]))
#define LOOKUP  (NTABLES - 1)

/* An open cursor over one table. */
typedef struct {
  sqlite3_stmt *st; /* SELECT key, id, columns ... ORDER BY key, order */
  int ready;        /* positioned on an unread row */
  long long rows;   /* rows read */
} Cursor;

/* Prints "floor: <what>: <sqlite's message>" and returns 1. */
static int fail(sqlite3 *db, const char *what)
{
  fprintf(stderr, "floor: %s: %s\n", what, sqlite3_errmsg(db));
  return 1;
}

/* Steps table t's cursor; returns 0, or 1 after printing an error. */
static int advance(sqlite3 *db, int t, Cursor *c)
{
  int rc = sqlite3_step(c->st);
  c->ready = rc == SQLITE_ROW;
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(db, TABLES[t].name);
}

/* Returns 1 when the engine reads table t by a sorted scan (engine/data/facts.c,
 * scattered()): a read by an index that is not covering, whose first 2,048 rows in key
 * order have rowids that mostly jump by more than 64. */
static int read_sorted(sqlite3 *db, int t, const char *plan_of)
{
  const Table *x = &TABLES[t];
  char sql[600];
  sqlite3_stmt *st = NULL;
  int plain = 1, n = 0, jumps = 0;
  snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", plan_of);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    plain = 0;
  while (plain && sqlite3_step(st) == SQLITE_ROW) {
    const char *d = (const char *)sqlite3_column_text(st, 3);
    plain = !d || (!strstr(d, "TEMP B-TREE") && !strstr(d, "COVERING"));
  }
  sqlite3_finalize(st);
  st = NULL;
  snprintf(sql, sizeof sql, "SELECT rowid FROM \"%s\" ORDER BY \"%s\"%s%s%s, rowid LIMIT 2048",
           x->name, x->key, x->order ? ", \"" : "", x->order ? x->order : "",
           x->order ? "\"" : "");
  if (plain && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    long long last = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; n++) {
      long long id = sqlite3_column_int64(st, 0);
      jumps += n > 0 && (id - last > 64 || last - id > 64);
      last = id;
    }
  }
  sqlite3_finalize(st);
  return plain && n == 2048 && jumps * 2 > n;
}

/* Prepares table t's statement, as the engine builds it (by the key's index, or by a
 * sorted scan where the engine would sort), and steps to its first row; returns 0, or
 * 1 after printing an error. */
static int open_cursor(sqlite3 *db, int t, Cursor *c)
{
  const Table *x = &TABLES[t];
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT \"%s\", %s%s%s, %s FROM \"%s\" ORDER BY \"%s\"%s%s%s", x->key,
           x->id ? "\"" : "", x->id ? x->id : "NULL", x->id ? "\"" : "", x->columns, x->name,
           x->key, x->order ? ", \"" : "", x->order ? x->order : "", x->order ? "\"" : "");
  if (t != LOOKUP && read_sorted(db, t, sql))
    snprintf(sql, sizeof sql, "SELECT \"%s\", %s%s%s, %s FROM \"%s\" ORDER BY +\"%s\"%s%s%s, rowid",
             x->key, x->id ? "\"" : "", x->id ? x->id : "NULL", x->id ? "\"" : "", x->columns,
             x->name, x->key, x->order ? ", \"" : "", x->order ? x->order : "",
             x->order ? "\"" : "");
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL) != SQLITE_OK)
    return fail(db, x->name);
  return advance(db, t, c);
}

/* Reads the row under table t's cursor with typed column reads, adding the text bytes
 * seen to *bytes (so that the reads are not for nothing), and steps; returns 0 or 1. */
static int take(sqlite3 *db, int t, Cursor *c, long long *bytes)
{
  const char *types = TABLES[t].types;
  int n = (int)strlen(types) + 2;
  for (int k = 0; k < n; k++) {
    char type = k < 2 ? 't' : types[k - 2];
    if (sqlite3_column_type(c->st, k) == SQLITE_NULL)
      continue;
    if (type == 't')
      *bytes += (sqlite3_column_text(c->st, k) != NULL) + sqlite3_column_bytes(c->st, k);
    else if (type == 'i')
      *bytes += sqlite3_column_int64(c->st, k) != 0;
    else
      *bytes += sqlite3_column_double(c->st, k) != 0;
  }
  c->rows++;
  return advance(db, t, c);
}

/* Reads the staff lookup whole, then walks the clients in id order and, for each,
 * the per-client tables' rows with that client key (merging the ordered cursors, as
 * the engine does); prints the rows read per table and in all. */
int main(int argc, char **argv)
{
  sqlite3 *db = NULL;
  Cursor c[NTABLES] = {{0}};
  long long bytes = 0, total = 0;
  int rc = 1;
  if (argc != 2) {
    fputs("usage: floor FACTS.db\n", stderr);
    return 2;
  }
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    fail(db, argv[1]);
    goto done;
  }
  /* as the engine's facts connection: sorts spill to files, a 0.5 MB page cache */
  sqlite3_exec(db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -500", NULL, NULL, NULL);
  for (int t = 0; t < NTABLES; t++)
    if (open_cursor(db, t, &c[t]))
      goto done;
  while (c[LOOKUP].ready)
    if (take(db, LOOKUP, &c[LOOKUP], &bytes))
      goto done;
  while (c[0].ready) {
    char id[256];
    snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(c[0].st, 0));
    if (take(db, 0, &c[0], &bytes))
      goto done;
    for (int t = 1; t < LOOKUP; t++)
      while (c[t].ready && strcmp((const char *)sqlite3_column_text(c[t].st, 0), id) <= 0)
        if (take(db, t, &c[t], &bytes))
          goto done;
  }
  for (int t = 1; t < LOOKUP; t++) /* rows of client keys above the last client */
    while (c[t].ready)
      if (take(db, t, &c[t], &bytes))
        goto done;
  for (int t = 0; t < NTABLES; t++) {
    printf("%s=%lld ", TABLES[t].name, c[t].rows);
    total += c[t].rows;
  }
  printf("rows=%lld bytes=%lld\n", total, bytes);
  rc = 0;
done:
  for (int t = 0; t < NTABLES; t++)
    sqlite3_finalize(c[t].st);
  sqlite3_close(db);
  return rc;
}
