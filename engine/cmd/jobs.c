/* jobs.c: the client pass, alone or with workers. Each worker takes the next
 * chunk of clients as it becomes free and fills one of a small ring of chunk
 * buffers; the writer (the calling thread) takes chunk 0, 1, 2 ... in turn,
 * so memory stays bounded and the output order is the client order. While
 * the writer computes the run values, the workers open their readers and
 * sandboxes and compute the aggregates that are plain sums and counts.
 * A worker's print() lines are kept in each client's outcome and written by
 * the writer before it, so that they come in client order, and the run's
 * print() cap cuts them where one thread would. */
#include "jobs.h"
#include "eval.h"
#include "sandbox.h"

#include <pthread.h>
#include <stdlib.h>

#define CHUNK_CLIENTS 128   /* clients per chunk */
#define SLOTS_PER_WORKER 4  /* chunk buffers per worker */
/* Outcomes made but not yet written may hold this many bytes in all before
 * a worker waits for the writer (a policy whose clients each report
 * megabytes would otherwise hold every slot's 128 clients at once). */
#define INFLIGHT_BYTES ((size_t)64 << 20)
/* Outcomes written and waiting to be reused keep at most this many bytes in
 * all: each keeps its share of it (pool.keep) and gives back the rest once
 * written. An outcome keeps what its largest client made, so without this
 * the ring's thousand or so outcomes would each keep up to a client's worth
 * (20 alerts of 45 KB a client: about 1 GB with --jobs 2). A share of a
 * few KB keeps an ordinary client's outcome, so it is not made again. */
#define KEPT_BYTES ((size_t)16 << 20)
/* print() lines held in outcomes not yet written, in all, before a worker
 * waits for the writer, as with INFLIGHT_BYTES: the run writes at most 1 MiB
 * of them (sandbox.c's cap), so it holds about that much, plus one client's
 * lines per worker (at most the cap's 1 MiB counted, a client's, up to four
 * times that once escaped). Once the writer has counted the cap's worth, a
 * worker keeps no line. */
#define PRINT_HELD ((size_t)1 << 20)

/* Gives the next empty outcome to fill, or NULL when out of memory. */
typedef cp_outcome *(*slot_fn)(void *ctx);

/* Findings an outcome holds, met while reading, before they are handed to
 * the writer as an outcome of their own (findings only, no client): rows
 * of no client between two clients (a table whose keys no longer match the
 * clients' ids) are met all at once, and held until the next client they
 * took 180 bytes each, 540 MB for 3 million rows. */
#define FINDINGS_HELD 4096

/* Where findings go while a client is read: the outcome being filled. */
typedef struct sink {
  cp_outcome *o;            /* current outcome */
  cp_err err;               /* first failure to record a finding */
  int reading;              /* between clients: o holds findings only */
  slot_fn slot;             /* the next outcome, after o is handed on */
  cp_writer_fn done;        /* hands o to the writer */
  void *ctx;                /* theirs */
} sink;

/* Finding handler: keeps the finding with the client it was met before;
 * while reading, hands on FINDINGS_HELD of them at a time. */
static void to_outcome(void *ctx, const cp_finding *f)
{
  sink *s = ctx;
  if (s->err != CP_OK)   /* the run has failed: nothing more to keep */
    return;
  cp_err rc = cp_outcome_finding(s->o, f);
  if (rc == CP_OK && s->reading && s->o->n_findings >= FINDINGS_HELD &&
      (rc = s->done(s->ctx, s->o)) == CP_OK && !(s->o = s->slot(s->ctx)))
    rc = CP_ENOMEM;
  if (rc != CP_OK)
    s->err = rc;
}

