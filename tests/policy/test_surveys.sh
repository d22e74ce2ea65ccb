#!/usr/bin/env bash
# tests/policy/test_surveys.sh: survey.due (tier strategic or key, no survey
# with surveyed_on in the last 365 days: info, level 1, responsible) and
# survey.low_score (the latest survey in the last 365 days, by surveyed_on then
# largest id, has score <= 6: warning, level 1, key = survey id, mgr(kam)).
. "$(dirname "$0")/alerts_fixture.sh"

# sv ID CLIENT SURVEYED_ON SCORE: a survey.
sv() {
  printf "INSERT INTO surveys(id, client_id, surveyed_on, score) VALUES('%s', '%s', '%s', %s);\n" "$@"
}

test_due_365_day_window() {
  facts "$(for c in C1 C2 C3 C4 C5; do cl $c strategic; done)
    $(sv Q1 C1 "$(days_ago 365)" 9) $(sv Q2 C2 "$(days_ago 364)" 9) $(sv Q3 C3 "$D" 9)
    $(sv Q41 C4 "$(days_ago 400)" 9) $(sv Q42 C4 "$(days_ago -1)" 9)"
  run_at
  # D-365 is outside the last 365 days, D-364 and D inside; a survey after D
  # does not exist yet.
  expect_alerts survey.due <<'EOF'
    C1|survey.due||info|1|S02
    C4|survey.due||info|1|S02
    C5|survey.due||info|1|S02
EOF
  expect_eq "C1 title" "no satisfaction survey in the last 365 days" "$(field survey.due C1 '' title)"
  expect_eq "C1 data" '{"last":"2025-06-30"}' "$(field survey.due C1 '' data)"
  expect_eq "C4 data" '{"last":"2025-05-26"}' "$(field survey.due C4 '' data)"
  expect_eq "C5 data" '{"last":null}' "$(field survey.due C5 '' data)"
}

test_due_only_strategic_and_key_to_responsible() {
  facts "$(cl C1 strategic; cl C2 key; cs C2 S10 key_account_manager)
    $(cl C3 major; cl C4 general; cl C5 strategic "$OLD" closed)
    $(cl C6 key "$OLD" dormant; cs C6 S12 key_account_manager)
    $(cl C7 strategic "$OLD" prospect; cs C7 S11 key_account_manager)"
  run_at
  expect_alerts survey.due <<'EOF'
    C1|survey.due||info|1|S02
    C2|survey.due||info|1|S10
    C6|survey.due||info|1|S02
    C7|survey.due||info|1|S11
EOF
}

test_low_score_at_6_not_7() {
  facts "$(for c in C1 C2 C3 C4; do cl $c general; cs $c S10 key_account_manager; done)
    $(sv Q1 C1 "$(days_ago 30)" 6) $(sv Q2 C2 "$(days_ago 30)" 7)
    $(sv Q3 C3 "$(days_ago 30)" 0) $(sv Q4 C4 "$(days_ago 30)" 10)"
  run_at
  expect_alerts survey.low_score <<'EOF'
    C1|survey.low_score|Q1|warning|1|S03
    C3|survey.low_score|Q3|warning|1|S03
EOF
  expect_eq "Q1 title" "survey Q1 scored 6 of 10" "$(field survey.low_score C1 Q1 title)"
  expect_eq "Q1 data" '{"score":6,"surveyed_on":"2026-05-31"}' "$(field survey.low_score C1 Q1 data)"
}

test_low_score_of_the_latest_survey_in_365_days() {
  facts "$(for c in C1 C2 C3 C4 C5 C6 C7; do cl $c strategic; done)
    $(sv Q1 C1 "$(days_ago 365)" 3)
    $(sv Q2 C2 "$(days_ago 364)" 3)
    $(sv Q31 C3 "$(days_ago 100)" 3) $(sv Q32 C3 "$(days_ago 50)" 8)
    $(sv Q41 C4 "$(days_ago 100)" 8) $(sv Q42 C4 "$(days_ago 50)" 5)
    $(sv Q51 C5 "$(days_ago 50)" 5) $(sv Q52 C5 "$(days_ago -1)" 9)
    $(sv Q62 C6 "$(days_ago 20)" 4) $(sv Q61 C6 "$(days_ago 20)" 8)
    $(sv Q9 C7 "$(days_ago 20)" 4) $(sv Q10 C7 "$(days_ago 20)" 8)"
  run_at
  # C1: outside the window (survey.due instead); C3: the latest is fine; C5: a
  # survey after D does not exist yet; C6, C7: same day, the largest id wins,
  # in byte order ('Q9' > 'Q10').
  expect_alerts survey.low_score <<'EOF'
    C2|survey.low_score|Q2|warning|1|S02
    C4|survey.low_score|Q42|warning|1|S02
    C5|survey.low_score|Q51|warning|1|S02
    C6|survey.low_score|Q62|warning|1|S02
    C7|survey.low_score|Q9|warning|1|S02
EOF
  expect_alerts survey.due <<< "C1|survey.due||info|1|S02"
}

test_low_score_goes_to_the_kams_manager() {
  facts "$(for c in C1 C2 C3 C4 C5 C6; do cl $c major; sv "Q$c" $c "$(days_ago 10)" 2; done)
    $(cs C1 S10 key_account_manager) $(cs C2 S11 key_account_manager)
    $(cs C4 S12 key_account_manager) $(cs C5 S10 key_account_manager "$OLD" "$D")
    $(cs C6 S10 key_account_manager 2019-01-01; cs C6 S11 key_account_manager)
    $(cl C7 major "$OLD" closed; sv QC7 C7 "$(days_ago 10)" 2)"
  run_at
  # mgr(S10) = S03; mgr(S11) = vp as S04 left; mgr(nothing) = vp, whether there
  # is no kam, an inactive one, or a row that ended on D; the latest kam row.
  expect_alerts survey.low_score <<'EOF'
    C1|survey.low_score|QC1|warning|1|S03
    C2|survey.low_score|QC2|warning|1|S02
    C3|survey.low_score|QC3|warning|1|S02
    C4|survey.low_score|QC4|warning|1|S02
    C5|survey.low_score|QC5|warning|1|S02
    C6|survey.low_score|QC6|warning|1|S02
EOF
}

test_survey_leaves_the_window_across_runs() {
  facts "$(cl C1 key; cs C1 S10 key_account_manager; sv Q1 C1 "$(days_ago 364)" 4)"
  run_at
  expect_alerts survey.low_score <<< "C1|survey.low_score|Q1|warning|1|S03"
  expect_alerts survey.due </dev/null
  run_at "$(days_ago -1)"
  expect_alerts survey.low_score </dev/null
  expect_alerts survey.due <<< "C1|survey.due||info|1|S10"
  sqlite3 f.db "$(sv Q2 C1 "$(days_ago -2)" 6)"
  run_at "$(days_ago -2)"
  expect_alerts survey.low_score <<< "C1|survey.low_score|Q2|warning|1|S03"
  expect_alerts survey.due </dev/null
}

run_tests
