/* guard.c: refuses a nightly run that looks like a failed export (an empty
 * clients table, many clients gone, a table that had rows come empty, most
 * open alerts resolving at once) or
 * that would rewind the state to an earlier day without --replay. */
#include "guard.h"

#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "dates.h"
#include "progress.h"

#define WARN_RESOLVED 10   /* resolved alerts below min_count that are warned of */
/* The hint ending every refusal. */
#define FORCE_HINT "nothing was written; if this is what you mean, run again with --force"

int cp_guard_facts(const cp_config *cfg, cp_facts *facts, const cp_opts *o)
{
  uint64_t n = 0;
  if (o->force)
    return 0;
  if (cp_facts_count_clients(facts, &n) != CP_OK)
    return -1;
  if (n > 0)
    return 0;
  cp_diag_fail(CP_EFACTS, "guard: the clients table '%s' of %s has no rows (a failed export?); "
            FORCE_HINT, cfg->file->clients->table ? cfg->file->clients->table
                                                  : cfg->file->clients->name, cfg->facts);
  return 1;
}

int cp_guard_as_of(const cp_store *s, const cp_opts *o)
{
  const cp_last_run *last = cp_store_last(s);
  if (o->replay || !last->id || o->as_of >= last->as_of)
    return 0;
  char day[16], then[16];
  cp_dates_format_date(o->as_of, day);
  cp_dates_format_date(last->as_of, then);
  cp_diag_fail(CP_ESTATE, "guard: --as-of %s is earlier than the last run (run %lld as of %s); "
            "nothing was written; --replay replays that day (the state goes back to what "
            "the facts say as of %s, and the feed gets the events of the change)", day,
            (long long)last->id, then, day);
  return 1;
}

/* Returns 1 when table name is in guard.allow_empty. */
static int allowed_empty(const cp_guard_cfg *g, const char *name)
{
  for (unsigned i = 0; i < g->allow_empty_count; i++)
    if (!strcmp(g->allow_empty[i], name))
      return 1;
  return 0;
}

/* Returns 1 when the run is a replay of a day before the last run's: its
 * shares say nothing (clients created since do not exist yet, alerts
 * opened since resolve, as --replay asked). */
static int replaying(const cp_last_run *last, const cp_opts *o)
{
  return last->id && o->as_of < last->as_of;
}

/* Returns per-client table i of the config, or lookup i - tables_count. */
static const cp_table_cfg *table_at(const cp_config_file *f, unsigned i)
{
  return i < f->tables_count ? &f->tables[i] : &f->lookups[i - f->tables_count];
}

/* Writes how messages name table t: by the config's name, which
 * guard.allow_empty takes, and its SQL table when that differs. */
static void table_label(char *buf, size_t cap, const cp_table_cfg *t)
{
  if (t->table && strcmp(t->table, t->name))
    snprintf(buf, cap, "'%s' (SQL table '%s')", t->name, t->table);
  else
    snprintf(buf, cap, "'%s'", t->name);
}

/* Counts one facts table (up to table_empty_min rows) and holds it against
 * the last run's: 1 when refused. (The rows the run reads are recorded
 * before its commit: cp_guard_table_rows.) */
static int guard_table(const cp_config *cfg, cp_facts *facts, const cp_store *s,
                       const cp_opts *o, const cp_table_cfg *t)
{
  const cp_guard_cfg *g = &cfg->file->guard;
  const char *sql = t->table ? t->table : t->name;
  uint64_t cap = g->table_empty_min ? g->table_empty_min : 1, now = 0;
  if (cp_facts_count_rows(facts, sql, cap, &now) != CP_OK)
    return 0;   /* not counted: reading the table fails too, with the message */
  int64_t last = cp_store_last_rows(s, t->name);
  if (allowed_empty(g, t->name))
    return 0;   /* it may come empty (a view of open items, say) */
  if (o->force || now > 0 || last <= 0)
    return 0;
  long long run = (long long)cp_store_last(s)->id;
  char name[600], had[32];
  table_label(name, sizeof name, t);
  cp_progress_format_count(had, (uint64_t)last);
  if ((uint64_t)last >= cap) {
    cp_diag_fail(CP_EFACTS, "guard: the table %s of %s has no rows, and had %s in the last "
                 "run (run %lld) (a failed export?); if it may come empty, name it in "
                 "guard.allow_empty; " FORCE_HINT, name, cfg->facts, had, run);
    return 1;
  }
  cp_diag_warn("guard: the table %s of %s has no rows, and had %s in the last run (run "
               "%lld); it is not refused with fewer than guard.table_min_count (%u); if the "
               "export lost it, run again with the right facts", name, cfg->facts, had,
               run, g->table_empty_min);
  return 0;
}

