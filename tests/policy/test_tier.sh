#!/usr/bin/env bash
# tests/policy/test_tier.sh: the computed tier and tier.review (POLICY.md
# "Derived facts" and "Assignments"): sales12, total12 and share over the
# last 365 days, their thresholds, money rounded to the cent, and when the
# general manager (S1) is asked to approve a tier.
. "$(dirname "$0")/common.sh"

# A closed client whose orders make total12 large, so that every other
# client's share stays below 3% (closed clients are not evaluated).
BIG="$(client BIG NULL closed) $(order BIG "$(ago 10)" 1000000000.00)"

test_unapproved_strategic_partner_is_proposed_to_gm() {
  base_facts "$(client P1 NULL active "$LONG_AGO" 1)"
  run_policy
  expect_eq "tier.review" "P1|tier.review||tier_approval|S1|null|strategic" \
    "$(proposals tier.review)"
}

test_unapproved_key_is_proposed_major_and_general_are_not() {
  base_facts "$BIG
    $(client K1) $(order K1 "$(ago 10)" 20000000.00)
    $(client M1) $(order M1 "$(ago 10)" 5000000.00)
    $(client G1) $(order G1 "$(ago 10)" 4999999.99)
    $(client G2)"
  run_policy
  expect_eq "tier.review" "K1|tier.review||tier_approval|S1|null|key" "$(proposals tier.review)"
}

test_approved_tier_different_from_computed_is_proposed() {
  base_facts "$BIG
    $(client A1 key)
    $(client A2 strategic) $(order A2 "$(ago 10)" 5000000.00)
    $(client A3 general active "$LONG_AGO" 1)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'A1|tier.review||tier_approval|S1|key|general' \
    'A2|tier.review||tier_approval|S1|strategic|major' \
    'A3|tier.review||tier_approval|S1|general|strategic')" "$(proposals tier.review)"
}

test_approved_tier_equal_to_computed_is_not_proposed() {
  base_facts "$BIG
    $(client E1 strategic active "$LONG_AGO" 1)
    $(client E2 key) $(order E2 "$(ago 10)" 20000000.00)
    $(client E3 major) $(order E3 "$(ago 10)" 5000000.00)
    $(client E4 general)"
  run_policy
  expect_eq "tier.review" "" "$(proposals tier.review)"
}

test_approved_tier_is_case_sensitive() {
  # 'Key' is not a tier name: it is set and differs from the computed 'key'.
  base_facts "$BIG $(client C1 Key) $(order C1 "$(ago 10)" 20000000.00)"
  run_policy
  expect_eq "tier.review" "C1|tier.review||tier_approval|S1|Key|key" "$(proposals tier.review)"
}

test_share_strictly_above_5_percent_is_strategic_above_3_percent_key() {
  # total12 = 1,000,000.00: S5 has exactly 5% (key, by share > 3%), S5P just
  # above 5%; K3 exactly 3% (general), K3P just above 3%. All approved major.
  base_facts "
    $(client S5 major) $(order S5 "$(ago 10)" 50000.00)
    $(client S5P major) $(order S5P "$(ago 10)" 50000.01)
    $(client K3 major) $(order K3 "$(ago 10)" 30000.00)
    $(client K3P major) $(order K3P "$(ago 10)" 30000.01)
    $(client X NULL closed) $(order X "$(ago 10)" 839999.98)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'K3|tier.review||tier_approval|S1|major|general' \
    'K3P|tier.review||tier_approval|S1|major|key' \
    'S5|tier.review||tier_approval|S1|major|key' \
    'S5P|tier.review||tier_approval|S1|major|strategic')" "$(proposals tier.review)"
}

test_sales12_thresholds_20m_key_5m_major_to_the_cent() {
  # All approved strategic, so each shows its computed tier.
  base_facts "$BIG
    $(client K20 strategic) $(order K20 "$(ago 10)" 20000000.00)
    $(client K19 strategic) $(order K19 "$(ago 10)" 19999999.99)
    $(client K2X strategic) $(order K2X "$(ago 10)" 10000000.00) $(order K2X "$(ago 20)" 10000000.00)
    $(client M05 strategic) $(order M05 "$(ago 10)" 5000000.00)
    $(client M04 strategic) $(order M04 "$(ago 10)" 4999999.99)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'K19|tier.review||tier_approval|S1|strategic|major' \
    'K20|tier.review||tier_approval|S1|strategic|key' \
    'K2X|tier.review||tier_approval|S1|strategic|key' \
    'M04|tier.review||tier_approval|S1|strategic|general' \
    'M05|tier.review||tier_approval|S1|strategic|major')" "$(proposals tier.review)"
}

test_sales12_window_is_the_last_365_days() {
  # W364 ordered on D-364 (inside), W365 on D-365 (outside), WD on D
  # (inside), WF on D+1 (not yet).
  base_facts "$BIG
    $(client W364 general) $(order W364 "$(ago 364)" 20000000.00)
    $(client W365 general) $(order W365 "$(ago 365)" 20000000.00)
    $(client WD general) $(order WD "$D" 20000000.00)
    $(client WF general) $(order WF "$(ago -1)" 20000000.00)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'W364|tier.review||tier_approval|S1|general|key' \
    'WD|tier.review||tier_approval|S1|general|key')" "$(proposals tier.review)"
}

