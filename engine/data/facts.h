/* facts.h: streams clients and their fact rows out of the SQLite facts database.
 *
 * Each declared table is read once, in client key order, and the cursors are
 * merged by client id: one ordered pass per table, never a query per client.
 * A client's rows live in an arena that is reset for the next client, so
 * memory does not grow with the number of clients. */
#ifndef CP_FACTS_H
#define CP_FACTS_H

#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "packed.h"

/* The type of a converted fact value. */
typedef enum cp_vtype { CP_V_NIL, CP_V_INT, CP_V_REAL, CP_V_TEXT, CP_V_BOOL } cp_vtype;

/* One fact value: dates, timestamps and money are integers (see config.h). */
typedef struct cp_value {
  uint32_t type;            /* a cp_vtype */
  uint32_t len;             /* text length in bytes */
  union {
    int64_t i;              /* CP_V_INT, CP_V_BOOL */
    double r;               /* CP_V_REAL */
    const char *s;          /* CP_V_TEXT: NUL-terminated, owned by the facts reader */
  } u;
} cp_value;

/* The rows of one table: n rows of ncols values, row-major; or, for a
 * lookup table, packed by column (v is NULL): read them with cp_facts_value()
 * or cp_facts_row(). */
typedef struct cp_rows {
  cp_value *v;              /* values, owned by the facts reader */
  uint32_t n;               /* number of rows */
  uint32_t cap;             /* allocated rows */
  const cp_packed *packed;  /* a lookup's rows (packed.h), or NULL */
} cp_rows;

/* Reads value j of row i of rows (ncols values a row) into *out. */
static inline void cp_facts_value(const cp_rows *rows, size_t ncols, uint32_t i, unsigned j,
                               cp_value *out)
{
  if (rows->packed)
    cp_packed_get(rows->packed, i, j, out);
  else
    *out = rows->v[(size_t)i * ncols + j];
}

/* Returns the ncols values of row i: in place, or for packed rows read into
 * buf (room for ncols values), valid until buf is used again. */
static inline const cp_value *cp_facts_row(const cp_rows *rows, size_t ncols, uint32_t i,
                                          cp_value *buf)
{
  if (!rows->packed)
    return rows->v + (size_t)i * ncols;
  for (unsigned j = 0; j < ncols; j++)
    cp_packed_get(rows->packed, i, j, &buf[j]);
  return buf;
}

/* One client and its rows, valid until the next cp_facts_next(). */
typedef struct cp_client {
  const char *id;           /* client id */
  cp_value *fields;         /* the clients table's declared columns */
  cp_rows *tables;          /* one per per-client table, in config order */
  const char *over;         /* NULL; or why its rows were not all held (their memory
                               passed limits.client_memory_mb): every rule fails for it */
  int over_why;             /* the length of over's first part, the why, without what
                               the run does ("every rule fails ..."): a report row's */
} cp_client;

/* A data problem found while reading: the value was read as nil (or the row
 * skipped), and the run goes on. */
typedef struct cp_finding {
  const char *table;        /* SQL table */
  const char *row_id;       /* row id, or "rowid N" */
  const char *column;       /* column */
  const char *value;        /* offending value as text ("NULL" for null) */
  const char *problem;      /* what is wrong */
  int is_null;              /* the value is NULL (not the text 'NULL') */
} cp_finding;

/* How a message quotes a finding's value: "'" around a value, "" around
 * NULL, which is shown bare ("column level: NULL is missing ..."). */
const char *cp_facts_finding_quote(const cp_finding *x);

/* Receives each finding; the strings are valid only during the call. */
typedef void (*cp_finding_fn)(void *ctx, const cp_finding *f);

typedef struct cp_facts cp_facts;

/* Opens the facts database read-only and checks that every declared table and
 * column exists. as_of is the as-of day; rows dated after it are filtered as
 * the config says. Prints a message naming the table and column and returns
 * CP_EFACTS on a mismatch. The caller closes *out with cp_facts_close(). */
