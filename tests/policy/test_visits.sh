#!/usr/bin/env bash
# tests/policy/test_visits.sh: the contact obligations visit.executive,
# visit.account, visit.technical and visit.quality (POLICY.md "Alerts"), at
# and around every interval boundary. Unless a test says otherwise, a client
# here has an approved tier and the current key account manager S10 (whose
# manager is S3); `last` is a contact at 10:00 of the day named.
. "$(dirname "$0")/common.sh"

# due ID TIER LEVEL DAYS: a client of TIER, kam S10, whose only contact is
# one of LEVEL DAYS days before D.
due() {
  client "$1" "$2"
  kam "$1" S10
  contact "$1" "$3" "$(ago "$4")T10:00:00"
}

test_account_strategic_warns_at_31_days_and_is_critical_at_62() {
  base_facts "
    $(due A30 strategic account 30) $(due A31 strategic account 31)
    $(due A61 strategic account 61) $(due A62 strategic account 62)"
  run_policy
  expect_eq "visit.account" "$(lines \
    'A31|visit.account||warning|1|S10' \
    'A61|visit.account||warning|1|S10' \
    'A62|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_account_key_warns_at_61_days_and_is_critical_at_122() {
  base_facts "
    $(due K060 key account 60) $(due K061 key account 61)
    $(due K121 key account 121) $(due K122 key account 122)"
  run_policy
  expect_eq "visit.account" "$(lines \
    'K061|visit.account||warning|1|S10' \
    'K121|visit.account||warning|1|S10' \
    'K122|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_account_major_warns_at_92_days_and_is_critical_at_184() {
  base_facts "
    $(due M091 major account 91) $(due M092 major account 92)
    $(due M183 major account 183) $(due M184 major account 184)"
  run_policy
  expect_eq "visit.account" "$(lines \
    'M092|visit.account||warning|1|S10' \
    'M183|visit.account||warning|1|S10' \
    'M184|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_general_tier_has_no_contact_obligation() {
  base_facts "
    $(client G1 general) $(kam G1 S10)
    $(due G2 general account 5000)
    $(client G3)"
  run_policy
  expect_eq "visit.*" "" "$(alerts 'visit.*')"
}

test_major_tier_has_only_the_account_obligation() {
  base_facts "$(client M1 major) $(kam M1 S10)"
  run_policy
  expect_eq "visit.*" "M1|visit.account||critical|2|S3" "$(alerts 'visit.*')"
}

test_executive_strategic_182_days_key_365_days() {
  base_facts "
    $(due SE181 strategic executive 181) $(due SE182 strategic executive 182)
    $(due SE363 strategic executive 363) $(due SE364 strategic executive 364)
    $(due KE364 key executive 364) $(due KE365 key executive 365)
    $(due KE729 key executive 729) $(due KE730 key executive 730)"
  run_policy
  expect_eq "visit.executive" "$(lines \
    'KE365|visit.executive||warning|1|S10' \
    'KE729|visit.executive||warning|1|S10' \
    'KE730|visit.executive||critical|2|S3' \
    'SE182|visit.executive||warning|1|S10' \
    'SE363|visit.executive||warning|1|S10' \
    'SE364|visit.executive||critical|2|S3')" "$(alerts visit.executive)"
}

test_technical_strategic_182_days_key_never() {
  base_facts "
    $(due ST181 strategic technical 181) $(due ST182 strategic technical 182)
    $(due ST363 strategic technical 363) $(due ST364 strategic technical 364)
    $(client KT key) $(kam KT S10) $(client MT major) $(kam MT S10)"
  run_policy
  expect_eq "visit.technical" "$(lines \
    'ST182|visit.technical||warning|1|S10' \
    'ST363|visit.technical||warning|1|S10' \
    'ST364|visit.technical||critical|2|S3')" "$(alerts visit.technical)"
}

test_quality_strategic_92_days_key_182_days() {
  base_facts "
    $(due SQ091 strategic quality 91) $(due SQ092 strategic quality 92)
    $(due SQ183 strategic quality 183) $(due SQ184 strategic quality 184)
    $(due KQ181 key quality 181) $(due KQ182 key quality 182)
    $(due KQ363 key quality 363) $(due KQ364 key quality 364)
    $(client MQ major) $(kam MQ S10)"
  run_policy
  expect_eq "visit.quality" "$(lines \
    'KQ182|visit.quality||warning|1|S10' \
    'KQ363|visit.quality||warning|1|S10' \
    'KQ364|visit.quality||critical|2|S3' \
    'SQ092|visit.quality||warning|1|S10' \
    'SQ183|visit.quality||warning|1|S10' \
    'SQ184|visit.quality||critical|2|S3')" "$(alerts visit.quality)"
}

