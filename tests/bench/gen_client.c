/* gen_client.c: a client's generated rows: staff, orders, contacts, complaints, surveys, credit. */

#include "gen.h"

#include <math.h>

/* Contact intervals of rules/POLICY.md in days, by tier and level (0: none). */
static const int INTERVAL[NTIER][NLEVEL] = {
    {182, 31, 182, 92, 0}, {365, 61, 0, 182, 0}, {0, 92, 0, 0, 0}, {0, 0, 0, 0, 0}};
/* Contact habits by tier and level: {percent of clients, least and largest usual gap in days}. */
static const int HABIT[NTIER][NLEVEL][3] = {
    {{100, 60, 170}, {100, 10, 29}, {100, 60, 170}, {100, 30, 88}, {90, 20, 90}},
    {{100, 120, 350}, {100, 20, 58}, {60, 90, 270}, {100, 60, 175}, {80, 30, 120}},
    {{25, 365, 730}, {100, 30, 88}, {40, 120, 365}, {30, 120, 365}, {50, 60, 240}},
    {{1, 365, 730}, {90, 40, 1000}, {6, 180, 720}, {4, 180, 720}, {12, 120, 720}}};

/* Draws how a time is written: 97% ISO, the rest with a space, a fraction or a bare date. */
static int draw_style(const Gen *g, Rng *r)
{
  return rng_rare(g, r, 3) ? F_SPACE + (int)rng_range(r, 0, 2) : F_ISO;
}

/* Adds one client_staff row; until < 0 means NULL. */
static void add_staff_row(Gen *g, int i, int s, int since, int until)
{
  StaffRow *x = push(g, &g->rows[T_CLIENT_STAFF], i, since * DAY);
  x->staff = s;
  x->until = until;
  x->role = g->role[s];
}

/* Gives client i a member of role: fail_pct percent of the time none is current (no
 * row, an ended row, one starting after D, or a member who has left); otherwise a
 * current row, sometimes after a predecessor or with a planned end after D, and now
 * and then beside a second current member. */
static void assign_role(Gen *g, Rng *r, int i, int role, int fail_pct, Team *t)
{
  int D = g->today, from = max_int(g->plan[i].created, D - 4 * 365), u = (int)rng_range(r, 0, 99);
  int s = pick_staff(g, r, role), since = (int)rng_range(r, from, D);
  if (s < 0)
    return;
  if (u < fail_pct) {
    int mode = u * 4 / fail_pct, gone = pick_inactive(g, r);
    if (mode == 1 && since < D)
      add_staff_row(g, i, s, since, (int)rng_range(r, since + 1, D));
    if (mode == 2)
      add_staff_row(g, i, s, D + (int)rng_range(r, 1, 30), -1);
    if (mode == 3 && gone >= 0 && g->role[gone] == role)
      add_staff_row(g, i, gone, since, -1);
    return;
  }
  if (u >= 92 && since - from > 60)
    add_staff_row(g, i, pick_staff(g, r, role), (int)rng_range(r, from, since - 30), since);
  add_staff_row(g, i, s, since, u >= 85 && u < 92 ? D + (int)rng_range(r, 1, 180) : -1);
  t->who[role] = s;
  if (rng_rare(g, r, 1)) /* a second current member: the later since, or the smaller id, counts */
    add_staff_row(g, i, pick_staff(g, r, role), rng_pct(r, 50) ? since : (int)rng_range(r, from, D),
                  -1);
}

/* Writes client i's client_staff rows: the roles its tier requires, fallibly, and a key
 * account manager for most other clients still in business. */
static void gen_team(Gen *g, Rng *r, int i, Team *t)
{
  const Plan *p = &g->plan[i];
  for (int k = 0; k < NROLE; k++)
    t->who[k] = -1;
  if (p->status == ST_CLOSED) {
    if (rng_pct(r, 50)) {
      int since = (int)rng_range(r, p->created, g->today - 1);
      add_staff_row(g, i, pick_staff(g, r, R_KAM), since, (int)rng_range(r, since + 1, g->today));
    }
  } else if (p->tier == TIER_STRATEGIC) {
    for (int role = R_KAM; role <= R_SERVICE; role++)
      if (role != R_RESIDENT || p->sales12 >= 5000 * WAN)
        assign_role(g, r, i, role, 15, t);
  } else if (p->tier == TIER_KEY) {
    assign_role(g, r, i, R_KAM, 15, t);
    if (rng_pct(r, 50))
      assign_role(g, r, i, R_SERVICE, 5, t);
    if (rng_pct(r, 30))
      assign_role(g, r, i, R_QUALITY, 5, t);
  } else if (rng_pct(r, p->tier == TIER_MAJOR ? 95 : p->status == ST_PROSPECT ? 30 : 70)) {
    assign_role(g, r, i, R_KAM, p->tier == TIER_MAJOR ? 15 : 5, t);
    if (rng_pct(r, 5))
      assign_role(g, r, i, R_SERVICE, 5, t);
  }
}

