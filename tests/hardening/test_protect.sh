#!/usr/bin/env bash
# tests/hardening/test_protect.sh: no Lua error outside a protected call.
# What the host reads from a rule's values (pool lists, aggregate rows and
# accumulators, run values copied to --jobs workers, alert data) runs in a
# protected, budgeted call; the engine's own work after a failure has a heap
# reserve; a rule that keeps the heap full between clients is the one blamed
# and is skipped for the rest of the run; an over-long text in the facts is a
# finding. Each probe runs under `timeout` and must never abort (exit 134).
. "$(dirname "$0")/../lib.sh"

# A config with clients C1..C6 (client_staff rows for C1 and C2), rule files
# a.lua then b.lua, a 16 MiB heap and a small budget.
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
tables:
  - name: client_staff
    key: client_id
    columns:
      - {name: staff_id, type: text, required: true}
      - {name: role, type: text, required: true}
YAML
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01'),
    ('C3','C','active','2026-01-01'), ('C4','D','active','2026-01-01'),
    ('C5','E','active','2026-01-01'), ('C6','F','active','2026-01-01');
    INSERT INTO client_staff(client_id,staff_id,role,since) VALUES
    ('C1','S1','rep','2026-01-01'), ('C2','S2','rep','2026-01-01');"
  # b.lua: a well-behaved rule with an aggregate of its own.
  cat > b.lua <<'LUA'
aggregate { id = "roles", doc = "rows per role", table = "client_staff", init = {},
  step = function(acc, r) acc[r.role] = (acc[r.role] or 0) + 1 return acc end }
rule { id = "b", doc = "well behaved", fn = function(c)
  alert { severity = "info", title = c.id .. " reps " .. tostring(run.roles.rep) }
end }
LUA
  printf 'rule { id = "a", doc = "honest at first", fn = function(c) end }\n' > a.lua
}

# big_budget: a budget that lets a probe fill the heap (heap growth is
# charged to the budget: 16 MiB alone is 262,144 units), so that what the
# probe shows is the heap's story, not the budget's.
big_budget() {
  sed -i 's/instructions: 200000/instructions: 20000000/' c.yaml
}

# hostile BODY [ARGS...]: a.lua becomes BODY; runs with a time limit of 120 s.
hostile() {
  printf '%s\n' "$1" > a.lua
  shift
  OUT=$(timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet "$@" \
    2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  [ "$RC" = 134 ] && fail "the run aborted (SIGABRT)"
  [ "$RC" = 124 ] && fail "the run was still going after 120 s"
  expect_eq "no panic" "" "$(grep -i 'panic\|internal error\|AddressSanitizer' "$T/stderr")"
}

# first_run: an honest run whose state the failing runs must leave alone.
first_run() {
  timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-05-01 --quiet 2>/dev/null
  expect_eq "honest run" 0 $?
  sqlite3 s.db "SELECT count(*) FROM runs; SELECT title FROM alerts ORDER BY 1" > "$T/before"
}

# expect_pool_failed: a pool that fails no longer stops the run (exit 3,
# nothing written): the run goes on, incomplete (exit 1), the rules that
# pick from it fail for each client and keep their results, and the
# pool's own error is kept under its id, of no client.
expect_pool_failed() {
  expect_eq "exit (the pool failed, the run went on)" 1 "$RC"
  expect_eq "the pool's own error, of no client" "p|incomplete" \
    "$(sqlite3 s.db "SELECT e.rule || '|' || r.status FROM rule_errors e JOIN runs r ON r.id = e.run_id
                     WHERE e.client_id = '' AND e.run_id = (SELECT max(id) FROM runs)")"
}

# expect_nothing_written: exit 3 and the state as first_run left it.
expect_nothing_written() {
  expect_eq "exit" 3 "$RC"
  expect_contains "message" "nothing was written" "$ERR"
  expect_eq "state" "$(cat "$T/before")" \
    "$(sqlite3 s.db "SELECT count(*) FROM runs; SELECT title FROM alerts ORDER BY 1")"
}

# expect_b_intact: rule b reported for every client.
expect_b_intact() {
  expect_eq "rule b" "C1 reps 2|C2 reps 2|C3 reps 2|C4 reps 2|C5 reps 2|C6 reps 2" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule='b' ORDER BY 1" 2>&1 | paste -sd'|')"
}

test_pool_member_whose_index_errors_fails_the_pool() {
  setup
  first_run
  hostile 'pool { id = "p", doc = "bad member", members = function()
  return { setmetatable({}, { __index = function(t, k) error("no field " .. k) end }) }
end }'
  expect_pool_failed
  expect_contains "message" "a.lua:2: no field id (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
}

# A member's id or group with a NUL byte, an empty id (picked, it was the
# assignee '', nobody, with no unfilled alert) and an id of bytes that are
# not UTF-8 (written alike in JSON: probe-w) each fail the pool.
test_pool_member_id_or_group_that_is_no_sound_text_fails_the_pool() {
  setup
  first_run
  local bad
  for bad in 'id = "S\0evil", group = "rep"|a.lua:2: a member'"'"'s id and group may not contain a NUL byte (pool '"'"'p'"'"'; every rule that picks from it fails for each client and keeps its results)' \
             'id = "S1", group = "g\0h"|a member'"'"'s id and group may not contain a NUL byte' \
             'id = "", group = "rep"|a.lua:2: a member'"'"'s id may not be empty (it would be picked as nobody) (pool '"'"'p'"'"'; every rule that picks from it fails for each client and keeps its results)' \
             'id = "S\255", group = "rep"|a member'"'"'s id is not valid UTF-8 (the feed and sinks could not tell it from another) (pool '"'"'p'"'"''; do
    hostile "pool { id = \"p\", doc = \"bad\", members = function(add)
  add { ${bad%%|*} }
end }"
    expect_pool_failed
    expect_contains "${bad%%|*}: message" "${bad#*|}" "$ERR"
  done
}

