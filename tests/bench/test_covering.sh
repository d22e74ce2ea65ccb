#!/usr/bin/env bash
# tests/bench/test_covering.sh: schema/facts-covering.sql applies to a facts
# database of the contract, turns each client-ordered SELECT of the reference
# config's per-client tables into a scan of a covering index, and changes no
# result of a run.
. "$(dirname "$0")/../lib.sh"

# table|ordering column|columns the demo config declares (as the engine selects them,
# after the client key and the row id; tests/bench/floor.c lists the same)
TABLES="client_staff|since|NULL, staff_id, role, since, \"until\"
orders|ordered_on|id, id, ordered_on, amount, due_on, delivered_on
contacts|happened_at|id, id, staff_id, level, channel, happened_at
complaints|opened_at|id, id, category, severity, opened_at, first_response_at, resolved_at, owner_id
surveys|surveyed_on|id, id, surveyed_on, score
credit||NULL, rating, overdue_amount, overdue_days, assessed_on"

# plans DB: the query plan of each table's ordered SELECT, one line a table.
plans() {
  local name order cols by
  while IFS='|' read -r name order cols; do
    by="client_id${order:+, $order}"
    sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT client_id, $cols FROM $name ORDER BY $by" |
      grep -v '^QUERY PLAN' | sed "s/^/$name: /"
  done <<< "$TABLES"
}

# digest STATE: the alerts, assignments and events of a state database.
digest() {
  sqlite3 "$1" "SELECT rule, client_id, key, status, severity, level, assignee, data
                  FROM alerts ORDER BY 1, 2, 3;
                SELECT rule, client_id, key, status, assignee, data FROM assignments
                  ORDER BY 1, 2, 3;
                SELECT seq, type, body FROM events ORDER BY seq" | md5sum
}

test_every_ordered_read_is_a_covering_index_scan() {
  "$ROOT/build/bench/gen" -s "$ROOT/schema/facts.sql" -n 300 -o f.db > /dev/null
  expect_eq "before: covering scans" 0 "$(plans f.db | grep -c 'COVERING INDEX')"
  sqlite3 f.db < "$ROOT/schema/facts-covering.sql" || fail "facts-covering.sql failed"
  expect_eq "after" "client_staff: \`--SCAN client_staff USING COVERING INDEX client_staff_covering
orders: \`--SCAN orders USING COVERING INDEX orders_covering
contacts: \`--SCAN contacts USING COVERING INDEX contacts_covering
complaints: \`--SCAN complaints USING COVERING INDEX complaints_covering
surveys: \`--SCAN surveys USING COVERING INDEX surveys_covering
credit: \`--SCAN credit USING COVERING INDEX credit_covering" "$(plans f.db)"
}

test_covering_indexes_change_no_result() {
  "$ROOT/build/bench/gen" -s "$ROOT/schema/facts.sql" -n 2000 -o plain.db > /dev/null
  cp plain.db covering.db
  sqlite3 covering.db < "$ROOT/schema/facts-covering.sql" || fail "facts-covering.sql failed"
  for db in plain covering; do
    "$CRMPOLICY" run --config "$ROOT/examples/demo/crmpolicy.yaml" --facts "$db.db" \
      --state "s-$db.db" --as-of 2026-11-15 --quiet 2> /dev/null ||
      fail "run on $db.db failed"
  done
  expect_eq "alerts, assignments and events" "$(digest s-plain.db)" "$(digest s-covering.db)"
  expect_eq "alerts" 1 "$(sqlite3 s-covering.db 'SELECT count(*) > 100 FROM alerts')"
}

run_tests
