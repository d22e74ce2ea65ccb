#!/usr/bin/env bash
# tests/hardening/test_isolation.sh: nothing a rule can reach is shared and
# mutable. `run` and its values to any depth, the method tables of rows,
# lists and lookups, and every other metatable the API hands out refuse
# changes; read-only views behave like tables (next, #, ipairs, data); a file
# cannot report under another file's rule ids; require stays in the rules
# folder. Each probe checks the message (file:line, rule, client) and that
# the other rules' results are intact.
. "$(dirname "$0")/../lib.sh"

# A config with two clients with orders, the staff lookup, params, and rule
# files g.lua (run values), a.lua (the probe) and b.lua (a witness).
setup() {
  cat > c.yaml <<YAML
facts: f.db
state: s.db
rules: [g.lua, a.lua, b.lua]
limits: {memory_mb: 16, instructions: 200000}
clients:
  name: clients
  id: id
  columns: [{name: status, type: text}]
tables: [{name: orders, key: client_id, id: id, columns: [{name: amount, type: money}]}]
lookups: [{name: staff, id: id, columns: [{name: id, type: text}, {name: role, type: text}]}]
params:
  visits:
    limit: 5
    list: [a, b, c]
YAML
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('O1','C1','2026-02-01',10), ('O2','C1','2026-02-01',20), ('O3','C2','2026-03-01',5);
    INSERT INTO staff(id,name,role) VALUES ('S1','a','kam'), ('S2','b','rep');"
  cat > g.lua <<'LUA'
global { id = "g", doc = "nested", fn = function() return { inner = { x = 1 }, list = { 1, 2, 3 } } end }
LUA
  # b.lua: a well-behaved rule that reports what it sees.
  cat > b.lua <<'LUA'
rule { id = "b", doc = "sees the API", fn = function(c)
  alert { severity = "info", title = table.concat({ c.id, "sum", c.orders:sum("amount"),
    "filtered", c.orders:filter(function() return true end):sum("amount"), "x", run.g.inner.x, "list", #run.g.list,
    "limit", params.visits.limit, "counter", tostring(rawget(run, "counter")),
    "upper", string.upper("x") }, " ") }
end }
LUA
}

B_SAW="C1 sum 3000 filtered 3000 x 1 list 3 limit 5 counter nil upper X|C2 sum 500 filtered 500 x 1 list 3 limit 5 counter nil upper X"

# rule_a BODY [ARGS...]: makes a.lua's rule "a" run BODY for each client,
# then runs (with ARGS) under a time limit of 60 s.
rule_a() {
  printf 'rule { id = "a", doc = "probes", fn = function(c)\n%s\nend }\n' "$1" > a.lua
  shift
  run_policy "$@"
}

