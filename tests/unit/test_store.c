/* test_store.c: the state lifecycle: open, update, escalate, resolve, keep on
 * failure; propose, fulfil, withdraw; events and their order. */
#include <sqlite3.h>
#include <stdlib.h>

#include "dates.h"
#include "store.h"
#include "unit.h"

/* One alert item for client outcome o. */
static void alert(cp_outcome *o, const char *rule, const char *key, int level, const char *who)
{
  cp_item it = {.what = CP_ALERT, .rule = rule, .key = key, .severity = CP_WARNING,
                .level = level, .assignee = who, .title = rule, .data = "{}"};
  CHECK_INT(CP_OK, cp_outcome_add(o, &it));
}

/* One assignment item (or marker). */
static void assign(cp_outcome *o, cp_what what, const char *rule, const char *who)
{
  cp_item it = {.what = what, .rule = rule, .key = "", .kind = "tier_approval",
                .assignee = who, .data = "{}"};
  CHECK_INT(CP_OK, cp_outcome_add(o, &it));
}

/* Runs one run as of day d with the given outcomes (in client order). */
static void one_run(const char *path, int64_t d, cp_outcome *outs, int n)
{
  cp_store *s;
  CHECK_INT(CP_OK, cp_store_open(path, CP_STORE_RUN, 0, &s));
  CHECK_INT(CP_OK, cp_store_begin(s, d, 0, "c.yaml", "f.db"));
  for (int i = 0; i < n; i++) {
    cp_outcome_sort(&outs[i]);
    CHECK_INT(CP_OK, cp_store_apply(s, &outs[i]));
  }
  CHECK_INT(CP_OK, cp_store_commit(s));
  cp_store_close(s);
}

/* Returns the events of the database as "type client rule" lines joined by '|'. */
static char *events(const char *path, int64_t after)
{
  static char buf[4096];
  sqlite3 *db;
  sqlite3_stmt *st;
  buf[0] = '\0';
  sqlite3_open(path, &db);
  sqlite3_prepare_v2(db, "SELECT type||' '||client_id||' '||rule FROM events WHERE seq > ? "
                         "ORDER BY seq", -1, &st, NULL);
  sqlite3_bind_int64(st, 1, after);
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (buf[0])
      strcat(buf, "|");
    strncat(buf, (const char *)sqlite3_column_text(st, 0), sizeof buf - strlen(buf) - 2);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return buf;
}

/* A fresh outcome for client id. */
static cp_outcome client(const char *id)
{
  cp_outcome o = {0};
  o.client_id = id;
  o.evaluated = 1;
  return o;
}

TEST(alert_opens_updates_escalates_and_resolves)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[2] = {client("C1"), client("C2")};
  alert(&o[0], "visit.account", "", 1, "S1");
  alert(&o[1], "visit.account", "", 1, "S1");
  one_run(path, 100, o, 2);
  CHECK_STR("alert.opened C1 visit.account|alert.opened C2 visit.account", events(path, 0));
  one_run(path, 100, o, 2);   /* same facts, same as-of: nothing new */
  CHECK_STR("", events(path, 2));
  o[0].items[0].level = 2;
  o[1].items[0].assignee = "S9";
  one_run(path, 101, o, 2);
  CHECK_STR("alert.escalated C1 visit.account|alert.updated C2 visit.account", events(path, 2));
  o[1].n = 0;
  one_run(path, 102, o, 2);
  CHECK_STR("alert.resolved C2 visit.account", events(path, 4));
  for (int i = 0; i < 2; i++)
    cp_outcome_free(&o[i]);
}

TEST(failed_rule_keeps_the_clients_alerts_of_that_rule)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[1] = {client("C1")};
  alert(&o[0], "a", "k1", 1, NULL);
  alert(&o[0], "b", "", 1, NULL);
  one_run(path, 100, o, 1);
  cp_outcome_reset(&o[0]);
  o[0].client_id = "C1";
  o[0].evaluated = 1;
  const char *ids[] = {"a", NULL};
  CHECK_INT(CP_OK, cp_outcome_fail(&o[0], "a", ids, "boom", ""));
  one_run(path, 101, o, 1);
  CHECK_STR("alert.resolved C1 b", events(path, 2));
  cp_outcome_free(&o[0]);
}

TEST(clients_no_longer_evaluated_have_their_alerts_resolved)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[3] = {client("C1"), client("C2"), client("C3")};
  for (int i = 0; i < 3; i++)
    alert(&o[i], "r", "", 1, NULL);
  one_run(path, 100, o, 3);
  one_run(path, 101, &o[1], 1);   /* C1 and C3 are gone (closed, deleted) */
  CHECK_STR("alert.resolved C1 r|alert.resolved C3 r", events(path, 3));
  for (int i = 0; i < 3; i++)
    cp_outcome_free(&o[i]);
}

TEST(resolved_alert_reopens_with_a_new_opened_event)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[1] = {client("C1")};
  alert(&o[0], "r", "", 1, NULL);
  one_run(path, 100, o, 1);
  one_run(path, 101, o, 0);
  one_run(path, 102, o, 1);
  CHECK_STR("alert.opened C1 r|alert.resolved C1 r|alert.opened C1 r", events(path, 0));
  cp_outcome_free(&o[0]);
}

TEST(assignment_is_proposed_then_fulfilled_or_withdrawn)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[2] = {client("C1"), client("C2")};
  assign(&o[0], CP_ASSIGN, "tier.review", "S1");
  assign(&o[1], CP_ASSIGN, "tier.review", "S1");
  one_run(path, 100, o, 2);
  cp_outcome_reset(&o[0]);
  cp_outcome_reset(&o[1]);
  o[0].client_id = "C1";
  o[1].client_id = "C2";
  o[0].evaluated = o[1].evaluated = 1;
  assign(&o[0], CP_FULFILLED, "tier.review", NULL);
  one_run(path, 101, o, 2);
  CHECK_STR("assignment.fulfilled C1 tier.review|assignment.withdrawn C2 tier.review",
            events(path, 2));
  for (int i = 0; i < 2; i++)
    cp_outcome_free(&o[i]);
}

TEST(seq_is_strictly_increasing_without_gaps)
{
  char path[300];
  snprintf(path, sizeof path, "%s/s.db", unit_tmpdir());
  cp_outcome o[1] = {client("C1")};
  for (int d = 0; d < 6; d++) {
    cp_outcome_reset(&o[0]);
    o[0].client_id = "C1";
    o[0].evaluated = 1;
    if (d % 2 == 0)
      alert(&o[0], "r", "", 1, NULL);
    one_run(path, 100 + d, o, 1);
  }
  sqlite3 *db;
  sqlite3_stmt *st;
  sqlite3_open(path, &db);
  sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events",
                     -1, &st, NULL);
  CHECK(sqlite3_step(st) == SQLITE_ROW);
  CHECK_INT(6, sqlite3_column_int(st, 0));
  CHECK_INT(6, sqlite3_column_int(st, 1));
  CHECK_INT(1, sqlite3_column_int(st, 2));
  CHECK_INT(6, sqlite3_column_int(st, 3));
  sqlite3_finalize(st);
  sqlite3_close(db);
  cp_outcome_free(&o[0]);
}
