#!/usr/bin/env bash
# tests/cli/test_sandbox.sh: what a rule may not do, and how the engine says so.
. "$(dirname "$0")/../lib.sh"

# A config with two clients, one rule file r.lua, a small heap and budget
# (instructions: $1, 200000 when not given).
setup() {
  clients_config "[{name: status, type: text}]" \
    "limits: {memory_mb: 16, instructions: ${1:-200000}}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');"
}

# Runs a rule body for each client; prints nothing itself.
# $PRELUDE, if set, is top-level code placed before the rule.
rule_body() {
  printf '%s\nrule { id = "r", doc = "d", fn = function(c)\n%s\nend }\n' "${PRELUDE:-}" "$1" > r.lua
  printf 'rule { id = "ok", doc = "d", fn = function(c) alert { severity = "info" } end }\n' >> r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
}

# Expects the rule r failed for both clients with message part $1, and the
# other rule still ran.
expect_rule_failed() {
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "$1" "$ERR"
  expect_contains "message" "(rule r, client C2)" "$ERR"
  expect_eq "errors" 2 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors WHERE rule='r'
                                        AND run_id = (SELECT max(id) FROM runs)")"
  expect_eq "other rule" 2 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule='ok'")"
}

test_endless_loop_runs_out_of_budget() {
  setup
  rule_body 'while true do end'
  expect_rule_failed "instruction budget of 200000 exceeded"
}

test_pcall_cannot_swallow_the_budget_error() {
  setup
  rule_body 'for i = 1, 100 do pcall(function() while true do end end) end
alert { severity = "info", title = "escaped" }'
  expect_rule_failed "instruction budget of 200000 exceeded"
  expect_eq "escaped" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE title='escaped'")"
}

test_coroutine_that_never_ends_runs_out_of_budget() {
  setup
  rule_body 'local co = coroutine.wrap(function() while true do end end) co()'
  expect_rule_failed "instruction budget of 200000 exceeded"
}

# Heap growth is charged to the budget (64 bytes an instruction) and
# string.rep to its output (16 bytes an instruction): the heap cap is
# reached first only with a large budget.
test_memory_bomb_hits_the_heap_cap() {
  setup 100000000
  rule_body 'local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end'
  expect_rule_failed "not enough memory (the Lua heap is capped at 16 MiB)"
}

test_string_rep_bomb_hits_the_heap_cap() {
  setup 100000000
  rule_body 'local s = string.rep(string.rep("x", 1 << 10), 1 << 20)'
  expect_rule_failed "not enough memory (the Lua heap is capped at 16 MiB)"
}

test_deep_recursion_is_stopped() {
  setup
  rule_body 'local function f(n) return 1 + f(n + 1) end f(1)'
  expect_rule_failed "(rule r, client C1)"
  case "$ERR" in
    *"stack overflow"*|*"instruction budget"*|*"not enough memory"*) ;;
    *) fail "unexpected message: $ERR" ;;
  esac
}

test_io_os_debug_and_load_are_absent() {
  setup
  for expr in 'io.open("/etc/passwd")' 'os.execute("true")' 'debug.getinfo(1)' \
              'load("return 1")()' 'dofile("/etc/passwd")' 'loadfile("x")' \
              'package.loadlib("x", "y")' 'string.dump(print)' 'math.random()'; do
    rule_body "$expr"
    expect_eq "exit for $expr" 1 "$RC"
    expect_contains "message for $expr" "(rule r, client C1)" "$ERR"
  done
}

test_os_time_is_the_as_of_time() {
  setup
  rule_body 'alert { rule = "r", severity = "info", title = dt.format_time(os.time()) }'
  expect_eq "title" "2026-06-01T23:59:59" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='r'")"
}

test_globals_are_read_only_once_loaded() {
  setup
  PRELUDE='counter = 0' rule_body 'counter = counter + 1'
  expect_rule_failed "attempt to modify read-only field 'counter'"
}

test_string_library_cannot_be_changed_for_other_rules() {
  setup
  rule_body 'string.upper = function() return "pwned" end'
  expect_rule_failed "attempt to modify read-only field 'upper'"
  rule_body 'getmetatable("").__index = {}'
  expect_eq "exit" 1 "$RC"
}

