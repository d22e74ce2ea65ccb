#!/usr/bin/env bash
# tests/hardening/test_declarations.sh: what a rule file declares is checked
# as the engine will use it. A declaration is read from a copy of its own
# (later writes and metamethods change nothing), read-only views (params,
# modules) are read through, a NUL byte in a name is refused instead of cut,
# and C loops over a rule's tables never ask its metamethods. Each probe runs
# under `timeout`.
. "$(dirname "$0")/../lib.sh"

# A config with clients C1 and C2 and their orders (O1 and O2 of C1, O3 of
# C2), one rule file r.lua, a small budget; params.probe holds lists.
setup() {
  clients_config "[{name: status, type: text}, {name: name, type: text}]" \
    "limits: {memory_mb: 16, instructions: 200000}" \
    "tables:" \
    "  - name: orders" \
    "    key: client_id" \
    "    order: ordered_on" \
    "    columns: [{name: id, type: text}, {name: ordered_on, type: date}, {name: amount, type: money}]" \
    "params:" \
    "  probe: {ids: [O1, O2], where: {id: O3}, groups: [x, y]}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
    ('O1','C1','2026-05-01',10), ('O2','C1','2026-05-02',20), ('O3','C2','2026-05-03',30);"
}

# probe [ARGS...]: runs r.lua (given on stdin) with a time limit of 120 s.
probe() {
  cat > r.lua
  OUT=$(timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet "$@" \
    2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  [ "$RC" = 124 ] && fail "the run was still going after 120 s"
  expect_eq "no panic" "" "$(grep -i 'panic\|internal error\|AddressSanitizer' "$T/stderr")"
}

# titles: the alerts' client and title, one line.
titles() {
  sqlite3 s.db "SELECT client_id || ' ' || title FROM alerts ORDER BY 1" | paste -sd'|'
}

test_next_of_reads_a_list_raw_and_never_asks_its_metamethods() {
  setup
  printf '  days: ["2026-07-01", "06-15"]\n' >> c.yaml
  # a __len of 2^63-1 and a C __index: a loop in C that no budget counted
  probe <<'LUA'
local t = setmetatable({}, { __len = function() return math.maxinteger end, __index = rawlen })
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = tostring(dt.next_of(t)) .. " " .. dt.format(dt.next_of(params.days)) }
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 nil 2026-06-15|C2 nil 2026-06-15" "$(titles)"
}

test_an_aggregate_where_is_its_own_copy_at_every_depth() {
  setup
  # the list under `in` is changed after the declaration: what check saw runs
  probe <<'LUA'
local L = { "O1" }
aggregate { id = "n", doc = "d", table = "orders", count = true, where = { id = { ["in"] = L } } }
L[1] = 42
L[2] = "O3"
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = "n " .. run.n } end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 n 1|C2 n 1" "$(titles)"
}

test_an_aggregate_where_may_come_from_params() {
  setup
  probe <<'LUA'
aggregate { id = "a", doc = "d", table = "orders", count = true, where = { id = params.probe.ids } }
aggregate { id = "b", doc = "d", table = "orders", sum = "amount", where = params.probe.where }
aggregate { id = "g", doc = "d", table = "orders", count = true, group = params.probe.groups and "id" }
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = run.a .. " " .. run.b .. " " .. run.g.O2 }
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 2 3000 1|C2 2 3000 1" "$(titles)"
}

test_an_aggregate_group_list_from_params_is_read_through_and_an_init_stays_read_only() {
  setup
  printf '  fields: [id]\n' >> c.yaml
  probe <<'LUA'
aggregate { id = "g", doc = "d", table = "orders", count = true, group = params.fields }
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = "g " .. run.g.O3 } end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 g 1|C2 g 1" "$(titles)"
  # an accumulator given from params is the params' view: a step cannot
  # change what every file reads as params
  probe <<'LUA'
aggregate { id = "a", doc = "d", table = "orders", init = params.probe,
  step = function(acc, row) acc.ids = "changed" return acc end }
rule { id = "r", doc = "d", fn = function(c) end }
LUA
  expect_eq "exit (the aggregate failed, the run went on)" 1 "$RC"
  expect_contains "read-only" "attempt to modify read-only field 'ids'" "$ERR"
}

test_a_declaration_changed_after_the_call_runs_as_checked() {
  setup
  probe <<'LUA'
local d = { id = "s", doc = "d", table = "orders", sum = "amount" }
aggregate(d)
d.sum = "id"
d.where = { id = "nothing" }
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = "s " .. run.s } end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 s 6000|C2 s 6000" "$(titles)"
}