cp_err cp_facts_open(const cp_config *cfg, int64_t as_of, cp_facts **out);

/* Like cp_facts_open(), but the lookup tables' data problems are held
 * (cp_facts_held_findings()) and not printed: `test` says them at the
 * fixture's line, or compares them with a step's `findings:`. */
cp_err cp_facts_open_holding(const cp_config *cfg, int64_t as_of, cp_facts **out);

/* Like cp_facts_open(), with a connection more for each of workers (when
 * there are 2 or more: --jobs), each in a read transaction over the same
 * snapshot of the facts as the reader's own. (Every reader holds one from
 * its open to its close, so that one run reads one state of the facts while
 * the CRM commits.) */
cp_err cp_facts_open_readers(const cp_config *cfg, int64_t as_of, int workers, cp_facts **out);

/* Like cp_facts_open(), but the lookup tables are those of reader lookups
 * (read, not loaded again: a worker's reader), which must stay open longer;
 * it takes that reader's spare connection number reader (0 ..), in its
 * snapshot, when there is one (cp_facts_open_readers()), else opens one. */
cp_err cp_facts_open_sharing(const cp_config *cfg, int64_t as_of, const cp_facts *lookups,
                             int reader, cp_facts **out);

/* Starts the reader's limits.facts_seconds anew, from now: a run calls it
 * once it holds the state's lock, so that the wait for it (--wait) does not
 * count as reading. Workers' readers opened later take this deadline. */
void cp_facts_restart_deadline(cp_facts *f);

/* Closes the reader; accepts NULL. */
void cp_facts_close(cp_facts *f);

/* Sets where data problems are reported (NULL: the default, printed as
 * warnings). */
void cp_facts_on_finding(cp_facts *f, cp_finding_fn fn, void *ctx);

struct cp_outcome;

/* The data problems of the lookup tables, found (and printed) while the
 * reader opened, before any run: an outcome of findings only, for the run
 * to record (cp_store_apply()). */
const struct cp_outcome *cp_facts_held_findings(const cp_facts *f);

/* Once every client is read: CP_EFACTS with a message when the facts file
 * (rollback mode) was written over in place while the run read it (its
 * header changed: no SQLite writer can change it under the run's snapshot),
 * so that what was read may mix two files; CP_OK otherwise. */
cp_err cp_facts_check_unchanged(const cp_facts *f);

/* Starts the client pass over clients with from <= id < to (NULL: open end). */
cp_err cp_facts_begin(cp_facts *f, const char *from, const char *to);

/* Starts chunk c of the bounds given to cp_facts_by_parts() (a worker's
 * reader): like cp_facts_begin() over that chunk's range. */
cp_err cp_facts_begin_chunk(cp_facts *f, size_t c);

/* Decides, once, which tables a run over every client reads by a sorted
 * scan (their rows scattered against the client order, and their key of
 * TEXT affinity or none); returns 1 when one or more are. For --jobs: the
 * writer's reader decides for the workers' (cp_facts_by_parts()). */
int cp_facts_probe_sorted(cp_facts *f);

/* Makes f a worker's reader of the chunks bounds gives (n bounds, kept by
 * the caller while f reads), the one of parts workers that reads chunks
 * part, part + parts, part + 2 parts ... in that order: a table that plan's
 * reader (cp_facts_probe_sorted()) sorts is read by one sorted scan of
 * those chunks' rows, the others chunk by chunk. Sets *any when one is. */
cp_err cp_facts_by_parts(cp_facts *f, const cp_facts *plan, char *const *bounds, size_t n,
                         size_t parts, size_t part, int *any);