test_require_outside_rules_is_refused() {
  setup
  printf 'local m = require("../etc/passwd")\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "require: '../etc/passwd' is not a module name" "$ERR"
}

test_require_of_a_name_too_long_is_refused_not_cut() {
  setup
  # cut, the name would have named another module
  printf 'local m = require(string.rep("a.", 254) .. "bc")\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "require: the module name 'a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a....' is 510 bytes long; at most 507" "$ERR"
}

test_require_loads_a_module_from_the_rules_folder() {
  setup
  mkdir lib
  printf 'return { answer = 42 }\n' > lib/m.lua
  printf 'local m = require("lib.m")\nrule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { a = m.answer } } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "data" '{"a":42}' "$(sqlite3 s.db "SELECT DISTINCT data FROM alerts")"
}

test_a_require_cycle_is_named_not_a_stack_overflow() {
  setup
  mkdir lib
  printf 'local b = require("lib.b")\nreturn {}\n' > lib/a.lua
  printf 'local a = require("lib.a")\nreturn {}\n' > lib/b.lua
  printf 'local a = require("lib.a")\nrule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "crmpolicy: ./lib/b.lua:1: require: 'lib.a' is required again while its own file runs (a require cycle" "$ERR"
  expect_eq "no overflow" "" "$(grep -i 'overflow' "$T/stderr")"
  # a module whose file failed is tried again, not taken for a cycle
  printf 'error("boom " .. (2 + 2), 0)\n' > lib/e.lua
  printf 'local ok1, e1 = pcall(require, "lib.e")\nlocal ok2, e2 = pcall(require, "lib.e")
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = tostring(e1) .. "|" .. tostring(e2) } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "both errors" "boom 4|boom 4" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts")"
}

# probe-z: a rule file that another rule file requires ran twice, and the
# message said its rule was "already declared at ./b.lua:1", of b.lua itself.
test_a_rule_file_of_the_config_is_not_a_module() {
  setup
  printf 'facts: f.db\nstate: s.db\nrules: [a.lua, b.lua]\nclients: {name: clients, id: id, columns: []}\n' > c2.yaml
  printf 'local b = require("b")\nrule { id = "a.x", doc = "d", fn = function(c) end }\n' > a.lua
  printf 'rule { id = "b.x", doc = "d", fn = function(c) end }\nreturn {}\n' > b.lua
  cp_run check --config c2.yaml
  expect_eq "exit: required, then listed" 2 "$RC"
  expect_eq "message" "crmpolicy: b.lua: this rule file of the config was required already (by the require at a.lua:1): the config runs a rule file once, and the require ran it too; put what both files share in a module, such as ./lib/<name>.lua, and require that" "$ERR"
  sed -i 's/rules: \[a.lua, b.lua\]/rules: [b.lua, a.lua]/' c2.yaml
  cp_run check --config c2.yaml
  expect_eq "exit: listed, then required" 2 "$RC"
  expect_eq "message" "crmpolicy: a.lua:1: require: 'b' is ./b.lua, a rule file of the config (under rules:): the config runs a rule file once, and a require would run it again; put what both files share in a module, such as ./lib/b.lua, and require that" "$ERR"
  # a module may declare rules: once, when first required
  mkdir lib && mv b.lua lib/b.lua
  sed -i 's/require("b")/require("lib.b")/' a.lua
  printf 'local b = require("lib.b")\n' > c.lua
  sed -i 's/rules: \[b.lua, a.lua\]/rules: [a.lua, c.lua]/' c2.yaml
  cp_run check --config c2.yaml
  expect_eq "exit: a module with a rule, required twice" 0 "$RC"
}

test_binary_chunk_is_refused() {
  setup
  printf '\033Lua\x54\x00garbage' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua: is a precompiled (binary) chunk; rule files load as text only" "$ERR"
}

test_top_level_endless_loop_stops_the_run_before_writing() {
  setup
  printf 'while true do end\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:1: instruction budget of 200000 exceeded (the file's top level, when it loaded)" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_client_object_is_read_only() {
  setup
  rule_body 'c.status = "closed"'
  expect_rule_failed "the client is read-only (field 'status')"
}

