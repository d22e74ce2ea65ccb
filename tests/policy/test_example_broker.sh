#!/usr/bin/env bash
# tests/policy/test_example_broker.sh: the insurance broker example
# (examples/broker/): its generator makes facts the config accepts, `check`
# finds nothing to warn about, its fixtures pass and run every line of its
# rule files, a run over generated facts evaluates every active client with
# an alert or assignment of every rule, and its report{} writes the month.
. "$(dirname "$0")/../lib.sh"

CFG=examples/broker/crmpolicy.yaml

# expect_lacks WHAT NEEDLE HAYSTACK
expect_lacks() {
  case "$3" in
    *"$2"*) fail "$1: expected not to contain [$2]" ;;
  esac
}

test_generated_facts_pass_check_without_warnings() {
  "$ROOT/examples/broker/gen.sh" "$T/f.db" 150 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run check --config $CFG --facts "$T/f.db" --fixtures examples/broker/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "last line" "lint: 0 warnings" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --coverage-skip '*/report.lua' --quiet \
    examples/broker/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" "  total                                134 of   134 lines  100.0%" "$OUT"
  expect_contains "every rule fired" "rules that never fired: none" "$OUT"
  expect_eq "last line" "7 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_run_over_generated_facts_evaluates_every_active_client() {
  # 150 clients: the brokers' capacities (150 / 20 and 150 / 15) leave one
  # key account unfilled
  "$ROOT/examples/broker/gen.sh" "$T/f.db" 150 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM clients WHERE status = 'active' AND created_on <= '2026-11-15'")
  expect_contains "summary" "$n clients evaluated" "$OUT"
  expect_contains "summary" "0 rule errors, 0 data problems" "$OUT"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  local alerts=$OUT
  cp_run assignments --config $CFG --state "$T/s.db" --format csv
  expect_eq "rules that reported" \
    "call.due churn.risk claim.aging data.renewal_missing renewal.no_call staffing.broker staffing.unfilled " \
    "$( { printf '%s\n' "$alerts" | sed 1d | cut -d, -f2; printf '%s\n' "$OUT" | sed 1d | cut -d, -f2; } | grep -v '^$' | sort -u | tr '\n' ' ')"
  # the boundaries gen.sh writes: the head of claims after 60 days, the team lead after 20
  expect_contains "61 days" "E16,claim.aging,CE16d,critical,2,HC1," "$alerts"
  expect_contains "21 days" "E16,claim.aging,CE16b,warning,1,TL1," "$alerts"
  expect_lacks "20 days" "CE16a" "$alerts"
  expect_contains "renewal in 45 days" "E08,renewal.no_call," "$alerts"
  expect_lacks "renewal in 46 days" "E09,renewal.no_call," "$alerts"
  expect_contains "3 rejected in 364 days" "E17,churn.risk," "$alerts"
  expect_lacks "one of them 365 days ago" "E18,churn.risk," "$alerts"
}

test_the_monthly_report_groups_by_segment() {
  "$ROOT/examples/broker/gen.sh" "$T/f.db" 150 2026-11-15 || fail "gen.sh failed"
  cd "$ROOT" || return 1
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "run: exit" 0 "$RC"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.csv"
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "subtotals and total" "Subtotal: Corporate (34)
Subtotal: Retail (67)
Subtotal: SME (61)
Subtotal: (none) (1)
Total (163)" "$(grep -a -o '^\(Subtotal: [^,]*\|Total ([0-9]*)\)' "$T/r.csv")"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.html"
  expect_eq "html: exit" 0 "$RC"
  expect_contains "legend" ">No segment<" "$(cat "$T/r.html")"
}

test_the_generator_is_repeatable() {
  "$ROOT/examples/broker/gen.sh" "$T/a.db" 50 2026-11-15 && "$ROOT/examples/broker/gen.sh" "$T/b.db" 50 2026-11-15
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
