/* jobs.c: the client pass, alone or with workers. Workers take chunks of
 * clients round-robin and fill a small ring of chunk buffers each; the
 * writer (the calling thread) takes chunk 0, 1, 2 ... from the worker that
 * made it, so memory stays bounded and the output order is the client order. */
#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>

#define CHUNK_CLIENTS 512   /* clients per chunk */
#define RING 3              /* chunk buffers per worker */

/* Where findings go while a client is read: the outcome being filled. */
typedef struct sink {
  cp_outcome *o;            /* current outcome */
  cp_err err;               /* first failure to record a finding */
} sink;

/* Finding handler: keeps the finding with the client it was met before. */
static void to_outcome(void *ctx, const cp_finding *f)
{
  sink *s = ctx;
  cp_err rc = cp_outcome_finding(s->o, f);
  if (rc != CP_OK && s->err == CP_OK)
    s->err = rc;
}

/* Gives the next empty outcome to fill, or NULL when out of memory. */
typedef cp_outcome *(*slot_fn)(void *ctx);

/* Evaluates the clients of [from, to) into outcomes from slot(), calling done()
 * after each one; leftover findings make a last outcome with no client. */
static cp_err eval_range(cp_facts *f, cp_rules *r, const char *from, const char *to,
                         slot_fn slot, cp_writer_fn done, void *ctx)
{
  sink s = {.o = slot(ctx)};
  cp_client *c;
  int more = 0;
  cp_err rc = s.o ? cp_facts_begin(f, from, to) : CP_ENOMEM;
  cp_facts_on_finding(f, to_outcome, &s);
  while (rc == CP_OK && (more = cp_facts_next(f, &c)) > 0) {
    if ((rc = s.err) != CP_OK || (rc = cp_rules_eval(r, c, s.o)) != CP_OK ||
        (rc = done(ctx, s.o)) != CP_OK)
      break;
    if (!(s.o = slot(ctx)))
      rc = CP_ENOMEM;
  }
  if (rc == CP_OK && more < 0)
    rc = CP_EFACTS;
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

/* A chunk of outcomes made by a worker. */
typedef struct chunk {
  cp_outcome *outs;         /* outcomes, in client order */
  size_t n, cap;            /* used and allocated */
  int ready;                /* filled: the writer may take it */
  cp_err err;               /* the worker's error for this chunk */
} chunk;

struct pool;

/* One worker: its own facts reader and sandbox, and its ring of chunks. */
typedef struct worker {
  struct pool *pool;        /* the shared state */
  int index;                /* 0..jobs-1: takes chunks index, index+jobs, ... */
  cp_facts *facts;          /* own connection */
  cp_rules *rules;          /* own sandbox */
  chunk ring[RING];         /* chunk buffers */
  chunk *filling;           /* the chunk being filled */
  pthread_t thread;         /* the thread */
  int started;              /* the thread was created */
  const cp_config *cfg;     /* to open its facts and rules */
  int64_t as_of;            /* the as-of day */
  cp_rules *main;           /* the writer's rules, whose run values it copies */
} worker;

/* What the workers and the writer share. */
typedef struct pool {
  pthread_mutex_t lock;     /* guards ready flags and stop */
  pthread_cond_t changed;   /* a chunk became ready or free, or stop */
  char **bounds;            /* chunk boundaries (cp_facts_bounds) */
  size_t n_bounds;          /* their number; chunks = n_bounds + 1 */
  int jobs;                 /* number of workers */
  int stop;                 /* the writer gave up: workers leave */
  worker *workers;          /* the workers */
  pthread_mutex_t share;    /* one worker at a time reads the writer's Lua state */
  const cp_facts *facts;    /* the writer's facts reader, whose lookup tables workers read */
} pool;

/* Gives the next outcome of the chunk a worker is filling. */
static cp_outcome *chunk_slot(void *ctx)
{
  chunk *ch = ((worker *)ctx)->filling;
  if (ch->n == ch->cap) {
    size_t cap = ch->cap ? ch->cap * 2 : CHUNK_CLIENTS + 1;
    cp_outcome *outs = realloc(ch->outs, cap * sizeof *outs);
    if (!outs)
      return NULL;
    for (size_t i = ch->cap; i < cap; i++)
      outs[i] = (cp_outcome){0};
    ch->outs = outs;
    ch->cap = cap;
  }
  cp_outcome_reset(&ch->outs[ch->n]);
  return &ch->outs[ch->n];
}

/* Keeps the outcome just filled in the chunk. */
static cp_err chunk_done(void *ctx, cp_outcome *o)
{
  (void)o;
  ((worker *)ctx)->filling->n++;
  return CP_OK;
}

/* Waits until ch's ready flag is want, or the pool stops. Returns 0, or -1
 * when stopping. Called with the lock held. */
static int wait_for(pool *p, const chunk *ch, int want)
{
  while (ch->ready != want && !p->stop)
    pthread_cond_wait(&p->changed, &p->lock);
  return p->stop ? -1 : 0;
}

/* Sets a chunk's ready flag and wakes everyone. */
static void set_ready(pool *p, chunk *ch, int ready)
{
  pthread_mutex_lock(&p->lock);
  ch->ready = ready;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

/* Opens a worker's own facts reader and sandbox with the shared run values
 * (in the worker's thread, so that the workers start in parallel). */
static cp_err open_worker(worker *w)
{
  cp_err rc = cp_facts_open_sharing(w->cfg, w->as_of, w->pool->facts, &w->facts);
  if (rc == CP_OK)
    rc = cp_rules_load(w->cfg, w->facts, w->as_of, &w->rules);
  if (rc == CP_OK) {
    pthread_mutex_lock(&w->pool->share);
    rc = cp_rules_share(w->main, w->rules);
    pthread_mutex_unlock(&w->pool->share);
  }
  return rc;
}

/* A worker's thread: opens its own reader and sandbox, then fills its chunks
 * in turn. A failure to open is handed to the writer as its first chunk's. */
static void *worker_main(void *arg)
{
  worker *w = arg;
  pool *p = w->pool;
  cp_err rc = open_worker(w);
  if (rc != CP_OK) {
    w->ring[0].err = rc;
    set_ready(p, &w->ring[0], 1);
    return NULL;
  }
  for (size_t c = (size_t)w->index, k = 0; c <= p->n_bounds; c += (size_t)p->jobs, k++) {
    chunk *ch = &w->ring[k % RING];
    pthread_mutex_lock(&p->lock);
    int stop = wait_for(p, ch, 0);
    pthread_mutex_unlock(&p->lock);
    if (stop)
      break;
    ch->n = 0;
    w->filling = ch;
    ch->err = eval_range(w->facts, w->rules, c ? p->bounds[c - 1] : NULL,
                         c < p->n_bounds ? p->bounds[c] : NULL, chunk_slot, chunk_done, w);
    set_ready(p, ch, 1);
    if (ch->err != CP_OK)
      break;
  }
  return NULL;
}

/* Writes every chunk in order as workers make them. */
static cp_err write_chunks(pool *p, cp_writer_fn write, void *ctx)
{
  cp_err rc = CP_OK;
  for (size_t c = 0; rc == CP_OK && c <= p->n_bounds; c++) {
    worker *w = &p->workers[c % (size_t)p->jobs];
    chunk *ch = &w->ring[(c / (size_t)p->jobs) % RING];
    pthread_mutex_lock(&p->lock);
    wait_for(p, ch, 1);
    pthread_mutex_unlock(&p->lock);
    rc = ch->err;
    for (size_t i = 0; rc == CP_OK && i < ch->n; i++)
      rc = write(ctx, &ch->outs[i]);
    set_ready(p, ch, 0);
  }
  return rc;
}

/* Frees a worker's resources. */
static void close_worker(worker *w)
{
  for (int k = 0; k < RING; k++) {
    for (size_t i = 0; i < w->ring[k].cap; i++)
      cp_outcome_free(&w->ring[k].outs[i]);
    free(w->ring[k].outs);
  }
  cp_rules_close(w->rules);
  cp_facts_close(w->facts);
}

/* Starts the workers, writes their chunks, stops and joins them. */
static cp_err run_workers(pool *p, const cp_config *cfg, int64_t as_of, cp_rules *rules,
                          cp_writer_fn write, void *ctx)
{
  cp_err rc = CP_OK;
  for (int i = 0; rc == CP_OK && i < p->jobs; i++) {
    worker *w = &p->workers[i];
    *w = (worker){.pool = p, .index = i, .cfg = cfg, .as_of = as_of, .main = rules};
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
      rc = diag_fail(CP_ENOMEM, "cannot start worker %d", i + 1);
    w->started = rc == CP_OK;
  }
  if (rc == CP_OK)
    rc = write_chunks(p, write, ctx);
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->jobs; i++) {
    if (p->workers[i].started)
      pthread_join(p->workers[i].thread, NULL);
    close_worker(&p->workers[i]);
  }
  return rc;
}

cp_err cp_jobs_evaluate(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                        int jobs, cp_writer_fn write, void *ctx)
{
  if (jobs <= 1) {
    single s = {.write = write, .ctx = ctx};
    cp_err rc = eval_range(facts, rules, NULL, NULL, single_slot, single_done, &s);
    cp_outcome_free(&s.o);
    return rc;
  }
  pool p = {.jobs = jobs, .facts = facts};
  cp_err rc = cp_facts_bounds(facts, CHUNK_CLIENTS, &p.bounds, &p.n_bounds);
  if (rc == CP_OK && !(p.workers = calloc((size_t)jobs, sizeof *p.workers)))
    rc = diag_fail(CP_ENOMEM, "out of memory");
  if (rc == CP_OK) {
    pthread_mutex_init(&p.lock, NULL);
    pthread_mutex_init(&p.share, NULL);
    pthread_cond_init(&p.changed, NULL);
    rc = run_workers(&p, cfg, as_of, rules, write, ctx);
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.share);
    pthread_mutex_destroy(&p.lock);
  }
  free(p.workers);
  cp_facts_free_bounds(p.bounds, p.n_bounds);
  return rc;
}

/* Prior-assignment lookup for the pick resolver: the store's buffer. */
static const char *prior_assignee(void *ctx, const char *rule, const char *key)
{
  return cp_store_prior_assignee(ctx, rule, key);
}

cp_err cp_jobs_settle(cp_rules *rules, cp_store *store, cp_outcome *o)
{
  cp_err rc;
  if (o->evaluated && ((rc = cp_store_seek(store, o->client_id)) != CP_OK ||
                       (rc = cp_rules_resolve(rules, o, prior_assignee, store)) != CP_OK))
    return rc;
  cp_outcome_sort(o);
  return CP_OK;
}
