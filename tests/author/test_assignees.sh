#!/usr/bin/env bash
# tests/author/test_assignees.sh: the config's `assignees` section names the
# lookup each assignment kind's assignee belongs to; `test` checks each
# result against its kind's lookup, only for the rules a fixture selects,
# and `run` warns about one that is not (with the section only);
# `--assignees ""` checks nothing; a section naming no lookup is refused.
. "$(dirname "$0")/common.sh"

# depot_policy: the small policy plus a lookup of depots and a rule that
# assigns gold clients to depot D1.
depot_policy() {
  policy
  sed -i 's/^lookups:$/lookups:\n  - {name: depots, id: id, columns: [{name: id, type: text}]}/' c.yaml
  cat >> r.lua <<'LUA'

rule {
  id = "depot.assign",
  doc = "Gold clients are served by depot D1.",
  fn = function(c)
    if c.tier == "gold" then assign { kind = "depot", assignee = "D1" } end
  end,
}
LUA
  sqlite3 f.db "CREATE TABLE depots(id TEXT);"
  cat > fx.yaml <<'YAML'
name: gold clients go to depot D1
facts:
  staff: [{id: S1}]
  depots: [{id: D1}]
  clients:
    columns: [id, status, tier]
    rows: [[G1, active, gold]]
steps:
  - as_of: 2026-06-30
    rules: [depot.assign]
    assignments:
      - {rule: depot.assign, client: G1, kind: depot, assignee: D1}
YAML
}

test_without_the_section_assignees_are_staff_ids() {
  depot_policy
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "error: depot depot.assign for client G1: assignee 'D1' is not an id of lookup.staff" "$OUT"
}

test_a_kind_names_its_lookup() {
  depot_policy
  printf 'assignees:\n  default: staff\n  kinds: {depot: depots}\n' >> c.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -1)"
  sed -i 's/- {id: D1}\]/- {id: D2}]/; s/depots: \[{id: D1}\]/depots: [{id: D2}]/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "error: depot depot.assign for client G1: assignee 'D1' is not an id of lookup.depots" "$OUT"
}

test_only_the_rules_a_fixture_selects_are_checked() {
  depot_policy
  printf 'assignees:\n  kinds: {depot: depots}\n' >> c.yaml
  sed -i 's/rows: \[\[G1, active, gold\]\]/rows: [[G1, active, gold], [O1, odd, bronze]]/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
}

test_an_empty_assignees_option_checks_nothing() {
  depot_policy
  cp_run test --config c.yaml --assignees "" fx.yaml
  expect_eq "exit" 0 "$RC"
}

# --assignees naming no lookup is refused by check as by test: check
# --fixtures ran the fixtures checking no assignee at all, exit 0, where
# test refused the option (exit 2).
test_an_assignees_option_naming_no_lookup_is_refused_by_check_too() {
  depot_policy
  mkdir fx && cp fx.yaml fx/
  cp_run test --config c.yaml --assignees staf fx
  expect_eq "test" "2|crmpolicy: --assignees: the config declares no lookup 'staf'" "$RC|$ERR"
  cp_run check --config c.yaml --assignees staf --fixtures fx
  expect_eq "check --fixtures" "2|crmpolicy: --assignees: the config declares no lookup 'staf'" "$RC|$ERR"
  cp_run check --config c.yaml --assignees staf
  expect_eq "check" "2|crmpolicy: --assignees: the config declares no lookup 'staf'" "$RC|$ERR"
  cp_run check --config c.yaml --assignees "" --fixtures fx --quiet
  expect_eq "check, no assignee checked" 0 "$RC"
}

test_a_section_naming_no_lookup_is_refused_by_every_command() {
  depot_policy
  printf 'assignees:\n  default: staff\n  kinds: {depot: depot}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: c.yaml:26: assignees: depot: the config declares no lookup 'depot'" "$ERR"
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit of run" 2 "$RC"
  head -n -3 c.yaml > c2.yaml && mv c2.yaml c.yaml
  printf 'assignees:\n  kind: {depot: depots}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "stderr" "crmpolicy: c.yaml:25: assignees: unknown key 'kind' (default, alerts, kinds: a mapping of assignment kind to lookup, rules: a mapping of rule id to the lookup of its alerts)" "$ERR"
}

test_run_warns_about_assignees_of_the_wrong_kind_with_the_section() {
  depot_policy
  sqlite3 f.db "INSERT INTO depots VALUES ('D1');"
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit without the section" 0 "$RC"
  expect_eq "stderr without the section" "" "$ERR"
  rm -f s.db
  printf 'assignees:\n  kinds: {depot: staff}\n' >> c.yaml
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: depot depot.assign for client G1: assignee 'D1' is not an id of lookup.staff" "$ERR"
  rm -f s.db
  sed -i 's/kinds: {depot: staff}/kinds: {depot: depots}/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "stderr with the right lookup" "" "$ERR"
}

