#!/usr/bin/env bash
# tests/hardening/test_run_values.sh: a run-wide value or a pool that fails
# (a global's bug on odd data, a negative capacity in the staff export) no
# longer stops the run with nothing written. It is said once and kept as a
# rule error of no client; each rule that reads it, or picks from it,
# fails for each client and keeps its results from earlier runs (no alert
# resolves, no proposal is withdrawn, no "nobody free" alert is raised);
# the other rules run; the run is committed, incomplete (exit 1); --jobs 2
# gives the same messages and state.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# policy: a global, a pool from it, a rule reading the global, a rule
# picking from the pool (with an unfilled alert), and a rule reading
# neither. GOOD=1 in the environment of the run makes them work.
policy() {
  config
  facts ""
  cat > r.lua <<'LUA'
global { id = "rate", doc = "fails on odd data", fn = function()
  if params.good then return 2 end
  local row = nil
  return row.rate
end }
pool { id = "staff", doc = "a capacity from the export", members = function(add)
  add { id = "S1", group = "rep", capacity = params.good and 5 or -1 }
end }
rule { id = "priced", doc = "reads run.rate", fn = function(c)
  alert { severity = "info", title = "rate " .. run.rate }
end }
rule { id = "staffed", doc = "picks from staff", emits = { "staffed.none" }, fn = function(c)
  assign { kind = "rep", pick = { pool = "staff", group = "rep" },
           unfilled = { rule = "staffed.none", severity = "critical", title = "nobody free" } }
end }
rule { id = "plain", doc = "reads neither", fn = function(c)
  alert { severity = "info", title = "plain " .. c.status }
end }
LUA
  printf 'params: {good: true}\n' >> c.yaml
}

# results DB: open alerts and proposed assignments, one line each.
results() {
  sqlite3 "$1" "SELECT 'alert', rule, client_id, title FROM alerts WHERE status = 'open'
                UNION ALL SELECT 'assignment', rule, client_id, assignee FROM assignments
                WHERE status = 'proposed' ORDER BY 1, 2, 3"
}

GLOBAL_MSG="crmpolicy: r.lua:4: attempt to index a nil value (local 'row') (global 'rate'; every rule that reads run.rate fails for each client and keeps its results)"
# What policy's rules leave after a night whose run values and pool are sound.
GOOD_NIGHT="alert|plain|C1|plain active
alert|plain|C2|plain active
alert|plain|C3|plain active
alert|priced|C1|rate 2
alert|priced|C2|rate 2
alert|priced|C3|rate 2
assignment|staffed|C1|S1
assignment|staffed|C2|S1
assignment|staffed|C3|S1"

POOL_MSG="crmpolicy: r.lua:7: member 'S1' (group 'rep'): capacity -1: a member's capacity and load must be whole numbers >= 0 (capacity nil: no limit) (pool 'staff'; every rule that picks from it fails for each client and keeps its results)"

test_a_failed_global_and_pool_fail_their_readers_and_keep_their_results() {
  policy
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "good night: exit" "0|" "$RC|$ERR"
  local before
  before=$(results s.db)
  expect_eq "good night: results" "$GOOD_NIGHT" "$before"
  # the next night the data is odd: the global and the pool fail
  sed -i 's/^params: {good: true}$/params: {good: false}/' c.yaml
  sqlite3 f.db "UPDATE clients SET status = 'dormant' WHERE id = 'C2'"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "odd night: exit" 1 "$RC"
  expect_eq "odd night: the global, then the pool, said once each" "$GLOBAL_MSG
stack traceback:
	r.lua:4: in function <r.lua:1>
$POOL_MSG" "$(printf '%s\n' "$ERR" | sed -n 1,4p)"
  expect_contains "a reader's error" "crmpolicy: r.lua:10: run value 'rate' failed in this run: r.lua:4: attempt to index a nil value (local 'row') (rule priced, client C1)" "$ERR"
  expect_contains "a picker's error" "crmpolicy: assign{}: pool 'staff' failed in this run: r.lua:7: member 'S1' (group 'rep'): capacity -1" "$ERR"
  expect_eq "readers and pickers keep their results; the plain rule runs" \
    "$(printf '%s\n' "$before" | sed 's/^alert|plain|C2|plain active$/alert|plain|C2|plain dormant/')" "$(results s.db)"
  expect_eq "no 'nobody free' alert" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule = 'staffed.none'")"
  expect_eq "the run, incomplete" "2|incomplete|8" \
    "$(sqlite3 s.db "SELECT id, status, rule_errors FROM runs ORDER BY id DESC LIMIT 1")"
  expect_eq "their own errors, of no client" "rate|r.lua:4: attempt to index a nil value (local 'row')
staff|r.lua:7: member 'S1' (group 'rep'): capacity -1: a member's capacity and load must be whole numbers >= 0 (capacity nil: no limit)" \
    "$(sqlite3 s.db "SELECT rule, message FROM rule_errors WHERE run_id = 2 AND client_id = '' ORDER BY rowid")"
}