# A field read once is kept in the client's value table: writing it after
# the read is refused all the same, and later rules see the first value.
test_client_field_read_then_written_is_refused() {
  setup
  PRELUDE='rule { id = "a", doc = "d", fn = function(c) local _ = c.status, c.id end }' \
    rule_body 'local s = c.status
c.status = "closed"'
  expect_rule_failed "the client is read-only (field 'status')"
  rule_body 'local s = c.id
c.id = "C9"'
  expect_rule_failed "the client is read-only (field 'id')"
}

test_client_object_cannot_be_iterated_or_unwrapped() {
  setup
  # pairs, next, rawget and rawlen would answer as for an empty table
  local how
  for how in 'for k in pairs(c) do end' 'local _ = c.status next(c)' 'rawget(c, "status")' \
             'rawlen(c)' 'local n = #c'; do
    rule_body "$how"
    expect_rule_failed "a client cannot be iterated or read raw; read its fields by name (c.id, c.tier)"
  done
  rule_body 'local _ = c.status
alert { severity = "info", title = tostring(getmetatable(c)) .. " " .. tostring(c) }'
  expect_eq "exit" 0 "$RC"
  expect_eq "what a rule sees" "read-only client C1|read-only client C2" \
    "$(sqlite3 s.db "SELECT group_concat(title, '|') FROM (SELECT title FROM alerts
                     WHERE rule='r' ORDER BY client_id)")"
}

# A client kept past its evaluation (in an upvalue) fails when read, rather
# than answer with another client's values.
test_client_object_kept_for_later_fails() {
  setup
  PRELUDE='local kept' rule_body 'if kept then return kept.status end
kept = c
local _ = c.status'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a client object was used after its evaluation ended (rule r, client C2)" "$ERR"
  expect_eq "errors" "C2" "$(sqlite3 s.db "SELECT client_id FROM rule_errors WHERE rule='r'")"
  PRELUDE='local kept' rule_body 'if kept then return tostring(kept) end
kept = c'
  expect_contains "tostring" "a client object was used after its evaluation ended (rule r, client C2)" "$ERR"
}

# A derived value is computed once per client, also when it is nil.
test_a_derived_value_is_computed_once_even_when_nil() {
  setup
  PRELUDE='derive { id = "none", doc = "d", fn = function(c) print("none " .. c.id) return nil end }
derive { id = "one", doc = "d", fn = function(c) print("one " .. c.id) return 1 end }' \
    rule_body 'local _ = c.none, c.none, c.one, c.one, c.none, c.one'
  expect_eq "exit" 0 "$RC"
  expect_eq "computed" "crmpolicy: print: none C1
crmpolicy: print: one C1
crmpolicy: print: none C2
crmpolicy: print: one C2" "$ERR"
}

# A derived value that reads itself, directly or through another, is an
# error for every rule that reads it, with the value named.
test_derived_value_cycle_is_an_error() {
  setup
  PRELUDE='derive { id = "a", doc = "d", fn = function(c) return c.b end }
derive { id = "b", doc = "d", fn = function(c) return c.a end }' rule_body 'return c.a'
  expect_rule_failed "derived value 'a' depends on itself (in derived value 'b') (in derived value 'a')"
}

test_unknown_client_field_is_an_error() {
  setup
  rule_body 'return c.statsu'
  expect_rule_failed "client has no field 'statsu'"
}

# data is written as JSON with its keys sorted, however many there are,
# and integers exact at both ends of 64 bits.
test_alert_data_is_exact_json() {
  setup
  rule_body 'local d = { min = math.mininteger, max = math.maxinteger, zero = 0, f = 0.1,
  list = { 3, -2, 1 } }
