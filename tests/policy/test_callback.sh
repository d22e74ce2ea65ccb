#!/usr/bin/env bash
# tests/policy/test_callback.sh: complaint.callback (POLICY.md): tier strategic
# or key; a complaint with resolved_at, 168 <= hours_since(resolved_at) <= 720,
# and no contact of level service with resolved_at <= happened_at <=
# resolved_at + 168 h. Warning, level 1, key = complaint id, assignee
# staff_for('service_engineer'), else owner.
. "$(dirname "$0")/alerts_fixture.sh"

# resolved ID CLIENT RESOLVED_AT [OWNER]: a complaint opened 10 hours before
# RESOLVED_AT, answered an hour after opening.
resolved() {
  local o
  o=$(plus_hours "$3" -10)
  cpl "$1" "$2" "$o" "${4:-S10}" "$(plus_hours "$o" 1)" "$3"
}

test_hours_since_resolution_168_to_720() {
  facts "$(cl C1 strategic; cs C1 S20 service_engineer)
    $(resolved K1 C1 "$(hours_ago 168 -1)") $(resolved K2 C1 "$(hours_ago 168)")
    $(resolved K3 C1 "$(hours_ago 168 1)") $(resolved K4 C1 "$(hours_ago 720 -1)")
    $(resolved K5 C1 "$(hours_ago 720)") $(resolved K6 C1 "$(hours_ago 720 1)")
    $(resolved K7 C1 "$(hours_ago 2000)")"
  run_at
  expect_alerts complaint.callback <<'EOF'
    C1|complaint.callback|K2|warning|1|S20
    C1|complaint.callback|K3|warning|1|S20
    C1|complaint.callback|K4|warning|1|S20
    C1|complaint.callback|K5|warning|1|S20
EOF
}

test_service_contact_window_edges() {
  local r r6
  r=$(hours_ago 300)
  r6=$(hours_ago 600)
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7 C8; do cl $c strategic; cs $c S20 service_engineer; done)
    $(resolved K1 C1 "$r") $(ct C1 service "$r")
    $(resolved K2 C2 "$r") $(ct C2 service "$(plus_hours "$r" 0 -1)")
    $(resolved K3 C3 "$r") $(ct C3 service "$(plus_hours "$r" 168)")
    $(resolved K4 C4 "$r") $(ct C4 service "$(plus_hours "$r" 168 1)")
    $(resolved K5 C5 "$r") $(ct C5 account "$(plus_hours "$r" 1)")
    $(resolved K6 C6 "$r") $(ct C6 Service "$(plus_hours "$r" 1)")
    $(resolved K7 C7 "$r") $(ct C7 service "$(plus_hours "$r" 100)")
    $(resolved K81 C8 "$r") $(resolved K82 C8 "$r6") $(ct C8 service "$(plus_hours "$r" 1)")"
  run_at
  # At resolved_at and at +168 h count; a second before or after does not;
  # only level 'service' (case-sensitive) counts; any service contact in a
  # complaint's window answers it, and only its window.
  expect_alerts complaint.callback <<'EOF'
    C2|complaint.callback|K2|warning|1|S20
    C4|complaint.callback|K4|warning|1|S20
    C5|complaint.callback|K5|warning|1|S20
    C6|complaint.callback|K6|warning|1|S20
    C8|complaint.callback|K82|warning|1|S20
EOF
}

test_only_strategic_and_key() {
  local r
  r=$(hours_ago 300)
  facts "$(cl C1 strategic; cl C2 key; cl C3 major; cl C4 general; cl C5 Key)
    $(resolved K1 C1 "$r") $(resolved K2 C2 "$r") $(resolved K3 C3 "$r")
    $(resolved K4 C4 "$r") $(resolved K5 C5 "$r")"
  run_at
  # C5's approved tier 'Key' is not a tier name: its tier is computed (general).
  expect_alerts complaint.callback <<'EOF'
    C1|complaint.callback|K1|warning|1|S10
    C2|complaint.callback|K2|warning|1|S10
EOF
}