test_a_pool_member_with_an_unknown_field_fails_the_pool() {
  # capcity = 1 was left out silently: the member had no limit and took
  # every client; a member from params or a run value is read through
  setup
  first_run
  hostile 'pool { id = "p", doc = "a misspelt capacity", members = function(add)
  add { id = "S1", group = "rep", capacity = 2 }
  add { id = "S7", group = "rep", capcity = 1 }
end }'
  expect_pool_failed
  expect_contains "message" "a.lua:3: member 'S7' (group 'rep'): unknown field 'capcity' (fields: id, group, capacity, load) (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
  hostile 'pool { id = "p", doc = "a misspelt load, in a list", members = function()
  return { { id = "S8", group = "rep", laod = 3 } }
end }'
  expect_pool_failed
  expect_contains "message" "member 'S8' (group 'rep'): unknown field 'laod'" "$ERR"
  hostile 'global { id = "m", doc = "d", fn = function() return { id = "S9", group = "rep", [1] = 2 } end }
pool { id = "p", doc = "a list item in a run value", members = function(add) add(run.m) end }'
  expect_pool_failed
  expect_contains "message" "member 'S9' (group 'rep'): unknown field 'number'" "$ERR"
}

test_a_pool_member_refused_for_its_capacity_or_group_is_named() {
  # the values come from facts (a staff row): the message says which member and what value
  setup
  first_run
  hostile 'pool { id = "p", doc = "a negative capacity", members = function(add)
  add { id = "S1", group = "rep", capacity = 2 }
  add { id = "S7", group = "rep", capacity = -1 }
end }'
  expect_pool_failed
  expect_contains "message" "a.lua:3: member 'S7' (group 'rep'): capacity -1: a member's capacity and load must be whole numbers >= 0 (capacity nil: no limit) (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
  hostile 'pool { id = "p", doc = "a fractional load", members = function()
  return { { id = "S8", group = "rep", load = 1.5 } }
end }'
  expect_contains "load" "member 'S8' (group 'rep'): load 1.5: a member's" "$ERR"
  # a number's text was converted (capacity "1" held as 1, "0x10" as 16),
  # where alert{}'s level and the API's other whole numbers refuse a text
  hostile 'pool { id = "p", doc = "a capacity written as text", members = function(add)
  add { id = "S1", group = "rep", capacity = 2 }
  add { id = "S7", group = "rep", capacity = "12" }
end }'
  expect_pool_failed
  expect_contains "text capacity" "a.lua:3: member 'S7' (group 'rep'): capacity the text '12': a member's capacity and load must be whole numbers >= 0 (capacity nil: no limit) (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
  hostile 'pool { id = "p", doc = "a load written as text", members = function()
  return { { id = "S8", group = "rep", load = "0x10" } }
end }'
  expect_pool_failed
  expect_contains "text load" "member 'S8' (group 'rep'): load the text '0x10': a member's" "$ERR"
  hostile 'pool { id = "p", doc = "no group", members = function(add)
  add { id = "S9", group = nil }
end }'
  expect_pool_failed
  expect_contains "group" "a.lua:2: member 'S9': group is nil: each member needs a string id and group (pool 'p'; every rule that picks from it fails for each client and keeps its results)" "$ERR"
}

test_a_proposal_kept_while_its_pool_is_empty_is_no_undefined_behaviour() {
  # an export whose staff table is empty: the kept proposal was looked up
  # in a pool without members by bsearch(NULL, 0), which UBSan stops
  setup
  cat > a.lua <<'LUA'
pool { id = "p", doc = "S1 until June", members = function(add)
  if dt.today < dt.date("2026-06-01") then add { id = "S1", group = "rep" } end
end }
rule { id = "a", doc = "a rep for C1", fn = function(c)
  if c.id == "C1" then assign { kind = "k", key = "rep", pick = { pool = "p", group = "rep" } } end
end }
LUA
  timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-05-01 --quiet 2>"$T/stderr"
  expect_eq "first run" "0 " "$? $(cat "$T/stderr")"
  OUT=$(timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  expect_eq "the pool empty" "0 " "$? $(cat "$T/stderr")"
  expect_eq "the proposal kept" "C1|S1|proposed" \
    "$(sqlite3 s.db "SELECT client_id || '|' || assignee || '|' || status FROM assignments")"
}

test_pool_member_added_twice_to_a_group_fails_the_pool() {
  setup
  first_run
  hostile 'pool { id = "p", doc = "S1 twice as a rep", members = function(add)
  add { id = "S1", group = "rep", capacity = 1 }
  add { id = "S2", group = "rep", capacity = 1 }
  add { id = "S1", group = "lead" }
  add { id = "S1", group = "rep", capacity = 1 }
end }'
  expect_pool_failed
  expect_contains "message" "a.lua:1: pool 'p': member 'S1' is added twice to group 'rep' (it would be picked under two capacities)" "$ERR"
  hostile 'pool { id = "p", doc = "S1 in two groups", members = function(add)
  add { id = "S1", group = "rep", capacity = 1 }
  add { id = "S1", group = "lead" }
end }'
  expect_eq "two groups" 0 "$RC"
}