for i = 40, 1, -1 do d[string.format("k%02d", i)] = i * -7 end
alert { severity = "info", data = d }'
  expect_eq "exit" 0 "$RC"
  expect_eq "data" '{"f":0.1,"k01":-7,"k02":-14,"k03":-21,"k04":-28,"k05":-35,"k06":-42,"k07":-49,"k08":-56,"k09":-63,"k10":-70,"k11":-77,"k12":-84,"k13":-91,"k14":-98,"k15":-105,"k16":-112,"k17":-119,"k18":-126,"k19":-133,"k20":-140,"k21":-147,"k22":-154,"k23":-161,"k24":-168,"k25":-175,"k26":-182,"k27":-189,"k28":-196,"k29":-203,"k30":-210,"k31":-217,"k32":-224,"k33":-231,"k34":-238,"k35":-245,"k36":-252,"k37":-259,"k38":-266,"k39":-273,"k40":-280,"list":[3,-2,1],"max":9223372036854775807,"min":-9223372036854775808,"zero":0}' \
    "$(sqlite3 s.db "SELECT data FROM alerts WHERE rule='r' AND client_id='C1'")"
}

test_alert_fields_are_checked() {
  setup
  rule_body 'alert { severity = "warn" }'
  expect_rule_failed "alert{}: 'severity' must be info, warning or critical, not 'warn'"
  rule_body 'alert { severity = "info", sevrity = 1 }'
  expect_rule_failed "r.lua:3: alert{}: unknown field 'sevrity' (fields: rule key severity level assignee title data) (rule r, client C2)"
  # a value given by position is no misspelt name: "unknown field 'number'" said neither
  rule_body 'alert { "info" }'
  expect_rule_failed "r.lua:3: alert{}: fields are named (rule key severity level assignee title data), not given by position ([1] = a string): write name = value (rule r, client C2)"
  rule_body 'assign { "k", key = "x", assignee = "S1" }'
  expect_rule_failed "r.lua:3: assign{}: fields are named (rule kind key assignee data pick unfilled), not given by position ([1] = a string): write name = value (rule r, client C2)"
  rule_body 'fulfilled { [true] = 1 }'
  expect_rule_failed "r.lua:3: fulfilled{}: fields are named (rule key), not a boolean key (rule r, client C2)"
  rule_body 'alert { severity = "info", rule = "other" }'
  expect_rule_failed "alert{}: rule 'r' may not report 'other'"
  # a level is a number: the text "2" (a fact's, say) was taken as 2
  rule_body 'alert { severity = "info", level = "2" }'
  expect_rule_failed "alert{}: 'level' must be a whole number from 1 to 1000, not a string"
  rule_body 'alert { severity = "info", level = 2.5 }'
  expect_rule_failed "alert{}: 'level' must be a whole number from 1 to 1000, not 2.5"
  rule_body 'alert { severity = "info", level = 0 }'
  expect_rule_failed "alert{}: 'level' must be a whole number from 1 to 1000, not 0"
  rule_body 'alert { severity = "info", level = 2.0 }'
  expect_eq "a whole float: exit" 0 "$RC"
  # every error about data names the call it was given to, as the others do
  rule_body 'alert { severity = "info", data = { x = 1/0 } }'
  expect_rule_failed "r.lua:3: alert{}: data.x: inf cannot be written as JSON (rule r, client C2)"
  rule_body 'assign { kind = "k", assignee = "S1", data = { [true] = 1 } }'
  expect_rule_failed "r.lua:3: assign{}: data: keys must be strings (found a boolean key) (rule r, client C2)"
  PRELUDE='pool { id = "p", doc = "nobody", members = function(add) end }' \
    rule_body 'assign { kind = "k", pick = { pool = "p", group = "g" }, unfilled = { severity = "info", data = { c = c } } }'
  expect_rule_failed "r.lua:3: assign{}: unfilled: data.c: the client, a list of rows or another of the engine's objects cannot be written as JSON; write the fields you need (rule r, client C2)"
}

