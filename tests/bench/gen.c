/* gen.c: deterministic generator of large facts databases (schema/facts.sql) for the benchmarks.
 *
 *   gen -o OUT.db [-n CLIENTS] [-s schema/facts.sql] [--seed N] [--as-of YYYY-MM-DD]
 *       [--rare F] [--layout time|client]
 *
 * About 12.6 fact rows a client, with N/25 staff. Sales are heavy-tailed (Pareto, so
 * that with many clients no share threshold is reached), 0.5% of clients are strategic
 * partners, most have a few contacts and strategic ones many; complaints, surveys and
 * credit rows as a CRM has them. Rows are inserted in time order, as a CRM fills its
 * tables, so that a client's rows are scattered over each table (--layout client: a
 * client's rows together, as after a copy sorted by client, which SQLite reads in client
 * order several times faster); the contract's indexes are created after the inserts. The same
 * arguments give the same database; each client's rows come from its own random stream. Rare cases
 * that the policy must get right (amounts of x.xx5, sales exactly on a tier threshold, facts dated
 * after the as-of time, times written with a space, a fraction or as a bare date, orders of deleted
 * clients) occur now and then; --rare F makes them F times as frequent, for the differential test.
 * The file is written as OUT.db.tmp and renamed when complete.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define MAX_CLIENTS 9999999 /* client ids are C and 7 digits */

static const char *const TABLE[NTAB] = {"staff",    "clients",    "client_staff", "orders",
                                        "contacts", "complaints", "surveys",      "credit"};
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
    "INSERT INTO credit(client_id,rating,overdue_amount,overdue_days,assessed_on) "
    "VALUES(?,?,?,?,?)"};
static const char *const ROLE[NROLE] = {
    "general_manager", "marketing_vp",  "marketing_manager", "key_account_manager",
    "resident_rep",    "tech_engineer", "quality_engineer",  "service_engineer"};
/* approved_tier texts: the four tiers, then texts that are no tier (case matters). */
static const char *const APPROVED[] = {"strategic", "key", "major", "general",
                                       "Strategic", "",    "vip"};
static const char *const STATUS[] = {"active", "dormant", "prospect", "closed"};
static const char *const LEVEL[NLEVEL] = {"executive", "account", "technical", "quality",
                                          "service"};
static const char *const CHANNEL[] = {"visit", "call", "email", "meeting", "video"};
static const char *const CATEGORY[] = {"quality", "delivery", "service", "technical", "billing"};
static const char *const SEVERITY[] = {"low", "medium", "high"};
static const char *const RATING[] = {"A", "B", "C", "c"};
static const char *const CITY[] = {"上海", "苏州", "杭州", "广州", "深圳", "北京", "天津", "武汉",
                                   "成都", "重庆", "西安", "沈阳", "青岛", "南京", "长沙", "郑州"};
static const char *const REGION[] = {"华东", "华东", "华东", "华南", "华南", "华北",
                                     "华北", "华中", "西南", "西南", "西北", "东北",
                                     "华东", "华东", "华中", "华中"};
static const char *const WORD[] = {"恒达", "华升", "永盛", "中恒", "鼎力", "安达", "宏运", "金鼎",
                                   "凯盛", "瑞升", "昌隆", "广顺", "天宇", "嘉禾", "东升", "鑫源"};
static const char *const SUFFIX[] = {"电梯有限公司", "机电设备有限公司", "电梯工程有限公司",
                                     "物业管理有限公司"};