# policy-w: a rule whose alerts go to people of another lookup (sev-1
# tickets to the region's support lead, not a CSM) could only be left
# unchecked; its error named neither the alert's key nor the way out.
test_a_rule_names_the_lookup_of_its_alerts() {
  depot_policy
  sqlite3 f.db "CREATE TABLE leads(id TEXT); INSERT INTO leads VALUES ('L1');"
  sed -i 's/^lookups:$/lookups:\n  - {name: leads, id: id, columns: [{name: id, type: text}]}/' c.yaml
  cat >> r.lua <<'LUA'

rule {
  id = "ticket.sev1",
  doc = "Gold clients' tickets go to lead L1.",
  fn = function(c)
    if c.tier == "gold" then alert { key = "T2", severity = "critical", assignee = "L1" } end
  end,
}
LUA
  cat > lead.yaml <<'YAML'
name: a gold client's ticket goes to lead L1
facts:
  staff: [{id: S1}]
  leads: [{id: L1}]
  clients:
    columns: [id, status, tier]
    rows: [[G1, active, gold]]
steps:
  - as_of: 2026-06-30
    rules: [ticket.sev1]
    alerts:
      - {rule: ticket.sev1, client: G1, key: T2, assignee: L1}
YAML
  printf 'assignees:\n  default: staff\n  kinds: {depot: depots}\n' >> c.yaml
  sqlite3 f.db "INSERT INTO depots VALUES ('D1');"
  cp_run test --config c.yaml lead.yaml
  expect_eq "exit, leads unnamed" 1 "$RC"
  expect_contains "the error" "error: alert ticket.sev1 for client G1, key T2: assignee 'L1' is not an id of lookup.staff (assignees: rules: {ticket.sev1: LOOKUP} checks this rule's alerts against another)" "$OUT"
  printf '  rules: {ticket.sev1: leads}\n' >> c.yaml
  cp_run test --config c.yaml lead.yaml
  expect_eq "exit, leads named" "0|1 passed, 0 failed" "$RC|$(printf '%s\n' "$OUT" | tail -1)"
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_eq "run" "0|" "$RC|$ERR"
  # other rules' alerts are still staff ids; the run warns with the key
  rm -f s.db*
  sed -i 's/rules: {ticket.sev1: leads}/rules: {ticket.sev1: staff}/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_eq "run, the wrong lookup" "0|crmpolicy: warning: alert ticket.sev1 for client G1, key T2: assignee 'L1' is not an id of lookup.staff (assignees: rules: {ticket.sev1: LOOKUP} checks this rule's alerts against another)" "$RC|$ERR"
  sed -i 's/rules: {ticket.sev1: staff}/rules: {ticket.sev1: lead}/' c.yaml
  cp_run check --config c.yaml
  expect_eq "a lookup not declared" "2|crmpolicy: c.yaml:28: assignees: ticket.sev1: the config declares no lookup 'lead'" "$RC|$ERR"
  sed -i 's/rules: {ticket.sev1: lead}/rules: leads/' c.yaml
  cp_run check --config c.yaml
  expect_eq "not a mapping" "2|crmpolicy: c.yaml:28: assignees: rules: a mapping of rule id to lookup ({RULE_ID: LOOKUP})" "$RC|$ERR"
}

# probe-ad: --assignees LOOKUP with a config whose section has `rules:`
# looked the option up as a rule id of no rule (NULL): check and test
# died with SIGSEGV before reading a fixture.
test_an_assignees_option_beside_a_rules_section() {
  depot_policy
  printf 'assignees:\n  default: staff\n  kinds: {depot: depots}\n  rules: {depot.assign: staff}\n' >> c.yaml
  cp_run check --config c.yaml --assignees depots
  expect_eq "check" "0|" "$RC|$ERR"
  cp_run check --config c.yaml --assignees nope
  expect_eq "check, no such lookup" "2|crmpolicy: --assignees: the config declares no lookup 'nope'" "$RC|$ERR"
}

# probe-ad: a misspelt rule id under assignees.rules passed check without a
# word, and its alerts were checked against the other lookup (labels.rules
# warned of the same mistake).
test_a_rules_key_that_is_no_rule_is_warned_of() {
  depot_policy
  printf 'assignees:\n  default: staff\n  kinds: {depot: depots}\n  rules: {depot.asign: staff, depot.assign: staff}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "check" "0|crmpolicy: warning: c.yaml:$(grep -n 'depot.asign' c.yaml | cut -d: -f1): assignees.rules: 'depot.asign' is no rule's id; its lookup checks no alert" "$RC|$ERR"
  expect_contains "the lint line" "lint: 1 warning" "$OUT"
}

run_tests
