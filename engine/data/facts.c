/* facts.c: ordered, merged, typed reading of the facts database. */
#include "facts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dates.h"
#include "progress.h"
#include "outcome.h"
#include "sbuf.h"
#include "tally.h"

#define MAX_PRINTED_FINDINGS 20
#define FIRST_COL 2   /* statement columns: 0 key, 1 row id, then the declared ones */
#define TEXT_HEAP_PART 16   /* a fact text may hold at most 1/16 of the Lua heap cap */
#define SHOWN_MAX 64  /* bytes of an offending value a finding shows */
#define CLIENT_ID_MAX 1024   /* longest client id (messages and the state name clients) */

/* One table being read: its cursor and the current client's rows. */
typedef struct source {
  const cp_table_cfg *cfg;  /* declaration */
  const char *sql;          /* SQL table name */
  sqlite3_stmt *stmt;       /* ordered cursor of the current pass */
  int bounded;              /* the range stmt was prepared for: 1 from, 2 to */
  int ready;                /* stmt is positioned on an unread row */
  int key_ok;               /* that row's client key was checked and is good */
  int nulls_due;            /* its NULL keys are to be said at its next gather() */
  const char *key;          /* then its text (SQLite's, valid until the cursor moves) */
  int exists_col;           /* index of exists_from among the columns, or -1 */
  uint64_t read;            /* rows read by the client pass (or the lookup's load), each
                               once: kept, skipped as a data problem, or of no client */
  cp_rows rows;             /* this client's rows (values buffer reused) */
  cp_arena *strings;        /* where text values are copied */
  const unsigned char *want;  /* columns to read (NULL: all); the others read as nil */
  int quiet;                /* a pre-pass: findings are reported by the client pass */
  int has_rowid;            /* a plain table: a pre-pass may read it in parts by rowid */
  int keyed;                /* a pre-pass of the clients table: it reads the ids */
  int probed;               /* sorted is decided */
  int sorted;               /* read whole by sorting a scan, not by the key's index */
  int by_parts;             /* a worker's: one sorted scan of its chunks (cp_facts_by_parts) */
  int row_beyond;           /* by parts: the row under the cursor is of a later chunk
                               than the one being read (-1: not known yet) */
  int unique_id;            /* a UNIQUE index or the primary key is the id alone: no
                               client's rows can repeat an id, and none is looked for */
  struct id_slot *ids;      /* the row ids of the client being read (seen_id()) */
  uint32_t ids_cap, ids_used, ids_gen;
  sbuf id_text;             /* their texts */
} source;

/* A row id of one client, in source.ids: an open-addressing set whose slots
 * of an earlier client (another gen) count as empty, so that it is never
 * cleared. */
typedef struct id_slot {
  uint32_t gen, hash;
  size_t off, len;          /* the text, in source.id_text */
} id_slot;

#define CHUNK_NONE ((size_t)-1)      /* a NULL key's chunk: none (see null_keys()) */
#define CHUNK_NOMEM ((size_t)-2)     /* a key whose text could not be made: no memory */
#define RANGE_PART 4                 /* source.bounded: the reader's part of the chunks */

struct cp_facts {
  sqlite3 *db;              /* read-only connection */
  const cp_config *cfg;     /* the config (not owned) */
  int64_t as_of;            /* as-of day */
  int64_t now;              /* as-of day at 23:59:59, in seconds */
  source clients;           /* the clients table */
  source *tables;           /* per-client tables */
  source *lookups;          /* lookup tables (rows loaded once) */
  unsigned tables_count;        /* number of per-client tables */
  unsigned lookups_count;       /* number of lookup tables */
  cp_arena arena;           /* strings of the current client */
  int shared;               /* the lookup rows are another reader's */
  int number_ids;           /* the clients table's first id is a number: none is a client */
  int no_sort;              /* sorted reads would be in memory: read by index */
  cp_client client;         /* the current client */
  cp_rows *client_rows;     /* array of tables_count row sets for client.tables */
  char *last_id;            /* previous client id, to check the order */
  cp_finding_fn on_finding; /* where findings go */
  void *finding_ctx;        /* its context */
  uint64_t n_findings;      /* findings so far */
  uint64_t n_printed;       /* of them, seen by print_finding() (it prints the first few) */
  cp_tally printed;         /* and counted by column (cp_facts_say_unprinted()) */
  size_t max_text;          /* longest text value read (longer: a finding, nil) */
  size_t client_cap;        /* most bytes one client's rows may hold (limits.client_memory_mb) */
  size_t client_bytes;      /* the values of the client being read (its texts: the arena) */
  uint64_t client_read;     /* the rows of its tables read */
  int over;                 /* the table whose row took the client past client_cap, or -1 */
  cp_err error;             /* cp_facts_error() */
  int convert_oom;          /* convert() could not keep a value for want of memory */
  int beyond_oom;           /* beyond() could not read a key for want of memory */
  cp_outcome held;          /* the findings of the lookup tables, met before any run */
  int held_oom;             /* one of them could not be kept */
  int hold_quietly;         /* they are held, not printed (cp_facts_open_holding()) */
  int too_long;             /* the row being read has a text over max_text */
  struct timespec deadline; /* reading past it is stopped (limits.facts_seconds) */
  int timed_out;            /* SQLite was interrupted at the deadline */
  unsigned probe_calls;     /* progress calls of the probe under way (bounded_probe) */
  char timeout_msg[160];    /* the error that replaces SQLite's "interrupted" */
  unsigned char head[32];   /* the file's header once its snapshot began (rollback mode) */
  int have_head;            /* head was read: a corrupt page may be the file written over */
  char over_msg[512];       /* the error that says the file was written over */
  sqlite3 **spares;         /* readers in the same snapshot, for the workers to take */
  int n_spares;             /* their number */
  char *const *bounds;      /* a worker's: the chunks' bounds (cp_facts_bounds; not owned) */
  size_t n_bounds;          /* their number: chunks = n_bounds + 1 */
  struct bound_key *bkeys;  /* a worker's by parts: each bound's first 8 bytes and length */
  size_t parts, part;       /* by parts: this reader reads chunks part, part + parts, ... */
  size_t chunk;             /* the chunk being read (cp_facts_begin_chunk) */
};

/* SQLite's progress handler (every PROGRESS_OPS virtual machine steps):
 * stops a statement once the connection is past its deadline, so that a
 * view that sorts or joins without end cannot hang the run. */
#define PROGRESS_OPS 100000
static int over_time(void *ctx)
{
  cp_facts *f = ctx;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (now.tv_sec < f->deadline.tv_sec ||
      (now.tv_sec == f->deadline.tv_sec && now.tv_nsec < f->deadline.tv_nsec))
    return 0;
  f->timed_out = 1;
  return 1;
}

/* The progress handler while the facts are probed at open (number_keys,
 * probe_types): the deadline's, and a bound of PROBE_CALLS * PROGRESS_OPS
 * virtual machine steps a statement, about 10 ms. Their LIMIT makes a
 * table's probe cheap, not a view's that must read all its rows before its
 * first (a GROUP BY, an ORDER BY without an index): such a probe would cost
 * a run the whole view again. Cut short, a probe judges the rows it saw; the
 * run's tally still counts every data problem. */
#define PROBE_CALLS 20
static int bounded_probe(void *ctx)
{
  cp_facts *f = ctx;
  return over_time(f) || ++f->probe_calls > PROBE_CALLS;
}

/* Steps a probe's statement st under bounded_probe(): SQLITE_ROW while it
 * gives rows. */
static int probe_step(cp_facts *f, sqlite3_stmt *st)
{
  f->probe_calls = 0;
  sqlite3_progress_handler(f->db, PROGRESS_OPS, bounded_probe, f);
  int step = sqlite3_step(st);
  sqlite3_progress_handler(f->db, PROGRESS_OPS, over_time, f);
  return step;
}

/* Reads the first 32 bytes of db's file (the SQLite header: its change
 * counter at 24, the journal mode at 18) into h, from the file, through the
 * descriptor SQLite holds: opening and closing one of our own would drop
 * SQLite's POSIX locks on the file. 0, or -1 when it cannot. */
static int read_head(sqlite3 *db, unsigned char h[32])
{
  sqlite3_file *file = NULL;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      !file || !file->pMethods || !file->pMethods->xRead)
    return -1;
  return file->pMethods->xRead(file, h, 32, 0) == SQLITE_OK ? 0 : -1;
}

/* The message of the last error of db, one of f's connections: SQLite's,
 * or the deadline's; a corrupt page or a short read in a rollback-mode file
 * whose header changed since the run's snapshot began is the file written
 * over in place (cp, a non-SQLite export): no SQLite writer can change it
 * while a reader holds its snapshot. */
static const char *errmsg_of(const cp_facts *f, sqlite3 *db)
{
  int code = sqlite3_errcode(db) & 0xff;
  unsigned char now[32];
  if (f->timed_out && code == SQLITE_INTERRUPT)
    return f->timeout_msg;
  if (f->have_head && (code == SQLITE_CORRUPT || code == SQLITE_IOERR) &&
      (read_head(db, now) < 0 || memcmp(now, f->head, sizeof now) != 0)) {
    char *msg = (char *)f->over_msg;   /* a buffer of f's, not f itself */
    snprintf(msg, sizeof f->over_msg, "%s: the file was written over while the run read it "
             "(its header changed since the run began reading): land each export as a new "
             "file renamed over the path, or write it with SQLite, which waits for the run",
             sqlite3_errmsg(db));
    return msg;
  }
  return sqlite3_errmsg(db);
}

/* The message of the last error of f's own connection. */
static const char *errmsg(const cp_facts *f)
{
  return errmsg_of(f, f->db);
}

/* Authorizer: once the shape is checked, statements may only read. (The
 * connection is read-only as well; this refuses anything else by design.) */
static int authorize(void *ctx, int action, const char *a, const char *b, const char *c,
                     const char *d)
{
  (void)ctx, (void)c, (void)d;
  /* an fts5 table reads PRAGMA data_version itself, at each scan */
  if (action == SQLITE_PRAGMA && a && strcmp(a, "data_version") == 0 && !b)
    return SQLITE_OK;
  return action == SQLITE_SELECT || action == SQLITE_READ || action == SQLITE_FUNCTION
             ? SQLITE_OK : SQLITE_DENY;
}

/* The data problem of text (len bytes) that does not read as a date or
 * timestamp, with what to write when it has a shape an export often gives
 * (policy-z: 83 claims '2026-10-28 23:57' escaped every rule, the message
 * saying only "is not a timestamp"). */
static const char *time_problem(cp_coltype type, const char *text, size_t len)
{
  if (len >= 10 && (text[4] == '/' || text[4] == '.') && text[7] == text[4])
    return type == CP_COL_DATE ? "is not a date: write it YYYY-MM-DD (with '-')"
                               : "is not a timestamp: write it YYYY-MM-DD HH:MM:SS (the date "
                                 "with '-')";
  int ts = len >= 16 && text[4] == '-' && text[7] == '-' &&
           (text[10] == 'T' || text[10] == ' ') && text[13] == ':';
  if (ts && len == 16)
    return type == CP_COL_DATE ? "is not a date: its time has no seconds (a date is YYYY-MM-DD; "
                                 "a time after it needs HH:MM:SS)"
                               : "is not a timestamp: it has no seconds (YYYY-MM-DD HH:MM:SS)";
  if (ts && len > 19 && (text[len - 1] == 'Z' || text[len - 6] == '+' || text[len - 6] == '-'))
    return type == CP_COL_DATE ? "is not a date: a time zone is not read (store the CRM's local "
                                 "time, YYYY-MM-DD HH:MM:SS, or the date alone)"
                               : "is not a timestamp: a time zone is not read (store the CRM's "
                                 "local time, YYYY-MM-DD HH:MM:SS, which SQLite's datetime(x, "
                                 "'localtime') makes of it)";
  return type == CP_COL_DATE ? "is not a date" : "is not a timestamp";
}

const char *cp_facts_finding_quote(const cp_finding *x)
{
  return x->is_null ? "" : "'";
}

/* Default finding handler (ctx: the reader): prints the first few as
 * warnings, and counts them all by column. */
static void print_finding(void *ctx, const cp_finding *x)
{
  cp_facts *f = ctx;
  uint64_t *count = &f->n_printed;
  cp_tally_add(&f->printed, x);
  if (++*count <= MAX_PRINTED_FINDINGS)
    cp_diag_warn("facts: %s row %s column %s: %s%s%s %s", x->table, x->row_id, x->column,
                 cp_facts_finding_quote(x), x->value, cp_facts_finding_quote(x),
              x->problem);
  else if (*count == MAX_PRINTED_FINDINGS + 1)
    cp_diag_warn("facts: more data problems follow; they are counted, not printed");
}

void cp_facts_say_unprinted(cp_facts *f, const char *where)
{
  if (f->n_printed > MAX_PRINTED_FINDINGS)
    cp_tally_say(&f->printed, where);
}

/* Finding handler while the lookup tables load (ctx: the reader): printed
 * as by default, and kept for the run to record (cp_facts_held_findings()). */
static void hold_finding(void *ctx, const cp_finding *x)
{
  cp_facts *f = ctx;
  if (!f->hold_quietly)
    print_finding(f, x);
  f->held_oom |= cp_outcome_finding(&f->held, x) != CP_OK;
}

/* Returns text column k under st's cursor as C text: as it is, or, when it
 * holds NUL bytes (which C text would cut), a copy in buf (cap bytes) with
 * each NUL written as \x00. NULL for NULL. */
static const char *shown_text(sqlite3_stmt *st, int k, char *buf, size_t cap)
{
  const char *text = (const char *)sqlite3_column_text(st, k);
  size_t len = (size_t)sqlite3_column_bytes(st, k), n = 0;
  if (!text || strlen(text) == len)
    return text;
  for (size_t i = 0; i < len && n + 5 < cap; i++)
    n += text[i] ? (buf[n] = text[i], 1) : (size_t)snprintf(buf + n, cap - n, "\\x00");
  buf[n] = '\0';
  return buf;
}