int cp_guard_tables(const cp_config *cfg, cp_facts *facts, const cp_store *s, const cp_opts *o)
{
  const cp_config_file *f = cfg->file;
  int refused = 0;   /* every table refused is said, not the first alone */
  for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++)
    refused |= guard_table(cfg, facts, s, o, table_at(f, i));
  return refused;
}

/* What cp_guard_rules checks the state's ids against. */
typedef struct rules_seen {
  const cp_config *cfg;
  const cp_rules *rules;
  int refused;              /* an id was refused */
} rules_seen;

/* Holds one id of the state's open alerts and proposals against the rules. */
static int check_id(void *ctx, const char *id, uint64_t alerts, uint64_t assignments)
{
  rules_seen *r = ctx;
  const cp_guard_cfg *g = &r->cfg->file->guard;
  if (cp_rules_reports(r->rules, id, 0))
    return 0;
  /* a glob, or the id as the message names it (an id such as 'late[1]'
   * is no glob of itself) */
  for (unsigned i = 0; i < g->allow_removed_count; i++)
    if (!strcmp(g->allow_removed[i], id) || fnmatch(g->allow_removed[i], id, 0) == 0)
      return 0;
  char a[32], p[32], held[128];
  cp_progress_format_count(a, alerts);
  cp_progress_format_count(p, assignments);
  if (alerts && assignments)
    snprintf(held, sizeof held, "%s open alert%s and %s proposed assignment%s", a,
             alerts == 1 ? "" : "s", p, assignments == 1 ? "" : "s");
  else if (alerts)
    snprintf(held, sizeof held, "%s open alert%s", a, alerts == 1 ? "" : "s");
  else
    snprintf(held, sizeof held, "%s proposed assignment%s", p, assignments == 1 ? "" : "s");
  cp_diag_fail(CP_EFACTS, "guard: no rule reports under '%s' any more (not in %s's rule files, "
               "nor in a rule's emits), and the state holds %s of it, which this run would "
               "close (a rule file left out of the config's rules:, a rule renamed?); if it "
               "was retired on purpose, name it in guard.allow_removed; " FORCE_HINT,
               id, r->cfg->path, held);
  r->refused = 1;
  return 0;
}

int cp_guard_rules(const cp_config *cfg, const cp_rules *rules, cp_store *s, const cp_opts *o)
{
  if (o->force)
    return 0;
  rules_seen r = {.cfg = cfg, .rules = rules};
  if (cp_store_open_ids(s, check_id, &r) != CP_OK)
    return -1;
  return r.refused;
}

/* Returns part as a share of whole, in percent. */
static double percent(uint64_t part, uint64_t whole)
{
  return whole ? 100.0 * (double)part / (double)whole : 0;
}

