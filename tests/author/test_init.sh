#!/usr/bin/env bash
# tests/author/test_init.sh: `crmpolicy init DIR` writes a policy project in
# which `check` and `test tests` pass with no --config: the reference policy,
# or with --bare one example rule; it never writes into a folder in use.
. "$(dirname "$0")/../lib.sh"

test_init_writes_the_reference_policy_project_that_checks_and_tests() {
  cp_run init p
  expect_eq "exit" 0 "$RC"
  expect_eq "message" "wrote a policy project in p (the reference policy); next:
  cd p && crmpolicy check && crmpolicy test tests" "$OUT"
  local f n
  for f in crmpolicy.yaml README.md .luarc.json editor/crmpolicy.lua schema/facts.sql facts.db \
           rules/POLICY.md rules/derived.lua rules/lib/people.lua tests/fixtures/visit_account.yaml; do
    [ -f "p/$f" ] || fail "init wrote no $f"
  done
  expect_eq "rule files" "$(cd "$ROOT" && ls rules/*.lua rules/lib/*.lua)" "$(cd p && ls rules/*.lua rules/lib/*.lua)"
  expect_eq "fixtures" "$(cd "$ROOT" && find tests/policy tests/fixtures -name '*.yaml' | sort)" \
    "$(cd p && find tests -name '*.yaml' | sort)"
  expect_eq "facts and state beside the config" "facts: facts.db             # your CRM's export: point this at it
state: state.db" "$(grep -E '^(facts|state):' p/crmpolicy.yaml)"
  expect_eq "rule paths" "" "$(grep -n '\.\./' p/crmpolicy.yaml)"
  cd p || return
  cp_run check
  expect_eq "check exit" 0 "$RC"
  expect_contains "check" "ok: crmpolicy.yaml:" "$OUT"
  n=$(find tests -name '*.yaml' | wc -l)
  cp_run test tests
  expect_eq "test exit" 0 "$RC"
  expect_eq "test" "$n passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  # the facts init makes are empty: the nightly guard refuses them (a failed
  # export looks the same) and writes nothing, until told otherwise
  cp_run run --as-of 2026-11-15 --quiet
  expect_eq "a run on the empty facts" 5 "$RC"
  expect_contains "the guard's message" "the clients table" "$ERR"
  [ ! -f state.db ] || fail "the refused run wrote state.db"
  cp_run run --as-of 2026-11-15 --quiet --force
  expect_eq "a forced run on the empty facts" 0 "$RC"
  [ -f state.db ] || fail "the run wrote no state.db beside the config"
}

