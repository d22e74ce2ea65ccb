#!/usr/bin/env bash
# tests/policy/test_resolution.sh: complaint.resolution (POLICY.md): an
# answered, unresolved complaint; h = hours_since(opened_at); h >= 336: level 2,
# critical, mgr(owner); else h >= 168: level 1, warning, owner; key = complaint id.
. "$(dirname "$0")/alerts_fixture.sh"

# answered ID CLIENT H [S] [OWNER]: a complaint opened H hours (+S seconds)
# before now, answered an hour later, not resolved.
answered() {
  local at
  at=$(hours_ago "$3" "${4:-0}")
  cpl "$1" "$2" "$at" "${5:-S10}" "$(plus_hours "$at" 1)" NULL
}

test_hour_boundaries_168_and_336() {
  facts "$(cl C1 general; cs C1 S10 key_account_manager)
    $(answered K1 C1 168 -1) $(answered K2 C1 168) $(answered K3 C1 168 1)
    $(answered K4 C1 336 -1) $(answered K5 C1 336) $(answered K6 C1 336 1)
    $(answered K7 C1 5000)"
  run_at
  expect_alerts complaint.resolution <<'EOF'
    C1|complaint.resolution|K2|warning|1|S10
    C1|complaint.resolution|K3|warning|1|S10
    C1|complaint.resolution|K4|warning|1|S10
    C1|complaint.resolution|K5|critical|2|S03
    C1|complaint.resolution|K6|critical|2|S03
    C1|complaint.resolution|K7|critical|2|S03
EOF
}

test_boundaries_hold_for_every_tier() {
  # T of complaint.response depends on the tier; resolution's hours do not.
  facts "$(cl C1 strategic; cl C2 key; cl C3 major)
    $(answered K1 C1 168 -1) $(answered K2 C1 168) $(answered K3 C2 168 -1)
    $(answered K4 C2 336) $(answered K5 C3 336 -1) $(answered K6 C3 336)"
  run_at
  expect_alerts complaint.resolution <<'EOF'
    C1|complaint.resolution|K2|warning|1|S10
    C2|complaint.resolution|K4|critical|2|S03
    C3|complaint.resolution|K5|warning|1|S10
    C3|complaint.resolution|K6|critical|2|S03
EOF
}

test_only_answered_and_unresolved() {
  local o
  o=$(hours_ago 400)
  facts "$(cl C1 general; cs C1 S10 key_account_manager)
    $(cpl K1 C1 "$o" S10 NULL NULL)
    $(cpl K2 C1 "$o" S10 "$(plus_hours "$o" 1)" "$(plus_hours "$o" 2)")
    $(cpl K3 C1 "$o" S10 NULL "$(plus_hours "$o" 2)")
    $(cpl K4 C1 "$o" S10 "$(hours_ago -1)" NULL)
    $(cpl K5 C1 "$o" S10 "$(plus_hours "$o" 1)" "$(hours_ago 0 -1)")
    $(cpl K6 C1 "$(hours_ago 0 -1)" S10 "$(hours_ago 0 -2)" NULL)"
  run_at
  # K1: not answered (complaint.response's); K2, K3: resolved; K4: answered
  # after now = not answered; K5: resolved after now = unresolved; K6: opened
  # after now, does not exist yet.
  expect_alerts complaint.resolution <<'EOF'
    C1|complaint.resolution|K5|critical|2|S03
EOF
  expect_eq "K1 is complaint.response's" "C1|complaint.response|K1|critical|3|S02
C1|complaint.response|K4|critical|3|S02" "$(alerts complaint.response)"
}