int cp_guard_commit(const cp_config *cfg, const cp_store *s, const cp_opts *o, int number_ids)
{
  const cp_guard_cfg *g = &cfg->file->guard;
  const cp_last_run *last = cp_store_last(s);
  const cp_store_stats *now = cp_store_stats_of(s);
  uint64_t resolved = now->events[CP_EV_ALERT_RESOLVED];
  if (o->force)
    return 0;
  if (now->clients == 0) {   /* rows, but none usable: an export as failed as an empty one */
    char n[32];
    cp_progress_format_count(n, now->findings);
    if (number_ids) {   /* --force would evaluate none either, and resolve every alert */
      cp_diag_fail(CP_EFACTS, "guard: no client was evaluated: the client ids of the clients "
                   "table '%s' of %s are stored as numbers (%s data problems; see the warning "
                   "above); nothing was written; --force would evaluate no client either, and "
                   "resolve every open alert: store the ids as TEXT or read them through a view "
                   "that casts them", cfg->file->clients->table ? cfg->file->clients->table
                   : cfg->file->clients->name, cfg->facts, n);
      return 2;
    }
    cp_diag_fail(CP_EFACTS, "guard: no client was evaluated: every row of the clients table "
                 "'%s' of %s was skipped, out of scope or not yet created (%s data problems; a failed "
                 "export?); " FORCE_HINT, cfg->file->clients->table ? cfg->file->clients->table
                 : cfg->file->clients->name, cfg->facts, n);
    return 2;
  }
  if (replaying(last, o))
    return 0;
  int refused = 0;   /* every share passed is said, not the first alone */
  if (last->id && last->clients >= g->min_count && now->clients < last->clients &&
      percent(last->clients - now->clients, last->clients) > g->client_drop_percent) {
    char a[32], b[32];
    cp_progress_format_count(a, now->clients);
    cp_progress_format_count(b, last->clients);
    cp_diag_fail(CP_EFACTS, "guard: %s clients evaluated, %s in the last run (run %lld): a "
              "drop of %.1f%%, more than guard.client_drop_percent (%u%%); " FORCE_HINT,
              a, b, (long long)last->id, percent(last->clients - now->clients, last->clients),
              g->client_drop_percent);
    refused = 1;
  }
  if (last->open_alerts >= g->min_count &&
      percent(resolved, last->open_alerts) > g->resolve_percent) {
    char a[32], b[32];
    cp_progress_format_count(a, resolved);
    cp_progress_format_count(b, last->open_alerts);
    cp_diag_fail(CP_EFACTS, "guard: this run would resolve %s of the %s open alerts (%.1f%%), "
              "more than guard.resolve_percent (%u%%); " FORCE_HINT, a, b,
              percent(resolved, last->open_alerts), g->resolve_percent);
    refused = 1;
  }
  /* below min_count a share is not refused, but ten or more alerts
   * resolving past it are said (an export with one table empty) */
  else if (last->open_alerts < g->min_count && resolved >= WARN_RESOLVED &&
      percent(resolved, last->open_alerts) > g->resolve_percent) {
    char a[32], b[32];
    cp_progress_format_count(a, resolved);
    cp_progress_format_count(b, last->open_alerts);
    cp_diag_warn("guard: this run resolves %s of the %s open alerts (%.1f%%), more than "
                 "guard.resolve_percent (%u%%); it is not refused with fewer than "
                 "guard.min_count (%u) open; if a table of the export came empty, run again "
                 "with the right facts", a, b, percent(resolved, last->open_alerts),
                 g->resolve_percent, g->min_count);
  }
  return refused;
}

/* Returns 1 when table t reads column col (findings name it so): one of
 * its columns, its key, id, order or exists_from. */
static int reads_column(const cp_table_cfg *t, const char *col)
{
  const char *own[] = {t->key, t->id, t->order, t->exists_from};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (own[i] && !strcasecmp(own[i], col))
      return 1;
  for (unsigned i = 0; i < t->columns_count; i++)
    if (!strcasecmp(t->columns[i].name, col))
      return 1;
  return 0;
}

/* Finds the tables whose data problems in column col are named sql (their
 * SQL table or view, as findings name it): their label, the rows this run
 * read of them and the last run's (-1: not known), each summed over the
 * config's tables that read col of sql (each says its own problems, so two
 * reading one SQL table count its rows twice too), and the measure that
 * guard.table_min_count (the clients table: min_count) is held against.
 * Returns the number of such tables; 0 when no table of the config is it. */
static unsigned rows_of(const cp_config *cfg, const cp_facts *facts, const cp_store *s,
                        const char *sql, const char *col, char *label, size_t cap,
                        uint64_t *now, int64_t *last, uint32_t *min)
{
  const cp_config_file *f = cfg->file;
  unsigned k = 0;
  int any = 0;   /* the tables that read the column; when none says so, every table of sql */
  *now = 0;
  *last = 0;
  *min = f->guard.table_min_count;
  for (; any < 2 && k == 0; any++)
    for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++) {
      const cp_table_cfg *t = table_at(f, i);
      if (strcmp(t->table ? t->table : t->name, sql) || (!any && !reads_column(t, col)))
        continue;
      int64_t had = cp_store_last_rows(s, t->name);
      if (k++ == 0)
        table_label(label, cap, t);
      *now += cp_facts_rows_read(facts, i);
      *last = *last < 0 || had < 0 ? -1 : *last + had;
    }
  if (k > 1) {   /* 'orders_v' (read as 'orders' and as 'big_orders') */
    size_t n = (size_t)snprintf(label, cap, "'%s' (read as", sql);
    unsigned m = 0;
    for (unsigned i = 0; i < f->tables_count + f->lookups_count && n < cap; i++) {
      const cp_table_cfg *t = table_at(f, i);
      if (!strcmp(t->table ? t->table : t->name, sql) && (any > 1 || reads_column(t, col)))
        n += (size_t)snprintf(label + n, cap - n, "%s '%s'", m++ ? " and as" : "", t->name);
    }
    if (n < cap)
      snprintf(label + n, cap - n, ")");
  }
  if (k)
    return k;
  const cp_last_run *l = cp_store_last(s);
  if (strcmp(f->clients->table ? f->clients->table : f->clients->name, sql))
    return 0;
  snprintf(label, cap, "'%s'", sql);
  *now = cp_store_stats_of(s)->clients;   /* the clients evaluated, as the last run counted */
  *last = l->id ? (int64_t)l->clients : -1;
  *min = f->guard.min_count;
  return 1;
}