/* Reports one finding about column col (value as text, NULL for null) of the
 * row under the source's cursor. */
static void finding(cp_facts *f, const source *s, const char *col, const char *value,
                    const char *problem)
{
  if (s->quiet)   /* a pre-pass: the client pass reports it */
    return;
  char rowid[80], idbuf[160];
  const char *id = shown_text(s->stmt, 1, idbuf, sizeof idbuf);
  if (id && strlen(id) > SHOWN_MAX) {
    snprintf(rowid, sizeof rowid, "%.*s...", SHOWN_MAX, id);
    id = rowid;
  } else if (id && !*id) {   /* "clients row  column id" read as a typo */
    id = "(empty id)";
  } else if (!id && s >= f->lookups && s < f->lookups + f->lookups_count) {
    id = "(NULL id)";   /* a lookup's row belongs to no client: its key is its id */
  } else if (!id) {
    const char *key = (const char *)sqlite3_column_text(s->stmt, 0);
    snprintf(rowid, sizeof rowid, "(client %.40s)", key ? key : "NULL");
    id = rowid;
  }
  char shown[SHOWN_MAX + 4];
  if (value && strlen(value) > SHOWN_MAX) {   /* a finding shows the start of a long value */
    snprintf(shown, sizeof shown, "%.*s...", SHOWN_MAX, value);
    value = shown;
  }
  cp_finding x = {s->sql, id, col, value ? value : "NULL", problem, !value};
  f->n_findings++;
  f->on_finding(f->finding_ctx, &x);
}

/* Cents of a plain decimal text ("123.455": digits, a point, digits) of an
 * amount below 10^13, rounded half away from zero on its third decimal. */
static int64_t decimal_cents(const char *s)
{
  int64_t whole = 0, frac = 0;
  int nfrac = 0, round_up = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    whole = whole * 10 + (*s - '0');
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
      if (nfrac < 2)
        frac = frac * 10 + (*s - '0');
      else if (nfrac == 2)
        round_up = *s >= '5';
    }
  return whole * 100 + frac * (nfrac == 1 ? 10 : 1) + round_up;
}

/* Converts an integer or float column to cents, rounding half away from
 * zero as the amount was written (12.345 -> 1235), not as its binary value
 * (12.3449999...). A REAL is a double: the decimal it was written as is the
 * shortest one that reads back as that double. Its cents lie between k and
 * k + 1 (k = the whole cents of |d| * 100), and the half between them, as
 * written (k + 0.5 cents), reads back as the double (k + 0.5) / 100 (the
 * division is exact to the last bit): a double below that lies below the
 * half, one above above it, however many digits it takes to write them
 * (19999999.994999997, 3999999.999 * 5, is not 19999999.995). One equal to
 * it was written as the half, unless a shorter decimal reads back as it too
 * (from 2^43 yuan on, 8852253875196.234 and .235 are one double: the first
 * is what it was written as); its shortest decimal, by printf with 15, then
 * 16 digits, decides. */
static int money_cents(sqlite3_value *val, int64_t *cents)
{
  if (sqlite3_value_type(val) == SQLITE_INTEGER) {
    sqlite3_int64 v = sqlite3_value_int64(val);
    if (v > INT64_MAX / 100 || v < -INT64_MAX / 100)
      return -1;
    *cents = v * 100;
    return 0;
  }
  double d = sqlite3_value_double(val), a = fabs(d);
  if (!(a < 1e13))   /* also refuses NaN */
    return -1;
  int64_t k = (int64_t)(a * 100);
  double half = ((double)k + 0.5) / 100;
  if (a != half) {
    *cents = k + (a > half);
  } else {
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", a);
    if (strtod(buf, NULL) != a)
      snprintf(buf, sizeof buf, "%.16g", a);   /* the half has 16 digits at most */
    *cents = decimal_cents(buf);
  }
  if (d < 0)
    *cents = -*cents;
  return 0;
}

/* Converts a date or timestamp column value; returns -1 when malformed. */
static int convert_time(const cp_column_cfg *col, const char *text, size_t len, int64_t *v)
{
  if (col->type == CP_COL_TIMESTAMP)
    return cp_dates_parse_timestamp(text, len, v);
  if (len > 10) {   /* a timestamp where a date is needed: the date part counts */
    if (cp_dates_parse_timestamp(text, len, v) < 0)
      return -1;
    *v = cp_dates_day_of(*v);
    return 0;
  }
  return cp_dates_parse_date(text, len, v);
}

/* Converts a numeric column value (val, of type t) into out; returns a
 * problem text or NULL. */
/* Returns 1 when text value val reads whole as a decimal number ("300",
 * "-12.50", "1e3"): a number stored as text, as a CSV import without column
 * types stores every value. */
static int numeric_text(sqlite3_value *val)
{
  const char *text = (const char *)sqlite3_value_text(val);
  char *end;
  if (!text || !*text || isspace((unsigned char)*text) ||
      (size_t)sqlite3_value_bytes(val) != strlen(text))
    return 0;
  double d = strtod(text, &end);
  return *end == '\0' && isfinite(d) && !strpbrk(text, "xXnN");   /* not hex, inf, nan */
}

/* The problem of a number stored as text in a column of type `type`. */
static const char *stored_as_text(cp_coltype type)
{
  switch (type) {
  case CP_COL_MONEY:
    return "is an amount stored as text, not as a number (a CSV import without column "
           "types?): give the column a type (REAL, INTEGER) or read it through a view with "
           "CAST(NULLIF(..., '') AS REAL)";
  case CP_COL_BOOLEAN:
    return "is stored as text, not as the number 0 or 1 (a CSV import without column "
           "types?): give the column a type (INTEGER) or read it through a view with "
           "CAST(NULLIF(..., '') AS NUMERIC)";
  case CP_COL_REAL:
    return "is a number stored as text (a CSV import without column types?): give the "
           "column a type (REAL) or read it through a view with CAST(NULLIF(..., '') AS REAL)";
  default:   /* NUMERIC, not INTEGER: CAST('1e3' AS INTEGER) is 1, and '12.5' 12 */
    return "is a number stored as text (a CSV import without column types?): give the "
           "column a type (INTEGER) or read it through a view with CAST(NULLIF(..., '') AS NUMERIC)";
  }
}

static const char *convert_number(const cp_column_cfg *col, sqlite3_value *val, int t,
                                  cp_value *out)
{
  double d = sqlite3_value_double(val);
  if (t == SQLITE_TEXT && numeric_text(val) &&   /* the number is there; its type is not */
      (col->type != CP_COL_BOOLEAN || d == 0 || d == 1)) {
    out->type = CP_V_NIL;
    return stored_as_text(col->type);
  }
  switch (col->type) {
  case CP_COL_MONEY:
    out->type = CP_V_INT;
    if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
      return "is not an amount of money";
    return money_cents(val, &out->u.i) == 0 ? NULL
           : isnan(d) ? "is not an amount of money"
           : t == SQLITE_FLOAT && fabs(d) < 9e16
               ? "is a REAL of 10^13 yuan or more, which does not hold its cents exactly "
                 "(store such amounts as INTEGER yuan)"
               : "is too large an amount of money (its cents do not fit in 64 bits)";
  case CP_COL_REAL:   /* SQLite stores 1e999 as Inf, which no JSON can write */
    out->type = CP_V_REAL;
    out->u.r = d;
    return t == SQLITE_INTEGER || (t == SQLITE_FLOAT && isfinite(d)) ? NULL
           : t == SQLITE_FLOAT ? "is not a finite number" : "is not a number";
  case CP_COL_BOOLEAN:
    out->type = CP_V_BOOL;
    out->u.i = sqlite3_value_int64(val) != 0;
    return (t == SQLITE_INTEGER || t == SQLITE_FLOAT) && (d == 0 || d == 1) ? NULL   /* 1.0 too */
                                                                : "is not 0 or 1";
  default:   /* a whole REAL up to 2^53, which holds every integer exactly */
    out->type = CP_V_INT;
    out->u.i = sqlite3_value_int64(val);
    return t == SQLITE_INTEGER || (t == SQLITE_FLOAT && d == floor(d) && fabs(d) <= 0x1p53)
               ? NULL
           : t == SQLITE_FLOAT && d == floor(d) && isfinite(d)
               ? "is a REAL past 2^53, which does not hold an integer exactly (store such "
                 "numbers as INTEGER)"
               : "is not an integer";
  }
}

/* Converts declared column j of the row under s's cursor into out. The
 * column is read as a value once (sqlite3_column_value), then its text,
 * length or number from that value: each sqlite3_column_* call looks the
 * column up again. The value is unprotected, which is enough here: it is
 * read at once, on the thread that owns the connection (opened NOMUTEX). */
static void convert(cp_facts *f, const source *s, unsigned j, cp_value *out)
{
  const cp_column_cfg *col = &s->cfg->columns[j];
  int k = FIRST_COL + (int)j;
  int textual = col->type == CP_COL_TEXT || col->type == CP_COL_DATE ||
                col->type == CP_COL_TIMESTAMP;
  sqlite3_value *val = sqlite3_column_value(s->stmt, k);
  /* A text read gives NULL for NULL: one call instead of two for most columns. */
  const char *text = textual ? (const char *)sqlite3_value_text(val) : NULL;
  int t = textual ? (text ? SQLITE_TEXT : SQLITE_NULL) : sqlite3_value_type(val);
  if (textual && !text && sqlite3_value_type(val) != SQLITE_NULL) {
    f->convert_oom = 1;   /* a number made text needs memory: NULL is not the value */
    t = SQLITE_NULL;
  }
  out->type = CP_V_NIL;
  out->len = 0;
  if (t == SQLITE_NULL) {
    if (col->required && !f->convert_oom)
      finding(f, s, col->name, NULL, "is missing (the column is required)");
    return;
  }
  if (!textual) {
    const char *problem = convert_number(col, val, t, out);
    if (problem) {   /* a BLOB or text with a NUL byte shown whole, not cut there */
      char shown[SHOWN_MAX + 4];
      finding(f, s, col->name, shown_text(s->stmt, k, shown, sizeof shown), problem);
      out->type = CP_V_NIL;
    }
    return;
  }
  size_t len = (size_t)sqlite3_value_bytes(val);
  if (len > f->max_text) {   /* it would fill the Lua heap wherever it flows */
    char problem[160];
    snprintf(problem, sizeof problem, "is a text of %zu bytes, longer than the %zu bytes a "
             "fact value may hold (1/%d of limits.memory_mb)", len, f->max_text, TEXT_HEAP_PART);
    finding(f, s, col->name, text, problem);
    f->too_long = 1;
    return;
  }
  if (col->type == CP_COL_TEXT) {
    out->u.s = cp_arena_strndup(s->strings, text, len);
    out->type = out->u.s ? CP_V_TEXT : CP_V_NIL;
    f->convert_oom |= !out->u.s;   /* the value is there: not read as nil */
    out->len = (uint32_t)len;
    return;
  }
  if (convert_time(col, text, len, &out->u.i) < 0) {   /* numbers never read as dates */
    char shown[SHOWN_MAX + 4];   /* a NUL shown as \x00, not the text cut there */
    finding(f, s, col->name, shown_text(s->stmt, k, shown, sizeof shown),
            time_problem(col->type, text, len));
    return;
  }
  out->type = CP_V_INT;
  int64_t limit = col->type == CP_COL_DATE ? f->as_of : f->now;
  if (col->future == CP_FUTURE_EMPTY && out->u.i > limit)
    out->type = CP_V_NIL;
}

/* Appends the ORDER BY of source s's client pass: client key (in byte
 * order, whatever the column's collation), order column; sorted, by a scan
 * SQLite sorts (no index: "+"), ties in rowid order as the key's index
 * gives them. */
static void order_by(sbuf *q, const source *s, const char *key, int sorted)
{
  cp_sbuf_add(q, sorted ? " ORDER BY +" : " ORDER BY ");
  cp_sbuf_sql_ident(q, key);
  cp_sbuf_add(q, " COLLATE BINARY");
  if (s->cfg->order) {
    cp_sbuf_add(q, ", ");
    cp_sbuf_sql_ident(q, s->cfg->order);
  }
  if (sorted && s->has_rowid)   /* a view has none: its ties come in SQLite's order */
    cp_sbuf_add(q, ", rowid");
}

/* Builds the SELECT of a source: key, row id, declared columns; ordered by
 * client key (and order column) unless unordered; over a range (1: from
 * ?1, 2: to ?2, bits of source.bounded) or over a reader's part of the
 * chunks (RANGE_PART: by a sorted scan), else over every row. */
static void build_select(sbuf *q, const source *s, const char *key, int ordered, int range)
{
  const cp_table_cfg *t = s->cfg;
  cp_sbuf_add(q, "SELECT ");
  if (s->quiet && !s->keyed) {   /* a pre-pass reads neither: it reports nothing */
    cp_sbuf_add(q, "NULL, NULL");
  } else {
    cp_sbuf_sql_ident(q, key);
    cp_sbuf_add(q, ", ");
    if (t->id)
      cp_sbuf_sql_ident(q, t->id);
    else
      cp_sbuf_add(q, "NULL");
  }
  for (unsigned i = 0; i < t->columns_count; i++) {
    cp_sbuf_add(q, ", ");
    if (s->want && !s->want[i] && (int)i != s->exists_col)
      cp_sbuf_add(q, "NULL");
    else
      cp_sbuf_sql_ident(q, t->columns[i].name);
  }
  cp_sbuf_add(q, " FROM ");
  cp_sbuf_sql_ident(q, s->sql);
  if (range & RANGE_PART) {
    cp_sbuf_add(q, " WHERE crmpolicy_part(");
    cp_sbuf_sql_ident(q, key);
    cp_sbuf_add(q, ")");
  }
  for (int i = 0; i < 2; i++) {
    if (!(range & (1 << i)))
      continue;
    cp_sbuf_add(q, i == 0 || !(range & 1) ? " WHERE " : " AND ");
    cp_sbuf_sql_ident(q, key);
    cp_sbuf_add(q, i ? " COLLATE BINARY < ?2" : " COLLATE BINARY >= ?1");
  }
  if (ordered)
    order_by(q, s, key, s->sorted && (range == 0 || range == RANGE_PART));
}

