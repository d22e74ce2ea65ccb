#!/usr/bin/env bash
# tests/hardening/test_texts.sh: text is data, never control. A NUL byte in
# a client id or a row's client key is a finding (the row is quarantined,
# never merged with another client's); a NUL in a key, title or data key
# from a rule is that rule's error. Every JSON output is valid UTF-8 (a byte
# that is not UTF-8 becomes U+FFFD); terminal output (tables, explain,
# warnings) writes control characters and invalid bytes as \xNN. max() and
# min() compare texts past a NUL byte, as Lua does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# run_texts: run_bad under a timeout.
run_texts() {
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# query ARGS...: a crmpolicy query command on s.db under a timeout; its
# stdout goes to $T/out (bytes kept as they are).
query() {
  timeout 60 "$CRMPOLICY" "$@" > "$T/out" 2>"$T/stderr"
  RC=$?
  ERR=$(cat "$T/stderr")
}

# expect_json_lines WHAT: every line of $T/out is valid UTF-8 and parses as JSON.
expect_json_lines() {
  python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin.buffer.read().decode("utf-8").splitlines()]' \
    < "$T/out" 2>"$T/py" || fail "$1: not valid UTF-8 JSON lines: $(tail -1 "$T/py")"
}

# expect_json WHAT: $T/out is valid UTF-8 and one JSON document.
expect_json() {
  python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' \
    < "$T/out" 2>"$T/py" || fail "$1: not a valid UTF-8 JSON document: $(tail -1 "$T/py")"
}

# expect_no_control WHAT FILE: FILE holds no escape byte nor any other
# control character but newline.
expect_no_control() {
  if LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' < "$2"); then
    fail "$1: a control character reached the output: $(LC_ALL=C grep -n '[[:cntrl:]]' "$2" | od -c | head -3)"
  fi
}

# hostile_status: C1's status holds an escape sequence and a byte that is
# not UTF-8; the rule puts it in the title and the data of an alert and of
# an assignment.
hostile_status() {
  config
  facts "UPDATE clients SET status = 'x' || char(27) || '[31mred' || CAST(x'ff' AS TEXT) || 'end' WHERE id='C1';"
  cat > r.lua <<'LUA'
rule { id = "echo", doc = "echoes the status", fn = function(c)
  alert { severity = "info", title = "status " .. c.status, data = { status = c.status } }
  assign { kind = "look", assignee = "S1", data = { status = c.status } }
end }
LUA
}