test_an_aggregate_sum_over_a_text_column_is_refused_at_load() {
  setup
  printf 'aggregate { id = "s", doc = "d", table = "orders", sum = "id" }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:1: aggregate{}: 'sum' names orders.id, a text column; a sum is over numbers (integer, real, money, date or timestamp)" "$ERR"
}

test_a_nul_byte_in_a_name_is_refused_not_cut() {
  setup
  local body
  while IFS='|' read -r body want; do
    printf '%s\n' "$body" > r.lua
    cp_run check --config c.yaml
    expect_eq "exit ($body)" 2 "$RC"
    expect_contains "message ($body)" "$want" "$ERR"
  done <<'CASES'
local P = require("lib.people\0x")|r.lua:1: require: the module name 'lib.people\0...' holds a NUL byte
aggregate { id = "g", doc = "d", table = "orders", count = true, group = "id\0x" }|r.lua:1: orders row has no field 'id\0...': a field name contains a NUL byte
aggregate { id = "s", doc = "d", table = "orders", sum = "amount\0x" }|r.lua:1: orders row has no field 'amount\0...': a field name contains a NUL byte
rule { id = "x.a", doc = "d", needs = "orders\0x", fn = function(c) end }|r.lua:1: rule{}: 'needs' contains a NUL byte
rule { id = "x.a", doc = "d", emits = { "x.b\0x" }, fn = function(c) end }|r.lua:1: rule{}: 'emits' item 1 contains a NUL byte
rule { [1] = 2 }|r.lua:1: rule{}: fields are named (id doc emits fn needs), not a number key
CASES
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c) return c.orders:sum("amount\0x") end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "field at run" "r.lua:1: orders row has no field 'amount\\0...': a field name contains a NUL byte (rule r, client C1)" "$ERR"
}

test_emits_from_params_is_read_through() {
  setup
  printf '  ids: [r.other]\n' >> c.yaml
  probe <<'LUA'
rule { id = "r", doc = "d", emits = params.ids, fn = function(c)
  alert { rule = "r.other", severity = "info", title = "other" }
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 other|C2 other" "$(titles)"
}

test_a_failed_assign_records_nothing() {
  setup
  # the unfilled alert is checked before the assignment is recorded: a rule
  # that catches the error keeps no half of the call
  probe <<'LUA'
pool { id = "p", doc = "nobody", members = function(add) end }
rule { id = "r", doc = "d", fn = function(c)
  local ok, e = pcall(assign, { kind = "k", key = "i", pick = { pool = "p", group = "g" },
    unfilled = { severity = "info", bogus = 1 } })
  alert { severity = "info", key = "e", title = tostring(ok) .. ": " .. e }
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 false: assign{}: unfilled: unknown field 'bogus' (fields: rule key severity level assignee title data)|C2 false: assign{}: unfilled: unknown field 'bogus' (fields: rule key severity level assignee title data)" "$(titles)"
  expect_eq "assignments" 0 "$(sqlite3 s.db "SELECT count(*) FROM assignments")"
}

test_a_pick_with_a_nil_group_is_the_rules_error() {
  setup
  # README ("assign { ... pick = ...}"): a nil group fails the rule for the client
  probe <<'LUA'
pool { id = "p", doc = "nobody", members = function(add) end }
rule { id = "r", doc = "d", fn = function(c)
  local ok, e = pcall(assign, { kind = "k", key = "i", pick = { pool = "p", group = nil } })
  alert { severity = "info", key = "e", title = tostring(ok) .. ": " .. e }
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 false: assign{}: pick.group must be a string|C2 false: assign{}: pick.group must be a string" "$(titles)"
}

test_emits_lists_at_most_a_thousand_ids() {
  setup
  # 100,000 ids cost a failing rule about 10 ms a client in the writer
  probe <<'LUA'
local ids = {}
for i = 1, 1001 do ids[i] = "r.e" .. i end
rule { id = "r", doc = "d", emits = ids, fn = function(c) error("boom") end }
LUA
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "r.lua:3: rule{}: 'emits' lists 1001 ids; at most 1000" "$ERR"
  probe <<'LUA'
local ids = {}
for i = 1, 1000 do ids[i] = "r.e" .. i end
rule { id = "r", doc = "d", emits = ids, fn = function(c) alert { rule = "r.e1000", severity = "info", title = "t" } end }
LUA
  expect_eq "exit (1000)" 0 "$RC"
  expect_eq "titles" "C1 t|C2 t" "$(titles)"
}

test_run_values_are_checked_through_views_alike_for_any_jobs() {
  setup
  mkdir -p lib
  printf 'return { hello = function() return "hi" end }\n' > lib/m.lua
  local jobs
  for jobs in 1 2; do
    probe --jobs $jobs <<'LUA'
local m = require("lib.m")
global { id = "g", doc = "a module's functions", fn = function() return { m = m } end }
rule { id = "r", doc = "d", fn = function(c) end }
LUA
    expect_eq "exit (--jobs $jobs)" 3 "$RC"
    expect_contains "message (--jobs $jobs)" "r.lua:2: run value 'g' holds a function: run values are data" "$ERR"
    # null and empty_array are data, with any --jobs
    probe --jobs $jobs <<'LUA'
global { id = "g", doc = "null", fn = function() return { n = null, e = empty_array } end }
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = tostring(run.g.n == null) .. " " .. tostring(run.g.e == empty_array) }
end }
LUA
    expect_eq "exit null (--jobs $jobs)" 0 "$RC"
    expect_eq "titles (--jobs $jobs)" "C1 true true|C2 true true" "$(titles)"
  done
}

test_odd_keys_and_error_values_get_clear_messages() {
  setup
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", key = 0/0 } end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "NaN key" "alert{}: 'key' must be a string or a finite number, not " "$ERR"
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  local l = c.orders:filter(function() return true end)
  return l.count({ "not a row" }, { id = "O1" })
end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "a list item that is not a row" "item 1 of the list is a string, not a row" "$ERR"
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { a = c } } end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "the client in data" "data.a: the client, a list of rows or another of the engine's objects cannot be written as JSON; write the fields you need (rule r, client C1)" "$ERR"
  # probe-af: a row and a client's rows are userdata, which the message
  # named as such ("data: a userdata cannot be written as JSON")
  local obj
  for obj in 'c.orders[1]' 'c.orders'; do
    probe <<LUA
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { a = $obj } } end }
LUA
    expect_eq "exit ($obj in data)" 1 "$RC"
    expect_contains "$obj in data" "data.a: the client, a list of rows or another of the engine's objects cannot be written as JSON; write the fields you need (rule r, client C1)" "$ERR"
  done
  # an empty assignee is none, an empty title the rule id, as when left out
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", assignee = "", title = "" } end }
LUA
  expect_eq "empty texts: exit" 0 "$RC"
  expect_eq "empty texts: stored" "NULL|r" "$(sqlite3 s.db "SELECT DISTINCT coalesce(assignee, 'NULL') || '|' || title FROM alerts")"
}