/* cp_facts_next(), timed as reading when r is profiled. */
static int next_client(cp_facts *f, cp_rules *r, cp_client **c)
{
  cp_profile *prof = cp_rules_profile(r);
  if (!prof)
    return cp_facts_next(f, c);
  uint64_t outer, t0 = cp_rules_prof_begin(prof, &outer);
  int more = cp_facts_next(f, c);
  cp_rules_prof_end(prof, &prof->part[CP_PROF_READ], t0, outer);
  prof->part[CP_PROF_READ].calls -= more <= 0;   /* the read that found none is no client */
  return more;
}

/* cp_rules_prepare_from(), timed as the run-wide values when r is profiled. */
static cp_err prepare(cp_rules *r, cp_aggregates_fn fetch, void *ctx)
{
  cp_profile *prof = cp_rules_profile(r);
  if (!prof)
    return cp_rules_prepare_from(r, fetch, ctx);
  uint64_t outer, t0 = cp_rules_prof_begin(prof, &outer);
  cp_err rc = cp_rules_prepare_from(r, fetch, ctx);
  cp_rules_prof_end(prof, &prof->part[CP_PROF_VALUES], t0, outer);
  return rc;
}

#define ALL_CLIENTS ((size_t)-1)   /* eval_range(): every client, not a chunk */

/* Evaluates the clients of chunk (cp_facts_begin_chunk()), or all of them,
 * into outcomes from slot(), calling done() after each one; leftover
 * findings make a last outcome with no client. */
static cp_err eval_range(cp_facts *f, cp_rules *r, size_t chunk, slot_fn slot,
                         cp_writer_fn done, void *ctx)
{
  sink s = {.o = slot(ctx), .reading = 1, .slot = slot, .done = done, .ctx = ctx};
  cp_client *c;
  int more = 0;
  cp_facts_on_finding(f, to_outcome, &s);   /* begin reports rows keyed NULL (the first chunk) */
  cp_err rc = !s.o ? CP_ENOMEM
              : chunk == ALL_CLIENTS ? cp_facts_begin(f, NULL, NULL)
                                     : cp_facts_begin_chunk(f, chunk);
  while (rc == CP_OK && (rc = s.err) == CP_OK && (more = next_client(f, r, &c)) > 0) {
    s.reading = 0;
    if ((rc = s.err) != CP_OK || (rc = cp_eval_client(r, c, s.o)) != CP_OK ||
        (rc = done(ctx, s.o)) != CP_OK)
      break;
    if (!(s.o = slot(ctx)))
      rc = CP_ENOMEM;
    s.reading = 1;
  }
  if (rc == CP_OK && more < 0)
    rc = s.err != CP_OK ? s.err : cp_facts_error(f);
  if (rc == CP_OK && (rc = s.err) == CP_OK && s.o->n_findings)
    rc = done(ctx, s.o);
  cp_facts_on_finding(f, NULL, NULL);
  return rc;
}

/* One thread, streaming: the single outcome is written as soon as it is made. */
typedef struct single {
  cp_outcome o;             /* reused for every client */
  cp_writer_fn write;       /* the writer */
  void *ctx;                /* its context */
} single;

static cp_outcome *single_slot(void *ctx)
{
  single *s = ctx;
  cp_outcome_reset(&s->o);
  return &s->o;
}

static cp_err single_done(void *ctx, cp_outcome *o)
{
  single *s = ctx;
  return s->write(s->ctx, o);
}

/* One outcome of a chunk, allocated once so that it never moves: the
 * writer writes the outcomes a worker has made while it makes the next. */
typedef struct made {
  cp_outcome *o;            /* the outcome (calloc'd) */
  size_t bytes;             /* what it held when made (cp_outcome_bytes) */
  size_t printed;           /* of which print() lines (cp_outcome's prints) */
} made;

/* A chunk buffer: chunk no of the clients, as outcomes made by a worker. */
typedef struct chunk {
  made *outs;               /* outcomes, in client order (the array under the lock) */
  size_t n, cap;            /* made (under the lock) and allocated */
  size_t no;                /* the chunk it holds, or is to hold next */
  int ready;                /* filled: no outcome more will come */
} chunk;

struct pool;