/* Adds an order of client i on day: due 15..60 days on, delivered around its due date
 * (late with probability late percent), or pending; a few deliveries are already
 * recorded for days after D, some are written as timestamps. */
static void add_order(Gen *g, Rng *r, int i, int day, long long mills, double late)
{
  OrderRow *o = push(g, &g->rows[T_ORDERS], i, day * DAY);
  o->mills = mills;
  o->due = day + (int)rng_range(r, 15, 60);
  o->delivered = o->due + (int)(rng_pct(r, late) ? rng_range(r, 1, 10) : rng_range(r, -5, 0));
  if ((o->delivered > g->today && !rng_pct(r, 20)) || rng_pct(r, 1))
    o->delivered = -1;
  o->style = rng_rare(g, r, 1) ? F_ISO : F_DATE;
}

/* Returns an amount in mills near typical (in mills): whole cents, mostly; one in a
 * hundred has a third decimal, half of them a half cent (x.xx5). */
static long long order_amount(const Gen *g, Rng *r, long long typical)
{
  long long cents = (long long)((double)typical * (0.5 + rng_unit(r)) / 10) + 1;
  if (!rng_rare(g, r, 1))
    return cents * 10;
  return cents * 10 + (rng_pct(r, 50) ? 5 : rng_range(r, 1, 9));
}

/* Writes client i's orders: its planned sales of the last 365 days split exactly into
 * orders12 orders (for a client on a threshold, whole cents but for one small order that
 * carries the half cent, if any), fewer in the two years before, and now and then one
 * dated after D. */
