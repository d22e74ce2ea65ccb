#!/usr/bin/env bash
# tests/policy/test_staffing.sh: POLICY.md "staffing": required roles by
# tier, proposals by load and capacity in client order, unfilled roles,
# sticky proposals, fulfilment and withdrawal.
. "$(dirname "$0")/../lib.sh"

CONFIG="$ROOT/examples/demo/crmpolicy.yaml"
D=2026-11-15

# Staff: S1 gm, S2 vp, S3 manager; key account managers K1 (capacity 1),
# K2 (capacity 2), K9 (inactive); quality engineer Q1 (no limit); service
# engineer E1 (capacity 0); no tech engineer, no resident rep.
base() {
  facts_db f.db "
    INSERT INTO staff(id,name,role,manager_id,active,capacity) VALUES
      ('S1','总经理','general_manager',NULL,1,NULL), ('S2','副总','marketing_vp','S1',1,NULL),
      ('S3','经理','marketing_manager','S2',1,NULL),
      ('K1','甲','key_account_manager','S3',1,1), ('K2','乙','key_account_manager','S3',1,2),
      ('K9','丙','key_account_manager','S3',0,NULL),
      ('Q1','丁','quality_engineer','S3',1,NULL), ('E1','戊','service_engineer','S3',1,0);"
}

# client ID TIER-SETUP: a client created long ago with approved tier TIER.
client() {
  sqlite3 f.db "INSERT INTO clients(id,name,status,strategic_partner,approved_tier,created_on)
                VALUES('$1','客户$1','active',0,'$2','2020-01-01');"
}

run_as_of() {
  cp_run run --config "$CONFIG" --facts f.db --state s.db --as-of "$1" --quiet
  expect_eq "exit of run as of $1" 0 "$RC"
  [ -z "$ERR" ] || fail "stderr: $ERR"
}

proposals() {
  sqlite3 s.db "SELECT client_id||' '||key||' '||ifnull(assignee,'-') FROM assignments
                WHERE status='proposed' AND rule='staffing' ORDER BY client_id, key" | paste -sd'|'
}

unfilled() {
  sqlite3 s.db "SELECT client_id||' '||key||' '||severity||' '||level||' '||assignee FROM alerts
                WHERE status='open' AND rule='staffing.unfilled' ORDER BY client_id, key" | paste -sd'|'
}

test_key_client_gets_a_key_account_manager_ties_broken_by_smallest_id() {
  base
  client C1 key
  run_as_of $D
  expect_eq "proposals" "C1 key_account_manager K1" "$(proposals)"
  expect_eq "kind" "assign_staff" "$(sqlite3 s.db "SELECT DISTINCT kind FROM assignments WHERE rule='staffing'")"
}

test_capacity_fills_in_client_order() {
  base
  client C1 key; client C2 key; client C3 key; client C4 key
  run_as_of $D
  # K1 takes one (capacity 1); K2 two (capacity 2); then nobody: unfilled.
  expect_eq "proposals" "C1 key_account_manager K1|C2 key_account_manager K2|C3 key_account_manager K2" "$(proposals)"
  expect_eq "unfilled" "C4 key_account_manager critical 1 S2" "$(unfilled)"
}

test_smallest_load_wins_before_smallest_id() {
  base
  client C0 general; client C1 key
  # K1 already holds a current row (on another client): load 1 = capacity 1.
  sqlite3 f.db "UPDATE staff SET capacity = 5 WHERE id = 'K1';
    INSERT INTO client_staff VALUES('C0','K1','key_account_manager','2025-01-01',NULL);"
  run_as_of $D
  expect_eq "proposals" "C1 key_account_manager K2" "$(proposals)"
}

test_ended_and_inactive_rows_do_not_count_as_load() {
  base
  client C0 general; client C1 key
  sqlite3 f.db "INSERT INTO client_staff VALUES('C0','K1','key_account_manager','2025-01-01','$D');"
  run_as_of $D
  expect_eq "proposals" "C1 key_account_manager K1" "$(proposals)"
}

test_strategic_client_needs_four_roles_in_order_with_unfilled_ones() {
  base
  client C1 strategic
  run_as_of $D
  expect_eq "proposals" "C1 key_account_manager K1|C1 quality_engineer Q1" "$(proposals)"
  # No tech engineer at all; the only service engineer is at capacity 0.
  expect_eq "unfilled" "C1 service_engineer critical 1 S2|C1 tech_engineer critical 1 S2" "$(unfilled)"
}