int cp_guard_columns(const cp_config *cfg, const cp_facts *facts, cp_store *s, const cp_opts *o,
                     const cp_tally *tally)
{
  const cp_guard_cfg *g = &cfg->file->guard;
  if (o->force || replaying(cp_store_last(s), o))
    return 0;
  int refused = 0;   /* every column refused is said */
  for (size_t i = 0; i < tally->n; i++) {
    const cp_tally_col *c = &tally->cols[i];
    char label[600];
    uint64_t rows = 0, had = 0;
    int64_t last_rows = -1;
    uint32_t min = 0;
    unsigned k = rows_of(cfg, facts, s, c->table, c->column, label, sizeof label, &rows,
                         &last_rows, &min);
    if (!k || rows / k < min || last_rows < 0 || (uint64_t)last_rows / k < min || rows == 0)
      continue;
    if (cp_store_last_problems(s, c->table, c->column, &had) != CP_OK)
      return -1;
    double now = percent(c->n < rows ? c->n : rows, rows);
    double then = percent(had < (uint64_t)last_rows ? had : (uint64_t)last_rows,
                          (uint64_t)last_rows);
    if (now - then <= g->column_problem_percent)
      continue;
    char a[32], b[32], x[32], y[32];
    cp_progress_format_count(a, c->n < rows ? c->n : rows);
    cp_progress_format_count(b, rows);
    cp_progress_format_count(x, had);
    cp_progress_format_count(y, (uint64_t)last_rows);
    cp_diag_fail(CP_EFACTS, "guard: %s of the %s rows of the table %s of %s have a data problem "
                 "in column %s (%.1f%%), %s of %s in the last run (run %lld) (%.1f%%): a rise of "
                 "more than guard.column_problem_percent (%u points) (did the export's format "
                 "change? the warnings above show the first values); " FORCE_HINT, a, b, label,
                 cfg->facts, c->column, now, x, y, (long long)cp_store_last(s)->id, then,
                 g->column_problem_percent);
    refused = 1;
  }
  return refused;
}

int cp_guard_table_rows(const cp_config *cfg, const cp_facts *facts, cp_store *s,
                        const cp_opts *o, cp_err *rc)
{
  const cp_config_file *f = cfg->file;
  const cp_guard_cfg *g = &f->guard;
  const cp_last_run *last_run = cp_store_last(s);
  int check = !o->force && !replaying(last_run, o), refused = 0;
  *rc = CP_OK;
  for (unsigned i = 0; i < f->tables_count + f->lookups_count; i++) {
    const cp_table_cfg *t = table_at(f, i);
    uint64_t now = cp_facts_rows_read(facts, i);
    int64_t last = cp_store_last_rows(s, t->name);
    if (last < -1) {
      *rc = CP_ESTATE;
      return 0;
    }
    if ((*rc = cp_store_record_rows(s, t->name, now)) != CP_OK)
      return 0;
    if (!check || allowed_empty(g, t->name) || last <= 0 || last < (int64_t)g->table_min_count ||
        now >= (uint64_t)last || now == 0)   /* come empty: cp_guard_tables said so */
      continue;
    double drop = percent((uint64_t)last - now, (uint64_t)last);
    if (drop <= g->table_drop_percent)
      continue;
    char a[32], b[32], name[600];
    cp_progress_format_count(a, now);
    cp_progress_format_count(b, (uint64_t)last);
    table_label(name, sizeof name, t);
    cp_diag_fail(CP_EFACTS, "guard: the table %s of %s has %s rows, %s in the last run (run "
                 "%lld): a drop of %.1f%%, more than guard.table_drop_percent (%u%%) (an export "
                 "cut short?); if it may shrink so, name it in guard.allow_empty; " FORCE_HINT,
                 name, cfg->facts, a, b, (long long)last_run->id, drop, g->table_drop_percent);
    refused = 1;   /* and the next tables: every table refused is said */
  }
  return refused;
}
