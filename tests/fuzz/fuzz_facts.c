/* fuzz_facts.c: libFuzzer harness of the facts as a nightly run reads them:
 * any values, of any storage class (NULL, integers, reals, texts and blobs
 * of any bytes), in every column of every type (text, integer, real,
 * boolean, money, date, timestamp) of the clients table, a per-client table
 * and a lookup, with any client keys, are read, aggregated and handed to a
 * rule that uses each of them (in dt functions, arithmetic, titles, data,
 * the rows' methods), and give values, data problems or that client's rule
 * error, never undefined behaviour, a crash or a leak. Each input is a
 * facts database written anew in a folder made once. */
#include <lauxlib.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dates.h"
#include "eval.h"
#include "facts.h"
#include "outcome.h"
#include "rules.h"

#define MAX_ROWS 24        /* rows written per table and input */
#define MAX_TEXT 64        /* bytes of a fuzzed text or blob */

static char dir[64];       /* the folder of c.yaml, r.lua and f.db */
static char db_path[128];  /* its f.db */
static cp_config *cfg;     /* loaded once */
static FILE *quiet;        /* where messages go: a sanitizer's report still shows */

static const char config_yaml[] =
  "facts: f.db\n"
  "state: s.db\n"
  "rules: [r.lua]\n"
  "limits: {memory_mb: 32, instructions: 200000}\n"
  "clients:\n"
  "  name: clients\n"
  "  id: id\n"
  "  exists_from: d\n"
  "  columns: [{name: s, type: text}, {name: n, type: integer}, {name: r, type: real},\n"
  "            {name: b, type: boolean}, {name: m, type: money}, {name: d, type: date},\n"
  "            {name: ts, type: timestamp}]\n"
  "tables:\n"
  "  - name: t\n"
  "    key: client_id\n"
  "    id: id\n"
  "    order: d\n"
  "    exists_from: ts\n"
  "    columns: [{name: id, type: text}, {name: s, type: text}, {name: n, type: integer},\n"
  "              {name: r, type: real}, {name: b, type: boolean},\n"
  "              {name: m, type: money, required: true}, {name: d, type: date},\n"
  "              {name: ts, type: timestamp, future: empty}]\n"
  "lookups:\n"
  "  - {name: lk, id: id, columns: [{name: id, type: text}, {name: m, type: money},\n"
  "                                 {name: d, type: date}]}\n";

/* Uses every value a client gives: each read, typed, converted and passed
 * on, as honest rules do; errors are the client's rule error. */
static const char rules_lua[] =
  "aggregate { id = 'msum', doc = 'money', table = 't', sum = 'm' }\n"
  "aggregate { id = 'by_s', doc = 'by text', table = 't', count = true, group = 's' }\n"
  "aggregate { id = 'dsum', doc = 'days', table = 'clients', sum = 'd' }\n"
  "derive { id = 'total', doc = 'sum', fn = function(c) return c.t:sum('m') end }\n"
  "derive { id = 'last', doc = 'last', type = 'date', fn = function(c) return c.t:max('d') end }\n"
  "local function show(v)\n"
  "  if type(v) == 'number' and v == v then return string.format('%.17g', v) end\n"
  "  return tostring(v)\n"
  "end\n"
  "rule { id = 'r', doc = 'uses every value', fn = function(c)\n"
  "  local parts = { c.id, show(c.s), show(c.n), show(c.r), show(c.b), show(c.m),\n"
  "                  show(c.d), show(c.ts), show(c.total), show(c.last), show(run.msum) }\n"
  "  if c.d then parts[#parts + 1] = dt.format(c.d) .. ' ' .. dt.age_days(c.d) end\n"
  "  if c.ts then parts[#parts + 1] = dt.format_time(c.ts) .. ' ' .. dt.hours_since(c.ts) end\n"
  "  if c.s then parts[#parts + 1] = tostring(run.by_s[c.s]) end\n"
  "  for i, row in ipairs(c.t) do\n"
  "    parts[#parts + 1] = show(row.id) .. show(row.s) .. show(row.n) .. show(row.r) ..\n"
  "      show(row.b) .. show(row.m) .. show(row.d) .. show(row.ts)\n"
  "    if row.d then parts[#parts + 1] = dt.format(row.d) end\n"
  "    if row.ts then parts[#parts + 1] = dt.format_time(row.ts) end\n"
  "    if row.id then\n"
  "      local l = lookup.lk:get(row.id)\n"
  "      if l then parts[#parts + 1] = show(l.m) .. show(l.d) end\n"
  "    end\n"
  "    if i > 8 then break end\n"
  "  end\n"
  "  local n = c.t:count({ b = true }) + #c.t:filter(function(r) return r.n ~= nil end)\n"
  "  local first = c.t:first()\n"
  "  alert { severity = 'info', key = show(c.s), title = table.concat(parts, '|', 1, 6),\n"
  "          data = { n = n, m = c.m, d = c.d, s = c.s, total = c.total,\n"
  "                   first = first and first.s or nil } }\n"
  "  why('%s %d', show(c.s), n)\n"
  "end }\n";

/* Writes text to dir/name; aborts when it cannot. */
static void write_file(const char *name, const char *text)
{
  char path[160];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0)
    abort();
}

/* Runs sql on db; aborts when it fails (the harness's own statements). */
static void exec_or_abort(sqlite3 *db, const char *sql)
{
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "fuzz_facts: %s: %s\n", sql, sqlite3_errmsg(db));
    abort();
  }
}