/* One worker: its own facts reader and sandbox. */
typedef struct worker {
  struct pool *pool;        /* the shared state */
  int index;                /* 0..jobs-1 */
  cp_facts *facts;          /* own connection */
  cp_rules *rules;          /* own sandbox */
  chunk *filling;           /* the chunk being filled */
  size_t own;               /* by parts: the next chunk of its own */
  size_t filling_no;        /* the number of the chunk it fills */
  pthread_t thread;         /* the thread */
  int started;              /* the thread was created */
} worker;

/* What the workers and the writer share. Chunk c goes to buffer c % n_slots
 * once the writer has taken chunk c - n_slots from it. */
typedef struct pool {
  pthread_mutex_t lock;     /* guards the flags and counters below */
  pthread_cond_t changed;   /* something below changed */
  const cp_config *cfg;     /* to open the workers' facts and rules */
  int64_t as_of;            /* the as-of day */
  cp_rules *main;           /* the writer's rules, whose run values workers copy */
  const cp_facts *facts;    /* the writer's facts reader, whose lookup tables workers read */
  int jobs;                 /* number of workers */
  worker *workers;          /* the workers */
  int *agg_by;              /* per table: 1 + the worker computing its aggregates, or 0 */
  int *agg_done;            /* per table: that worker is done */
  int split;                /* the table whose aggregates every worker computes a part of,
                               by rowid, or -1 */
  int64_t (*part_rows)[2];  /* per worker: the rowids of its part */
  cp_agg_total **parts;     /* per worker: its part's totals */
  size_t *part_n;           /* per worker: their number */
  int parts_done;           /* parts computed */
  int shared;               /* run values computed: 1 workers may copy them, -1 never */
  char **bounds;            /* chunk boundaries (cp_facts_bounds) */
  size_t n_bounds;          /* their number; chunks = n_bounds + 1 */
  int by_parts;             /* a table is read sorted (cp_facts_probe_sorted): worker i
                               reads chunks i, i + jobs, ... in turn, by parts */
  chunk *slots;             /* chunk buffers */
  size_t n_slots;           /* their number */
  size_t next;              /* the next chunk a worker takes */
  size_t current;           /* the chunk the writer writes */
  size_t taken;             /* its outcomes written so far */
  size_t inflight;          /* bytes of the outcomes made and not yet written */
  size_t inflight_print;    /* of which print() lines */
  size_t keep;              /* bytes a written outcome keeps for reuse (KEPT_BYTES shared) */
  int waiting;              /* threads waiting on changed (a broadcast is needed) */
  cp_err err;               /* a worker's first error */
  int stop;                 /* the writer is done: workers leave */
  pthread_mutex_t share;    /* one worker at a time reads the writer's Lua state */
} pool;

/* Wakes the threads waiting on the pool (lock held). */
static void wake(pool *p)
{
  if (p->waiting)
    pthread_cond_broadcast(&p->changed);
}

/* Waits on the pool's condition (lock held). */
static void await(pool *p)
{
  p->waiting++;
  pthread_cond_wait(&p->changed, &p->lock);
  p->waiting--;
}

/* Returns 1 when the outcomes not yet written hold more than a worker may
 * leave to the writer before it waits (lock held). */
static int over(const pool *p)
{
  return p->inflight > INFLIGHT_BYTES || p->inflight_print > PRINT_HELD;
}

/* Returns 1 when the outcomes not yet written hold so much that the writer
 * writes each one as soon as it is made, not a chunk at a time (lock held). */
static int pressing(const pool *p)
{
  return p->inflight > INFLIGHT_BYTES / 2 || p->inflight_print > PRINT_HELD / 2;
}

/* Gives the next outcome of the chunk a worker is filling: outcome n, which
 * the writer does not touch until it is made. */