/* Returns the error code for the last SQLite error on db: a lock held past
 * the wait, an I/O error or no memory is a runtime failure (CP_EIO,
 * CP_ENOMEM: exit 3); anything else means the file is not the facts
 * database the config declares (CP_EFACTS: exit 2). */
static cp_err db_err(sqlite3 *db)
{
  switch (sqlite3_errcode(db) & 0xff) {
  case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_IOERR: case SQLITE_FULL:
  case SQLITE_INTERRUPT:   /* only ever at the deadline: over_time() */
    return CP_EIO;
  case SQLITE_NOMEM:
    return CP_ENOMEM;
  default:
    return CP_EFACTS;
  }
}

/* Prepares a statement on the facts database; prints the error. */
static cp_err prepare(cp_facts *f, const sbuf *q, sqlite3_stmt **st)
{
  if (q->oom)
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  if (sqlite3_prepare_v3(f->db, q->s, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    return cp_diag_fail(db_err(f->db), "facts: %s: %s", f->cfg->facts, errmsg(f));
  return CP_OK;
}

/* Prepares the client pass's SELECT of source s once, so that a table the
 * reader may not read (a view that recurses, say) is an error at open,
 * naming it, for check as for run. */
/* Warns when the first client key of source s (column key) is stored as
 * a number, as an INTEGER PRIMARY KEY or a CSV import gives it: a client id
 * is a text, so each such row is skipped as a data problem, and the run
 * would evaluate no client (what) or give a table's rows to none. Returns 1
 * then. */
static int number_keys(cp_facts *f, source *s, const char *key, const char *what)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  int number = 0;
  cp_sbuf_add(&q, "SELECT typeof(");
  cp_sbuf_sql_ident(&q, key);
  cp_sbuf_add(&q, "), ");
  cp_sbuf_sql_ident(&q, key);
  cp_sbuf_add(&q, " FROM ");
  cp_sbuf_sql_ident(&q, s->sql);
  cp_sbuf_add(&q, " WHERE ");
  cp_sbuf_sql_ident(&q, key);
  cp_sbuf_add(&q, " IS NOT NULL LIMIT 1");
  if (!q.oom && sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) == SQLITE_OK &&
      probe_step(f, st) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(st, 0);
    number = type && (!strcmp(type, "integer") || !strcmp(type, "real"));
    if (number)
      cp_diag_warn("facts: the client %s in column '%s' of table '%s' of %s are stored as "
                   "numbers (the first: %s), and a client id is a text: %s. Store them as "
                   "TEXT, or read the table through a view that casts them (CREATE VIEW "
                   "%s_text AS SELECT CAST(%s AS TEXT) AS %s, ... FROM %s; and table: %s_text "
                   "in the config)", what ? "ids" : "keys", key, s->sql, f->cfg->facts,
                   (const char *)sqlite3_column_text(st, 1),
                   what ? "each such row is skipped as a data problem (when every id is a "
                          "number, no client is evaluated)"
                        : "its rows with such keys are of no client",
                   s->sql, key, key, s->sql, s->sql);
  }
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return number;
}

#define PROBE_ROWS 1000   /* rows whose types probe_types() looks at (its messages say 1,000) */

/* What probe_types() found of one column. */
typedef struct probe {
  uint64_t values, wrong;   /* non-NULL values, and of them the wrongly stored */
  char first[48];           /* the first wrongly stored, as text */
  uint64_t texts, foreign;  /* a text column's texts, and of them those not UTF-8 */
  char first_foreign[48];   /* the first of those */
} probe;

/* Warns, once at open, of each declared column of source s whose values in
 * the first PROBE_ROWS rows are mostly stored as the wrong kind: numbers
 * stored as text in a number column (a CSV import without column types),
 * or numbers in a date or timestamp column. Each such value is a data
 * problem that reads as nil, so without this a run whose every amount was
 * text said only how many data problems it met, and `check` said ok. And
 * of each text column whose texts are mostly not UTF-8: an export in
 * another encoding (a CSV from Excel on Chinese Windows is GBK), whose
 * titles every reader would show as U+FFFD. */
static void probe_types(cp_facts *f, source *s)
{
  const cp_table_cfg *t = s->cfg;
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  probe *p = calloc(t->columns_count + 1, sizeof *p);
  if (!p || !t->columns_count)
    goto done;
  cp_sbuf_add(&q, "SELECT ");
  for (unsigned j = 0; j < t->columns_count; j++) {
    if (j)
      cp_sbuf_add(&q, ", ");
    cp_sbuf_sql_ident(&q, t->columns[j].name);
  }
  cp_sbuf_add(&q, " FROM ");
  cp_sbuf_sql_ident(&q, s->sql);
  cp_sbuf_printf(&q, " LIMIT %d", PROBE_ROWS);
  if (q.oom || sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) != SQLITE_OK)
    goto done;   /* the client pass says what is wrong with the table */
  f->probe_calls = 0;   /* one bound for all its rows */
  sqlite3_progress_handler(f->db, PROGRESS_OPS, bounded_probe, f);
  while (sqlite3_step(st) == SQLITE_ROW)
    for (unsigned j = 0; j < t->columns_count; j++) {
      sqlite3_value *v = sqlite3_column_value(st, (int)j);
      int type = sqlite3_value_type(v);
      cp_coltype ct = t->columns[j].type;
      if (ct == CP_COL_TEXT && type == SQLITE_TEXT) {
        const char *text = (const char *)sqlite3_value_text(v);
        p[j].texts++;
        if (text && !cp_sbuf_is_utf8(text, (size_t)sqlite3_value_bytes(v)) &&
            !p[j].foreign++)
          snprintf(p[j].first_foreign, sizeof p[j].first_foreign, "%s", text);
      }
      if (type == SQLITE_NULL || ct == CP_COL_TEXT)
        continue;
      p[j].values++;
      int timely = ct == CP_COL_DATE || ct == CP_COL_TIMESTAMP;
      double d = sqlite3_value_double(v);   /* as convert_number() tells it */
      if (timely ? type == SQLITE_INTEGER || type == SQLITE_FLOAT
                 : type == SQLITE_TEXT && numeric_text(v) &&
                       (ct != CP_COL_BOOLEAN || d == 0 || d == 1)) {
        if (!p[j].wrong++)
          snprintf(p[j].first, sizeof p[j].first, "%s", (const char *)sqlite3_value_text(v));
      }
    }
  sqlite3_progress_handler(f->db, PROGRESS_OPS, over_time, f);
  for (unsigned j = 0; j < t->columns_count; j++) {
    if (p[j].foreign * 2 > p[j].texts) {
      char foreign[32], texts[32];
      cp_progress_format_count(foreign, p[j].foreign);
      cp_progress_format_count(texts, p[j].texts);
      cp_diag_warn("facts: column '%s' of table '%s' of %s: %s of the %s texts of its first "
                   "1,000 rows are not UTF-8 (the first: '%s'): an export in another encoding "
                   "(GBK or GB18030, as Excel on Chinese Windows writes CSV: convert it with "
                   "iconv -f GB18030 -t UTF-8)? Titles, the feed and the tables show such "
                   "bytes as U+FFFD or \\xNN", t->columns[j].name, s->sql, f->cfg->facts,
                   foreign, texts, p[j].first_foreign);
    }
    if (!p[j].wrong || p[j].wrong * 2 <= p[j].values)
      continue;   /* an odd value is the client pass's data problem, said at its row */
    const cp_column_cfg *col = &t->columns[j];
    char wrong[32], values[32];
    cp_progress_format_count(wrong, p[j].wrong);
    cp_progress_format_count(values, p[j].values);
    if (col->type == CP_COL_DATE || col->type == CP_COL_TIMESTAMP)
      cp_diag_warn("facts: column '%s' of table '%s' of %s: %s of the %s values of its first "
                   "1,000 rows are numbers (the first: %s), and a %s is a text '%s': each reads "
                   "as nil, a data problem. Store the column as such text, or read it through "
                   "a view that converts it (seconds since 1970: %s(%s, 'unixepoch'))",
                   col->name, s->sql, f->cfg->facts, wrong, values, p[j].first,
                   col->type == CP_COL_DATE ? "date" : "timestamp",
                   col->type == CP_COL_DATE ? "YYYY-MM-DD" : "YYYY-MM-DD HH:MM:SS",
                   col->type == CP_COL_DATE ? "date" : "datetime", col->name);
    else
      cp_diag_warn("facts: column '%s' of table '%s' of %s: %s of the %s values of its first "
                   "1,000 rows are numbers stored as text, and each reads as nil, a data problem "
                   "(the first: '%s' %s)", col->name, s->sql, f->cfg->facts, wrong, values,
                   p[j].first, stored_as_text(col->type));
  }
done:
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  free(p);
}

int cp_facts_number_ids(const cp_facts *f)
{
  return f->number_ids;
}

static cp_err check_select(cp_facts *f, source *s, const char *key)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  build_select(&q, s, key, 1, 0);
  cp_err rc = q.oom ? cp_diag_fail(CP_ENOMEM, "facts: out of memory") : CP_OK;
  if (rc == CP_OK && sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) != SQLITE_OK)
    rc = cp_diag_fail(db_err(f->db) == CP_EFACTS ? CP_EFACTS : db_err(f->db),
                   "facts: %s: table '%s' cannot be read: %s%s", f->cfg->facts, s->sql,
                   errmsg(f), sqlite3_errcode(f->db) == SQLITE_AUTH
                       ? " (tables are read with SELECT only: no recursive view)" : "");
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return rc;
}

/* Returns 1 when column name is in the list of a table's columns, its
 * case aside, as SQLite finds it (CLIENT_ID is the column client_id). */
static int has_column(char **cols, int n, const char *name)
{
  for (int i = 0; i < n; i++)
    if (sqlite3_stricmp(cols[i], name) == 0)
      return 1;
  return 0;
}

/* Checks that the source's table and every column it needs exist. */
static cp_err check_source(cp_facts *f, const source *s)
{
  const cp_table_cfg *t = s->cfg;
  char **cols = NULL;   /* every column of the table, however many */
  size_t cap = 0;
  int n = 0, rc, oom = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(f->db, "SELECT name FROM pragma_table_xinfo(?1)", -1, &st, NULL))
    return cp_diag_fail(db_err(f->db), "facts: %s: %s", f->cfg->facts, errmsg(f));
  sqlite3_bind_text(st, 1, s->sql, -1, SQLITE_STATIC);
  while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    oom = cp_arena_grow((void **)&cols, &cap, (size_t)n, sizeof *cols) < 0 ||
          !(cols[n] = strdup(name ? name : ""));
    n += !oom;
  }
  cp_err err = CP_OK;
  if (oom)
    err = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  else if (rc != SQLITE_DONE)   /* a view whose own SQL fails: a table it reads is missing */
    err = cp_diag_fail(db_err(f->db), "facts: %s: table '%s' (declared at %s:%u) cannot be "
                       "read: %s%s", f->cfg->facts, s->sql, f->cfg->path, t->line, errmsg(f),
                       strstr(errmsg(f), "no such") ? " (a view whose tables the export lacks?)"
                                                    : "");
  else if (n == 0)
    err = cp_diag_fail(CP_EFACTS, "facts: table '%s' is missing (declared at %s:%u)", s->sql,
                    f->cfg->path, t->line);
  const char *fixed[] = {t->key, t->id, t->order};
  for (unsigned i = 0; err == CP_OK && i < 3 + t->columns_count; i++) {
    const char *c = i < 3 ? fixed[i] : t->columns[i - 3].name;
    if (c && !has_column(cols, n, c))
      err = cp_diag_fail(CP_EFACTS, "facts: table '%s' has no column '%s' (declared at %s:%u)",
                      s->sql, c, f->cfg->path, t->line);
  }
  for (int i = 0; i < n; i++)
    free(cols[i]);
  free(cols);
  sqlite3_finalize(st);
  return err;
}

/* Sets up a source for table t; checks its shape in the database. */
static cp_err init_source(cp_facts *f, source *s, const cp_table_cfg *t)
{
  s->cfg = t;
  s->sql = t->table ? t->table : t->name;
  s->exists_col = -1;
  for (unsigned i = 0; i < t->columns_count; i++)
    if (t->exists_from && strcmp(t->columns[i].name, t->exists_from) == 0)
      s->exists_col = (int)i;
  cp_err rc = check_source(f, s);
  static const char plain[] =   /* a table with a rowid that no column hides */
      "SELECT (SELECT type = 'table' AND wr = 0 FROM pragma_table_list(?1) "
      "        WHERE schema = 'main') "
      "   AND NOT EXISTS (SELECT 1 FROM pragma_table_xinfo(?1) "
      "                   WHERE lower(name) IN ('rowid', '_rowid_', 'oid'))";
  sqlite3_stmt *st = NULL;
  s->has_rowid = rc == CP_OK && sqlite3_prepare_v2(f->db, plain, -1, &st, NULL) == SQLITE_OK &&
                 sqlite3_bind_text(st, 1, s->sql, -1, SQLITE_STATIC) == SQLITE_OK &&
                 sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
  sqlite3_finalize(st);
  /* The id made unique by the table itself: a UNIQUE index (or a primary
   * key) of that column alone, or an INTEGER PRIMARY KEY (the rowid). A
   * view, or a table imported without one, is checked row by row. */
  static const char unique[] =
      "SELECT EXISTS (SELECT 1 FROM pragma_index_list(?1) AS x "
      "               WHERE x.\"unique\" = 1 AND x.partial = 0 "
      "                 AND (SELECT count(*) FROM pragma_index_xinfo(x.name) WHERE key) = 1 "
      "                 AND (SELECT name FROM pragma_index_xinfo(x.name) WHERE key) = ?2 COLLATE NOCASE) "
      "    OR EXISTS (SELECT 1 FROM pragma_table_xinfo(?1) WHERE pk = 1 AND name = ?2 COLLATE NOCASE "
      "               AND upper(type) = 'INTEGER' "
      "               AND (SELECT count(*) FROM pragma_table_xinfo(?1) WHERE pk > 0) = 1)";
  st = NULL;
  s->unique_id = rc == CP_OK && t->id &&
                 sqlite3_prepare_v2(f->db, unique, -1, &st, NULL) == SQLITE_OK &&
                 sqlite3_bind_text(st, 1, s->sql, -1, SQLITE_STATIC) == SQLITE_OK &&
                 sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC) == SQLITE_OK &&
                 sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
  sqlite3_finalize(st);
  return rc;
}