test_a_load_at_the_integer_limit_saturates_and_never_wraps() {
  setup
  hostile 'pool { id = "p", doc = "loads at the limit", members = function(add)
  add { id = "S1", group = "rep", load = math.maxinteger }
  add { id = "S2", group = "rep", load = math.maxinteger - 1 }
end }
rule { id = "a", doc = "picks", fn = function(c)
  assign { kind = "k", key = "rep", pick = { pool = "p", group = "rep" } }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "S2 first, then both at the limit: the smaller id" "C1 S2|C2 S1|C3 S1" \
    "$(sqlite3 s.db "SELECT client_id, assignee FROM assignments WHERE rule = 'a' AND client_id <= 'C3' ORDER BY client_id" | tr '|' ' ' | paste -sd'|')"
}

test_unfilled_from_params_reads_as_its_table() {
  setup
  printf 'params:\n  unf: {rule: a.u, severity: critical, title: nobody}\n' >> c.yaml
  hostile 'pool { id = "p", doc = "nobody", members = function(add) end }
rule { id = "a", doc = "picks", emits = { "a.u" }, fn = function(c)
  assign { kind = "k", key = "rep", pick = { pool = "p", group = "rep" }, unfilled = params.unf }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "unfilled alerts" "6 critical nobody" "$(sqlite3 s.db "SELECT count(*), severity, title FROM alerts WHERE rule = 'a.u'" | tr '|' ' ')"
}

test_errors_without_a_place_get_the_rules_line() {
  setup
  for body in 'error({code = 1})' 'error(nil)' 'error("bad", 0)' 'coroutine.yield()' \
              'local m = {} m.__tostring = function(a) return tostring(a) end return tostring(setmetatable({}, m))'; do
    hostile "rule { id = \"a\", doc = \"d\", fn = function(c)
$body
end }"
    expect_eq "exit ($body)" 1 "$RC"
    expect_eq "place ($body)" 6 "$(grep -c '^crmpolicy: a.lua:2: .* (rule a, client C[1-6])$' "$T/stderr")"
    expect_b_intact
  done
  hostile 'rule { id = "a", doc = "d", fn = function(c) error("a.lua:9: given", 0) end }'
  expect_contains "a place given is kept" "crmpolicy: a.lua:9: given (rule a, client C1)" "$ERR"
}

test_errors_without_a_place_in_a_derived_value_get_its_line() {
  # the line was the reading rule's (line 5), where the rule's handler ran
  # once the derivation was over: the author looked at the wrong function
  setup
  for body in 'error("bad", 0)' 'coroutine.yield()'; do
    hostile "derive { id = \"d\", doc = \"d\", fn = function(c)
$body
end }
rule { id = \"a\", doc = \"reads it\", fn = function(c)
  alert { severity = \"info\", title = tostring(c.d) }
end }"
    expect_eq "exit ($body)" 1 "$RC"
    expect_eq "place ($body)" 6 "$(grep -c "^crmpolicy: a.lua:2: .* (in derived value 'd') (rule a, client C[1-6])\$" "$T/stderr")"
    expect_b_intact
  done
  cp_run explain --config c.yaml --as-of 2026-06-01 C1
  expect_contains "explain: the derived value's line" "d failed: a.lua:2: attempt to yield from outside a coroutine" "$OUT"
  hostile 'derive { id = "d", doc = "d", fn = function(c) error({ code = 7 }) end }
rule { id = "a", doc = "reads it", fn = function(c)
  local ok, e = pcall(function() return c.d end)
  alert { severity = "info", title = type(e) .. " " .. tostring(e.code) }
end }'
  expect_eq "a table error still reaches readers as a table" "table 7" \
    "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'a'")"
}

test_string_positions_at_the_integer_limits_are_no_undefined_behaviour() {
  setup
  hostile 'rule { id = "a", doc = "d", fn = function(c)
  local s, n = "xyz", function(...) return select("#", ...) end
  local ok = pcall(utf8.codepoint, s, math.mininteger)
  alert { severity = "info", title = table.concat({ n(s:byte(math.mininteger)),
    n(s:byte(math.mininteger, math.maxinteger)), n(s:byte(math.maxinteger)),
    n(s:byte(-3, math.mininteger)), tostring(ok) }, " ") }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "0 3 0 0 false" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='a'")"
  expect_b_intact
}

test_pool_list_metamethods_are_not_run() {
  setup
  hostile 'pool { id = "p", doc = "a list with metamethods", members = function()
  return setmetatable({}, { __index = function() error("read") end,
                            __len = function() while true do end end })
end }
rule { id = "a", doc = "assigns from it", fn = function(c)
  assign { kind = "k", key = "x", pick = { pool = "p", group = "g" } }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "ERR" "" "$ERR"
  expect_b_intact
  expect_eq "nobody picked" "6" \
    "$(sqlite3 s.db "SELECT count(*) FROM assignments WHERE rule='a' AND assignee IS NULL")"
}

test_pool_member_whose_index_loops_runs_out_of_budget() {
  setup
  first_run
  hostile 'pool { id = "p", doc = "looping member", members = function()
  return { setmetatable({}, { __index = function() while true do end end }) }
end }'
  expect_pool_failed
  expect_contains "message" "a.lua:2: instruction budget of 200000 exceeded (pool 'p'" "$ERR"
}