test_present_roles_are_not_proposed() {
  base
  client C1 strategic
  sqlite3 f.db "INSERT INTO client_staff VALUES
    ('C1','K2','key_account_manager','2025-01-01',NULL), ('C1','Q1','quality_engineer','2025-01-01',NULL);"
  run_as_of $D
  expect_eq "proposals" "" "$(proposals)"
  expect_eq "unfilled" "C1 service_engineer critical 1 S2|C1 tech_engineer critical 1 S2" "$(unfilled)"
}

test_inactive_member_row_leaves_the_role_missing() {
  base
  client C1 key
  sqlite3 f.db "INSERT INTO client_staff VALUES('C1','K9','key_account_manager','2025-01-01',NULL);"
  run_as_of $D
  expect_eq "proposals" "C1 key_account_manager K1" "$(proposals)"
}

test_resident_rep_from_fifty_million_of_sales() {
  base
  client C1 strategic; client C2 strategic
  sqlite3 f.db "INSERT INTO staff VALUES('R1','己','resident_rep','S3',1,NULL);
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('O1','C1','2026-06-01',50000000.00), ('O2','C2','2026-06-01',49999999.99);"
  run_as_of $D
  expect_eq "C1 resident rep" "C1 resident_rep R1" "$(proposals | tr '|' '\n' | grep resident)"
  expect_eq "C2 none" "" "$(proposals | tr '|' '\n' | grep C2.resident)"
}

test_open_proposal_keeps_its_member_on_the_next_run() {
  base
  client C1 key
  run_as_of $D
  expect_eq "first" "C1 key_account_manager K1" "$(proposals)"
  # A new manager with a smaller id and no load appears: the proposal stays.
  sqlite3 f.db "INSERT INTO staff VALUES('K0','新','key_account_manager','S3',1,NULL);"
  run_as_of 2026-11-16
  expect_eq "second" "C1 key_account_manager K1" "$(proposals)"
  expect_eq "events" "assignment.proposed" \
    "$(sqlite3 s.db "SELECT type FROM events WHERE rule='staffing'" | paste -sd'|')"
}

test_sticky_proposal_counts_toward_load() {
  base
  client C1 key
  run_as_of $D
  client C2 key
  sqlite3 f.db "UPDATE staff SET capacity = 1 WHERE id = 'K2'; UPDATE staff SET capacity = 1 WHERE id = 'K1';"
  run_as_of 2026-11-16
  expect_eq "proposals" "C1 key_account_manager K1|C2 key_account_manager K2" "$(proposals)"
}

test_proposal_is_fulfilled_when_the_staff_row_appears() {
  base
  client C1 key
  run_as_of $D
  sqlite3 f.db "INSERT INTO client_staff VALUES('C1','K1','key_account_manager','2026-11-16',NULL);"
  run_as_of 2026-11-16
  expect_eq "status" "fulfilled" "$(sqlite3 s.db "SELECT status FROM assignments WHERE rule='staffing'")"
  expect_eq "events" "assignment.proposed|assignment.fulfilled" \
    "$(sqlite3 s.db "SELECT type FROM events WHERE rule='staffing' ORDER BY seq" | paste -sd'|')"
}

test_proposal_is_withdrawn_when_no_longer_needed() {
  base
  client C1 key
  run_as_of $D
  sqlite3 f.db "UPDATE clients SET approved_tier = 'general' WHERE id = 'C1';"
  run_as_of 2026-11-16
  expect_eq "status" "withdrawn" "$(sqlite3 s.db "SELECT status FROM assignments WHERE rule='staffing'")"
}

test_unfilled_alert_resolves_when_someone_becomes_available() {
  base
  client C1 key
  sqlite3 f.db "UPDATE staff SET active = 0 WHERE role = 'key_account_manager';"
  run_as_of $D
  expect_eq "unfilled" "C1 key_account_manager critical 1 S2" "$(unfilled)"
  sqlite3 f.db "UPDATE staff SET active = 1 WHERE id = 'K2';"
  run_as_of 2026-11-16
  expect_eq "unfilled after" "" "$(unfilled)"
  expect_eq "proposals" "C1 key_account_manager K2" "$(proposals)"
}

run_tests
