/* gen.h: what gen.c and gen_client.c share: the generator's types and random numbers. */
#ifndef GEN_H
#define GEN_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define DAY          86400LL
#define HOUR         3600LL
#define YUAN         1000LL         /* amounts are planned in mills (1/1000 yuan) */
#define WAN          (10000 * YUAN) /* 万 yuan */
#define MAX_ORDERS12 150            /* most orders a client places in one year */
#define COUNT(a)     ((int)(sizeof(a) / sizeof((a)[0])))

enum {
  T_STAFF,
  T_CLIENTS,
  T_CLIENT_STAFF,
  T_ORDERS,
  T_CONTACTS,
  T_COMPLAINTS,
  T_SURVEYS,
  T_CREDIT,
  NTAB
};
enum { R_GM, R_VP, R_MM, R_KAM, R_RESIDENT, R_TECH, R_QUALITY, R_SERVICE, NROLE };
enum { TIER_STRATEGIC, TIER_KEY, TIER_MAJOR, TIER_GENERAL, NTIER };
/* ST_DELETED: removed from clients, while its orders stay (they still count in total12). */
enum { ST_ACTIVE, ST_DORMANT, ST_PROSPECT, ST_CLOSED, ST_DELETED };
enum { L_EXECUTIVE, L_ACCOUNT, L_TECHNICAL, L_QUALITY, L_SERVICE, NLEVEL };
/* How a time is written: mostly YYYY-MM-DDTHH:MM:SS, now and then another accepted form. */
enum { F_ISO, F_SPACE, F_FRACTION, F_DATE };

/* A splitmix64 random stream. */
typedef struct {
  uint64_t s; /* state */
} Rng;

/* What is decided about a client before any of its rows is written. */
typedef struct {
  int created;            /* created_on, as a civil day number */
  unsigned char status;   /* ST_* */
  unsigned char partner;  /* strategic_partner */
  unsigned char computed; /* tier computed from the planned sales */
  unsigned char tier;     /* the tier its obligations follow */
  signed char approved;   /* index in APPROVED, or -1 for NULL */
  unsigned char edge;     /* sales12 sits on a tier threshold (to the half cent) */
  int orders12;           /* orders in the last 365 days */
  long long sales12;      /* their planned sum, in mills */
} Plan;

/* Every buffered row starts with its key: rows are written in time order, as a CRM
 * fills its tables, so that a client's rows are scattered over the table. */
typedef struct {
  long long at;    /* the row's time, in seconds since 1970 */
  int client, seq; /* client index; order of generation within the client */
} Key;
typedef struct {
  Key k;              /* at: since */
  int staff, until;   /* staff index; until as a day, or -1 for NULL */
  unsigned char role; /* R_*: the member's own role */
} StaffRow;
typedef struct {
  Key k;               /* at: ordered_on */
  long long mills;     /* amount */
  int due, delivered;  /* days; delivered -1 for NULL */
  unsigned char style; /* F_DATE, or F_ISO for a delivered_on written as a timestamp */
} OrderRow;
typedef struct {
  Key k;                               /* at: happened_at */
  int staff;                           /* staff index, or -1 */
  unsigned char level, channel, style; /* L_*, index in CHANNEL, F_* */
} ContactRow;
typedef struct {
  Key k;                                   /* at: opened_at */
  long long resp, done;                    /* first_response_at, resolved_at; -1 for NULL */
  int owner;                               /* staff index, or -1 */
  unsigned char category, severity, style; /* indices in CATEGORY, SEVERITY; F_* */
} ComplaintRow;
typedef struct {
  Key k;               /* at: surveyed_on */
  unsigned char score; /* 0..10 */
} SurveyRow;
typedef struct {
  Key k;              /* at: assessed_on */
  long long owed;     /* overdue_amount in mills, 0 for NULL */
  int days;           /* overdue_days */
  signed char rating; /* index in RATING, or -1 for NULL */
} CreditRow;

/* A growing array of rows of one size. */
typedef struct {
  char *p;             /* the rows */
  size_t n, cap, size; /* rows used, allocated, bytes per row */
} Vec;