static cp_outcome *chunk_slot(void *ctx)
{
  worker *w = ctx;
  chunk *ch = w->filling;
  if (ch->n == ch->cap) {   /* the array moves: under the lock the writer reads it under */
    size_t cap = ch->cap ? ch->cap * 2 : CHUNK_CLIENTS + 1;
    pthread_mutex_lock(&w->pool->lock);
    made *outs = realloc(ch->outs, cap * sizeof *outs);
    if (outs) {
      for (size_t i = ch->cap; i < cap; i++)
        outs[i] = (made){0};
      ch->outs = outs;
      ch->cap = cap;
    }
    pthread_mutex_unlock(&w->pool->lock);
    if (!outs)
      return NULL;
  }
  made *m = &ch->outs[ch->n];
  if (!m->o && !(m->o = calloc(1, sizeof *m->o)))
    return NULL;
  cp_outcome_reset(m->o);
  return m->o;
}

/* Makes the outcome just filled (outcome n) the writer's to write; then, while
 * the outcomes not yet written hold more than INFLIGHT_BYTES (or PRINT_HELD
 * of print() lines), waits: the
 * worker of the chunk being written until the writer has written what it
 * made, the others until their chunk is the one being written. Fails once
 * the run has failed (a worker's error, or the writer stopped early), so
 * that the worker stops making outcomes that nobody will write: they would
 * no longer be held back by the waiting above. */
static cp_err chunk_done(void *ctx, cp_outcome *o)
{
  worker *w = ctx;
  pool *p = w->pool;
  chunk *ch = w->filling;
  size_t bytes = cp_outcome_bytes(o), printed = o->prints.len;
  pthread_mutex_lock(&p->lock);
  ch->outs[ch->n].bytes = bytes;
  ch->outs[ch->n].printed = printed;
  ch->n++;
  p->inflight += bytes;
  p->inflight_print += printed;
  if (pressing(p))   /* else the writer waits for the whole chunk, as it need not hurry */
    wake(p);
  while (over(p) && !p->stop && p->err == CP_OK &&
         (p->current != w->filling_no || p->taken < ch->n))
    await(p);
  cp_err rc = p->err != CP_OK ? p->err : p->stop ? CP_EEVAL : CP_OK;   /* already reported */
  pthread_mutex_unlock(&p->lock);
  return rc;
}