test_needs_resolved_at_by_now() {
  local o
  o=$(hours_ago 400)
  facts "$(cl C1 key)
    $(cpl K1 C1 "$o" S10 "$(plus_hours "$o" 1)" NULL)
    $(cpl K2 C1 "$o" S10 "$(plus_hours "$o" 1)" "$(hours_ago 0 -1)")
    $(cpl K3 C1 "$o" S10 NULL "$(plus_hours "$o" 2)")
    $(cpl K4 C1 "$(hours_ago 0 -10)" S10 NULL "$(hours_ago 0 -20)")"
  run_at
  # K1: unresolved; K2: resolved after now = unresolved; K3: resolved without
  # a first response counts; K4: opened after now, not there yet.
  expect_alerts complaint.callback <<< "C1|complaint.callback|K3|warning|1|S10"
}

test_assignee_service_engineer_else_owner() {
  local r
  r=$(hours_ago 300)
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7 C8; do cl $c key; done)
    $(cs C1 S20 service_engineer; cs C1 S11 key_account_manager) $(resolved K1 C1 "$r" S10)
    $(cs C2 S22 service_engineer) $(resolved K2 C2 "$r" S10)
    $(cs C3 S11 key_account_manager) $(resolved K3 C3 "$r" S12)
    $(resolved K4 C4 "$r" NULL)
    $(cs C5 S20 service_engineer 2021-01-01; cs C5 S21 service_engineer 2022-01-01) $(resolved K5 C5 "$r")
    $(cs C6 S21 service_engineer 2022-01-01; cs C6 S20 service_engineer 2022-01-01) $(resolved K6 C6 "$r")
    $(cs C7 S20 service_engineer "$OLD" "$D"; cs C7 S21 service_engineer "$(days_ago -1)") $(resolved K7 C7 "$r" S11)
    $(cs C8 S21 service_engineer "$D" "$(days_ago -1)") $(resolved K8 C8 "$r")"
  run_at
  # C1: the service engineer; C2: only an inactive one, so the owner; C3: owner
  # gone, so responsible (kam S11); C4: no owner, no kam: vp; C5: latest since;
  # C6: same since, smallest id; C7: rows ended on D or starting after D are not
  # current; C8: a row from D to D+1 is.
  expect_alerts complaint.callback <<'EOF'
    C1|complaint.callback|K1|warning|1|S20
    C2|complaint.callback|K2|warning|1|S10
    C3|complaint.callback|K3|warning|1|S11
    C4|complaint.callback|K4|warning|1|S02
    C5|complaint.callback|K5|warning|1|S21
    C6|complaint.callback|K6|warning|1|S20
    C7|complaint.callback|K7|warning|1|S11
    C8|complaint.callback|K8|warning|1|S21
EOF
}

test_title_and_data_and_window_across_runs() {
  # Resolved 2026-06-01T08:00:00: 168 h at 06-08T08:00, 720 h at 07-01T08:00.
  facts "$(cl C1 strategic) $(cpl K1 C1 2026-05-30T08:00:00 S10 NULL 2026-06-01T08:00:00)"
  run_at 2026-06-07
  expect_alerts complaint.callback </dev/null
  run_at 2026-06-08
  expect_alerts complaint.callback <<< "C1|complaint.callback|K1|warning|1|S10"
  expect_eq "title and data" "no call-back after complaint K1 resolved 2026-06-01T08:00:00|{\"category\":\"quality\",\"due_by\":\"2026-06-08T08:00:00\",\"resolved_at\":\"2026-06-01T08:00:00\"}" \
    "$(sqlite3 s.db "SELECT title, data FROM alerts WHERE rule = 'complaint.callback'")"
  run_at 2026-06-30
  expect_alerts complaint.callback <<< "C1|complaint.callback|K1|warning|1|S10"
  run_at 2026-07-01
  expect_alerts complaint.callback </dev/null
  expect_eq "events" "alert.opened 2|alert.resolved 4" \
    "$(sqlite3 s.db "SELECT type, run_id FROM events WHERE rule = 'complaint.callback' ORDER BY seq" | tr '|' ' ' | paste -sd'|')"
}

run_tests