test_nul_in_a_client_id_is_a_finding_and_merges_nothing() {
  config
  facts "INSERT INTO clients(id,name,status,created_on) VALUES ('C1' || char(0) || 'x','X','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O9','C1' || char(0) || 'x','2026-03-09',1);"
  run_texts
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: facts: orders row O9 column client_id: 'C1\\x00x' contains a NUL byte; the row is skipped
crmpolicy: warning: facts: clients row C1\\x00x column id: 'C1\\x00x' contains a NUL byte; the row is skipped" "$ERR"
  expect_eq "findings" "orders|O9|client_id|C1\\x00x|contains a NUL byte; the row is skipped
clients|C1\\x00x|id|C1\\x00x|contains a NUL byte; the row is skipped" "$(findings)"
  expect_eq "C1 saw its own order only" '{"amounts":"1/0","contacts":"1/0","levels":"1/0","orders":"1/0","status":"active","surveys":"1/0"}' "$(saw C1)"
  expect_eq "clients evaluated" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_nul_in_a_row_key_is_a_finding_and_the_row_reaches_no_client() {
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O9','C2' || char(0),'2026-03-09',1);"
  run_texts
  expect_eq "exit" 0 "$RC"
  expect_eq "findings" "orders|O9|client_id|C2\\x00|contains a NUL byte; the row is skipped" "$(findings)"
  expect_eq "C2 saw its own order only" '{"amounts":"1/0","contacts":"1/0","levels":"1/0","orders":"1/0","status":"active","surveys":"0/0"}' "$(saw C2)"
}

# nul_rule FIELDS: r.lua reports alert{FIELDS} for C2 (and a sound alert
# for every client under another rule).
nul_rule() {
  cat > r.lua <<LUA
rule { id = "bad", doc = "a NUL", fn = function(c)
  if c.id == "C2" then alert { severity = "info", $1 } end
end }
rule { id = "good", doc = "sound", fn = function(c) alert { severity = "info", title = "ok" } end }
LUA
}

# expect_rule_error MESSAGE: exit 1, the rule's error for C2, the other
# rule's alerts all written, nothing of the bad rule.
expect_rule_error() {
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: $1 (rule bad, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "good alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule='good'")"
  expect_eq "bad alerts" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule='bad'")"
  expect_eq "rule errors" "bad|C2" "$(sqlite3 s.db "SELECT rule||'|'||client_id FROM rule_errors")"
}

test_nul_in_an_alert_key_is_the_rules_error() {
  config; facts ""
  nul_rule 'key = "a\0b", title = "x"'
  run_texts
  expect_rule_error "alert{}: 'key' contains a NUL byte"
}

test_nul_in_a_title_is_the_rules_error() {
  config; facts ""
  nul_rule 'title = "a\0b"'
  run_texts
  expect_rule_error "alert{}: 'title' contains a NUL byte"
}

test_nul_in_a_data_key_is_the_rules_error() {
  config; facts ""
  nul_rule 'title = "x", data = { ["a\0b"] = 1, a = 2 }'
  run_texts
  expect_rule_error "alert{}: data: key 'a\\x00b' contains a NUL byte"
}

test_a_date_text_with_a_nul_byte_is_shown_whole_in_the_error() {
  config; facts ""
  # '01-01' alone is a valid "MM-DD": the message must not show the text cut
  nul_rule 'title = tostring(dt.recurring("01-01\0x"))'
  run_texts
  expect_rule_error "dt.recurring: '01-01\\0x' is not \"MM-DD\""
  nul_rule 'title = tostring(dt.next_of({"2026-01-01", "12-25\0" .. string.rep("y", 5000)}))'
  rm -f s.db
  run_texts
  expect_rule_error "dt.next_of: '12-25\\0yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...' is not a date: write \"MM-DD\" (every year), \"YYYY-MM-DD\" or a day number"
}

test_nul_in_a_rule_id_is_an_error_of_the_rule_file() {
  config; facts ""
  printf 'rule { id = "a\\0b", doc = "d", fn = function(c) end }\n' > r.lua
  run_texts
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:1: rule{}: 'id' contains a NUL byte" "$(printf '%s\n' "$ERR" | head -1)"
  [ ! -e s.db ] || fail "the state database was created"
}

# probe-af: a rule id (or an emits id) of bytes that are not UTF-8 was
# taken, and the feed wrote "r\xff" and "r\xfe" alike, as "r\ufffd".
test_a_rule_id_that_is_not_utf8_is_an_error_of_the_rule_file() {
  config; facts ""
  printf 'rule { id = "r\\255", doc = "d", fn = function(c) end }\n' > r.lua
  run_texts
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:1: rule{}: 'id' is not valid UTF-8 (the feed and sinks could not tell it from another)" "$(printf '%s\n' "$ERR" | head -1)"
  [ ! -e s.db ] || fail "the state database was created"
  printf 'rule { id = "r", emits = { "r.x", "r\\254" }, doc = "d", fn = function(c) end }\n' > r.lua
  run_texts
  expect_eq "exit (emits)" 2 "$RC"
  expect_eq "message (emits)" "crmpolicy: r.lua:1: rule{}: 'emits' item 2 is not valid UTF-8 (the feed and sinks could not tell it from another)" "$(printf '%s\n' "$ERR" | head -1)"
  printf 'rule { id = "合同.到期", emits = { "合同.é" }, doc = "d", fn = function(c) end }\n' > r.lua
  run_texts
  expect_eq "exit (UTF-8 ids)" 0 "$RC"
}

test_nul_inside_a_data_value_is_kept_as_an_escape() {
  config; facts ""
  nul_rule 'title = "x", data = { v = "a\0b" }'
  run_texts
  expect_eq "exit" 0 "$RC"
  expect_eq "data" '{"v":"a\u0000b"}' "$(sqlite3 s.db "SELECT data FROM alerts WHERE rule='bad'")"
}

test_max_and_min_compare_texts_past_a_nul_byte_as_lua_does() {
  # texts compared as C strings stopped at the NUL: 'a', 'a\0c' and 'a\0b'
  # were all 'a', and max() gave the first row, 'a', where Lua's > says 'a\0c'
  clients_config "[{name: name, type: text}]" "tables:" \
    "  - {name: contacts, key: client_id, id: id, columns: [{name: id, type: text}, {name: summary, type: text}]}" \
    "lookups:" "  - {name: staff, id: id, columns: [{name: id, type: text}, {name: name, type: text}]}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01');
    INSERT INTO contacts(id,client_id,level,channel,happened_at,summary) VALUES
      ('V1','C1','a','visit','2026-05-01','a'), ('V2','C1','a','visit','2026-05-01','a'||char(0)||'c'),
      ('V3','C1','a','visit','2026-05-01','a'||char(0)||'b'), ('V4','C1','a','visit','2026-05-01','a'||char(0));
    INSERT INTO staff(id,name,role) VALUES ('S1','a','k'), ('S2','a'||char(0)||'c','k'), ('S3','a'||char(0),'k');"
  cat > r.lua <<'LUA'
local function lua_max(rows, f)
  local best
  for _, r in ipairs(rows) do if best == nil or r[f] > best[f] then best = r end end
  return best.id
end
rule { id = "r", doc = "d", fn = function(c)
  local _, mx = c.contacts:max("summary")
  local _, mn = c.contacts:min("summary", function(r) return r.id ~= "V1" end)
  local _, smx = lookup.staff:max("name")
  alert { severity = "info", title = table.concat({ mx.id, lua_max(c.contacts, "summary"), mn.id,
    smx.id, lua_max(lookup.staff, "name") }, " ") }
end }
LUA
  run_texts
  expect_eq "exit" 0 "$RC"
  expect_eq "max, min as Lua compares" "V2 V2 V4 S2 S2" "$(sqlite3 s.db "SELECT title FROM alerts")"
}

test_alerts_jsonl_is_valid_utf8_json_whatever_the_facts_hold() {
  hostile_status
  run_texts
  expect_eq "exit" 0 "$RC"
  query alerts --config c.yaml --format jsonl
  expect_eq "exit" 0 "$RC"
  expect_json_lines "alerts jsonl"
  expect_eq "C1 title" "status x\\u001b[31mred"$'\xef\xbf\xbd'"end" \
    "$(python3 -c 'import json,sys
for l in sys.stdin: d=json.loads(l); print(json.dumps(d["title"], ensure_ascii=False)[1:-1]) if d["client_id"]=="C1" else None' < "$T/out")"
}

test_alertmanager_output_is_valid_utf8_json() {
  hostile_status
  run_texts
  query alerts --config c.yaml --format alertmanager
  expect_eq "exit" 0 "$RC"
  expect_json "alertmanager"
}

test_assignments_jsonl_is_valid_utf8_json() {
  hostile_status
  run_texts
  query assignments --config c.yaml --format jsonl
  expect_eq "exit" 0 "$RC"
  expect_json_lines "assignments jsonl"
  expect_contains "data" '"data":{"status":"x\u001b[31mred'$'\xef\xbf\xbd''end"}' "$(cat "$T/out")"
}

test_feed_is_valid_utf8_json() {
  hostile_status
  run_texts
  query feed --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "events" 6 "$(wc -l < "$T/out")"
  expect_json_lines "feed"
}

test_explain_json_is_valid_utf8_json() {
  hostile_status
  query explain --config c.yaml --as-of 2026-06-01 --format json C1
  expect_eq "exit" 0 "$RC"
  expect_json "explain json"
}

test_alerts_table_escapes_control_characters() {
  hostile_status
  run_texts
  query alerts --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_no_control "alerts table" "$T/out"
  expect_contains "C1 row" 'status x\x1b[31mred\xffend' "$(cat "$T/out")"
}

test_assignments_table_escapes_control_characters() {
  hostile_status
  run_texts
  query assignments --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_no_control "assignments table" "$T/out"
  expect_contains "C1 row" '{"status":"x\u001b[31mred'$'\xef\xbf\xbd''end"}' "$(cat "$T/out")"
}

test_explain_text_escapes_control_characters() {
  hostile_status
  query explain --config c.yaml --as-of 2026-06-01 C1
  expect_eq "exit" 0 "$RC"
  expect_no_control "explain text" "$T/out"
  expect_contains "title" 'title "status x\x1b[31mred\xffend"' "$(cat "$T/out")"
}

test_crmpolicy_test_escapes_a_fixture_name() {
  config; mkdir tmp
  cat > fx.yaml <<'YAML'
name: "red \e[31m name"
facts:
  clients:
    - {id: C1, status: active, created_on: 2026-01-01}
steps:
  - as_of: 2026-06-01
    mode: at_least
YAML
  TMPDIR=$T/tmp timeout 60 "$CRMPOLICY" test --config c.yaml fx.yaml > "$T/out" 2>"$T/stderr"
  RC=$?
  expect_eq "exit" 0 "$RC"
  expect_no_control "test output" "$T/out"
  expect_eq "output" 'ok   fx.yaml: red \x1b[31m name
1 passed, 0 failed' "$(cat "$T/out")"
}

test_warnings_escape_the_fact_values_they_echo() {
  config
  facts "UPDATE orders SET ordered_on = '2026' || char(27) || ']0;pwned' || char(7) WHERE id='O2';"
  run_texts
  expect_eq "exit" 0 "$RC"
  printf '%s' "$ERR" > "$T/err"
  expect_no_control "stderr" "$T/err"
  expect_eq "warning" "crmpolicy: warning: facts: orders row O2 column ordered_on: '2026\\x1b]0;pwned\\x07' is not a date" "$ERR"
}

test_a_client_id_with_an_escape_is_escaped_in_the_run_summary_and_errors() {
  config
  facts "UPDATE clients SET id = 'C' || char(27) || '[2J' WHERE id='C3'; UPDATE orders SET client_id = 'C' || char(27) || '[2J' WHERE id='O3';"
  cat > r.lua <<'LUA'
rule { id = "boom", doc = "fails", fn = function(c) error("no " .. c.id) end }
LUA
  run_texts
  expect_eq "exit" 1 "$RC"
  printf '%s' "$ERR" > "$T/err"
  expect_no_control "stderr" "$T/err"
  expect_contains "error" 'no C\x1b[2J (rule boom, client C\x1b[2J)' "$ERR"
}

# probe-ak: the traceback that `check` and `run` print after a rule file's
# top level failed in a function it called was written raw, so a function
# named by a key with an escape sequence and a newline drove the terminal
# and forged a line of its own.
test_the_traceback_of_a_failed_top_level_escapes_the_names_it_shows() {
  config; facts ""
  cat > r.lua <<'LUA'
local t = {}
t["\27[31mred\ncrmpolicy: forged"] = function() error("x") end
t["\27[31mred\ncrmpolicy: forged"]()
LUA
  run_texts
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: x
stack traceback:
$(printf '\t')[C]: in function 'error'
$(printf '\t')r.lua:2: in field '\x1b[31mred\ncrmpolicy: forged'
$(printf '\t')r.lua:3: in main chunk" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

run_tests
