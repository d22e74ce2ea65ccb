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

test_jobs_out_of_range_is_a_usage_error() {
  cp_run run --jobs 0
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --jobs: '0' is not a number from 1 to 64" "$ERR"
}

run_tests