test_contacts_of_another_level_do_not_count() {
  base_facts "
    $(due O1 strategic account 40)
    $(contact O1 executive "$(ago 1)T10:00:00") $(contact O1 technical "$(ago 1)T10:00:00")
    $(contact O1 quality "$(ago 1)T10:00:00") $(contact O1 service "$(ago 1)T10:00:00")
    $(client O2 strategic) $(kam O2 S10)
    $(contact O2 Account "$(ago 1)T10:00:00") $(contact O2 service "$(ago 1)T10:00:00")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'O1|visit.account||warning|1|S10' \
    'O2|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_latest_contact_of_the_level_counts() {
  base_facts "
    $(due L1 strategic account 10) $(contact L1 account "$(ago 100)T10:00:00")
    $(due L2 strategic account 45) $(contact L2 account "$(ago 500)T10:00:00")"
  run_policy
  expect_eq "visit.account" "L2|visit.account||warning|1|S10" "$(alerts visit.account)"
}

test_contact_dated_after_now_is_ignored() {
  base_facts "
    $(due F1 strategic account 40) $(contact F1 account "$(ago -1)T00:00:00")
    $(due F2 strategic account 40) $(contact F2 account "${D}T23:59:59")
    $(client F3 strategic) $(kam F3 S10) $(contact F3 account "$(ago -5)T10:00:00")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'F1|visit.account||warning|1|S10' \
    'F3|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_without_contact_created_on_counts() {
  base_facts "
    $(client N30 strategic active "$(ago 30)") $(kam N30 S10)
    $(client N31 strategic active "$(ago 31)") $(kam N31 S10)
    $(client N61 strategic active "$(ago 61)") $(kam N61 S10)
    $(client N62 strategic active "$(ago 62)") $(kam N62 S10)"
  run_policy
  expect_eq "visit.account" "$(lines \
    'N31|visit.account||warning|1|S10' \
    'N61|visit.account||warning|1|S10' \
    'N62|visit.account||critical|2|S3')" "$(alerts visit.account)"
}

test_date_part_of_a_contact_timestamp_counts() {
  base_facts "
    $(client T1 strategic) $(kam T1 S10) $(contact T1 account "$(ago 31)T23:59:59")
    $(client T2 strategic) $(kam T2 S10) $(contact T2 account "$(ago 30)T00:00:00")
    $(client T3 strategic) $(kam T3 S10) $(contact T3 account "$(ago 62)T23:59:59")
    $(client T4 strategic) $(kam T4 S10) $(contact T4 account "$(ago 61)T00:00:00")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'T1|visit.account||warning|1|S10' \
    'T3|visit.account||critical|2|S3' \
    'T4|visit.account||warning|1|S10')" "$(alerts visit.account)"
}

test_contact_timestamp_forms_space_fraction_and_bare_date() {
  base_facts "
    $(client P1 strategic) $(kam P1 S10) $(contact P1 account "$(ago 31) 23:59:00")
    $(client P2 strategic) $(kam P2 S10) $(contact P2 account "$(ago 30)T23:59:59.999")
    $(client P3 strategic) $(kam P3 S10) $(contact P3 account "$(ago 31)")
    $(client P4 strategic) $(kam P4 S10) $(contact P4 account "$D")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'P1|visit.account||warning|1|S10' \
    'P3|visit.account||warning|1|S10')" "$(alerts visit.account)"
}

test_level2_goes_to_vp_when_kams_manager_is_inactive() {
  base_facts "
    $(client V1 strategic) $(kam V1 S11) $(contact V1 account "$(ago 62)T10:00:00")
    $(client V2 strategic) $(kam V2 S11) $(contact V2 account "$(ago 31)T10:00:00")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'V1|visit.account||critical|2|S2' \
    'V2|visit.account||warning|1|S11')" "$(alerts visit.account)"
}

test_without_kam_both_levels_go_to_vp() {
  base_facts "
    $(client W1 strategic) $(contact W1 account "$(ago 31)T10:00:00")
    $(client W2 strategic) $(contact W2 account "$(ago 62)T10:00:00")
    $(client W3 strategic) $(kam W3 S12) $(contact W3 account "$(ago 31)T10:00:00")"
  run_policy
  expect_eq "visit.account" "$(lines \
    'W1|visit.account||warning|1|S2' \
    'W2|visit.account||critical|2|S2' \
    'W3|visit.account||warning|1|S2')" "$(alerts visit.account)"
}

run_tests