/* Splits the clients into chunks of about size rows of the clients table:
 * writes a malloc'd array of the bounds between chunks (*n entries) into
 * *bounds, each the last client id of a chunk with \x01 after it (a chunk
 * ends at a client: without one it goes on); chunk i runs from bounds[i-1]
 * (the start for i = 0) up to, not including, bounds[i] (the end for the
 * last). Free with cp_facts_free_bounds(). */
cp_err cp_facts_bounds(cp_facts *f, size_t size, char ***bounds, size_t *n);

/* Sets *n to the number of rows of the clients table (those not evaluated
 * included): the whole of a run, for its progress. */
cp_err cp_facts_count_clients(cp_facts *f, uint64_t *n);

/* Whether the clients table's first id is stored as a number (said as a
 * warning when the facts opened): every such row is skipped, so a run
 * evaluates no client. */
int cp_facts_number_ids(const cp_facts *f);

/* Warns, when the reader's default handler met more data problems than it
 * printed, of them all by column ("facts: N data problems WHERE, by column:
 * ..."), as a run does; nothing otherwise. */
void cp_facts_say_unprinted(cp_facts *f, const char *where);

/* Counts the rows of SQL table (or view) table, up to cap: what is there,
 * not what exists as of the run's date. A failing step (a view that fails
 * on a row) returns an error with no message: reading the table meets it
 * too, and says where. */
cp_err cp_facts_count_rows(cp_facts *f, const char *table, uint64_t cap, uint64_t *n);


/* Frees what cp_facts_bounds() returned. */
void cp_facts_free_bounds(char **bounds, size_t n);

/* Reads the first rows (at most rows) of the clients table and of each
 * per-client table, in the order SQLite gives them, and converts their
 * declared columns as a run does, calling fn for each data problem met
 * (`check`: what a run would say of those rows). */
cp_err cp_facts_sample(cp_facts *f, unsigned rows, cp_finding_fn fn, void *ctx);

/* Reads the next client and its rows into *c. Returns 1 for a client, 0 at
 * the end, or -1 after printing an error, whose code cp_facts_error() gives. */
int cp_facts_next(cp_facts *f, cp_client **c);

/* The code of the error with which cp_facts_next() last returned -1: CP_ENOMEM
 * or CP_EIO (a runtime failure: exit 3), or CP_EFACTS (the facts: exit 2). */
cp_err cp_facts_error(const cp_facts *f);

/* Calls fn for every row of per-client table ti, or of the clients table for
 * ti == the number of per-client tables (all clients, in table order,
 * rows dated after the as-of time excluded), with that table's values; only
 * the columns with want[j] set are read (want NULL: all), the others are nil.
 * With rowids, only the rows whose rowid is in [rowids[0], rowids[1]]. */
cp_err cp_facts_scan(cp_facts *f, unsigned ti, const unsigned char *want, const int64_t *rowids,
                     int (*fn)(void *ctx, const cp_value *row), void *ctx);

/* Sets span to the smallest and largest rowid of per-client table ti, so
 * that cp_facts_scan() can read it in parts. Returns 0, or -1 when its rows
 * cannot be split by rowid (a view, a WITHOUT ROWID or virtual table, a
 * column that hides the rowid) or it has none. */
int cp_facts_rowid_span(cp_facts *f, unsigned ti, int64_t span[2]);

/* Reads the whole lookup table li into *rows (owned by the reader, valid until
 * close), in id order. */
cp_err cp_facts_lookup(cp_facts *f, unsigned li, const cp_rows **rows);

/* Rows of per-client table ti (or, from tables_count on, of lookup ti -
 * tables_count) read so far: by the client pass (each row once, whether
 * kept, a data problem or of no client), or the lookup's load. */
uint64_t cp_facts_rows_read(const cp_facts *f, unsigned ti);

/* Adds the per-client tables' rows read by from (a --jobs worker's reader)
 * to to's. */
void cp_facts_add_rows_read(cp_facts *to, const cp_facts *from);

/* Number of findings so far. */
uint64_t cp_facts_findings(const cp_facts *f);

#endif