# data is an object (SPEC, schema/event.schema.json): a list was written
# as a JSON array, a feed line the event schema refuses
test_data_that_is_a_list_is_the_rules_error() {
  setup
  rule_body 'alert { severity = "info", data = { 3, 2, 1 } }'
  expect_rule_failed "r.lua:3: alert{}: 'data' must be a table of named fields (a JSON object), not a list: write data = { name = list } (rule r, client C2)"
  rule_body 'assign { kind = "k", assignee = "S1", data = { "a" } }'
  expect_rule_failed "r.lua:3: assign{}: 'data' must be a table of named fields (a JSON object), not a list: write data = { name = list } (rule r, client C2)"
  PRELUDE='pool { id = "p", doc = "nobody", members = function(add) end }' \
    rule_body 'assign { kind = "k", pick = { pool = "p", group = "g" }, unfilled = { severity = "info", data = { 1 } } }'
  expect_rule_failed "r.lua:3: assign{}: unfilled: 'data' must be a table of named fields (a JSON object), not a list: write data = { name = list } (rule r, client C2)"
  # a list inside data, and an empty table, stay as they were
  rule_body 'alert { severity = "info", data = { scores = { 3, 2, 1 }, none = {} } }'
  expect_eq "a named list: exit" 0 "$RC"
  expect_eq "a named list" '{"none":{},"scores":[3,2,1]}' \
    "$(sqlite3 s.db "SELECT data FROM alerts WHERE rule='r' AND client_id='C1'")"
}

# probe-aj: an error in data named no place ("data: -nan cannot be written
# as JSON", the C library's text of a NaN), and a table that holds itself
# was said to be "nested deeper than 32 levels"
test_an_error_in_data_names_its_place() {
  setup
  rule_body 'alert { severity = "info", data = { x = 0/0 } }'
  expect_rule_failed "r.lua:3: alert{}: data.x: NaN cannot be written as JSON (rule r, client C2)"
  rule_body 'alert { severity = "info", data = { list = { 1, { total = -1/0 } } } }'
  expect_rule_failed "r.lua:3: alert{}: data.list[2].total: -inf cannot be written as JSON (rule r, client C2)"
  rule_body 'alert { severity = "info", data = { ["a key"] = { ok = 1, ["2x"] = print } } }'
  expect_rule_failed "r.lua:3: alert{}: data[\"a key\"][\"2x\"]: a function cannot be written as JSON (rule r, client C2)"
  rule_body 'local t = {}; t.self = t; alert { severity = "info", data = t }'
  expect_rule_failed "r.lua:3: alert{}: data.self: a table that contains itself cannot be written as JSON (it is data: a cycle) (rule r, client C2)"
  rule_body 'local t = { a = { 1, 2, { b = {} } } }; t.a[3].b.up = t.a
    assign { kind = "k", assignee = "S1", data = t }'
  expect_rule_failed "r.lua:4: assign{}: data.a[3].b.up: a table that contains itself cannot be written as JSON (it is data.a: a cycle) (rule r, client C2)"
  rule_body 'local d = {}; local x = d; for i = 1, 40 do x.n = {}; x = x.n end
    alert { severity = "info", data = d }'
  expect_rule_failed "alert{}: data$(printf '.n%.0s' $(seq 33)): nested deeper than 32 levels (rule r, client C2)"
  # one table in several places is no cycle
  rule_body 'local s = { 1 }; alert { severity = "info", data = { a = s, b = s, c = { s, s } } }'
  expect_eq "a shared table: exit" 0 "$RC"
  expect_eq "a shared table: data" '{"a":[1],"b":[1],"c":[[1],[1]]}' \
    "$(sqlite3 s.db "SELECT data FROM alerts WHERE rule='r' AND client_id='C1'")"
}

# probe-aj: a pick of a pool that does not exist said "pick.group must be a
# string" when it had no group, and named no pool that does
test_a_pick_of_an_unknown_pool_says_so_first() {
  setup
  PRELUDE='pool { id = "p", doc = "nobody", members = function(add) end }
pool { id = "staff", doc = "nobody", members = function(add) end }'
  rule_body 'assign { kind = "k", pick = { pool = "nope" } }'
  expect_rule_failed "r.lua:4: assign{}: no pool 'nope' is declared (pools: 'p', 'staff') (rule r, client C2)"
  rule_body 'assign { kind = "k", pick = { pool = "nope", group = "g", fallback = 1 } }'
  expect_rule_failed "r.lua:4: assign{}: no pool 'nope' is declared (pools: 'p', 'staff') (rule r, client C2)"
  rule_body 'assign { kind = "k", pick = { pool = 1, group = "g" } }'
  expect_rule_failed "r.lua:4: assign{}: pick.pool must be a string (the id of a pool{}), not a number (rule r, client C2)"
  rule_body 'assign { kind = "k", pick = { pool = "p" } }'
  expect_rule_failed "r.lua:4: assign{}: pick.group must be a string (rule r, client C2)"
  PRELUDE= rule_body 'assign { kind = "k", pick = { pool = "p", group = "g" } }'
  expect_rule_failed "r.lua:3: assign{}: no pool 'p' is declared (pools: none) (rule r, client C2)"
}

