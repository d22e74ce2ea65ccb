#!/usr/bin/env bash
# tests/cli/test_cli.sh: golden tests of the command line: exit codes and the
# exact messages for bad configs, bad rule files and bad facts.
. "$(dirname "$0")/../lib.sh"

# Writes a minimal valid config (one rule file r.lua, clients only) to c.yaml.
minimal() {
  cat > c.yaml <<YAML
facts: f.db
state: s.db
rules: [r.lua]
clients:
  name: clients
  id: id
  columns:
    - {name: status, type: text}
YAML
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C1','A','active','2026-01-01');"
}

test_no_config_in_the_folder_says_where_commands_look() {
  cp_run check
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: crmpolicy.yaml: No such file or directory (a command reads the crmpolicy.yaml of the folder it runs in: run it in the policy's folder, or give --config PATH)" "$ERR"
  cp_run check --config other.yaml
  expect_eq "a named config: the plain message" "crmpolicy: other.yaml: No such file or directory" "$ERR"
}

test_help_lists_commands() {
  cp_run --help
  expect_eq "exit" 0 "$RC"
  expect_contains "help" "feed" "$OUT"
  # a command's usage line names its operands, as README's synopsis does (policy-aa)
  local cmd want
  for cmd in "test|FILE|DIR..." "explain|CLIENT" "init|DIR" "run|" "feed|"; do
    want="usage: crmpolicy ${cmd%%|*} [OPTIONS]${cmd#*|}"
    [ -n "${cmd#*|}" ] && want="usage: crmpolicy ${cmd%%|*} [OPTIONS] ${cmd#*|}"
    cp_run help "${cmd%%|*}"
    expect_eq "help ${cmd%%|*}: usage line" "$want" "$(printf '%s\n' "$OUT" | head -1)"
  done
}

test_operands_after_a_double_dash_are_read_as_operands() {
  cp_run init --quiet -- -p   # a folder whose name starts with a dash
  expect_eq "init -- -p: exit" 0 "$RC"
  [ -f ./-p/crmpolicy.yaml ] || fail "init -- -p wrote no project into ./-p"
  cp_run init -- a b
  expect_eq "init -- a b: exit" 2 "$RC"
  expect_eq "init -- a b: message" "crmpolicy: init: name one folder to write the policy project into (for example 'crmpolicy init my-policy')" "$ERR"
  cd ./-p || return
  cp_run explain --as-of 2026-06-01 -- -x
  expect_eq "explain -- -x: exit" 2 "$RC"
  expect_eq "explain -- -x: message" "crmpolicy: explain: no client '-x' in facts.db as of 2026-06-01 (or its created_on is after that day: give a later --as-of)" "$ERR"
}

test_unknown_command_is_usage_error() {
  cp_run frobnicate
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: unknown command 'frobnicate' (see 'crmpolicy --help')" "$ERR"
}

# A second value of one option was taken silently: feed --consumer a
# --consumer b --ack 5 moved b's cursor alone (probe-x).
test_an_option_with_a_value_given_twice_is_a_usage_error() {
  cp_run feed --consumer a --consumer b --ack 5 --state s.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: feed: option '--consumer' is given twice; give it once" "$ERR"
  cp_run report -o a.html --output b.html
  expect_eq "-o and --output: exit" 2 "$RC"
  expect_eq "-o and --output" "crmpolicy: report: option '--output' is given twice; give it once" "$ERR"
  expect_eq "nothing made" "" "$(ls -- *.html 2>/dev/null)"
  # --coverage-skip is a list
  cp_run test --coverage-skip 'a*' --coverage-skip 'b*' --config missing.yaml x.yaml
  expect_contains "--coverage-skip twice is no usage error" "missing.yaml" "$ERR"
}

test_bad_as_of_date() {
  cp_run run --as-of 2026-02-30
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --as-of: '2026-02-30' is not a date (YYYY-MM-DD, today or yesterday)" "$ERR"
}

test_as_of_yesterday_and_today_are_the_local_dates() {
  clients_config "[{name: status, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2020-01-01')"
  echo 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = dt.format(dt.today) } end }' > r.lua
  local before after
  before=$(date -d yesterday +%F)
  cp_run run --config c.yaml --as-of yesterday --quiet
  after=$(date -d yesterday +%F)   # the same, unless midnight passed in between
  expect_eq "exit" 0 "$RC"
  local got
  got=$(sqlite3 s.db "SELECT as_of || ' ' || (SELECT title FROM alerts) FROM runs")
  [ "$got" = "$before $before" ] || [ "$got" = "$after $after" ] ||
    fail "as of yesterday: run and dt.today are '$got', not $before (or $after)"
  before=$(date +%F)
  cp_run run --config c.yaml --as-of today --quiet
  after=$(date +%F)
  expect_eq "exit" 0 "$RC"
  got=$(sqlite3 s.db "SELECT as_of FROM runs ORDER BY id DESC LIMIT 1")
  [ "$got" = "$before" ] || [ "$got" = "$after" ] || fail "as of today: '$got', not $before"
}