/* Removes the folder and what it holds, at exit. */
static void clean_up(void)
{
  static const char *const names[] = {"c.yaml", "r.lua", "f.db", "f.db-journal"};
  char path[160];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc, (void)argv;
  snprintf(dir, sizeof dir, "/tmp/fuzz_facts.XXXXXX");
  if (!mkdtemp(dir))
    abort();
  atexit(clean_up);
  snprintf(db_path, sizeof db_path, "%s/f.db", dir);
  write_file("c.yaml", config_yaml);
  write_file("r.lua", rules_lua);
  char path[160];
  snprintf(path, sizeof path, "%s/c.yaml", dir);
  if (cp_config_load(path, &cfg) != CP_OK)
    abort();
  if (!(quiet = fopen("/dev/null", "w")))
    abort();
  return 0;
}

/* The input, read a byte at a time; zeros once it is used up. */
typedef struct input {
  const uint8_t *p;
  size_t n;
} input;

static uint8_t byte(input *in)
{
  if (!in->n)
    return 0;
  in->n--;
  return *in->p++;
}

static uint64_t bytes8(input *in)
{
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | byte(in);
  return v;
}

/* Binds parameter k of st to a value the input chooses: NULL, a small or
 * any integer, any real (NaN binds as NULL in SQLite), a date, a timestamp
 * or a text of its own, any text or blob. */
static void bind_value(sqlite3_stmt *st, int k, input *in)
{
  static const char *const texts[] = {"2026-11-15", "2026-02-29", "2024-02-29 23:59:60",
                                      "2026-11-15T08:00:00.250", "0000-01-01", "9999-12-31",
                                      "1.005", "-0", "1e309", "true", "", " 7", "C1", "L1",
                                      "2026-11-16 00:00:00", "\xe4\xb8\xad\xe6\x96\x87"};
  uint8_t how = byte(in);
  uint64_t u;
  double r;
  char buf[MAX_TEXT];
  size_t len;
  switch (how % 9) {
  case 0:
    sqlite3_bind_null(st, k);
    break;
  case 1:
    sqlite3_bind_int64(st, k, (int8_t)byte(in));
    break;
  case 2:
    sqlite3_bind_int64(st, k, (int64_t)bytes8(in));
    break;
  case 3:
    u = bytes8(in);
    memcpy(&r, &u, sizeof r);
    sqlite3_bind_double(st, k, r);
    break;
  case 4:
    sqlite3_bind_double(st, k, (double)(int16_t)(byte(in) << 8 | byte(in)) / 100.0);
    break;
  case 5:
  case 6:
    sqlite3_bind_text(st, k, texts[byte(in) % (sizeof texts / sizeof texts[0])], -1,
                      SQLITE_STATIC);
    break;
  case 7:
  case 8:
    len = byte(in) % MAX_TEXT;
    for (size_t i = 0; i < len; i++)
      buf[i] = (char)byte(in);
    if (how % 9 == 7)
      sqlite3_bind_text(st, k, buf, (int)len, SQLITE_TRANSIENT);
    else
      sqlite3_bind_blob(st, k, buf, (int)len, SQLITE_TRANSIENT);
    break;
  }
}

/* Writes rows of sql (an INSERT of cols values) as the input says. */
static void fill(sqlite3 *db, const char *sql, int cols, input *in)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    abort();
  unsigned rows = byte(in) % MAX_ROWS;
  for (unsigned i = 0; i < rows; i++) {
    for (int k = 1; k <= cols; k++)
      bind_value(st, k, in);
    sqlite3_step(st);   /* a constraint may refuse a row: that row is not written */
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  sqlite3_finalize(st);
}

/* Writes the facts database of one input. */
static void write_facts(input *in)
{
  sqlite3 *db;
  unlink(db_path);
  if (sqlite3_open(db_path, &db) != SQLITE_OK)
    abort();
  /* no declared types: a value keeps the storage class it was bound with */
  exec_or_abort(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                    "CREATE TABLE clients(id, s, n, r, b, m, d, ts);"
                    "CREATE TABLE t(id, client_id, s, n, r, b, m, d, ts);"
                    "CREATE INDEX t_key ON t(client_id, d);"
                    "CREATE TABLE lk(id, m, d);");
  fill(db, "INSERT INTO clients VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", 8, in);
  fill(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", 9, in);
  fill(db, "INSERT INTO lk VALUES (?1, ?2, ?3)", 3, in);
  sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  input in = {data, size};
  int64_t as_of = cp_dates_days_from_civil(2026, 11, 15);
  cp_facts *facts = NULL;
  cp_rules *rules = NULL;
  cp_outcome out = {0};
  cp_client *c;
  write_facts(&in);
  FILE *saved = stderr;
  stderr = getenv("FUZZ_FACTS_VERBOSE") ? saved : quiet;   /* data problems and rule errors are expected here */
  if (cp_facts_open(cfg, as_of, &facts) == CP_OK && cp_rules_load(cfg, facts, as_of, &rules) == CP_OK &&
      cp_rules_prepare(rules) == CP_OK && cp_facts_begin(facts, NULL, NULL) == CP_OK) {
    while (cp_facts_next(facts, &c) > 0) {
      if (cp_eval_client(rules, c, &out) != CP_OK)
        break;
      if (getenv("FUZZ_FACTS_VERBOSE")) {   /* to see what an input does */
        fprintf(stderr, "client %s: %zu results\n", c->id, out.n);
        for (size_t i = 0; i < out.n_failures; i++)
          fprintf(stderr, "  %s\n", out.failures[i].message);
      }
      cp_outcome_reset(&out);
    }
  }
  cp_outcome_free(&out);
  cp_rules_close(rules);
  cp_facts_close(facts);
  stderr = saved;
  return 0;
}
