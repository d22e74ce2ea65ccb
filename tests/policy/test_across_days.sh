#!/usr/bin/env bash
# tests/policy/test_across_days.sh: runs on successive days against one state
# database (POLICY.md "Across runs"): an alert opens, escalates, resolves, and
# a repeated run changes nothing; tier.review proposals are fulfilled or
# withdrawn.
. "$(dirname "$0")/common.sh"

# events RULE CLIENT: run|type|at|severity|level|assignee|status of the
# events about one rule and client, in feed order.
events() {
  sqlite3 s.db "SELECT run_id, type, at, json_extract(body, '\$.severity'),
                  json_extract(body, '\$.level'), json_extract(body, '\$.assignee'),
                  json_extract(body, '\$.status')
                FROM events WHERE rule = '$1' AND client_id = '$2' ORDER BY seq"
}

# last_run_events: events appended by the latest run (the table and the count
# the run recorded).
last_run_events() {
  sqlite3 s.db "SELECT (SELECT count(*) FROM events WHERE run_id = r.id) || '|' || r.events
                FROM runs r ORDER BY id DESC LIMIT 1"
}

test_account_alert_opens_escalates_resolves_then_stays_quiet() {
  # A strategic client whose other levels were all contacted on D.
  local d1 d31
  d1=$(ago -1) d31=$(ago -31)
  base_facts "
    $(client E NULL active "$LONG_AGO" 1) $(kam E S10)
    $(contact E account "$(ago 31)T10:00:00")
    $(contact E executive "${D}T09:00:00") $(contact E technical "${D}T09:00:00")
    $(contact E quality "${D}T09:00:00")"
  run_policy "$D"
  expect_eq "open as of D" "E|visit.account||warning|1|S10" "$(alerts visit.account)"
  run_policy "$d1"
  expect_eq "open as of D+1" "E|visit.account||warning|1|S10" "$(alerts visit.account)"
  run_policy "$d31"
  expect_eq "open as of D+31" "E|visit.account||critical|2|S3" "$(alerts visit.account)"
  sqlite3 f.db "$(contact E account "${d31}T09:00:00")"
  run_policy "$d31"
  expect_eq "open after the contact" "" "$(alerts visit.account)"
  run_policy "$d31"
  expect_eq "events of the repeated run" "0|0" "$(last_run_events)"
  expect_eq "events" "$(lines \
    "1|alert.opened|${D}T23:59:59|warning|1|S10|open" \
    "3|alert.escalated|${d31}T23:59:59|critical|2|S3|open" \
    "4|alert.resolved|${d31}T23:59:59|critical|2|S3|resolved")" \
    "$(events visit.account E)"
  expect_eq "alert row" "resolved|2|${D}T23:59:59|${d31}T23:59:59" \
    "$(sqlite3 s.db "SELECT status, level, opened_at, updated_at FROM alerts
                     WHERE rule = 'visit.account' AND client_id = 'E'")"
}

test_complaint_escalates_day_by_day_then_resolves_when_answered() {
  # Opened on D at 08:00 for a strategic client: 15.99 h at D's end, then
  # 39.99 h (level 2) and 63.99 h (level 3); answered on D+2 at 12:00.
  local d1 d2
  d1=$(ago -1) d2=$(ago -2)
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint K1 SC "${D}T08:00:00" S10)"
  run_policy "$D"
  run_policy "$d1"
  run_policy "$d2"
  sqlite3 f.db "UPDATE complaints SET first_response_at = '${d2}T12:00:00' WHERE id = 'K1'"
  run_policy "$d2"
  expect_eq "events" "$(lines \
    "1|alert.opened|${D}T23:59:59|warning|1|S10|open" \
    "2|alert.escalated|${d1}T23:59:59|warning|2|S3|open" \
    "3|alert.escalated|${d2}T23:59:59|critical|3|S2|open" \
    "4|alert.resolved|${d2}T23:59:59|critical|3|S2|resolved")" \
    "$(events complaint.response SC)"
}

test_replaying_an_earlier_day_ignores_what_came_later() {
  # The contact on D+5 does not exist yet as of D: the alert is as before.
  base_facts "
    $(client E strategic) $(kam E S10)
    $(contact E account "$(ago 31)T10:00:00")
    $(contact E account "$(ago -5)T10:00:00")"
  run_policy "$D"
  expect_eq "as of D" "E|visit.account||warning|1|S10" "$(alerts visit.account)"
  run_policy "$(ago -5)"
  expect_eq "as of D+5" "" "$(alerts visit.account)"
}

test_tier_proposal_fulfilled_when_the_tier_is_approved() {
  base_facts "$(client P1 NULL active "$LONG_AGO" 1)"
  run_policy "$D"
  sqlite3 f.db "UPDATE clients SET approved_tier = 'strategic' WHERE id = 'P1'"
  run_policy "$(ago -1)"
  expect_eq "assignment" "tier_approval|S1|fulfilled" \
    "$(sqlite3 s.db "SELECT kind, assignee, status FROM assignments WHERE rule = 'tier.review'")"
  expect_eq "events" "$(lines 'assignment.proposed' 'assignment.fulfilled')" \
    "$(sqlite3 s.db "SELECT type FROM events WHERE rule = 'tier.review' ORDER BY seq")"
}

test_tier_proposal_withdrawn_when_no_longer_needed() {
  # Key by sales as of D; as of D+365 the order has left the window, the
  # computed tier is general and, with no approved tier, nothing is asked.
  base_facts "
    $(client BIG NULL closed) $(order BIG "$(ago 10)" 1000000000.00)
    $(client K1) $(order K1 "$D" 20000000.00)"
  run_policy "$D"
  expect_eq "as of D" "K1|tier.review||tier_approval|S1|null|key" "$(proposals tier.review)"
  run_policy "$(ago -365)"
  expect_eq "assignment status" "withdrawn" \
    "$(sqlite3 s.db "SELECT status FROM assignments WHERE rule = 'tier.review'")"
  expect_eq "events" "$(lines 'assignment.proposed' 'assignment.withdrawn')" \
    "$(sqlite3 s.db "SELECT type FROM events WHERE rule = 'tier.review' ORDER BY seq")"
}

run_tests
