#!/usr/bin/env bash
# tests/bench/test_differential.sh: the engine and tests/bench/policy.sql (the reference
# policy as plain SQL, written from rules/POLICY.md) agree row for row on generated facts: the
# open alerts of every rule but staffing.unfilled (rule, client, key, severity, level,
# assignee) and the tier.review proposals (assignee, from, to, sales12, share).
. "$(dirname "$0")/../lib.sh"

CONFIG=$ROOT/examples/demo/crmpolicy.yaml
POLICY_SQL=$ROOT/tests/bench/policy.sql
GEN=$ROOT/build/bench/gen            # tests/bench/gen.c
DEMO_GEN=$ROOT/build/gen/demo-gen    # examples/demo/gen.c
D=2026-11-15                         # the generators' as-of date
RULES="client.onboarding complaint.callback complaint.resolution complaint.response
  contact.dormant credit.risk delivery.on_time survey.due survey.low_score tier.review
  visit.account visit.executive visit.quality visit.technical"

# engine_rows FACTS AS_OF: runs the engine on FACTS into a new s.db, expecting exit 0
# and no message but warnings about rows of unknown clients (and their count); prints
# the rows, sorted.
engine_rows() {
  rm -f s.db s.db-wal s.db-shm
  cp_run run --config "$CONFIG" --facts "$1" --state s.db --as-of "$2" --quiet
  expect_eq "engine exit code (as of $2)" 0 "$RC"
  expect_eq "engine output (as of $2)" "" "$OUT"
  expect_eq "engine messages (as of $2)" "" "$(printf '%s' "$ERR" | grep -v \
    -e 'is not a client in the clients table; no client' -e 'more data problems follow' \
    -e "data problems in the clients and per-client tables, by column: orders.client_id [0-9]*$")"
  sqlite3 s.db "SELECT rule, client_id, key, severity, level, assignee FROM alerts
                  WHERE status = 'open' AND rule <> 'staffing.unfilled';
                SELECT rule, client_id, key, kind, assignee, json_extract(data, '\$.from'),
                       json_extract(data, '\$.to'), json_extract(data, '\$.sales12'),
                       printf('%.17g', json_extract(data, '\$.share'))
                  FROM assignments WHERE status = 'proposed' AND rule = 'tier.review'" | sort
}

# sql_rows FACTS AS_OF: the same rows from policy.sql, sorted.
sql_rows() {
  sqlite3 -bail -readonly "$1" "CREATE TEMP TABLE params AS SELECT '$2' AS as_of" \
    ".output /dev/null" ".read $POLICY_SQL" ".output stdout" \
    "SELECT * FROM policy_alerts;
     SELECT rule, client_id, key, kind, assignee, from_tier, to_tier, sales12,
            printf('%.17g', share) FROM policy_reviews" | sort
}

# expect_agree FACTS AS_OF: fails with the first differing rows (engine <, SQL >)
# unless the engine and policy.sql agree row for row.
expect_agree() {
  engine_rows "$1" "$2" > engine.txt
  sql_rows "$1" "$2" > sql.txt || fail "policy.sql failed (as of $2)"
  [ -s sql.txt ] || fail "policy.sql found nothing (as of $2)"
  if ! cmp -s engine.txt sql.txt; then
    fail "as of $2, $(diff engine.txt sql.txt | grep -c '^[<>]') rows differ" \
      "(engine <, policy.sql >):"
    diff engine.txt sql.txt | grep '^[<>]' | head -40 | while IFS= read -r line; do
      fail "$line"
    done
  fi
}

# generate N: writes f.db with N clients and rare cases 20 times as frequent.
generate() {
  [ -x "$GEN" ] || { fail "$GEN is missing (make build/bench/gen)"; return 1; }
  "$GEN" -s "$ROOT/schema/facts.sql" -o f.db -n "$1" --rare 20 > /dev/null
}

test_generated_facts_agree_on_their_day() {
  generate 10000 || return
  expect_agree f.db "$D"
  for rule in $RULES; do   # the comparison covers every rule
    grep -q "^$rule|" sql.txt || fail "no row of $rule to compare"
  done
}

test_generated_facts_agree_when_replayed_at_an_earlier_day() {
  generate 10000 || return
  expect_agree f.db 2026-08-31   # the facts of the last 76 days do not exist yet
}

test_demo_facts_agree() {
  [ -x "$DEMO_GEN" ] || { fail "$DEMO_GEN is missing (make build/gen/demo-gen)"; return; }
  "$DEMO_GEN" -s "$ROOT/schema/facts.sql" -o f.db --as-of "$D" > /dev/null
  expect_agree f.db "$D"
}

run_tests