# probe-af: a NaN in a condition (a bound, a value, a list item) matched no
# row (ne: every row) without a word; an aggregate's where alike.
test_a_nan_in_a_condition_is_an_error_naming_the_column() {
  setup
  local cond
  for cond in '{ amount = { gt = 0/0 } }' '{ amount = 0/0 }' '{ amount = { ne = 0/0 } }' \
              '{ amount = { 1, 0/0 } }' '{ ordered_on = { le = 0/0 } }'; do
    probe <<LUA
rule { id = "r", doc = "d", fn = function(c) return c.orders:count($cond) end }
LUA
    expect_eq "exit ($cond)" 1 "$RC"
    expect_contains "message ($cond)" "NaN (a 0/0 somewhere?) compares with no value, and would decide every row alike (rule r, client C1)" "$ERR"
  done
  probe <<'LUA'
aggregate { id = "n", doc = "d", table = "orders", count = true, where = { amount = { lt = 0/0 } } }
rule { id = "r", doc = "d", fn = function(c) end }
LUA
  expect_eq "exit (aggregate)" 2 "$RC"
  expect_contains "message (aggregate)" "r.lua:1: condition on orders.amount: NaN (a 0/0 somewhere?)" "$ERR"
}

test_pool_members_that_are_not_a_list_fail_the_pool() {
  setup
  probe <<'LUA'
pool { id = "p", doc = "a map view", members = function() return params.probe end }
rule { id = "r", doc = "d", fn = function(c) end }
LUA
  expect_eq "exit (the pool failed, the run went on)" 1 "$RC"
  expect_contains "message" "crmpolicy: r.lua:1: pool 'p': members(add) returned a table that is not a list of members (it has keys other than 1, 2, 3...) (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
}

test_a_number_key_is_its_value_whatever_its_subtype() {
  setup
  # 1 and 1.0 (equal in Lua), 0 and -0.0, are one key; two floats that
  # Lua's tostring (%.14g) writes alike are two keys
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  if c.id == "C1" then
    alert { severity = "info", key = 1 }
    alert { severity = "info", key = 1.0 }
  else
    alert { severity = "info", key = 123456789.123456 }
    alert { severity = "info", key = 123456789.123457 }
    alert { severity = "info", key = 2^53 }
    alert { severity = "info", key = -0.0 }
  end
end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "1.0 is the key 1" "alert{}: 'r' with key '1' was already reported for this client (rule r, client C1)" "$ERR"
  expect_eq "keys" "C2 0|C2 123456789.123456|C2 123456789.123457|C2 9007199254740992" \
    "$(sqlite3 s.db "SELECT client_id||' '||key FROM alerts ORDER BY 1" | paste -sd'|')"
}