test_missing_config_file() {
  cp_run check --config nope.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: nope.yaml: No such file or directory" "$ERR"
}

test_unknown_config_key_names_line() {
  minimal
  printf 'parms:\n  x: 1\n' >> c.yaml
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:9: unknown key 'parms'" "$ERR"
}

test_unknown_nested_config_key_names_line_and_path() {
  minimal
  printf 'limits:\n  memory_mb: 8\n  instructionz: 5\n' >> c.yaml
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:11: unknown key 'instructionz' in limits" "$ERR"
}

test_a_second_yaml_document_in_the_config_is_an_error() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  { printf -- '---\n'; cat c.yaml; printf -- '...\n'; } > c1.yaml   # one document, marked
  cp_run check --config c1.yaml
  expect_eq "exit (one document)" 0 "$RC"
  printf -- '---\nlimits: {instructions: 0}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:9: a second YAML document ('---'): the file must hold just one" "$ERR"
}

test_mistyped_config_value_names_line() {
  minimal
  printf 'limits:\n  memory_mb: lots\n' >> c.yaml
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:10: limits.memory_mb: 'lots' is not a whole number of at least 1" "$ERR"
}

test_the_summary_names_the_events_or_none() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) alert{severity="info", title="t"} end}' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 0 "$RC"
  expect_eq "events" "events: alert.opened 1" "$(printf '%s\n' "$OUT" | sed -n 2p)"
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "no events" "events: none" "$(printf '%s\n' "$OUT" | sed -n 2p)"
}

