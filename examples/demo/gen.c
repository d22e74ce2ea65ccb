/* gen.c: deterministic generator of a realistic crmpolicy demo facts database in SQLite. */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define WAN (10000LL * 100)       /* 万 yuan, in cents */
#define DAY 86400LL               /* seconds in a day */
#define HOUR 3600LL               /* seconds in an hour */
#define MAX_CLIENTS 100000        /* keeps every id within its zero-padded width */
#define MAX_SPLIT 300             /* most orders a client places in one year */

enum { T_STAFF, T_CLIENTS, T_CLIENT_STAFF, T_ORDERS, T_CONTACTS, T_COMPLAINTS, T_SURVEYS, T_CREDIT, NTAB };
enum { R_GM, R_VP, R_MM, R_KAM, R_RESIDENT, R_TECH, R_QUALITY, R_SERVICE, NROLE };
enum { TIER_STRATEGIC, TIER_KEY, TIER_MAJOR, TIER_GENERAL, NTIER };
enum { ST_ACTIVE, ST_DORMANT, ST_PROSPECT, ST_CLOSED, NSTATUS };
enum { K_REGULAR, K_MAJOR, K_BIG, K_ANCHOR };
enum { L_EXECUTIVE, L_ACCOUNT, L_TECHNICAL, L_QUALITY, L_SERVICE, NLEVEL };

static const char *const TABLE[NTAB] = {
    "staff", "clients", "client_staff", "orders", "contacts", "complaints", "surveys", "credit"};
static const char *const INSERT[NTAB] = {
    "INSERT INTO staff(id,name,role,manager_id,active,capacity) VALUES(?,?,?,?,?,?)",
    "INSERT INTO clients(id,name,segment,industry,region,status,strategic_partner,"
    "approved_tier,created_on) VALUES(?,?,?,?,?,?,?,?,?)",
    "INSERT INTO client_staff(client_id,staff_id,role,since,until) VALUES(?,?,?,?,?)",
    "INSERT INTO orders(id,client_id,ordered_on,amount,due_on,delivered_on) VALUES(?,?,?,?,?,?)",
    "INSERT INTO contacts(id,client_id,staff_id,level,channel,happened_at,summary)"
    " VALUES(?,?,?,?,?,?,?)",
    "INSERT INTO complaints(id,client_id,category,severity,opened_at,first_response_at,"
    "resolved_at,owner_id) VALUES(?,?,?,?,?,?,?,?)",
    "INSERT INTO surveys(id,client_id,surveyed_on,score) VALUES(?,?,?,?)",
    "INSERT INTO credit(client_id,rating,overdue_amount,overdue_days,assessed_on) VALUES(?,?,?,?,?)"};

static const char *const ROLE[NROLE] = {
    "general_manager", "marketing_vp", "marketing_manager", "key_account_manager",
    "resident_rep", "tech_engineer", "quality_engineer", "service_engineer"};
static const char *const TIER[NTIER] = {"strategic", "key", "major", "general"};
static const char *const STATUS[NSTATUS] = {"active", "dormant", "prospect", "closed"};
static const char *const LEVEL[NLEVEL] = {"executive", "account", "technical", "quality", "service"};
static const char *const CHANNEL[] = {"visit", "call", "email", "meeting", "video"};
#define NCHANNEL 5

/* Contact intervals of rules/POLICY.md §6 in days, by tier and level (0: no obligation). */
static const int INTERVAL[NTIER][NLEVEL] = {
    {182, 31, 182, 92, 0}, {365, 61, 0, 182, 0}, {0, 92, 0, 0, 0}, {0, 0, 0, 0, 0}};
/* Habitual contacts by tier and level: {percent of clients, min gap, max gap in days}. */
static const int HABIT[NTIER][NLEVEL][3] = {
    {{100, 60, 170}, {100, 10, 29}, {100, 60, 170}, {100, 30, 88}, {90, 20, 90}},
    {{100, 120, 350}, {100, 20, 58}, {60, 90, 270}, {100, 60, 175}, {80, 30, 120}},
    {{25, 365, 730}, {100, 30, 88}, {40, 120, 365}, {30, 120, 365}, {50, 60, 240}},
    {{3, 365, 730}, {97, 45, 180}, {10, 180, 540}, {8, 180, 540}, {20, 120, 480}}};
/* Channel weights by level, in CHANNEL order. */
static const int CHANNEL_WEIGHT[NLEVEL][NCHANNEL] = {
    {50, 5, 0, 40, 5}, {40, 35, 10, 5, 10}, {25, 10, 15, 30, 20}, {45, 10, 10, 30, 5}, {45, 40, 5, 5, 5}};
#define NSUMMARY 4
static const char *const SUMMARY[NLEVEL][NSUMMARY] = {
    {"高层拜访", "年度战略合作会谈", "高层互访交流", "年度框架协议商谈"},
    {"拜访客户", "电话回访", "订单交付跟进", "回款沟通"},
    {"技术交流", "新产品技术介绍", "图纸与技术协议评审", "技术问题答疑"},
    {"质量问题沟通", "质量体系审核", "来料质量回顾", "质量改进会议"},
    {"投诉处理回访", "售后回访", "现场服务支持", "安装调试支持"}};
#define CALLBACK_SUMMARY 0 /* index of 投诉处理回访 among the service summaries */