static void gen_orders(Gen *g, Rng *r, int i)
{
  const Plan *p = &g->plan[i];
  int D = g->today, from = max_int(p->created, D - 364), lo = max_int(p->created, D - 3 * 365 + 1);
  long long small = p->edge ? rng_range(r, 100, 99999) * 10 + p->sales12 % 10 : 0;
  long long left = p->sales12 - small,
            typical = p->orders12 ? p->sales12 / p->orders12 : draw_sales(r) / 3;
  double late = p->tier == TIER_STRATEGIC ? (rng_pct(r, 30) ? 30 : 1)
                : p->tier == TIER_KEY     ? 5
                                          : 10;
  if (p->status == ST_PROSPECT)
    return;
  for (int k = p->orders12 - (small > 0); k > 0; k--) {
    long long a = k == 1 ? left : order_amount(g, r, left / k);
    if (k > 1 && (a > left / 2 || p->edge))
      a = (a > left / 2 ? left / k : a) / 10 * 10;
    left -= a;
    add_order(g, r, i, (int)rng_range(r, from, D), a, late);
  }
  if (small)
    add_order(g, r, i, (int)rng_range(r, from, D), small, late);
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
static void add_contact(Gen *g, Rng *r, int i, const Team *t, int level, long long at)
{
  static const int role[NLEVEL] = {R_MM, R_KAM, R_TECH, R_QUALITY, R_SERVICE};
  static const int channel_w[NLEVEL][5] = {{50, 5, 0, 40, 5},
                                           {40, 35, 10, 5, 10},
                                           {25, 10, 15, 30, 20},
                                           {45, 10, 10, 30, 5},
                                           {45, 40, 5, 5, 5}};
  ContactRow *c = push(g, &g->rows[T_CONTACTS], i, at);
  int who = t->who[role[level]];
  c->level = (unsigned char)level;
  c->channel = (unsigned char)rng_pick(r, channel_w[level], 5);
  c->staff = rng_pct(r, 3) ? -1 : who >= 0 ? who : pick_staff(g, r, role[level]);
  c->style = (unsigned char)draw_style(g, r);
}

/* Returns how many days ago the last contact of an obligation was: mostly within the
 * interval, 18% overdue, 10% twice overdue. */
static int last_contact_age(Rng *r, int interval)
{
  int u = (int)rng_range(r, 0, 99);
  if (u < 72)
    return (int)rng_range(r, 0, interval - 1);
  if (u < 90)
    return (int)rng_range(r, interval, 2 * interval - 1);
  return (int)rng_range(r, 2 * interval, 3 * interval - 1);
}

/* Writes client i's contacts of the last two years by the habits of its tier: most
 * clients have a few, strategic ones many; dormant and closed ones went quiet. */
static void gen_contacts(Gen *g, Rng *r, int i, const Team *t)
{
  const Plan *p = &g->plan[i];
  int D = g->today, start = max_int(p->created, D - 730), quiet = 0;
  if (p->status == ST_DORMANT)
    quiet = (int)rng_range(r, 150, 600);
  if (p->status == ST_CLOSED)
    quiet = (int)rng_range(r, 60, 700);
  if (D - p->created <= 30) { /* new: half are not contacted yet */
    if (rng_pct(r, 50))
      add_contact(g, r, i, t, L_ACCOUNT,
                  rng_range(r, p->created, D) * DAY + rng_range(r, 8 * HOUR, 19 * HOUR));
    return;
  }
  for (int level = 0; level < NLEVEL; level++) {
    const int *habit = HABIT[p->tier][level];
    int interval = INTERVAL[p->tier][level], gap, last;
    if (!rng_pct(r, habit[0]))
      continue;
    gap = (int)exp(log(habit[1]) + rng_unit(r) * (log(habit[2]) - log(habit[1])));
    last = interval ? last_contact_age(r, interval) : (int)rng_range(r, 0, gap);
    for (int day = D - quiet - last; day >= start; day -= (int)rng_range(r, gap / 2 + 1, gap))
      add_contact(g, r, i, t, level, day * DAY + rng_range(r, 8 * HOUR, 19 * HOUR));
  }
  if (p->status == ST_ACTIVE && rng_rare(g, r, 1)) /* a visit logged ahead: not yet */
    add_contact(g, r, i, t, L_ACCOUNT, g->now + (rng_pct(r, 10) ? 1 : rng_range(r, 1, 10 * DAY)));
}

/* Returns a complaint owner: mostly assigned staff, sometimes someone gone, or nobody. */
static int complaint_owner(const Gen *g, Rng *r, const Team *t)
{
  int u = (int)rng_range(r, 0, 99);
  if (u < 15)
    return -1;
  if (u < 21)
    return pick_inactive(g, r);
  if (t->who[R_KAM] >= 0 && u < 70)
    return t->who[R_KAM];
  return t->who[R_SERVICE] >= 0 ? t->who[R_SERVICE]
                                : pick_staff(g, r, rng_pct(r, 50) ? R_KAM : R_SERVICE);
}

/* Returns a time lo..hi hours before now: a third on the whole hour, the rest with
 * random seconds; now and then (a rare case) within a second of an age at which a
 * complaint rule changes (rules/POLICY.md: T, T+24, T+48 for T = 12 or 24; 168, 336, 720). */
static long long hours_before_now(const Gen *g, Rng *r, long long lo, long long hi)
{
  static const int edge[] = {12, 24, 36, 48, 60, 72, 168, 336, 720};
  if (rng_rare(g, r, 2))
    return g->now - edge[rng_range(r, 0, COUNT(edge) - 1)] * HOUR + rng_range(r, -1, 1);
  return g->now - rng_range(r, lo, hi) * HOUR -
         (rng_pct(r, 33) ? 0 : rng_range(r, -HOUR / 2, HOUR / 2));
}

/* Adds one complaint of client i: 18% unanswered (mostly 2..80 hours old), 17% answered
 * and open, 65% resolved (mostly in the last 90 days); a few answers or resolutions are
 * dated after now. A resolution is often followed by a service call-back. */
static void add_complaint(Gen *g, Rng *r, int i, const Team *t)
{
  static const int category_w[] = {35, 25, 20, 15, 5}, severity_w[] = {40, 45, 15};
  int u = (int)rng_range(r, 0, 99);
  long long open, resp = -1, done = -1, now = g->now;
  if (u < 18) {
    open = hours_before_now(g, r, 2, rng_pct(r, 80) ? 80 : 480);
  } else if (u < 35) {
    open = hours_before_now(g, r, 24, 600);
    resp = open + rng_range(r, HOUR / 2, 30 * HOUR);
  } else {
    open = now -
           (rng_pct(r, 90) ? rng_range(r, 8 * DAY, 90 * DAY) : rng_range(r, 90 * DAY, 365 * DAY));
    done = open + rng_range(r, 4 * HOUR, 12 * DAY);
    if (rng_pct(r, 10))
      done = hours_before_now(g, r, 168, 720);
    if (done < open)
      done = open;
    resp = rng_pct(r, 3) ? -1 : open + rng_range(r, HOUR / 2, 24 * HOUR);
    if (resp > done)
      resp = done;
  }
  if (open < g->plan[i].created * DAY)
    return;
  if (resp > now || (resp >= 0 && rng_rare(g, r, 1)))
    resp = now + rng_range(r, 1, 48 * HOUR);
  if (done > now || (done >= 0 && rng_rare(g, r, 1)))
    done = now + rng_range(r, 1, 48 * HOUR);
  ComplaintRow *k = push(g, &g->rows[T_COMPLAINTS], i, open);
  k->resp = resp;
  k->done = done;
  k->owner = complaint_owner(g, r, t);
  k->category = (unsigned char)rng_pick(r, category_w, 5);
  k->severity = (unsigned char)rng_pick(r, severity_w, 3);
  k->style = (unsigned char)draw_style(g, r);
  if (done >= 0 && done <= now && rng_pct(r, g->plan[i].tier <= TIER_KEY ? 60 : 30)) {
    long long at = done + (rng_pct(r, 5) ? 168 * HOUR + rng_range(r, 0, 1)
                                         : rng_range(r, 2 * HOUR, 150 * HOUR));
    if (at <= now)
      add_contact(g, r, i, t, L_SERVICE, at);
  }
}

/* Writes client i's complaints: about 0.3 a client, more for bigger clients. */
static void gen_complaints(Gen *g, Rng *r, int i, const Team *t)
{
  static const double mean[NTIER] = {2.5, 2.5, 0.8, 0.25};
  const Plan *p = &g->plan[i];
  double m = p->status == ST_ACTIVE ? mean[p->tier] : p->status == ST_DORMANT ? 0.05 : 0;
  for (int k = rng_geom(r, m); k > 0; k--)
    add_complaint(g, r, i, t);
}

/* Returns a satisfaction score: mostly 7..10, 12% at 6 or below. */
static int survey_score(Rng *r)
{
  static const int w[] = {20, 35, 30, 15};
  return rng_pct(r, 12) ? (int)rng_range(r, 0, 6) : 7 + rng_pick(r, w, 4);
}

/* Adds a survey of client i on day. */
static void add_survey(Gen *g, Rng *r, int i, int day)
{
  SurveyRow *s = push(g, &g->rows[T_SURVEYS], i, day * DAY);
  s->score = (unsigned char)survey_score(r);
}

/* Writes client i's surveys: about one a year for bigger clients (20% of strategic and
 * key ones have none in the last 365 days), now and then for others; sometimes two on
 * one day, and now and then one dated after D. */
static void gen_surveys(Gen *g, Rng *r, int i)
{
  const Plan *p = &g->plan[i];
  int start = max_int(p->created, g->today - 4 * 365), last;
  if (p->status != ST_ACTIVE && p->status != ST_DORMANT)
    return;
  if (p->tier == TIER_GENERAL && !rng_pct(r, 20))
    return;
  if (p->tier <= TIER_KEY)
    last = rng_pct(r, 20) ? (int)rng_range(r, 366, 540) : (int)rng_range(r, 0, 364);
  else
    last = (int)rng_range(r, 0, 900);
  if (g->today - last < start)
    return;
  add_survey(g, r, i, g->today - last);
  if (rng_rare(g, r, 3))
    add_survey(g, r, i, g->today - last);
  for (int d = g->today - last - (int)rng_range(r, 330, 400); d >= start;
       d -= (int)rng_range(r, 330, 400))
    add_survey(g, r, i, d);
  if (rng_rare(g, r, 1))
    add_survey(g, r, i, g->today + (int)rng_range(r, 1, 20));
}

/* Writes a credit row for 60% of clients: rating A, B or C (rarely none or a lower-case
 * c), overdue payments for a third; a few assessed after D. */
static void gen_credit(Gen *g, Rng *r, int i)
{
  static const int rating_w[] = {540, 390, 50, 5}, days_w[] = {55, 35, 10};
  static const int days_lo[] = {1, 31, 91}, days_hi[] = {30, 90, 150};
  if (g->plan[i].status == ST_PROSPECT || !rng_pct(r, 60))
    return;
  int day = g->today - (int)(rng_rare(g, r, 0.5) ? -rng_range(r, 1, 30) : rng_range(r, 0, 364));
  CreditRow *c = push(g, &g->rows[T_CREDIT], i, day * DAY);
  c->rating = (signed char)(rng_pct(r, 2) ? -1 : rng_pick(r, rating_w, 4));
  if (rng_pct(r, 35)) {
    int band = rng_pick(r, days_w, 3);
    c->days = (int)rng_range(r, days_lo[band], days_hi[band]);
    c->owed = order_amount(g, r, 20000 * YUAN + g->plan[i].sales12 / 20);
  }
}

void gen_client(Gen *g, int i)
{
  Rng r = stream(g, i, 5);
  Team t;
  g->seq = 0;
  if (g->plan[i].created > g->today)
    return; /* a client of the future has no facts yet */
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