test_aggregate_step_cannot_trap_the_reused_row() {
  setup
  hostile 'aggregate { id = "trap", doc = "sets metamethods on the row", table = "client_staff",
  init = 0, step = function(acc, r)
    setmetatable(r, { __newindex = function() error("trapped") end,
                      __index = function() error("trapped") end })
    return acc + 1
  end }
rule { id = "a", doc = "reads it", fn = function(c)
  alert { severity = "info", title = "trap " .. run.trap }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "ERR" "" "$ERR"
  expect_b_intact
  expect_eq "aggregate" "trap 2" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='a'")"
}

# An aggregate's step that fails no longer stops the run (exit 3): the
# aggregate is failed, its readers fail for each client and keep their
# results, the other rules run, and the run is committed, incomplete.
test_aggregate_step_error_names_the_aggregate_and_fails_its_readers() {
  setup
  first_run
  hostile 'aggregate { id = "bad", doc = "fails", table = "client_staff", init = 0,
  step = function(acc, r) return acc + r.role end }
rule { id = "a", doc = "reads it", fn = function(c) alert { severity = "info", title = "bad " .. run.bad } end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: attempt to add" "$ERR"
  expect_contains "message" "(aggregate 'bad'; every rule that reads run.bad fails for each client and keeps its results)" "$ERR"
  expect_contains "its reader" "a.lua:3: run value 'bad' failed in this run: a.lua:2: attempt to" "$ERR"
  expect_eq "the other rules' results" "$(grep -v '^bad' "$T/before" | sed 1d)" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE status = 'open' AND rule != 'a' ORDER BY 1")"
  expect_eq "the run, incomplete" "2|incomplete" "$(sqlite3 s.db "SELECT id, status FROM runs ORDER BY id DESC LIMIT 1")"
}

test_dag_run_value_is_copied_once_per_table_for_jobs() {
  setup
  hostile 'global { id = "dag", doc = "a DAG 30 deep", fn = function()
  local t = {} for i = 1, 30 do t = { t, t } end return t
end }
rule { id = "a", doc = "reads it", fn = function(c)
  alert { severity = "info", title = "dag " .. #run.dag[1][2][1] }
end }' --jobs 2
  expect_eq "exit" 0 "$RC"
  expect_b_intact
  expect_eq "dag" "dag 2" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='a'")"
}

test_run_values_share_alike_with_any_jobs_up_to_the_depth_freeze_allows() {
  setup
  first_run
  # a DAG 60 deep, a table that contains itself and a lookup's row and rows:
  # --jobs 2 copies them to its workers (the row made anew there)
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: role, type: text}]}\n' >> c.yaml
  sqlite3 f.db "INSERT INTO staff(id,name,role) VALUES ('S1','a','vp'), ('S2','b','rep')"
  for jobs in 1 2; do
    rm -f s.db s.db-wal s.db-shm
    hostile 'global { id = "dag", doc = "a DAG 60 deep", fn = function()
  local t = {} for i = 1, 60 do t = { t, t } end return t
end }
global { id = "cycle", doc = "contains itself", fn = function() local t = { n = 7 } t.self = t return t end }
global { id = "vp", doc = "a lookup row", fn = function() return { row = lookup.staff:get("S1"), all = lookup.staff } end }
global { id = "reps", doc = "a list of lookup rows", fn = function() return lookup.staff:filter({ role = "rep" }) end }
rule { id = "a", doc = "reads them", fn = function(c)
  local depth, t = 0, run.dag
  while t[1] do depth, t = depth + 1, t[1] end
  alert { severity = "info", assignee = run.vp.row.id, title = depth .. " " .. run.cycle.self.self.n .. " " .. run.vp.all:count() .. " " .. run.reps:count() .. run.reps[1].id }
end }' --jobs $jobs
    expect_eq "--jobs $jobs: exit" 0 "$RC"
    expect_eq "--jobs $jobs: titles" "60 7 2 1S2|S1" "$(sqlite3 s.db "SELECT DISTINCT title||'|'||assignee FROM alerts WHERE rule = 'a'")"
  done
  hostile 'global { id = "dag", doc = "a DAG 250 deep", fn = function()
  local t = {} for i = 1, 250 do t = { t, t } end return t
end }
rule { id = "a", doc = "reads it", fn = function(c) alert { severity = "info", title = #run.dag } end }' --jobs 2
  expect_eq "250 deep: exit (the global fails, the run goes on)" 1 "$RC"
  expect_contains "250 deep: refused alike" "crmpolicy: a.lua:1: run value 'dag' cannot be made read-only: a value nested deeper than 200 levels cannot be made read-only (global 'dag'; every rule that reads run.dag fails for each client and keeps its results)" "$ERR"
}

test_function_run_values_are_refused_with_any_jobs() {
  setup
  first_run
  # code in a run value would let another file reach this file's locals:
  # refused whatever --jobs says, functions and coroutines, at any depth
  for jobs in 1 2; do
    hostile 'local seen = 0
global { id = "fns", doc = "holds a function", fn = function()
  return { deep = { [function() seen = seen + 1 end] = true } }
end }' --jobs $jobs
    expect_nothing_written
    expect_contains "message (--jobs $jobs)" "a.lua:2: run value 'fns' holds a function: run values are data" "$ERR"
  done
  hostile 'global { id = "co", doc = "a coroutine", fn = function() return coroutine.create(print) end }'
  expect_nothing_written
  expect_contains "message (a coroutine)" "a.lua:1: run value 'co' holds a thread: run values are data" "$ERR"
  # a run value is frozen data: a metatable the rule gave it is not part of
  # it (isolation), so it is shared as its own fields, alike for any --jobs
  hostile 'global { id = "inherits", doc = "fields of its own and an __index", fn = function()
  return setmetatable({ a = 1 }, { __index = { b = 2 } })
end }
rule { id = "a", doc = "reads it", fn = function(c)
  alert { severity = "info", title = tostring(run.inherits.a) .. "/" .. tostring(run.inherits.b) }
end }' --jobs 2
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "1/nil" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'a'")"
}

