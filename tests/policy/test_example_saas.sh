#!/usr/bin/env bash
# tests/policy/test_example_saas.sh: the B2B SaaS customer-success example
# (examples/saas/): its generator makes facts the config accepts, `check`
# finds nothing to warn about, its fixtures pass and run every line of its
# rule files, a run over generated facts reports under every rule, explain
# shows a renewal at risk, and its report{} writes the month.
. "$(dirname "$0")/../lib.sh"

CFG=examples/saas/crmpolicy.yaml
GEN=examples/saas/gen.py

test_generated_facts_pass_check_without_warnings() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run check --config $CFG --facts "$T/f.db" --as-of 2026-11-15 --fixtures examples/saas/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "last line" "lint: 0 warnings" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --coverage-skip '*/report.lua' --quiet \
    examples/saas/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" "100.0%" "$(printf '%s\n' "$OUT" | grep '^  total')"
  expect_contains "every rule fired" "rules that never fired: none" "$OUT"
  expect_eq "last line" "8 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_run_over_generated_facts_reports_under_every_rule() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM accounts WHERE status = 'active' AND created_on <= '2026-11-15'")
  expect_contains "summary" "$n clients evaluated" "$OUT"
  expect_contains "summary" "0 rule errors, 0 data problems" "$OUT"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  local alerts=$OUT
  cp_run assignments --config $CFG --state "$T/s.db" --format csv
  expect_eq "rules that reported" \
    "adoption.low csm.assign csm.unfilled nps.detractor qbr.overdue renewal.risk ticket.sla " \
    "$( { printf '%s\n' "$alerts" | sed 1d | cut -d, -f2; printf '%s\n' "$OUT" | sed 1d | cut -d, -f2; } | grep -v '^$' | sort -u | tr '\n' ' ')"
  # gen.py gives each CSM little room beyond their accounts: the VP hears of the rest
  expect_contains "unfilled to the VP" ",csm.unfilled,,critical,1,V1," "$alerts"
  # a second run with the same facts adds no event
  local before after
  before=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "rerun: exit" 0 "$RC"
  after=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  expect_eq "rerun adds no event" "$before" "$after"
}

test_explain_shows_a_renewal_at_risk() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  local client
  client=$(sqlite3 "$T/s.db" "SELECT client_id FROM alerts WHERE rule = 'renewal.risk' AND status = 'open' ORDER BY client_id LIMIT 1")
  [ -n "$client" ] || { fail "no renewal.risk alert"; return; }
  cp_run explain --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --rule renewal.risk "$client"
  expect_eq "exit" 0 "$RC"
  expect_contains "fired" "rule renewal.risk (examples/saas/rules/renewal.lua:" "$OUT"
  expect_contains "fired" "): fired" "$OUT"
  expect_contains "its result" "alert renewal.risk: key \"" "$OUT"
}

test_the_monthly_report_groups_by_tier() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "run: exit" 0 "$RC"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.csv"
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM accounts WHERE status = 'active' AND created_on <= '2026-11-15'")
  expect_eq "subtotals and total" "Subtotal: Key
Subtotal: Standard
Subtotal: Strategic
Total ($n)" "$(grep -a -o '^\(Subtotal: [A-Za-z]*\|Total ([0-9]*)\)' "$T/r.csv")"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.html"
  expect_eq "html: exit" 0 "$RC"
  expect_contains "chart" "Active seats by tier" "$(cat "$T/r.html")"
}

test_the_generator_is_repeatable() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/a.db" 50 2026-11-15 >/dev/null && python3 $GEN "$T/b.db" 50 2026-11-15 >/dev/null
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