/* Records a worker's error (the first one counts) and wakes everyone. */
static void fail_pool(pool *p, cp_err rc)
{
  pthread_mutex_lock(&p->lock);
  if (p->err == CP_OK)
    p->err = rc;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

/* Computes worker w's part of the split table's aggregates, for the writer
 * to add up, then those of the table given to it, if any, in its own
 * sandbox (whose run values are then only these), for the writer to copy:
 * in this order, since the writer reads the sandbox once told that table is
 * done, and the worker must leave it alone from then on. */
static cp_err worker_aggregates(worker *w)
{
  pool *p = w->pool;
  cp_err rc = CP_OK;
  if (p->split >= 0) {
    rc = cp_rules_aggregate_part(w->rules, (unsigned)p->split, p->part_rows[w->index],
                                 &p->parts[w->index], &p->part_n[w->index]);
    if (rc == CP_OK) {
      pthread_mutex_lock(&p->lock);
      p->parts_done++;
      pthread_cond_broadcast(&p->changed);
      pthread_mutex_unlock(&p->lock);
    }
  }
  for (unsigned t = 0; rc == CP_OK && p->agg_by && t < p->cfg->file->tables_count; t++) {
    if (p->agg_by[t] != w->index + 1 || (rc = cp_rules_aggregate(w->rules, t)) != CP_OK)
      continue;
    pthread_mutex_lock(&p->lock);
    p->agg_done[t] = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
  }
  return rc;
}

/* A worker's sandbox keeps print()'s lines in the outcomes (cp_rules_watch). */
static void carry_prints(void *ctx, cp_sandbox *sb)
{
  (void)ctx;
  cp_sandbox_carry_prints(sb);
}

/* Opens a worker's own facts reader and sandbox in its thread (the workers
 * start in parallel, while the writer computes the run values), computes the
 * aggregates given to it, then waits for the run values and copies them. */
static cp_err open_worker(worker *w)
{
  pool *p = w->pool;
  cp_err rc = cp_facts_open_sharing(p->cfg, p->as_of, p->facts, w->index, &w->facts);
  cp_rules_watch carry = {.sandbox = carry_prints};
  if (rc == CP_OK)
    rc = cp_rules_load_watched(p->cfg, w->facts, p->as_of, &carry, &w->rules);
  if (rc == CP_OK && cp_rules_profile(p->main))
    rc = cp_rules_profile_start(w->rules);
  if (rc == CP_OK)
    rc = worker_aggregates(w);
  if (rc != CP_OK)
    return rc;
  pthread_mutex_lock(&p->lock);
  while (!p->shared && !p->stop)
    await(p);
  int go = p->shared > 0 && !p->stop;
  pthread_mutex_unlock(&p->lock);
  if (!go)
    return CP_OK;
  pthread_mutex_lock(&p->share);
  rc = cp_share_run_values(p->main, w->rules);
  pthread_mutex_unlock(&p->share);
  int any = 0;
  if (rc == CP_OK)
    rc = cp_facts_by_parts(w->facts, p->facts, p->bounds, p->n_bounds, (size_t)p->jobs,
                           (size_t)w->index, &any);
  w->own = (size_t)w->index;
  return rc != CP_OK || any == p->by_parts ? rc
         : cp_diag_fail(CP_EEVAL, "jobs: worker %d does not read by parts as planned",
                        w->index + 1);
}

/* Takes worker w's next chunk (the next one free, or by parts its own next)
 * and waits for its buffer to be free. Returns the buffer, or NULL when
 * there is nothing left to do. */
static chunk *take_chunk(pool *p, worker *w, size_t *c)
{
  chunk *ch = NULL;
  size_t *next = p->by_parts ? &w->own : &p->next;
  pthread_mutex_lock(&p->lock);
  if (p->shared > 0 && *next <= p->n_bounds) {
    *c = *next;
    *next += p->by_parts ? (size_t)p->jobs : 1;
    ch = &p->slots[*c % p->n_slots];
    while ((ch->no != *c || ch->ready) && !p->stop && p->err == CP_OK)
      await(p);
    if (p->stop || p->err != CP_OK)
      ch = NULL;
  }
  pthread_mutex_unlock(&p->lock);
  if (ch)
    w->filling_no = *c;
  return ch;
}

/* A worker's thread: opens its own reader and sandbox, then fills chunks, the
 * next one free, until none is left. */
static void *worker_main(void *arg)
{
  worker *w = arg;
  pool *p = w->pool;
  cp_err rc = open_worker(w);
  chunk *ch;
  size_t c;
  while (rc == CP_OK && (ch = take_chunk(p, w, &c))) {
    w->filling = ch;   /* emptied (n = 0) by the writer when it handed the buffer on */
    rc = eval_range(w->facts, w->rules, c, chunk_slot, chunk_done, w);
    pthread_mutex_lock(&p->lock);
    ch->ready = rc == CP_OK;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
  }
  if (rc != CP_OK)
    fail_pool(p, rc);
  return NULL;
}

/* Aggregates for cp_rules_prepare_from(): waits for those a worker computes
 * and copies them. */
static cp_err fetch_aggregates(void *ctx, cp_rules *r, unsigned t, int *done)
{
  pool *p = ctx;
  if ((int)t == p->split) {   /* every worker's part, added up */
    pthread_mutex_lock(&p->lock);
    while (p->parts_done < p->jobs && p->err == CP_OK)
      await(p);
    cp_err rc = p->err;
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; rc == CP_OK && i < p->jobs; i++)
      if (p->part_n[i] != p->part_n[0])
        rc = cp_diag_fail(CP_EEVAL, "aggregates: the workers' parts do not match");
    if (rc == CP_OK)
      rc = cp_rules_aggregate_merge(r, t, p->parts, (size_t)p->jobs, p->part_n[0]);
    *done = rc == CP_OK;
    return rc;
  }
  if (!p->agg_by[t])
    return CP_OK;
  pthread_mutex_lock(&p->lock);
  while (!p->agg_done[t] && p->err == CP_OK)
    await(p);
  cp_err rc = p->err;
  pthread_mutex_unlock(&p->lock);
  *done = rc == CP_OK;
  return rc == CP_OK ? cp_share_run_values(p->workers[p->agg_by[t] - 1].rules, r) : rc;
}