test_accumulator_with_a_metatable_is_shared_as_data_for_jobs() {
  setup
  first_run
  # the frozen run value keeps no metatable of the rule's: its __index never
  # runs in the host, and the workers get the same plain value
  hostile 'aggregate { id = "acc", doc = "an accumulator with an __index", table = "client_staff",
  init = setmetatable({}, { __index = function() error("boom") end }),
  step = function(acc, r) return acc end }' --jobs 2
  expect_eq "exit" 0 "$RC"
  expect_eq "message" "" "$ERR"
}

test_dag_in_data_is_bounded() {
  setup
  big_budget
  hostile 'rule { id = "a", doc = "a DAG as data", fn = function(c)
  local t = {} for i = 1, 30 do t = { t, t } end
  alert { severity = "info", data = { x = t } }
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:3: alert{}: data: more than 1048576 bytes as JSON (rule a, client C6)" "$ERR"
  expect_b_intact
}

test_a_long_string_or_its_escapes_in_data_are_bounded() {
  setup
  big_budget
  hostile 'local S, E = string.rep("x", 3 << 20), string.rep("\1", 200000)
rule { id = "a", doc = "a long string as data", fn = function(c)
  if c.id == "C4" then alert { severity = "info", data = { s = S } } end
  if c.id == "C5" then alert { severity = "info", data = { s = E } } end
  if c.id == "C6" then alert { severity = "info", data = { a = string.rep("y", 1 << 20), b = 1 } } end
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "alert{}: data: more than 1048576 bytes as JSON (rule a, client C4)" "$ERR"
  expect_contains "message: escapes" "alert{}: data: more than 1048576 bytes as JSON (rule a, client C5)" "$ERR"
  expect_contains "message: a value after" "alert{}: data: more than 1048576 bytes as JSON (rule a, client C6)" "$ERR"
  expect_eq "nothing of a stored" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule = 'a'")"
  expect_b_intact
}

test_a_weak_table_in_data_is_refused_not_read_after_the_collector_freed_it() {
  setup
  big_budget
  first_run
  # a weak-valued data table whose nested objects have more than 16 keys:
  # the key list grows (an allocation, so a collection) while it is written
  hostile 'rule { id = "a", doc = "weak data", fn = function(c)
  local W = setmetatable({}, { __mode = "v" })
  for i = 1, 40 do
    local t = {}
    for j = 1, 20 do t["k" .. j .. string.rep("x", 60)] = j end
    W["key" .. i .. string.rep("y", 60)] = t
  end
  collectgarbage("count")
  alert { severity = "info", title = "weak", data = W }
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:9: alert{}: data: a weak table (__mode) cannot be written as JSON: the collector would remove its entries while it is written (rule a, client C1)" "$ERR"
  expect_eq "no alert of a" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule='a'")"
  expect_b_intact
}

test_a_weak_condition_table_is_refused() {
  setup
  first_run
  hostile 'rule { id = "a", doc = "weak condition", fn = function(c)
  local W = setmetatable({}, { __mode = "v" })
  W.role = { ["in"] = { "rep", "boss" } }
  alert { severity = "info", title = tostring(c.client_staff:count(W)) }
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "top" "a.lua:4: a condition table cannot be weak (__mode): the collector would remove its entries while rows are compared (rule a, client C1)" "$ERR"
  hostile 'rule { id = "a", doc = "weak list", fn = function(c)
  local list = setmetatable({ "rep" }, { __mode = "k" })
  alert { severity = "info", title = tostring(c.client_staff:count({ role = list })) }
end }'
  expect_contains "a list" "a.lua:3: a condition table cannot be weak (__mode)" "$ERR"
  expect_b_intact
}