/* Returns 1 when the row just converted into v is dated after the as-of time. */
static int not_yet(const cp_facts *f, const source *s, const cp_value *v)
{
  if (s->exists_col < 0 || v[s->exists_col].type != CP_V_INT)
    return 0;
  int is_date = s->cfg->columns[s->exists_col].type == CP_COL_DATE;
  return v[s->exists_col].u.i > (is_date ? f->as_of : f->now);
}

/* Appends the row under s's cursor to rows (dropping rows not yet dated). */
static cp_err take_row(cp_facts *f, source *s, cp_rows *rows)
{
  unsigned nc = s->cfg->columns_count;
  if (rows->n == rows->cap) {
    if (rows->cap > UINT32_MAX / 2)   /* a count of rows cannot wrap */
      return cp_diag_fail(CP_ENOMEM, "facts: table '%s': more than %u rows of one client",
                          s->sql, (unsigned)rows->cap);
    uint32_t cap = rows->cap ? rows->cap * 2 : 8;
    cp_value *v = realloc(rows->v, (size_t)cap * (nc ? nc : 1) * sizeof *v);
    if (!v)
      return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    rows->v = v;
    rows->cap = cap;
  }
  cp_value *v = rows->v + (size_t)rows->n * nc;
  f->too_long = 0;
  f->convert_oom = 0;
  for (unsigned j = 0; j < nc; j++) {
    if (s->want && !s->want[j] && (int)j != s->exists_col)
      v[j] = (cp_value){.type = CP_V_NIL};   /* selected as NULL: nothing to convert */
    else
      convert(f, s, j, &v[j]);
  }
  if (f->convert_oom)   /* a value that could not be kept would read as nil: a wrong result */
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  if (!not_yet(f, s, v))
    rows->n++;
  return CP_OK;
}

/* Prints the error of a read of s that failed. */
static void read_failed(cp_facts *f, const source *s)
{
  /* a plain error here is SQL that failed on one row: a view's or generated
   * column's expression (json_extract of malformed JSON, an overflow) */
  cp_diag_fail(CP_EFACTS, "facts: reading table '%s': %s%s", s->sql, errmsg(f),
               (sqlite3_errcode(f->db) & 0xff) == SQLITE_ERROR
                   ? " (a row on which the table's view or generated column fails: every "
                     "run stops there until the facts or the view are mended)"
                   : "");
}

/* Steps s's cursor: 1 on a row, 0 at the end, -1 on an error (not printed). */
static int step_cursor(source *s)
{
  int rc = sqlite3_step(s->stmt);
  s->ready = rc == SQLITE_ROW;
  s->key_ok = 0;
  s->row_beyond = -1;
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Moves s's cursor to the next row. Returns 0, or -1 after printing an error. */
static int advance(cp_facts *f, source *s)
{
  if (step_cursor(s) >= 0)
    return 0;
  read_failed(f, s);
  return -1;
}

/* The problem of a client key that is not text. */
static const char not_text_client[] = "is not a text client id; the row is skipped";

/* Reports the rows of source s whose client key (column key) is NULL: a
 * read bounded above only (the first chunk of --jobs) does not meet them,
 * where a read from the start meets them first. They are read by that
 * read's own statement, up to the first key not NULL, so that they come in
 * its order: a query for the NULL keys alone may follow the index another
 * way (one on the key DESC gives its ties in the other order), or none.
 * That statement runs only when a NULL key is there (it may sort the
 * whole table before its first row). */
static cp_err null_keys(cp_facts *f, source *s, const char *key)
{
  sbuf q = {0};
  cp_sbuf_add(&q, "SELECT 1 FROM ");
  cp_sbuf_sql_ident(&q, s->sql);
  cp_sbuf_add(&q, " WHERE ");
  cp_sbuf_sql_ident(&q, key);
  cp_sbuf_add(&q, " IS NULL LIMIT 1");
  source n = *s;
  n.stmt = NULL;   /* s's own: a prepare that fails leaves it, and it was finalized here */
  cp_err rc = prepare(f, &q, &n.stmt);
  cp_sbuf_free(&q);
  int step = rc == CP_OK ? sqlite3_step(n.stmt) : SQLITE_DONE;
  sqlite3_finalize(n.stmt);
  n.stmt = NULL;
  if (rc == CP_OK && step == SQLITE_ROW) {
    build_select(&q, s, key, 1, 0);   /* the read of every client: s->sorted's order */
    rc = prepare(f, &q, &n.stmt);
    cp_sbuf_free(&q);
    while (rc == CP_OK && (step = sqlite3_step(n.stmt)) == SQLITE_ROW &&
           sqlite3_column_type(n.stmt, 0) == SQLITE_NULL) {
      s->read++;
      finding(f, &n, key, NULL, not_text_client);
    }
  }
  if (rc == CP_OK && step != SQLITE_DONE && step != SQLITE_ROW)
    rc = cp_diag_fail(db_err(f->db), "facts: reading table '%s': %s", s->sql, errmsg(f));
  sqlite3_finalize(n.stmt);
  return rc;
}

/* What the query plan of source s's read of every client says (bits). */
enum {
  PLAN_SORTS = 1,           /* SQLite sorts it (TEMP B-TREE): no index on the key */
  PLAN_COVERING = 2,        /* a covering index: index pages only, in key order */
  PLAN_UNKNOWN = 4          /* the plan could not be read */
};

/* Reads the plan of source s's read of every client into its PLAN_* bits,
 * and the index it follows into index ("" when none). */
static int read_plan(cp_facts *f, source *s, const char *key, char index[256])
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  int plan = 0;
  index[0] = '\0';
  cp_sbuf_add(&q, "EXPLAIN QUERY PLAN ");
  build_select(&q, s, key, 1, 0);
  if (q.oom || sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) != SQLITE_OK)
    plan = PLAN_UNKNOWN;
  while (!plan && sqlite3_step(st) == SQLITE_ROW) {
    const char *detail = (const char *)sqlite3_column_text(st, 3), *at;
    plan = !detail ? PLAN_UNKNOWN : strstr(detail, "TEMP B-TREE") ? PLAN_SORTS
           : strstr(detail, "COVERING") ? PLAN_COVERING : 0;
    if (!plan && (at = strstr(detail, " USING INDEX ")))
      snprintf(index, 256, "%s", at + strlen(" USING INDEX "));
  }
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return plan;
}

/* Returns 1 when the rows of source s lie scattered in the file against the
 * order the client pass reads them in (a CRM that writes rows in time order,
 * read client by client): following the key's index then reads a page for
 * nearly every row, where a scan of the table, sorted by SQLite (in memory
 * up to the page cache's size, then in temporary files), reads each page
 * once. Judged on the first SCATTER_SAMPLE rows in that order: most steps
 * between their rowids jump more than SCATTER_NEAR. Not for a table whose
 * read SQLite sorts anyway (no index on the key), one read by a covering
 * index (its pages are in key order), nor one smaller than the sample. plan and
 * index: what read_plan() said of the read. */
static int scattered(cp_facts *f, source *s, const char *key, int plan, const char *index)
{
  enum { SCATTER_SAMPLE = 2048, SCATTER_NEAR = 64 };
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  int n = 0, jumps = 0;
  int plain_read = plan == 0;
  /* the index must hold the key (and the order column) alone, ascending, so
   * that its ties come in rowid order, as the sorted read's do; the facts'
   * authorizer allows no pragma: this one statement, the engine's own, is
   * run without it */
  sqlite3_set_authorizer(f->db, NULL, NULL);
  if (plain_read && (plain_read = *index != '\0') &&
      sqlite3_prepare_v2(f->db, "SELECT name, desc, coll FROM pragma_index_xinfo(?1) "
                         "WHERE key = 1 ORDER BY seqno", -1, &st, NULL) == SQLITE_OK) {
    const char *want[2] = {key, s->cfg->order};
    int k = 0;
    sqlite3_bind_text(st, 1, index, -1, SQLITE_STATIC);
    for (; plain_read && sqlite3_step(st) == SQLITE_ROW; k++) {
      const char *name = (const char *)sqlite3_column_text(st, 0);
      const char *coll = (const char *)sqlite3_column_text(st, 2);
      plain_read = k < 2 && want[k] && name && sqlite3_stricmp(name, want[k]) == 0 &&
                   sqlite3_column_int(st, 1) == 0 &&
                   (k == 1 || (coll && sqlite3_stricmp(coll, "BINARY") == 0));
    }
    plain_read = plain_read && k == (s->cfg->order ? 2 : 1);
  } else {
    plain_read = 0;
  }
  sqlite3_finalize(st);
  sqlite3_set_authorizer(f->db, authorize, NULL);
  st = NULL;
  cp_sbuf_add(&q, "SELECT rowid FROM ");   /* in the index's order: rowid breaks ties */
  cp_sbuf_sql_ident(&q, s->sql);
  order_by(&q, s, key, 0);
  cp_sbuf_printf(&q, ", rowid LIMIT %d", SCATTER_SAMPLE);
  if (plain_read && !q.oom && sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_int64 last = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; n++) {
      sqlite3_int64 id = sqlite3_column_int64(st, 0);
      jumps += n > 0 && (id - last > SCATTER_NEAR || last - id > SCATTER_NEAR);
      last = id;
    }
  }
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return plain_read && n == SCATTER_SAMPLE && jumps * 2 > n;
}

static cp_err start(cp_facts *f, source *s, const char *key, const char *from, const char *to,
                    int nulls);

/* Steps a sorted read of s to its first row, when SQLite sorts the whole
 * table, or a worker's part of it (by_parts: then from, to are the chunk's
 * range), in temporary files past the page cache's size. When that cannot
 * be done (a full or unwritable temporary folder, no memory), the table is
 * read by its index instead, with a warning: slower, the same rows. */
static cp_err first_sorted(cp_facts *f, source *s, const char *key, const char *from,
                           const char *to)
{
  if (step_cursor(s) >= 0)
    return CP_OK;
  int code = sqlite3_errcode(f->db) & 0xff;
  if (code != SQLITE_FULL && code != SQLITE_IOERR && code != SQLITE_CANTOPEN &&
      code != SQLITE_NOMEM) {
    read_failed(f, s);
    return db_err(f->db);
  }
  cp_diag_warn("facts: table '%s': sorting it in temporary files failed (%s: is the folder "
               "SQLITE_TMPDIR names, else /var/tmp or /tmp, full or not writable?); it is read "
               "by its index instead (slower, the same rows)", s->sql, errmsg(f));
  sqlite3_finalize(s->stmt);
  s->stmt = NULL;
  s->sorted = 0;
  s->by_parts = 0;   /* NULL keys were reported for the first chunk already: not again */
  return start(f, s, key, from, to, 0);
}

/* Starts the ordered cursor of a source over [from, to); a statement of the
 * same range shape is reset and bound again rather than prepared anew (a
 * worker starts one pass per chunk). A reader by parts reads its chunks by
 * one cursor, started at its first chunk. The first chunk (no from) reports
 * the rows whose key is NULL, unless nulls is 0 (done already). */
