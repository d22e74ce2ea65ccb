#!/usr/bin/env bash
# tests/author/test_explain.sh: `crmpolicy explain CLIENT`: every rule,
# whether it fired, what it read and why, for a client that fires and one
# that stays quiet; the JSON form; the errors; the reasons' cap.
. "$(dirname "$0")/common.sh"

test_explain_a_client_that_fires() {
  policy
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" 'client G1 as of 2026-06-30
scope: every client (no scope{})

derived values, in the order computed:
  last = 20574
      from: visits = <1 row>

rule visit.due (r.lua:10): fired
  reads: last = 20574
  looked at: tier = gold
  why: last visit 60 days ago, interval 30
    alert visit.due: key "", warning, level 1, assignee S1, title "visit due", data {}

rule status.odd (r.lua:26): no result
  looked at: status = active' "$OUT"
  expect_eq "stderr" "" "$ERR"
}

# Run values a derived value or a rule read are shown with the client's
# fields, as run.<id> (an author asked where a share's total came from).
test_explain_shows_the_run_values_read() {
  policy
  cat >> r.lua <<'LUA'
aggregate { id = "visits_all", doc = "Visits of every client.", table = "visits", count = true }
global { id = "goal", doc = "Visits a gold client should have.", fn = function() return { per_year = 12 } end }
derive { id = "visit_share", doc = "The client's share of all visits.",
         fn = function(c) return #c.visits / run.visits_all end }
rule { id = "visit.share", doc = "Share and goal.", fn = function(c)
  why("share %.2f, goal %d", c.visit_share, run.goal.per_year)
end }
LUA
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule visit.share G1
  expect_eq "exit" 0 "$RC"
  expect_contains "the derived value's" "  visit_share = 1
      from: visits = <1 row>, run.visits_all = 1" "$OUT"
  expect_contains "the rule's" "rule visit.share (r.lua:39): no result
  reads: visit_share = 1
  looked at: run.goal = {per_year = 12}
  why: share 1.00, goal 12" "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule visit.share --format json G1
  expect_contains "as JSON" '"from":[{"name":"visits","value":"<1 row>"},{"name":"run.visits_all","value":1}]' "$OUT"
}

test_explain_a_quiet_client() {
  policy
  cp_run explain --config c.yaml --as-of 2026-06-30 B1
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" 'client B1 as of 2026-06-30
scope: every client (no scope{})

derived values, in the order computed:
  (none)

rule visit.due (r.lua:10): no result
  looked at: tier = bronze
  why: tier bronze is not checked

rule status.odd (r.lua:26): no result
  looked at: status = active' "$OUT"
}

test_explain_one_rule_as_json() {
  policy
  cp_run explain --config c.yaml --as-of 2026-06-30 --format json --rule visit.due G1
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" '{"client":"G1","as_of":"2026-06-30","in_scope":true,"scope":{"reads":[],"looked_at":[],"why":[]},"derived":[{"id":"last","value":20574,"from":[{"name":"visits","value":"<1 row>"}],"why":[]}],"rules":[{"id":"visit.due","where":"r.lua:10","status":"fired","reads":[{"name":"last","value":20574}],"looked_at":[{"name":"tier","value":"gold"}],"why":["last visit 60 days ago, interval 30"],"results":[{"what":"alert","rule":"visit.due","key":"","severity":"warning","level":1,"assignee":"S1","title":"visit due","data":{}}],"error":null}]}' "$OUT"
  printf '%s' "$OUT" > out.json
  expect_eq "valid JSON" 1 "$(sqlite3 :memory: "SELECT json_valid(CAST(readfile('out.json') AS TEXT))")"
}

test_explain_shows_a_rule_error_with_its_place() {
  policy
  sed -i 's/if c.status == "odd" then/if c.status:nope() then/' r.lua
  cp_run explain --config c.yaml --as-of 2026-06-30 B1
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "rule status.odd (r.lua:26): error
  looked at: status = active
  error: r.lua:30: attempt to call a nil value (method 'nope') (rule status.odd, client B1)" "$OUT"
}

test_explain_out_of_scope() {
  policy
  echo 'scope { doc = "Active clients.", fn = function(c) return c.status == "active" end }' >> r.lua
  sqlite3 f.db "UPDATE clients SET status = 'gone' WHERE id = 'G1'"
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 0 "$RC"
  expect_contains "stdout" "scope: out of scope
  looked at: status = gone" "$OUT"
  expect_contains "stdout" "rule visit.due (r.lua:10): skipped: the client is out of scope" "$OUT"
}

# probe-af: a scope that failed showed "scope: in scope" ("in_scope": true),
# though no rule ran for the client.
test_explain_a_scope_that_fails() {
  policy
  echo 'scope { doc = "Fails for G1.", fn = function(c) if c.id == "G1" then error("no scope") end return true end }' >> r.lua
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 1 "$RC"
  expect_contains "stdout" "client G1 as of 2026-06-30
scope: error (every rule fails for the client)" "$OUT"
  expect_contains "stdout" "rule visit.due (r.lua:10): error" "$OUT"
  expect_contains "stdout" "error: r.lua:35: no scope (the scope, client G1: every rule fails for it and keeps its results)" "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-30 --format json G1
  expect_contains "json" '"in_scope":null,' "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-30 B1
  expect_contains "another client" "scope: in scope" "$OUT"
}

# A second author's fulfilled{} showed as "fulfilled" whether or not an
# assignment was open to close: with a state, explain says which.
test_explain_says_whether_a_fulfilled_closes_an_open_assignment() {
  policy
  cat >> r.lua <<'EOF'
rule { id = "work", doc = "d", fn = function(c)
  if c.tier == "gold" and dt.today < dt.date("2026-07-01") then
    assign { kind = "k", key = "w1", assignee = "S1" }
  else
    fulfilled { key = "w1" }
  end
end }
EOF
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule work G1
  expect_eq "no state: nothing said" '    fulfilled work: key "w1"' "$(printf '%s\n' "$OUT" | tail -n 1)"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule work G1
  expect_contains "open" 'fulfilled work: key "w1" (closes the assignment the state holds, proposed 2026-06-30)' "$OUT"
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule work B1
  expect_contains "none open" 'fulfilled work: key "w1" (the state holds no open assignment of this key: nothing to close)' "$OUT"
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule work --format json G1
  expect_contains "json" '"what":"fulfilled","rule":"work","key":"w1","assignee":null,"closes":true' "$OUT"
}

# policy-s: explain runs no pool, so it could not say whom a pick had;
# the state it reads (the config's, or --state) says whom the last run
# picked, which the next run keeps.
test_explain_shows_whom_the_state_holds_for_a_pick() {
  policy
  cat >> r.lua <<'EOF'
pool { id = "p", doc = "d", members = function(add) add { id = "S1", group = "g" } end }
rule { id = "pick", doc = "d", fn = function(c)
  assign { kind = "k", pick = { pool = "p", group = "g" } }
end }
EOF
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule pick G1
  expect_contains "no state yet" 'assignment pick: key "", kind k, assignee picked in the run (from pool p, group g), data {}' "$OUT"
  [ ! -e s.db ] || fail "explain made a state database"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule pick G1
  expect_contains "text" 'assignee picked in the run (from pool p, group g) (the state: S1, proposed 2026-06-30), data {}' "$OUT"
  cp_run explain --config c.yaml --as-of 2026-07-01 --rule pick --format json G1
  expect_eq "json" "S1" "$(printf '%s' "$OUT" | python3 -c 'import json, sys
for r in json.load(sys.stdin)["rules"]:
    for x in r.get("results", []):
        if x["what"] == "assignment": print(x["state_assignee"])')"
  cp_run explain --config c.yaml --state other.db --as-of 2026-07-01 --rule pick G1
  expect_contains "--state: none there" 'group g), data {}' "$OUT"
  [ ! -e other.db ] || fail "explain made other.db"
}

test_explain_marks_an_unfilled_alert_in_text_and_json() {
  policy
  cat >> r.lua <<'EOF'
pool { id = "p", doc = "d", members = function(add) add { id = "S1", group = "g" } end }
rule { id = "pick", doc = "d", emits = {"pick.unfilled"}, fn = function(c)
  assign { kind = "k", pick = { pool = "p", group = "g" },
           unfilled = { rule = "pick.unfilled", severity = "critical", title = "nobody" } }
end }
EOF
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule pick G1
  expect_eq "exit" 0 "$RC"
  # policy-s: "assignee nobody" beside the unfilled alert read as both at once
  expect_contains "text" 'assignment pick: key "", kind k, assignee picked in the run (from pool p, group g), data {}' "$OUT"
  expect_contains "text" "(only when nobody can be picked, instead of the assignment)" "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule pick --format json G1
  expect_eq "json: the unfilled alert" "pick.unfilled true" \
    "$(printf '%s' "$OUT" | python3 -c 'import json, sys
for r in json.load(sys.stdin)["rules"]:
    for x in r.get("results", []):
        if x["what"] == "alert": print(x["rule"], json.dumps(x.get("only_when_unfilled")))')"
}

# A rule that reported only fulfilled{} says so (policy-p: its heading said
# "no result" above the fulfilled line).
test_explain_a_rule_that_only_fulfilled() {
  policy
  cat >> r.lua <<'EOF'
rule { id = "done", doc = "d", fn = function(c)
  fulfilled { key = "k1" }
end }
EOF
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule done G1
  expect_eq "exit" 0 "$RC"
  expect_contains "text" 'rule done (r.lua:35): fulfilled
    fulfilled done: key "k1"' "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-30 --rule done --format json G1
  expect_contains "json" '"status":"fulfilled"' "$OUT"
}

test_explain_errors() {
  policy
  cp_run explain --config c.yaml --as-of 2026-06-30 G7
  expect_eq "unknown client exit" 2 "$RC"
  expect_eq "unknown client" "crmpolicy: explain: no client 'G7' in f.db as of 2026-06-30" "$ERR"
  cp_run explain --config c.yaml --rule nope G1
  expect_eq "unknown rule" "crmpolicy: explain: --rule: no rule 'nope' is declared" "$ERR"
  cp_run explain --config c.yaml --format yaml G1
  expect_eq "bad format" "crmpolicy: --format: 'yaml' is not one of text, json" "$ERR"
  cp_run explain --config c.yaml
  expect_eq "no client" "crmpolicy: explain: name one client (crmpolicy explain CLIENT)" "$ERR"
  expect_eq "exit" 2 "$RC"
}

test_the_reasons_of_a_client_are_capped_by_memory_mb() {
  # a loop giving a long reason per row kept every reason in the engine's
  # memory, outside the Lua heap's cap: under a large instruction budget,
  # gigabytes; past limits.memory_mb a reason is now counted, not kept
  policy
  printf 'limits: {memory_mb: 8, instructions: 100000000}\n' >> c.yaml
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  local s = string.rep("x", 100000)
  why("first")
  for i = 1, 200 do why(s) end
end }
LUA
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 0 "$RC"
  expect_eq "reasons kept" 83 "$(printf '%s\n' "$OUT" | grep -c '^  why: xxx')"
  expect_eq "the rest counted" "  why: first
  why: (117 more reasons not kept: the reasons of a client hold at most limits.memory_mb, 8 MiB)" \
    "$(printf '%s\n' "$OUT" | grep '^  why: ' | grep -v '^  why: xxx')"
  cp_run explain --config c.yaml --as-of 2026-06-30 G1 --format json
  expect_eq "json: exit" 0 "$RC"
  expect_eq "json: the last reason" "(117 more reasons not kept: the reasons of a client hold at most limits.memory_mb, 8 MiB) 85" \
    "$(printf '%s' "$OUT" | python3 -c 'import json,sys; w=json.load(sys.stdin)["rules"][0]["why"]; print(w[-1], len(w))')"
}