test_coroutines_closed_inside_each_other_stop_at_a_depth_not_the_c_stack() {
  setup
  big_budget
  first_run
  # each coroutine's <close> handler closes the one made before it: Lua 5.4.4
  # does not bound that nesting, and the C stack would overflow (SIGSEGV)
  hostile 'rule { id = "a", doc = "nested closes", fn = function(c)
  local co, failed = false, {}
  for i = 1, 5000 do
    local previous = co
    co = coroutine.create(function()
      local x <close> = setmetatable({}, { __close = function()
        if previous then
          local ok, err = coroutine.close(previous)
          if not ok then failed[#failed + 1] = err end
        end
      end })
      coroutine.yield()
    end)
    coroutine.resume(co)
  end
  local ok = coroutine.close(co)
  alert { severity = "info", title = tostring(ok) .. " " .. #failed .. " " .. tostring(failed[1]) }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "titles" "true 1 a.lua:8: coroutines nested deeper than 100 (a resume or close inside another's)" \
    "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='a'")"
  expect_b_intact
}

test_a_derived_values_table_error_is_read_only_for_every_reader() {
  setup
  first_run
  # a.lua's rule changes the error object; b.lua's rule reads it after
  printf '%s\n' 'derive { id = "x", doc = "fails with a table", fn = function(c) error({ code = 1 }) end }
rule { id = "b", doc = "reads the error", fn = function(c)
  local ok, e = pcall(function() return c.x end)
  alert { severity = "info", title = "code " .. tostring(e.code) }
end }' > b.lua
  hostile 'rule { id = "a", doc = "changes the error", fn = function(c)
  local ok, e = pcall(function() return c.x end)
  e.code = "changed"
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "a may not change it" "a.lua:3: attempt to modify read-only field 'code' (rule a, client C1)" "$ERR"
  expect_eq "b reads 1" "code 1" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule='b'")"
}

test_a_derived_value_that_ran_out_of_one_rules_budget_is_derived_again_for_the_next() {
  setup
  # a.lua's rule spends most of its budget, then reads c.shared, whose
  # derivation runs out of it; b.lua's rule, with a budget of its own, reads it
  printf '%s\n' 'derive { id = "shared", doc = "costs 60,000 instructions", fn = function(c)
  local n = 0
  for i = 1, 20000 do n = n + i end
  return n
end }
rule { id = "b", doc = "reads it", fn = function(c)
  alert { severity = "info", title = "shared " .. c.shared }
end }' > b.lua
  hostile 'rule { id = "a", doc = "spends its budget", fn = function(c)
  local n = 0
  for i = 1, 80000 do n = n + 1 end
  return c.shared
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "a's own budget" "instruction budget of 200000 exceeded" "$ERR"
  expect_eq "no other message" "" "$(grep -v '^crmpolicy: b.lua:3: instruction budget of 200000 exceeded (rule a, client C[1-6])$' "$T/stderr")"
  expect_eq "b for every client" "6|shared 200010000" \
    "$(sqlite3 s.db "SELECT count(*), min(title) FROM alerts WHERE rule='b'")"
  expect_eq "b has no rule error" 0 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors WHERE rule='b'")"
}

test_a_derived_value_holding_the_heap_is_blamed_not_its_readers() {
  setup
  big_budget
  first_run
  hostile 'local keep = {}
derive { id = "d", doc = "keeps 2 MiB a client", fn = function(c)
  keep[#keep + 1] = string.rep(c.id, 1 << 20)
  return #keep
end }
rule { id = "a", doc = "reads d", fn = function(c) alert { severity = "info", title = "d " .. c.d } end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "the derived value is named" "a.lua:2: derived value 'd' keeps" "$ERR"
  expect_contains "what becomes of it" "of the Lua heap after it was derived (cap 16 MiB): memory kept between clients, e.g. in a top-level local; its largest upvalues are cleared and it fails for the rest of the run (rule a, client C" "$ERR"
  expect_eq "no rule is blamed" "" "$(grep 'rule a keeps' "$T/stderr")"
  local blamed
  blamed=$(sqlite3 s.db "SELECT min(client_id) FROM rule_errors WHERE run_id = (SELECT max(id) FROM runs)")
  expect_eq "rule errors: a, from the blamed client on" \
    "$(for c in C1 C2 C3 C4 C5 C6; do [[ "$c" < "$blamed" ]] || printf 'a %s\n' "$c"; done | paste -sd'|')" \
    "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" | paste -sd'|')"
  expect_eq "a's alerts before it" "$(for c in C1 C2 C3 C4 C5 C6; do [[ "$c" < "$blamed" ]] && printf '%s\n' "$c"; done | paste -sd'|')" \
    "$(sqlite3 s.db "SELECT client_id FROM alerts WHERE rule='a' ORDER BY 1" | paste -sd'|')"
  expect_b_intact
}

test_results_reported_from_inside_another_keep_their_own_fields() {
  setup
  first_run
  # a member's id read through __index adds members (the array moves), and
  # an alert's title read through __index reports another alert (its data
  # is written where the outer one's was)
  hostile 'pool { id = "p", doc = "re-entrant", members = function(add)
  add(setmetatable({ group = "g" }, { __index = function(t, k)
    if k == "id" then for i = 1, 200 do add { id = "n" .. i, group = "g" } end return "outer" end
  end }))
end }
rule { id = "a", doc = "re-entrant", fn = function(c)
  alert(setmetatable({ key = "outer", severity = "info", data = { a = "outer data" } }, { __index = function(t, k)
    if k == "title" then
      alert { key = "inner", severity = "info", title = "inner", data = { y = string.rep("y", 5000) } }
      return "outer"
    end
  end }))
  assign { kind = "k", key = "pick", pick = { pool = "p", group = "g" } }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "each alert its own data" "inner|5000|outer|{\"a\":\"outer data\"}" \
    "$(sqlite3 s.db "SELECT key||'|'||CASE key WHEN 'inner' THEN length(json_extract(data, '\$.y')) ELSE data END FROM alerts WHERE rule = 'a' AND client_id = 'C1' ORDER BY key" | paste -sd'|')"
  expect_eq "201 members: the first picks go to n1, n10 ... by id" "n1" \
    "$(sqlite3 s.db "SELECT assignee FROM assignments WHERE rule = 'a' AND client_id = 'C1'")"
  # a data key that is not UTF-8 would be written like another (U+FFFD)
  hostile 'rule { id = "a", doc = "GBK keys", fn = function(c)
  alert { severity = "info", title = "t", data = { ["\177\177"] = 1, ["\196\207"] = 2 } }
end }'
  expect_eq "GBK keys: exit" 1 "$RC"
  expect_contains "GBK keys: the rule's error" "a.lua:2: alert{}: data: a key is not valid UTF-8 (JSON would write it like another) (rule a, client C1)" "$ERR"
  # an __index that reports the very alert being read: reported twice
  hostile 'rule { id = "a", doc = "twice", fn = function(c)
  alert(setmetatable({ key = "k", severity = "info" }, { __index = function(t, k)
    if k == "title" then alert { key = "k", severity = "info", title = "inner" } return "outer" end
  end }))
end }'
  expect_eq "twice: exit" 1 "$RC"
  expect_contains "twice: the rule's error" "a.lua:2: alert{}: 'a' with key 'k' was already reported for this client (rule a, client C1)" "$ERR"
  # max() and min() over a hand-made list of rows of two tables: role is a
  # text in one and a number in the other
  printf 'lookups:\n  - {name: grades, id: id, columns: [{name: id, type: text}, {name: role, type: integer}]}\n' >> c.yaml
  sqlite3 f.db "CREATE TABLE grades(id TEXT, role INTEGER); INSERT INTO grades VALUES ('G1', 1234567)"
  hostile 'rule { id = "a", doc = "mixed rows", fn = function(c)
  if not c.client_staff[1] then return end
  local rows = { c.client_staff[1], lookup.grades:get("G1") }
  alert { severity = "info", title = tostring(c.client_staff.max(rows, "role")) }