test_total12_excludes_orders_outside_the_window() {
  # In the window: Y 600,000 + X 9,400,000 = 10,000,000, so Y's share is 6%.
  # X's orders on D-365 and D+1 would bring it under 1% if they counted.
  base_facts "
    $(client Y general) $(order Y "$(ago 1)" 600000.00)
    $(client X NULL closed) $(order X "$(ago 1)" 9400000.00)
    $(order X "$(ago 365)" 100000000.00) $(order X "$(ago -1)" 100000000.00)"
  run_policy
  expect_eq "tier.review" "Y|tier.review||tier_approval|S1|general|strategic" \
    "$(proposals tier.review)"
}

test_total12_counts_orders_of_closed_and_unknown_clients() {
  # total12 = 600,000 + 5,700,000 (closed X) + 5,700,000 (ZZ, not a client)
  # = 12,000,000: Y has exactly 5%, so it is key, not strategic.
  base_facts "
    $(client Y general) $(order Y "$(ago 1)" 600000.00)
    $(client X NULL closed) $(order X "$(ago 1)" 5700000.00)
    $(order ZZ "$(ago 1)" 5700000.00)"
  cp_run run --config "$CONFIG" --facts f.db --state s.db --as-of "$D" --quiet
  expect_eq "exit code" 0 "$RC"
  expect_eq "tier.review" "Y|tier.review||tier_approval|S1|general|key" \
    "$(proposals tier.review)"
}

test_money_rounds_each_amount_half_away_from_zero() {
  # R1: 19,999,999.98 + 0.005 + 0.005 = 20,000,000.00 (key; 19,999,999.99 unrounded)
  # R2: 20,000,000.00 - 0.005 = 19,999,999.99 (major; -0.005 is -0.01)
  # R3: 19,999,999.99 + 0.004 + 0.004 = 19,999,999.99 (major; 0.004 is 0.00)
  # R4: 19,999,999.97 + 0.015 + 0.015 = 20,000,000.01 (key; 0.015 is 0.02)
  base_facts "$BIG
    $(client R1 general) $(order R1 "$(ago 10)" 19999999.98)
    $(order R1 "$(ago 11)" 0.005) $(order R1 "$(ago 12)" 0.005)
    $(client R2 general) $(order R2 "$(ago 10)" 20000000.00) $(order R2 "$(ago 11)" -0.005)
    $(client R3 general) $(order R3 "$(ago 10)" 19999999.99)
    $(order R3 "$(ago 11)" 0.004) $(order R3 "$(ago 12)" 0.004)
    $(client R4 general) $(order R4 "$(ago 10)" 19999999.97)
    $(order R4 "$(ago 11)" 0.015) $(order R4 "$(ago 12)" 0.015)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'R1|tier.review||tier_approval|S1|general|key' \
    'R2|tier.review||tier_approval|S1|general|major' \
    'R3|tier.review||tier_approval|S1|general|major' \
    'R4|tier.review||tier_approval|S1|general|key')" "$(proposals tier.review)"
}

test_money_rounds_half_cents_of_larger_amounts_as_written() {
  # Amounts with three decimals, as a CRM stores them:
  # H1: 12,345.675 is 12,345.68, + 19,987,654.32 = 20,000,000.00: key.
  # H2: 1,000.005 is 1,000.01, + 4,998,999.99 = 5,000,000.00: major.
  # H3: -1,000.005 is -1,000.01, + 20,001,000.00 = 19,999,999.99: major.
  base_facts "$BIG
    $(client H1 general) $(order H1 "$(ago 10)" 12345.675) $(order H1 "$(ago 11)" 19987654.32)
    $(client H2 general) $(order H2 "$(ago 10)" 1000.005) $(order H2 "$(ago 11)" 4998999.99)
    $(client H3 general) $(order H3 "$(ago 10)" -1000.005) $(order H3 "$(ago 11)" 20001000.00)"
  run_policy
  expect_eq "tier.review" "$(lines \
    'H1|tier.review||tier_approval|S1|general|key' \
    'H2|tier.review||tier_approval|S1|general|major' \
    'H3|tier.review||tier_approval|S1|general|major')" "$(proposals tier.review)"
}

test_gm_is_the_active_general_manager_with_the_smallest_id() {
  # S05 sorts before S1 but is inactive; S15 is active but sorts after S1.
  base_facts "
    INSERT INTO staff(id, name, role, manager_id, active) VALUES
      ('S05', 'Former GM', 'general_manager', NULL, 0),
      ('S15', 'Deputy GM', 'general_manager', NULL, 1);
    $(client P1 NULL active "$LONG_AGO" 1)"
  run_policy
  expect_eq "tier.review" "P1|tier.review||tier_approval|S1|null|strategic" \
    "$(proposals tier.review)"
}

run_tests
