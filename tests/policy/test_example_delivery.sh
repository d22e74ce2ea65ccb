#!/usr/bin/env bash
# tests/policy/test_example_delivery.sh: the delivery company example
# (examples/delivery/): its generator makes facts the config accepts, `check`
# finds nothing to warn about, its fixtures pass and run every line of its
# rule files, and a run over generated facts evaluates every customer, with
# an alert or assignment of every rule.
. "$(dirname "$0")/../lib.sh"

CFG=examples/delivery/crmpolicy.yaml

test_the_readmes_commands_run_as_written_in_a_fresh_clone() {
  # README "To try one", in a copy of the example where build/ does not exist yet
  mkdir -p repo/examples && cp -r "$ROOT/examples/delivery" repo/examples/ && cd repo || return 1
  examples/delivery/gen.sh build/examples/delivery/facts.db 2000 > gen.out 2>&1
  expect_eq "gen.sh: exit" 0 "$?"
  cp_run run --config examples/delivery/crmpolicy.yaml --as-of 2026-11-15
  expect_eq "run: exit" 0 "$RC"
  expect_contains "run: summary" "2,000 clients evaluated" "$OUT"
  cp_run test --config examples/delivery/crmpolicy.yaml --coverage examples/delivery/fixtures
  expect_eq "test: exit" 0 "$RC"
  [ -s build/examples/delivery/state.db ] || fail "no state at build/examples/delivery/state.db"
}

test_generated_facts_pass_check_without_warnings() {
  "$ROOT/examples/delivery/gen.sh" "$T/f.db" 200 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run check --config $CFG --facts "$T/f.db" --fixtures examples/delivery/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "last line" "lint: 0 warnings" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --quiet examples/delivery/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" "  total                                   111 of   111 lines  100.0%" "$OUT"
  expect_eq "last line" "7 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_run_over_generated_facts_evaluates_every_customer() {
  "$ROOT/examples/delivery/gen.sh" "$T/f.db" 200 2026-12-28 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-12-28
  expect_eq "exit" 0 "$RC"
  expect_contains "summary" "200 clients evaluated" "$OUT"
  expect_contains "summary" "0 rule errors, 0 data problems" "$OUT"
  cp_run assignments --config $CFG --state "$T/s.db" --format csv
  expect_eq "one depot per customer with a depot" \
    "$(sqlite3 "$T/f.db" "SELECT count(*) FROM customers WHERE depot IS NOT NULL")" \
    "$(printf '%s\n' "$OUT" | grep -c ',depot.assign,,depot,')"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  expect_eq "rules that fired" "$(grep -ho 'id = "[a-z]*\.[a-z]*"' examples/delivery/rules/*.lua | cut -d'"' -f2 | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$OUT" | sed 1d | cut -d, -f2 | sort -u | tr '\n' ' ')"
}

test_the_generator_is_repeatable() {
  "$ROOT/examples/delivery/gen.sh" "$T/a.db" 50 2026-11-15 && "$ROOT/examples/delivery/gen.sh" "$T/b.db" 50 2026-11-15
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