# probe-aj: a numeric assignee is taken as its digits, as policies written
# against the README do with a numeric staff column; NaN and inf have none
# (the C library's "nan" would be an id); an empty one is no assignee
test_an_assignee_is_a_text_or_a_numbers_digits() {
  setup
  rule_body 'alert { severity = "info", assignee = 5 } assign { kind = "k", assignee = 7 }'
  expect_eq "a number: exit" 0 "$RC"
  expect_eq "a number: its digits" "5|7" \
    "$(sqlite3 s.db "SELECT (SELECT assignee FROM alerts WHERE rule='r' AND client_id='C1'), (SELECT assignee FROM assignments WHERE client_id='C1')")"
  rule_body 'alert { severity = "info", assignee = 0/0 }'
  expect_rule_failed "r.lua:3: alert{}: 'assignee' must be an id (a text, or a number's digits), not NaN (rule r, client C2)"
  rule_body 'assign { kind = "k", assignee = -math.huge }'
  expect_rule_failed "r.lua:3: assign{}: 'assignee' must be an id (a text, or a number's digits), not -inf (rule r, client C2)"
  PRELUDE='pool { id = "p", doc = "nobody", members = function(add) end }' \
    rule_body 'assign { kind = "k", pick = { pool = "p", group = "g" }, unfilled = { severity = "info", assignee = 1/0 } }'
  expect_rule_failed "r.lua:3: assign{}: unfilled: 'assignee' must be an id (a text, or a number's digits), not inf (rule r, client C2)"
  rule_body 'alert { severity = "info", assignee = "" } assign { kind = "k", assignee = "" }'
  expect_eq "empty: exit" 0 "$RC"
  expect_eq "empty: no assignee" "1|1" \
    "$(sqlite3 s.db "SELECT (SELECT count(*) FROM alerts WHERE rule='r' AND client_id='C1' AND assignee IS NULL), (SELECT count(*) FROM assignments WHERE client_id='C1' AND assignee IS NULL)")"
}

test_an_unfilled_alert_is_checked_as_assign_and_at_the_rules_line() {
  setup
  PRELUDE='pool { id = "p", doc = "nobody", members = function(add) end }'
  rule_body 'assign { kind = "k", key = "x", pick = { pool = "p", group = "g" },
    unfilled = { severity = "critical", bogus = 1 } }'
  expect_rule_failed "crmpolicy: r.lua:3: assign{}: unfilled: unknown field 'bogus' (fields: rule key severity level assignee title data) (rule r, client C1)"
  rule_body 'assign { kind = "k", key = "x", pick = { pool = "p", group = "g" },
    unfilled = { severity = "warn" } }'
  expect_rule_failed "r.lua:3: assign{}: unfilled: 'severity' must be info, warning or critical, not 'warn'"
  rule_body 'assign { kind = "k", key = "x", pick = { pool = "p", group = "g" },
    unfilled = { severity = "info", key = "y" } }'
  expect_rule_failed "r.lua:3: assign{}: unfilled: the alert takes the assignment's key; give none"
  rule_body 'assign { kind = "k", key = "x", pick = { pool = "p", group = "g" },
    unfilled = { severity = "info", title = "nobody", level = 2, data = { n = 1 } } }'
  expect_eq "exit" 0 "$RC"
  expect_eq "unfilled" "C1 x info 2 nobody {\"n\":1}|C2 x info 2 nobody {\"n\":1}" \
    "$(sqlite3 s.db "SELECT client_id||' '||key||' '||severity||' '||level||' '||title||' '||data
                     FROM alerts WHERE rule = 'r' ORDER BY client_id" | paste -sd'|')"
}

test_partial_results_of_a_failing_rule_are_dropped() {
  setup
  rule_body 'alert { severity = "info", key = "a" } error("late")'
  expect_rule_failed "late"
  expect_eq "partial" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule='r'")"
}

run_tests
