#!/usr/bin/env bash
# tests/policy/test_complaints.sh: complaint.response (POLICY.md "Alerts"):
# T = 12 hours for strategic clients, 24 otherwise, escalating at T+24 and
# T+48, measured from opened_at to now = D at 23:59:59; and who owns it.
. "$(dirname "$0")/common.sh"

# at DAYS_BEFORE_D HH:MM:SS: a timestamp.
at() { printf '%sT%s' "$(ago "$1")" "$2"; }

test_response_strategic_due_at_12h_escalates_at_36h_and_60h() {
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint R11h59 SC "$(at 0 12:00:59)" S10)
    $(complaint R12h00 SC "$(at 0 11:59:59)" S10)
    $(complaint R35h59 SC "$(at 1 12:00:59)" S10)
    $(complaint R36h00 SC "$(at 1 11:59:59)" S10)
    $(complaint R59h59 SC "$(at 2 12:00:59)" S10)
    $(complaint R60h00 SC "$(at 2 11:59:59)" S10)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'SC|complaint.response|R12h00|warning|1|S10' \
    'SC|complaint.response|R35h59|warning|1|S10' \
    'SC|complaint.response|R36h00|warning|2|S3' \
    'SC|complaint.response|R59h59|warning|2|S3' \
    'SC|complaint.response|R60h00|critical|3|S2')" "$(alerts complaint.response)"
}

test_response_other_tiers_due_at_24h_escalate_at_48h_and_72h() {
  base_facts "
    $(client KC key) $(kam KC S10)
    $(complaint R23h59 KC "$(at 0 00:00:59)" S10)
    $(complaint R24h00 KC "$(at 1 23:59:59)" S10)
    $(complaint R47h59 KC "$(at 1 00:00:59)" S10)
    $(complaint R48h00 KC "$(at 2 23:59:59)" S10)
    $(complaint R71h59 KC "$(at 2 00:00:59)" S10)
    $(complaint R72h00 KC "$(at 3 23:59:59)" S10)
    $(client MC major) $(kam MC S10)
    $(complaint M12h00 MC "$(at 0 11:59:59)" S10)
    $(complaint M24h00 MC "$(at 1 23:59:59)" S10)
    $(client GC general)
    $(complaint G24h00 GC "$(at 1 23:59:59)" S10)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'GC|complaint.response|G24h00|warning|1|S10' \
    'KC|complaint.response|R24h00|warning|1|S10' \
    'KC|complaint.response|R47h59|warning|1|S10' \
    'KC|complaint.response|R48h00|warning|2|S3' \
    'KC|complaint.response|R71h59|warning|2|S3' \
    'KC|complaint.response|R72h00|critical|3|S2' \
    'MC|complaint.response|M24h00|warning|1|S10')" "$(alerts complaint.response)"
}

test_response_hours_follow_the_tier_approved_before_computed() {
  # P1: a strategic partner without an approved tier is strategic (T = 12);
  # P2: the same partner approved as key is key (T = 24).
  base_facts "
    $(client P1 NULL active "$LONG_AGO" 1) $(kam P1 S10)
    $(complaint P1C P1 "$(at 0 11:59:59)" S10)
    $(client P2 key active "$LONG_AGO" 1) $(kam P2 S10)
    $(complaint P2C P2 "$(at 0 11:59:59)" S10)"
  run_policy
  expect_eq "complaint.response" "P1|complaint.response|P1C|warning|1|S10" \
    "$(alerts complaint.response)"
}

test_opened_at_fraction_ignored_space_accepted_bare_date_is_midnight() {
  # F1: 12h to the second once .999 is ignored; F2: a space for T, 36h;
  # F3: a bare date D-1 is D-1 00:00:00, 47h59m59s (level 2, < 60h).
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint F1 SC "$(at 0 11:59:59).999" S10)
    $(complaint F2 SC "$(ago 1) 11:59:59" S10)
    $(complaint F3 SC "$(ago 1)" S10)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'SC|complaint.response|F1|warning|1|S10' \
    'SC|complaint.response|F2|warning|2|S3' \
    'SC|complaint.response|F3|warning|2|S3')" "$(alerts complaint.response)"
}

