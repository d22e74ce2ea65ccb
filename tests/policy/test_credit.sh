#!/usr/bin/env bash
# tests/policy/test_credit.sh: credit.risk (POLICY.md): the client's credit
# row has rating = 'C' or overdue_days > 90: critical for tier strategic or
# key, warning otherwise; level 1, assignee responsible.
. "$(dirname "$0")/alerts_fixture.sh"

# cr CLIENT RATING OVERDUE_AMOUNT OVERDUE_DAYS [ASSESSED_ON]: a credit row
# (NULL for none), assessed 30 days before D unless told.
cr() {
  printf "INSERT INTO credit(client_id, rating, overdue_amount, overdue_days, assessed_on) VALUES(%s, %s, %s, %s, %s);\n" \
    "$(sqlv "$1")" "$(sqlv "$2")" "$3" "$4" "$(sqlv "${5:-$(days_ago 30)}")"
}

test_rating_C_or_overdue_over_90_days() {
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7 C8; do cl $c general; done)
    $(cr C1 C 0 0) $(cr C2 c 0 0) $(cr C3 B 1000 90) $(cr C4 B 1234.5 91)
    $(cr C5 A 50 150) $(cr C6 NULL NULL NULL) $(cr C7 C 99 91)"
  run_at
  # 'c' is not 'C' (case-sensitive); 90 days is not over 90; no row (C8), or a
  # row with nothing in it (C6), is no risk.
  expect_alerts credit.risk <<'EOF'
    C1|credit.risk||warning|1|S02
    C4|credit.risk||warning|1|S02
    C5|credit.risk||warning|1|S02
    C7|credit.risk||warning|1|S02
EOF
  expect_eq "titles" "C1 credit risk: rating C|C4 credit risk: payments overdue over 90 days|C5 credit risk: payments overdue over 90 days|C7 credit risk: rating C, payments overdue over 90 days" \
    "$(sqlite3 s.db "SELECT client_id || ' ' || title FROM alerts WHERE rule = 'credit.risk' ORDER BY 1" | paste -sd'|')"
  expect_eq "C4 data" '{"assessed_on":"2026-05-31","overdue_amount":123450,"overdue_days":91,"rating":"B"}' \
    "$(field credit.risk C4 '' data)"
}

test_severity_by_tier_and_responsible() {
  facts "$(cl C1 strategic; cr C1 C 0 0)
    $(cl C2 key; cs C2 S10 key_account_manager; cr C2 B 10 120)
    $(cl C3 major; cs C3 S11 key_account_manager; cr C3 C 0 0)
    $(cl C4 general; cs C4 S12 key_account_manager; cr C4 A 10 91)
    $(cl C5 key "$OLD" dormant; cs C5 S10 key_account_manager "$OLD" "$D"; cr C5 C 0 0)
    $(cl C6 strategic "$OLD" closed; cr C6 C 0 0)
    $(cl C7 Strategic; cr C7 C 0 0)"
  run_at
  # C4's kam left and C5's row ended on D: the vp; C6 closed: not evaluated;
  # C7's approved tier 'Strategic' is no tier name, so its tier is computed (general).
  expect_alerts credit.risk <<'EOF'
    C1|credit.risk||critical|1|S02
    C2|credit.risk||critical|1|S10
    C3|credit.risk||warning|1|S11
    C4|credit.risk||warning|1|S02
    C5|credit.risk||critical|1|S02
    C7|credit.risk||warning|1|S02
EOF
}

test_assessment_after_D_does_not_exist_yet() {
  facts "$(for c in C1 C2 C3; do cl $c key; done)
    $(cr C1 C 0 0 "$(days_ago -1)") $(cr C2 C 0 0 "$D") $(cr C3 NULL 10 95 NULL)"
  run_at
  expect_alerts credit.risk <<'EOF'
    C2|credit.risk||critical|1|S02
    C3|credit.risk||critical|1|S02
EOF
  expect_eq "C3 data" '{"assessed_on":null,"overdue_amount":1000,"overdue_days":95,"rating":null}' \
    "$(field credit.risk C3 '' data)"
  run_at "$(days_ago -1)"
  expect_alerts credit.risk <<'EOF'
    C1|credit.risk||critical|1|S02
    C2|credit.risk||critical|1|S02
    C3|credit.risk||critical|1|S02
EOF
}

test_resolves_when_the_rating_improves() {
  facts "$(cl C1 major; cr C1 C 0 0)"
  run_at
  expect_alerts credit.risk <<< "C1|credit.risk||warning|1|S02"
  sqlite3 f.db "UPDATE credit SET rating = 'B', assessed_on = '$(days_ago -1)'"
  run_at "$(days_ago -1)"
  expect_alerts credit.risk </dev/null
  expect_eq "events" "alert.opened 1|alert.resolved 2" \
    "$(sqlite3 s.db "SELECT type, run_id FROM events WHERE rule = 'credit.risk' ORDER BY seq" | tr '|' ' ' | paste -sd'|')"
}

run_tests
