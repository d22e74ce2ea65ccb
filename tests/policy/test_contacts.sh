#!/usr/bin/env bash
# tests/policy/test_contacts.sh: contact.dormant (the latest contact of any
# level, or created_on, is age_days >= 180: warning, level 1, responsible) and
# client.onboarding (7 <= age_days(created_on) <= 30 and no contact at all:
# warning, level 1, responsible), from POLICY.md.
. "$(dirname "$0")/alerts_fixture.sh"

test_dormant_at_180_days() {
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7; do cl $c general; done)
    $(ct C1 account "$(days_ago 400)T10:00:00") $(ct C1 account "$(days_ago 179)T00:00:00")
    $(ct C2 account "$(days_ago 180)T23:59:59")
    $(ct C3 executive "$(days_ago 181)T12:00:00")
    $(ct C4 account "$(days_ago 200)T12:00:00") $(ct C4 account "$(days_ago -1)T09:00:00")
    $(ct C5 executive "$(days_ago 500)T12:00:00") $(ct C5 service "$(days_ago 10)T12:00:00")
    $(ct C6 account "$(days_ago 300)T12:00:00") $(ct C6 account "$(hours_ago 0)")
    $(ct C7 account "$(days_ago 300)T12:00:00") $(ct C7 account "$(hours_ago 0 -1)")"
  run_at
  # Whole days from the contact's date: 179 no, 180 (even at 23:59:59) and 181
  # yes; a contact after now does not exist yet (C4, C7); any level counts (C5);
  # a contact at now exists (C6).
  expect_alerts contact.dormant <<'EOF'
    C2|contact.dormant||warning|1|S02
    C3|contact.dormant||warning|1|S02
    C4|contact.dormant||warning|1|S02
    C7|contact.dormant||warning|1|S02
EOF
  expect_eq "C2 data" '{"contacted":true,"dormant_days":180,"last":"2026-01-01"}' \
    "$(field contact.dormant C2 '' data)"
  expect_eq "C2 title" "no contact since 2026-01-01" "$(field contact.dormant C2 '' title)"
}

test_dormant_without_contacts_counts_from_created_on() {
  facts "$(cl C1 general "$(days_ago 179)"; cl C2 general "$(days_ago 180)"; cl C3 general "$(days_ago 181)")"
  run_at
  expect_alerts contact.dormant <<'EOF'
    C2|contact.dormant||warning|1|S02
    C3|contact.dormant||warning|1|S02
EOF
  expect_eq "C2 data" '{"contacted":false,"dormant_days":180,"last":"2026-01-01"}' \
    "$(field contact.dormant C2 '' data)"
}

test_dormant_scope_and_responsible() {
  facts "$(cl C1 general "$OLD" closed; cl C2 general "$OLD" dormant; cl C3 general "$OLD" prospect)
    $(cl C4 general; cs C4 S10 key_account_manager)
    $(cl C5 key; cs C5 S12 key_account_manager)
    $(cl C6 major; cs C6 S10 key_account_manager "$OLD" "$D")
    $(cl C7 strategic; cs C7 S11 key_account_manager; cs C7 S10 key_account_manager 2019-01-01)
    $(cl C8 general "$(days_ago -1)")"
  run_at
  # Closed: not evaluated; dormant and prospect: evaluated; the kam, or the vp
  # when the kam is inactive or the row ended on D; the latest kam row wins;
  # a client created after D is not evaluated.
  expect_alerts contact.dormant <<'EOF'
    C2|contact.dormant||warning|1|S02
    C3|contact.dormant||warning|1|S02
    C4|contact.dormant||warning|1|S10
    C5|contact.dormant||warning|1|S02
    C6|contact.dormant||warning|1|S02
    C7|contact.dormant||warning|1|S11
EOF
}

test_dormant_resolves_on_a_contact() {
  facts "$(cl C1 general; ct C1 account 2026-01-01T10:00:00)"
  run_at 2026-06-29
  expect_alerts contact.dormant </dev/null
  run_at
  expect_alerts contact.dormant <<< "C1|contact.dormant||warning|1|S02"
  run_at 2026-07-01
  sqlite3 f.db "$(ct C1 quality 2026-07-02T09:00:00)"
  run_at 2026-07-02
  expect_alerts contact.dormant </dev/null
  expect_eq "events" "alert.opened 2|alert.resolved 4" \
    "$(sqlite3 s.db "SELECT type, run_id FROM events WHERE rule = 'contact.dormant' ORDER BY seq" | tr '|' ' ' | paste -sd'|')"
}

test_onboarding_from_7_to_30_days() {
  facts "$(for n in -1 0 6 7 8 29 30 31; do cl "C$n" general "$(days_ago "$n")"; done)"
  run_at
  expect_alerts client.onboarding <<'EOF'
    C29|client.onboarding||warning|1|S02
    C30|client.onboarding||warning|1|S02
    C7|client.onboarding||warning|1|S02
    C8|client.onboarding||warning|1|S02
EOF
  expect_eq "C7 title" "new client not contacted since its creation on 2026-06-23" \
    "$(field client.onboarding C7 '' title)"
  expect_eq "C7 data" '{"created_on":"2026-06-23"}' "$(field client.onboarding C7 '' data)"
}

test_onboarding_needs_no_contact_at_all() {
  local new
  new=$(days_ago 10)
  facts "$(for c in C1 C2 C3 C4 C5 C6; do cl $c general "$new"; done)
    $(ct C1 technical "$(days_ago 9)T10:00:00")
    $(ct C2 account "$(days_ago -1)T10:00:00")
    $(ct C3 account "$(hours_ago 0)")
    $(ct C4 account "$(hours_ago 0 -1)")
    $(ct C5 service "$(days_ago 40)T10:00:00")"
  run_at
  # Any level counts, even one dated before created_on (C5); one after now
  # does not exist yet (C2, C4); one at now does (C3).
  expect_alerts client.onboarding <<'EOF'
    C2|client.onboarding||warning|1|S02
    C4|client.onboarding||warning|1|S02
    C6|client.onboarding||warning|1|S02
EOF
}

test_onboarding_scope_and_responsible() {
  local new
  new=$(days_ago 15)
  facts "$(cl C1 general "$new" prospect; cs C1 S10 key_account_manager "$new")
    $(cl C2 general "$new" closed)
    $(cl C3 key "$new" active; cs C3 S10 key_account_manager "$(days_ago -1)")
    $(cl C4 strategic "$new" dormant; cs C4 S11 key_account_manager "$D")"
  run_at
  # A staff row starting after D is not current (C3: vp); one starting on D is (C4).
  expect_alerts client.onboarding <<'EOF'
    C1|client.onboarding||warning|1|S10
    C3|client.onboarding||warning|1|S02
    C4|client.onboarding||warning|1|S11
EOF
}

run_tests