/* Writes every chunk in order, once its worker has made it, or each outcome
 * as soon as it is made while they hold much (pressing()); each outcome
 * written keeps at most p->keep bytes for reuse. */
static cp_err write_chunks(pool *p, cp_writer_fn write, void *ctx)
{
  cp_err rc = CP_OK;
  for (size_t c = 0; rc == CP_OK && c <= p->n_bounds; c++) {
    chunk *ch = &p->slots[c % p->n_slots];
    pthread_mutex_lock(&p->lock);
    p->current = c;
    p->taken = 0;
    wake(p);   /* its worker may be waiting for its turn */
    for (;;) {
      while ((ch->no != c || (!ch->ready && (p->taken == ch->n || !pressing(p)))) &&
             p->err == CP_OK)
        await(p);
      if ((rc = p->err) != CP_OK || p->taken == ch->n)   /* an error, or ready and all written */
        break;
      /* a ready chunk is the writer's alone: written whole, unlocked */
      size_t from = p->taken, upto = ch->ready ? ch->n : p->taken + 1, bytes = 0, printed = 0;
      made *outs = ch->outs;   /* does not move once ready; else outs[from] is read now */
      made one = outs[from];
      pthread_mutex_unlock(&p->lock);
      for (size_t i = from; rc == CP_OK && i < upto; i++) {
        made m = i == from ? one : outs[i];
        cp_sandbox_print_carried(m.o);   /* the client's print() lines, as one thread's */
        rc = write(ctx, m.o);
        cp_outcome_trim(m.o, p->keep);   /* its worker resets it again before reuse */
        bytes += m.bytes;
        printed += m.printed;
      }
      pthread_mutex_lock(&p->lock);
      p->taken = upto;
      if (over(p))   /* workers may wait for this */
        wake(p);
      p->inflight -= bytes;
      p->inflight_print -= printed;
      if (rc != CP_OK)
        break;
    }
    if (rc == CP_OK) {   /* handed on (after an error its worker may still be in it) */
      ch->ready = 0;
      ch->n = 0;
      ch->no = c + p->n_slots;
    }
    wake(p);
    pthread_mutex_unlock(&p->lock);
  }
  return rc;
}

/* Frees a worker's resources. */
static void close_worker(worker *w)
{
  cp_rules_close(w->rules);
  cp_facts_close(w->facts);
}

/* A table is read in parts by rowid only when its rowids span fewer than
 * this (2^52): far more rows than a table holds, and small enough that the
 * parts' sums below cannot wrap. A table whose rowids are spread wider (say
 * one row at 0 and one at 2^63-1) is read whole by one worker. */
#define SPLIT_WIDTH_MAX ((uint64_t)1 << 52)

/* The distance from a table's first rowid to its last, exact for any two
 * int64 rowids (up to 2^64-1, which int64 subtraction would wrap). */
static uint64_t span_width(const int64_t span[2])
{
  return (uint64_t)span[1] - (uint64_t)span[0];
}

/* Gives the aggregates of the tables whose aggregates are all numeric to the
 * workers: the largest one that can be read in parts by rowid to all of
 * them, in parts that even out the work with the next tables, given whole to
 * a worker each (as many tables as workers); the writer computes the rest.
 * Returns 0, or -1 when out of memory. */