test_answered_or_resolved_complaint_does_not_alert() {
  # All opened 100 hours before now; A4 was answered exactly at now.
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint A1 SC "$(at 4 20:00:00)" S10 "$(at 3 10:00:00)")
    $(complaint A2 SC "$(at 4 20:00:00)" S10 NULL "$(at 3 10:00:00)")
    $(complaint A3 SC "$(at 4 20:00:00)" S10 "$(at 3 10:00:00)" "$(at 1 10:00:00)")
    $(complaint A4 SC "$(at 4 20:00:00)" S10 "$(at 0 23:59:59)")"
  run_policy
  expect_eq "complaint.response" "" "$(alerts complaint.response)"
}

test_first_response_or_resolution_after_now_counts_as_empty() {
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint B1 SC "$(at 4 20:00:00)" S10 "$(at -1 00:00:00)")
    $(complaint B2 SC "$(at 4 20:00:00)" S10 NULL "$(at -2 09:00:00)")
    $(complaint B3 SC "$(at 0 11:59:59)" S10 "$(at -1 08:00:00)" "$(at -1 09:00:00)")"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'SC|complaint.response|B1|critical|3|S2' \
    'SC|complaint.response|B2|critical|3|S2' \
    'SC|complaint.response|B3|warning|1|S10')" "$(alerts complaint.response)"
}

test_complaint_opened_after_now_does_not_exist() {
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint N1 SC "$(at -1 00:00:00)" S10)
    $(complaint N2 SC "$(at -30 00:00:00)" S10)"
  run_policy
  expect_eq "complaint.response" "" "$(alerts complaint.response)"
  expect_eq "alerts of N1, N2 (any rule)" "0" \
    "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE key IN ('N1', 'N2')")"
}

test_owner_is_active_owner_id_even_when_not_the_kam() {
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint O1 SC "$(at 0 11:59:59)" S11)"
  run_policy
  expect_eq "complaint.response" "SC|complaint.response|O1|warning|1|S11" \
    "$(alerts complaint.response)"
}

test_owner_inactive_missing_or_unknown_falls_back_to_kam() {
  # Level 1 goes to owner = kam S10, level 2 to mgr(S10) = S3.
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint I1 SC "$(at 0 11:59:59)" S12)
    $(complaint I2 SC "$(at 1 11:59:59)" S12)
    $(complaint I3 SC "$(at 0 11:59:59)")
    $(complaint I4 SC "$(at 0 11:59:59)" S999)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'SC|complaint.response|I1|warning|1|S10' \
    'SC|complaint.response|I2|warning|2|S3' \
    'SC|complaint.response|I3|warning|1|S10' \
    'SC|complaint.response|I4|warning|1|S10')" "$(alerts complaint.response)"
}

test_owner_inactive_without_kam_falls_back_to_vp() {
  # Owner = responsible = vp S2; level 2 goes to mgr(S2) = S1 (active).
  base_facts "
    $(client NK strategic)
    $(complaint V1 NK "$(at 0 11:59:59)" S12)
    $(complaint V2 NK "$(at 1 11:59:59)" S12)
    $(complaint V3 NK "$(at 2 11:59:59)" S12)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'NK|complaint.response|V1|warning|1|S2' \
    'NK|complaint.response|V2|warning|2|S1' \
    'NK|complaint.response|V3|critical|3|S2')" "$(alerts complaint.response)"
}

test_level2_goes_to_vp_when_owners_manager_is_inactive() {
  # S11's manager S4 is inactive.
  base_facts "
    $(client SC strategic) $(kam SC S10)
    $(complaint M1 SC "$(at 1 11:59:59)" S11)
    $(client KC strategic) $(kam KC S11)
    $(complaint M2 KC "$(at 1 11:59:59)" S12)"
  run_policy
  expect_eq "complaint.response" "$(lines \
    'KC|complaint.response|M2|warning|2|S2' \
    'SC|complaint.response|M1|warning|2|S2')" "$(alerts complaint.response)"
}

run_tests
