#!/usr/bin/env bash
# tests/cli/test_jobs.sh: --jobs N gives the same alerts, assignments and
# events, in the same order, as --jobs 1.
. "$(dirname "$0")/../lib.sh"

# Runs two days on demo facts with --jobs $1 into state s$1.db; prints the
# events, alerts and assignments as one digest.
two_days() {
  local s="s$1.db"
  for d in 2026-11-15 2026-11-22; do
    "$CRMPOLICY" run --config "$ROOT/examples/demo/crmpolicy.yaml" --facts f.db --state "$s" \
      --as-of "$d" --jobs "$1" --quiet || echo "run failed: jobs $1 as of $d"
  done
  sqlite3 "$s" "SELECT seq, type, run_id, at, body FROM events ORDER BY seq;
                SELECT rule, client_id, key, status, level, assignee, data FROM alerts ORDER BY 1,2,3;
                SELECT rule, client_id, key, status, assignee, data FROM assignments ORDER BY 1,2,3" |
    md5sum
}

test_results_do_not_depend_on_the_number_of_workers() {
  "$ROOT/build/gen/demo-gen" -s "$ROOT/schema/facts.sql" -o f.db -n 2500 > /dev/null
  one=$(two_days 1)
  expect_eq "--jobs 2" "$one" "$(two_days 2)"
  expect_eq "--jobs 3" "$one" "$(two_days 3)"
  expect_eq "events" 1 "$(sqlite3 s2.db "SELECT count(*) > 1000 FROM events")"
}

# many_orders: the bad-facts config and facts, with 6,000 more orders of C1
# to C3 (rowids with gaps, some without an amount), and a rule that reports
# run-wide sums and counts over them.
many_orders() {
  config
  facts ""
  untyped orders
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
         INSERT INTO orders(id, client_id, ordered_on, amount)
         SELECT 'M' || i, 'C' || (1 + i % 3), date('2026-01-01', '+' || (i % 200) || ' days'),
                CASE WHEN i % 97 = 0 THEN NULL ELSE (i * 7919 % 100003) / 100.0 END FROM n;
         DELETE FROM orders WHERE id IN ('M10', 'M2000', 'M2001', 'M4500');"
  cat > r.lua <<'LUA'
aggregate { id = "all", doc = "every order", table = "orders", sum = "amount" }
aggregate { id = "n", doc = "orders", table = "orders", count = true }
aggregate { id = "spring", doc = "orders of the spring", table = "orders", sum = "amount",
            where = { ordered_on = { ge = dt.date("2026-03-01"), lt = dt.date("2026-06-01") } } }
aggregate { id = "unpriced", doc = "orders without an amount", table = "orders", count = true,
            where = { amount = { eq = null } } }
aggregate { id = "surveyed", doc = "survey scores", table = "surveys", sum = "score" }
rule { id = "totals", doc = "the run-wide values", fn = function(c)
  alert { severity = "info", title = "totals", data = { all = run.all, n = run.n,
          spring = run.spring, unpriced = run.unpriced, surveyed = run.surveyed } }
end }
LUA
}

# totals JOBS: runs c.yaml as of 2026-06-01 with --jobs JOBS into a new
# state; prints C1's alert data, or the exit code and message.
totals() {
  rm -f s.db
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet --jobs "$1" 2>"$T/stderr" ||
    { echo "exit $? $(cat "$T/stderr")"; return; }
  sqlite3 s.db "SELECT data FROM alerts WHERE client_id = 'C1'"
}

test_aggregates_read_in_parts_by_the_workers_add_up_to_one_pass() {
  . "$ROOT/tests/hardening/badfacts.sh"
  many_orders
  local want
  want=$(sqlite3 f.db "SELECT json_object('all', sum(CAST(round(amount * 100) AS INTEGER)),
      'n', count(*),
      'spring', sum(CASE WHEN ordered_on >= '2026-03-01' AND ordered_on < '2026-06-01'
                         THEN CAST(round(amount * 100) AS INTEGER) ELSE 0 END),
      'surveyed', (SELECT sum(score) FROM surveys),
      'unpriced', sum(amount IS NULL)) FROM orders")
  expect_eq "--jobs 1" "$want" "$(totals 1)"
  expect_eq "--jobs 2" "$want" "$(totals 2)"
  expect_eq "--jobs 3" "$want" "$(totals 3)"
}

