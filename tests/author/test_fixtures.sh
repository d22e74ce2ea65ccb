#!/usr/bin/env bash
# tests/author/test_fixtures.sh: `crmpolicy test`: the reference policy's
# fixtures pass; a failing fixture prints the exact difference and exits 1;
# an invalid one names its file and line and exits 2; coverage figures are
# exact on a small known policy.
. "$(dirname "$0")/common.sh"

test_reference_fixtures_pass() {
  local n
  n=$(ls "$ROOT"/tests/fixtures/*.yaml | wc -l)
  cp_run test --config "$ROOT/examples/demo/crmpolicy.yaml" --quiet "$ROOT/tests/fixtures"
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "$n passed, 0 failed" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

test_passing_fixture_prints_one_line_and_the_count() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml ok.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   ok.yaml: gold clients are visited every 30 days
1 passed, 0 failed" "$OUT"
}

test_failing_fixture_prints_the_difference() {
  policy
  cat > fail.yaml <<'YAML'
name: a fixture that expects the wrong things
facts:
  staff: [{id: S1}]
  clients:
    columns: [id, status, tier]
    rows:
      - [G1, active, gold]
      - [G2, odd, gold]
  visits:
    - {client_id: G1, day: 2026-05-01}
    - {client_id: G2, day: 2026-06-29}
steps:
  - as_of: 2026-06-30
    alerts:
      - {rule: visit.due, client: G1, severity: critical, level: 2}
      - {rule: visit.due, client: G2, severity: warning}
  - as_of: 2026-07-01
    mode: at_least
    rules: [status.odd]
    alerts:
      - {rule: status.odd, client: G2, assignee: S9}
    absent:
      - {rule: visit.due, client: G1}
YAML
  cp_run test --config c.yaml fail.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "FAIL fail.yaml: a fixture that expects the wrong things
  fail.yaml:13: step 1 as of 2026-06-30 (exact)
    alerts:   # -: expected, not found; +: found, not expected
    - {rule: visit.due, client: G1, severity: critical, level: 2}
    + {rule: visit.due, client: G1, severity: warning, level: 1}
    + {rule: status.odd, client: G2, severity: info, level: 1, assignee: S9}
    - {rule: visit.due, client: G2, severity: warning}
    error: alert status.odd for client G2: assignee 'S9' is not an id of lookup.staff (assignees: rules: {status.odd: LOOKUP} checks this rule's alerts against another)
  fail.yaml:17: step 2 as of 2026-07-01 (at least; rules status.odd)
    absent:   # -: expected, not found; +: found, not expected
    + {rule: visit.due, client: G1, severity: warning, level: 1, assignee: S1}   # absent at line 23
    error: alert status.odd for client G2: assignee 'S9' is not an id of lookup.staff (assignees: rules: {status.odd: LOOKUP} checks this rule's alerts against another)
0 passed, 1 failed" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

test_a_failing_and_a_passing_fixture_count_both() {
  policy
  mkdir fx
  passing_fixture fx/a.yaml
  sed 's/severity: warning/severity: critical/' fx/a.yaml > fx/b.yaml
  cp_run test --config c.yaml --quiet fx
  expect_eq "exit" 1 "$RC"
  expect_eq "last line" "1 passed, 1 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_contains "stdout" "FAIL fx/b.yaml: gold clients" "$OUT"
}

test_assignments_are_expected_like_alerts() {
  policy
  printf '%s\n' 'rule { id = "ask", doc = "Ask for a visit.", fn = function(c)' \
    '  if c.tier == "gold" then assign { kind = "visit", key = c.id, assignee = "S1" } end end }' >> r.lua
  cat > a.yaml <<'YAML'
name: gold clients get a visit proposed
rules: [ask]
facts:
  staff: [{id: S1}]
  clients: [{id: G1, status: active, tier: gold}, {id: G2, status: active, tier: gold}]
steps:
  - as_of: 2026-06-30
    assignments:
      - {rule: ask, client: G1, key: G1, kind: visit, assignee: S1}
      - {rule: ask, client: G2, kind: call}
YAML
  cp_run test --config c.yaml a.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "FAIL a.yaml: gold clients get a visit proposed
  a.yaml:7: step 1 as of 2026-06-30 (exact; rules ask)
    assignments:   # -: expected, not found; +: found, not expected
    - {rule: ask, client: G2, kind: call}
    + {rule: ask, client: G2, key: G2, kind: visit}
0 passed, 1 failed" "$OUT"
}

# A step may replay an earlier day, as run --replay does (policy-s and
# policy-r could not test a replay in a fixture): the visit of 06-20 does
# not exist yet as of 06-12, so the alert it resolved stands again; the
# next step goes forward from there.
test_a_step_may_replay_an_earlier_day() {
  policy
  cat > replay.yaml <<'YAML'
name: a replay in a fixture
facts:
  staff: [{id: S1}]
  clients: [{id: G1, status: active, tier: gold}]
  visits:
    - {client_id: G1, day: 2026-05-01}
    - {client_id: G1, day: 2026-06-20}
steps:
  - as_of: 2026-06-10
    alerts:
      - {rule: visit.due, client: G1, severity: warning, assignee: S1}
  - as_of: 2026-06-25
    alerts: []
  - as_of: 2026-06-12
    replay: true
    alerts:
      - {rule: visit.due, client: G1, severity: warning, assignee: S1}
  - as_of: 2026-06-26
    alerts: []
YAML
  cp_run test --config c.yaml replay.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   replay.yaml: a replay in a fixture
1 passed, 0 failed" "$OUT"
  # without replay: true, a step back is the fixture's error, which says what to write
  sed -i '/replay: true/d' replay.yaml
  cp_run test --config c.yaml replay.yaml
  expect_eq "exit: a step back" 2 "$RC"
  expect_contains "message" "replay.yaml:14: as_of 2026-06-12 is before the previous step's 2026-06-25; steps go forward in time, or say replay: true to replay an earlier day (as run --replay does)" "$ERR"
  # replay: true on a step that goes forward, and one that is not a boolean
  sed -i 's/^  - as_of: 2026-06-26$/&\n    replay: true/' replay.yaml
  sed -i 's/^  - as_of: 2026-06-12$/  - as_of: 2026-06-25/' replay.yaml
  cp_run test --config c.yaml replay.yaml
  expect_eq "exit: a replay forward" 2 "$RC"
  expect_contains "message" "replay: true replays a day before the previous step's, and as_of 2026-06-26 is not before it" "$ERR"
  sed -i 's/replay: true/replay: nope/' replay.yaml
  cp_run test --config c.yaml replay.yaml
  expect_eq "exit: not a boolean" 2 "$RC"
  expect_contains "message" "replay: 'nope' is not true or false" "$ERR"
}

# probe-aa: an empty list where one entry at least is needed gave
# libcyaml's raw "Insufficient entries (0 of 1 min) in sequence."
test_an_empty_list_that_needs_an_entry_says_so() {
  policy
  printf 'name: x\nsteps: []\n' > e.yaml
  cp_run test --config c.yaml e.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: e.yaml:2: steps: the list has 0 entries, and needs at least 1" "$ERR"
  sed -i 's/^rules: \[r.lua\]$/rules: []/' c.yaml
  cp_run check --config c.yaml
  expect_eq "config: exit" 2 "$RC"
  expect_eq "config: message" "crmpolicy: c.yaml:3: rules: the list has 0 entries, and needs at least 1" "$ERR"
}

# policy-t: a fixture about bad data printed its data problems as warnings
# at every `test` and `check --fixtures`; a step's `findings:` expects them.
test_a_step_expects_its_data_problems_with_findings() {
  policy
  cat > bad.yaml <<'YAML'
name: a bad visit date is a data problem
facts:
  staff: [{id: S1}]
  clients: [{id: G1, status: active, tier: gold}]
  visits:
    - {client_id: G1, day: soon}
    - {client_id: G1, day: 2026-06-20}
steps:
  - as_of: 2026-06-30
    findings:
      - {table: visits, row: "(client G1)", column: day}
    alerts: []
YAML
  cp_run test --config c.yaml bad.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "no warning: the finding is expected" "" "$ERR"
  # a finding expected and not met, and one met and not expected
  sed -i 's/day: 2026-06-20}/day: 2026-06-31}/; s/row: "(client G1)", column: day}/row: "(client G2)", column: day}/' bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "FAIL bad.yaml: a bad visit date is a data problem
  bad.yaml:9: step 1 as of 2026-06-30 (exact)
    alerts:   # -: expected, not found; +: found, not expected
    + {rule: visit.due, client: G1, severity: warning, level: 1, assignee: S1}
    findings:   # -: expected, not found; +: found, not expected
    - {table: visits, row: (client G2), column: day}
    + {table: visits, row: (client G1), column: day}   # '2026-06-31' is not a date
    + {table: visits, row: (client G1), column: day}   # 'soon' is not a date
0 passed, 1 failed" "$OUT"
  # findings: [] expects none; an entry without its column is invalid
  sed -i 's/^    findings:$/    findings: []/; /row: "(client G2)"/d' bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "findings: []: exit" 1 "$RC"
  expect_contains "findings: []" "+ {table: visits, row: (client G1), column: day}   # 'soon' is not a date" "$OUT"
  sed -i 's/^    findings: \[\]$/    findings: [{table: visits, row: x}]/' bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "invalid: exit" 2 "$RC"
  expect_contains "invalid" "bad.yaml:10: findings: 'column' is required, a text (as the warning names it: 'orders row O1 column amount')" "$ERR"
}

# probe-ab: a lookup table's data problems (met as the facts open) were
# printed without the fixture's line and never compared with `findings:`,
# so a fixture expecting one failed ('- expected, not found') and still
# printed its warning.
test_a_lookup_data_problem_is_a_finding_of_the_step() {
  policy
  cat > lk.yaml <<'YAML'
name: a staff id twice
facts:
  staff:
    - {id: S1}
    - {id: S1}
  clients: [{id: G1, status: active, tier: gold}]
  visits: [{client_id: G1, day: 2026-06-20}]
steps:
  - as_of: 2026-06-30
    findings: [{table: staff, row: S1, column: id}]
    alerts: []
  - as_of: 2026-07-01
    alerts: []
YAML
  cp_run test --config c.yaml lk.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   lk.yaml: a staff id twice
1 passed, 0 failed" "$OUT"
  expect_eq "the second step warns, at the line of the id" "crmpolicy: warning: lk.yaml:4: facts: staff row S1 column id: 'S1' repeats an id of the lookup table; the first row read is kept" "$ERR"
}

test_invalid_fixture_names_file_and_line() {
  policy
  passing_fixture ok.yaml
  sed 's/severity: warning/severty: warning/' ok.yaml > bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: bad.yaml:18: unknown key 'severty' in steps" "$ERR"
  expect_eq "stdout" "FAIL bad.yaml: invalid fixture (see the message above)
0 passed, 1 failed" "$OUT"
}

# An expected level is a whole number written in decimal: libcyaml read
# 'level: 1.5' and 'level: 1abc' as 1 and 'level: 010' as 8, so a typo
# matched the alert (the fixture passed) or an octal number was compared.
test_an_expected_level_that_is_not_a_decimal_whole_number_is_invalid() {
  policy
  passing_fixture ok.yaml
  for bad in 1.5 1abc 01 1e0 "'1'" 0; do
    sed "s/level: 1,/level: $bad,/" ok.yaml > bad.yaml
    cp_run test --config c.yaml bad.yaml
    expect_eq "level: $bad" "2|crmpolicy: bad.yaml:18: level '${bad//\'/}' is not a whole number of at least 1 (written in decimal, without a leading zero)" "$RC|$ERR"
  done
  cp_run test --config c.yaml ok.yaml
  expect_eq "level: 1" 0 "$RC"
}

test_a_key_that_is_a_list_or_a_mapping_is_an_error_not_a_crash() {
  policy
  passing_fixture ok.yaml
  { echo 'params:'; echo '  ? [interval]'; echo '  : 5'; cat ok.yaml; } > key.yaml
  cp_run test --config c.yaml key.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: key.yaml:2: a key must be a plain name, not a list" "$ERR"
  printf 'params:\n  ? {a: 1}\n  : 2\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "in the config" "2|crmpolicy: c.yaml:24: a key must be a plain name, not a mapping" "$RC|$ERR"
}

test_a_folder_linked_into_itself_is_searched_once() {
  policy
  mkdir fx && passing_fixture fx/ok.yaml && ln -s . fx/again && mkdir fx/sub && ln -s .. fx/sub/up
  cp_run test --config c.yaml fx
  expect_eq "exit" 0 "$RC"
  expect_eq "the fixture once" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_contains "warning" "crmpolicy: warning: test: fx/again leads back to a folder it is in; it is not searched again" "$ERR"
}

test_a_difference_with_control_characters_is_escaped_and_pastes_back() {
  policy
  sed -i 's/title = "odd" }/title = "odd", key = c.tier }/' r.lua
  { sqlite3 f.db .schema; echo "INSERT INTO clients VALUES ('X1', 'odd', 'a' || char(27) || '[31m' || char(10) || 'b'); INSERT INTO staff VALUES ('S9');"; } > s.sql
  printf 'name: a key from the facts\nschema: s.sql\nrules: [status.odd]\nsteps:\n  - as_of: 2026-06-30\n    alerts: []\n' > fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "the + line" '+ {rule: status.odd, client: X1, key: "a\u001b[31m\nb", severity: info, level: 1, assignee: S9}' "$OUT"
  case "$OUT" in *$'\033'*) fail "a raw ESC in the output" ;; esac
  # pasted back as the + line says, the fixture passes
  printf '      - {rule: status.odd, client: X1, key: "a\\u001b[31m\\nb", severity: info, level: 1, assignee: S9}\n' > line
  sed -i 's/    alerts: \[\]/    alerts:/' fx.yaml && cat line >> fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "pasted back" "0|1 passed, 0 failed" "$RC|$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_fixture_expects_data_keys_and_the_difference_pastes_back() {
  policy
  # visit.due's alert carries data of every JSON kind; assignments carry data too
  sed -i 's/alert { severity = "warning", level = 1, assignee = P.owner, title = "visit due" }/alert { severity = "warning", level = 1, assignee = P.owner, title = "visit due", data = { days = days, share = 0.25, tiny = 5e-324, gold = true, none = null, tags = {"a", "b"}, last = { day = dt.format(c.last), note = "é\\n\\"x\\"" }, id = "61", yes = "yes" } }\n      assign { kind = "visit", assignee = P.owner, data = { amount = 123456 } }/' r.lua
  passing_fixture fx.yaml
  sed -i 's/^      - {rule: visit.due, client: G2, severity: warning, level: 1, assignee: S1}/      - {rule: visit.due, client: G2, severity: warning, data: {days: 30, share: 0.250, tiny: 4.94065645841247e-324, gold: true, none: null, tags: [a, b], last: {day: 2026-05-31, note: "é\\n\\"x\\""}, id: "61", yes: "yes"}}\n    assignments:\n      - {rule: visit.due, client: G2, kind: visit, data: {amount: 123456}}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "every kind matches" "0|ok   fx.yaml: gold clients are visited every 30 days" "$RC|$(printf '%s\n' "$OUT" | head -n 1)"
  # a subset of the keys is enough; a key's value is compared whole
  sed -i 's/data: {days: 30, share: 0.250, .*}}$/data: {days: 30, id: 61, last: {day: 2026-05-31}, missing: 1}}/; s/data: {amount: 123456}/data: {amount: "123456"}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "the alert's - line" '- {rule: visit.due, client: G2, severity: warning, data: {days: 30, id: 61, last: {day: 2026-05-31}, missing: 1}}' "$OUT"
  expect_contains "its + line: the expected keys only, as found" '+ {rule: visit.due, client: G2, severity: warning, data: {days: 30, id: "61", last: {day: 2026-05-31, note: "é\n\"x\""}}}' "$OUT"
  # a key the found data lacks is named, not left out unsaid (policy-r)
  expect_contains "the key it lacks" '{day: 2026-05-31, note: "é\n\"x\""}}}   # data has no missing' "$OUT"
  expect_contains "a text is not a number" '+ {rule: visit.due, client: G2, kind: visit, data: {amount: 123456}}' "$OUT"
  # pasted back, the + lines pass
  sed -i 's/data: {days: 30, id: 61, last: {day: 2026-05-31}, missing: 1}}/data: {days: 30, id: "61", last: {day: 2026-05-31, note: "é\\n\\"x\\""}}}/; s/data: {amount: "123456"}/data: {amount: 123456}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "pasted back" "0|1 passed, 0 failed" "$RC|$(printf '%s\n' "$OUT" | tail -n 1)"
  # numbers compare exactly: an integer past 2^53 is not the float it rounds to
  sed -i 's/data: {amount: 123456}/data: {amount: 100000000000000001}/' fx.yaml
  sed -i 's/data = { amount = 123456 }/data = { amount = 1e17 }/' r.lua
  cp_run test --config c.yaml fx.yaml
  expect_contains "1e17 is not 10^17 + 1" '+ {rule: visit.due, client: G2, kind: visit, data: {amount: 1e+17}}' "$OUT"
  sed -i 's/data = { amount = 1e17 }/data = { amount = 123456 }/; s/data: {amount: 100000000000000001}/data: {amount: 123456}/' r.lua fx.yaml
  # data is a mapping, and absent entries have none
  sed -i 's/data: {amount: 123456}/data: [1]/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "a list: exit" 2 "$RC"
  expect_contains "a list" "crmpolicy: fx.yaml:20: data is a mapping of the keys expected (data: {amount: 123456}), not a list" "$ERR"
}

test_a_rules_filter_naming_no_rule_is_an_error_at_its_own_line() {
  policy
  passing_fixture ok.yaml
  { echo 'rules: [visit.*, nope.y]'; cat ok.yaml; } > top.yaml
  sed 's/^  - as_of: 2026-06-30/  - as_of: 2026-06-30\n    rules:\n      - visit.due\n      - nope.z/' ok.yaml > step.yaml
  cp_run test --config c.yaml top.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "top-level filter" "crmpolicy: top.yaml:1: rules: 'nope.y' names no declared rule" "$ERR"
  cp_run test --config c.yaml step.yaml
  expect_eq "step filter" "crmpolicy: step.yaml:19: rules: 'nope.z' names no declared rule" "$ERR"
}

test_an_expectation_outside_the_rules_filter_says_so() {
  # a result under a rule the filter leaves out (an id a rule emits, say) is
  # set aside before matching: the expectation can never match, and the
  # difference says why instead of a bare '-' line
  policy
  cat > out.yaml <<'YAML'
name: expects a rule the filter leaves out
rules: [visit.due]
facts:
  staff: [{id: S1}]
  clients:
    - {id: G2, status: odd, tier: bronze}
steps:
  - as_of: 2026-06-30
    alerts:
      - {rule: status.odd, client: G2}
    withdrawn:
      - {rule: status.odd, client: G2}
YAML
  cp_run test --config c.yaml --assignees "" out.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "FAIL out.yaml: expects a rule the filter leaves out
  out.yaml:8: step 1 as of 2026-06-30 (exact; rules visit.due)
    alerts:   # -: expected, not found; +: found, not expected
    - {rule: status.odd, client: G2}   # status.odd is not among this step's rules: add it to 'rules:'
    withdrawn:
    - {rule: status.odd, client: G2}   # status.odd is not among this step's rules: add it to 'rules:'
0 passed, 1 failed" "$OUT"
}

test_unknown_table_column_and_rule_are_invalid() {
  policy
  passing_fixture ok.yaml
  sed 's/^  visits:/  visit:/' ok.yaml > t.yaml
  sed 's/columns: \[id, status, tier\]/columns: [id, state, tier]/' ok.yaml > c2.yaml
  sed 's/rule: visit.due/rule: visit.dew/' ok.yaml > r.yaml
  cp_run test --config c.yaml t.yaml
  expect_eq "table" "crmpolicy: t.yaml:10: facts: 'visit' is not a table of the config" "$ERR"
  cp_run test --config c.yaml c2.yaml
  expect_eq "column" "crmpolicy: c2.yaml:5: facts.clients: the config declares no column 'state' (columns: status, tier, id)" "$ERR"
  cp_run test --config c.yaml r.yaml
  expect_eq "rule" "crmpolicy: r.yaml:18: no rule 'visit.dew' is declared" "$ERR"
  expect_eq "exit" 2 "$RC"
}

test_params_override_is_merged_and_must_exist() {
  policy
  passing_fixture ok.yaml
  { echo "params: {interval: 31}"; grep -v 'client: G2' ok.yaml; } > p.yaml
  cp_run test --config c.yaml p.yaml
  expect_eq "exit" 0 "$RC"
  { echo "params: {intervall: 31}"; cat ok.yaml; } > bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: bad.yaml:1: params.intervall: the config has no such param" "$ERR"
}

# probe-aa: params that make a rule file's top level fail (a mapping the
# file walks given as a number) stopped `test` at that fixture: the fixtures
# after it never ran, the message named no fixture, and the count left it out.
test_params_that_fail_the_rule_files_make_that_fixture_invalid_alone() {
  policy
  echo 'for _ in pairs(params.unused) do end' >> r.lua
  passing_fixture a.yaml
  { echo "params: {unused: 3}"; cat a.yaml; } > b.yaml
  cp a.yaml c_.yaml
  cp_run test --config c.yaml a.yaml b.yaml c_.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stdout" "ok   a.yaml: gold clients are visited every 30 days
FAIL b.yaml: invalid fixture (see the message above)
ok   c_.yaml: gold clients are visited every 30 days
2 passed, 1 failed" "$OUT"
  expect_contains "the fixture named" "crmpolicy: b.yaml:1: the rule files do not load with this fixture's params (see the message above)" "$ERR"
}

test_params_override_keys_that_are_one_lua_key_or_null_are_invalid() {
  local k want
  policy
  passing_fixture ok.yaml
  # a value that replaces the config's brings keys the config never had
  while IFS='|' read -r k want; do
    { printf 'params:\n  interval:\n    %s: a\n    %s: b\n' "${k%% *}" "${k#* }"; cat ok.yaml; } > p.yaml
    cp_run test --config c.yaml p.yaml
    expect_eq "exit ($k)" 2 "$RC"
    expect_eq "stderr ($k)" "crmpolicy: p.yaml:4: params: the key '${k#* }' is the key '${k%% *}' of line 3 to a rule (the same $want); give it once" "$ERR"
  done <<< "$PARAMS_KEY_TWINS"
  for k in '~' null; do
    { printf 'params:\n  interval:\n    b: 1\n    %s: a\n' "$k"; cat ok.yaml; } > p.yaml
    cp_run test --config c.yaml p.yaml
    expect_eq "exit ($k)" 2 "$RC"
    expect_eq "stderr ($k)" "crmpolicy: p.yaml:4: params: the key '$k' is null: no key a rule can read; quote it to make it text" "$ERR"
  done
  { printf 'params:\n  interval: {1: a, "1.0": b}\n'; grep -v 'client: G2' ok.yaml; } > p.yaml
  cp_run test --config c.yaml p.yaml   # 1 and "1.0" are two keys: the fixture runs
  expect_eq "number and text: exit" 1 "$RC"
  expect_contains "number and text" "attempt to compare table with number" "$OUT"
}

test_rule_error_fails_the_step_with_file_and_line() {
  policy
  passing_fixture ok.yaml
  sed -i 's/if c.status == "odd" then/if c.status:nope() then/' r.lua
  cp_run test --config c.yaml ok.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "    error: r.lua:30: attempt to call a nil value (method 'nope') (rule status.odd, client B1)" "$OUT"
}

test_nothing_is_left_behind() {
  policy
  passing_fixture ok.yaml
  mkdir tmp
  TMPDIR=$T/tmp cp_run test --config c.yaml ok.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "temporary files" "" "$(ls -A tmp)"
  expect_eq "state" "" "$(ls s.db 2>/dev/null)"
}

test_a_second_yaml_document_in_a_fixture_is_an_error() {
  policy
  passing_fixture ok.yaml
  printf -- '---\nbogus: 1\n' >> ok.yaml
  line=$(grep -n -- '^---$' ok.yaml | cut -d: -f1)
  cp_run test --config c.yaml ok.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: ok.yaml:$line: a second YAML document ('---'): the file must hold just one" "$ERR"
}

test_a_byte_that_is_not_utf8_is_placed_at_its_line() {
  # libyaml gives such a reader error as an offset, its line left at 1
  policy
  passing_fixture ok.yaml
  sed 's/G2, 2026-05-31/G2\xc0\xaf, 2026-05-31/' ok.yaml > bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "fixture" "2|crmpolicy: bad.yaml:14: invalid length of a UTF-8 sequence" "$RC|$ERR"
  printf '# a comment\n\001\n' >> bad.yaml
  sed -i 's/\xc0\xaf//' bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "a control character" "2|crmpolicy: bad.yaml:20: control characters are not allowed" "$RC|$ERR"
  sed 's/owner: S1/owner: S\xff1/' c.yaml > c2.yaml
  cp_run check --config c2.yaml
  expect_eq "config" "2|crmpolicy: c2.yaml:21: invalid leading UTF-8 octet" "$RC|$ERR"
}

test_a_column_given_twice_in_a_header_is_an_error() {
  # the second value of the column was dropped and the fixture passed
  policy
  passing_fixture ok.yaml
  sed 's/columns: \[client_id, day\]/columns: [client_id, day, day]/; s/\(2026-0[56]-[0-9]*\)\]/\1, 2026-06-29]/' \
    ok.yaml > twice.yaml
  cp_run test --config c.yaml twice.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: twice.yaml:11: facts.visits: column 'day' is given twice in 'columns'" "$ERR"
}

test_a_table_of_more_than_256_columns_can_be_given() {
  # the fixture's tables kept 256 columns: the others, and the id, were unknown
  policy
  cols=$(seq 1 300 | sed 's/.*/    - {name: c&, type: integer}/')
  awk -v cols="$cols" '{ print } /^    - {name: tier, type: text}$/ { print cols }' c.yaml > c2.yaml
  echo 'rule { id = "c300", doc = "c300", fn = function(c) if c.c300 == 7 then alert { severity = "info", level = 1, title = "7" } end end }' > r2.lua
  sed -i 's/^rules: \[r.lua\]/rules: [r2.lua]/' c2.yaml
  printf 'name: many columns\nfacts:\n  clients: [{id: C1, c300: 7}]\nsteps:\n  - as_of: 2026-06-30\n    alerts: [{rule: c300, client: C1}]\n' > many.yaml
  cp_run test --config c2.yaml many.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  { printf 'name: x\nschema: s.sql\nfacts:\n  visits:\n    columns: ['; seq -s, 1 2001 | sed 's/[0-9]*/k&/g'; printf ']\n    rows: []\nsteps: [{as_of: 2026-06-30, alerts: []}]\n'; } > wide.yaml
  echo 'CREATE TABLE clients(id TEXT); CREATE TABLE visits(client_id TEXT, day TEXT);' > s.sql
  cp_run test --config c2.yaml wide.yaml
  expect_eq "a wider header" "2|crmpolicy: wide.yaml:5: facts.visits: 'columns' names 2001 columns, more than the 2000 a table can have" "$RC|$ERR"
}

test_a_folder_tree_as_deep_as_a_path_can_go_is_searched_without_a_crash() {
  # each level of the search kept a PATH_MAX buffer on the stack: 2,040
  # levels (a 4 KB path) overflowed it (a segfault)
  policy
  passing_fixture ok.yaml
  mkdir deep
  (cd deep && for _ in $(seq 2040); do mkdir a && cd a || exit 1; done && cp "$T/ok.yaml" .) ||
    fail "could not make the tree"
  cp_run test --config c.yaml deep
  expect_eq "exit" 0 "$RC"
  expect_eq "the fixture at the bottom" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_a_fixture_link_to_nothing_in_a_folder_fails_rather_than_is_left_out() {
  # it was skipped without a word: a moved fixture left CI green
  policy
  mkdir fx
  passing_fixture fx/a.yaml
  ln -s ../moved.yaml fx/b.yaml
  cp_run test --config c.yaml fx
  expect_eq "exit" 2 "$RC"
  expect_eq "stdout" "ok   fx/a.yaml: gold clients are visited every 30 days
FAIL fx/b.yaml: invalid fixture (see the message above)
1 passed, 1 failed" "$OUT"
  expect_eq "stderr" "crmpolicy: fx/b.yaml: No such file or directory" "$ERR"
}

test_nothing_is_left_behind_when_the_command_is_ended_by_a_signal() {
  policy
  passing_fixture ok.yaml
  printf 'limits: {instructions: 1000000000000}\n' >> c.yaml   # no end in days: only the signal
  echo 'rule { id = "spin", doc = "Spins.", fn = function(c) while true do end end }' >> r.lua
  mkdir tmp
  for sig in TERM INT HUP; do
    TMPDIR=$T/tmp "$CRMPOLICY" test --config c.yaml ok.yaml > /dev/null 2>&1 &
    pid=$!
    timeout 60 sh -c "until ls '$T/tmp' | grep -q crmpolicy-test; do sleep 0.02; done" ||
      fail "$sig: no fixture folder appeared"
    kill -$sig $pid
    wait $pid 2> /dev/null   # bash reports a job ended by SIGHUP
    rc=$? num=$(kill -l $sig)
    expect_eq "$sig: exit" "$((128 + num))" "$rc"
    expect_eq "$sig: left in TMPDIR" "" "$(ls -A tmp)"
  done
}

test_fixture_files_are_required() {
  policy
  cp_run test --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "crmpolicy: test: name the fixture files or folders to run (for example 'crmpolicy test tests/fixtures')" "$ERR"
  cp_run test --config c.yaml nope
  expect_eq "missing" "crmpolicy: test: nope: No such file or directory" "$ERR"
}

test_coverage_figures_are_exact() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml ok.yaml --coverage
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   ok.yaml: gold clients are visited every 30 days
coverage of the rule files by the fixtures:
  r.lua    20 of    21 lines   95.2%
    not run: 31
  total    20 of    21 lines   95.2%
rules that never fired: status.odd
1 passed, 0 failed" "$OUT"
}

test_coverage_names_the_lines_not_run_as_ranges() {
  policy
  passing_fixture ok.yaml
  cat >> r.lua <<'LUA'
rule { id = "never", doc = "Never reports.", fn = function(c)
  if c.status == "gone" then
    local n = 1

    n = n + 1
    alert { severity = "info", level = n, assignee = "S9", title = "gone" }
  end
end }
LUA
  cp_run test --config c.yaml ok.yaml --coverage --quiet
  expect_contains "ranges (line 38 has no code)" "    not run: 31, 37-40
  total" "$OUT"
}

test_coverage_skip_given_twice_skips_both() {
  # the second --coverage-skip replaced the first, which was dropped silently
  policy
  passing_fixture ok.yaml
  echo 'rule { id = "other", doc = "Other.", fn = function(c) end }' > o.lua
  sed -i 's/^rules: \[r.lua\]/rules: [r.lua, o.lua]/' c.yaml
  cp_run test --config c.yaml ok.yaml --coverage --quiet --coverage-skip r.lua --coverage-skip 'o.*'
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "coverage of the rule files by the fixtures:
  r.lua    20 of    21 lines   95.2%  (not in the total)
  o.lua     1 of     1 lines  100.0%  (not in the total)
  total     0 of     0 lines       -
rules that never fired: status.odd, other
coverage: no line counts in the total (--coverage-skip leaves out every rule file)
1 passed, 0 failed" "$OUT"
}

test_coverage_skip_of_every_file_fails_min_coverage() {
  # probe-ai: a --coverage-skip that left out every rule file made the total
  # "0 of 0 lines 100.0%", and --min-coverage 100 passed on no line at all
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml ok.yaml --coverage --quiet --coverage-skip '*' --min-coverage 100
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "coverage of the rule files by the fixtures:
  r.lua    20 of    21 lines   95.2%  (not in the total)
  total     0 of     0 lines       -
rules that never fired: status.odd
coverage: no line counts in the total (--coverage-skip leaves out every rule file); --min-coverage 100% is not met
1 passed, 0 failed" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

test_coverage_skip_that_matches_no_file_is_warned_of() {
  # probe-ai: a misspelt glob ('report.lua' for '*/report.lua') left out
  # nothing, without a word
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml ok.yaml --coverage --quiet --coverage-skip 'x/r.lua' --coverage-skip 'r.*'
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: --coverage-skip 'x/r.lua' matches no rule file (it is matched against the names above, '*' matching '/' too: '*/report.lua')" "$ERR"
}

# odd_fixture FILE: a fixture in which the client X1, of status odd, fires
# status.odd.
odd_fixture() {
  cat > "$1" <<'YAML'
name: an odd client
facts:
  staff: [{id: S9}]
  clients: [{id: X1, status: odd, tier: bronze}]
steps:
  - as_of: 2026-06-30
    alerts: [{rule: status.odd, client: X1, assignee: S9}]
YAML
}

test_coverage_of_two_fixtures_adds_up() {
  policy
  mkdir fx
  passing_fixture fx/ok.yaml
  odd_fixture fx/odd.yaml
  cp_run test --config c.yaml --coverage --quiet fx
  expect_eq "stdout" "coverage of the rule files by the fixtures:
  r.lua    21 of    21 lines  100.0%
  total    21 of    21 lines  100.0%
rules that never fired: none
2 passed, 0 failed" "$OUT"
}

# policy-ab: a loop whose every pass returns never runs its `end` (the jump
# back), nor a function that always returns its own (the last return): lines
# holding a block's `end` alone are not counted, so such code can reach 100%.
test_coverage_does_not_count_an_end_alone() {
  policy
  cat > r.lua <<'LUA'
local function band(n)
  for _, b in ipairs({10, 100}) do
    if n <= b then return b end
  end   -- the loop's end: never reached, every pass returns
end     -- nor the function's: it returns from inside the loop

rule { id = "status.odd", doc = "d", fn = function(c)
  if band(5) == 10 then
    alert { severity = "info", level = 1, assignee = "S9", title = "odd" }
  end
end }
LUA
  odd_fixture ok.yaml
  cp_run test --config c.yaml --coverage --quiet --min-coverage 100 ok.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "coverage of the rule files by the fixtures:
  r.lua     5 of     5 lines  100.0%
  total     5 of     5 lines  100.0%
rules that never fired: none
1 passed, 0 failed" "$OUT"
  # a line with code after its end counts as before: end) (call) or end + x
  printf 'local t = {}\nrule { id = "status.odd", doc = "d", fn = function(c)\n  if c.status == "never" then\n    t.x = 1\n  end return nil end }\n' > r.lua
  cp_run test --config c.yaml --coverage --quiet ok.yaml
  expect_contains "an end with code after it counts" "not run: 4" "$OUT"
}

# call_policy: c.yaml and r.lua: a call is needed for a client with visits;
# a visit on the as-of day or before fulfils it, a client closed by then
# needs none (withdrawn).
call_policy() {
  policy
  sed -i 's/    - {name: tier, type: text}/&\n    - {name: closed_on, type: date}/' c.yaml
  cat > r.lua <<'LUA'
rule { id = "call", doc = "A call for clients with a visit to come.", fn = function(c)
  if c.closed_on and c.closed_on <= dt.today then return end
  if #c.visits > 0 then fulfilled { key = "k" } else assign { kind = "call", key = "k", assignee = "S1" } end
end }
LUA
}

test_a_step_can_expect_the_assignments_its_run_fulfilled_or_withdrew() {
  call_policy
  cat > fx.yaml <<'YAML'
name: calls fulfilled and withdrawn
facts:
  staff: [{id: S1}]
  clients:
    - {id: A1, status: active}
    - {id: B1, status: active, closed_on: 2026-06-10}
    - {id: C1, status: active}
  visits: [{client_id: A1, day: 2026-06-05}]
steps:
  - as_of: 2026-06-01
    assignments:
      - {rule: call, client: A1, key: k}
      - {rule: call, client: B1, key: k}
      - {rule: call, client: C1, key: k}
    fulfilled: []
    withdrawn: []
  - as_of: 2026-06-20
    assignments: [{rule: call, client: C1, key: k}]
    fulfilled: [{rule: call, client: A1, key: k}]
    withdrawn: [{rule: call, client: B1}]
  - as_of: 2026-06-21
    assignments: [{rule: call, client: C1}]
    fulfilled: []
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   fx.yaml: calls fulfilled and withdrawn
1 passed, 0 failed" "$OUT"
  # swapped: both differ, with lines to paste back
  sed -i 's/    fulfilled: \[{rule: call, client: A1, key: k}\]/    fulfilled: [{rule: call, client: B1, key: k}]/;
          s/    withdrawn: \[{rule: call, client: B1}\]/    withdrawn: [{rule: call, client: A1}]/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit when swapped" 1 "$RC"
  expect_contains "diff (in client order)" "    fulfilled:   # -: expected, not found; +: found, not expected
    + {rule: call, client: A1, key: k}
    - {rule: call, client: B1, key: k}   # withdrawn by this run
    withdrawn:
    - {rule: call, client: A1}   # fulfilled by this run
    + {rule: call, client: B1, key: k}" "$OUT"
  # at_least, and only fulfilled: given: the note says what became of it
  sed -i '/^    withdrawn: \[{rule: call, client: A1}\]$/d; s/^  - as_of: 2026-06-20$/&\n    mode: at_least/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "note" "    - {rule: call, client: B1, key: k}   # withdrawn by this run" "$OUT"
  sed -i 's/    fulfilled: \[{rule: call, client: B1, key: k}\]/    fulfilled: [{rule: call, client: C1}, {rule: call, client: Z9}]/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "still proposed" "    - {rule: call, client: C1}   # still proposed" "$OUT"
  expect_contains "none" "    - {rule: call, client: Z9}   # not closed by this run (no such open assignment)" "$OUT"
}

test_a_data_problem_is_warned_at_its_fixture_row() {
  policy
  passing_fixture ok.yaml
  sed 's/\[G2, 2026-05-31\]/[G2, 2026-05-31T10:00:00Z]/' ok.yaml > bad.yaml
  cp_run test --config c.yaml bad.yaml
  expect_eq "exit" 0 "$RC"
  expect_contains "warning at the row's line" "crmpolicy: warning: bad.yaml:14: facts: visits row (client G2) column day: '2026-05-31T10:00:00Z' is not a date" "$ERR"
}

test_min_coverage_fails_below() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml --quiet --min-coverage 96 ok.yaml
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "coverage 95.2% is below --min-coverage 96%" "$OUT"
  cp_run test --config c.yaml --quiet --min-coverage 95 ok.yaml
  expect_eq "exit at 95" 0 "$RC"
  mkdir empty
  cp_run test --config c.yaml --quiet --min-coverage 0 empty
  expect_eq "no fixture ran: exit" 1 "$RC"
  expect_eq "no fixture ran: no figures" "coverage: no fixture ran, so no line did; --min-coverage 0% is not met
0 passed, 0 failed" "$OUT"
  cp_run test --config c.yaml --quiet --coverage empty
  expect_eq "no fixture ran, no minimum" "1|coverage: no fixture ran, so no line did
0 passed, 0 failed" "$RC|$OUT"
  # probe-aj: an empty or mistyped folder tested nothing and passed CI (exit 0)
  cp_run test --config c.yaml empty
  expect_eq "no fixture ran: exit 1, said" "1|0 passed, 0 failed|crmpolicy: test: no fixture ran: no .yaml file in empty" "$RC|$OUT|$ERR"
  cp_run test --config c.yaml empty ok.yaml
  expect_eq "a fixture in another path: exit 0" "0|" "$RC|$ERR"
}


# A step's facts replace the rows of the tables it names from that step on
# (the CRM changed them between two nights: a visit recorded, a status
# changed; policy-p, policy-q); the other tables keep theirs.
test_a_step_replaces_the_rows_of_the_tables_its_facts_name() {
  policy
  cat > fx.yaml <<'YAML'
name: the CRM changes facts between nights
facts:
  staff: [{id: S1}, {id: S9}]
  clients:
    - {id: G1, status: active, tier: gold}
    - {id: B1, status: active, tier: bronze}
  visits: [{client_id: G1, day: 2026-05-01}]
steps:
  - as_of: 2026-06-30
    alerts:
      - {rule: visit.due, client: G1}
  - as_of: 2026-07-01
    facts:
      visits: [{client_id: G1, day: 2026-06-30}]
      clients:
        - {id: G1, status: active, tier: gold}
        - {id: B1, status: odd, tier: bronze}
    alerts:
      - {rule: status.odd, client: B1}
  - as_of: 2026-07-02
    alerts:
      - {rule: status.odd, client: B1}
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   fx.yaml: the CRM changes facts between nights
1 passed, 0 failed" "$OUT"
  # without the step's visit, G1's alert stays open: the diff says so
  sed -i '/^      visits: \[{client_id: G1, day: 2026-06-30}\]$/d' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "without the visit: exit" 1 "$RC"
  expect_contains "without the visit: the diff" "  fx.yaml:12: step 2 as of 2026-07-01 (exact)
    alerts:   # -: expected, not found; +: found, not expected
    + {rule: visit.due, client: G1, severity: warning, level: 1, assignee: S1}" "$OUT"
  # a table the config does not declare is the fixture's error, at its line
  sed -i 's/^      clients:$/      client:/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "an unknown table: exit" 2 "$RC"
  expect_contains "an unknown table: message" "fx.yaml:14: facts: 'client' is not a table of the config" "$ERR"
}

# A step's facts that name one SQL table twice, by the config's name and by
# its table:, give it the rows of both, as the fixture's facts do: the second
# name's emptying dropped the rows of the first (S1 was gone in step 2).
test_a_step_naming_a_table_twice_keeps_the_rows_of_both() {
  policy
  sed -i 's/{name: staff, id: id,/{name: people, table: staff, id: id,/' c.yaml
  echo 'assignees: {default: people}' >> c.yaml
  cat > fx.yaml <<'YAML'
name: one SQL table, two names
facts:
  people: [{id: S1}, {id: S9}]
  clients:
    - {id: G1, status: odd, tier: gold}
steps:
  - as_of: 2026-06-30
    alerts:
      - {rule: visit.due, client: G1, assignee: S1}
      - {rule: status.odd, client: G1, assignee: S9}
  - as_of: 2026-07-01
    facts:
      people: [{id: S1}]
      staff: [{id: S9}]
    alerts:
      - {rule: visit.due, client: G1, assignee: S1}
      - {rule: status.odd, client: G1, assignee: S9}
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok   fx.yaml: one SQL table, two names
1 passed, 0 failed" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

# A data problem in a row of a step's facts is warned of at that row's line,
# in that step and the next ones, not at the line of the fixture's row with
# the same id, which the step replaced (line 7, a good date).
test_a_data_problem_of_a_step_row_names_its_line() {
  policy
  cat > fx.yaml <<'YAML'
name: a step's row with a bad date
facts:
  staff: [{id: S1}]
  clients:
    - {id: G1, status: active, tier: gold}
  visits:
    - {client_id: G1, day: 2026-06-20}
steps:
  - as_of: 2026-06-30
    alerts: []
  - as_of: 2026-07-01
    facts:
      visits:
        - {client_id: G1, day: 2026-06-31}
    mode: at_least
  - as_of: 2026-07-02
    mode: at_least
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: fx.yaml:14: facts: visits row (client G1) column day: '2026-06-31' is not a date
crmpolicy: warning: fx.yaml:14: facts: visits row (client G1) column day: '2026-06-31' is not a date" "$ERR"
}

run_tests
