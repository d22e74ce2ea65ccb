#!/usr/bin/env bash
# tests/policy/test_example_investment.sh: the investment company example
# (examples/investment/): its generator makes facts the config accepts, `check`
# finds nothing to warn about, its fixtures pass and run every line of its
# rule files, and a run over generated facts evaluates every investor, with
# an alert of every rule.
. "$(dirname "$0")/../lib.sh"

CFG=examples/investment/crmpolicy.yaml

test_generated_facts_pass_check_without_warnings() {
  "$ROOT/examples/investment/gen.sh" "$T/f.db" 200 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run check --config $CFG --facts "$T/f.db" --fixtures examples/investment/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "last line" "lint: 0 warnings" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --quiet examples/investment/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" "  total                                    83 of    83 lines  100.0%" "$OUT"
  expect_eq "last line" "6 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_run_over_generated_facts_evaluates_every_investor() {
  "$ROOT/examples/investment/gen.sh" "$T/f.db" 200 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  expect_contains "summary" "200 clients evaluated" "$OUT"
  expect_contains "summary" "0 rule errors, 0 data problems" "$OUT"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  expect_eq "rules that fired" "$(grep -ho 'id = "[a-z]*\.[a-z]*"' examples/investment/rules/*.lua | cut -d'"' -f2 | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$OUT" | sed 1d | cut -d, -f2 | sort -u | tr '\n' ' ')"
}

test_the_generator_is_repeatable() {
  "$ROOT/examples/investment/gen.sh" "$T/a.db" 50 2026-11-15 && "$ROOT/examples/investment/gen.sh" "$T/b.db" 50 2026-11-15
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