test_init_bare_writes_one_example_rule_whose_fixture_covers_it() {
  cp_run init --bare p
  expect_eq "exit" 0 "$RC"
  expect_eq "files" ".luarc.json
README.md
crmpolicy.yaml
editor/crmpolicy.lua
facts.db
rules/example.lua
schema/facts.sql
tests/example.yaml" "$(cd p && find . -type f | sed 's|^\./||' | sort)"
  expect_eq "rules" "rules:                       # loaded in this order; checks run in this order
  - rules/example.lua" "$(sed -n '/^rules:/,/^$/p' p/crmpolicy.yaml | grep .)"
  expect_eq "labels: the example rule's only" "labels:                       # what people read for ids; each section reaches rules as \`labels\`
  rules:
    example.quiet: 长期未联络       # rules/example.lua" "$(sed -n '/^labels:/,/^$/p' p/crmpolicy.yaml | grep .)"
  cd p || return
  cp_run check
  expect_eq "check exit" 0 "$RC"
  expect_eq "check: no warning" "" "$ERR"
  cp_run test --coverage --min-coverage 100 tests
  expect_eq "test exit" 0 "$RC"
  expect_contains "coverage" "rules/example.lua    14 of    14 lines  100.0%" "$OUT"
  expect_eq "test" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

# --minimal: a start for facts of one's own (two authors who wrote policies
# from the README began from --bare and rewrote the reference company's
# eight tables by hand): clients and their contacts, one rule, its fixture.
test_init_minimal_writes_the_smallest_facts_and_one_rule() {
  cp_run init --minimal p
  expect_eq "exit" 0 "$RC"
  expect_eq "message" "wrote a policy project in p (one example rule on the smallest facts); next:
  cd p && crmpolicy check && crmpolicy test tests" "$OUT"
  expect_eq "files" ".luarc.json
README.md
crmpolicy.yaml
editor/crmpolicy.lua
facts.db
rules/example.lua
schema/facts.sql
tests/example.yaml" "$(cd p && find . -type f | sed 's|^\./||' | sort)"
  expect_eq "the facts' tables" "clients
contacts" "$(sqlite3 p/facts.db "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")"
  cd p || return
  cp_run check --lint-fatal --fixtures tests
  expect_eq "check exit" 0 "$RC"
  expect_eq "check: no warning" "" "$ERR"
  cp_run test --coverage --min-coverage 100 tests
  expect_eq "test exit" 0 "$RC"
  expect_eq "test" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  # the export's own rows: one client quiet for 120 days
  sqlite3 facts.db "INSERT INTO clients VALUES ('K1', 'Kappa', '2025-01-01');
    INSERT INTO contacts VALUES ('V1', 'K1', '2026-07-18 09:30:00')"
  cp_run run --as-of 2026-11-15 --quiet
  expect_eq "run exit" 0 "$RC"
  expect_eq "its alert" "example.quiet|K1|warning|no contact since 2026-07-18" \
    "$(sqlite3 state.db "SELECT rule, client_id, severity, title FROM alerts")"
  cd .. || return
  cp_run init --minimal --bare q
  expect_eq "both: exit" 2 "$RC"
  expect_eq "both: message" "crmpolicy: init: --bare and --minimal are two different starts; give one" "$ERR"
  [ ! -e q ] || fail "init --minimal --bare made q"
}

# README ("init"): once a --bare project's config drops a reference table,
# the example fixture says which (policy-s was not warned).
test_init_bare_example_fixture_names_a_table_the_config_dropped() {
  cp_run init --bare --quiet p
  expect_eq "init" 0 "$RC"
  python3 - p/crmpolicy.yaml <<'PYEOF2'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index("  - name: contacts")
j = s.index("  - name:", i + 5)
open(p, "w").write(s[:i] + s[j:])
PYEOF2
  cd p && cp_run test tests
  expect_eq "exit: an invalid fixture" 2 "$RC"
  expect_contains "message" "crmpolicy: tests/example.yaml:18: facts: 'contacts' is not a table of the config" "$ERR"
}

test_init_locale_en_writes_an_english_project() {
  cp_run init --bare --locale en p
  expect_eq "exit" 0 "$RC"
  expect_eq "locale" "locale: en" "$(grep '^locale:' p/crmpolicy.yaml)"
  expect_eq "the example rule's label" "    example.quiet: No contact for long   # rules/example.lua" \
    "$(grep 'example.quiet:' p/crmpolicy.yaml)"
  cp_run init --locale en q
  expect_eq "the reference policy in en: exit" 0 "$RC"
  expect_eq "its locale" "locale: en" "$(grep '^locale:' q/crmpolicy.yaml)"
  (cd p && "$CRMPOLICY" check --quiet && "$CRMPOLICY" test --quiet tests) >/dev/null ||
    fail "the en project does not check and test"
  cp_run init --locale fr r
  expect_eq "fr: exit" 2 "$RC"
  expect_eq "fr: message" "crmpolicy: init: --locale: 'fr' is not one of en, zh-CN" "$ERR"
  [ ! -e r ] || fail "a refused init made its folder"
}

test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing() {
  mkdir p && echo mine > p/crmpolicy.yaml
  cp_run init p
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: init: p is not empty; name a new or empty folder" "$ERR"
  expect_eq "files" "crmpolicy.yaml" "$(ls -A p)"
  expect_eq "the file" "mine" "$(cat p/crmpolicy.yaml)"
}

test_init_into_an_empty_folder_and_without_a_folder() {
  mkdir p
  cp_run init --quiet p
  expect_eq "exit" 0 "$RC"
  expect_eq "quiet" "" "$OUT"
  [ -f p/crmpolicy.yaml ] || fail "no config in the empty folder"
  cp_run init
  expect_eq "exit without a folder" 2 "$RC"
  expect_eq "message" "crmpolicy: init: name one folder to write the policy project into (for example 'crmpolicy init my-policy')" "$ERR"
  # probe-aj: an empty name said "cannot make the folder : No such file or directory"
  cp_run init ''
  expect_eq "exit with an empty name" 2 "$RC"
  expect_eq "message" "crmpolicy: init: the folder name is empty; name one folder to write the policy project into (for example 'crmpolicy init my-policy')" "$ERR"
  cp_run init --bare --locale en ''
  expect_eq "exit with an empty name, --bare" 2 "$RC"
}

run_tests
