/* gen.c: deterministic generator of large facts databases (schema/facts.sql) for the benchmarks.
 *
 *   gen -o OUT.db [-n CLIENTS] [-s schema/facts.sql] [--seed N] [--as-of YYYY-MM-DD] [--rare F]
 *
 * About 12.5 fact rows a client, with N/25 staff. Sales are heavy-tailed (Pareto, so
 * that with many clients no share threshold is reached), 0.5% of clients are strategic
 * partners, most have a few contacts and strategic ones many; complaints, surveys and
 * credit rows as a CRM has them. Rows are inserted in time order, as a CRM fills its
 * tables (a client's rows are scattered), and the contract's indexes are created after
 * the inserts. The same arguments give the same database; each client's rows come from
 * its own random stream. Rare cases that the policy must get right (amounts of x.xx5,
 * sales exactly on a tier threshold, facts dated after the as-of time, times written
 * with a space, a fraction or as a bare date, orders of deleted clients) occur now and
 * then; --rare F makes them F times as frequent, for the differential test. The file is
 * written as OUT.db.tmp and renamed when complete.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define DAY 86400LL
#define HOUR 3600LL
#define YUAN 1000LL               /* amounts are planned in mills (1/1000 yuan) */
#define WAN (10000 * YUAN)        /* 万 yuan */
#define MAX_CLIENTS 9999999       /* client ids are C and 7 digits */
#define MAX_ORDERS12 150          /* most orders a client places in one year */

enum { T_STAFF, T_CLIENTS, T_CLIENT_STAFF, T_ORDERS, T_CONTACTS, T_COMPLAINTS, T_SURVEYS, T_CREDIT, NTAB };
enum { R_GM, R_VP, R_MM, R_KAM, R_RESIDENT, R_TECH, R_QUALITY, R_SERVICE, NROLE };
enum { TIER_STRATEGIC, TIER_KEY, TIER_MAJOR, TIER_GENERAL, NTIER };
/* ST_DELETED: removed from clients, while its orders stay (they still count in total12). */
enum { ST_ACTIVE, ST_DORMANT, ST_PROSPECT, ST_CLOSED, ST_DELETED };
enum { L_EXECUTIVE, L_ACCOUNT, L_TECHNICAL, L_QUALITY, L_SERVICE, NLEVEL };
/* How a time is written: mostly YYYY-MM-DDTHH:MM:SS, now and then another accepted form. */
enum { F_ISO, F_SPACE, F_FRACTION, F_DATE };

static const char *const TABLE[NTAB] = {
    "staff", "clients", "client_staff", "orders", "contacts", "complaints", "surveys", "credit"};
static const char *const INSERT[NTAB] = {
    "INSERT INTO staff(id,name,role,manager_id,active,capacity) VALUES(?,?,?,?,?,?)",
    "INSERT INTO clients(id,name,segment,industry,region,status,strategic_partner,"
    "approved_tier,created_on) VALUES(?,?,?,?,?,?,?,?,?)",
    "INSERT INTO client_staff(client_id,staff_id,role,since,until) VALUES(?,?,?,?,?)",
    "INSERT INTO orders(id,client_id,ordered_on,amount,due_on,delivered_on) VALUES(?,?,?,?,?,?)",
    "INSERT INTO contacts(id,client_id,staff_id,level,channel,happened_at) VALUES(?,?,?,?,?,?)",
    "INSERT INTO complaints(id,client_id,category,severity,opened_at,first_response_at,"
    "resolved_at,owner_id) VALUES(?,?,?,?,?,?,?,?)",
    "INSERT INTO surveys(id,client_id,surveyed_on,score) VALUES(?,?,?,?)",
    "INSERT INTO credit(client_id,rating,overdue_amount,overdue_days,assessed_on) VALUES(?,?,?,?,?)"};
static const char *const ROLE[NROLE] = {
    "general_manager", "marketing_vp", "marketing_manager", "key_account_manager",
    "resident_rep", "tech_engineer", "quality_engineer", "service_engineer"};
/* approved_tier texts: the four tiers, then texts that are no tier (case matters). */
static const char *const APPROVED[] = {"strategic", "key", "major", "general", "Strategic", "", "vip"};
static const char *const STATUS[] = {"active", "dormant", "prospect", "closed"};
static const char *const LEVEL[NLEVEL] = {"executive", "account", "technical", "quality", "service"};
static const char *const CHANNEL[] = {"visit", "call", "email", "meeting", "video"};
static const char *const CATEGORY[] = {"quality", "delivery", "service", "technical", "billing"};
static const char *const SEVERITY[] = {"low", "medium", "high"};
static const char *const RATING[] = {"A", "B", "C", "c"};
static const char *const CITY[] = {"上海", "苏州", "杭州", "广州", "深圳", "北京", "天津", "武汉",
                                   "成都", "重庆", "西安", "沈阳", "青岛", "南京", "长沙", "郑州"};
static const char *const REGION[] = {"华东", "华东", "华东", "华南", "华南", "华北", "华北", "华中",
                                     "西南", "西南", "西北", "东北", "华东", "华东", "华中", "华中"};
static const char *const WORD[] = {"恒达", "华升", "永盛", "中恒", "鼎力", "安达", "宏运", "金鼎",
                                   "凯盛", "瑞升", "昌隆", "广顺", "天宇", "嘉禾", "东升", "鑫源"};