test_jobs_2_fails_them_alike() {
  policy
  sed -i 's/^params: {good: true}$/params: {good: false}/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state one.db
  expect_eq "one: exit" 1 "$RC"
  local one=$ERR
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state two.db --jobs 2
  expect_eq "two: exit" 1 "$RC"
  expect_eq "two: the same messages" "$one" "$ERR"
  expect_eq "two: the same results" "$(results one.db)" "$(results two.db)"
  local q="SELECT rule, client_id, message FROM rule_errors ORDER BY rowid"
  expect_eq "two: the same rule errors" "$(sqlite3 one.db "$q")" "$(sqlite3 two.db "$q")"
}

test_a_fixture_whose_run_value_fails_fails() {
  policy
  sed -i 's/^params: {good: true}$/params: {good: false}/' c.yaml
  mkdir fx
  cat > fx/odd.yaml <<'YAML'
name: a failed global fails the fixture
facts:
  clients:
    - {id: C1, status: active, created_on: 2026-01-01}
steps:
  - as_of: 2026-06-01
    alerts:
      - {rule: plain, client: C1, severity: info}
YAML
  cp_run test --config c.yaml fx
  expect_eq "exit" 1 "$RC"
  expect_contains "said" "a run-wide value or a pool failed (see the message above)" "$OUT$ERR"
}

test_explain_shows_a_pick_from_a_failed_pool_as_its_rule_error() {
  # explain runs no pick, but it computes the pools: a rule picking from one
  # that failed is an error there as in the run, not "fired" with an
  # assignment "picked in the run" that the run never makes
  policy
  sed -i 's/^params: {good: true}$/params: {good: false}/' c.yaml
  cp_run explain --config c.yaml --as-of 2026-06-01 C1
  expect_eq "exit" 1 "$RC"
  expect_contains "the picker's status and error" "rule staffed (r.lua:12): error
  error: assign{}: pool 'staff' failed in this run: r.lua:7: member 'S1' (group 'rep'): capacity -1" "$OUT"
  case "$OUT" in
    *"picked in the run"*|*"nobody free"*) fail "a dropped pick or its unfilled alert shown: $OUT" ;;
  esac
  cp_run explain --config c.yaml --as-of 2026-06-01 --format json C1
  expect_eq "json: the picker" "error|0|assign{}: pool 'staff' failed in this run" "$(printf '%s' "$OUT" |
    python3 -c "import json, sys
r = [r for r in json.load(sys.stdin)['rules'] if r['id'] == 'staffed'][0]
print(r['status'], len(r['results']), r['error'][:41], sep='|')")"
}