test_assignee_chains() {
  facts "$(cl C1 general; cs C1 S10 key_account_manager)
    $(answered K11 C1 200 0 S10) $(answered K12 C1 400 0 S10)
    $(cl C2 general; cs C2 S10 key_account_manager)
    $(answered K21 C2 200 0 S12) $(answered K22 C2 400 0 S12)
    $(answered K23 C2 200 0 S99) $(answered K24 C2 400 0 NULL)
    $(cl C3 general; cs C3 S10 key_account_manager)
    $(answered K31 C3 200 0 S11) $(answered K32 C3 400 0 S11)
    $(cl C4 general)
    $(answered K41 C4 200 0 NULL) $(answered K42 C4 400 0 S12)
    $(cl C5 general; cs C5 S12 key_account_manager)
    $(answered K51 C5 200 0 S12) $(answered K52 C5 400 0 NULL)
    $(cl C6 general; cs C6 S11 key_account_manager; cs C6 S10 key_account_manager "$OLD" "$D")
    $(answered K61 C6 200 0 NULL) $(answered K62 C6 400 0 NULL)"
  run_at
  # owner active: owner, mgr(owner); owner gone, unknown or missing: the kam
  # (responsible), mgr(kam); owner S11 whose manager S04 left: mgr = vp; no
  # kam (none, or only an inactive one): vp, mgr(vp) = S01; a kam row ending
  # on D is not current.
  expect_alerts complaint.resolution <<'EOF'
    C1|complaint.resolution|K11|warning|1|S10
    C1|complaint.resolution|K12|critical|2|S03
    C2|complaint.resolution|K21|warning|1|S10
    C2|complaint.resolution|K22|critical|2|S03
    C2|complaint.resolution|K23|warning|1|S10
    C2|complaint.resolution|K24|critical|2|S03
    C3|complaint.resolution|K31|warning|1|S11
    C3|complaint.resolution|K32|critical|2|S02
    C4|complaint.resolution|K41|warning|1|S02
    C4|complaint.resolution|K42|critical|2|S01
    C5|complaint.resolution|K51|warning|1|S02
    C5|complaint.resolution|K52|critical|2|S01
    C6|complaint.resolution|K61|warning|1|S11
    C6|complaint.resolution|K62|critical|2|S02
EOF
}

test_closed_client_not_evaluated() {
  facts "$(cl C1 general "$OLD" closed) $(answered K1 C1 400)
         $(cl C2 general "$OLD" dormant) $(answered K2 C2 400 0 NULL)
         $(cl C3 general "$OLD" prospect) $(answered K3 C3 200 0 NULL)"
  run_at
  expect_alerts complaint.resolution <<'EOF'
    C2|complaint.resolution|K2|critical|2|S01
    C3|complaint.resolution|K3|warning|1|S02
EOF
}

test_opens_escalates_and_resolves_across_runs() {
  # Opened 2026-06-20T10:00:00: 168 h at 06-27T10:00, 336 h at 07-04T10:00.
  facts "$(cl C1 general; cs C1 S10 key_account_manager)
         $(cpl K1 C1 2026-06-20T10:00:00 S10 2026-06-20T12:00:00 NULL)"
  run_at 2026-06-26
  expect_alerts complaint.resolution </dev/null
  run_at 2026-06-27
  expect_alerts complaint.resolution <<< "C1|complaint.resolution|K1|warning|1|S10"
  run_at 2026-07-03
  expect_alerts complaint.resolution <<< "C1|complaint.resolution|K1|warning|1|S10"
  run_at 2026-07-04
  expect_alerts complaint.resolution <<< "C1|complaint.resolution|K1|critical|2|S03"
  sqlite3 f.db "UPDATE complaints SET resolved_at = '2026-07-05T09:00:00'"
  run_at 2026-07-05
  expect_alerts complaint.resolution </dev/null
  expect_eq "events" "alert.opened 2 warning 1|alert.escalated 4 critical 2|alert.resolved 5 critical 2" \
    "$(sqlite3 s.db "SELECT type, run_id, json_extract(body, '$.severity'), json_extract(body, '$.level')
                     FROM events WHERE rule = 'complaint.resolution' ORDER BY seq" | tr '|' ' ' | paste -sd'|')"
  expect_eq "title and data" "complaint K1 unresolved since 2026-06-20T10:00:00|{\"category\":\"quality\",\"first_response_at\":\"2026-06-20T12:00:00\",\"opened_at\":\"2026-06-20T10:00:00\"}" \
    "$(sqlite3 s.db "SELECT title, data FROM alerts WHERE rule = 'complaint.resolution'")"
}

run_tests
