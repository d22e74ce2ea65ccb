#!/usr/bin/env bash
# tests/policy/test_policy_md.sh: rules/POLICY.md, the reference policy in
# words, is beside the rules, and every rule file (rules/*.lua and
# rules/lib/*.lua) cites in its first comment a section of it that exists.
. "$(dirname "$0")/../lib.sh"

# sections: the section numbers of rules/POLICY.md ("## 6. ..." -> 6,
# "### 7.1 ..." -> 7.1), one a line.
sections() {
  sed -nE 's/^##+ ([0-9]+(\.[0-9]+)?)\.? .*/\1/p' "$ROOT/rules/POLICY.md"
}

# header FILE: the comment lines that open a Lua file.
header() {
  awk '/^--/ { print; next } { exit }' "$1"
}

test_every_rule_file_cites_an_existing_section() {
  local f cites s known
  known=$(sections)
  [ "$(echo "$known" | grep -c .)" -ge 13 ] || fail "rules/POLICY.md has too few sections: $known"
  for f in "$ROOT"/rules/*.lua "$ROOT"/rules/lib/*.lua; do
    cites=$(header "$f" | grep -oE 'rules/POLICY\.md §[0-9]+(\.[0-9]+)?(, §[0-9]+(\.[0-9]+)?)*' |
            grep -oE '§[0-9]+(\.[0-9]+)?' | tr -d '§')
    [ -n "$cites" ] || fail "${f#"$ROOT"/}: its first comment cites no section of rules/POLICY.md"
    for s in $cites; do
      echo "$known" | grep -qx "$s" || fail "${f#"$ROOT"/}: cites §$s, which rules/POLICY.md lacks"
    done
  done
}

test_every_rule_id_of_the_policy_is_named_in_policy_md() {
  local id ids
  ids=$(grep -ohE 'id = "[a-z_]+\.[a-z_.]+"' "$ROOT"/rules/*.lua | sed -E 's/id = "(.*)"/\1/' | sort -u)
  ids="$ids $(sed -nE 's/^ *levels: \[(.*)\]/\1/p' "$ROOT/examples/demo/crmpolicy.yaml" |
              tr -d ' ' | tr ',' '\n' | sed 's/^/visit./')"
  [ -n "$ids" ] || fail "no rule ids found"
  for id in $ids; do
    grep -qF "\`$id\`" "$ROOT/rules/POLICY.md" || fail "rule $id is not named in rules/POLICY.md"
  done
}

test_no_reference_to_a_policy_md_outside_rules() {
  local hits
  hits=$(cd "$ROOT" && grep -rnE '(^|[^/])POLICY\.md' README.md examples rules editor man 2>/dev/null |
         grep -v '^rules/POLICY\.md:')
  expect_eq "references to POLICY.md not as rules/POLICY.md" "" "$hits"
}

run_tests