test_a_run_value_too_deep_or_too_large_to_copy_fails_alone() {
  # a value built from the export (a tree of managers, a table per staff
  # row) that is too deep or too large to make read-only is the data's
  # size: the run value fails as one whose function failed, and the run
  # goes on, rather than stopping every night with nothing written
  policy
  cat >> r.lua <<'LUA'
global { id = "chain", doc = "a chain of managers 250 deep", fn = function()
  local top = {} local t = top
  for _ = 1, 250 do t.boss = {} t = t.boss end
  return top
end }
aggregate { id = "rows", doc = "a table per order row, past the heap once copied", table = "orders",
  init = {}, step = function(acc, row)
    for i = #acc + 1, #acc + 50000 do acc[i] = { i } end
    return acc
  end }
rule { id = "reads", doc = "reads them", fn = function(c)
  alert { severity = "info", title = tostring(run.chain.boss ~= nil) .. #run.rows }
end }
LUA
  printf 'limits: {memory_mb: 32}\n' >> c.yaml
  local jobs one=""
  for jobs in 1 2; do
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state s$jobs.db --jobs $jobs
    expect_eq "--jobs $jobs: exit" 1 "$RC"
    expect_contains "--jobs $jobs: the deep one" "crmpolicy: r.lua:19: run value 'chain' cannot be made read-only: a value nested deeper than 200 levels cannot be made read-only (global 'chain'; every rule that reads run.chain fails for each client and keeps its results)" "$ERR"
    expect_contains "--jobs $jobs: the large one" "crmpolicy: r.lua:24: run value 'rows' cannot be made read-only: not enough memory (aggregate 'rows'; every rule that reads run.rows fails for each client and keeps its results)" "$ERR"
    expect_eq "--jobs $jobs: the other rules ran" "$GOOD_NIGHT" "$(results s$jobs.db)"
    expect_eq "--jobs $jobs: kept as rule errors" "chain|
reads|C1
reads|C2
reads|C3
rows|" "$(sqlite3 s$jobs.db "SELECT rule, client_id FROM rule_errors ORDER BY 1, 2")"
    [ -z "$one" ] && one=$ERR
  done
  expect_eq "--jobs 2 says what --jobs 1 says" "$one" "$ERR"
}

test_jobs_2_shares_what_jobs_1_accepts_up_to_the_heap_cap() {
  # a worker copies a run value and then makes it read-only, holding for a
  # while the copy, its frozen twin and a map of its tables: under the cap
  # the largest value --jobs 1 accepted failed in each worker alone ('(nothing
  # was written)', then 'run value is not computed yet' for each client)
  policy
  cat >> r.lua <<'LUA'
global { id = "big", doc = "a table per staff row, as many as params.n", fn = function()
  local t = {}
  for i = 1, params.n do t[i] = { i } end
  return t
end }
rule { id = "reads", doc = "reads it", fn = function(c)
  alert { severity = "info", title = "rows " .. #run.big }
end }
LUA
  printf 'limits: {memory_mb: 16}\n' >> c.yaml
  # the largest n that --jobs 1 accepts, to 1/64 of the range
  local lo=1000 hi=256000 n
  while [ $((hi - lo)) -gt 4000 ]; do
    n=$(((lo + hi) / 2))
    sed -i "s/^params: .*/params: {good: true, n: $n}/" c.yaml
    rm -f s.db
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet
    case $RC in
      0) lo=$n ;;
      1) hi=$n; expect_contains "n $n: the global fails" "run value 'big' cannot be made read-only: not enough memory (global 'big'" "$ERR" ;;
      *) fail "n $n: exit $RC: $ERR"; return ;;
    esac
  done
  [ "$lo" -gt 1000 ] || { fail "no n that --jobs 1 accepts"; return; }
  sed -i "s/^params: .*/params: {good: true, n: $lo}/" c.yaml
  rm -f s.db
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2
  expect_eq "n $lo: --jobs 2 accepts it too: exit and messages" "0|" "$RC|$ERR"
  expect_eq "n $lo: read" "rows $lo" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'reads'")"
}

test_a_grouped_aggregate_past_the_heap_fails_alone() {
  # grouped by a field with a value a row (an id), the groups of a large
  # export do not fit in the Lua heap: that aggregate fails, not the run
  # ('aggregate per: out of memory', 'the run failed (out of memory)', exit 3)
  policy
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount)
    SELECT 'B'||value, 'C1', '2026-02-01', 1 FROM generate_series(1, 400000)"
  sed -i 's/^      - {name: amount, type: money, required: true}$/&\n      - {name: id, type: text}/' c.yaml
  cat >> r.lua <<'LUA'
