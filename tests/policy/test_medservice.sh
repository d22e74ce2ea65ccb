#!/usr/bin/env bash
# tests/policy/test_medservice.sh: the medical-equipment service example
# (examples/medservice/, examples/medservice/POLICY.md there): its fixtures pass and run every
# line of its rule files, `check` is clean on generated facts, a run over
# them gives the same results with --jobs 1 and --jobs 2 and the exact
# results of the generator's boundary customers X01..X05, explain, the
# report, the feed with a named consumer and status say what they should.
. "$(dirname "$0")/../lib.sh"

CFG=examples/medservice/crmpolicy.yaml
GEN=examples/medservice/gen.py
FIX=examples/medservice/fixtures

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --coverage-skip '*/report.lua' \
    --quiet --junit "$T/junit.xml" $FIX
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" " 199 of   199 lines  100.0%" "$(printf '%s\n' "$OUT" | grep '^  total')"
  expect_contains "every rule fired" "rules that never fired: none" "$OUT"
  expect_eq "last line" "6 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_contains "junit" 'tests="6" failures="0" errors="0" skipped="0"' "$(cat "$T/junit.xml")"
}

test_one_fixture_by_name() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --run '^engineer\.assign' $FIX
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "output" "ok   $FIX/dispatch.yaml: engineer.assign picks certified engineers, region first
1 passed, 0 failed (5 left out by --run)" "$OUT"
  cp_run test --config $CFG --run '^no such fixture' $FIX
  expect_eq "nothing matched: exit" 1 "$RC"
}

test_check_is_clean_on_generated_facts() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 500 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run check --config $CFG --facts "$T/f.db" --as-of 2026-11-15 --fixtures $FIX
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "output" "ok: $CFG: 5 rules load; facts $T/f.db has every declared table and column
lint: 0 warnings" "$OUT"
}

test_jobs_1_and_2_give_the_same_results() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 2000 2026-11-15 >/dev/null || fail "gen.py failed"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM customers WHERE status = 'active' AND created_on <= '2026-11-15'")
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s1.db" --as-of 2026-11-15 --jobs 1
  expect_eq "jobs 1: exit" 0 "$RC"
  expect_eq "jobs 1: stderr" "" "$ERR"
  expect_contains "jobs 1: summary" "$(printf '%s' "$n" | sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta') clients evaluated" "$OUT"
  expect_contains "jobs 1: summary" "0 rule errors, 0 data problems" "$OUT"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s2.db" --as-of 2026-11-15 --jobs 2 --quiet
  expect_eq "jobs 2: exit" 0 "$RC"
  expect_eq "jobs 2: quiet" "" "$OUT"
  expect_eq "jobs 2: stderr" "" "$ERR"
  local a1 a2 p1 p2
  a1=$("$CRMPOLICY" alerts --config $CFG --state "$T/s1.db" --format csv)
  a2=$("$CRMPOLICY" alerts --config $CFG --state "$T/s2.db" --format csv)
  p1=$("$CRMPOLICY" assignments --config $CFG --state "$T/s1.db" --format csv)
  p2=$("$CRMPOLICY" assignments --config $CFG --state "$T/s2.db" --format csv)
  [ "$(printf '%s\n' "$a1" | wc -l)" -gt 100 ] || fail "too few alerts"
  expect_eq "alerts, jobs 1 and 2" "$a1" "$a2"
  expect_eq "assignments, jobs 1 and 2" "$p1" "$p2"
  expect_eq "events, jobs 1 and 2" \
    "$(sqlite3 "$T/s1.db" "SELECT type, count(*) FROM events GROUP BY type")" \
    "$(sqlite3 "$T/s2.db" "SELECT type, count(*) FROM events GROUP BY type")"
  # every rule reports something on generated facts
  expect_eq "rules that reported" \
    "contract.renewal engineer.assign engineer.unfilled pm.overdue ticket.p1_response visit.review " \
    "$( { printf '%s\n' "$a1" | sed 1d | cut -d, -f2; printf '%s\n' "$p1" | sed 1d | cut -d, -f2; } \
        | grep -v '^$' | sort -u | tr '\n' ' ')"
  # a rerun with the same facts and date adds no event
  local before
  before=$(sqlite3 "$T/s2.db" "SELECT count(*) FROM events")
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s2.db" --as-of 2026-11-15 --jobs 2 --quiet
  expect_eq "rerun: exit" 0 "$RC"
  expect_eq "rerun adds no event" "$before" "$(sqlite3 "$T/s2.db" "SELECT count(*) FROM events")"
}