static const char *const SURNAME[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
static const char *const GIVEN[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀", "霞", "平", "刚", "英", "华", "建", "国", "文", "辉", "鹏",
    "宇", "浩", "凯", "婷", "雪", "琳", "晨", "博", "欣", "怡", "俊", "峰", "亮", "斌"};
static const struct { const char *name, *region; } CITY[] = {
    {"上海", "华东"}, {"苏州", "华东"}, {"杭州", "华东"}, {"南京", "华东"}, {"青岛", "华东"},
    {"宁波", "华东"}, {"济南", "华东"}, {"合肥", "华东"}, {"广州", "华南"}, {"深圳", "华南"},
    {"佛山", "华南"}, {"东莞", "华南"}, {"南宁", "华南"}, {"北京", "华北"}, {"天津", "华北"},
    {"石家庄", "华北"}, {"太原", "华北"}, {"武汉", "华中"}, {"长沙", "华中"}, {"郑州", "华中"},
    {"成都", "西南"}, {"重庆", "西南"}, {"昆明", "西南"}, {"贵阳", "西南"}, {"西安", "西北"},
    {"兰州", "西北"}, {"银川", "西北"}, {"沈阳", "东北"}, {"大连", "东北"}, {"哈尔滨", "东北"}};
static const char *const WORD[] = {
    "恒达", "华升", "永盛", "中恒", "鼎力", "安达", "宏运", "金鼎", "凯盛", "瑞升",
    "昌隆", "广顺", "天宇", "嘉禾", "东升", "鑫源", "星海", "新远", "博瑞", "远通",
    "福星", "华誉", "利通", "三和", "联创", "海川", "隆泰", "佳运", "腾达", "协力"};
/* Company kinds: the first two are elevator makers (OEM), which big clients are. */
static const struct { const char *suffix, *segment, *industry; } KIND[] = {
    {"电梯有限公司", "OEM", "elevator"}, {"自动扶梯有限公司", "OEM", "escalator"},
    {"电梯工程有限公司", "installer", "elevator"}, {"机电设备有限公司", "maintenance", "elevator"},
    {"物业管理有限公司", "property", "property"}, {"建设集团有限公司", "installer", "construction"}};
static const int KIND_WEIGHT[] = {30, 8, 20, 20, 12, 10}; /* in KIND order */
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct { uint64_t s; } Rng;

typedef struct {
  unsigned char role, active;
  int manager; /* staff index, or -1 */
} Staff;

/* What the planning passes decide about a client before any row is written. */
typedef struct {
  int created;                  /* created_on, as a civil day number */
  unsigned char klass, status;  /* K_*, ST_* */
  unsigned char partner;        /* strategic_partner */
  unsigned char computed, tier; /* computed tier; tier obligations follow */
  signed char approved;         /* approved_tier, or -1 for NULL */
  int yearly;                   /* usual number of orders a year */
  int orders12;                 /* orders in the last 365 days */
  long long sales12;            /* their sum, in cents */
  long long size;               /* typical order amount (regular clients: its minimum), cents */
} Client;

typedef struct { int day; long long cents; } OrderRec;
typedef struct { long long at; int staff; unsigned char level, channel, summary; } ContactRec;
typedef struct { int who[NROLE]; } Team; /* staff index of each current, active row, or -1 */

typedef struct {
  const char *schema, *out;
  int nclients, today;
  uint64_t seed;
} Options;

typedef struct {
  Rng rng;
  int today;            /* D, as a civil day number */
  long long now;        /* D 23:59:59, in seconds since 1970 */
  int nclients, nstaff;
  Client *cl;
  Staff *staff;
  int *pool;            /* staff indices grouped by (role, inactive) */
  int pool_at[NROLE * 2 + 1];
  int anchor[2];        /* the two clients sized to a share of all sales, or -1 */
  const char *out;
  sqlite3 *db;
  sqlite3_stmt *ins[NTAB];
  long long rows[NTAB];
  OrderRec *ord;
  ContactRec *con;
  size_t nord, cap_ord, ncon, cap_con;
} Gen;

static Gen *live; /* the run to clean up when dying */

/* Closes the database and frees everything the run holds. */
static void release(Gen *g) {
  for (int t = 0; t < NTAB; t++) sqlite3_finalize(g->ins[t]);
  sqlite3_close(g->db);
  g->db = NULL;
  free(g->cl);
  free(g->staff);
  free(g->pool);
  free(g->ord);
  free(g->con);
}

/* Removes path, and a stale journal beside it, if they exist; returns 0 or -1. */
static int remove_db(const char *path) {
  char journal[4096];
  snprintf(journal, sizeof journal, "%s-journal", path);
  if (remove(journal) != 0 && errno != ENOENT) return -1;
  return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Prints "gen: <what>" to stderr, removes the half-written output and exits 1. */
static void die(const char *fmt, ...) {
  va_list ap;
  fputs("gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (live) {
    release(live);
    remove_db(live->out);
  }
  exit(1);
}

/* ---- random numbers ---- */

/* Returns the next 64 random bits (splitmix64). */
static uint64_t rng_next(Rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Returns a uniform integer in [lo, hi], or lo when the range is empty. */
static long long rng_range(Rng *r, long long lo, long long hi) {
  if (hi <= lo) return lo;
  return lo + (long long)(rng_next(r) % (uint64_t)(hi - lo + 1));
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

/* Returns a Pareto draw with minimum 1 and tail index 2, as 1 / max(u1, u2). */
static double rng_pareto2(Rng *r) {
  double a = rng_unit(r), b = rng_unit(r);
  return 1.0 / (a > b ? a : b);
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

/* ---- dates (proleptic Gregorian civil days, 0 = 1970-01-01) ---- */

/* Returns the day number of year y, month m, day d. */
static int days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Splits day number z into year, month and day. */
static void civil_from_days(int z, int *y, int *m, int *d) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

/* Writes day as YYYY-MM-DD into buf (16 bytes) and returns buf. */
static char *fmt_date(char *buf, int day) {
  int y, m, d;
  civil_from_days(day, &y, &m, &d);
  snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
  return buf;
}

/* Writes ts (seconds since 1970, local) as YYYY-MM-DDTHH:MM:SS into buf (32 bytes). */
static char *fmt_ts(char *buf, long long ts) {
  int sod = (int)(ts % DAY);
  fmt_date(buf, (int)(ts / DAY));
  snprintf(buf + 10, 22, "T%02d:%02d:%02d", sod / 3600, sod / 60 % 60, sod % 60);
  return buf;
}

/* Parses a strict YYYY-MM-DD (years 1980..9990) into *day; returns 0 or -1. */
static int parse_date(const char *s, int *day) {
  int y, m, d, y2, m2, d2;
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
  y = atoi(s);
  m = atoi(s + 5);
  d = atoi(s + 8);
  if (y < 1980 || y > 9990 || m < 1 || m > 12 || d < 1) return -1;
  *day = days_from_civil(y, m, d);
  civil_from_days(*day, &y2, &m2, &d2);
  return y2 == y && m2 == m && d2 == d ? 0 : -1;
}

/* Writes an id such as C000042 into buf (16 bytes); dies when n needs more digits. */
static char *fmt_id(char *buf, char prefix, int width, long long n) {
  long long limit = 1;
  for (int i = 0; i < width; i++) limit *= 10;
  if (n < 1 || n >= limit) die("%c id %lld does not fit in %d digits", prefix, n, width);
  snprintf(buf, 16, "%c%0*lld", prefix, width, n);
  return buf;
}

/* Writes staff index s as its id into buf, or returns NULL for s < 0. */
static char *staff_id(char *buf, int s) { return s < 0 ? NULL : fmt_id(buf, 'S', 4, s + 1); }

/* Returns the larger of two ints. */
static int max_int(int a, int b) { return a > b ? a : b; }

/* ---- database ---- */

/* Binds values by types ('t' text or NULL, 'i' int, 'I' int or NULL when negative,
   'm' long long cents as REAL yuan) and inserts one row into table. */
static void put_row(Gen *g, int table, const char *types, ...) {
  sqlite3_stmt *st = g->ins[table];
  int rc = SQLITE_OK;
  va_list ap;
  va_start(ap, types);
  for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
    if (types[i] == 't') {
      const char *s = va_arg(ap, const char *);
      rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i + 1);
    } else if (types[i] == 'm') {
      rc = sqlite3_bind_double(st, i + 1, (double)va_arg(ap, long long) / 100.0);
    } else {
      int v = va_arg(ap, int);
      rc = types[i] == 'I' && v < 0 ? sqlite3_bind_null(st, i + 1) : sqlite3_bind_int(st, i + 1, v);
    }
  }
  va_end(ap);
  if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE) rc = SQLITE_ERROR;
  if (rc != SQLITE_OK) die("insert into %s: %s", TABLE[table], sqlite3_errmsg(g->db));
  sqlite3_reset(st);
  g->rows[table]++;
}

/* Returns the whole text of the file at path (malloc'd), or dies. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  if (!f) die("cannot read %s: %s", path, strerror(errno));
  do {
    if (len + 4096 + 1 > cap) {
      char *grown = realloc(text, cap = 2 * cap + 4096 + 1);
      if (!grown) die("out of memory");
      text = grown;
    }
    got = fread(text + len, 1, cap - len - 1, f);
    len += got;
  } while (got > 0);
  if (ferror(f)) die("cannot read %s: %s", path, strerror(errno));
  fclose(f);
  text[len] = '\0';
  return text;
}

/* Runs sql (one or more statements) or dies saying what failed. */
static void exec_sql(Gen *g, const char *sql, const char *what) {
  char *err = NULL;
  if (sqlite3_exec(g->db, sql, NULL, NULL, &err) != SQLITE_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", err ? err : sqlite3_errmsg(g->db));
    sqlite3_free(err);
    die("%s: %s", what, msg);
  }
}

/* Replaces the output file with a new database holding the schema and opens a transaction. */
static void open_db(Gen *g, const Options *o) {
  char *schema = read_text(o->schema);
  if (remove_db(o->out) != 0) die("cannot remove %s: %s", o->out, strerror(errno));
  live = g;
  if (sqlite3_open_v2(o->out, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    die("cannot open %s: %s", o->out, g->db ? sqlite3_errmsg(g->db) : "out of memory");
  exec_sql(g, "BEGIN", "begin");
  exec_sql(g, schema, o->schema);
  free(schema);
  for (int t = 0; t < NTAB; t++)
    if (sqlite3_prepare_v2(g->db, INSERT[t], -1, &g->ins[t], NULL) != SQLITE_OK)
      die("prepare insert into %s: %s", TABLE[t], sqlite3_errmsg(g->db));
}

/* ---- staff ---- */

/* Fills roles[0..n) with the field roles by quota, in shuffled order. */
static void field_roles(Gen *g, int *roles, int n) {
  static const int share[] = {38, 10, 14, 14}; /* KAM, resident, tech, quality; service: rest */
  int k = 0;
  for (int r = 0; r < COUNT(share); r++)
    for (int j = 0; j < n * share[r] / 100; j++) roles[k++] = R_KAM + r;
  while (k < n) roles[k++] = R_SERVICE;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)rng_range(&g->rng, 0, i), t = roles[i];
    roles[i] = roles[j];
    roles[j] = t;
  }
}

/* Returns a capacity for a member of role, or -1 for none (no limit). */
static int staff_capacity(Rng *r, int role) {
  switch (role) {
  case R_KAM: return rng_pct(r, 10) ? -1 : (int)rng_range(r, 10, 30);
  case R_TECH: case R_QUALITY: case R_SERVICE:
    return rng_pct(r, 10) ? -1 : (int)rng_range(r, 20, 60);
  case R_RESIDENT: return rng_pct(r, 25) ? -1 : (int)rng_range(r, 1, 3);
  default: return -1;
  }
}

/* Writes a Chinese personal name (surname and one or two given characters) into buf. */
static void person_name(Rng *r, char *buf, size_t size) {
  const char *sur = SURNAME[rng_range(r, 0, COUNT(SURNAME) - 1)];
  const char *g1 = GIVEN[rng_range(r, 0, COUNT(GIVEN) - 1)];
  const char *g2 = rng_pct(r, 70) ? GIVEN[rng_range(r, 0, COUNT(GIVEN) - 1)] : "";
  snprintf(buf, size, "%s%s%s", sur, g1, g2);
}

/* Decides every member's role, manager and activity: S0001 general manager, S0002 VP,
   then marketing managers (the last one inactive), then shuffled field staff. */
static void plan_staff(Gen *g) {
  int n = g->nstaff, nmm = max_int(3, n / 20), nfield = n - 2 - nmm, first_kam = 1;
  int *roles = malloc(sizeof *roles * (size_t)nfield);
  if (!roles) die("out of memory");
  field_roles(g, roles, nfield);
  g->staff[R_GM] = (Staff){R_GM, 1, -1};
  g->staff[R_VP] = (Staff){R_VP, 1, 0};
  for (int i = 0; i < nmm; i++) g->staff[2 + i] = (Staff){R_MM, i < nmm - 1, 1};
  for (int j = 0; j < nfield; j++) {
    Staff *s = &g->staff[2 + nmm + j];
    s->role = (unsigned char)roles[j];
    s->manager = 2 + j % nmm; /* round robin, so the inactive manager has reports */
    if (s->role == R_KAM && first_kam) { /* one key account manager has left */
      first_kam = 0;
      s->active = 0;
    } else {
      s->active = !rng_pct(&g->rng, 4);
    }
  }
  free(roles);
}

/* Inserts the staff rows and groups staff indices by (role, inactive) for picking. */
static void gen_staff(Gen *g) {
  int count[NROLE * 2] = {0};
  g->staff = calloc((size_t)g->nstaff, sizeof *g->staff);
  g->pool = malloc(sizeof *g->pool * (size_t)g->nstaff);
  if (!g->staff || !g->pool) die("out of memory");
  plan_staff(g);
  for (int i = 0; i < g->nstaff; i++) {
    const Staff *s = &g->staff[i];
    char id[16], mgr[16], name[32];
    person_name(&g->rng, name, sizeof name);
    put_row(g, T_STAFF, "ttttiI", staff_id(id, i), name, ROLE[s->role], staff_id(mgr, s->manager),
            s->active, staff_capacity(&g->rng, s->role));
    count[s->role * 2 + !s->active]++;
  }
  for (int k = 0; k < NROLE * 2; k++) g->pool_at[k + 1] = g->pool_at[k] + count[k];
  memset(count, 0, sizeof count);
  for (int i = 0; i < g->nstaff; i++) {
    int k = g->staff[i].role * 2 + !g->staff[i].active;
    g->pool[g->pool_at[k] + count[k]++] = i;
  }
}

/* Returns a random staff index with role that is active (or inactive), or -1 if none. */
static int pick_staff(Gen *g, int role, int active) {
  int k = role * 2 + !active, n = g->pool_at[k + 1] - g->pool_at[k];
  return n ? g->pool[g->pool_at[k] + rng_range(&g->rng, 0, n - 1)] : -1;
}

/* ---- planning clients ---- */

/* Orders clients by created_on. */
static int by_created(const void *a, const void *b) {
  int x = ((const Client *)a)->created, y = ((const Client *)b)->created;
  return (x > y) - (x < y);
}

/* Draws created_on for every client: 2% in the last 30 days, about one in 1500 after D,
   the rest over six years; sorted, so ids follow creation order. Marks two old anchors. */
static void plan_created(Gen *g) {
  Rng *r = &g->rng;
  int n = g->nclients, nfuture = n < 20 ? 0 : 1 + n / 3000, nnew = n / 50, old = 0;
  for (int i = 0; i < n; i++) {
    long long age = i < nfuture ? -rng_range(r, 1, 30)
                    : i < nfuture + nnew ? rng_range(r, 0, 30) : rng_range(r, 31, 6 * 365);
    g->cl[i].created = g->today - (int)age;
  }
  qsort(g->cl, (size_t)n, sizeof *g->cl, by_created);
  while (old < n && g->cl[old].created <= g->today - 3 * 365) old++;
  g->anchor[0] = g->anchor[1] = -1;
  if (old < 2) return;
  g->anchor[0] = (int)rng_range(r, 0, old - 1);
  g->anchor[1] = (g->anchor[0] + (int)rng_range(r, 1, old - 1)) % old;
  g->cl[g->anchor[0]].klass = g->cl[g->anchor[1]].klass = K_ANCHOR;
}

/* Returns the class of a client that is age days old: big ones are old. A big client
   sells 20M..80M yuan a year, a "major" one 1M..20M (two thirds from 5M), the rest less. */
static int draw_class(Rng *r, int age) {
  if (age >= 730) return rng_pct(r, 3) ? K_BIG : rng_pct(r, 11) ? K_MAJOR : K_REGULAR;
  if (age >= 60) return rng_pct(r, 4) ? K_MAJOR : K_REGULAR;
  return K_REGULAR;
}

/* Returns the status of a regular client that is age days old. */
static int draw_status(Rng *r, int age) {
  static const int weight[NSTATUS] = {790, 90, 65, 55};
  if (age <= 30) return rng_pct(r, 60) ? ST_PROSPECT : ST_ACTIVE;
  return rng_pick(r, weight, NSTATUS);
}

/* Returns a regular client's order amount in cents: Pareto from xm, at most 500,000 yuan. */
static long long regular_amount(Rng *r, long long xm) {
  double a;
  do a = (double)xm / rng_unit(r);
  while (a > 500000 * 100);
  return (long long)a;
}

/* Returns one order amount in cents typical of client c. */
static long long order_amount(Rng *r, const Client *c) {
  if (c->klass == K_REGULAR) return regular_amount(r, c->size);
  return (long long)((double)c->size * (0.4 + 1.2 * rng_unit(r)));
}

/* Returns a heavy-tailed amount of cents in [lo, hi). */
static long long amount_between(Rng *r, long long lo, long long hi) {
  double a;
  do a = (double)lo * rng_pareto2(r);
  while (a >= (double)hi);
  return (long long)a;
}

/* Plans a regular client's orders: a few of 10k..500k yuan, fewer once dormant or closed. */
static void plan_regular(Rng *r, Client *c, int age) {
  double scale = rng_pareto2(r);
  c->size = (long long)(10000 * 100 * (scale < 8 ? scale : 8));
  c->yearly = c->status == ST_PROSPECT ? 0 : 1 + rng_geom(r, 2.5);
  if (c->yearly > 60) c->yearly = 60;
  switch (c->status) {
  case ST_ACTIVE: c->orders12 = age <= 30 ? rng_geom(r, 0.3) : c->yearly; break;
  case ST_DORMANT: c->orders12 = rng_pct(r, 25); break;
  case ST_CLOSED: c->orders12 = rng_pct(r, 30) ? 1 + rng_geom(r, 0.5) : 0; break;
  default: c->orders12 = 0;
  }
  if (c->orders12 > 60) c->orders12 = 60;
  for (int i = 0; i < c->orders12; i++) c->sales12 += regular_amount(r, c->size);
}

/* Sets the order counts of a client planned by sales: sales12 over its typical order. */
static void plan_count(Client *c, int lo) {
  long long k = c->size ? c->sales12 / c->size : 0;
  c->orders12 = c->sales12 == 0 ? 0 : k < lo ? lo : k > MAX_SPLIT ? MAX_SPLIT : (int)k;
  c->yearly = c->orders12 ? c->orders12 : 1;
}

/* Plans one client's class, status, partnership and sales of the last 365 days. */
static void plan_client(Gen *g, Client *c) {
  Rng *r = &g->rng;
  int age = g->today - c->created;
  static const double partner_pct[] = {0.4, 3, 20, 0};
  if (age < 0) {
    c->status = ST_PROSPECT;
    return;
  }
  if (c->klass != K_ANCHOR) c->klass = (unsigned char)draw_class(r, age);
  c->status = (unsigned char)(c->klass == K_REGULAR ? draw_status(r, age) : ST_ACTIVE);
  c->partner = c->status == ST_ACTIVE && age > 30 && rng_pct(r, partner_pct[c->klass]);
  if (c->klass == K_REGULAR) {
    plan_regular(r, c, age);
  } else if (c->klass == K_MAJOR) {
    c->size = rng_range(r, 15 * WAN, 60 * WAN);
    c->sales12 = amount_between(r, (rng_pct(r, 35) ? 100 : 500) * WAN, 2000 * WAN);
    plan_count(c, 5);
  } else if (c->klass == K_BIG) {
    c->size = rng_range(r, 40 * WAN, 150 * WAN);
    c->sales12 = amount_between(r, 2000 * WAN, 8000 * WAN);
    plan_count(c, 10);
  } else {
    c->size = rng_range(r, 100 * WAN, 300 * WAN);
  }
}

/* Sizes the two anchors to 7% and 4% of all sales of the last 365 days, so that one
   computes as strategic and one as key by share; returns that total in cents. */
static long long plan_anchors(Gen *g) {
  long long rest = 0, total;
  for (int i = 0; i < g->nclients; i++)
    if (g->cl[i].klass != K_ANCHOR) rest += g->cl[i].sales12;
  total = rest * 100 / 89;
  for (int a = 0; a < 2 && g->anchor[a] >= 0; a++) {
    Client *c = &g->cl[g->anchor[a]];
    c->sales12 = total * (a == 0 ? 7 : 4) / 100;
    plan_count(c, 1);
  }
  for (int i = 0; i < g->nclients; i++)
    if (g->cl[i].klass == K_ANCHOR) rest += g->cl[i].sales12;
  return rest;
}

/* Returns client c's tier computed by rules/POLICY.md §3.2 from total, all sales of the year. */
static int computed_tier(const Client *c, long long total) {
  if (c->partner || c->sales12 * 100 > 5 * total) return TIER_STRATEGIC;
  if (c->sales12 >= 2000 * WAN || c->sales12 * 100 > 3 * total) return TIER_KEY;
  if (c->sales12 >= 500 * WAN) return TIER_MAJOR;
  return TIER_GENERAL;
}

/* Returns an approved tier for c or -1: mostly none, mostly the computed one when set,
   else a neighbouring tier (a stale or a generous approval). */
static int draw_approved(Rng *r, const Client *c, int age) {
  static const double pct[NTIER] = {60, 60, 30, 18};
  int t;
  if (c->status == ST_CLOSED || age < 365 || !rng_pct(r, pct[c->computed])) return -1;
  if (rng_pct(r, 70)) return c->computed;
  t = c->computed + (rng_pct(r, 50) ? 1 : -1);
  return t < 0 ? TIER_KEY : t >= NTIER ? TIER_MAJOR : t;
}

/* Plans every client: created_on, sales, then computed, approved and effective tiers. */
static void plan_clients(Gen *g) {
  long long total;
  g->cl = calloc((size_t)g->nclients, sizeof *g->cl);
  if (!g->cl) die("out of memory");
  plan_created(g);
  for (int i = 0; i < g->nclients; i++) plan_client(g, &g->cl[i]);
  total = plan_anchors(g);
  for (int i = 0; i < g->nclients; i++) {
    Client *c = &g->cl[i];
    c->computed = (unsigned char)computed_tier(c, total);
    c->approved = (signed char)draw_approved(&g->rng, c, g->today - c->created);
    c->tier = c->approved >= 0 ? (unsigned char)c->approved : c->computed;
  }
}

/* ---- client rows ---- */

/* Inserts the clients row: a made-up company name, its segment, industry and region. */
static void put_client(Gen *g, const Client *c, const char *id) {
  Rng *r = &g->rng;
  char name[128], on[16];
  int city = (int)rng_range(r, 0, COUNT(CITY) - 1), kind;
  kind = c->klass >= K_BIG ? (int)rng_range(r, 0, 1) : rng_pick(r, KIND_WEIGHT, COUNT(KIND));
  snprintf(name, sizeof name, "%s%s%s", CITY[city].name, WORD[rng_range(r, 0, COUNT(WORD) - 1)],
           KIND[kind].suffix);
  put_row(g, T_CLIENTS, "ttttttitt", id, name, KIND[kind].segment, KIND[kind].industry,
          CITY[city].region, STATUS[c->status], c->partner,
          c->approved >= 0 ? TIER[c->approved] : NULL, fmt_date(on, c->created));
}

/* Inserts one client_staff row; until < 0 means NULL. */
static void put_staff_row(Gen *g, const char *cid, int s, int since, int until) {
  char sid[16], from[16], to[16];
  put_row(g, T_CLIENT_STAFF, "ttttt", cid, staff_id(sid, s), ROLE[g->staff[s].role],
          fmt_date(from, since), until < 0 ? NULL : fmt_date(to, until));
}

/* Writes a row that leaves role unfilled: 0 none, 1 ended, 2 starting after D, 3 inactive. */
static void failed_role(Gen *g, const char *cid, int role, int mode, int from) {
  Rng *r = &g->rng;
  int D = g->today, s = pick_staff(g, role, mode != 3);
  if (mode == 0 || s < 0) return;
  if (mode == 1) {
    int since = (int)rng_range(r, from, D - 60);
    put_staff_row(g, cid, s, since, since < D ? (int)rng_range(r, since + 1, D) : D);
  } else if (mode == 2) {
    put_staff_row(g, cid, s, D + (int)rng_range(r, 1, 30), -1);
  } else {
    put_staff_row(g, cid, s, (int)rng_range(r, from, D), -1);
  }
}

/* Assigns role to client c: fail_pct percent of the time the role is left unfilled,
   else a current row, sometimes after a predecessor or with a planned end after D. */
static void assign_role(Gen *g, const Client *c, const char *cid, int role, int fail_pct, Team *t) {
  Rng *r = &g->rng;
  int D = g->today, from = max_int(c->created, D - 4 * 365);
  int u = (int)rng_range(r, 0, 99), s, since, until = -1;
  if (u < fail_pct) {
    failed_role(g, cid, role, u * 4 / fail_pct, from);
    return;
  }
  if ((s = pick_staff(g, role, 1)) < 0) return;
  since = (int)rng_range(r, from, D);
  if (u >= 92 && since - from > 60) {
    int before = pick_staff(g, role, rng_pct(r, 50));
    if (before >= 0) put_staff_row(g, cid, before, (int)rng_range(r, from, since - 30), since);
  } else if (u >= 85) {
    until = D + (int)rng_range(r, 1, 180);
  }
  put_staff_row(g, cid, s, since, until);
  t->who[role] = s;
}

/* Writes c's client_staff rows: the required roles of its tier, fallible, plus extras. */
static void gen_team(Gen *g, const Client *c, const char *cid, Team *t) {
  Rng *r = &g->rng;
  int size = c->tier < c->computed ? c->tier : c->computed;
  for (int i = 0; i < NROLE; i++) t->who[i] = -1;
  if (c->status == ST_PROSPECT || c->status == ST_CLOSED) return;
  if (c->tier == TIER_STRATEGIC) {
    for (int role = R_KAM; role <= R_SERVICE; role++)
      if (role != R_RESIDENT || c->sales12 >= 5000 * WAN) assign_role(g, c, cid, role, 15, t);
  } else if (c->tier == TIER_KEY) {
    assign_role(g, c, cid, R_KAM, 15, t);
    if (rng_pct(r, 50)) assign_role(g, c, cid, R_SERVICE, 5, t);
    if (rng_pct(r, 30)) assign_role(g, c, cid, R_QUALITY, 5, t);
    if (rng_pct(r, 30)) assign_role(g, c, cid, R_TECH, 5, t);
  } else if (rng_pct(r, size <= TIER_KEY ? 95 : size == TIER_MAJOR ? 85 : 8)) {
    if (c->status == ST_ACTIVE || size <= TIER_MAJOR) assign_role(g, c, cid, R_KAM, 5, t);
  }
}

/* ---- orders ---- */

/* Appends an order to the client's buffer. */
static void add_order(Gen *g, int day, long long cents) {
  if (g->nord == g->cap_ord) {
    OrderRec *grown = realloc(g->ord, sizeof *grown * (g->cap_ord = 2 * g->cap_ord + 64));
    if (!grown) die("out of memory");
    g->ord = grown;
  }
  g->ord[g->nord++] = (OrderRec){day, cents};
}

/* Orders OrderRecs by date, then amount. */
static int by_day(const void *a, const void *b) {
  const OrderRec *x = a, *y = b;
  if (x->day != y->day) return (x->day > y->day) - (x->day < y->day);
  return (x->cents > y->cents) - (x->cents < y->cents);
}

/* Splits c's planned sales12 exactly into its orders of the last 365 days. */
static void split_sales12(Gen *g, const Client *c) {
  int w[MAX_SPLIT], from = max_int(c->created, g->today - 364);
  long long sum = 0, left = c->sales12;
  for (int i = 0; i < c->orders12; i++) sum += w[i] = (int)rng_range(&g->rng, 400, 1600);
  for (int i = 0; i < c->orders12; i++) {
    long long a = i == c->orders12 - 1 ? left : c->sales12 * w[i] / sum;
    left -= a;
    add_order(g, (int)rng_range(&g->rng, from, g->today), a);
  }
}

/* Returns the percentage of c's orders delivered late: a few strategic clients are bad. */
static double late_pct(Rng *r, const Client *c) {
  if (c->tier == TIER_STRATEGIC) return rng_pct(r, 30) ? 30 : 1;
  return c->tier == TIER_KEY ? 5 : 10;
}

/* Inserts an order: due 15..60 days on, delivered -5..+10 days around due unless pending. */
static void put_order(Gen *g, const char *cid, const OrderRec *o, double late) {
  Rng *r = &g->rng;
  char id[16], on[16], due[16], done[16];
  int due_day = o->day + (int)rng_range(r, 15, 60), del = -1;
  if (due_day <= g->today) {
    del = due_day + (int)(rng_pct(r, late) ? rng_range(r, 1, 10) : rng_range(r, -5, 0));
    if (del > g->today || rng_pct(r, 1)) del = -1;
  }
  put_row(g, T_ORDERS, "tttmtt", fmt_id(id, 'O', 7, g->rows[T_ORDERS] + 1), cid,
          fmt_date(on, o->day), o->cents, fmt_date(due, due_day), del < 0 ? NULL : fmt_date(done, del));
}

/* Writes c's orders over the last three years, and now and then one dated after D. */
static void gen_orders(Gen *g, const Client *c, const char *cid) {
  Rng *r = &g->rng;
  int D = g->today, lo = max_int(c->created, D - 3 * 365 + 1);
  double late;
  g->nord = 0;
  split_sales12(g, c);
  if (c->yearly > 0 && D - 365 >= lo) {
    double years = (D - 365 - lo + 1) / 365.0;
    int k = (int)(c->yearly * years * (0.5 + 0.5 * rng_unit(r)) + 0.5);
    for (int i = 0; i < k; i++) add_order(g, (int)rng_range(r, lo, D - 365), order_amount(r, c));
  }
  if (c->status == ST_ACTIVE && c->yearly > 0 && rng_pct(r, 3))
    add_order(g, D + (int)rng_range(r, 1, 10), order_amount(r, c));
  qsort(g->ord, g->nord, sizeof *g->ord, by_day);
  late = late_pct(r, c);
  for (size_t i = 0; i < g->nord; i++) put_order(g, cid, &g->ord[i], late);
}

/* ---- contacts ---- */

/* Appends a contact to the client's buffer. */
static void push_contact(Gen *g, long long at, int level, int channel, int staff, int summary) {
  if (g->ncon == g->cap_con) {
    ContactRec *grown = realloc(g->con, sizeof *grown * (g->cap_con = 2 * g->cap_con + 64));
    if (!grown) die("out of memory");
    g->con = grown;
  }
  g->con[g->ncon++] = (ContactRec){at, staff, (unsigned char)level, (unsigned char)channel,
                                   (unsigned char)summary};
}

/* Returns who makes a contact of level with client c: mostly its assigned staff. */
static int contact_staff(Gen *g, const Client *c, const Team *t, int level) {
  static const int role[NLEVEL] = {R_MM, R_KAM, R_TECH, R_QUALITY, R_SERVICE};
  Rng *r = &g->rng;
  if (rng_pct(r, 3)) return -1;
  if (level == L_EXECUTIVE)
    return c->tier == TIER_STRATEGIC || rng_pct(r, 40) ? (int)rng_range(r, R_GM, R_VP)
                                                       : pick_staff(g, R_MM, 1);
  if (level == L_ACCOUNT && t->who[R_RESIDENT] >= 0 && rng_pct(r, 30)) return t->who[R_RESIDENT];
  return t->who[role[level]] >= 0 ? t->who[role[level]] : pick_staff(g, role[level], 1);
}

/* Adds a contact of level on day, at a working hour, with a usual channel and summary. */
static void add_contact(Gen *g, const Client *c, const Team *t, int level, int day) {
  Rng *r = &g->rng;
  long long at = day * DAY + rng_range(r, 8 * 60, 19 * 60) * 60;
  int channel = rng_pick(r, CHANNEL_WEIGHT[level], NCHANNEL);
  int summary = (int)rng_range(r, level == L_SERVICE, NSUMMARY - 1);
  push_contact(g, at, level, channel, contact_staff(g, c, t, level), summary);
}

/* Returns how many days ago the last contact was against an interval: mostly within it,
   18% overdue (level 1), 10% twice overdue (level 2). */
static int last_contact_age(Rng *r, int interval) {
  int u = (int)rng_range(r, 0, 99);
  if (u < 72) return (int)rng_range(r, 0, interval - 1);
  if (u < 90) return (int)rng_range(r, interval, 2 * interval - 1);
  return (int)rng_range(r, 2 * interval, 3 * interval - 1);
}

/* Returns days without any contact before today: dormant, closed and some quiet clients. */
static int quiet_days(Rng *r, const Client *c) {
  if (c->status == ST_DORMANT) return (int)rng_range(r, 200, 600);
  if (c->status == ST_CLOSED) return (int)rng_range(r, 60, 700);
  if (c->tier == TIER_GENERAL && rng_pct(r, 5)) return (int)rng_range(r, 180, 400);
  return 0;
}

/* Adds c's contacts of each level over the last two years, walking back from the last. */
static void gen_contacts(Gen *g, const Client *c, const Team *t) {
  Rng *r = &g->rng;
  int D = g->today, start = max_int(c->created, D - 730), quiet;
  if (D - c->created <= 30) { /* new: half are not contacted yet */
    if (rng_pct(r, 50)) add_contact(g, c, t, L_ACCOUNT, (int)rng_range(r, c->created, D));
    return;
  }
  quiet = quiet_days(r, c);
  for (int level = 0; level < NLEVEL; level++) {
    const int *habit = HABIT[c->tier][level];
    int interval = INTERVAL[c->tier][level], gap, last;
    if (!rng_pct(r, habit[0])) continue;
    gap = (int)rng_range(r, habit[1], habit[2]);
    last = interval ? last_contact_age(r, interval) : (int)rng_range(r, 0, gap - 1);
    for (int day = D - quiet - last; day >= start; day -= (int)rng_range(r, gap / 2, gap))
      add_contact(g, c, t, level, day);
  }
}

/* Orders ContactRecs by time, then by every other field. */
static int by_time(const void *a, const void *b) {
  const ContactRec *x = a, *y = b;
  if (x->at != y->at) return (x->at > y->at) - (x->at < y->at);
  if (x->level != y->level) return x->level - y->level;
  if (x->channel != y->channel) return x->channel - y->channel;
  if (x->staff != y->staff) return (x->staff > y->staff) - (x->staff < y->staff);
  return x->summary - y->summary;
}

/* Inserts the client's buffered contacts in time order. */
static void flush_contacts(Gen *g, const char *cid) {
  qsort(g->con, g->ncon, sizeof *g->con, by_time);
  for (size_t i = 0; i < g->ncon; i++) {
    const ContactRec *x = &g->con[i];
    char id[16], sid[16], at[32];
    put_row(g, T_CONTACTS, "ttttttt", fmt_id(id, 'V', 7, g->rows[T_CONTACTS] + 1), cid,
            staff_id(sid, x->staff), LEVEL[x->level], CHANNEL[x->channel], fmt_ts(at, x->at),
            SUMMARY[x->level][x->summary]);
  }
  g->ncon = 0;
}

/* ---- complaints ---- */

/* Returns a complaint owner: mostly assigned staff, sometimes someone inactive or nobody. */
static int complaint_owner(Gen *g, const Team *t) {
  Rng *r = &g->rng;
  int u = (int)rng_range(r, 0, 99), role = rng_pct(r, 50) ? R_KAM : R_SERVICE;
  if (u < 15) return -1;
  if (u < 21) return pick_staff(g, role, 0);
  if (t->who[R_KAM] >= 0 && u < 70) return t->who[R_KAM];
  if (t->who[R_SERVICE] >= 0) return t->who[R_SERVICE];
  return pick_staff(g, role, 1);
}

/* Draws a complaint's times (-1: none): 18% unanswered (mostly 2..80 hours old),
   17% answered and open for 1..25 days, 65% resolved, mostly opened in the last 90 days. */
static void complaint_times(Gen *g, long long *open, long long *resp, long long *done) {
  Rng *r = &g->rng;
  long long now = g->now;
  int u = (int)rng_range(r, 0, 99);
  *resp = *done = -1;
  if (u < 18) {
    *open = now - (rng_pct(r, 80) ? rng_range(r, 2 * HOUR, 80 * HOUR) : rng_range(r, 80 * HOUR, 480 * HOUR));
  } else if (u < 35) {
    *open = now - rng_range(r, 24 * HOUR, 600 * HOUR);
    *resp = *open + rng_range(r, HOUR / 2, now - *open < 30 * HOUR ? now - *open : 30 * HOUR);
  } else {
    *open = now - (rng_pct(r, 90) ? rng_range(r, 8 * DAY, 90 * DAY) : rng_range(r, 90 * DAY, 365 * DAY));
    *done = *open + rng_range(r, 4 * HOUR, 12 * DAY);
    if (*done > now - HOUR) *done = now - HOUR;
    if (!rng_pct(r, 3))
      *resp = *open + rng_range(r, HOUR / 2, *done - *open < 24 * HOUR ? *done - *open : 24 * HOUR);
  }
}

/* Writes one complaint of c, and maybe the service call-back after its resolution. */
static void put_complaint(Gen *g, const Client *c, const char *cid, const Team *t) {
  static const char *const category[] = {"quality", "delivery", "service", "technical", "billing"};
  static const int category_w[] = {35, 25, 20, 15, 5}, severity_w[] = {40, 45, 15};
  static const char *const severity[] = {"low", "medium", "high"};
  Rng *r = &g->rng;
  long long open, resp, done;
  char id[16], sid[16], a[32], b[32], d[32];
  int owner = complaint_owner(g, t), cat = rng_pick(r, category_w, 5), sev = rng_pick(r, severity_w, 3);
  complaint_times(g, &open, &resp, &done);
  if (open < c->created * DAY) return;
  if (done >= 0 && rng_pct(r, c->tier <= TIER_KEY ? 50 : 30)) {
    long long at = done + rng_range(r, 2 * HOUR, 150 * HOUR);
    int by = t->who[R_SERVICE] >= 0 ? t->who[R_SERVICE] : owner;
    if (at <= g->now) push_contact(g, at, L_SERVICE, rng_pct(r, 70) ? 1 : 0, by, CALLBACK_SUMMARY);
  }
  put_row(g, T_COMPLAINTS, "tttttttt", fmt_id(id, 'K', 6, g->rows[T_COMPLAINTS] + 1), cid,
          category[cat], severity[sev], fmt_ts(a, open), resp < 0 ? NULL : fmt_ts(b, resp),
          done < 0 ? NULL : fmt_ts(d, done), staff_id(sid, owner));
}

/* Writes c's complaints: about 0.3 a client, more for bigger clients. */
static void gen_complaints(Gen *g, const Client *c, const char *cid, const Team *t) {
  static const double mean[] = {0.23, 0.8, 2.5, 4.0}; /* by class, when active */
  double m = c->status == ST_PROSPECT ? 0 : c->status == ST_ACTIVE ? mean[c->klass] : 0.1;
  int k = rng_geom(&g->rng, m);
  for (int i = 0; i < k; i++) put_complaint(g, c, cid, t);
}

/* ---- surveys and credit ---- */

/* Returns a satisfaction score: mostly 7..10, 12% at 6 or below. */
static int survey_score(Rng *r) {
  static const int weight[] = {20, 35, 30, 15};
  return rng_pct(r, 12) ? (int)rng_range(r, 2, 6) : 7 + rng_pick(r, weight, 4);
}

/* Writes about one survey a year for bigger clients; 20% of strategic and key ones
   have none in the last 365 days. */
static void gen_surveys(Gen *g, const Client *c, const char *cid) {
  Rng *r = &g->rng;
  int size = c->tier < c->computed ? c->tier : c->computed, day[8], k = 0, last;
  int start = max_int(c->created, g->today - 4 * 365);
  if (c->status != ST_ACTIVE && c->status != ST_DORMANT) return;
  if (size > TIER_MAJOR && !rng_pct(r, 3)) return;
  if (c->tier <= TIER_KEY)
    last = rng_pct(r, 20) ? (int)rng_range(r, 366, 540) : (int)rng_range(r, 20, 364);
  else
    last = (int)rng_range(r, 20, 540);
  for (int d = g->today - last; d >= start && k < 8; d -= (int)rng_range(r, 330, 400)) day[k++] = d;
  while (k-- > 0) {
    char id[16], on[16];
    put_row(g, T_SURVEYS, "ttti", fmt_id(id, 'Q', 6, g->rows[T_SURVEYS] + 1), cid,
            fmt_date(on, day[k]), survey_score(r));
  }
}

/* Writes a credit row for 60% of clients: rating A, B or C, and overdue payments. */
static void gen_credit(Gen *g, const Client *c, const char *cid) {
  static const char *const rating[] = {"A", "B", "C"};
  static const int rating_w[] = {55, 40, 5}, days_w[] = {55, 35, 10};
  static const int days_lo[] = {1, 31, 91}, days_hi[] = {30, 90, 150};
  Rng *r = &g->rng;
  char on[16];
  int rate, days = 0, band;
  long long owed = 0;
  if (!rng_pct(r, 60)) return;
  rate = rng_pick(r, rating_w, 3);
  if (rng_pct(r, 35)) {
    band = rng_pick(r, days_w, 3);
    days = (int)rng_range(r, days_lo[band], days_hi[band]);
    owed = rng_range(r, 2000 * 100, 50000 * 100 + c->sales12 / 20);
  }
  put_row(g, T_CREDIT, "ttmit", cid, rating[rate], owed, days,
          fmt_date(on, g->today - (int)rng_range(r, 0, 364)));
}

/* ---- main ---- */

/* Writes client i and all its facts. */
static void gen_client(Gen *g, int i) {
  const Client *c = &g->cl[i];
  char id[16];
  Team t;
  fmt_id(id, 'C', 6, i + 1);
  put_client(g, c, id);
  if (c->created > g->today) return; /* a client of the future has no facts yet */
  gen_team(g, c, id, &t);
  gen_orders(g, c, id);
  gen_contacts(g, c, &t);
  gen_complaints(g, c, id, &t);
  flush_contacts(g, id);
  gen_surveys(g, c, id);
  gen_credit(g, c, id);
}

/* Prints usage and exits 1. */
static void usage(void) {
  die("usage: gen -s SCHEMA.sql -o OUT.db [-n CLIENTS] [--seed N] [--as-of YYYY-MM-DD]");
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

/* Fills o from the command line, or dies with usage. */
static void parse_args(int argc, char **argv, Options *o) {
  *o = (Options){NULL, NULL, 3000, days_from_civil(2026, 11, 15), 42};
  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) usage();
    if (strcmp(opt, "-s") == 0) o->schema = val;
    else if (strcmp(opt, "-o") == 0) o->out = val;
    else if (strcmp(opt, "-n") == 0) o->nclients = (int)parse_number(val, opt, 1, MAX_CLIENTS);
    else if (strcmp(opt, "--seed") == 0) o->seed = parse_number(val, opt, 0, UINT64_MAX);
    else if (strcmp(opt, "--as-of") == 0) {
      if (parse_date(val, &o->today) != 0) die("--as-of: expected YYYY-MM-DD (1980..9990), got '%s'", val);
    } else usage();
    i++;
  }
  if (!o->schema || !o->out) usage();
}

/* Generates the database described by the options and prints the row counts. */
int main(int argc, char **argv) {
  Options o;
  Gen g;
  parse_args(argc, argv, &o);
  memset(&g, 0, sizeof g);
  g.rng.s = o.seed;
  g.today = o.today;
  g.now = o.today * DAY + DAY - 1;
  g.nclients = o.nclients;
  g.nstaff = max_int(40, o.nclients / 25);
  g.out = o.out;
  open_db(&g, &o);
  gen_staff(&g);
  plan_clients(&g);
  for (int i = 0; i < g.nclients; i++) gen_client(&g, i);
  /* The service engineers are fully booked: a missing one cannot be
     proposed, so the demo shows staffing.unfilled as well. */
  exec_sql(&g, "UPDATE staff SET capacity = (SELECT count(*) FROM client_staff cs "
                "WHERE cs.staff_id = staff.id AND cs.role = 'service_engineer') "
                "WHERE role = 'service_engineer'", "booking service engineers");
  exec_sql(&g, "COMMIT", "commit");
  for (int t = 0; t < NTAB; t++) printf("%s%s=%lld", t ? " " : "", TABLE[t], g.rows[t]);
  putchar('\n');
  live = NULL;
  release(&g);
  return 0;
}