static const char *const SEGMENT[] = {"OEM", "maintenance", "installer", "property"};
static const char *const SURNAME[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
static const char *const GIVEN[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇",
                                    "杰", "涛", "明", "超", "华", "建", "国", "文", "辉", "鹏"};

/* The command line. */
typedef struct {
  const char *schema, *out; /* -s, -o */
  int nclients, today;      /* -n; --as-of as a civil day number */
  uint64_t seed;            /* --seed */
  double rare;              /* --rare */
  int by_client;            /* --layout client */
} Options;

static Gen *live; /* the run to clean up when dying */

void die(const char *fmt, ...)
{
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

/* ---- dates (civil day numbers, 0 = 1970-01-01) and texts ---- */

/* Returns the day number of year y, month m, day d. */
static int days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Writes day z as YYYY-MM-DD into buf (32 bytes) and returns buf. */
static char *fmt_date(char *buf, int z)
{
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  snprintf(buf, 32, "%04d-%02d-%02d", yoe + era * 400 + (m <= 2), m, d);
  return buf;
}

/* Writes time t (seconds) in the given F_* style into buf (40 bytes) and returns buf. */
static char *fmt_time(char *buf, long long t, int style)
{
  int sod = (int)(t % DAY);
  fmt_date(buf, (int)(t / DAY));
  if (style == F_DATE)
    return buf;
  snprintf(buf + 10, 30, "%c%02d:%02d:%02d%s", style == F_SPACE ? ' ' : 'T', sod / 3600,
           sod / 60 % 60, sod % 60, style == F_FRACTION ? ".250" : "");
  return buf;
}

/* Writes an id such as C0000042 into buf (32 bytes) and returns it. */
static char *fmt_id(char *buf, char prefix, int width, long long n)
{
  snprintf(buf, 32, "%c%0*lld", prefix, width, n);
  return buf;
}

/* Writes staff index s as its id into buf, or returns NULL for s < 0. */
static char *staff_id(char *buf, int s)
{
  return s < 0 ? NULL : fmt_id(buf, 'S', 6, s + 1);
}

/* ---- buffers ---- */

void *push(Gen *g, Vec *v, int i, long long at)
{
  if (v->n == v->cap) {
    char *grown = realloc(v->p, (v->cap = 2 * v->cap + 1024) * v->size);
    if (!grown)
      die("out of memory");
    v->p = grown;
  }
  Key *k = memset(v->p + v->n++ * v->size, 0, v->size);
  *k = (Key){at, i, g->seq++};
  return k;
}

/* Orders rows by time, then client, then generation order: a total, deterministic order. */
static int by_key(const void *a, const void *b)
{
  const Key *x = a, *y = b;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  if (x->client != y->client)
    return x->client < y->client ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Orders rows by client, then time, then generation order (--layout client). */
static int by_client(const void *a, const void *b)
{
  const Key *x = a, *y = b;
  if (x->client != y->client)
    return x->client < y->client ? -1 : 1;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* ---- staff ---- */

int pick_staff(const Gen *g, Rng *r, int role)
{
  int n = g->pool_at[role + 1] - g->pool_at[role];
  return n ? g->pool[g->pool_at[role] + rng_range(r, 0, n - 1)] : -1;
}

int pick_inactive(const Gen *g, Rng *r)
{
  for (int tries = 0; tries < 8; tries++) {
    int s = (int)rng_range(r, 0, g->nstaff - 1);
    if (!g->active[s])
      return s;
  }
  return -1;
}

/* Plans the staff: S000001 general manager, S000002 a former VP, S000003 the VP,
 * marketing managers (the last one gone), then field staff by role quota (4% gone),
 * each reporting to a marketing manager; groups the active ones by role. */
static void plan_staff(Gen *g)
{
  static const int quota[] = {38, 10, 14, 14}; /* percent KAM, resident, tech, quality */
  Rng r = stream(g, -1, 2);
  int n = g->nstaff, nmm = max_int(3, n / 20), at[NROLE] = {0};
  g->role = malloc((size_t)n);
  g->active = malloc((size_t)n);
  g->manager = malloc(sizeof *g->manager * (size_t)n);
  g->pool = malloc(sizeof *g->pool * (size_t)n);
  if (!g->role || !g->active || !g->manager || !g->pool)
    die("out of memory");
  for (int s = 0; s < n; s++) {
    int f = s - 3 - nmm, k = f * 100 / max_int(1, n - 3 - nmm), role = R_SERVICE;
    for (int q = 0, sum = 0; q < COUNT(quota); q++)
      if (k < (sum += quota[q]) && role == R_SERVICE)
        role = R_KAM + q;
    g->role[s] = (unsigned char)(s == 0 ? R_GM : s < 3 ? R_VP : f < 0 ? R_MM : role);
    g->active[s] = s == 1 ? 0 : s == 2 + nmm ? 0 : f < 0 ? 1 : !rng_pct(&r, 4);
    g->manager[s] = s == 0 ? -1 : s < 3 ? 0 : f < 0 ? 2 : 3 + f % nmm;
  }
  for (int s = 0; s < n; s++)
    at[g->role[s]] += g->active[s];
  for (int k = 0; k < NROLE; k++)
    g->pool_at[k + 1] = g->pool_at[k] + at[k];
  memset(at, 0, sizeof at);
  for (int s = 0; s < n; s++)
    if (g->active[s])
      g->pool[g->pool_at[g->role[s]] + at[g->role[s]]++] = s;
}

/* Returns a capacity for a member of role, or -1 for none (no limit). */
static int staff_capacity(Rng *r, int role)
{
  if (role == R_KAM)
    return rng_pct(r, 10) ? -1 : (int)rng_range(r, 60, 150);
  if (role == R_RESIDENT)
    return rng_pct(r, 25) ? -1 : (int)rng_range(r, 1, 3);
  if (role >= R_TECH)
    return rng_pct(r, 10) ? -1 : (int)rng_range(r, 20, 80);
  return -1;
}

/* ---- planning clients ---- */

/* Compares two ints, for qsort. */
static int by_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Draws created_on for every client (2% in the last 30 days, 1 in 2000 after D, the rest
 * over six years) and sorts them, so that ids follow creation as in a CRM. */
static void plan_created(Gen *g)
{
  Rng r = stream(g, -1, 3);
  int n = g->nclients, *day = malloc(sizeof *day * (size_t)n);
  if (!day)
    die("out of memory");
  for (int i = 0; i < n; i++) {
    int u = (int)rng_range(&r, 0, 9999);
    day[i] = g->today - (int)(u < 5     ? -rng_range(&r, 1, 30)
                              : u < 205 ? rng_range(&r, 0, 30)
                                        : rng_range(&r, 31, 6 * 365));
  }
  qsort(day, (size_t)n, sizeof *day, by_int);
  for (int i = 0; i < n; i++)
    g->plan[i].created = day[i];
  free(day);
}

/* Returns a client's yearly sales in mills: Pareto (index 1.16, "80/20") from 20,000 yuan,
 * at most 500M yuan; with many clients no single one holds a notable share. */
long long draw_sales(Rng *r)
{
  double yuan = 20000.0 * pow(rng_unit(r), -1.0 / 1.16);
  return (long long)(yuan < 5e8 ? yuan : 5e8) * YUAN;
}

/* Plans client i's status, partnership and sales of the last 365 days. A few sit exactly
 * on a tier threshold, or half a cent below it. */
static void plan_client(Gen *g, int i)
{
  static const int status_w[] = {790, 90, 65, 55};
  static const long long edge[] = {500 * WAN, 2000 * WAN}, delta[] = {-10, -5, 0, 5};
  Plan *p = &g->plan[i];
  Rng r = stream(g, i, 0);
  int age = g->today - p->created;
  long long yearly = draw_sales(&r);
  p->approved = -1;
  if (age < 0) {
    p->status = ST_PROSPECT;
    return;
  }
  p->status = rng_rare(g, &r, 0.02) ? ST_DELETED
              : age <= 30           ? (rng_pct(&r, 60) ? ST_PROSPECT : ST_ACTIVE)
                                    : (unsigned char)rng_pick(&r, status_w, 4);
  switch (p->status) {
  case ST_ACTIVE:
    p->sales12 = yearly;
    break;
  case ST_DORMANT:
    p->sales12 = rng_pct(&r, 25) ? yearly / 10 : 0;
    break;
  case ST_CLOSED:
  case ST_DELETED:
    p->sales12 = rng_pct(&r, 30) ? yearly / 5 : 0;
    break;
  default:
    p->sales12 = 0;
  }
  if (p->status == ST_ACTIVE && age > 30 && (p->edge = (unsigned char)rng_rare(g, &r, 0.05)))
    p->sales12 = edge[rng_range(&r, 0, 1)] + delta[rng_range(&r, 0, 3)];
  p->partner = p->status == ST_ACTIVE && age > 30 &&
               (p->sales12 >= 500 * WAN   ? rng_pct(&r, 20)
                : p->sales12 >= 100 * WAN ? rng_pct(&r, 3)
                                          : rng_rare(g, &r, 0.5));
  if (p->sales12 > 0) { /* a strategic partner orders every few weeks at least */
    long long k =
        (p->partner ? 12 + rng_geom(&r, 12) : 1 + rng_geom(&r, 0.8)) + p->sales12 / (40 * WAN);
    p->orders12 = (int)(k < MAX_ORDERS12 ? k : MAX_ORDERS12);
  }
}

/* Returns the tier computed from planned sales (rules/POLICY.md), total being all sales. */
static int computed_tier(const Plan *p, long long total)
{
  if (p->partner || p->sales12 * 100 > 5 * total)
    return TIER_STRATEGIC;
  if (p->sales12 >= 2000 * WAN || p->sales12 * 100 > 3 * total)
    return TIER_KEY;
  return p->sales12 >= 500 * WAN ? TIER_MAJOR : TIER_GENERAL;
}

/* Returns an approved_tier (an index in APPROVED) for a client whose computed tier is t:
 * mostly t, else a stale neighbouring tier, now and then a text that is no tier name. */
static int draw_approved(Rng *r, int t)
{
  int u = (int)rng_range(r, 0, 99);
  if (u < 75)
    return t;
  if (u < 95)
    return t == 0 ? 1 : t == NTIER - 1 ? t - 1 : t + (u < 85 ? 1 : -1);
  return NTIER + (int)rng_range(r, 0, COUNT(APPROVED) - NTIER - 1);
}

/* Plans every client: created_on, sales, then computed, approved (for some clients older
 * than a year, more often the bigger ones) and followed tiers. */
static void plan_clients(Gen *g)
{
  static const double approved_pct[NTIER] = {60, 60, 30, 10};
  long long total = 0;
  g->plan = calloc((size_t)g->nclients, sizeof *g->plan);
  if (!g->plan)
    die("out of memory");
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
    if (p->status <= ST_PROSPECT && g->today - p->created >= 365 && rng_pct(&r, approved_pct[t]))
      p->approved = (signed char)draw_approved(&r, t);
    p->tier = (unsigned char)(p->approved >= 0 && p->approved < NTIER ? p->approved : t);
  }
}

/* ---- the database ---- */

/* Binds values by types ('t' text or NULL, 'i' int, 'I' int or NULL when negative,
 * 'm' mills as REAL yuan, 'M' the same or NULL when zero) and inserts one row. */
static void put_row(Gen *g, int table, const char *types, ...)
{
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
  if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE)
    rc = SQLITE_ERROR;
  if (rc != SQLITE_OK)
    die("insert into %s: %s", TABLE[table], sqlite3_errmsg(g->db));
  sqlite3_reset(st);
  g->count[table]++;
}

/* Writes the staff rows, with Chinese personal names. */
static void write_staff(Gen *g)
{
  for (int s = 0; s < g->nstaff; s++) {
    Rng r = stream(g, s, 6);
    char id[32], mgr[32], name[32];
    snprintf(name, sizeof name, "%s%s%s", SURNAME[rng_range(&r, 0, COUNT(SURNAME) - 1)],
             GIVEN[rng_range(&r, 0, COUNT(GIVEN) - 1)],
             rng_pct(&r, 70) ? GIVEN[rng_range(&r, 0, COUNT(GIVEN) - 1)] : "");
    put_row(g, T_STAFF, "ttttiI", staff_id(id, s), name, ROLE[g->role[s]],
            staff_id(mgr, g->manager[s]), g->active[s], staff_capacity(&r, g->role[s]));
  }
}

/* Writes the clients rows in id order, with made-up company names. */
static void write_clients(Gen *g)
{
  for (int i = 0; i < g->nclients; i++) {
    const Plan *p = &g->plan[i];
    Rng r = stream(g, i, 7);
    int city = (int)rng_range(&r, 0, COUNT(CITY) - 1),
        kind = (int)rng_range(&r, 0, COUNT(SUFFIX) - 1);
    char id[32], name[128], on[32];
    if (p->status == ST_DELETED)
      continue;
    snprintf(name, sizeof name, "%s%s%s", CITY[city], WORD[rng_range(&r, 0, COUNT(WORD) - 1)],
             SUFFIX[kind]);
    put_row(g, T_CLIENTS, "ttttttitt", fmt_id(id, 'C', 7, i + 1), name, SEGMENT[kind],
            kind == 3 ? "property" : "elevator", REGION[city], STATUS[p->status], p->partner,
            p->approved < 0 ? NULL : APPROVED[p->approved], fmt_date(on, p->created));
  }
}

/* Writes one buffered row x of table t; n is its 1-based position (its id number). */
static void write_row(Gen *g, int t, const void *x, long long n)
{
  char id[32], cid[32], sid[32], a[40], b[40], c[40];
  const Key *k = x;
  fmt_id(cid, 'C', 7, k->client + 1);
  if (t == T_CLIENT_STAFF) {
    const StaffRow *s = x;
    put_row(g, t, "ttttt", cid, staff_id(sid, s->staff), ROLE[s->role],
            fmt_date(a, (int)(k->at / DAY)), s->until < 0 ? NULL : fmt_date(b, s->until));
  } else if (t == T_ORDERS) {
    const OrderRow *o = x;
    put_row(g, t, "tttmtt", fmt_id(id, 'O', 9, n), cid, fmt_date(a, (int)(k->at / DAY)), o->mills,
            fmt_date(b, o->due),
            o->delivered < 0 ? NULL : fmt_time(c, o->delivered * DAY + 17 * HOUR, o->style));
  } else if (t == T_CONTACTS) {
    const ContactRow *v = x;
    put_row(g, t, "tttttt", fmt_id(id, 'V', 9, n), cid, staff_id(sid, v->staff), LEVEL[v->level],
            CHANNEL[v->channel], fmt_time(a, k->at, v->style));
  } else if (t == T_COMPLAINTS) {
    const ComplaintRow *q = x;
    put_row(g, t, "tttttttt", fmt_id(id, 'K', 8, n), cid, CATEGORY[q->category],
            SEVERITY[q->severity], fmt_time(a, k->at, q->style),
            q->resp < 0 ? NULL : fmt_time(b, q->resp, F_ISO),
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

/* Sorts table t's buffered rows by time (or by client), writes them (ids follow that
 * order) and frees them. */
static void write_table(Gen *g, int t)
{
  Vec *v = &g->rows[t];
  qsort(v->p, v->n, v->size, g->by_client ? by_client : by_key);
  for (size_t j = 0; j < v->n; j++)
    write_row(g, t, v->p + j * v->size, (long long)j + 1);
  free(v->p);
  *v = (Vec){NULL, 0, 0, v->size};
}

/* Returns the whole text of the file at path (malloc'd), or dies. */
static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  if (!f)
    die("cannot read %s: %s", path, strerror(errno));
  do {
    if (len + 4097 > cap && !(text = realloc(text, cap = 2 * cap + 4097)))
      die("out of memory");
    len += got = fread(text + len, 1, cap - len - 1, f);
  } while (got > 0);
  if (ferror(f))
    die("cannot read %s: %s", path, strerror(errno));
  fclose(f);
  text[len] = '\0';
  return text;
}

/* Runs sql or dies saying what failed. */
static void exec_sql(Gen *g, const char *sql, const char *what)
{
  char *err = NULL;
  if (sqlite3_exec(g->db, sql, NULL, NULL, &err) != SQLITE_OK)
    die("%s: %s", what, err ? err : "failed");
}

/* Opens a new database at the output's temporary name with the contract's tables; the
 * contract's indexes are dropped and their SQL returned (malloc'd), to be created after
 * the inserts, which is faster. */
static char *open_db(Gen *g, const Options *o)
{
  char *schema = read_text(o->schema), *indexes = NULL;
  size_t len = 0;
  sqlite3_stmt *st;
  snprintf(g->tmp, sizeof g->tmp, "%s.tmp", o->out);
  remove(g->tmp);
  live = g;
  if (sqlite3_open(g->tmp, &g->db) != SQLITE_OK)
    die("cannot open %s: %s", g->tmp, sqlite3_errmsg(g->db));
  exec_sql(g, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144",
           "pragmas");
  exec_sql(g, schema, o->schema);
  free(schema);
  if (sqlite3_prepare_v2(
          g->db, "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL", -1,
          &st, NULL) != SQLITE_OK)
    die("schema: %s", sqlite3_errmsg(g->db));
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0),
               *sql = (const char *)sqlite3_column_text(st, 1);
    char drop[512];
    if (!(indexes = realloc(indexes, len + strlen(sql) + 3)))
      die("out of memory");
    len += (size_t)sprintf(indexes + len, "%s;\n", sql);
    snprintf(drop, sizeof drop, "DROP INDEX \"%s\"", name);
    sqlite3_reset(st); /* the schema changes under the statement: start again */
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
static void usage(void)
{
  die("usage: gen -o OUT.db [-n CLIENTS] [-s schema/facts.sql] [--seed N] [--as-of YYYY-MM-DD] "
      "[--rare F] [--layout time|client]");
}

/* Parses a decimal number in [lo, hi] or dies naming the option. */
static unsigned long long parse_number(const char *s, const char *opt, unsigned long long lo,
                                       unsigned long long hi)
{
  char *end;
  unsigned long long v;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi)
    die("%s: expected a number in %llu..%llu, got '%s'", opt, lo, hi, s);
  return v;
}

/* Parses a strict YYYY-MM-DD (years 1980..9990) into a day number, or dies. */
static int parse_as_of(const char *s)
{
  int y, m, d, n = 0;
  char back[32];
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen(s) != 10 || y < 1980 ||
      y > 9990 || m < 1 || m > 12 || d < 1 || d > 31 ||
      strcmp(fmt_date(back, days_from_civil(y, m, d)), s))
    die("--as-of: expected YYYY-MM-DD, got '%s'", s);
  return days_from_civil(y, m, d);
}

/* Fills o from the command line, or dies with usage. */
static void parse_args(int argc, char **argv, Options *o)
{
  *o = (Options){"schema/facts.sql", NULL, 10000, days_from_civil(2026, 11, 15), 42, 1, 0};
  for (int i = 1; i < argc; i += 2) {
    const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val)
      usage();
    if (strcmp(opt, "-s") == 0)
      o->schema = val;
    else if (strcmp(opt, "-o") == 0)
      o->out = val;
    else if (strcmp(opt, "-n") == 0)
      o->nclients = (int)parse_number(val, opt, 1, MAX_CLIENTS);
    else if (strcmp(opt, "--seed") == 0)
      o->seed = parse_number(val, opt, 0, UINT64_MAX);
    else if (strcmp(opt, "--as-of") == 0)
      o->today = parse_as_of(val);
    else if (strcmp(opt, "--rare") == 0)
      o->rare = (double)parse_number(val, opt, 1, 100);
    else if (strcmp(opt, "--layout") == 0 && (!strcmp(val, "time") || !strcmp(val, "client")))
      o->by_client = !strcmp(val, "client");
    else
      usage();
  }
  if (!o->out)
    usage();
}

/* Generates the database described by the options and prints the row counts. */
int main(int argc, char **argv)
{
  static const size_t size[NTAB] = {0,
                                    0,
                                    sizeof(StaffRow),
                                    sizeof(OrderRow),
                                    sizeof(ContactRow),
                                    sizeof(ComplaintRow),
                                    sizeof(SurveyRow),
                                    sizeof(CreditRow)};
  Options o;
  Gen g;
  char *indexes;
  parse_args(argc, argv, &o);
  memset(&g, 0, sizeof g);
  for (int t = 0; t < NTAB; t++)
    g.rows[t].size = size[t];
  g.seed = o.seed;
  g.rare = o.rare;
  g.by_client = o.by_client;
  g.today = o.today;
  g.now = o.today * DAY + DAY - 1;
  g.nclients = o.nclients;
  g.nstaff = max_int(40, o.nclients / 25);
  indexes = open_db(&g, &o);
  plan_staff(&g);
  plan_clients(&g);
  for (int i = 0; i < g.nclients; i++)
    gen_client(&g, i);
  exec_sql(&g, "BEGIN", "begin");
  write_staff(&g);
  write_clients(&g);
  for (int t = T_CLIENT_STAFF; t < NTAB; t++)
    write_table(&g, t);
  exec_sql(&g, "COMMIT", "commit");
  if (indexes)
    exec_sql(&g, indexes, "create indexes");
  for (int t = 0; t < NTAB; t++)
    sqlite3_finalize(g.ins[t]);
  if (sqlite3_close(g.db) != SQLITE_OK)
    die("close: %s", sqlite3_errmsg(g.db));
  if (rename(g.tmp, o.out) != 0)
    die("cannot rename %s to %s: %s", g.tmp, o.out, strerror(errno));
  for (int t = 0; t < NTAB; t++)
    printf("%s%s=%lld", t ? " " : "", TABLE[t], g.count[t]);
  putchar('\n');
  free(indexes);
  free(g.plan), free(g.role), free(g.active), free(g.manager), free(g.pool);
  return 0;
}