# run_policy [ARGS...]: runs the config as of 2026-06-01, quietly.
run_policy() {
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet "$@" 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# titles RULE: the titles of RULE's alerts, by client, joined with '|'.
titles() {
  sqlite3 s.db "SELECT title FROM alerts WHERE rule='$1' ORDER BY client_id" 2>&1 | paste -sd'|'
}

# expect_a_failed MESSAGE: rule a failed at a.lua:2 with MESSAGE for both
# clients, and rule b saw the untouched API, run values and params.
expect_a_failed() {
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: $1 (rule a, client C1)" "$ERR"
  expect_contains "message" "a.lua:2: $1 (rule a, client C2)" "$ERR"
  expect_eq "rule errors" "a C1|a C2" "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors
    WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" 2>&1 | paste -sd'|')"
  expect_eq "what rule b saw" "$B_SAW" "$(titles b)"
}

# expect_load_error MESSAGE: the run stopped while loading with MESSAGE, and
# wrote nothing.
expect_load_error() {
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "$1" "$ERR"
  if [ -e s.db ]; then
    expect_eq "runs written" 0 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  fi
}

test_run_refuses_a_new_field() {
  setup
  rule_a 'run.counter = (rawget(run, "counter") or 0) + 1'
  expect_a_failed "run is read-only (field 'counter'): run values are computed once a run by global{} and aggregate{}"
}

test_run_refuses_replacing_a_value_for_later_rules() {
  setup
  rule_a 'run.g = { inner = { x = 99 }, list = {} }'
  expect_a_failed "run is read-only (field 'g'): run values are computed once a run by global{} and aggregate{}"
}

test_nested_run_values_are_read_only() {
  setup
  rule_a 'run.g.inner.x = 2'
  expect_a_failed "attempt to modify read-only field 'x'"
}

test_nested_run_values_are_read_only_in_workers() {
  setup
  rule_a 'run.g.list[4] = 4' --jobs 2
  expect_a_failed "attempt to modify read-only field '4'"
}

test_pairs_over_a_run_value_hands_out_only_views() {
  setup
  rule_a 'for _, v in pairs(run.g) do v.y = 1 end'
  expect_a_failed "attempt to modify read-only field 'y'"
}

test_a_table_kept_as_upvalue_does_not_change_the_run_value() {
  setup
  cat > a.lua <<'LUA'
local T = { n = 0 }
global { id = "t", doc = "the file's own table", fn = function() return T end }
rule { id = "a", doc = "changes its own local", fn = function(c)
  T.n = T.n + 1
  alert { severity = "info", title = "run " .. run.t.n .. " local " .. T.n }
end }
LUA
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "the run value is a copy" "run 0 local 1|run 0 local 2" "$(titles a)"
  expect_eq "what rule b saw" "$B_SAW" "$(titles b)"
}

test_list_methods_cannot_be_replaced_for_other_rules() {
  setup
  rule_a 'getmetatable(c.orders:filter(function() return true end)).__index.sum = function() return 42 end'
  expect_a_failed "attempt to index a nil value (field '__index')"
}

test_every_metatable_the_api_hands_out_is_protected() {
  setup
  rule_a 'local open = {}
  local values = { client = c, rows = c.orders, row = c.orders[1], list = c.orders:filter(function() return true end),
    lookup = lookup, staff = lookup.staff, staff_row = lookup.staff[1],
    staff_get = lookup.staff:get("S1"), staff_list = lookup.staff:filter(function() return true end), params = params,
    visits = params.visits, visits_list = params.visits.list, run = run, run_g = run.g,
    run_inner = run.g.inner, dt = dt, os = os, string = string, text = "", table = table,
    math = math, utf8 = utf8, coroutine = coroutine, G = _G }
  for name, v in pairs(values) do
    if getmetatable(v) ~= "read-only" then open[#open + 1] = name end
    if type(v) == "table" and pcall(setmetatable, v, {}) then open[#open + 1] = name .. "!" end
  end
  table.sort(open)
  alert { severity = "info", title = "open: " .. table.concat(open, " ") }'
  expect_eq "exit" 0 "$RC"
  expect_eq "unprotected" "open: |open: " "$(titles a)"
  expect_eq "what rule b saw" "$B_SAW" "$(titles b)"
}

test_a_derived_table_is_read_only_for_the_rules_that_share_it() {
  setup
  cat >> g.lua <<'LUA'
derive { id = "big", doc = "orders over 15", fn = function(c) return c.orders:filter({ amount = { gt = 1500 } }) end }
derive { id = "info", doc = "a table", fn = function(c) return { n = #c.orders } end }
LUA
  rule_a 'c.info.n = 0'
  expect_a_failed "attempt to modify read-only field 'n'"
  rule_a 'table.remove(c.big)'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "attempt to modify read-only field '1' (rule a, client C1)" "$ERR"
}

# probe-af: a derived value holding the client was frozen as a copy of the
# client's empty table: c.ctx.client.status read nil, c.ctx.client == c was
# false, and explain showed {}.
test_a_derived_value_holding_the_client_holds_the_client() {
  setup
  cat >> g.lua <<'LUA'
derive { id = "ctx", doc = "a context", fn = function(c) return { client = c, n = #c.orders } end }
derive { id = "me", doc = "the client", fn = function(c) return c end }
LUA
  cat > a.lua <<'LUA'
local kept
rule { id = "a", doc = "probes", fn = function(c)
  local before = kept
  kept = c.ctx
  local late = before and select(2, pcall(function() return before.client.status end))
  alert { severity = "info", title = table.concat({ c.ctx.client.id, c.ctx.client.status, c.me.status,
    tostring(c.ctx.client == c), tostring(c.me == c), tostring(late) }, " ") }
end }
LUA
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "C1 active active true true nil|C2 active active true true a.lua:5: a client object was used after its evaluation ended" "$(titles a)"
  cp_run explain --config c.yaml --as-of 2026-06-01 C1
  expect_contains "explain" "  ctx = {client = <client>, n = 2}" "$OUT"
  expect_contains "explain" "  me = <client>" "$OUT"
  rule_a 'alert { severity = "info", data = { x = c.me } }'
  expect_a_failed "alert{}: data.x: the client, a list of rows or another of the engine's objects cannot be written as JSON; write the fields you need"
}

test_a_derived_list_keeps_its_methods() {
  setup
  cat >> g.lua <<'LUA'
derive { id = "big", doc = "orders over 15", fn = function(c) return c.orders:filter({ amount = { gt = 1500 } }) end }
LUA
  rule_a 'local n = 0
  for _ in c.big:each() do n = n + 1 end
  alert { severity = "info", title = table.concat({ #c.big, c.big:count(), c.big:sum("amount"),
    n, tostring(c.big:first() == c.big[1]) }, " ") }'
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "1 1 2000 1 true|0 0 0 0 true" "$(titles a)"
}

# A module lib/m.lua in the folder of the rule files: functions and a class.
module_m() {
  mkdir -p lib
  cat > lib/m.lua <<'LUA'
local M = { n = 1 }
M.__index = M
function M.new(v) return setmetatable({ v = v }, M) end
function M:get() return self.v end
function M.twice(x) return 2 * x end
return M
LUA
}

test_a_module_cannot_be_changed_for_the_files_that_share_it() {
  setup
  module_m
  printf 'local m = require("lib.m")
rule { id = "b2", doc = "d", fn = function(c)
  alert { severity = "info", title = m.twice(2) .. " " .. m.n }
end }
' >> b.lua
  rule_a 'local m = require("lib.m"); m.twice = function() return 0 end'
  expect_a_failed "attempt to modify read-only field 'twice'"
  expect_eq "b2 saw" "4 1|4 1" "$(titles b2)"
}

test_a_module_class_still_makes_objects() {
  setup
  module_m
  cat > a.lua <<'LUA'
local M = require("lib.m")
rule { id = "a", doc = "makes objects", fn = function(c)
  local o, p = M.new(7), setmetatable({ v = 8 }, M)
  alert { severity = "info", title = o:get() .. " " .. p:get() .. " " .. tostring(getmetatable(p).get == M.get) }
end }
LUA
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "7 8 true|7 8 true" "$(titles a)"
}

test_emits_cannot_name_a_rule_of_a_later_file() {
  setup
  printf 'rule { id = "a", doc = "forges", emits = { "b" }, fn = function(c) end }\n' > a.lua
  run_policy
  expect_load_error "b.lua:1: rule{}: id 'b' is named in 'emits' of rule 'a' at a.lua:1, another file; a file may report only ids that no other file declares"
}

test_emits_cannot_name_a_rule_of_an_earlier_file() {
  setup
  printf 'rule { id = "a", doc = "forges",\n  emits = { "g.rule" }, fn = function(c) end }\n' > a.lua
  printf 'rule { id = "g.rule", doc = "owned by g", fn = function(c) end }\n' >> g.lua
  run_policy
  expect_load_error "a.lua:1: rule{}: 'emits' names 'g.rule', a rule declared in another file at g.lua:2; a file may report only ids that no other file declares"
}

# probe-af: a rule declared through pcall(rule, {...}) was taken for a file
# "=[C]" (its caller, pcall) at "[C]:-1": two files declaring so were one
# file, and a.lua reported, and could resolve, b.lua's alerts.
test_emits_cannot_name_a_rule_of_another_file_through_pcall() {
  setup
  printf 'assert(pcall(rule, { id = "a", doc = "forges", emits = { "b.x" },
  fn = function(c) alert { rule = "b.x", severity = "critical", title = "forged" } end }))\n' > a.lua
  printf 'assert(pcall(rule, { id = "b.x", doc = "owned by b", fn = function(c) end }))\n' >> b.lua
  run_policy
  expect_load_error "b.lua:7: rule{}: id 'b.x' is named in 'emits' of rule 'a' at a.lua:1, another file; a file may report only ids that no other file declares"
  # a helper of a module declares for the file that calls it
  mkdir lib
  printf 'return { declare = function(t) rule(t) end }\n' > lib/decl.lua
  printf 'local d = require("lib.decl")\nd.declare { id = "a", doc = "forges", emits = { "b.x" }, fn = function(c) end }\n' > a.lua
  sed -i '$d' b.lua
  printf 'require("lib.decl").declare { id = "b.x", doc = "owned by b", fn = function(c) end }\n' >> b.lua
  run_policy
  expect_load_error "rule{}: id 'b.x' is named in 'emits' of rule 'a' at ./lib/decl.lua:1, another file; a file may report only ids that no other file declares"
  # ... also when called in a coroutine, which sees no file's main chunk
  printf 'local d = require("lib.decl")\ncoroutine.wrap(d.declare)({ id = "a", doc = "forges", emits = { "b.x" }, fn = function(c) end })\n' > a.lua
  sed -i '$d' b.lua
  printf 'coroutine.wrap(require("lib.decl").declare)({ id = "b.x", doc = "owned by b", fn = function(c) end })\n' >> b.lua
  run_policy
  expect_load_error "rule{}: id 'b.x' is named in 'emits' of rule 'a' at ./lib/decl.lua:1, another file; a file may report only ids that no other file declares"
}

test_emits_may_name_a_rule_of_the_same_file() {
  setup
  cat > a.lua <<'LUA'
rule { id = "a", doc = "reports for a2", emits = { "a2" }, fn = function(c)
  alert { rule = "a2", severity = "info", title = "by a" }
end }
rule { id = "a2", doc = "same file", fn = function(c) end }
LUA
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "reported" "by a|by a" "$(titles a2)"
}

test_a_rule_may_emit_several_ids() {
  setup
  cat > a.lua <<'LUA'
rule { id = "a", doc = "reports for three", emits = { "a.x", "a.y", "a.z" }, fn = function(c)
  alert { rule = "a.x", severity = "info", title = "x" }
  alert { rule = "a.y", severity = "info", title = "y" }
  alert { rule = "a.z", severity = "info", title = "z" }
end }
LUA
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "a.x" "x|x" "$(titles a.x)"
  expect_eq "a.z" "z|z" "$(titles a.z)"
  printf 'rule { id = "b", doc = "itself", emits = { "b.x", "b" }, fn = function(c) end }\n' >> a.lua
  rm s.db
  run_policy
  expect_load_error "a.lua:6: rule{}: 'emits' must list other rule ids as strings"
  # nor an empty one: it reported alerts of rule "", titled ""
  sed -i '6s/emits = { "b.x", "b" }/emits = { "b.x", "" }/' a.lua
  run_policy
  expect_load_error "a.lua:6: rule{}: 'emits' item 2 is empty: a rule id is a non-empty string"
}

test_views_in_data_are_written_as_their_tables() {
  setup
  rule_a 'alert { severity = "info", data = { x = params.visits, g = run.g } }'
  expect_eq "exit" 0 "$RC"
  cp_run alerts --config c.yaml --format jsonl
  expect_contains "data" '"data":{"g":{"inner":{"x":1},"list":[1,2,3]},"x":{"limit":5,"list":["a","b","c"]}}' "$OUT"
  expect_eq "what rule b saw" "$B_SAW" "$(titles b)"
}

test_views_behave_like_tables() {
  setup
  rule_a 'local l = params.visits.list
  local n = 0
  for _ in pairs(params.visits) do n = n + 1 end
  local k = next(params.visits)
  alert { severity = "info", title = table.concat({ tostring(k ~= nil), n, #l,
    table.concat(l, ","), select("#", table.unpack(l)), rawlen(l), rawget(l, 2),
    tostring(next(run.g) ~= nil), tostring(next({})), #run.g.list }, " ") }'
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "true 2 3 a,b,c 3 3 b true nil 3|true 2 3 a,b,c 3 3 b true nil 3" "$(titles a)"
}

test_a_view_of_a_view_is_the_same_view() {
  setup
  cat >> g.lua <<'LUA'
global { id = "p", doc = "holds params", fn = function()
  local t = { visits = params.visits }
  t.self = t
  return t
end }
LUA
  rule_a 'alert { severity = "info", title = tostring(rawequal(run.p.visits, params.visits))
    .. " " .. tostring(rawequal(run.p.self.self, run.p)) }'
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "true true|true true" "$(titles a)"
}

test_a_run_value_nested_too_deep_is_refused() {
  setup
  cat >> g.lua <<'LUA'
global { id = "deep", doc = "300 levels", fn = function()
  local t = {}
  for _ = 1, 300 do t = { t } end
  return t
end }
LUA
  rule_a 'return'
  expect_eq "exit: the global fails, the run goes on" 1 "$RC"
  expect_contains "message, with the global's place" "crmpolicy: g.lua:2: run value 'deep' cannot be made read-only: a value nested deeper than 200 levels cannot be made read-only (global 'deep'; every rule that reads run.deep fails for each client and keeps its results)" "$ERR"
}

# A rules folder r/ with a module lib/ok.lua, and outside it out/evil.lua.
modules() {
  setup
  mkdir -p r/lib out
  sed -i 's/rules: \[g.lua, a.lua, b.lua\]/rules: [r\/g.lua, r\/a.lua, r\/b.lua]/' c.yaml
  mv g.lua b.lua r/
  echo 'return { ok = "inside" }' > r/lib/ok.lua
  echo 'return { ok = "outside" }' > out/evil.lua
}

test_require_refuses_a_symlinked_file_outside_the_folder() {
  modules
  ln -s "$PWD/out/evil.lua" r/lib/evil.lua
  printf 'local m = require("lib.evil")\nrule { id = "a", doc = "d", fn = function(c) end }\n' > r/a.lua
  run_policy
  expect_load_error "r/a.lua:1: require: r/lib/evil.lua resolves to $PWD/out/evil.lua, outside the rules folder r ($PWD/r); modules must be inside it"
}

test_require_refuses_a_symlinked_folder_outside() {
  modules
  ln -s "$PWD/out" r/ext
  printf 'local m = require("ext.evil")\nrule { id = "a", doc = "d", fn = function(c) end }\n' > r/a.lua
  run_policy
  expect_load_error "r/a.lua:1: require: r/ext/evil.lua resolves to $PWD/out/evil.lua, outside the rules folder r ($PWD/r)"
}

test_require_follows_a_symlink_inside_the_folder() {
  modules
  ln -s ok.lua r/lib/alias.lua
  printf 'local m = require("lib.alias")\nrule { id = "a", doc = "d", fn = function(c)\n  alert { severity = "info", title = m.ok }\nend }\n' > r/a.lua
  run_policy
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "inside|inside" "$(titles a)"
}

run_tests