end }'
  expect_eq "mixed: exit" 1 "$RC"
  expect_contains "mixed: the rule's error" "a.lua:4: max() and min() compare values of one kind, not a text and a number (rows of different tables?) (rule a, client C1)" "$ERR"
}

test_a_derived_value_with_a_large_constant_is_not_blamed_for_a_rules_memory() {
  setup
  sed -i 's/limits: {memory_mb: 16, instructions: 200000}/limits: {memory_mb: 64, instructions: 200000000}/' c.yaml
  first_run
  # d holds a 30 MB text made when the file loaded (and never more); the rule
  # keeps 5 MiB a client: at the blame it holds less than d's constant, but
  # its upvalues are the ones that grew
  hostile 'local TEXT = string.rep("x", 30 << 20)
local keep = {}
derive { id = "d", doc = "reads a constant", fn = function(c) return #TEXT end }
rule { id = "a", doc = "keeps 5 MiB a client", fn = function(c)
  keep[#keep + 1] = string.rep(c.id, 5 << 19)
  alert { severity = "info", title = "d " .. c.d }
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "the rule is blamed" "a.lua:4: rule a keeps" "$ERR"
  expect_eq "the derived value is not" "" "$(grep "derived value 'd' keeps" "$T/stderr")"
  expect_b_intact
}

test_heap_holder_is_blamed_and_skipped() {
  setup
  big_budget
  first_run
  hostile 'local keep = {}
rule { id = "a", doc = "keeps the heap full", fn = function(c)
  pcall(function() while true do keep[#keep + 1] = string.rep(c.id, 1 << 18) end end)
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: rule a keeps" "$ERR"
  expect_contains "message" "of the Lua heap after it returned (cap 16 MiB): memory kept between clients, e.g. in a top-level local; the rule is skipped for the rest of the run, its earlier results kept (rule a, client C1)" "$ERR"
  expect_eq "printed once" 1 "$(grep -c 'keeps' "$T/stderr")"
  expect_eq "rule errors" "a C1|a C2|a C3|a C4|a C5|a C6" "$(sqlite3 s.db "SELECT rule||' '||client_id
    FROM rule_errors WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" | paste -sd'|')"
  expect_b_intact
}

test_a_big_clients_own_rows_are_not_memory_kept_between_clients() {
  # C1 has 130,000 rows: the row objects a rule reads are the client's own,
  # kept until it ends (over half the heap here); nothing stays after it
  setup
  big_budget
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 130000)
    INSERT INTO client_staff(client_id,staff_id,role,since) SELECT 'C1', 'S' || i, 'x', '2026-01-01' FROM n"
  hostile 'scope { doc = "reads every row too", fn = function(c)
  local n = 0
  for _, r in ipairs(c.client_staff) do n = n + #r.staff_id end
  return n >= 0
end }
derive { id = "ids", doc = "a list as long as the rows", fn = function(c)
  local t = {}
  for i, r in ipairs(c.client_staff) do if i % 8 == 0 then t[#t + 1] = r.staff_id end end
  return t
end }
rule { id = "a", doc = "honest, on a big client", fn = function(c)
  local n = 0
  for _, r in ipairs(c.client_staff) do n = n + #r.staff_id end
  alert { severity = "info", title = "a " .. c.id .. " " .. #c.ids }
end }
rule { id = "a2", doc = "reads the same", fn = function(c)
  alert { severity = "info", title = "a2 " .. c.id .. " " .. #c.ids }
end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "errors" "" "$ERR"
  expect_eq "rules a and a2" "a C1 16250|a C2 0|a C3 0|a C4 0|a C5 0|a C6 0|a2 C1 16250|a2 C2 0|a2 C3 0|a2 C4 0|a2 C5 0|a2 C6 0" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule LIKE 'a%' ORDER BY 1" | paste -sd'|')"
}

test_heap_holder_with_an_alert_keeps_its_earlier_result() {
  setup
  big_budget
  printf 'rule { id = "a", doc = "honest", fn = function(c) alert { severity = "info", title = "a " .. c.id } end }\n' > a.lua
  timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-05-01 --quiet 2>/dev/null
  hostile 'local keep = {}
rule { id = "a", doc = "keeps more each client", fn = function(c)
  alert { severity = "info", title = "a " .. c.id }
  keep[#keep + 1] = string.rep(c.id, 1 << 21)
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: rule a keeps" "$ERR"
  expect_eq "rule a kept its alerts" "a C1|a C2|a C3|a C4|a C5|a C6" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule='a' AND status='open' ORDER BY 1" | paste -sd'|')"
  expect_b_intact
}

test_heap_held_in_a_module_blames_only_its_rule() {
  setup
  big_budget
  cat > m.lua <<'LUA'
local cache = {}
return { add = function(id) cache[#cache + 1] = string.rep(id, 1 << 21) end }
LUA
  hostile 'local m = require("m")
rule { id = "a", doc = "keeps the heap through a module", fn = function(c) m.add(c.id) end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: rule a keeps" "$ERR"
  expect_eq "printed once" 1 "$(grep -c 'keeps' "$T/stderr")"
  expect_eq "rule b never failed" 0 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors WHERE rule='b'")"
  expect_b_intact
}

test_scope_holding_the_heap_is_blamed_not_the_next_rule() {
  setup
  big_budget
  first_run
  hostile 'local keep = {}
scope { doc = "keeps the heap full", fn = function(c)
  pcall(function() while true do keep[#keep + 1] = string.rep(c.id, 1 << 18) end end)
  return true
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "a.lua:2: the scope keeps" "$ERR"
  expect_contains "message" "its largest upvalues are cleared (the scope, client C1: every rule fails for it and keeps its results)" "$ERR"
  expect_eq "rule errors" "b C1" "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors
    WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" | paste -sd'|')"
  expect_b_intact
}

test_a_failing_scope_is_blamed_once_a_client_and_keeps_every_rule() {
  setup
  first_run
  # alert{} is refused outside a rule; the scope's failure is printed once
  # for the client, named as the scope's, and stored for each rule, whose
  # results stay as they were
  hostile 'rule { id = "a", doc = "nothing", fn = function(c) end }
scope { doc = "reports", fn = function(c)
  if c.id == "C2" then alert { severity = "info", key = "x", title = "from the scope" } end
  return true
end }'
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "crmpolicy: a.lua:3: alert{} can only be called while a rule is evaluated (the scope, client C2: every rule fails for it and keeps its results)" "$ERR"
  expect_eq "rule errors" "a C2|b C2" "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors
    WHERE run_id = (SELECT max(id) FROM runs) ORDER BY 1" | paste -sd'|')"
  expect_b_intact
}

test_huge_error_message_is_cut() {
  setup
  big_budget
  hostile 'rule { id = "a", doc = "raises a huge message", fn = function(c)
  error(string.rep("x", 4 << 20))
end }'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "xxx... (4194313 bytes) (rule a, client C1)" "$ERR"
  [ "$(wc -c < "$T/stderr")" -lt 100000 ] || fail "stderr holds $(wc -c < "$T/stderr") bytes"
  expect_b_intact
}

test_long_fact_text_is_a_finding() {
  setup
  sqlite3 f.db "UPDATE client_staff SET role = hex(zeroblob(1500000)) WHERE client_id = 'C1'"
  hostile 'rule { id = "a", doc = "reads the rows", fn = function(c)
  for r in c.client_staff:each() do
    alert { severity = "info", key = r.staff_id, title = tostring(r.role) }
  end
end }'
  expect_eq "exit" 0 "$RC"
  expect_contains "message" "facts: client_staff row (client C1) column role: '0000" "$ERR"
  expect_contains "message" "is a text of 3000000 bytes, longer than the 1048576 bytes a fact value may hold (1/16 of limits.memory_mb)" "$ERR"
  expect_eq "finding" "client_staff role" "$(sqlite3 s.db "SELECT tbl||' '||col FROM findings")"
  expect_eq "rule a" "nil|rep" "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule='a' ORDER BY 1" | paste -sd'|')"
  expect_eq "the aggregate left the row out" "C1 reps 1" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule='b' AND client_id='C1'")"
}

test_long_client_id_is_a_finding() {
  setup
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on)
    VALUES ('C0' || hex(zeroblob(1000000)), 'L', 'active', '2026-01-01')"
  hostile 'rule { id = "a", doc = "honest", fn = function(c) end }'
  expect_eq "exit" 0 "$RC"
  expect_contains "message" "00000000... column id: 'C00000" "$ERR"
  expect_contains "message" "is a client id of 2000002 bytes, longer than 1024; the row is skipped" "$ERR"
  [ "$(wc -c < "$T/stderr")" -lt 2000 ] || fail "stderr holds $(wc -c < "$T/stderr") bytes"
  expect_b_intact
}

# probe-af: require loaded the module's file on the main thread's stack, so
# that a require inside a coroutine called what the coroutine had on top
# ("attempt to call a nil value"), gave the module's file an environment
# without the rule API, and, repeated, ended the run with an internal error.
test_a_require_inside_a_coroutine_loads_the_module_as_at_the_top() {
  setup
  big_budget
  first_run
  mkdir lib
  printf 'rule { id = "m", doc = "from the module", fn = function(c) end }\nreturn { x = 1 }\n' > lib/m.lua
  hostile 'local m = coroutine.wrap(function() return require("lib.m") end)()
for i = 1, 20000 do pcall(coroutine.wrap(function() require("lib.m") end)) end
rule { id = "a", doc = "d", fn = function(c) alert { severity = "info", title = "x " .. m.x } end }'
  expect_eq "exit" 0 "$RC"
  expect_eq "the module's value" "x 1" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'a'")"
  expect_b_intact
}

run_tests