test_why_is_silent_in_a_run() {
  policy
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

test_a_why_that_cannot_be_formatted_is_a_reason_not_the_rules_error() {
  # a run formats no reason, so why("%d", 1.5) never failed a run or a
  # fixture; explain raised it, and showed the rule as an error where the
  # run had it fire: the failure is now its reason, and the results are the run's
  policy
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  why("ratio %d", 1.5)
  alert { severity = "info", title = "still reported" }
end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_eq "run: exit" 0 "$RC"
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 0 "$RC"
  expect_contains "stdout" "rule r (r.lua:1): fired
  why: why() failed: r.lua:2: bad argument #2 to 'string.format' (number has no integer representation) (a run formats no reason: the rule does not fail there)
    alert r: key \"\", info, level 1, assignee nobody, title \"still reported\", data {}" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

# probe-ak: a __tostring that why() formats ran alert{} (or assign{},
# fulfilled{}), and explain showed the rule fire with an alert that the
# run, which formats no reason, never reports; a __tostring's own error
# read "r.lua:3: r.lua:3: boom", its place twice.
test_a_why_whose_formatting_reports_is_a_reason_not_the_runs_alert() {
  policy
  cat > r.lua <<'LUA'
local sneaky = setmetatable({}, {__tostring = function()
  alert { severity = "critical", title = "only in explain" }
  return "x"
end})
local boom = setmetatable({}, {__tostring = function() error("boom") end})
rule { id = "r", doc = "d", fn = function(c)
  why("%s", sneaky)
  why("%s", boom)
end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_eq "run: exit" 0 "$RC"
  expect_eq "run: alerts" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
  cp_run explain --config c.yaml --as-of 2026-06-30 G1
  expect_eq "exit" 0 "$RC"
  expect_contains "stdout" "rule r (r.lua:6): no result
  why: why() failed: r.lua:2: alert{}: called while why() formats its reason (in a __tostring, say), which a run never does (a run formats no reason: the rule does not fail there)
  why: why() failed: r.lua:5: boom (a run formats no reason: the rule does not fail there)" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

run_tests