static cp_err start(cp_facts *f, source *s, const char *key, const char *from, const char *to,
                    int nulls)
{
  int bounded = (from != NULL) | (to != NULL) << 1;
  if (!bounded && !s->probed && s->has_rowid) {   /* a read of every client */
    s->probed = 1;
    char index[256];
    int plan = read_plan(f, s, key, index);
    s->sorted = !f->no_sort && scattered(f, s, key, plan, index);
  }
  if (s->by_parts && bounded) {   /* a chunk of a reader by parts: one cursor for them all */
    if (s->stmt && s->bounded == RANGE_PART)
      return CP_OK;   /* on the chunk's first row, or a later chunk's, or at the end */
    bounded = RANGE_PART;
  }
  if (s->stmt && s->bounded == bounded) {
    sqlite3_reset(s->stmt);
    sqlite3_clear_bindings(s->stmt);
  } else {
    sbuf q = {0};
    build_select(&q, s, key, 1, bounded);
    sqlite3_finalize(s->stmt);
    s->stmt = NULL;
    s->bounded = bounded;
    cp_err rc = prepare(f, &q, &s->stmt);
    cp_sbuf_free(&q);
    if (rc != CP_OK)
      return rc;
  }
  if (!from && to && nulls && s != &f->clients) {
    s->nulls_due = 1;   /* said where a read from the start meets them: at the table's turn */
  } else if (!from && to && nulls) {
    cp_err rc = null_keys(f, s, key);
    if (rc != CP_OK)
      return rc;
  }
  if (bounded == RANGE_PART)
    return first_sorted(f, s, key, from, to);
  /* a bound that could not be copied would stay NULL, and the chunk read
   * no row at all, without an error (key >= NULL is never true) */
  if ((from && sqlite3_bind_text(s->stmt, 1, from, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
      (to && sqlite3_bind_text(s->stmt, 2, to, -1, SQLITE_TRANSIENT) != SQLITE_OK))
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  if (s->sorted && !bounded)
    return first_sorted(f, s, key, NULL, NULL);
  return advance(f, s) < 0 ? db_err(f->db) : CP_OK;
}

/* Compares text a (la bytes) with b (lb bytes) as SQLite's BINARY
 * collation does. */
static int binary_cmp(const char *a, size_t la, const char *b, size_t lb)
{
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : la < lb ? -1 : la > lb;
}

/* A chunk bound as chunk_of() compares it: its first 8 bytes as a
 * big-endian number (zeros past its end) and its length. */
struct bound_key {
  uint64_t pre;
  size_t len;
};

/* The first 8 bytes of text s (len bytes) as a big-endian number, zeros
 * past its end: two texts' numbers compare as their first 8 bytes do under
 * BINARY (a NUL byte and a missing one alike: equal numbers of texts of 8
 * bytes or fewer then compare by their lengths). */
static uint64_t prefix8(const char *s, size_t len)
{
  unsigned char b[8] = {0};
  memcpy(b, s, len < 8 ? len : 8);
  return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
         (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
         (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* Compares text a (la bytes, prefix8() pa) with bound i of f as
 * binary_cmp() does, most often by their prefixes alone. */
static int bound_cmp(const cp_facts *f, const char *a, size_t la, uint64_t pa, size_t i)
{
  const struct bound_key *b = &f->bkeys[i];
  if (pa != b->pre)
    return pa < b->pre ? -1 : 1;
  if (la <= 8 && b->len <= 8)
    return la < b->len ? -1 : la > b->len;
  return binary_cmp(a, la, f->bounds[i], b->len);
}

/* The chunk whose range holds client key v, as the chunk reads' WHERE
 * (cp_facts_begin()) places it: a number sorts before any text (the first
 * chunk), a blob after (the last); NULL is in none (CHUNK_NONE). */
static size_t chunk_of(const cp_facts *f, sqlite3_value *v)
{
  switch (sqlite3_value_type(v)) {
  case SQLITE_NULL:
    return CHUNK_NONE;
  case SQLITE_INTEGER: case SQLITE_FLOAT:
    return 0;
  case SQLITE_BLOB:
    return f->n_bounds;
  default:
    break;
  }
  const char *text = (const char *)sqlite3_value_text(v);
  size_t len = (size_t)sqlite3_value_bytes(v), lo = 0, hi = f->n_bounds;
  if (!text)   /* not the first chunk's: the read fails instead */
    return CHUNK_NOMEM;
  uint64_t pre = prefix8(text, len);
  while (lo < hi) {   /* the number of bounds at or below the key */
    size_t mid = lo + (hi - lo) / 2;
    if (bound_cmp(f, text, len, pre, mid) >= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* crmpolicy_part(key): whether a row of key is in the part of the chunks
 * that the reader (the function's data) reads. */
static void part_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  const cp_facts *f = sqlite3_user_data(ctx);
  size_t c = argc == 1 ? chunk_of(f, argv[0]) : CHUNK_NONE;
  if (c == CHUNK_NOMEM)   /* a row given to no reader, silently, is a lost row */
    sqlite3_result_error_nomem(ctx);
  else
    sqlite3_result_int(ctx, c != CHUNK_NONE && c % f->parts == f->part);
}

/* Returns 1 when the row under the cursor of s, a source read by parts, is
 * of a chunk after the one being read: its rows come in key order, so it
 * is one whose key is at or past the chunk's end (once per row and chunk). */
static int beyond(cp_facts *f, source *s)
{
  if (!s->by_parts || s->bounded != RANGE_PART)
    return 0;
  if (s->row_beyond < 0) {
    sqlite3_value *v = sqlite3_column_value(s->stmt, 0);
    int type = sqlite3_value_type(v);
    s->row_beyond = 0;
    if (f->chunk < f->n_bounds && type == SQLITE_BLOB)
      s->row_beyond = 1;
    else if (f->chunk < f->n_bounds && type == SQLITE_TEXT) {
      const char *text = (const char *)sqlite3_value_text(v);
      size_t len = (size_t)sqlite3_value_bytes(v);
      s->row_beyond = !text || bound_cmp(f, text, len, prefix8(text, len), f->chunk) >= 0;
      f->beyond_oom |= !text;   /* the chunk ends here: cp_facts_next() fails */
    }
  }
  return s->row_beyond;
}

cp_err cp_facts_by_parts(cp_facts *f, const cp_facts *plan, char *const *bounds, size_t n,
                         size_t parts, size_t part, int *any)
{
  f->bounds = bounds;
  f->n_bounds = n;
  f->parts = parts;
  f->part = part;
  *any = 0;
  if (n == 0 || parts < 2 || plan->tables_count != f->tables_count)
    return CP_OK;   /* one chunk: read whole */
  free(f->bkeys);
  if (!(f->bkeys = malloc(n * sizeof *f->bkeys)))
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  for (size_t i = 0; i < n; i++) {
    f->bkeys[i].len = strlen(bounds[i]);
    f->bkeys[i].pre = prefix8(bounds[i], f->bkeys[i].len);
  }
  for (unsigned i = 0; i <= f->tables_count; i++) {
    source *s = i < f->tables_count ? &f->tables[i] : &f->clients;
    const source *p = i < f->tables_count ? &plan->tables[i] : &plan->clients;
    s->by_parts = s->sorted = p->probed && p->sorted;
    s->probed = 1;
    *any |= s->by_parts;
  }
  if (!*any)
    return CP_OK;
  if (sqlite3_create_function_v2(f->db, "crmpolicy_part", 1,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, f,
                                 part_fn, NULL, NULL, NULL) != SQLITE_OK)
    return cp_diag_fail(db_err(f->db), "facts: %s: %s", f->cfg->facts, errmsg(f));
  /* its sorts bound their memory by the page cache, and its scans need little */
  sqlite3_set_authorizer(f->db, NULL, NULL);   /* the engine's own pragma */
  sqlite3_exec(f->db, "PRAGMA cache_size = -500", NULL, NULL, NULL);
  sqlite3_set_authorizer(f->db, authorize, NULL);
  return CP_OK;
}

/* Returns 1 when column key of source s has TEXT affinity or none (BLOB):
 * compared with the text bounds of the chunks, its values keep their type
 * (chunk_of()), where a numeric affinity would convert the bounds. */
static int text_key(cp_facts *f, const source *s, const char *key)
{
  const char *type = NULL;
  char view_type[64] = "";
  if (sqlite3_table_column_metadata(f->db, "main", s->sql, key, &type, NULL, NULL, NULL,
                                    NULL) != SQLITE_OK) {
    /* a view: its column's type as SQLite gives it (a CAST or an untyped
     * table's column: none; a typed table's column: that type) */
    sqlite3_stmt *st = NULL;
    int found = 0;
    sqlite3_set_authorizer(f->db, NULL, NULL);   /* the engine's own pragma */
    if (sqlite3_prepare_v2(f->db, "SELECT type FROM pragma_table_xinfo(?1) "
                           "WHERE name = ?2 COLLATE NOCASE",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, s->sql, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char *t = sqlite3_column_text(st, 0);
      found = snprintf(view_type, sizeof view_type, "%s", t ? (const char *)t : "") <
              (int)sizeof view_type;
    }
    sqlite3_finalize(st);
    sqlite3_set_authorizer(f->db, authorize, NULL);
    if (!found)
      return 0;
    type = view_type;
  }
  char up[64] = "";
  for (size_t i = 0; type && type[i] && i + 1 < sizeof up; i++)
    up[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32 : type[i]);
  if (type && strlen(type) >= sizeof up)
    return 0;
  if (strstr(up, "INT"))   /* SQLite's rules, in their order */
    return 0;
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
    return 1;
  return *up == '\0' || strstr(up, "BLOB") != NULL;
}

int cp_facts_probe_sorted(cp_facts *f)
{
  int any = 0;
  for (unsigned i = 0; i <= f->tables_count; i++) {
    source *s = i < f->tables_count ? &f->tables[i] : &f->clients;
    const char *key = i < f->tables_count ? s->cfg->key : s->cfg->id;
    if (!s->probed) {
      /* a read SQLite sorts anyway (a view that casts the key, a table
       * without an index on it) is read by parts: read in chunks, each
       * chunk would scan and sort it all again */
      char index[256];
      int plan = read_plan(f, s, key, index), sorts = plan == PLAN_SORTS;
      if (s->has_rowid || sorts) {
        s->probed = 1;
        s->sorted = !f->no_sort && text_key(f, s, key) &&
                    (sorts || scattered(f, s, key, plan, index));
      }
    }
    any |= s->sorted;
  }
  return any;
}

cp_err cp_facts_begin_chunk(cp_facts *f, size_t c)
{
  f->chunk = c;
  for (unsigned i = 0; i <= f->tables_count; i++)   /* a row past the last chunk may be */
    (i < f->tables_count ? &f->tables[i] : &f->clients)->row_beyond = -1;   /* of this one */
  return cp_facts_begin(f, c ? f->bounds[c - 1] : NULL, c < f->n_bounds ? f->bounds[c] : NULL);
}

cp_err cp_facts_begin(cp_facts *f, const char *from, const char *to)
{
  cp_err rc = start(f, &f->clients, f->clients.cfg->id, from, to, 1);
  for (unsigned i = 0; rc == CP_OK && i < f->tables_count; i++)
    rc = start(f, &f->tables[i], f->tables[i].cfg->key, from, to, 1);
  free(f->last_id);
  f->last_id = NULL;
  return rc;
}

/* bad_key_known()'s problem when the key could not be read for want of
 * memory: the read fails (exit 3), no row is skipped. */
static const char key_oom[] = "could not be read (out of memory)";

/* Returns NULL when the key (column 0) under s's cursor is usable text,
 * then kept in s->key, or the finding's problem: not text, or text with a
 * NUL byte (read as C text it would be cut, and merge with another client's
 * or row's id). The column is read as one value (see convert). A key whose
 * bytes are those of known (known_len bytes: the client's id, checked when
 * its clients row was read) is usable without checking it again. */
static const char *bad_key_known(source *s, const char *not_text, const char *known,
                                 size_t known_len)
{
  sqlite3_value *val = sqlite3_column_value(s->stmt, 0);
  if (sqlite3_value_type(val) != SQLITE_TEXT)
    return not_text;
  const char *text = (const char *)sqlite3_value_text(val);
  size_t len = (size_t)sqlite3_value_bytes(val);
  if (!text)   /* a text made C text needs memory: not a row to skip */
    return key_oom;
  if (known && len == known_len && memcmp(text, known, len) == 0) {
    s->key = text;   /* the bytes of a key already checked (the client's id): no NUL, UTF-8 */
    return NULL;
  }
  if (text && strlen(text) != len)
    return "contains a NUL byte; the row is skipped";
  if (text && !cp_sbuf_is_utf8(text, len))   /* JSON would write it with U+FFFD: ids collide */
    return "is not valid UTF-8; the row is skipped";
  s->key = text;
  return NULL;
}

static const char *bad_key(source *s, const char *not_text)
{
  return bad_key_known(s, not_text, NULL, 0);
}

/* Skips a row whose client key is bad (problem, from bad_key()); returns
 * advance()'s result. */
static int skip_bad_key(cp_facts *f, source *s, const char *key, const char *problem)
{
  if (problem == key_oom)
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory"), -1;
  char shown[160];
  finding(f, s, key, shown_text(s->stmt, 0, shown, sizeof shown), problem);
  return advance(f, s);
}

/* Returns 1 when the row under s's cursor has the row id of an earlier row
 * of the same client (gather() starts each client with a new ids_gen), 0
 * when not (or its id is NULL), -1 out of memory. For a table with an id
 * that it does not make unique (gather()'s check_ids). */
static int seen_id(source *s)
{
  const char *id = (const char *)sqlite3_column_text(s->stmt, 1);
  if (!id)
    return 0;
  size_t len = (size_t)sqlite3_column_bytes(s->stmt, 1);
  uint32_t h = 2166136261u;   /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)id[i]) * 16777619u;
  if ((s->ids_used + 1) * 2 > s->ids_cap) {   /* grow, keeping this client's ids */
    uint32_t cap = s->ids_cap ? s->ids_cap * 2 : 64;
    id_slot *n = calloc(cap, sizeof *n);
    if (!n)
      return -1;
    for (uint32_t i = 0; i < s->ids_cap; i++)
      if (s->ids[i].gen == s->ids_gen) {
        uint32_t j = s->ids[i].hash & (cap - 1);
        while (n[j].gen == s->ids_gen)
          j = (j + 1) & (cap - 1);
        n[j] = s->ids[i];
      }
    free(s->ids);
    s->ids = n;
    s->ids_cap = cap;
  }
  uint32_t j = h & (s->ids_cap - 1);
  for (; s->ids[j].gen == s->ids_gen; j = (j + 1) & (s->ids_cap - 1))
    if (s->ids[j].hash == h && s->ids[j].len == len &&
        !memcmp(s->id_text.s + s->ids[j].off, id, len))
      return 1;
  s->ids[j] = (id_slot){s->ids_gen, h, s->id_text.len, len};
  cp_sbuf_addn(&s->id_text, id, len);
  s->ids_used++;
  return s->id_text.oom ? -1 : 0;
}

/* Starts the row ids of the next client (seen_id()). */
static void new_ids(source *s)
{
  s->ids_used = 0;
  cp_sbuf_clear(&s->id_text);
  if (++s->ids_gen == 0) {   /* wrapped: gen 0 is the empty slots' */
    if (s->ids)
      memset(s->ids, 0, s->ids_cap * sizeof *s->ids);
    s->ids_gen = 1;
  }
}

/* Returns 1 when the bad client key under s's cursor is said at a client
 * after id, as a row of no client is: a blob (after every text), or a text
 * after id, compared as C text (up to a NUL byte). Not at id, whose rows it
 * follows: with --jobs it may be of the next chunk, whose bound is id with
 * \x01 after it (cp_facts_bounds()), and be said at that chunk's first
 * client, after what id's other tables said. Compared up to its NUL byte,
 * a text is said in its own chunk: one with id's bytes and then a NUL, in
 * id's chunk, is said at id. */
static int said_later(source *s, const char *id)
{
  sqlite3_value *val = sqlite3_column_value(s->stmt, 0);
  int type = sqlite3_value_type(val);
  const char *text = type == SQLITE_TEXT ? (const char *)sqlite3_value_text(val) : NULL;
  return type == SQLITE_BLOB || (text && strcmp(text, id) > 0);
}

/* Collects table s's rows for client id into rows; rows of clients that do
 * not exist (keys below id) are reported and skipped. With id NULL (after
 * the last client) every row left is such a row. */
static int gather(cp_facts *f, source *s, const char *id, cp_rows *rows)
{
  /* a repeated row id is looked for where the table can hold one: an id
   * declared and not unique by the table itself, in the pass that reports */
  int check_ids = s->cfg->id && !s->quiet && !s->unique_id;
  rows->n = 0;
  if (check_ids)
    new_ids(s);
  size_t id_len = id ? strlen(id) : 0;
  size_t width = (size_t)(s->cfg->columns_count ? s->cfg->columns_count : 1) *
                 sizeof(cp_value);   /* a row's values, as take_row() makes room for them */
  if (s->nulls_due) {   /* the first chunk's NULL keys, before its other rows */
    s->nulls_due = 0;
    if (null_keys(f, s, s->cfg->key) != CP_OK)
      return -1;
  }
  while (s->ready && !beyond(f, s)) {
    const char *problem = s->key_ok ? NULL : bad_key_known(s, not_text_client, id, id_len);
    if (problem && id && said_later(s, id))
      break;
    if (problem) {
      s->read++;
      if (skip_bad_key(f, s, s->cfg->key, problem) < 0)
        return -1;
      continue;
    }
    s->key_ok = 1;   /* a row of a later client is checked once, not again at its turn */
    int cmp = id ? strcmp(s->key, id) : -1;
    if (cmp > 0)
      break;
    s->read++;
    int dup = cmp == 0 && check_ids && f->over < 0 ? seen_id(s) : 0;
    if (dup < 0)
      return cp_diag_fail(CP_ENOMEM, "facts: out of memory"), -1;
    if (dup)   /* a row exported twice? both are read, as before */
      finding(f, s, s->cfg->id, (const char *)sqlite3_column_text(s->stmt, 1),
              "repeats the id of an earlier row of the same client (a row exported twice?); "
              "rules see both rows");
    if (cmp < 0) {
      finding(f, s, s->cfg->key, s->key,
              "is not a client in the clients table; no client's rules see the row "
              "(run-wide aggregates count it)");
    } else {
      f->client_read++;
      if (f->over < 0 && take_row(f, s, rows) != CP_OK)   /* past the cap: read past */
        return -1;
      if (f->over < 0 && f->client_bytes + (size_t)rows->n * width + cp_arena_bytes(&f->arena) +
                             s->id_text.len + (size_t)s->ids_cap * sizeof *s->ids > f->client_cap)
        f->over = (int)(s - f->tables);   /* its texts are in the arena */
    }
    if (advance(f, s) < 0)
      return -1;
  }
  f->client_bytes += (size_t)rows->n * width;   /* the next table's rows add to them */
  return 0;
}

/* Remembers id as the last client read, to check the order of the next. */
static int set_last(cp_facts *f, const char *id)
{
  char *copy = strdup(id);
  if (!copy)
    return -1;
  free(f->last_id);
  f->last_id = copy;
  return 0;
}

/* Returns why the clients row under s's cursor is no client to evaluate,
 * or NULL (its id then in s->key): an id that is not text or holds a NUL,
 * an empty one, one longer than CLIENT_ID_MAX (the problem written into buf, cap bytes),
 * one that repeats last, the id before it (rows come in id order). The
 * client pass and a clients-table aggregate skip the same rows. */
static const char *not_a_client(source *s, const char *last, char *buf, size_t cap)
{
  const char *problem = bad_key(s, not_text_client);
  if (problem)
    return problem;
  if (!*s->key)   /* a CRM's missing id written as '': rows keyed '' would make it a client */
    return "is an empty client id; the row is skipped";
  if (sqlite3_column_bytes(s->stmt, 0) > CLIENT_ID_MAX) {
    snprintf(buf, cap, "is a client id of %d bytes, longer than %d; the row is skipped",
             sqlite3_column_bytes(s->stmt, 0), CLIENT_ID_MAX);
    return buf;
  }
  if (last && strcmp(s->key, last) <= 0)
    return "repeats a client id; the row is skipped";
  return NULL;
}

/* Reads the first rows of source s (key column key), unordered, and
 * converts every declared column of each, as the client pass does: the
 * data problems go to f's finding handler. */
static cp_err sample_source(cp_facts *f, const source *s, const char *key, unsigned rows)
{
  source tmp = *s;
  sbuf q = {0};
  cp_value v;
  tmp.stmt = NULL;   /* s's own: a prepare that fails leaves it, and it was finalized here */
  tmp.quiet = 0;
  tmp.keyed = 1;
  tmp.want = NULL;
  tmp.strings = &f->arena;
  build_select(&q, &tmp, key, 0, 0);
  cp_sbuf_printf(&q, " LIMIT %u", rows);
  cp_err rc = prepare(f, &q, &tmp.stmt);
  cp_sbuf_free(&q);
  int step;
  while (rc == CP_OK && (step = sqlite3_step(tmp.stmt)) == SQLITE_ROW) {
    /* a row the run skips for its key is said so, its columns not read:
     * check said their problems, which no run says, and not the key's */
    char buf[96];
    const char *problem = s == &f->clients ? not_a_client(&tmp, NULL, buf, sizeof buf)
                                           : bad_key(&tmp, not_text_client);
    if (problem == key_oom) {
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
      break;
    }
    if (problem) {
      char shown[160];
      finding(f, &tmp, key, shown_text(tmp.stmt, 0, shown, sizeof shown), problem);
      continue;
    }
    f->convert_oom = 0;
    for (unsigned j = 0; j < tmp.cfg->columns_count; j++)
      convert(f, &tmp, j, &v);
    cp_arena_reset(&f->arena);
    if (f->convert_oom) {
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
      break;
    }
  }
  if (rc == CP_OK && step != SQLITE_DONE) {   /* said as a run says it, and its exit 3 */
    rc = db_err(f->db);
    read_failed(f, &tmp);
    rc = rc == CP_EFACTS ? CP_EIO : rc;
  }
  sqlite3_finalize(tmp.stmt);
  return rc;
}

cp_err cp_facts_sample(cp_facts *f, unsigned rows, cp_finding_fn fn, void *ctx)
{
  const cp_config_file *c = f->cfg->file;
  cp_finding_fn was = f->on_finding;
  void *was_ctx = f->finding_ctx;
  f->on_finding = fn;
  f->finding_ctx = ctx;
  cp_err rc = sample_source(f, &f->clients, c->clients->id, rows);
  for (unsigned i = 0; rc == CP_OK && i < c->tables_count; i++)
    rc = sample_source(f, &f->tables[i], c->tables[i].key, rows);
  f->on_finding = was;
  f->finding_ctx = was_ctx;
  return rc;
}

/* Says why the client's rules cannot run: its rows, held while they run,
 * would take more memory than limits.client_memory_mb; they were read past
 * from the table f->over on (an export that gave one client the rows of
 * many, say), and every rule fails for it, keeping its results. */
static int say_over(cp_facts *f)
{
  static const char fmt[] =
      "facts: client %s: its rows would hold more than limits.client_memory_mb (%u MiB) in "
      "memory (%s rows in its tables, the limit passed in table '%s'; an export that gave one "
      "client the rows of many?)%s";
  static const char then[] = ": every rule fails for it and keeps its results";
  for (unsigned i = 0; i < f->tables_count; i++)
    f->client_rows[i].n = 0;   /* no rule sees a part of its rows */
  char read[32];
  cp_progress_format_count(read, f->client_read);
  unsigned mb = (unsigned)f->cfg->file->limits.client_memory_mb;
  const char *table = f->tables[f->over].sql;
  int n = snprintf(NULL, 0, fmt, f->client.id, mb, read, table, then);
  char *msg = n < 0 ? NULL : cp_arena_alloc(&f->arena, (size_t)n + 1);
  if (!msg)
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory"), -1;
  snprintf(msg, (size_t)n + 1, fmt, f->client.id, mb, read, table, then);
  f->client.over = msg;
  f->client.over_why = n - (int)(sizeof then - 1);
  return 0;
}

/* Reads the client under the clients cursor and its rows. Returns 1 when it
 * is to be evaluated, 0 when skipped, -1 on error. */
static int read_client(cp_facts *f)
{
  source *s = &f->clients;
  char buf[96];
  const char *problem = not_a_client(s, f->last_id, buf, sizeof buf);
  if (problem)
    return skip_bad_key(f, s, s->cfg->id, problem) < 0 ? -1 : 0;
  const char *id = s->key;
  if (set_last(f, id) < 0 || !(f->client.id = cp_arena_strndup(&f->arena, id, strlen(id))))
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory"), -1;
  s->rows.n = 0;
  if (take_row(f, s, &s->rows) != CP_OK || advance(f, s) < 0)
    return -1;
  int exists = s->rows.n == 1;
  f->client.fields = s->rows.v;
  f->client.over = NULL;
  f->client_bytes = 0;
  f->client_read = 0;
  f->over = -1;
  for (unsigned i = 0; i < f->tables_count; i++)
    if (gather(f, &f->tables[i], f->client.id, &f->client_rows[i]) < 0)
      return -1;
  if (f->over >= 0 && say_over(f) < 0)
    return -1;
  return exists;
}

/* cp_facts_next() without the error's code. */
static int next_client(cp_facts *f, cp_client **c)
{
  cp_arena_reset(&f->arena);
  while (f->clients.ready && !beyond(f, &f->clients)) {
    int rc = read_client(f);
    if (rc != 0) {
      *c = &f->client;
      return rc;
    }
    cp_arena_reset(&f->arena);
  }
  for (unsigned i = 0; i < f->tables_count; i++)   /* the rows left over: all reported */
    if (gather(f, &f->tables[i], NULL, &f->client_rows[i]) < 0)
      return -1;
  return 0;
}

int cp_facts_next(cp_facts *f, cp_client **c)
{
  int rc = next_client(f, c);
  if (f->beyond_oom && rc >= 0) {   /* a chunk cut short: its rows are not all read */
    cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    rc = -1;
  }
  if (rc < 0) {   /* the error was printed here, on this thread, just now */
    cp_err e = cp_diag_last_fail();
    f->error = e == CP_ENOMEM || e == CP_EIO ? e : CP_EFACTS;
  }
  return rc;
}

cp_err cp_facts_error(const cp_facts *f)
{
  return f->error;
}

int cp_facts_rowid_span(cp_facts *f, unsigned ti, int64_t span[2])
{
  if (ti >= f->tables_count || !f->tables[ti].has_rowid)
    return -1;
  const source *s = &f->tables[ti];
  sqlite3_stmt *st = NULL;
  int ok = 1;
  sbuf q = {0};
  /* two subqueries: each is one step down the table's b-tree, where
   * min() and max() in one SELECT would read every row */
  cp_sbuf_add(&q, "SELECT (SELECT min(rowid) FROM ");
  cp_sbuf_sql_ident(&q, s->sql);
  cp_sbuf_add(&q, "), (SELECT max(rowid) FROM ");
  cp_sbuf_sql_ident(&q, s->sql);
  cp_sbuf_add(&q, ")");
  ok = ok && !q.oom && sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) == SQLITE_OK &&
       sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER;
  if (ok) {
    span[0] = sqlite3_column_int64(st, 0);
    span[1] = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  cp_sbuf_free(&q);
  return ok ? 0 : -1;
}

cp_err cp_facts_scan(cp_facts *f, unsigned ti, const unsigned char *want, const int64_t *rowids,
                     int (*fn)(void *ctx, const cp_value *row), void *ctx)
{
  source s = ti < f->tables_count ? f->tables[ti] : f->clients;   /* a second cursor */
  sbuf q = {0};
  sbuf last = {0};   /* the clients table: the last id counted, once counted is set */
  int counted = 0;
  char buf[96];
  s.stmt = NULL;
  s.want = want;
  s.rows = (cp_rows){0};
  s.quiet = 1;
  /* the clients table's rows count as the client pass reads them: in id
   * order, a repeated id, one not text or too long skipped */
  s.keyed = ti >= f->tables_count;
  build_select(&q, &s, ti < f->tables_count ? s.cfg->key : s.cfg->id, s.keyed, 0);
  if (rowids)
    cp_sbuf_add(&q, " WHERE rowid BETWEEN ?1 AND ?2");
  cp_err rc = prepare(f, &q, &s.stmt);
  cp_sbuf_free(&q);
  if (rc == CP_OK && rowids) {
    sqlite3_bind_int64(s.stmt, 1, rowids[0]);
    sqlite3_bind_int64(s.stmt, 2, rowids[1]);
  }
  while (rc == CP_OK && advance(f, &s) == 0 && s.ready) {
    s.rows.n = 0;
    cp_arena_reset(&f->arena);
    const char *skip = s.keyed ? not_a_client(&s, counted ? last.s : NULL, buf, sizeof buf)
                               : NULL;
    if (skip == key_oom) {
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
      break;
    }
    if (skip)
      continue;
    if (s.keyed) {   /* kept in a buffer that only grows: no allocation a row */
      counted = 1;
      cp_sbuf_clear(&last);
      cp_sbuf_add(&last, s.key);
      if (last.oom) {
        rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
        break;
      }
    }
    if ((rc = take_row(f, &s, &s.rows)) == CP_OK && s.rows.n == 1 && !f->too_long &&
        fn(ctx, s.rows.v) < 0)   /* a row with an over-long text is left out */
      rc = CP_EEVAL;
  }
  if (rc == CP_OK && s.stmt && sqlite3_errcode(f->db) != SQLITE_DONE &&
      sqlite3_errcode(f->db) != SQLITE_OK && sqlite3_errcode(f->db) != SQLITE_ROW)
    rc = db_err(f->db);
  sqlite3_finalize(s.stmt);
  free(s.rows.v);
  cp_sbuf_free(&last);
  cp_arena_reset(&f->arena);
  return rc;
}

cp_err cp_facts_bounds(cp_facts *f, size_t size, char ***bounds, size_t *n)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  size_t cap = 0, row = 0;
  int rc = SQLITE_DONE;
  *bounds = NULL;
  *n = 0;
  cp_sbuf_add(&q, "SELECT ");
  cp_sbuf_sql_ident(&q, f->clients.cfg->id);
  cp_sbuf_add(&q, " FROM ");
  cp_sbuf_sql_ident(&q, f->clients.sql);
  cp_sbuf_add(&q, " ORDER BY 1 COLLATE BINARY");
  cp_err err = prepare(f, &q, &st);
  cp_sbuf_free(&q);
  /* A chunk ends just after its last client that the pass reads as one
   * (not_a_client(): its rows are gathered at it), and its bound is that id
   * with \x01 after it. Not the next chunk's first id: an id such as '1128'
   * is a number to a key column of numeric affinity (INTEGER, NUMERIC),
   * which SQLite would compare as 1128, putting every text key on the wrong
   * side; the id with \x01 after it is no number, and no id lies between
   * them (but ones with a NUL byte after it, never a client's). Not the id
   * of the chunk's last row either: rows the pass skips after the last
   * client (ids too long, not UTF-8, with a NUL, a chunk of ids stored as
   * numbers) would end the chunk with the rows of no client that sort
   * before the bound, said table by table, where one pass says them at the
   * next client, each table's beside that client's rows. A chunk without a
   * client goes on to the next bound. */
  sbuf last = {0};   /* the last client read, once one was since the last bound */
  int since = 0;
  source id = {.stmt = st};   /* not_a_client() reads the id under st */
  char buf[96];
  while (err == CP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (row++ % size == 0 && since) {   /* a chunk's size read: it ends at its last client */
      since = 0;
      if (*n == cap) {
        char **b = realloc(*bounds, (cap = cap ? cap * 2 : 64) * sizeof *b);
        if (!b)
          err = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
        else
          *bounds = b;
      }
      cp_sbuf_add(&last, "\x01");
      if (err == CP_OK && (last.oom || !((*bounds)[(*n)++] = strdup(last.s))))
        err = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    }
    const char *skip = err == CP_OK ? not_a_client(&id, NULL, buf, sizeof buf) : NULL;
    if (skip == key_oom)
      err = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    else if (err == CP_OK && !skip) {
      since = 1;
      cp_sbuf_clear(&last);
      cp_sbuf_add(&last, id.key);
    }
  }
  cp_sbuf_free(&last);
  if (err == CP_OK && rc != SQLITE_DONE)
    err = cp_diag_fail(db_err(f->db), "facts: reading table '%s': %s", f->clients.sql,
                    errmsg(f));
  sqlite3_finalize(st);
  return err;
}

void cp_facts_free_bounds(char **bounds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(bounds[i]);
  free(bounds);
}

cp_err cp_facts_lookup(cp_facts *f, unsigned li, const cp_rows **rows)
{
  *rows = &f->lookups[li].rows;
  return CP_OK;
}

/* Reads a whole lookup table, in id order, packed by column (packed.h):
 * each row is read into the source's one-row buffer, its texts into the
 * client arena, then copied into the store (each distinct text once). */
static cp_err load_lookup(cp_facts *f, source *s)
{
  size_t cap = (size_t)f->cfg->file->limits.lookup_memory_mb << 20;
  cp_packed *packed = cp_packed_new(s->cfg);
  cp_err rc = packed ? start(f, s, s->cfg->id, NULL, NULL, 1)
                     : cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  sbuf prev = {0};   /* the last id kept, once kept is set: a repeat follows it (id order) */
  int kept = 0;
  while (rc == CP_OK && s->ready) {
    s->read++;
    const char *problem = bad_key(s, "is not a text id; the row is skipped");
    const char *id = (const char *)sqlite3_column_text(s->stmt, 0);
    char shown[160];
    s->rows.n = 0;
    if (problem == key_oom) {
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
      break;
    }
    if (!problem && !*id)   /* a CRM's missing id: a staff row '' would be picked, as no one */
      problem = "is an empty id; the row is skipped";
    if (!problem && kept && strcmp(prev.s, id) == 0)
      problem = "repeats an id of the lookup table; the first row read is kept";
    if (!problem) {   /* a buffer that only grows: no allocation a row */
      kept = 1;
      cp_sbuf_clear(&prev);
      cp_sbuf_add(&prev, id);
    }
    if (problem)
      finding(f, s, s->cfg->id, shown_text(s->stmt, 0, shown, sizeof shown), problem);
    else if (prev.oom)
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    else
      rc = take_row(f, s, &s->rows);
    int added = rc == CP_OK && s->rows.n ? cp_packed_add(packed, s->rows.v) : 0;
    if (added == -1)
      rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    else if (added < 0)
      rc = cp_diag_fail(CP_EFACTS, "facts: lookup table '%s': %s", s->sql,
                        added == -2 ? "its texts take more than 4 GiB"
                                    : "a value of another type than its column's");
    else if (rc == CP_OK && cp_packed_bytes(packed) > cap) {   /* read whole, held for the run */
      char rows[32];
      cp_progress_format_count(rows, s->read);
      rc = cp_diag_fail(CP_EFACTS, "facts: lookup table '%s' would hold more than "
                        "limits.lookup_memory_mb (%u MiB) in memory (at its row %s: an export "
                        "that grew by mistake, or texts of megabytes?): nothing was written; "
                        "raise the limit, or declare fewer of its columns", s->sql,
                        (unsigned)f->cfg->file->limits.lookup_memory_mb, rows);
    }
    cp_arena_reset(&f->arena);
    if (rc == CP_OK && advance(f, s) < 0)
      rc = db_err(f->db);
  }
  cp_sbuf_free(&prev);
  sqlite3_finalize(s->stmt);
  s->stmt = NULL;
  free(s->rows.v);
  s->rows = (cp_rows){.n = packed ? cp_packed_rows(packed) : 0, .packed = packed};
  if (packed)
    cp_packed_done(packed);
  return rc;
}

/* Returns 1 when the SQLite file at path is in WAL mode (header bytes 18
 * and 19 are 2). */
static int is_wal(const char *path)
{
  unsigned char h[20];
  FILE *fp = fopen(path, "rb");
  int wal = fp && fread(h, 1, sizeof h, fp) == sizeof h && h[18] == 2 && h[19] == 2;
  if (fp)
    fclose(fp);
  return wal;
}

/* Refuses a database whose texts are stored in UTF-16: SQLite orders its
 * keys by their UTF-16 bytes, which is not the UTF-8 byte order the merge
 * of the tables' cursors compares in, so clients and rows would be lost. */
static cp_err check_encoding(cp_facts *f)
{
  sqlite3_stmt *st = NULL;
  cp_err rc = CP_OK;
  if (sqlite3_prepare_v2(f->db, "PRAGMA encoding", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    rc = cp_diag_fail(db_err(f->db), "facts: %s: %s", f->cfg->facts, errmsg(f));
  else if (strcmp((const char *)sqlite3_column_text(st, 0), "UTF-8") != 0)
    rc = cp_diag_fail(CP_EFACTS, "facts: %s: its texts are stored as %s; crmpolicy reads "
                      "UTF-8 databases only (copy it into one with: sqlite3 %s .dump | "
                      "sqlite3 new.db)", f->cfg->facts, sqlite3_column_text(st, 0),
                      f->cfg->facts);
  sqlite3_finalize(st);
  return rc;
}

/* Opens one read-only connection to the facts (its progress handler
 * stopping it at f's deadline) and begins a read transaction on it: every
 * statement it runs until it closes reads the same snapshot of the facts,
 * whatever the CRM commits meanwhile. A missing file is refused up front so
 * that SQLite does not report it as a generic open failure. */
static cp_err open_reader(cp_facts *f, sqlite3 **db, struct stat *id)
{
  struct stat st;
  const char *path = f->cfg->facts;
  if (stat(path, &st) < 0)
    return cp_diag_fail(CP_EFACTS, "facts: %s: %s", path, strerror(errno));
  *id = st;
  if (!S_ISREG(st.st_mode))   /* a FIFO would block the run */
    return cp_diag_fail(CP_EFACTS, "facts: %s: not a regular file", path);
  /* so would one as PATH-journal, which SQLite opens to see whether it is hot */
  static const char *const sides[] = {"-journal", "-wal", "-shm"};
  char side[4096];
  for (int i = 0; i < 3; i++)
    if (snprintf(side, sizeof side, "%s%s", path, sides[i]) < (int)sizeof side &&
        stat(side, &st) == 0 && !S_ISREG(st.st_mode))
      return cp_diag_fail(CP_EFACTS, "facts: %s: not a regular file (SQLite would open it as "
                          "%s's %s file, and a FIFO there blocks: remove it)", side, path,
                          sides[i] + 1);
  /* SQLite reads an empty file as a database without tables, which said
   * "table 'clients' is missing" of an export that wrote nothing; one whose
   * pages all wait in PATH-wal (never checkpointed) is left to SQLite */
  int wal = snprintf(side, sizeof side, "%s-wal", path) < (int)sizeof side &&
            stat(side, &st) == 0 && st.st_size > 0;
  if (id->st_size == 0 && !wal)
    return cp_diag_fail(CP_EFACTS, "facts: %s is empty (0 bytes), not a database with the "
                        "declared tables (an export that wrote nothing?)", path);
  /* SQLite says "unable to open database file" of one it may not read. Not
   * open() and close(): closing any descriptor of the file drops every
   * POSIX lock this process holds on it, a connection's read lock too. */
  if (access(path, R_OK) < 0)
    return cp_diag_fail(CP_EFACTS, "facts: %s: %s", path, strerror(errno));
  /* one connection per thread: SQLite's own locking is not needed */
  char fds[256];
  if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    /* out of file descriptors is the machine's limit, not a bad export: exit 3 */
    if (cp_diag_fd_limit(sqlite3_system_errno(*db), fds, sizeof fds))
      return cp_diag_fail(CP_EIO, "facts: %s: %s (%s)", path, sqlite3_errmsg(*db), fds);
    return cp_diag_fail(*db && sqlite3_errcode(*db) != SQLITE_NOMEM ? CP_EFACTS : CP_ENOMEM,
                        "facts: %s: %s", path, sqlite3_errmsg(*db));
  }
  sqlite3_busy_timeout(*db, 10000);
  /* a sorted read spills to temporary files, never all in memory (a SQLite
   * built to keep temporary tables in memory always is not asked to sort) */
  if (sqlite3_exec(*db, "PRAGMA temp_store = FILE", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_compileoption_used("TEMP_STORE=3"))
    f->no_sort = 1;
  sqlite3_progress_handler(*db, PROGRESS_OPS, over_time, f);
  /* Reading a WAL database needs PATH-shm beside it: when its folder cannot
   * take one, say that, not "attempt to write a readonly database". */
  if (sqlite3_exec(*db, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL) ==
      SQLITE_OK) {
    if (stat(path, &st) < 0 || st.st_dev != id->st_dev || st.st_ino != id->st_ino)
      id->st_ino = 0, id->st_dev = 0;   /* replaced while it opened: which file is unknown */
    return CP_OK;
  }
  /* a folder it may not write reads as READONLY; a read-only file system (a
   * snapshot, systemd's ProtectSystem=strict outside ReadWritePaths) as
   * CANTOPEN, "unable to open database file", of a file just opened */
  int code = sqlite3_errcode(*db);
  if (code == SQLITE_CANTOPEN && cp_diag_fd_limit(sqlite3_system_errno(*db), fds, sizeof fds))
    return cp_diag_fail(CP_EIO, "facts: %s: %s (%s)", path, sqlite3_errmsg(*db), fds);
  if ((code == SQLITE_READONLY || code == SQLITE_CANTOPEN) && is_wal(path))
    return cp_diag_fail(CP_EFACTS, "facts: %s: %s: it is in WAL mode and SQLite cannot create "
                     "%s-shm beside it%s; make its folder writable or convert it with "
                     "sqlite3 %s 'PRAGMA journal_mode=DELETE'", path, sqlite3_errmsg(*db),
                     path, code == SQLITE_CANTOPEN ? " (a read-only file system?)" : "", path);
  /* A writer that died inside a transaction leaves PATH-journal "hot": only
   * a writer may roll it back, and a read-only reader cannot read past it. */
  if (sqlite3_extended_errcode(*db) == SQLITE_READONLY_ROLLBACK)
    return cp_diag_fail(CP_EFACTS, "facts: %s: %s-journal holds a transaction that a writer "
                     "left unfinished (it stopped before committing); crmpolicy reads the facts "
                     "without writing, so it cannot roll it back: open the database once with "
                     "a writer (sqlite3 %s 'PRAGMA quick_check') and run again", path, path,
                     path);
  return cp_diag_fail(db_err(*db), "facts: %s: %s", path, errmsg_of(f, *db));
}

/* Returns PRAGMA data_version of db (a count that changes whenever another
 * connection commits), or -1. */
static int64_t data_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Closes the spare readers the workers did not take. */
static void close_spares(cp_facts *f)
{
  for (int i = 0; f->spares && i < f->n_spares; i++)
    sqlite3_close(f->spares[i]);
  free(f->spares);
  f->spares = NULL;
  f->n_spares = 0;
}

#define SNAPSHOT_TRIES 20   /* attempts to begin every reader between two commits */

/* Opens f's connection and spares more, every one in a read transaction over
 * the same snapshot (without SQLite's snapshot API, which Debian's build
 * leaves out): a probe connection reads PRAGMA data_version before and after
 * they all begin, and when another connection committed in between, they
 * begin again. Then the refusals that need the file: UTF-16 texts. */
/* Returns 1 when a and b (open_reader()'s) are one known file. */
static int same_file(const struct stat *a, const struct stat *b)
{
  return a->st_ino && a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

static cp_err open_db(cp_facts *f, int spares)
{
  sqlite3 *probe = NULL;
  cp_err rc = CP_OK;
  if (spares && !(f->spares = calloc((size_t)spares, sizeof *f->spares)))
    return cp_diag_fail(CP_ENOMEM, "facts: out of memory");
  f->n_spares = spares;
  struct stat probe_id = {0}, id = {0}, other = {0};
  for (int tries = 0; rc == CP_OK; tries++) {
    /* every reader must read one file: a CRM that lands its export as a new
     * file renamed over the path may do so between two of the opens */
    if (spares && (rc = open_reader(f, &probe, &probe_id)) == CP_OK)
      sqlite3_exec(probe, "COMMIT", NULL, NULL, NULL);   /* the probe reads outside one */
    int64_t before = spares && rc == CP_OK ? data_version(probe) : 0;
    if (rc == CP_OK)
      rc = open_reader(f, &f->db, &id);
    int same = same_file(&id, spares ? &probe_id : &id);
    for (int i = 0; rc == CP_OK && i < spares; i++) {
      rc = open_reader(f, &f->spares[i], &other);
      same = same && same_file(&id, &other);
    }
    if (rc != CP_OK || (same && (!spares || data_version(probe) == before)))
      break;
    sqlite3_close(probe);
    probe = NULL;
    sqlite3_close(f->db);   /* a commit or a new file came between: begin them all again */
    f->db = NULL;
    for (int i = 0; i < spares; i++)
      sqlite3_close(f->spares[i]), f->spares[i] = NULL;
    if (tries + 1 == SNAPSHOT_TRIES)
      rc = cp_diag_fail(CP_EIO, "facts: %s: another connection committed to the facts, or "
                        "a new file replaced it, each of %d times the run began its %d "
                        "readers; run again once the export is written", f->cfg->facts,
                        SNAPSHOT_TRIES, spares + 1);
  }
  sqlite3_close(probe);
  /* the reader that reads every client sorts scattered tables: the page
   * cache bounds a sort's memory, and a scan needs little of it (the
   * --jobs workers' readers, which follow the index in chunks, keep 2 MB) */
  if (rc == CP_OK)
    sqlite3_exec(f->db, "PRAGMA cache_size = -500", NULL, NULL, NULL);
  /* the header as the snapshot holds it: in rollback mode no SQLite writer
   * changes it until the run ends (a WAL checkpoint may, so not there) */
  f->have_head = rc == CP_OK && read_head(f->db, f->head) == 0 &&
                 !(f->head[18] == 2 && f->head[19] == 2);
  return rc == CP_OK ? check_encoding(f) : rc;
}

cp_err cp_facts_check_unchanged(const cp_facts *f)
{
  unsigned char now[32];
  if (!f->have_head || (read_head(f->db, now) == 0 && !memcmp(now, f->head, sizeof now)))
    return CP_OK;
  return cp_diag_fail(CP_EFACTS, "facts: %s was written over while the run read it (its header "
                      "changed since the run began reading), so the rows read may mix two "
                      "exports: land each export as a new file renamed over the path, or write "
                      "it with SQLite, which waits for the run", f->cfg->facts);
}

/* cp_facts_open_readers() and cp_facts_open_sharing(): spares readers
 * more for a reader of its own; a worker's reader (lookups set) takes the
 * spare connection reader of lookups. */
static cp_err open_checked(const cp_config *cfg, int64_t as_of, const cp_facts *lookups,
                         int reader, int spares, int quiet, cp_facts **out);

/* What tells the facts file apart from one written over it: its identity,
 * size and times. */
typedef struct file_mark {
  int got;                  /* stat succeeded */
  struct stat st;           /* what it said */
} file_mark;

/* Marks path as it is now. */
static void mark_file(const char *path, file_mark *m)
{
  m->got = stat(path, &m->st) == 0;
}

/* Whether path is no longer the file marked: written over in place (cp onto
 * it), replaced, or removed. */
static int file_changed(const char *path, const file_mark *m)
{
  file_mark now;
  mark_file(path, &now);
  return now.got != m->got ||
         (m->got && (now.st.st_ino != m->st.st_ino || now.st.st_dev != m->st.st_dev ||
                     now.st.st_size != m->st.st_size ||
                     now.st.st_mtim.tv_sec != m->st.st_mtim.tv_sec ||
                     now.st.st_mtim.tv_nsec != m->st.st_mtim.tv_nsec ||
                     now.st.st_ctim.tv_sec != m->st.st_ctim.tv_sec ||
                     now.st.st_ctim.tv_nsec != m->st.st_ctim.tv_nsec));
}

/* open_checked(), and when it fails on a facts file that changed while it
 * opened (an export copied over it in place as the run began), says so, as
 * a runtime failure: the message before it may be of a half-written file
 * (a missing table, "not a database"), not of the export once written. */
static cp_err open_facts(const cp_config *cfg, int64_t as_of, const cp_facts *lookups,
                         int reader, int spares, int quiet, cp_facts **out)
{
  file_mark before;
  mark_file(cfg->facts, &before);
  cp_err rc = open_checked(cfg, as_of, lookups, reader, spares, quiet, out);
  if (rc == CP_OK || rc == CP_ENOMEM || !file_changed(cfg->facts, &before))
    return rc;
  return cp_diag_fail(CP_EIO, "facts: %s changed while the run opened it (an export written "
                      "over it in place?), so the message above may be of a half-written "
                      "file; nothing was written; run again once the export is written, and "
                      "land each export as a new file renamed over the path", cfg->facts);
}

cp_err cp_facts_open(const cp_config *cfg, int64_t as_of, cp_facts **out)
{
  return open_facts(cfg, as_of, NULL, 0, 0, 0, out);
}

cp_err cp_facts_open_holding(const cp_config *cfg, int64_t as_of, cp_facts **out)
{
  return open_facts(cfg, as_of, NULL, 0, 0, 1, out);
}

cp_err cp_facts_open_readers(const cp_config *cfg, int64_t as_of, int workers, cp_facts **out)
{
  return open_facts(cfg, as_of, NULL, 0, workers > 1 ? workers : 0, 0, out);
}

cp_err cp_facts_open_sharing(const cp_config *cfg, int64_t as_of, const cp_facts *lookups,
                             int reader, cp_facts **out)
{
  return open_facts(cfg, as_of, lookups, reader, 0, 0, out);
}

static cp_err open_checked(const cp_config *cfg, int64_t as_of, const cp_facts *lookups,
                         int reader, int spares, int quiet, cp_facts **out)
{
  const cp_config_file *c = cfg->file;
  cp_facts *f = calloc(1, sizeof *f);
  cp_err rc = CP_ENOMEM;
  *out = NULL;
  if (!f)
    return cp_diag_fail(rc, "facts: out of memory");
  f->cfg = cfg;
  f->as_of = as_of;
  f->now = as_of * CP_DAY_SECONDS + CP_DAY_SECONDS - 1;
  f->on_finding = print_finding;
  f->finding_ctx = f;
  f->max_text = ((size_t)c->limits.memory_mb << 20) / TEXT_HEAP_PART;
  f->client_cap = (size_t)c->limits.client_memory_mb << 20;
  f->over = -1;
  cp_facts_restart_deadline(f);
  snprintf(f->timeout_msg, sizeof f->timeout_msg, "stopped after reading the facts for "
           "limits.facts_seconds (%u s); a view that joins or sorts too much?",
           c->limits.facts_seconds);
  f->tables_count = c->tables_count;
  f->lookups_count = c->lookups_count;
  f->tables = calloc(c->tables_count + 1, sizeof *f->tables);
  f->lookups = calloc(c->lookups_count + 1, sizeof *f->lookups);
  f->client_rows = calloc(c->tables_count + 1, sizeof *f->client_rows);
  f->client.tables = f->client_rows;
  if (!f->tables || !f->lookups || !f->client_rows)
    goto fail;
  if (lookups && reader >= 0 && reader < lookups->n_spares && lookups->spares[reader]) {
    f->db = lookups->spares[reader];   /* already in the writer's snapshot: taken */
    lookups->spares[reader] = NULL;
    f->deadline = lookups->deadline;
    memcpy(f->timeout_msg, lookups->timeout_msg, sizeof f->timeout_msg);
    memcpy(f->head, lookups->head, sizeof f->head);
    f->have_head = lookups->have_head;
    sqlite3_progress_handler(f->db, PROGRESS_OPS, over_time, f);
  } else if ((rc = open_db(f, spares)) != CP_OK) {
    goto fail;
  }
  if ((rc = init_source(f, &f->clients, c->clients)) != CP_OK)
    goto fail;
  f->clients.strings = &f->arena;
  for (unsigned i = 0; i < c->tables_count; i++) {
    f->tables[i].strings = &f->arena;
    if ((rc = init_source(f, &f->tables[i], &c->tables[i])) != CP_OK)
      goto fail;
  }
  for (unsigned i = 0; i < c->lookups_count; i++) {
    f->lookups[i].strings = &f->arena;
    if ((rc = init_source(f, &f->lookups[i], &c->lookups[i])) != CP_OK)
      goto fail;
  }
  sqlite3_set_authorizer(f->db, authorize, NULL);
  if ((rc = check_select(f, &f->clients, c->clients->id)) != CP_OK)
    goto fail;
  for (unsigned i = 0; i < c->tables_count; i++)
    if ((rc = check_select(f, &f->tables[i], c->tables[i].key)) != CP_OK)
      goto fail;
  for (unsigned i = 0; i < c->lookups_count; i++)
    if ((rc = check_select(f, &f->lookups[i], c->lookups[i].id)) != CP_OK)
      goto fail;
  if (!lookups) {   /* said once, by the writer's reader */
    f->number_ids = number_keys(f, &f->clients, c->clients->id, "clients");
    for (unsigned i = 0; i < c->tables_count; i++)
      number_keys(f, &f->tables[i], c->tables[i].key, NULL);
    if (!quiet) {   /* test says each at the fixture's row */
      probe_types(f, &f->clients);
      for (unsigned i = 0; i < c->tables_count; i++)
        probe_types(f, &f->tables[i]);
      for (unsigned i = 0; i < c->lookups_count; i++)
        probe_types(f, &f->lookups[i]);
    }
  }
  f->shared = lookups != NULL;
  f->on_finding = hold_finding;
  f->finding_ctx = f;
  f->hold_quietly = quiet;
  for (unsigned i = 0; i < c->lookups_count; i++)
    if (lookups)
      f->lookups[i].rows = lookups->lookups[i].rows;
    else if ((rc = load_lookup(f, &f->lookups[i])) != CP_OK)
      goto fail;
  f->on_finding = print_finding;
  f->finding_ctx = f;
  if (f->held_oom) {
    rc = cp_diag_fail(CP_ENOMEM, "facts: out of memory");
    goto fail;
  }
  *out = f;
  return CP_OK;
fail:
  if (rc == CP_ENOMEM && !cp_diag_oom_said())   /* said once, where it was met if there */
    cp_diag_fail(rc, "facts: out of memory");
  cp_facts_close(f);
  return rc;
}

/* Frees a source's statement and buffers. */
static void free_source(source *s)
{
  sqlite3_finalize(s->stmt);
  free(s->rows.v);
  free(s->ids);
  cp_sbuf_free(&s->id_text);
}

void cp_facts_close(cp_facts *f)
{
  if (!f)
    return;
  cp_tally_free(&f->printed);
  free_source(&f->clients);
  for (unsigned i = 0; f->tables && i < f->tables_count; i++)
    free_source(&f->tables[i]);
  for (unsigned i = 0; f->lookups && i < f->lookups_count; i++) {
    if (!f->shared)
      cp_packed_free((cp_packed *)f->lookups[i].rows.packed);
    free_source(&f->lookups[i]);
  }
  for (unsigned i = 0; f->client_rows && i < f->tables_count; i++)
    free(f->client_rows[i].v);
  close_spares(f);
  sqlite3_close(f->db);
  cp_arena_free(&f->arena);
  free(f->bkeys);
  free(f->tables);
  free(f->lookups);
  free(f->client_rows);
  free(f->last_id);
  cp_outcome_free(&f->held);
  free(f);
}

void cp_facts_restart_deadline(cp_facts *f)
{
  clock_gettime(CLOCK_MONOTONIC, &f->deadline);
  f->deadline.tv_sec += f->cfg->file->limits.facts_seconds;
}

const cp_outcome *cp_facts_held_findings(const cp_facts *f)
{
  return &f->held;
}

void cp_facts_on_finding(cp_facts *f, cp_finding_fn fn, void *ctx)
{
  f->on_finding = fn ? fn : print_finding;
  f->finding_ctx = fn ? ctx : f;
}

uint64_t cp_facts_rows_read(const cp_facts *f, unsigned ti)
{
  return ti < f->tables_count ? f->tables[ti].read
         : ti - f->tables_count < f->lookups_count ? f->lookups[ti - f->tables_count].read
                                                   : 0;
}

void cp_facts_add_rows_read(cp_facts *to, const cp_facts *from)
{
  for (unsigned i = 0; i < to->tables_count && i < from->tables_count; i++)
    to->tables[i].read += from->tables[i].read;
}

uint64_t cp_facts_findings(const cp_facts *f)
{
  return f->n_findings;
}

cp_err cp_facts_count_rows(cp_facts *f, const char *table, uint64_t cap, uint64_t *n)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  cp_sbuf_add(&q, "SELECT count(*) FROM (SELECT 1 FROM ");
  cp_sbuf_sql_ident(&q, table);
  cp_sbuf_printf(&q, " LIMIT %llu)", (unsigned long long)cap);
  cp_err rc = q.oom ? CP_ENOMEM
              : sqlite3_prepare_v2(f->db, q.s, -1, &st, NULL) != SQLITE_OK ? db_err(f->db)
                                                                          : CP_OK;
  cp_sbuf_free(&q);
  if (rc == CP_OK && sqlite3_step(st) != SQLITE_ROW)
    rc = db_err(f->db);   /* no message: the read meets it too, and says where */
  *n = rc == CP_OK ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return rc;
}

cp_err cp_facts_count_clients(cp_facts *f, uint64_t *n)
{
  sbuf q = {0};
  sqlite3_stmt *st = NULL;
  cp_sbuf_add(&q, "SELECT count(*) FROM ");
  cp_sbuf_sql_ident(&q, f->clients.sql);
  cp_err rc = prepare(f, &q, &st);
  cp_sbuf_free(&q);
  if (rc == CP_OK && sqlite3_step(st) != SQLITE_ROW)
    rc = cp_diag_fail(db_err(f->db), "facts: counting the clients: %s", errmsg(f));
  *n = rc == CP_OK ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return rc;
}