# Proposals whose pick found nobody (and gave no unfilled alert) are told
# apart in the summary: "SLA credit 717" hid 532 of them (policy-r).
test_the_summary_tells_proposals_without_an_assignee() {
  minimal
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C2','B','active','2026-01-01')"
  cat > r.lua <<'EOF'
pool { id = "p", doc = "d", members = function(add) add { id = "S1", group = "g", capacity = 1 } end }
rule { id = "a", doc = "d", fn = function(c) assign { kind = "k", pick = { pool = "p", group = "g" } } end }
rule { id = "b", doc = "d", fn = function(c) assign { kind = "m", assignee = "S1" } end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 0 "$RC"
  expect_eq "the kinds" "  assignment k                                       2  (1 without an assignee)
  assignment m                                       2" "$(printf '%s\n' "$OUT" | grep '^  assignment')"
}

test_the_summary_groups_every_count_by_thousands() {
  # 1,200 clients: each a rule error, a data problem and an event; the counts
  # are written as the clients' are (1,200), not 1200 beside them
  minimal
  cat >> c.yaml <<'YAML'
    - {name: created_on, type: date}
YAML
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
    INSERT INTO clients(id,name,status,created_on) SELECT printf('C%05d', i), 'A', 'active', '2026-01-01' FROM n;
    UPDATE clients SET created_on = 'soon'"
  cat > r.lua <<'LUA'
rule { id = "a", doc = "d", fn = function(c) alert { severity = "info" } end }
rule { id = "b", doc = "d", fn = function(c) error("no") end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 1 "$RC"
  expect_contains "counts" "1,200 clients evaluated in" "$(printf '%s\n' "$OUT" | sed -n 1p)"
  expect_contains "counts" ", 1,200 rule errors, 1,200 data problems" "$(printf '%s\n' "$OUT" | sed -n 1p)"
  expect_eq "events" "events: alert.opened 1,200" "$(printf '%s\n' "$OUT" | sed -n 2p)"
}

test_rule_syntax_error_stops_before_writing() {
  minimal
  printf 'rule{id="a", doc="d", fn=function(c)\n  if c.status then\nend}\n' > r.lua
  cp_run run --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:3: unexpected symbol near '}'" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_rule_top_level_error_names_file_and_line() {
  minimal
  printf 'local x = nil\nlocal y = x.field\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message (no traceback: the place says it all)" \
    "crmpolicy: r.lua:2: attempt to index a nil value (local 'x')" "$ERR"
}

test_rule_top_level_error_in_a_library_function_has_its_traceback() {
  minimal
  mkdir lib
  printf 'local M = {}\nfunction M.f()\n  local x = nil\n  return x.y\nend\nreturn M\n' > lib/bad.lua
  printf 'local bad = require("lib.bad")\nbad.f()\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message and traceback" "crmpolicy: ./lib/bad.lua:4: attempt to index a nil value (local 'x')
stack traceback:
	./lib/bad.lua:4: in field 'f'
	r.lua:2: in main chunk" "$ERR"
}

test_rule_runtime_error_names_rule_and_client_and_run_goes_on() {
  minimal
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C2','B','dormant','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "bad", doc = "fails for dormant clients", fn = function(c)
  if c.status == "dormant" then local t = nil; return t.x end
  alert { severity = "info", title = "seen" }
end }
rule { id = "good", doc = "always fires", fn = function(c) alert { severity = "info" } end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: attempt to index a nil value (local 't') (rule bad, client C2)" "$ERR"
  expect_eq "alerts" "C1 bad|C1 good|C2 good" \
    "$(sqlite3 s.db "SELECT client_id||' '||rule FROM alerts WHERE status='open' ORDER BY 1" | paste -sd'|')"
  expect_eq "stored error" "bad C2" "$(sqlite3 s.db "SELECT rule||' '||client_id FROM rule_errors")"
  expect_eq "run status" "incomplete" "$(sqlite3 s.db "SELECT status FROM runs")"
}

test_a_rule_error_on_a_missing_param_names_the_param() {
  minimal
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C2','B','gold','2026-01-01');"
  cat >> c.yaml <<YAML
params:
  visits: {quiet_days: 30, interval_days: {active: 10}}
YAML
  cat > r.lua <<'LUA'
local V = params.visits
rule { id = "typo", doc = "a misspelt param", fn = function(c)
  if 40 >= V.quiet_dayz then alert { severity = "info" } end
end }
rule { id = "keyed", doc = "a param keyed by the data", fn = function(c)
  local n = V.interval_days[c.status]
  if n and n > 5 then alert { severity = "info" } end
  local quiet = V.quiet_days
  if c.status == "gold" then return quiet + nil end
end }
rule { id = "missing_table", doc = "a missing params table", fn = function(c)
  return params.visit.quiet_days
end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 1 "$RC"
  # a run notes such reads from its first error about a nil on (noting costs
  # a call into C a read, and policies read missing keys on purpose): the
  # first error, C1's typo, does not name the param; every later one does
  expect_eq "messages" "crmpolicy: r.lua:3: attempt to compare nil with number (rule typo, client C1)
crmpolicy: r.lua:12: attempt to index a nil value (field 'visit') (params.visit, read on that line, is not in the config's params) (rule missing_table, client C1)
crmpolicy: r.lua:3: attempt to compare nil with number (params.visits.quiet_dayz, read on that line, is not in the config's params) (rule typo, client C2)
crmpolicy: r.lua:9: attempt to perform arithmetic on a nil value (rule keyed, client C2)
crmpolicy: r.lua:12: attempt to index a nil value (field 'visit') (params.visit, read on that line, is not in the config's params) (rule missing_table, client C2)" "$ERR"
  expect_eq "stored" "typo|missing_table|typo|keyed|missing_table" \
    "$(sqlite3 s.db "SELECT rule FROM rule_errors ORDER BY rowid" | paste -sd'|')"
  expect_contains "stored message" "(params.visits.quiet_dayz, read on that line, is not in the config's params)" \
    "$(sqlite3 s.db "SELECT message FROM rule_errors WHERE rule = 'typo' AND client_id = 'C2'")"
  # explain (and test, and check) note them from the start
  cp_run explain --config c.yaml --as-of 2026-06-01 C1
  expect_contains "explain: the first error names it" "r.lua:3: attempt to compare nil with number (params.visits.quiet_dayz, read on that line, is not in the config's params)" "$OUT$ERR"
  # with --jobs 2 too, each worker noting its own
  rm -f s.db
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2
  expect_eq "jobs exit" 1 "$RC"
  expect_contains "jobs" "(params.visits.quiet_dayz, read on that line, is not in the config's params) (rule typo, client C2)" "$ERR"
}

test_missing_facts_table() {
  minimal
  cat >> c.yaml <<YAML
tables:
  - name: visits
    key: client_id
    columns: [{name: at, type: date}]
YAML
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run run --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: table 'visits' is missing (declared at c.yaml:10)" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_missing_facts_column() {
  minimal
  cat >> c.yaml <<YAML
tables:
  - name: orders
    key: client_id
    columns: [{name: amount_cny, type: money}]
YAML
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: table 'orders' has no column 'amount_cny' (declared at c.yaml:10)" "$ERR"
}

test_missing_facts_database() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  cp_run check --config c.yaml --facts missing.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: missing.db: No such file or directory" "$ERR"
}

test_facts_file_not_a_database() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) end}' > r.lua
  echo "id,name" > notdb.db
  cp_run check --config c.yaml --facts notdb.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: notdb.db: file is not a database" "$ERR"
}

test_second_run_while_one_holds_the_lock_exits_busy() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) alert{severity="info"} end}' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "first run" 0 "$RC"
  # Another writer holds the write lock until the run is over.
  hold_lock s.db "BEGIN IMMEDIATE; SELECT 1 FROM runs LIMIT 0;"
  cp_run run --config c.yaml --as-of 2026-06-02 --wait 0
  release_lock
  expect_eq "exit" 4 "$RC"
  expect_eq "message" "crmpolicy: state: s.db is in use by another run or writer (waited 0 s; --wait SECONDS waits longer); nothing was written" "$ERR"
  expect_eq "runs" "1" "$(sqlite3 s.db 'SELECT count(*) FROM runs')"
}

test_waiting_run_proceeds_when_the_lock_is_released() {
  minimal
  echo 'rule{id="a", doc="d", fn=function(c) alert{severity="info"} end}' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01
  hold_lock s.db "BEGIN IMMEDIATE; SELECT 1 FROM runs LIMIT 0;"
  ( cp_run run --config c.yaml --as-of 2026-06-02 --wait 600 --quiet; echo "$RC" > rc ) &
  local pid=$!
  sleep 0.5   # the run is waiting by now, or will find the lock free: it passes either way
  [ -e rc ] && fail "the run ended while the lock was held: exit $(cat rc)"
  release_lock
  wait "$pid"
  expect_eq "exit" 0 "$(cat rc)"
  expect_eq "runs" "2" "$(sqlite3 s.db 'SELECT count(*) FROM runs')"
}

run_tests