aggregate { id = "per", doc = "orders by id", table = "orders", count = true, group = "id" }
rule { id = "reads", doc = "reads it", fn = function(c)
  alert { severity = "info", title = tostring(run.per.B1) }
end }
LUA
  printf 'limits: {memory_mb: 16}\n' >> c.yaml
  local jobs one=""
  for jobs in 1 2; do
    rm -f s.db
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $jobs
    expect_eq "--jobs $jobs: exit" 1 "$RC"
    expect_eq "--jobs $jobs: said once" "crmpolicy: r.lua:19: aggregate 'per': its 400,003 groups do not fit in the Lua heap (limits.memory_mb, 16 MiB): group by fields with fewer values, or raise the limit (aggregate 'per'; every rule that reads run.per fails for each client and keeps its results)" "$(printf '%s\n' "$ERR" | sed -n 1p)"
    expect_eq "--jobs $jobs: the other rules ran" "9" "$(results s.db | wc -l)"
    expect_eq "--jobs $jobs: kept as rule errors" "per|
reads|C1
reads|C2
reads|C3" "$(sqlite3 s.db "SELECT rule, client_id FROM rule_errors ORDER BY 1, 2")"
    [ -z "$one" ] && one=$ERR
  done
  expect_eq "--jobs 2 says what --jobs 1 says" "$one" "$ERR"
}

test_aggregates_declared_in_pairs_order_add_up_alike_with_jobs() {
  # a table read in parts by the workers (ungrouped counts; a count a
  # level, each its own) whose aggregates a loop over params declares: pairs() walks string keys in an order Lua
  # seeds anew in each state, so each worker declared them in its own
  # order, and the parts were added by position: one level's count went to
  # another's, differently each run
  policy
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on)
      SELECT printf('D%04d', value), 'd', 'active', '2026-01-01' FROM generate_series(1, 600);
    INSERT INTO contacts(id,client_id,level,channel,happened_at)
      SELECT 'W'||l.value||'_'||v.value, printf('D%04d', 1 + (v.value * 7 + l.value) % 600),
             char(97 + l.value), 'visit', '2026-04-01T10:00:00'
      FROM generate_series(0, 11) AS l JOIN generate_series(1, 6000) AS v
        ON v.value <= (l.value + 1) * 500"
  sed -i 's/^params: .*/params: {good: true, levels: {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1, i: 1, j: 1, k: 1, l: 1}}/' c.yaml
  cat >> r.lua <<'LUA'
local letters = {}
for level in pairs(params.levels) do
  aggregate { id = "n_" .. level, doc = "contacts of a level", table = "contacts", count = true,
              where = { level = level } }
  letters[#letters + 1] = level
end
table.sort(letters)
rule { id = "counts", doc = "the counts by level", fn = function(c)
  local parts = {}
  for _, l in ipairs(letters) do parts[#parts + 1] = l .. "=" .. run["n_" .. l] end
  alert { severity = "info", title = table.concat(parts, " ") }
end }
LUA
  local want="a=500 b=1000 c=1500 d=2000 e=2500 f=3000 g=3500 h=4000 i=4500 j=5000 k=5500 l=6000" jobs try
  for jobs in 1 2 3; do
    for try in 1 2 3; do
      rm -f s.db
      cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $jobs
      expect_eq "--jobs $jobs, run $try: exit" "0|" "$RC|$ERR"
      expect_eq "--jobs $jobs, run $try: the counts" "$want" \
        "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'counts'")"
    done
  done
}

test_profile_of_rules_declared_in_pairs_order_adds_up_by_id_with_jobs() {
  # each worker's profile was added to the main one's by position: with rules
  # declared in a pairs() loop, one rule's time went to another's line
  policy
  sed -i 's/^params: .*/params: {good: true, names: {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1}}/' c.yaml
  cat >> r.lua <<'LUA'
for name in pairs(params.names) do
  rule { id = "p_" .. name, doc = "slow for one name only", fn = function(c)
    if name == "e" then local x = 0 for i = 1, 200000 do x = x + i end end
  end }
end
LUA
  local jobs try
  for jobs in 1 2; do
    for try in 1 2 3; do
      rm -f s.db
      cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $jobs --profile -
      expect_eq "--jobs $jobs, run $try: exit" 0 "$RC"
      expect_eq "--jobs $jobs, run $try: the slowest rule" "p_e" \
        "$(printf '%s\n' "$OUT" | awk '$1 == "rule" && $2 ~ /^p_/ { print $5, $2 }' | sort -g -r | sed -n '1s/.* //p')"
    done
  done
}

run_tests
