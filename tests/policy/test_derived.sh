#!/usr/bin/env bash
# tests/policy/test_derived.sh: who is responsible (POLICY.md "Derived
# facts": current staff rows, kam, vp) and which clients are evaluated
# ("Scope", "Time"). The kam shows as the assignee of a level-1 visit.account
# alert: a strategic client last contacted 31 days before D.
. "$(dirname "$0")/common.sh"

# due ID: a strategic client with an account contact 31 days before D.
due() {
  client "$1" strategic
  contact "$1" account "$(ago 31)T10:00:00"
}

# kams: client|assignee of the open visit.account alerts.
kams() {
  sqlite3 s.db "SELECT client_id, assignee FROM alerts WHERE status = 'open'
                AND rule = 'visit.account' ORDER BY 1"
}

test_kam_is_the_row_with_the_latest_since() {
  base_facts "
    $(due L1) $(kam L1 S10 2024-01-01) $(kam L1 S11 2025-01-01)
    $(due L2) $(kam L2 S11 2024-01-01) $(kam L2 S10 2025-01-01)"
  run_policy
  expect_eq "kam" "$(lines 'L1|S11' 'L2|S10')" "$(kams)"
}

test_kam_tie_on_since_goes_to_the_smallest_staff_id() {
  base_facts "$(due T1) $(kam T1 S11 2024-01-01) $(kam T1 S10 2024-01-01)"
  run_policy
  expect_eq "kam" "T1|S10" "$(kams)"
}

test_row_ending_on_D_is_not_current_ending_on_D_plus_1_is() {
  # S11 would win (later since) if its row were current; S10 is the fallback.
  base_facts "
    $(due U0) $(kam U0 S10 2020-01-01) $(kam U0 S11 2025-01-01 "$D")
    $(due U1) $(kam U1 S10 2020-01-01) $(kam U1 S11 2025-01-01 "$(ago -1)")
    $(due U2) $(kam U2 S10 2020-01-01) $(kam U2 S11 2025-01-01 "$(ago 1)")"
  run_policy
  expect_eq "kam" "$(lines 'U0|S10' 'U1|S11' 'U2|S10')" "$(kams)"
}

test_row_starting_after_D_is_not_current_starting_on_D_is() {
  base_facts "
    $(due F1) $(kam F1 S10 2020-01-01) $(kam F1 S11 "$(ago -1)")
    $(due F0) $(kam F0 S10 2020-01-01) $(kam F0 S11 "$D")"
  run_policy
  expect_eq "kam" "$(lines 'F0|S11' 'F1|S10')" "$(kams)"
}

test_since_and_until_timestamps_count_by_their_date() {
  # X1: until D at 23:59:59 is until D (not current); X2: since D+1 at
  # 00:00:00 is since D+1 (not current); X3: since D at 23:59:59 is since D.
  base_facts "
    $(due X1) $(kam X1 S10 2020-01-01) $(kam X1 S11 2025-01-01 "${D}T23:59:59")
    $(due X2) $(kam X2 S10 2020-01-01) $(kam X2 S11 "$(ago -1)T00:00:00")
    $(due X3) $(kam X3 S10 2020-01-01) $(kam X3 S11 "${D}T23:59:59")"
  run_policy
  expect_eq "kam" "$(lines 'X1|S10' 'X2|S10' 'X3|S11')" "$(kams)"
}

test_row_of_an_inactive_staff_member_is_not_current() {
  base_facts "
    $(due I1) $(kam I1 S10 2020-01-01) $(kam I1 S12 2025-01-01)
    $(due I2) $(kam I2 S12 2025-01-01)"
  run_policy
  expect_eq "kam" "$(lines 'I1|S10' 'I2|S2')" "$(kams)"
}

test_kam_follows_the_row_role_not_the_staff_role() {
  # S11 is a key account manager by trade, but on R1 in another role; the
  # role is case-sensitive (R2); S3, a marketing manager, is R3's kam.
  base_facts "
    $(due R1) $(kam R1 S10 2020-01-01) $(staff_row R1 S11 tech_engineer 2025-01-01)
    $(due R2) $(staff_row R2 S11 Key_Account_Manager 2025-01-01)
    $(due R3) $(kam R3 S3 2025-01-01)"
  run_policy
  expect_eq "kam" "$(lines 'R1|S10' 'R2|S2' 'R3|S3')" "$(kams)"
}

test_tier_is_the_approved_tier_only_when_it_is_a_tier_name() {
  # Q1 approved key: key interval (61), no alert at 31 days. Q2 'vip' and Q3
  # 'Key' are not tier names: the computed tier (strategic, a partner) counts.
  base_facts "
    $(client Q1 key active "$LONG_AGO" 1) $(contact Q1 account "$(ago 31)T10:00:00")
    $(client Q2 vip active "$LONG_AGO" 1) $(contact Q2 account "$(ago 31)T10:00:00")
    $(client Q3 Key active "$LONG_AGO" 1) $(contact Q3 account "$(ago 31)T10:00:00")"
  run_policy
  expect_eq "kam" "$(lines 'Q2|S2' 'Q3|S2')" "$(kams)"
}

test_vp_is_the_active_marketing_vp_with_the_smallest_id() {
  # S02 sorts before S2 but is inactive; S21 is active but sorts after S2.
  base_facts "
    INSERT INTO staff(id, name, role, manager_id, active) VALUES
      ('S02', 'Former VP', 'marketing_vp', 'S1', 0),
      ('S21', 'Second VP', 'marketing_vp', 'S1', 1);
    $(due V1)"
  run_policy
  expect_eq "kam" "V1|S2" "$(kams)"
}

test_closed_client_is_not_evaluated() {
  # Overdue on every obligation and a strategic partner without an approved
  # tier: anything evaluated would report. 'Closed' is not 'closed'.
  base_facts "
    $(client C1 NULL closed "$LONG_AGO" 1)
    $(complaint C1K C1 "$(ago 10)T10:00:00" S10)
    $(client C2 NULL Closed "$LONG_AGO" 1)"
  run_policy
  expect_eq "alerts of C1" "0" \
    "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE client_id = 'C1'")"
  expect_eq "assignments of C1" "0" \
    "$(sqlite3 s.db "SELECT count(*) FROM assignments WHERE client_id = 'C1'")"
  expect_eq "C2 evaluated" "C2|tier.review||tier_approval|S1|null|strategic" \
    "$(proposals tier.review)"
  expect_eq "clients evaluated" "1" "$(sqlite3 s.db "SELECT clients FROM runs")"
}

test_dormant_and_prospect_clients_are_evaluated() {
  base_facts "
    $(client D1 NULL dormant "$LONG_AGO" 1)
    $(client D2 NULL prospect "$LONG_AGO" 1)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'D1|tier.review||tier_approval|S1|null|strategic' \
    'D2|tier.review||tier_approval|S1|null|strategic')" "$(proposals tier.review)"
}

test_client_created_after_D_is_not_evaluated() {
  base_facts "
    $(client N1 NULL active "$(ago -1)" 1)
    $(client N0 NULL active "$D" 1)"
  run_policy
  expect_eq "alerts of N1" "0" \
    "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE client_id = 'N1'")"
  expect_eq "tier.review" "N0|tier.review||tier_approval|S1|null|strategic" \
    "$(proposals tier.review)"
  expect_eq "clients evaluated" "1" "$(sqlite3 s.db "SELECT clients FROM runs")"
}

run_tests
