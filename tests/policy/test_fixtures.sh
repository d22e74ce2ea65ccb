#!/usr/bin/env bash
# tests/policy/test_fixtures.sh: the reference policy's YAML fixtures
# (tests/policy/*/*.yaml) pass under `crmpolicy test`, and together run every
# line of every rule file of the policy (rules/*.lua and rules/lib/*.lua)
# but rules/report.lua, whose report{} functions only `crmpolicy report`
# calls (tests/report/ checks them).
# report.lua is left out of the total with --coverage-skip.
. "$(dirname "$0")/../lib.sh"

# The data problems the fixtures hold on purpose: an order of a client
# unknown to the clients table counts in total12 (tier/total12_counts_...),
# complaints opened at no readable time are left out
# (complaints/unreadable_opened_at_...), and so are a created_on, a survey
# score and a client_staff since that cannot be read (contacts/, surveys/,
# staffing/unreadable_...).
KNOWN_WARNING="warning: .*/tier/total12_counts_orders_of_closed_and_unknown_clients.yaml:[0-9]*: facts: orders row (client ZZ) column client_id: 'ZZ' is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)
warning: .*/complaints/unreadable_opened_at_leaves_out_that_complaint_only.yaml:25: facts: complaints row RBAD column opened_at: '2026-06-20T23:59:59Z' is not a timestamp
warning: .*/complaints/unreadable_opened_at_leaves_out_that_complaint_only.yaml:28: facts: complaints row AWORSE column opened_at: '2026-13-01T00:00:00' is not a timestamp
warning: .*/contacts/unreadable_created_on_counts_from_contacts_only.yaml:19: facts: clients row CB column created_on: '2026-02-30' is not a date
warning: .*/contacts/unreadable_created_on_counts_from_contacts_only.yaml:20: facts: clients row CC column created_on: '2026-06-2x' is not a date
warning: .*/surveys/unreadable_score_is_not_judged.yaml:27: facts: surveys row Q2 column score: 'n/a' is not an integer
warning: .*/staffing/unreadable_since_and_negative_capacity.yaml:22: facts: client_staff row (client C1) column since: '2020-02-30' is not a date"

test_policy_fixtures_pass_and_run_every_rule_line() {
  local n rows want f low
  cd "$ROOT" || return 1   # rule files are named relative to the working folder
  n=$(find tests/policy -name '*.yaml' | wc -l)
  cp_run test --config examples/demo/crmpolicy.yaml --coverage --min-coverage 100 \
    --coverage-skip '*/report.lua' --quiet tests/policy
  expect_eq "exit" 0 "$RC"
  expect_eq "last line" "$n passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_eq "stderr beyond the known warning" "" "$(printf '%s\n' "$ERR" | grep -v -- "$KNOWN_WARNING" | grep .)"
  rows=$(printf '%s\n' "$OUT" | grep '^  rules/')
  for f in rules/*.lua rules/lib/*.lua; do
    [ "$f" = rules/report.lua ] && continue
    want=$(printf '%s\n' "$rows" | grep -c "^  $f ")
    expect_eq "coverage rows of $f" 1 "$want"
  done
  low=$(printf '%s\n' "$rows" | grep -v '^  rules/report\.lua ' | grep -v ' 100\.0%$')
  expect_eq "rule files not fully run" "" "$low"
  expect_contains "stdout" "rules that never fired: none" "$OUT"
}

run_tests