static int plan_aggregates(pool *p, cp_facts *facts)
{
  unsigned tables = p->cfg->file->tables_count;
  int64_t span[2], split_from = 0;
  uint64_t best = 0, rows = 0;   /* the split table's rowid width and rows */
  if (!(p->agg_by = calloc(2 * (size_t)tables + 1, sizeof *p->agg_by)))
    return -1;
  p->agg_done = p->agg_by + tables;
  for (unsigned t = 0; t < tables; t++)   /* the largest table that splits */
    if (cp_rules_aggregates_splittable(p->main, t) && cp_facts_rowid_span(facts, t, span) == 0) {
      uint64_t width = span_width(span);
      if (width >= best && width >= 1000 * (uint64_t)p->jobs && width < SPLIT_WIDTH_MAX) {
        best = width;
        p->split = (int)t;
        split_from = span[0];
        rows = width + 1;
      }
    }
  uint64_t *load = calloc((size_t)p->jobs, sizeof *load);   /* rows given to each worker */
  if (!load)
    return -1;
  int given = 0;
  for (unsigned t = 0; t < tables && given < p->jobs; t++)
    if ((int)t != p->split && cp_rules_numeric_aggregates(p->main, t)) {
      p->agg_by[t] = ++given;
      if (cp_facts_rowid_span(facts, t, span) == 0)   /* a weight: capped */
        load[given - 1] = span_width(span) < SPLIT_WIDTH_MAX ? span_width(span) + 1 : SPLIT_WIDTH_MAX;
    }
  if (p->split >= 0 && (!(p->part_rows = calloc((size_t)p->jobs, sizeof *p->part_rows)) ||
                        !(p->parts = calloc((size_t)p->jobs, sizeof *p->parts)) ||
                        !(p->part_n = calloc((size_t)p->jobs, sizeof *p->part_n)))) {
    free(load);
    return -1;
  }
  /* each worker's part makes its load the average, as near as the whole
   * tables given allow: short[w] rows short of it, cut in proportion. The
   * parts are counted as offsets from the first rowid, in unsigned 64-bit
   * (every width here is under SPLIT_WIDTH_MAX, so no sum wraps), and each
   * part's rowids are that offset added to the first rowid: they lie in
   * the table's own span, so they never wrap either. */
  uint64_t total = rows, shorts = 0, done = 0;
  for (int w = 0; w < p->jobs; w++)
    total += load[w];
  for (int w = 0; w < p->jobs; w++)
    shorts += load[w] < total / (uint64_t)p->jobs ? total / (uint64_t)p->jobs - load[w] : 0;
  for (int w = 0; p->split >= 0 && w < p->jobs; w++) {
    uint64_t want = load[w] < total / (uint64_t)p->jobs ? total / (uint64_t)p->jobs - load[w] : 0;
    uint64_t n = w == p->jobs - 1 ? rows - done
                 : shorts ? (uint64_t)((double)rows * (double)want / (double)shorts)
                          : rows / (uint64_t)p->jobs;
    if (n > rows - done)
      n = rows - done;
    if (n == 0) {   /* an empty part: no rowid is between 1 and 0 */
      p->part_rows[w][0] = 1;
      p->part_rows[w][1] = 0;
    } else {
      p->part_rows[w][0] = (int64_t)((uint64_t)split_from + done);
      p->part_rows[w][1] = (int64_t)((uint64_t)split_from + done + n - 1);
    }
    done += n;
  }
  free(load);
  return 0;
}

/* Starts the workers, computes the run values (unless prepared) with their
 * help, writes their chunks, stops and joins them. */
