#!/usr/bin/env bash
# tests/hardening/test_sandbox_escape.sh: ways out of the rule sandbox that
# tests/cli/test_sandbox.sh does not try: reaching the table behind a
# read-only view, writing the shared environment through _G, integers that
# overflow the date helpers, work that the instruction budget does not see
# (pattern backtracking, finalizers). Each must end as a rule error of the
# rule that tried, with the rest of the run unharmed.
. "$(dirname "$0")/../lib.sh"

# A config with two clients, rule files a.lua then b.lua, a small heap and
# budget, and params.
setup() {
  cat > c.yaml <<YAML
facts: f.db
state: s.db
rules: [a.lua, b.lua]
limits: {memory_mb: 16, instructions: 200000}
clients:
  name: clients
  id: id
  columns: [{name: status, type: text}]
params:
  limit: 5
YAML
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');"
  # b.lua: a well-behaved rule that reports what it sees.
  cat > b.lua <<'LUA'
rule { id = "b", doc = "sees the API, params and libraries", fn = function(c)
  alert { severity = "info", title = c.id .. " limit " .. tostring(params.limit) .. " upper "
          .. string.upper("x") .. " seen " .. tostring(rawget(_G, "seen")) }
end }
LUA
}

# rule_a BODY: makes a.lua's rule "a" run BODY for each client, then runs
# with a time limit of 10 s.
rule_a() {
  printf 'rule { id = "a", doc = "tries to escape", fn = function(c)\n%s\nend }\n' "$1" > a.lua
  OUT=$(timeout 10 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# expect_a_failed MESSAGE: rule a failed for both clients with MESSAGE, and
# rule b saw the untouched API, params and libraries.
expect_a_failed() {
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "$1" "$ERR"
  expect_contains "message" "(rule a, client C2)" "$ERR"
  expect_eq "rule errors" "a C1|a C2" "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors
    WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" 2>&1 | paste -sd'|')"
  expect_eq "what rule b saw" "C1 limit 5 upper X seen nil|C2 limit 5 upper X seen nil" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule='b' ORDER BY 1" 2>&1 | paste -sd'|')"
}

test_pairs_does_not_hand_out_the_table_behind_params() {
  setup
  rule_a 'local _, raw = pairs(params)
raw.limit = (raw.limit or 0) + 1'
  expect_a_failed "attempt to modify read-only field 'limit'"
}

test_pairs_does_not_hand_out_the_table_behind_a_library() {
  setup
  rule_a 'local _, raw = pairs(string)
raw.upper = function() return "pwned" end'
  expect_a_failed "attempt to modify read-only field 'upper'"
}

test_G_cannot_replace_the_api_of_other_rules() {
  setup
  rule_a '_G.alert = function() end'
  expect_a_failed "attempt to modify read-only field 'alert'"
}

test_G_cannot_carry_state_from_one_client_to_the_next() {
  setup
  rule_a '_G.seen = (rawget(_G, "seen") or 0) + 1'
  expect_a_failed "attempt to modify read-only field 'seen'"
}

test_date_helpers_refuse_days_out_of_range() {
  setup
  local call
  for call in 'dt.format(math.maxinteger)' 'dt.format(3000000)' 'dt.month(-800000)' \
              'dt.start(math.maxinteger)' 'dt.age_days(math.mininteger)' \
              'dt.in_last_days(0, math.mininteger)'; do
    rule_a "return $call"
    expect_a_failed "out of range"
    expect_eq "undefined behaviour in $call" "" "$(grep 'runtime error' "$T/stderr")"
  done
}

test_time_helpers_refuse_times_out_of_range() {
  setup
  local call
  for call in 'dt.format_time(math.mininteger)' 'dt.day(math.mininteger)' \
              'dt.hours_since(math.mininteger)' 'dt.format_time(1 << 62)'; do
    rule_a "return $call"
    expect_a_failed "out of range"
    expect_eq "undefined behaviour in $call" "" "$(grep 'runtime error' "$T/stderr")"
  done
}

test_pattern_backtracking_is_bounded() {
  setup
  rule_a 'string.find(string.rep("a", 25), string.rep("a*", 25) .. "b")'
  [ "$RC" = 124 ] && fail "the run was still matching after 10 s"
  expect_a_failed "(rule a, client C1)"
}

test_finalizer_cannot_run_outside_the_budget() {
  setup
  rule_a 'setmetatable({}, { __gc = function() while true do end end })'
  [ "$RC" = 124 ] && fail "the run was still finalizing after 10 s"
  expect_a_failed "(rule a, client C1)"
}

# probe-af: require read its modules' table from its second argument, so
# that require("m", t) wrote the modules it loaded, and a light userdata,
# into t, and missed a require cycle (a C stack overflow).
test_require_with_a_second_argument_keeps_its_own_table() {
  setup
  mkdir lib
  printf 'local t = {}\nrequire("lib.self", t)\nreturn {}\n' > lib/self.lua
  printf 'require("lib.self")\nrule { id = "a", doc = "d", fn = function(c) end }\n' > a.lua
  OUT=$(timeout 10 "$CRMPOLICY" check --config c.yaml 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr")
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "./lib/self.lua:2: require: 'lib.self' is required again while its own file runs" "$ERR"
  expect_eq "no overflow" "" "$(grep -i 'overflow' "$T/stderr")"
  printf 'return { x = 1 }\n' > lib/m.lua
  printf 'local t = {}\nlocal m = require("lib.m", t)\nlocal again = require("lib.m")
local keys = 0\nfor _ in pairs(t) do keys = keys + 1 end
rule { id = "a", doc = "d", fn = function(c)
  alert { severity = "info", title = keys .. " " .. tostring(rawequal(m, again)) } end }\n' > a.lua
  OUT=$(timeout 10 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr"); RC=$?
  expect_eq "exit" 0 "$RC"
  expect_eq "t untouched, the module loaded once" "0 true" \
    "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'a'" 2>&1)"
}

run_tests
