#!/usr/bin/env bash
# tests/policy/test_delivery.sh: delivery.on_time (POLICY.md): tier strategic;
# orders with due_on in the last 90 days and a delivered_on: at least 5 of them
# and fewer than 95% with delivered_on <= due_on: warning, level 1, assignee
# responsible; data: rate, n.
. "$(dirname "$0")/alerts_fixture.sh"

# ord CLIENT DUE DELIVERED: an order due DUE days before D and delivered
# DELIVERED days before D (negative: after D; '-' for not delivered), ordered
# 30 days before it was due.
ord() {
  local del=NULL
  [ "$3" = - ] || del="date('$D', '$((0 - $3)) days')"
  printf "INSERT INTO orders(id, client_id, ordered_on, amount, due_on, delivered_on) VALUES(lower(hex(randomblob(8))), '%s', date('$D', '%d days'), 1000, date('$D', '%d days'), %s);\n" \
    "$1" "$((0 - $2 - 30))" "$((0 - $2))" "$del"
}

# orders CLIENT ON_TIME LATE: ON_TIME orders delivered on their due date and
# LATE ones delivered a day after it, all due 20 days before D.
orders() {
  local i
  for ((i = 0; i < $2; i++)); do ord "$1" 20 20; done
  for ((i = 0; i < $3; i++)); do ord "$1" 20 19; done
}

test_at_least_5_orders() {
  facts "$(for c in C1 C2 C3 C4; do cl $c strategic; done)
    $(orders C1 4 1) $(orders C2 0 4) $(orders C3 5 0) $(orders C4 3 1)
    $(ord C3 20 25)"
  run_at
  # C1: 4 of 5 on time; C2: only 4 orders; C3: early counts as on time; C4: 4.
  expect_alerts delivery.on_time <<< "C1|delivery.on_time||warning|1|S02"
  expect_eq "C1 data" '{"n":5,"rate":0.8}' "$(field delivery.on_time C1 '' data)"
  expect_eq "C1 title" "fewer than 95% of deliveries on time" "$(field delivery.on_time C1 '' title)"
}

test_fewer_than_95_percent_exactly() {
  facts "$(for c in C1 C2 C3 C4 C5 C6; do cl $c strategic; done)
    $(orders C1 19 1) $(orders C2 18 2) $(orders C3 38 2) $(orders C4 37 3)
    $(orders C5 56 4) $(orders C6 57 3)"
  run_at
  # 19/20, 38/40 and 57/60 are 95%: not fewer.
  expect_alerts delivery.on_time <<'EOF'
    C2|delivery.on_time||warning|1|S02
    C4|delivery.on_time||warning|1|S02
    C5|delivery.on_time||warning|1|S02
EOF
  expect_eq "data" 'C2 {"n":20,"rate":0.9}|C4 {"n":40,"rate":0.925}|C5 {"n":60,"rate":0.9333333333333333}' \
    "$(sqlite3 s.db "SELECT client_id || ' ' || data FROM alerts WHERE rule = 'delivery.on_time' ORDER BY 1" | paste -sd'|')"
}

test_due_in_the_last_90_days_and_delivered() {
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7; do cl $c strategic; done)
    $(orders C1 4 0) $(ord C1 89 80)
    $(orders C2 4 0) $(ord C2 90 80)
    $(orders C3 0 4) $(ord C3 0 0)
    $(orders C4 0 4) $(ord C4 -1 0)
    $(orders C5 0 4) $(ord C5 30 -)
    $(orders C6 0 4) $(ord C6 30 -1)
    $(orders C7 5 0) $(ord C7 30 -) $(ord C7 40 -) $(ord C7 50 -)"
  run_at
  # C1: due D-89 is in the window (and late); C2: D-90 is not; C3: due on D
  # counts; C4: due after D does not; C5: not delivered; C6: delivered after
  # now reads as not delivered; C7: undelivered orders are not late ones.
  expect_alerts delivery.on_time <<'EOF'
    C1|delivery.on_time||warning|1|S02
    C3|delivery.on_time||warning|1|S02
EOF
  expect_eq "C1 data" '{"n":5,"rate":0.8}' "$(field delivery.on_time C1 '' data)"
  expect_eq "C3 data" '{"n":5,"rate":0.2}' "$(field delivery.on_time C3 '' data)"
}

test_only_strategic_to_responsible() {
  facts "$(cl C1 strategic; cs C1 S10 key_account_manager; orders C1 0 5)
    $(cl C2 key; orders C2 0 5)
    $(cl C3 major; orders C3 0 5)
    $(cl C4 strategic; cs C4 S12 key_account_manager; orders C4 0 5)
    $(cl C5 strategic "$OLD" closed; orders C5 0 5)
    INSERT INTO clients(id, name, status, strategic_partner, approved_tier, created_on)
      VALUES('C6', 'partner approved as key', 'active', 1, 'key', '$OLD');
    $(orders C6 0 5)"
  run_at
  # C6: a strategic partner whose approved tier is key follows key.
  expect_alerts delivery.on_time <<'EOF'
    C1|delivery.on_time||warning|1|S10
    C4|delivery.on_time||warning|1|S02
EOF
}

test_window_moves_across_runs() {
  # 5 orders due 2026-06-01, 4 on time: due in the last 90 days until 2026-08-29.
  facts "$(cl C1 strategic; orders C1 4 1)"
  sqlite3 f.db "UPDATE orders SET due_on = '2026-06-01', delivered_on = date('2026-06-01', CASE WHEN delivered_on > due_on THEN '+1 days' ELSE '+0 days' END)"
  run_at
  run_at 2026-08-29
  expect_alerts delivery.on_time <<< "C1|delivery.on_time||warning|1|S02"
  run_at 2026-08-30
  expect_alerts delivery.on_time </dev/null
  expect_eq "events" "alert.opened 1|alert.resolved 3" \
    "$(sqlite3 s.db "SELECT type, run_id FROM events WHERE rule = 'delivery.on_time' ORDER BY seq" | tr '|' ' ' | paste -sd'|')"
}

run_tests