test_a_view_of_orders_is_read_whole_and_gives_the_same_totals() {
  . "$ROOT/tests/hardening/badfacts.sh"
  many_orders
  sqlite3 f.db "ALTER TABLE orders RENAME TO orders_data;
                CREATE VIEW orders AS SELECT * FROM orders_data"
  local one
  one=$(totals 1)
  expect_contains "--jobs 1" '"n":' "$one"
  expect_eq "--jobs 2" "$one" "$(totals 2)"
}

test_a_total_that_fits_is_kept_though_rows_on_the_way_do_not() {
  . "$ROOT/tests/hardening/badfacts.sh"
  many_orders
  # two orders of 5e18 cents early in the table, one of -5e18 at its end: a
  # running sum passes 2^63, the total does not
  sqlite3 f.db "INSERT INTO orders(rowid,id,client_id,ordered_on,amount) VALUES
    (13,'B1','C1','2026-03-05',50000000000000000), (2003,'B2','C2','2026-03-06',50000000000000000),
    (9000,'B3','C3','2026-03-07',-50000000000000000)"
  local one
  one=$(totals 1)
  expect_contains "--jobs 1" '"all":50000000' "$one"
  expect_eq "--jobs 2" "$one" "$(totals 2)"
}

test_a_total_that_does_not_fit_fails_alike_when_workers_each_read_part() {
  . "$ROOT/tests/hardening/badfacts.sh"
  many_orders
  # one order of 5e18 cents at each end of the table: each fits, with the
  # rows around it; the two together do not
  sqlite3 f.db "INSERT INTO orders(rowid,id,client_id,ordered_on,amount) VALUES
    (13,'B1','C1','2026-03-05',50000000000000000), (9000,'B2','C2','2026-03-06',50000000000000000)"
  local msg="crmpolicy: aggregate: the sum of orders.amount does not fit in a 64-bit integer (aggregate 'all'; every rule that reads run.all fails for each client and keeps its results)"
  local one
  one=$(totals 1)
  expect_contains "--jobs 1" "exit 1 $msg" "$one"
  expect_eq "--jobs 2" "$one" "$(totals 2)"
  expect_eq "the run, incomplete" "incomplete" "$(sqlite3 s.db "SELECT status FROM runs")"
}

test_rowids_at_the_ends_of_the_64_bit_range_give_the_same_totals() {
  . "$ROOT/tests/hardening/badfacts.sh"
  many_orders
  # rows at rowid 0 and 2^63-1 (a span that 64-bit signed arithmetic wraps;
  # the table is read whole by one worker), then the same table moved to
  # the top of the range (a narrow span that ends at 2^63-1, read in parts)
  sqlite3 f.db "INSERT INTO orders(rowid,id,client_id,ordered_on,amount) VALUES
    (0,'Z0','C1','2026-03-05',1), (9223372036854775807,'Z1','C2','2026-03-06',2)"
  local want
  want=$(sqlite3 f.db "SELECT sum(CAST(round(amount * 100) AS INTEGER)), count(*) FROM orders")
  for j in 1 2 3; do
    expect_eq "wide span, --jobs $j" "$want" \
      "$(totals $j | sed -n 's/.*"all":\([0-9]*\),"n":\([0-9]*\).*/\1|\2/p')"
  done
  sqlite3 f.db "DELETE FROM orders WHERE rowid = 0;
    UPDATE orders SET rowid = rowid - 9223372036854775807 WHERE rowid = 9223372036854775807;
    UPDATE orders SET rowid = rowid + (9223372036854775807 - (SELECT max(rowid) FROM orders));"
  want=$(sqlite3 f.db "SELECT sum(CAST(round(amount * 100) AS INTEGER)), count(*) FROM orders")
  expect_eq "narrow span at the top" "9223372036854775807" "$(sqlite3 f.db "SELECT max(rowid) FROM orders")"
  for j in 1 2 3; do
    expect_eq "narrow span at the top, --jobs $j" "$want" \
      "$(totals $j | sed -n 's/.*"all":\([0-9]*\),"n":\([0-9]*\).*/\1|\2/p')"
  done
}

test_jobs_out_of_range_is_a_usage_error() {
  cp_run run --jobs 0
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --jobs: '0' is not a number from 1 to 64" "$ERR"
}

run_tests