static cp_err run_workers(pool *p, cp_facts *facts, int prepared, cp_writer_fn write,
                          void *ctx)
{
  cp_err rc = CP_OK;
  if (!prepared && plan_aggregates(p, facts) < 0)
    rc = cp_diag_fail(CP_ENOMEM, "out of memory");
  for (int i = 0; rc == CP_OK && i < p->jobs; i++) {
    worker *w = &p->workers[i];
    *w = (worker){.pool = p, .index = i};
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
      rc = cp_diag_fail(CP_ENOMEM, "cannot start worker %d", i + 1);
    w->started = rc == CP_OK;
  }
  if (rc == CP_OK)
    rc = cp_facts_bounds(facts, CHUNK_CLIENTS, &p->bounds, &p->n_bounds);
  if (rc == CP_OK)   /* one worker's sorted scan of a table reads only its chunks' rows */
    p->by_parts = p->n_bounds > 0 && cp_facts_probe_sorted(facts);
  if (rc == CP_OK && !prepared)
    rc = prepare(p->main, fetch_aggregates, p);
  pthread_mutex_lock(&p->lock);
  p->shared = rc == CP_OK ? 1 : -1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  if (rc == CP_OK)
    rc = write_chunks(p, write, ctx);
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->jobs; i++) {
    if (p->workers[i].started)
      pthread_join(p->workers[i].thread, NULL);
    if (p->workers[i].rules)
      cp_rules_profile_add(p->main, p->workers[i].rules);
    if (p->workers[i].facts)   /* the rows each read: the guard sums them */
      cp_facts_add_rows_read(facts, p->workers[i].facts);
    close_worker(&p->workers[i]);
  }
  return rc;
}

/* cp_jobs_evaluate() and cp_jobs_run(): prepared says whether the run values
 * are already computed. */
static cp_err evaluate(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                       int jobs, int prepared, cp_writer_fn write, void *ctx)
{
  if (jobs <= 1) {
    single s = {.write = write, .ctx = ctx};
    cp_err rc = prepared ? CP_OK : prepare(rules, NULL, NULL);
    if (rc == CP_OK)
      rc = eval_range(facts, rules, ALL_CLIENTS, single_slot, single_done, &s);
    cp_outcome_free(&s.o);
    return rc;
  }
  pool p = {.cfg = cfg, .as_of = as_of, .main = rules, .facts = facts, .jobs = jobs,
            .n_slots = (size_t)jobs * SLOTS_PER_WORKER, .split = -1};
  cp_err rc = CP_OK;
  p.workers = calloc((size_t)jobs, sizeof *p.workers);
  p.slots = calloc(p.n_slots, sizeof *p.slots);
  if (!p.workers || !p.slots)
    rc = cp_diag_fail(CP_ENOMEM, "out of memory");
  for (size_t i = 0; rc == CP_OK && i < p.n_slots; i++)
    p.slots[i].no = i;
  /* the ring's outcomes: each chunk's clients and its leftover findings */
  p.keep = KEPT_BYTES / (p.n_slots * (CHUNK_CLIENTS + 1));
  if (rc == CP_OK) {
    pthread_mutex_init(&p.lock, NULL);
    pthread_mutex_init(&p.share, NULL);
    pthread_cond_init(&p.changed, NULL);
    rc = run_workers(&p, facts, prepared, write, ctx);
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.share);
    pthread_mutex_destroy(&p.lock);
  }
  for (size_t k = 0; p.slots && k < p.n_slots; k++) {
    for (size_t i = 0; i < p.slots[k].cap; i++) {
      cp_outcome_free(p.slots[k].outs[i].o);
      free(p.slots[k].outs[i].o);
    }
    free(p.slots[k].outs);
  }
  free(p.slots);
  free(p.workers);
  free(p.agg_by);
  for (int i = 0; p.parts && i < jobs; i++)
    free(p.parts[i]);
  free(p.parts);
  free(p.part_n);
  free(p.part_rows);
  cp_facts_free_bounds(p.bounds, p.n_bounds);
  return rc;
}

cp_err cp_jobs_evaluate(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                        int jobs, cp_writer_fn write, void *ctx)
{
  return evaluate(cfg, as_of, facts, rules, jobs, 1, write, ctx);
}

cp_err cp_jobs_run(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                   int jobs, cp_writer_fn write, void *ctx)
{
  return evaluate(cfg, as_of, facts, rules, jobs, 0, write, ctx);
}