/* The current staff of a client. */
typedef struct {
  int who[NROLE]; /* staff index of each role (R_*), or -1 */
} Team;

/* One generation run. */
typedef struct {
  uint64_t seed;                /* --seed: every random stream derives from it */
  double rare;                  /* factor on the probability of rare cases (--rare) */
  int by_client;                /* --layout client: a client's rows together */
  int today;                    /* D, as a civil day number */
  long long now;                /* D 23:59:59, in seconds */
  int nclients, nstaff;         /* how many of each */
  Plan *plan;                   /* per client index */
  unsigned char *role, *active; /* per staff index: R_*, 0 or 1 */
  int *manager;                 /* per staff index: manager's index, or -1 */
  int *pool;                    /* active staff indices grouped by role */
  int pool_at[NROLE + 1];       /* where each role's group starts in pool */
  int seq;                      /* rows generated so far for the current client */
  Vec rows[NTAB];               /* buffered rows of the per-client tables */
  sqlite3 *db;                  /* the output, while written */
  sqlite3_stmt *ins[NTAB];      /* INSERT of each table */
  long long count[NTAB];        /* rows written */
  char tmp[4096];               /* the output's temporary name */
} Gen;

/* ---- random numbers: one splitmix64 stream per client and purpose ---- */

/* Returns the next 64 random bits. */
static inline uint64_t rng_next(Rng *r)
{
  uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Returns stream k of client (or staff member) i, so that its rows do not depend on the
 * others'; i = -1 gives the run-wide streams. */
static inline Rng stream(const Gen *g, int i, int k)
{
  Rng r = {g->seed ^ ((uint64_t)i << 4 | (uint64_t)k)};
  r.s = rng_next(&r);
  return r;
}

/* Returns a uniform integer in [lo, hi], or lo when the range is empty. */
static inline long long rng_range(Rng *r, long long lo, long long hi)
{
  return hi <= lo ? lo : lo + (long long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Returns a uniform double in (0, 1]. */
static inline double rng_unit(Rng *r)
{
  return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Returns 1 with a probability of pct percent. */
static inline int rng_pct(Rng *r, double pct)
{
  return rng_unit(r) * 100.0 <= pct;
}

/* Returns 1 with a probability of pct percent times the rare-case factor (--rare). */
static inline int rng_rare(const Gen *g, Rng *r, double pct)
{
  return rng_pct(r, pct * g->rare);
}

/* Returns a geometric count 0, 1, 2, ... with the given mean. */
static inline int rng_geom(Rng *r, double mean)
{
  double p = mean / (1.0 + mean);
  int k = 0;
  while (rng_unit(r) < p)
    k++;
  return k;
}

/* Returns an index in [0, n) drawn with the given weights. */
static inline int rng_pick(Rng *r, const int *w, int n)
{
  long long sum = 0, x;
  for (int i = 0; i < n; i++)
    sum += w[i];
  x = rng_range(r, 0, sum - 1);
  for (int i = 0; i < n; i++) {
    if (x < w[i])
      return i;
    x -= w[i];
  }
  return n - 1;
}

/* Returns the larger of two ints. */
static inline int max_int(int a, int b)
{
  return a > b ? a : b;
}

/* ---- gen.c ---- */

/* Prints "gen: <what>", removes the half-written output and exits 1. */
void die(const char *fmt, ...);
/* Appends a zeroed row to v for client i at time at; returns it (owned by v). */
void *push(Gen *g, Vec *v, int i, long long at);
/* Returns a random active staff index of role, or -1 when there is none. */
int pick_staff(const Gen *g, Rng *r, int role);
/* Returns a random inactive staff index (any role), or -1 when the dice say none. */
int pick_inactive(const Gen *g, Rng *r);
/* Returns a client's yearly sales in mills (heavy-tailed). */
long long draw_sales(Rng *r);

/* ---- gen_client.c ---- */

/* Buffers every row of client i in g->rows (a deleted client keeps only its orders). */
void gen_client(Gen *g, int i);

#endif