test_the_boundary_customers_exactly() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 300 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "exit" 0 "$RC"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  expect_eq "X01..X05" \
'X01,pm.overdue,X01-M1,critical,2,AM001,preventive maintenance of MRI X01-M1 overdue since 2026-11-14,2026-11-15T23:59:59,2026-11-15T23:59:59,"{""due_on"":""2026-11-14"",""interval_days"":90,""last_pm"":""2026-08-16"",""machine"":""X01-M1"",""modality"":""MRI""}"
X02,ticket.p1_response,TX02,critical,2,AM002,P1 ticket TX02 open past the 8-hour response deadline,2026-11-15T23:59:59,2026-11-15T23:59:59,"{""deadline_hours"":8,""machine"":""X02-M1"",""opened_at"":""2026-11-15T07:59:59"",""ticket"":""TX02""}"
X03,contract.renewal,2026-12-15,critical,2,AM003,contract ends 2026-12-15 with no renewal visit,2026-11-15T23:59:59,2026-11-15T23:59:59,"{""ends_on"":""2026-12-15""}"
X04,engineer.unfilled,TX04,critical,1,SM4,ticket TX04 names an unknown machine,2026-11-15T23:59:59,2026-11-15T23:59:59,"{""machine"":""NOPE"",""ticket"":""TX04""}"
X05,visit.review,,warning,1,AM001,no strategic account review since 2026-08-17,2026-11-15T23:59:59,2026-11-15T23:59:59,"{""interval_days"":90,""last"":""2026-08-17"",""strategic"":true}"' \
    "$(printf '%s\n' "$OUT" | grep '^X0' | tr -d '\r')"
  # the next night, X02's P1 is 40 hours old (5x the deadline): level 3, one escalation
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-16 --quiet
  expect_eq "next night: exit" 0 "$RC"
  expect_eq "X02 escalated" "alert.escalated 3" \
    "$(sqlite3 "$T/s.db" "SELECT type, json_extract(body, '$.level') FROM events
                          WHERE client_id = 'X02' AND run_id = 2" | tr '|' ' ')"
}

test_explain_shows_the_strategic_classification() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 100 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run explain --config $CFG --facts "$T/f.db" --as-of 2026-11-15 --rule visit.review X05
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "derived" "  strategic = true
      from: tier = gold, critical_machines = 3
      why: tier gold, 3 critical machines" "$OUT"
  expect_contains "fired" "rule visit.review (examples/medservice/rules/maintenance.lua:35): fired" "$OUT"
  expect_contains "result" 'alert visit.review: key "", warning, level 1, assignee AM001, title "no strategic account review since 2026-08-17"' "$OUT"
}

test_report_feed_consumer_and_status() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "run: exit" 0 "$RC"
  local n events
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM customers WHERE status = 'active' AND created_on <= '2026-11-15'")
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet -o "$T/r.csv"
  expect_eq "report: exit" 0 "$RC"
  expect_eq "report: stderr" "" "$ERR"
  expect_eq "subtotals and total" "Subtotal: east
Subtotal: north
Subtotal: south
Subtotal: west
Total ($n)" "$(grep -a -o '^\(Subtotal: [a-z]*\|Total ([0-9]*)\)' "$T/r.csv")"
  expect_eq "header" "Customer,Region,Tier,Strategic,Machines (All),Machines (Critical),Open P1/P2,Contract end,Open alerts (Critical),Open alerts (Warning)" \
    "$(head -n 1 "$T/r.csv" | tr -d '\r')"
  # a named consumer reads 10 events, acknowledges them, and is behind by the rest
  events=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  cp_run feed --config $CFG --state "$T/s.db" --consumer board --limit 10
  expect_eq "feed: exit" 0 "$RC"
  expect_eq "feed: 10 lines" 10 "$(printf '%s\n' "$OUT" | wc -l)"
  expect_eq "feed: last seq" 10 "$(printf '%s\n' "$OUT" | tail -n 1 | jq .seq)"
  cp_run feed --config $CFG --state "$T/s.db" --consumer board --ack 10
  expect_eq "ack: exit" 0 "$RC"
  cp_run status --config $CFG --state "$T/s.db" --format json
  expect_eq "status: exit" 0 "$RC"
  expect_eq "status: consumer" "board $((events - 10))" \
    "$(printf '%s\n' "$OUT" | jq -r '.feed.consumers[] | "\(.name) \(.behind)"')"
  expect_eq "status: complete" "complete" "$(printf '%s\n' "$OUT" | jq -r .last_run.status)"
}

test_the_generator_is_repeatable() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/a.db" 50 2026-11-15 >/dev/null && python3 $GEN "$T/b.db" 50 2026-11-15 >/dev/null
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