static const char *const SUFFIX[] = {"电梯有限公司", "机电设备有限公司", "电梯工程有限公司", "物业管理有限公司"};
static const char *const SEGMENT[] = {"OEM", "maintenance", "installer", "property"};
static const char *const SURNAME[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
static const char *const GIVEN[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇",
                                    "杰", "涛", "明", "超", "华", "建", "国", "文", "辉", "鹏"};
/* Contact intervals of POLICY.md in days, by tier and level (0: none). */
static const int INTERVAL[NTIER][NLEVEL] = {
    {182, 31, 182, 92, 0}, {365, 61, 0, 182, 0}, {0, 92, 0, 0, 0}, {0, 0, 0, 0, 0}};
/* Contact habits by tier and level: {percent of clients, least and largest usual gap in days}. */
static const int HABIT[NTIER][NLEVEL][3] = {
    {{100, 60, 170}, {100, 10, 29}, {100, 60, 170}, {100, 30, 88}, {90, 20, 90}},
    {{100, 120, 350}, {100, 20, 58}, {60, 90, 270}, {100, 60, 175}, {80, 30, 120}},
    {{25, 365, 730}, {100, 30, 88}, {40, 120, 365}, {30, 120, 365}, {50, 60, 240}},
    {{1, 365, 730}, {90, 40, 1000}, {6, 180, 720}, {4, 180, 720}, {12, 120, 720}}};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct { uint64_t s; } Rng;

/* What is decided about a client before any of its rows is written. */
typedef struct {
  int created;              /* created_on, as a civil day number */
  unsigned char status;     /* ST_* */
  unsigned char partner;    /* strategic_partner */
  unsigned char computed;   /* tier computed from the planned sales */
  unsigned char tier;       /* the tier its obligations follow */
  signed char approved;     /* index in APPROVED, or -1 for NULL */
  unsigned char edge;       /* sales12 sits on a tier threshold (to the half cent) */
  int orders12;             /* orders in the last 365 days */
  long long sales12;        /* their planned sum, in mills */
} Plan;

/* Every buffered row starts with its key: rows are written in time order, as a CRM
   fills its tables, so that a client's rows are scattered over the table. */
typedef struct {
  long long at;             /* the row's time, in seconds since 1970 */
  int client, seq;          /* client index; order of generation within the client */
} Key;
typedef struct { Key k; int staff, until; unsigned char role; } StaffRow;  /* at: since */
typedef struct {
  Key k;                    /* at: ordered_on */
  long long mills;          /* amount */
  int due, delivered;       /* days; delivered -1 for NULL */
  unsigned char style;      /* F_DATE, or F_ISO for a delivered_on written as a timestamp */
} OrderRow;
typedef struct { Key k; int staff; unsigned char level, channel, style; } ContactRow;
typedef struct {
  Key k;                    /* at: opened_at */
  long long resp, done;     /* first_response_at, resolved_at; -1 for NULL */
  int owner;                /* staff index, or -1 */
  unsigned char category, severity, style;
} ComplaintRow;
typedef struct { Key k; unsigned char score; } SurveyRow;                   /* at: surveyed_on */
typedef struct { Key k; long long owed; int days; signed char rating; } CreditRow;  /* at: assessed_on */

/* A growing array of rows of one size. */
typedef struct {
  char *p;                  /* the rows */
  size_t n, cap, size;      /* rows used, allocated, bytes per row */
} Vec;

typedef struct { int who[NROLE]; } Team;   /* current staff index of each role, or -1 */

typedef struct {
  const char *schema, *out;
  int nclients, today;
  uint64_t seed;
  double rare;
} Options;

typedef struct {
  uint64_t seed;
  double rare;              /* factor on the probability of rare cases (--rare) */
  int today;                /* D, as a civil day number */
  long long now;            /* D 23:59:59, in seconds */
  int nclients, nstaff;
  Plan *plan;
  unsigned char *role, *active;   /* per staff index */
  int *manager;             /* per staff index: manager's index, or -1 */
  int *pool;                /* active staff indices grouped by role */
  int pool_at[NROLE + 1];
  int seq;                  /* rows generated so far for the current client */
  Vec rows[NTAB];           /* buffered rows of the per-client tables */
  sqlite3 *db;
  sqlite3_stmt *ins[NTAB];
  long long count[NTAB];    /* rows written */
  char tmp[4096];           /* the output's temporary name */
} Gen;

static Gen *live; /* the run to clean up when dying */

/* Prints "gen: <what>", removes the half-written output and exits 1. */
static void die(const char *fmt, ...) {
  va_list ap;
  fputs("gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (live) {
    sqlite3_close_v2(live->db);
    remove(live->tmp);
  }
  exit(1);
}

/* ---- random numbers: one splitmix64 stream per client and purpose ---- */

/* Returns the next 64 random bits. */
static uint64_t rng_next(Rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Returns stream k of client i, so that a client's rows do not depend on the others'. */
static Rng stream(const Gen *g, int i, int k) {
  Rng r = {g->seed ^ ((uint64_t)i << 4 | (uint64_t)k)};
  r.s = rng_next(&r);
  return r;
}

/* Returns a uniform integer in [lo, hi], or lo when the range is empty. */
static long long rng_range(Rng *r, long long lo, long long hi) {
  return hi <= lo ? lo : lo + (long long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Returns a uniform double in (0, 1]. */
static double rng_unit(Rng *r) { return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53; }

/* Returns 1 with a probability of pct percent. */
static int rng_pct(Rng *r, double pct) { return rng_unit(r) * 100.0 <= pct; }

/* Returns a geometric count 0, 1, 2, ... with the given mean. */
static int rng_geom(Rng *r, double mean) {
  double p = mean / (1.0 + mean);
  int k = 0;
  while (rng_unit(r) < p) k++;
  return k;
}

/* Returns an index in [0, n) drawn with the given weights. */
static int rng_pick(Rng *r, const int *w, int n) {
  long long sum = 0, x;
  for (int i = 0; i < n; i++) sum += w[i];
  x = rng_range(r, 0, sum - 1);
  for (int i = 0; i < n; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

/* ---- dates (civil day numbers, 0 = 1970-01-01) and texts ---- */

/* Returns the day number of year y, month m, day d. */
static int days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Writes day z as YYYY-MM-DD into buf (32 bytes) and returns buf. */
static char *fmt_date(char *buf, int z) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  snprintf(buf, 32, "%04d-%02d-%02d", yoe + era * 400 + (m <= 2), m, d);
  return buf;
}

/* Writes time t (seconds) in the given F_* style into buf (40 bytes) and returns buf. */
static char *fmt_time(char *buf, long long t, int style) {
  int sod = (int)(t % DAY);
  fmt_date(buf, (int)(t / DAY));
  if (style == F_DATE) return buf;
  snprintf(buf + 10, 30, "%c%02d:%02d:%02d%s", style == F_SPACE ? ' ' : 'T', sod / 3600,
           sod / 60 % 60, sod % 60, style == F_FRACTION ? ".250" : "");
  return buf;
}

/* Returns 1 with a probability of pct percent times the rare-case factor (--rare). */
static int rng_rare(const Gen *g, Rng *r, double pct) { return rng_pct(r, pct * g->rare); }

/* Draws how a time is written: 97% ISO, the rest with a space, a fraction or a bare date. */
static int draw_style(const Gen *g, Rng *r) {
  return rng_rare(g, r, 3) ? F_SPACE + (int)rng_range(r, 0, 2) : F_ISO;
}

/* Writes an id such as C0000042 into buf (32 bytes) and returns it. */
static char *fmt_id(char *buf, char prefix, int width, long long n) {
  snprintf(buf, 32, "%c%0*lld", prefix, width, n);
  return buf;
}

/* Writes staff index s as its id into buf, or returns NULL for s < 0. */
static char *staff_id(char *buf, int s) { return s < 0 ? NULL : fmt_id(buf, 'S', 6, s + 1); }

/* Returns the larger of two ints. */
static int max_int(int a, int b) { return a > b ? a : b; }

/* ---- buffers ---- */

/* Appends a zeroed row to v for client i at time at; returns it. */
static void *push(Gen *g, Vec *v, int i, long long at) {
  if (v->n == v->cap) {
    char *grown = realloc(v->p, (v->cap = 2 * v->cap + 1024) * v->size);
    if (!grown) die("out of memory");
    v->p = grown;
  }
  Key *k = memset(v->p + v->n++ * v->size, 0, v->size);
  *k = (Key){at, i, g->seq++};
  return k;
}

/* Orders rows by time, then client, then generation order: a total, deterministic order. */
static int by_key(const void *a, const void *b) {
  const Key *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  if (x->client != y->client) return x->client < y->client ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* ---- staff ---- */

/* Returns a random active staff index of role, or -1 when there is none. */
static int pick_staff(const Gen *g, Rng *r, int role) {
  int n = g->pool_at[role + 1] - g->pool_at[role];
  return n ? g->pool[g->pool_at[role] + rng_range(r, 0, n - 1)] : -1;
}

/* Returns a random inactive staff index (any role), or -1 when the dice say none. */
static int pick_inactive(const Gen *g, Rng *r) {
  for (int tries = 0; tries < 8; tries++) {
    int s = (int)rng_range(r, 0, g->nstaff - 1);
    if (!g->active[s]) return s;
  }
  return -1;
}

/* Plans and writes the staff: S000001 general manager, S000002 a former VP, S000003 the
   VP, marketing managers (the last one gone), then field staff by quota, 4% gone. */
static void gen_staff(Gen *g) {
  static const int quota[] = {38, 10, 14, 14}; /* percent KAM, resident, tech, quality */
  Rng r = stream(g, -1, 2);
  int n = g->nstaff, nmm = max_int(3, n / 20), at[NROLE] = {0};
  g->role = malloc((size_t)n);
  g->active = malloc((size_t)n);
  g->manager = malloc(sizeof *g->manager * (size_t)n);
  g->pool = malloc(sizeof *g->pool * (size_t)n);
  if (!g->role || !g->active || !g->manager || !g->pool) die("out of memory");
  for (int s = 0; s < n; s++) {
    int f = s - 3 - nmm, k = f * 100 / max_int(1, n - 3 - nmm), role = R_SERVICE;
    for (int q = 0, sum = 0; q < COUNT(quota); q++)
      if (k < (sum += quota[q]) && role == R_SERVICE) role = R_KAM + q;
    g->role[s] = (unsigned char)(s == 0 ? R_GM : s < 3 ? R_VP : f < 0 ? R_MM : role);
    g->active[s] = s == 1 ? 0 : s == 2 + nmm ? 0 : f < 0 ? 1 : !rng_pct(&r, 4);
    g->manager[s] = s == 0 ? -1 : s < 3 ? 0 : f < 0 ? 2 : 3 + f % nmm;
  }
  for (int s = 0; s < n; s++) at[g->role[s]] += g->active[s];
  for (int k = 0; k < NROLE; k++) g->pool_at[k + 1] = g->pool_at[k] + at[k];
  memset(at, 0, sizeof at);
  for (int s = 0; s < n; s++)
    if (g->active[s]) g->pool[g->pool_at[g->role[s]] + at[g->role[s]]++] = s;
}

/* Returns a capacity for a member of role, or -1 for none (no limit). */
static int staff_capacity(Rng *r, int role) {
  if (role == R_KAM) return rng_pct(r, 10) ? -1 : (int)rng_range(r, 60, 150);
  if (role == R_RESIDENT) return rng_pct(r, 25) ? -1 : (int)rng_range(r, 1, 3);
  if (role >= R_TECH) return rng_pct(r, 10) ? -1 : (int)rng_range(r, 20, 80);
  return -1;
}

/* ---- planning clients ---- */

/* Compares two ints, for qsort. */
static int by_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Draws created_on for every client (2% in the last 30 days, 1 in 2000 after D, the rest
   over six years) and sorts them, so that ids follow creation as in a CRM. */
static void plan_created(Gen *g) {
  Rng r = stream(g, -1, 3);
  int n = g->nclients, *day = malloc(sizeof *day * (size_t)n);
  if (!day) die("out of memory");
  for (int i = 0; i < n; i++) {
    int u = (int)rng_range(&r, 0, 9999);
    day[i] = g->today - (int)(u < 5 ? -rng_range(&r, 1, 30)
                              : u < 205 ? rng_range(&r, 0, 30) : rng_range(&r, 31, 6 * 365));
  }
  qsort(day, (size_t)n, sizeof *day, by_int);
  for (int i = 0; i < n; i++) g->plan[i].created = day[i];
  free(day);
}

/* Returns a client's yearly sales in mills: Pareto (index 1.16, "80/20") from 20,000 yuan,
   at most 500M yuan; with many clients no single one holds a notable share. */
static long long draw_sales(Rng *r) {
  double yuan = 20000.0 * pow(rng_unit(r), -1.0 / 1.16);
  return (long long)(yuan < 5e8 ? yuan : 5e8) * YUAN;
}

/* Plans client i's status, partnership and sales of the last 365 days. A few sit exactly
   on a tier threshold, or half a cent below it. */
static void plan_client(Gen *g, int i) {
  static const int status_w[] = {790, 90, 65, 55};
  static const long long edge[] = {500 * WAN, 2000 * WAN}, delta[] = {-10, -5, 0, 5};
  Plan *p = &g->plan[i];
  Rng r = stream(g, i, 0);
  int age = g->today - p->created;
  long long yearly = draw_sales(&r);
  p->approved = -1;
  if (age < 0) { p->status = ST_PROSPECT; return; }
  p->status = rng_rare(g, &r, 0.02) ? ST_DELETED : age <= 30 ? (rng_pct(&r, 60) ? ST_PROSPECT : ST_ACTIVE)
                                                      : (unsigned char)rng_pick(&r, status_w, 4);
  switch (p->status) {
  case ST_ACTIVE: p->sales12 = yearly; break;
  case ST_DORMANT: p->sales12 = rng_pct(&r, 25) ? yearly / 10 : 0; break;
  case ST_CLOSED: case ST_DELETED: p->sales12 = rng_pct(&r, 30) ? yearly / 5 : 0; break;
  default: p->sales12 = 0;
  }
  if (p->status == ST_ACTIVE && age > 30 && (p->edge = (unsigned char)rng_rare(g, &r, 0.05)))
    p->sales12 = edge[rng_range(&r, 0, 1)] + delta[rng_range(&r, 0, 3)];
  p->partner = p->status == ST_ACTIVE && age > 30 &&
               (p->sales12 >= 500 * WAN ? rng_pct(&r, 20) : p->sales12 >= 100 * WAN ? rng_pct(&r, 3)
                                                                         : rng_rare(g, &r, 0.5));
  if (p->sales12 > 0) {   /* a strategic partner orders every few weeks at least */
    long long k = (p->partner ? 12 + rng_geom(&r, 12) : 1 + rng_geom(&r, 0.8)) + p->sales12 / (40 * WAN);
    p->orders12 = (int)(k < MAX_ORDERS12 ? k : MAX_ORDERS12);
  }
}

/* Returns the tier computed from planned sales (POLICY.md), total being all sales. */
static int computed_tier(const Plan *p, long long total) {
  if (p->partner || p->sales12 * 100 > 5 * total) return TIER_STRATEGIC;
  if (p->sales12 >= 2000 * WAN || p->sales12 * 100 > 3 * total) return TIER_KEY;
  return p->sales12 >= 500 * WAN ? TIER_MAJOR : TIER_GENERAL;
}

/* Plans every client: created_on, sales, then computed, approved and followed tiers.
   Approvals: mostly none; when set, mostly the computed tier, else a stale neighbour,
   and now and then a text that is no tier name. */
static void plan_clients(Gen *g) {
  static const double approved_pct[NTIER] = {60, 60, 30, 10};
  long long total = 0;
  g->plan = calloc((size_t)g->nclients, sizeof *g->plan);
  if (!g->plan) die("out of memory");
  plan_created(g);
  for (int i = 0; i < g->nclients; i++) {
    plan_client(g, i);
    total += g->plan[i].sales12;
  }
  for (int i = 0; i < g->nclients; i++) {
    Plan *p = &g->plan[i];
    Rng r = stream(g, i, 1);
    int t = computed_tier(p, total);
    p->computed = (unsigned char)t;
    if (p->status <= ST_PROSPECT && g->today - p->created >= 365 && rng_pct(&r, approved_pct[t])) {
      int u = (int)rng_range(&r, 0, 99);
      p->approved = (signed char)(u < 75 ? t : u < 95 ? (t == 0 ? 1 : t - (t == 3) + (t != 3 && u < 85))
                                                      : 4 + (int)rng_range(&r, 0, 2));
    }
    p->tier = (unsigned char)(p->approved >= 0 && p->approved < NTIER ? p->approved : t);
  }
}

/* ---- a client's rows ---- */

/* Adds one client_staff row; until < 0 means NULL. */
static void add_staff_row(Gen *g, int i, int s, int since, int until) {
  StaffRow *x = push(g, &g->rows[T_CLIENT_STAFF], i, since * DAY);
  x->staff = s;
  x->until = until;
  x->role = g->role[s];
}

/* Gives client i a member of role: fail_pct percent of the time none is current (no
   row, an ended row, one starting after D, or a member who has left); otherwise a
   current row, sometimes after a predecessor or with a planned end after D, and now
   and then beside a second current member. */
static void assign_role(Gen *g, Rng *r, int i, int role, int fail_pct, Team *t) {
  int D = g->today, from = max_int(g->plan[i].created, D - 4 * 365), u = (int)rng_range(r, 0, 99);
  int s = pick_staff(g, r, role), since = (int)rng_range(r, from, D);
  if (s < 0) return;
  if (u < fail_pct) {
    int mode = u * 4 / fail_pct, gone = pick_inactive(g, r);
    if (mode == 1 && since < D) add_staff_row(g, i, s, since, (int)rng_range(r, since + 1, D));
    if (mode == 2) add_staff_row(g, i, s, D + (int)rng_range(r, 1, 30), -1);
    if (mode == 3 && gone >= 0 && g->role[gone] == role) add_staff_row(g, i, gone, since, -1);
    return;
  }
  if (u >= 92 && since - from > 60)
    add_staff_row(g, i, pick_staff(g, r, role), (int)rng_range(r, from, since - 30), since);
  add_staff_row(g, i, s, since, u >= 85 && u < 92 ? D + (int)rng_range(r, 1, 180) : -1);
  t->who[role] = s;
  if (rng_rare(g, r, 1))   /* a second current member: the later since, or the smaller id, counts */
    add_staff_row(g, i, pick_staff(g, r, role), rng_pct(r, 50) ? since : (int)rng_range(r, from, D), -1);
}

/* Writes client i's client_staff rows: the roles its tier requires, fallibly, and a key
   account manager for most other clients still in business. */
static void gen_team(Gen *g, Rng *r, int i, Team *t) {
  const Plan *p = &g->plan[i];
  for (int k = 0; k < NROLE; k++) t->who[k] = -1;
  if (p->status == ST_CLOSED) {
    if (rng_pct(r, 50)) {
      int since = (int)rng_range(r, p->created, g->today - 1);
      add_staff_row(g, i, pick_staff(g, r, R_KAM), since, (int)rng_range(r, since + 1, g->today));
    }
  } else if (p->tier == TIER_STRATEGIC) {
    for (int role = R_KAM; role <= R_SERVICE; role++)
      if (role != R_RESIDENT || p->sales12 >= 5000 * WAN) assign_role(g, r, i, role, 15, t);
  } else if (p->tier == TIER_KEY) {
    assign_role(g, r, i, R_KAM, 15, t);
    if (rng_pct(r, 50)) assign_role(g, r, i, R_SERVICE, 5, t);
    if (rng_pct(r, 30)) assign_role(g, r, i, R_QUALITY, 5, t);
  } else if (rng_pct(r, p->tier == TIER_MAJOR ? 95 : p->status == ST_PROSPECT ? 30 : 70)) {
    assign_role(g, r, i, R_KAM, p->tier == TIER_MAJOR ? 15 : 5, t);
    if (rng_pct(r, 5)) assign_role(g, r, i, R_SERVICE, 5, t);
  }
}

/* Adds an order of client i on day: due 15..60 days on, delivered around its due date
   (late with probability late percent), or pending; a few deliveries are already
   recorded for days after D, some are written as timestamps. */
static void add_order(Gen *g, Rng *r, int i, int day, long long mills, double late) {
  OrderRow *o = push(g, &g->rows[T_ORDERS], i, day * DAY);
  o->mills = mills;
  o->due = day + (int)rng_range(r, 15, 60);
  o->delivered = o->due + (int)(rng_pct(r, late) ? rng_range(r, 1, 10) : rng_range(r, -5, 0));
  if ((o->delivered > g->today && !rng_pct(r, 20)) || rng_pct(r, 1)) o->delivered = -1;
  o->style = rng_rare(g, r, 1) ? F_ISO : F_DATE;
}

/* Returns an amount in mills near typical (in mills): whole cents, mostly; one in a
   hundred has a third decimal, half of them a half cent (x.xx5). */
static long long order_amount(const Gen *g, Rng *r, long long typical) {
  long long cents = (long long)((double)typical * (0.5 + rng_unit(r)) / 10) + 1;
  if (!rng_rare(g, r, 1)) return cents * 10;
  return cents * 10 + (rng_pct(r, 50) ? 5 : rng_range(r, 1, 9));
}

/* Writes client i's orders: its planned sales of the last 365 days split exactly into
   orders12 orders (for a client on a threshold, whole cents but for one small order that
   carries the half cent, if any), fewer in the two years before, and now and then one
   dated after D. */
static void gen_orders(Gen *g, Rng *r, int i) {
  const Plan *p = &g->plan[i];
  int D = g->today, from = max_int(p->created, D - 364), lo = max_int(p->created, D - 3 * 365 + 1);
  long long small = p->edge ? rng_range(r, 100, 99999) * 10 + p->sales12 % 10 : 0;
  long long left = p->sales12 - small, typical = p->orders12 ? p->sales12 / p->orders12 : draw_sales(r) / 3;
  double late = p->tier == TIER_STRATEGIC ? (rng_pct(r, 30) ? 30 : 1) : p->tier == TIER_KEY ? 5 : 10;
  if (p->status == ST_PROSPECT) return;
  for (int k = p->orders12 - (small > 0); k > 0; k--) {
    long long a = k == 1 ? left : order_amount(g, r, left / k);
    if (k > 1 && (a > left / 2 || p->edge)) a = (a > left / 2 ? left / k : a) / 10 * 10;
    left -= a;
    add_order(g, r, i, (int)rng_range(r, from, D), a, late);
  }
  if (small) add_order(g, r, i, (int)rng_range(r, from, D), small, late);
  for (int y = 1; y <= 2 && D - 365 * y >= lo; y++) {
    int k = (int)((p->orders12 + rng_geom(r, 1.0)) * (0.3 + 0.7 * rng_unit(r)));
    for (int j = 0; j < k; j++)
      add_order(g, r, i, (int)rng_range(r, max_int(lo, D - 365 * (y + 1) + 1), D - 365 * y),
                order_amount(g, r, typical), late);
  }
  if (p->status == ST_ACTIVE && rng_rare(g, r, 2))
    add_order(g, r, i, D + (int)rng_range(r, 1, 10), order_amount(g, r, typical), late);
}

/* Adds a contact of client i at time at, by its usual staff member for the level. */
static void add_contact(Gen *g, Rng *r, int i, const Team *t, int level, long long at) {
  static const int role[NLEVEL] = {R_MM, R_KAM, R_TECH, R_QUALITY, R_SERVICE};
  static const int channel_w[NLEVEL][5] = {
      {50, 5, 0, 40, 5}, {40, 35, 10, 5, 10}, {25, 10, 15, 30, 20}, {45, 10, 10, 30, 5}, {45, 40, 5, 5, 5}};
  ContactRow *c = push(g, &g->rows[T_CONTACTS], i, at);
  int who = t->who[role[level]];
  c->level = (unsigned char)level;
  c->channel = (unsigned char)rng_pick(r, channel_w[level], 5);
  c->staff = rng_pct(r, 3) ? -1 : who >= 0 ? who : pick_staff(g, r, role[level]);
  c->style = (unsigned char)draw_style(g, r);
}

/* Returns how many days ago the last contact of an obligation was: mostly within the
   interval, 18% overdue, 10% twice overdue. */
static int last_contact_age(Rng *r, int interval) {
  int u = (int)rng_range(r, 0, 99);
  if (u < 72) return (int)rng_range(r, 0, interval - 1);
  if (u < 90) return (int)rng_range(r, interval, 2 * interval - 1);
  return (int)rng_range(r, 2 * interval, 3 * interval - 1);
}

/* Writes client i's contacts of the last two years by the habits of its tier: most
   clients have a few, strategic ones many; dormant and closed ones went quiet. */
static void gen_contacts(Gen *g, Rng *r, int i, const Team *t) {
  const Plan *p = &g->plan[i];
  int D = g->today, start = max_int(p->created, D - 730), quiet = 0;
  long long at;
  if (p->status == ST_DORMANT) quiet = (int)rng_range(r, 150, 600);
  if (p->status == ST_CLOSED) quiet = (int)rng_range(r, 60, 700);
  if (D - p->created <= 30) {   /* new: half are not contacted yet */
    if (rng_pct(r, 50))
      add_contact(g, r, i, t, L_ACCOUNT, rng_range(r, p->created, D) * DAY + rng_range(r, 8 * HOUR, 19 * HOUR));
    return;
  }
  for (int level = 0; level < NLEVEL; level++) {
    const int *habit = HABIT[p->tier][level];
    int interval = INTERVAL[p->tier][level], gap, last;
    if (!rng_pct(r, habit[0])) continue;
    gap = (int)exp(log(habit[1]) + rng_unit(r) * (log(habit[2]) - log(habit[1])));
    last = interval ? last_contact_age(r, interval) : (int)rng_range(r, 0, gap);
    for (int day = D - quiet - last; day >= start; day -= (int)rng_range(r, gap / 2 + 1, gap))
      add_contact(g, r, i, t, level, day * DAY + rng_range(r, 8 * HOUR, 19 * HOUR));
  }
  if (p->status == ST_ACTIVE && rng_rare(g, r, 1)) {   /* a visit logged ahead: not yet */
    at = g->now + rng_range(r, 1, 10 * DAY);
    add_contact(g, r, i, t, L_ACCOUNT, rng_pct(r, 10) ? g->now + 1 : at);
  }
}

/* Returns a complaint owner: mostly assigned staff, sometimes someone gone, or nobody. */
static int complaint_owner(const Gen *g, Rng *r, const Team *t) {
  int u = (int)rng_range(r, 0, 99);
  if (u < 15) return -1;
  if (u < 21) return pick_inactive(g, r);
  if (t->who[R_KAM] >= 0 && u < 70) return t->who[R_KAM];
  return t->who[R_SERVICE] >= 0 ? t->who[R_SERVICE] : pick_staff(g, r, rng_pct(r, 50) ? R_KAM : R_SERVICE);
}

/* Returns a time lo..hi hours before now: a third on the whole hour, the rest with
   random seconds; now and then (a rare case) within a second of an age at which a
   complaint rule changes (POLICY.md: T, T+24, T+48 for T = 12 or 24; 168, 336, 720). */
static long long hours_before_now(const Gen *g, Rng *r, long long lo, long long hi) {
  static const int edge[] = {12, 24, 36, 48, 60, 72, 168, 336, 720};
  if (rng_rare(g, r, 2)) return g->now - edge[rng_range(r, 0, COUNT(edge) - 1)] * HOUR + rng_range(r, -1, 1);
  return g->now - rng_range(r, lo, hi) * HOUR - (rng_pct(r, 33) ? 0 : rng_range(r, -HOUR / 2, HOUR / 2));
}

/* Adds one complaint of client i: 18% unanswered (mostly 2..80 hours old), 17% answered
   and open, 65% resolved (mostly in the last 90 days); a few answers or resolutions are
   dated after now. A resolution is often followed by a service call-back. */
static void add_complaint(Gen *g, Rng *r, int i, const Team *t) {
  static const int category_w[] = {35, 25, 20, 15, 5}, severity_w[] = {40, 45, 15};
  int u = (int)rng_range(r, 0, 99);
  long long open, resp = -1, done = -1, now = g->now;
  if (u < 18) {
    open = hours_before_now(g, r, 2, rng_pct(r, 80) ? 80 : 480);
  } else if (u < 35) {
    open = hours_before_now(g, r, 24, 600);
    resp = open + rng_range(r, HOUR / 2, 30 * HOUR);
  } else {
    open = now - (rng_pct(r, 90) ? rng_range(r, 8 * DAY, 90 * DAY) : rng_range(r, 90 * DAY, 365 * DAY));
    done = open + rng_range(r, 4 * HOUR, 12 * DAY);
    if (rng_pct(r, 10)) done = hours_before_now(g, r, 168, 720);
    if (done < open) done = open;
    resp = rng_pct(r, 3) ? -1 : open + rng_range(r, HOUR / 2, 24 * HOUR);
    if (resp > done) resp = done;
  }
  if (open < g->plan[i].created * DAY) return;
  if (resp > now || (resp >= 0 && rng_rare(g, r, 1))) resp = now + rng_range(r, 1, 48 * HOUR);
  if (done > now || (done >= 0 && rng_rare(g, r, 1))) done = now + rng_range(r, 1, 48 * HOUR);
  ComplaintRow *k = push(g, &g->rows[T_COMPLAINTS], i, open);
  k->resp = resp;
  k->done = done;
  k->owner = complaint_owner(g, r, t);
  k->category = (unsigned char)rng_pick(r, category_w, 5);
  k->severity = (unsigned char)rng_pick(r, severity_w, 3);
  k->style = (unsigned char)draw_style(g, r);
  if (done >= 0 && done <= now && rng_pct(r, g->plan[i].tier <= TIER_KEY ? 60 : 30)) {
    long long at = done + (rng_pct(r, 5) ? 168 * HOUR + rng_range(r, 0, 1) : rng_range(r, 2 * HOUR, 150 * HOUR));
    if (at <= now) add_contact(g, r, i, t, L_SERVICE, at);
  }
}

/* Writes client i's complaints: about 0.3 a client, more for bigger clients. */
static void gen_complaints(Gen *g, Rng *r, int i, const Team *t) {
  static const double mean[NTIER] = {2.5, 2.5, 0.8, 0.25};
  const Plan *p = &g->plan[i];
  double m = p->status == ST_ACTIVE ? mean[p->tier] : p->status == ST_DORMANT ? 0.05 : 0;
  for (int k = rng_geom(r, m); k > 0; k--) add_complaint(g, r, i, t);
}

/* Returns a satisfaction score: mostly 7..10, 12% at 6 or below. */
static int survey_score(Rng *r) {
  static const int w[] = {20, 35, 30, 15};
  return rng_pct(r, 12) ? (int)rng_range(r, 0, 6) : 7 + rng_pick(r, w, 4);
}

/* Adds a survey of client i on day. */
static void add_survey(Gen *g, Rng *r, int i, int day) {
  SurveyRow *s = push(g, &g->rows[T_SURVEYS], i, day * DAY);
  s->score = (unsigned char)survey_score(r);
}

/* Writes client i's surveys: about one a year for bigger clients (20% of strategic and
   key ones have none in the last 365 days), now and then for others; sometimes two on
   one day, and now and then one dated after D. */
static void gen_surveys(Gen *g, Rng *r, int i) {
  const Plan *p = &g->plan[i];
  int start = max_int(p->created, g->today - 4 * 365), last;
  if (p->status != ST_ACTIVE && p->status != ST_DORMANT) return;
  if (p->tier == TIER_GENERAL && !rng_pct(r, 20)) return;
  if (p->tier <= TIER_KEY) last = rng_pct(r, 20) ? (int)rng_range(r, 366, 540) : (int)rng_range(r, 0, 364);
  else last = (int)rng_range(r, 0, 900);
  if (g->today - last < start) return;
  add_survey(g, r, i, g->today - last);
  if (rng_rare(g, r, 3)) add_survey(g, r, i, g->today - last);
  for (int d = g->today - last - (int)rng_range(r, 330, 400); d >= start; d -= (int)rng_range(r, 330, 400))
    add_survey(g, r, i, d);
  if (rng_rare(g, r, 1)) add_survey(g, r, i, g->today + (int)rng_range(r, 1, 20));
}

/* Writes a credit row for 60% of clients: rating A, B or C (rarely none or a lower-case
   c), overdue payments for a third; a few assessed after D. */
static void gen_credit(Gen *g, Rng *r, int i) {
  static const int rating_w[] = {540, 390, 50, 5}, days_w[] = {55, 35, 10};
  static const int days_lo[] = {1, 31, 91}, days_hi[] = {30, 90, 150};
  if (g->plan[i].status == ST_PROSPECT || !rng_pct(r, 60)) return;
  int day = g->today - (int)(rng_rare(g, r, 0.5) ? -rng_range(r, 1, 30) : rng_range(r, 0, 364));
  CreditRow *c = push(g, &g->rows[T_CREDIT], i, day * DAY);
  c->rating = (signed char)(rng_pct(r, 2) ? -1 : rng_pick(r, rating_w, 4));
  if (rng_pct(r, 35)) {
    int band = rng_pick(r, days_w, 3);
    c->days = (int)rng_range(r, days_lo[band], days_hi[band]);
    c->owed = order_amount(g, r, 20000 * YUAN + g->plan[i].sales12 / 20);
  }
}

/* Buffers every row of client i (a deleted client keeps only its orders). */
static void gen_client(Gen *g, int i) {
  Rng r = stream(g, i, 5);
  Team t;
  g->seq = 0;
  if (g->plan[i].created > g->today) return;   /* a client of the future has no facts yet */
  if (g->plan[i].status == ST_DELETED) {
    gen_orders(g, &r, i);
    return;
  }
  gen_team(g, &r, i, &t);
  gen_orders(g, &r, i);
  gen_contacts(g, &r, i, &t);
  gen_complaints(g, &r, i, &t);
  gen_surveys(g, &r, i);
  gen_credit(g, &r, i);
}

/* ---- the database ---- */

/* Binds values by types ('t' text or NULL, 'i' int, 'I' int or NULL when negative,
   'm' mills as REAL yuan, 'M' the same or NULL when zero) and inserts one row. */
static void put_row(Gen *g, int table, const char *types, ...) {
  sqlite3_stmt *st = g->ins[table];
  int rc = SQLITE_OK;
  va_list ap;
  va_start(ap, types);
  for (int k = 0; types[k] && rc == SQLITE_OK; k++) {
    if (types[k] == 't') {
      const char *s = va_arg(ap, const char *);
      rc = s ? sqlite3_bind_text(st, k + 1, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, k + 1);
    } else if (types[k] == 'm' || types[k] == 'M') {
      long long mills = va_arg(ap, long long);
      rc = types[k] == 'M' && mills == 0 ? sqlite3_bind_null(st, k + 1)
                                         : sqlite3_bind_double(st, k + 1, (double)mills / 1000.0);
    } else {
      int v = va_arg(ap, int);
      rc = types[k] == 'I' && v < 0 ? sqlite3_bind_null(st, k + 1) : sqlite3_bind_int(st, k + 1, v);
    }
  }
  va_end(ap);
  if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE) rc = SQLITE_ERROR;
  if (rc != SQLITE_OK) die("insert into %s: %s", TABLE[table], sqlite3_errmsg(g->db));
  sqlite3_reset(st);
  g->count[table]++;
}

/* Writes the staff rows, with Chinese personal names. */
static void write_staff(Gen *g) {
  for (int s = 0; s < g->nstaff; s++) {
    Rng r = stream(g, s, 6);
    char id[32], mgr[32], name[32];
    snprintf(name, sizeof name, "%s%s%s", SURNAME[rng_range(&r, 0, COUNT(SURNAME) - 1)],
             GIVEN[rng_range(&r, 0, COUNT(GIVEN) - 1)], rng_pct(&r, 70) ? GIVEN[rng_range(&r, 0, COUNT(GIVEN) - 1)] : "");
    put_row(g, T_STAFF, "ttttiI", staff_id(id, s), name, ROLE[g->role[s]], staff_id(mgr, g->manager[s]),
            g->active[s], staff_capacity(&r, g->role[s]));
  }
}

/* Writes the clients rows in id order, with made-up company names. */
static void write_clients(Gen *g) {
  for (int i = 0; i < g->nclients; i++) {
    const Plan *p = &g->plan[i];
    Rng r = stream(g, i, 7);
    int city = (int)rng_range(&r, 0, COUNT(CITY) - 1), kind = (int)rng_range(&r, 0, COUNT(SUFFIX) - 1);
    char id[32], name[128], on[32];
    if (p->status == ST_DELETED) continue;
    snprintf(name, sizeof name, "%s%s%s", CITY[city], WORD[rng_range(&r, 0, COUNT(WORD) - 1)], SUFFIX[kind]);
    put_row(g, T_CLIENTS, "ttttttitt", fmt_id(id, 'C', 7, i + 1), name, SEGMENT[kind],
            kind == 3 ? "property" : "elevator", REGION[city], STATUS[p->status], p->partner,
            p->approved < 0 ? NULL : APPROVED[p->approved], fmt_date(on, p->created));
  }
}

/* Writes one buffered row x of table t; n is its 1-based position (its id number). */
static void write_row(Gen *g, int t, const void *x, long long n) {
  char id[32], cid[32], sid[32], a[40], b[40], c[40];
  const Key *k = x;
  fmt_id(cid, 'C', 7, k->client + 1);
  if (t == T_CLIENT_STAFF) {
    const StaffRow *s = x;
    put_row(g, t, "ttttt", cid, staff_id(sid, s->staff), ROLE[s->role], fmt_date(a, (int)(k->at / DAY)),
            s->until < 0 ? NULL : fmt_date(b, s->until));
  } else if (t == T_ORDERS) {
    const OrderRow *o = x;
    put_row(g, t, "tttmtt", fmt_id(id, 'O', 9, n), cid, fmt_date(a, (int)(k->at / DAY)), o->mills,
            fmt_date(b, o->due), o->delivered < 0 ? NULL : fmt_time(c, o->delivered * DAY + 17 * HOUR, o->style));
  } else if (t == T_CONTACTS) {
    const ContactRow *v = x;
    put_row(g, t, "tttttt", fmt_id(id, 'V', 9, n), cid, staff_id(sid, v->staff), LEVEL[v->level],
            CHANNEL[v->channel], fmt_time(a, k->at, v->style));
  } else if (t == T_COMPLAINTS) {
    const ComplaintRow *q = x;
    put_row(g, t, "tttttttt", fmt_id(id, 'K', 8, n), cid, CATEGORY[q->category], SEVERITY[q->severity],
            fmt_time(a, k->at, q->style), q->resp < 0 ? NULL : fmt_time(b, q->resp, F_ISO),
            q->done < 0 ? NULL : fmt_time(c, q->done, F_ISO), staff_id(sid, q->owner));
  } else if (t == T_SURVEYS) {
    const SurveyRow *s = x;
    put_row(g, t, "ttti", fmt_id(id, 'Q', 8, n), cid, fmt_date(a, (int)(k->at / DAY)), s->score);
  } else {
    const CreditRow *r = x;
    put_row(g, t, "ttMit", cid, r->rating < 0 ? NULL : RATING[r->rating], r->owed, r->days,
            fmt_date(a, (int)(k->at / DAY)));
  }
}

/* Sorts table t's buffered rows by time, writes them (ids follow time) and frees them. */
static void write_table(Gen *g, int t) {
  Vec *v = &g->rows[t];
  qsort(v->p, v->n, v->size, by_key);
  for (size_t j = 0; j < v->n; j++) write_row(g, t, v->p + j * v->size, (long long)j + 1);
  free(v->p);
  *v = (Vec){NULL, 0, 0, v->size};
}

/* Returns the whole text of the file at path (malloc'd), or dies. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  if (!f) die("cannot read %s: %s", path, strerror(errno));
  do {
    if (len + 4097 > cap && !(text = realloc(text, cap = 2 * cap + 4097))) die("out of memory");
    len += got = fread(text + len, 1, cap - len - 1, f);
  } while (got > 0);
  if (ferror(f)) die("cannot read %s: %s", path, strerror(errno));
  fclose(f);
  text[len] = '\0';
  return text;
}

/* Runs sql or dies saying what failed. */
static void exec_sql(Gen *g, const char *sql, const char *what) {
  char *err = NULL;
  if (sqlite3_exec(g->db, sql, NULL, NULL, &err) != SQLITE_OK) die("%s: %s", what, err ? err : "failed");
}

/* Opens a new database at the output's temporary name with the contract's tables; the
   contract's indexes are dropped and their SQL returned (malloc'd), to be created after
   the inserts, which is faster. */
static char *open_db(Gen *g, const Options *o) {
  char *schema = read_text(o->schema), *indexes = NULL;
  size_t len = 0;
  sqlite3_stmt *st;
  snprintf(g->tmp, sizeof g->tmp, "%s.tmp", o->out);
  remove(g->tmp);
  live = g;
  if (sqlite3_open(g->tmp, &g->db) != SQLITE_OK) die("cannot open %s: %s", g->tmp, sqlite3_errmsg(g->db));
  exec_sql(g, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144", "pragmas");
  exec_sql(g, schema, o->schema);
  free(schema);
  if (sqlite3_prepare_v2(g->db, "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL",
                         -1, &st, NULL) != SQLITE_OK)
    die("schema: %s", sqlite3_errmsg(g->db));
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0), *sql = (const char *)sqlite3_column_text(st, 1);
    char drop[512];
    if (!(indexes = realloc(indexes, len + strlen(sql) + 3))) die("out of memory");
    len += (size_t)sprintf(indexes + len, "%s;\n", sql);
    snprintf(drop, sizeof drop, "DROP INDEX \"%s\"", name);
    sqlite3_reset(st);   /* the schema changes under the statement: start again */
    exec_sql(g, drop, "drop index");
  }
  sqlite3_finalize(st);
  for (int t = 0; t < NTAB; t++)
    if (sqlite3_prepare_v2(g->db, INSERT[t], -1, &g->ins[t], NULL) != SQLITE_OK)
      die("prepare insert into %s: %s", TABLE[t], sqlite3_errmsg(g->db));
  return indexes;
}

/* ---- main ---- */

/* Prints usage and exits 1. */
static void usage(void) {
  die("usage: gen -o OUT.db [-n CLIENTS] [-s schema/facts.sql] [--seed N] [--as-of YYYY-MM-DD] [--rare F]");
}

/* Parses a decimal number in [lo, hi] or dies naming the option. */
static unsigned long long parse_number(const char *s, const char *opt, unsigned long long lo,
                                       unsigned long long hi) {
  char *end;
  unsigned long long v;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi)
    die("%s: expected a number in %llu..%llu, got '%s'", opt, lo, hi, s);
  return v;
}

/* Parses a strict YYYY-MM-DD (years 1980..9990) into a day number, or dies. */
static int parse_as_of(const char *s) {
  int y, m, d, n = 0;
  char back[32];
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen(s) != 10 || y < 1980 ||
      y > 9990 || m < 1 || m > 12 || d < 1 || d > 31 || strcmp(fmt_date(back, days_from_civil(y, m, d)), s))
    die("--as-of: expected YYYY-MM-DD, got '%s'", s);
  return days_from_civil(y, m, d);
}

/* Fills o from the command line, or dies with usage. */
static void parse_args(int argc, char **argv, Options *o) {
  *o = (Options){"schema/facts.sql", NULL, 10000, days_from_civil(2026, 11, 15), 42, 1};
  for (int i = 1; i < argc; i += 2) {
    const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) usage();
    if (strcmp(opt, "-s") == 0) o->schema = val;
    else if (strcmp(opt, "-o") == 0) o->out = val;
    else if (strcmp(opt, "-n") == 0) o->nclients = (int)parse_number(val, opt, 1, MAX_CLIENTS);
    else if (strcmp(opt, "--seed") == 0) o->seed = parse_number(val, opt, 0, UINT64_MAX);
    else if (strcmp(opt, "--as-of") == 0) o->today = parse_as_of(val);
    else if (strcmp(opt, "--rare") == 0) o->rare = (double)parse_number(val, opt, 1, 100);
    else usage();
  }
  if (!o->out) usage();
}

/* Generates the database described by the options and prints the row counts. */
int main(int argc, char **argv) {
  static const size_t size[NTAB] = {0, 0, sizeof(StaffRow), sizeof(OrderRow), sizeof(ContactRow),
                                    sizeof(ComplaintRow), sizeof(SurveyRow), sizeof(CreditRow)};
  Options o;
  Gen g;
  char *indexes;
  parse_args(argc, argv, &o);
  memset(&g, 0, sizeof g);
  for (int t = 0; t < NTAB; t++) g.rows[t].size = size[t];
  g.seed = o.seed;
  g.rare = o.rare;
  g.today = o.today;
  g.now = o.today * DAY + DAY - 1;
  g.nclients = o.nclients;
  g.nstaff = max_int(40, o.nclients / 25);
  indexes = open_db(&g, &o);
  gen_staff(&g);
  plan_clients(&g);
  for (int i = 0; i < g.nclients; i++) gen_client(&g, i);
  exec_sql(&g, "BEGIN", "begin");
  write_staff(&g);
  write_clients(&g);
  for (int t = T_CLIENT_STAFF; t < NTAB; t++) write_table(&g, t);
  exec_sql(&g, "COMMIT", "commit");
  if (indexes) exec_sql(&g, indexes, "create indexes");
  for (int t = 0; t < NTAB; t++) sqlite3_finalize(g.ins[t]);
  if (sqlite3_close(g.db) != SQLITE_OK) die("close: %s", sqlite3_errmsg(g.db));
  if (rename(g.tmp, o.out) != 0) die("cannot rename %s to %s: %s", g.tmp, o.out, strerror(errno));
  for (int t = 0; t < NTAB; t++) printf("%s%s=%lld", t ? " " : "", TABLE[t], g.count[t]);
  putchar('\n');
  free(indexes);
  free(g.plan), free(g.role), free(g.active), free(g.manager), free(g.pool);
  return 0;
}