test_a_whole_float_key_is_the_key_of_the_integer_it_equals() {
  setup
  # a whole float of 10^15 and more (2^60, 1e15: equal in Lua to the
  # integers 1 << 60 and 10^15, the same table key) was written in C's
  # exponent form, '1.152921504606847e+18', one more key beside the
  # integer's, so an id that came as a REAL one night and an INTEGER the
  # next resolved its alert and opened another; an assignee alike was an id
  # of nobody
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  if c.id == "C1" then
    alert { severity = "info", key = 1 << 60 }
    alert { severity = "info", key = 2^60 }
  else
    alert { severity = "info", key = 1e15, assignee = 2^62 }
    alert { severity = "info", key = -2^63 }
    alert { severity = "info", key = 2^63 }
    alert { severity = "info", key = 1e300 }
    alert { severity = "info", key = 1e15 + 0.5 }
  end
end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "2^60 is the key 1 << 60" \
    "alert{}: 'r' with key '1152921504606846976' was already reported for this client (rule r, client C1)" "$ERR"
  expect_eq "keys (past 2^63 a float stays one)" \
    "C2 -9223372036854775808 -|C2 1000000000000000 4611686018427387904|C2 1000000000000000.5 -|C2 1e+300 -|C2 9.223372036854776e+18 -" \
    "$(sqlite3 s.db "SELECT client_id||' '||key||' '||ifnull(assignee, '-') FROM alerts ORDER BY 1" | paste -sd'|')"
}

test_a_pool_members_number_id_is_the_assignee_a_number_gives() {
  setup
  # a member's id of a float was Lua's tostring (%.14g): 5.0 picked as
  # '5.0' where assignee = 5.0 is '5', and 2^60 as '1.1529215046068e+18',
  # 14 digits that 2^60 + 256 wrote alike (one member for two); NaN was
  # the C library's 'nan' or '-nan'
  probe <<'LUA'
pool { id = "p", doc = "d", members = function(add)
  add { id = 5.0, group = "a" } add { id = 2^60, group = "b" } add { id = 2^60 + 256, group = "c" }
end }
rule { id = "r", doc = "d", fn = function(c)
  for _, g in ipairs({"a", "b", "c"}) do assign { kind = "k", key = g, pick = { pool = "p", group = g } } end
end }
LUA
  expect_eq "exit" 0 "$RC"
  expect_eq "assignees" "a 5|b 1152921504606846976|c 1152921504606847232" \
    "$(sqlite3 s.db "SELECT DISTINCT key||' '||assignee FROM assignments ORDER BY 1" | paste -sd'|')"
  probe <<'LUA'
pool { id = "p", doc = "d", members = function(add) add { id = 0/0, group = "a" } end }
rule { id = "r", doc = "d", fn = function(c) end }
LUA
  expect_eq "NaN: exit" 1 "$RC"
  expect_contains "NaN: message" "crmpolicy: r.lua:1: a member's id is NaN or infinity, which has no digits (an id is a text or a number's digits) (pool 'p'; " "$ERR"
}

test_assign_and_fulfilled_of_one_key_are_the_rules_error() {
  setup
  # needed and done at once: the proposal stayed open, the fulfilled{}
  # dropped without a word; either order is now the rule's error, and the
  # client's earlier results stay; other keys and rules go on
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  assign { kind = "k", key = "a", assignee = "S1" }
  assign { kind = "k", key = "b", assignee = "S1" }
end }
LUA
  expect_eq "night 1: exit" 0 "$RC"
  probe <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  if c.id == "C1" then
    assign { kind = "k", key = "a", assignee = "S1" }
    fulfilled { key = "a" }
  else
    fulfilled { key = "a" }
    assign { kind = "k", key = "a", assignee = "S1" }
  end
end }
LUA
  expect_eq "exit" 1 "$RC"
  expect_contains "assign, then fulfilled" "r.lua:4: fulfilled{}: 'r' with key 'a' was already reported by assign{} for this client: an assignment is needed (assign{}) or done (fulfilled{}), not both (rule r, client C1)" "$ERR"
  expect_contains "fulfilled, then assign" "r.lua:7: assign{}: 'r' with key 'a' was already reported by fulfilled{} for this client: an assignment is needed (assign{}) or done (fulfilled{}), not both (rule r, client C2)" "$ERR"
  expect_eq "kept as they were" "C1 a proposed|C1 b proposed|C2 a proposed|C2 b proposed" \
    "$(sqlite3 s.db "SELECT client_id||' '||key||' '||status FROM assignments ORDER BY 1" | paste -sd'|')"
}

run_tests
