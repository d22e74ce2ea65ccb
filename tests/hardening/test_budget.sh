#!/usr/bin/env bash
# tests/hardening/test_budget.sh: the instruction budget bounds time, not
# only VM instructions. Work that library functions do in C, heap growth,
# rowset scans and repeated reports are charged to it; coroutines share it;
# pcall and the coroutine functions cannot swallow or reset it; metamethods
# run under it. Each probe runs with the default limits (1,000,000
# instructions, 64 MB) and must end as an error of the rule that tried,
# naming rules/x.lua:line, the rule and the client, while the honest rule
# of the same client still reports. The timeout is a safety net only.
. "$(dirname "$0")/../lib.sh"

# Facts with two clients and a lookup of 40,000 staff; rule files
# rules/x.lua (the probe) and rules/ok.lua (an honest rule); default limits.
setup() {
  mkdir -p rules
  rm -f f.db s.db
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [rules/x.lua, rules/ok.lua]
clients: {name: clients, id: id, columns: [{name: status, type: text}]}
lookups:
  - name: staff
    id: id
    columns:
      - {name: id, type: text}
      - {name: role, type: text}
YAML
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
    INSERT INTO staff(id, name, role) SELECT 'S' || i, 'N' || i, 'kam' FROM n;"
  cat > rules/ok.lua <<'LUA'
rule { id = "ok", doc = "an honest rule", fn = function(c)
  alert { severity = "info", title = "ok " .. c.id }
end }
LUA
}

# probe BODY [PRELUDE]: rule x.y runs BODY (from line 3 of rules/x.lua),
# then reports an alert "cheat"; PRELUDE is line 1. Runs under timeout.
probe() {
  setup
  printf '%s\nrule { id = "x.y", doc = "probe", fn = function(c)\n%s\nalert { severity = "info", title = "cheat" }\nend }\n' \
    "${2:-}" "$1" > rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  [ "$RC" = 124 ] && fail "the run was still going after 60 s"
}

# expect_failed MESSAGE: rule x.y failed for both clients with MESSAGE (which
# starts with its place), nothing it reported stayed, the honest rule
# reported for both.
expect_failed() {
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "crmpolicy: $1 (rule x.y, client C1)" "$ERR"
  expect_contains "message" "crmpolicy: $1 (rule x.y, client C2)" "$ERR"
  expect_eq "honest rule" "ok C1|ok C2" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE rule = 'ok' ORDER BY 1" 2>&1 | paste -sd'|')"
  expect_eq "alerts of the probe" 0 \
    "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule = 'x.y'" 2>&1)"
}

# expect_budget LINE: rule x.y ran out of the budget at rules/x.lua:LINE.
expect_budget() {
  expect_failed "rules/x.lua:$1: instruction budget of 1000000 exceeded"
}

test_string_rep_is_charged_per_repetition() {
  probe 'string.rep("", math.maxinteger)'
  expect_budget 3
}

test_table_move_is_charged_per_item() {
  probe 'table.move({}, 1, 1e15, 1)'
  expect_budget 3
}

test_table_concat_is_charged_per_item() {
  probe 'table.concat(setmetatable({}, {__index = tostring}), "", 1, 1e15)'
  expect_budget 3
}

test_table_sort_is_charged_for_comparing_long_strings() {
  probe 'local t = {} for i = 1, 50 do t[i] = S end
for i = 1, 1e9 do table.sort(t) end' 'local S = string.rep("0123456789abcdef", 1 << 16)'
  expect_budget 4
}

test_table_insert_and_remove_are_charged_per_shift() {
  probe 'local t = {} for i = 1, 1e5 do t[i] = i end
while true do table.insert(t, 1, 0) table.remove(t, 1) end'
  expect_budget 4
}

test_table_unpack_is_refused_beyond_a_bound() {
  probe 'local n = select("#", table.unpack({}, 1, 1e6))'
  expect_failed "rules/x.lua:3: too many results to unpack (at most 8000)"
}

test_string_format_is_charged_for_its_output() {
  probe 'while true do local x = string.format("%s%s", S, S) end' \
    'local S = string.rep("0123456789abcdef", 1 << 16)'
  expect_budget 3
}

test_string_functions_are_charged_by_length() {
  probe 'while true do local x = S:upper() end' 'local S = string.rep("0123456789abcdef", 1 << 16)'
  expect_budget 3
}

test_unanchored_pattern_is_charged_for_every_start() {
  probe 'string.find(string.rep("a", 1e5), "a+b")'
  expect_budget 3
}

test_a_long_literal_needle_is_charged_for_every_character_it_compares() {
  local long='local H, N = string.rep("a", 1 << 20), string.rep("a", 1 << 19) .. "b"'
  for call in 'string.find(H, N, 1, true)' 'string.find(H, N)' 'string.match(H, N)'; do
    probe "$call" "$long"
    expect_budget 3
  done
}

test_gsub_is_charged_for_every_start() {
  probe 'for i = 1, 1e9 do string.gsub(S, "a-b", "") end' 'local S = string.rep("a", 3000)'
  expect_budget 3
}

test_utf8_functions_are_charged() {
  probe 'local f = utf8.codes("a")
while true do f(S, 0) end' 'local S = string.rep("\x80", 1 << 20)'
  expect_budget 4
}

test_rowset_methods_are_charged_per_row() {
  probe 'while true do local n = lookup.staff:count({role = "kam"}) end'
  expect_budget 3
}

test_repeated_reports_are_checked_in_constant_time_and_charged() {
  probe 'for i = 1, 1e9 do alert { severity = "info", key = tostring(i) } end'
  expect_budget 3
}

test_the_results_of_a_client_are_bounded_by_memory_mb() {
  # results are held in the engine's memory until written: under a large
  # instruction budget a loop of long titles held gigabytes (and wrote them)
  setup
  printf 'limits: {memory_mb: 8, instructions: 1000000000}\n' >> c.yaml
  printf '%s\n' 'local S = string.rep("t", 1 << 16)' 'rule { id = "x.y", doc = "probe", fn = function(c)' \
    'for i = 1, 1e6 do alert { severity = "info", key = tostring(i), title = S } end' 'end }' > rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  expect_failed "rules/x.lua:3: alert{}: the results of this client would hold more than limits.memory_mb (8 MiB): report fewer or shorter ones"
}

test_copying_long_strings_is_charged() {
  probe 'while true do local t = S .. "y" end' 'local S = string.rep("0123456789abcdef", 1 << 18)'
  expect_budget 3
}

test_pcall_in_a_loop_cannot_reset_the_budget() {
  probe 'while true do pcall(function() while true do end end) end'
  expect_budget 3
}

test_an_xpcall_handler_cannot_run_past_the_budget() {
  # the handler of an error the budget raised ran with hooks off: a loop in
  # it hung the run (no budget, no wall-time backstop)
  probe 'xpcall(function() while true do end end, function() while true do end end)'
  expect_budget 3
  probe 'xpcall(error, function() while true do end end)'
  expect_budget 3
  # a handler of an ordinary error still runs, and what it returns is xpcall's
  probe 'local ok, e = xpcall(function() error({code = 7}) end, function(m) return "handled " .. m.code end)
error(tostring(ok) .. " " .. e)'
  expect_failed "rules/x.lua:4: false handled 7"
  probe 'local ok, e = xpcall(error, nil, "m")'
  expect_failed "rules/x.lua:3: bad argument #2 to 'xpcall' (function expected, got nil)"
}

test_coroutine_resume_cannot_swallow_the_budget() {
  probe 'local co = coroutine.create(function() while true do end end)
coroutine.resume(co)'
  expect_budget 3
}

test_coroutine_close_cannot_swallow_the_budget() {
  probe 'local co = coroutine.create(function()
  local x <close> = setmetatable({}, {__close = function() while true do end end})
  coroutine.yield() end)
coroutine.resume(co) coroutine.close(co)'
  expect_budget 4
}

test_coroutine_wrap_cannot_swallow_the_budget() {
  probe 'local f = coroutine.wrap(function() while true do end end)
pcall(f) xpcall(f, function() return "swallowed" end)'
  expect_budget 3
}

test_coroutine_made_at_load_time_shares_the_budget() {
  probe 'CO()' 'local CO = coroutine.wrap(function() coroutine.yield() while true do end end) CO()'
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "crmpolicy: rules/x.lua:1: instruction budget of 1000000 exceeded (rule x.y, client C1)" "$ERR"
  expect_contains "message" "crmpolicy: rules/x.lua:3: cannot resume dead coroutine (rule x.y, client C2)" "$ERR"
  expect_eq "alerts" "ok" "$(sqlite3 s.db "SELECT DISTINCT rule FROM alerts" 2>&1)"
}

test_metamethods_run_under_the_budget() {
  local body
  for body in 'local t = {} for i = 1, 100 do t[i] = setmetatable({}, {__lt = function() while true do end end}) end table.sort(t)' \
              'string.gsub("abc", "%w", function() while true do end end)' \
              'local x = setmetatable({}, {__concat = function() while true do end end}) .. "x"' \
              'local x = setmetatable({}, {__index = function() while true do end end}).y'; do
    probe "$body"
    expect_budget 3
  done
}

test_work_no_count_sees_is_bounded_by_wall_time() {
  # One string comparison is one instruction, however long the strings:
  # the budget's wall-time backstop ends it.
  probe 'while true do local x = S < S end' 'local S = "x" for i = 1, 24 do S = S .. S end'
  expect_budget 3
}

test_work_in_c_over_a_rules_tables_is_charged() {
  # dt.next_of's list and the tables of alert{}'s data (walked, their keys
  # sorted, before anything is written) were walked in C for one
  # instruction: a loop of such calls on a table kept in an upvalue ran
  # until the wall-time backstop, some 1.6 s a client. A few calls now
  # spend the budget, which they passed unseen.
  local list='local L = {} for i = 1, 200000 do L[i] = 1 end'
  local keys='local K = {} for i = 1, 100000 do K["k" .. i] = true end'
  probe 'for i = 1, 10 do dt.next_of(L, 2) end' "$list"
  expect_budget 3
  probe 'for i = 1, 3 do pcall(alert, {severity = "info", title = "t", data = {x = K}}) end' "$keys"
  expect_budget 3
  probe 'for i = 1, 5 do pcall(alert, {severity = "info", key = i, title = "t", data = {x = L}}) end' "$list"
  expect_budget 3
  # a condition's list longer than a filter holds was walked whole to be
  # refused (3,000 refusals: seconds); it is refused before (a lookup of
  # one row, so that the rows' charge is not what stops the loop)
  setup
  sqlite3 f.db "DELETE FROM staff WHERE id <> 'S1'"
  printf '%s\nrule { id = "x.y", doc = "probe", fn = function(c)\n%s\nalert { severity = "info", title = "cheat" }\nend }\n' \
    'local L = {} for i = 1, 200000 do L[i] = "kam" end' \
    'local ok, e = pcall(lookup.staff.count, lookup.staff, {role = {["in"] = L}})
assert(not ok and e:find("the lists of a filter hold at most 64 values", 1, true), e)
for i = 1, 3000 do pcall(lookup.staff.count, lookup.staff, {role = L}) end' > rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  expect_eq "a long list: exit" "0 " "$? $(cat "$T/stderr")"
  expect_eq "a long list: alerts" "cheat|cheat|ok C1|ok C2" \
    "$(sqlite3 s.db "SELECT title FROM alerts ORDER BY 1" 2>&1 | paste -sd'|')"
}

test_the_check_for_sensitive_values_is_charged() {
  # each alert{} looks for every sensitive value of the client's rows in
  # its texts, in C: 10,000 notes and a data of 52 KB made 0.5 GB of
  # searching (0.1 s or more) for one call, charged its bytes / 16 only; a
  # loop of them ran until the wall-time backstop, and one call on a client
  # of a million rows with 1 MiB of data for minutes, which nothing stopped
  setup
  sqlite3 f.db "CREATE TABLE notes(id TEXT, client_id TEXT, said TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO notes SELECT 'N' || i, 'C' || (1 + i % 2), 'secret number ' || i FROM n"
  printf '%s\n' 'tables: [{name: notes, key: client_id, id: id, columns: [{name: said, type: text, sensitive: true}]}]' >> c.yaml
  printf '%s\n' 'local S = string.rep("secret numbe_", 4000)' \
    'rule { id = "x.y", doc = "probe", fn = function(c)' \
    'alert { severity = "info", key = #c.notes, data = {s = S} }' \
    'alert { severity = "info", title = "cheat" }' 'end }' > rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  expect_budget 3
  # a short text, the usual, is cheap
  sed -i 's/data = {s = S}/data = {s = "secret numbe_"}/' rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  expect_eq "short: exit" "0 " "$? $(cat "$T/stderr")"
}

test_print_escapes_what_would_act_on_a_terminal() {
  probe 'print("tier:", "x\ncrmpolicy: the run failed (fake)\27[31mRED\7", "\255")'
  expect_eq "exit" 0 "$RC"
  expect_eq "one line a client, escaped" \
    'crmpolicy: print: tier:	x\ncrmpolicy: the run failed (fake)\x1b[31mRED\x07	\xff' \
    "$(grep '^crmpolicy: print:' "$T/stderr" | sort -u)"
  expect_eq "lines" 2 "$(grep -c '^crmpolicy: print:' "$T/stderr")"
}

test_print_is_bounded_per_run() {
  probe 'for i = 1, 200 do print(string.rep("p", 10000)) end'
  expect_eq "exit" 0 "$RC"
  expect_contains "cut" "crmpolicy: print: output cut after 1048576 bytes: " "$ERR"
  [ "$(wc -c < "$T/stderr")" -lt 1100000 ] || fail "print wrote $(wc -c < "$T/stderr") bytes"
  expect_eq "alerts" "2|2" "$(sqlite3 s.db "SELECT count(*) FROM alerts GROUP BY rule" | paste -sd'|')"
}

test_honest_library_use_is_charged_but_not_refused() {
  probe 'local t = {} for i = 1, 2000 do t[i] = string.format("%05d", 2001 - i) end
table.sort(t) table.sort(t, function(a, b) return a > b end)
assert(table.concat(t, ",", 1, 2) == "02000,01999" and select("#", table.unpack(t, 1, 100)) == 100)
table.insert(t, 1, "x") assert(table.remove(t, 1) == "x" and #table.move(t, 1, 10, 1, {}) == 10)
local s = string.rep("ab  ", 5000) assert(#s:gsub("%s+", " ") == 15000 and s:upper():sub(1, 2) == "AB")
assert(("  trim me  "):match("^%s*(.-)%s*$") == "trim me" and select(2, s:gsub("ab", "")) == 5000)
assert(utf8.len("h\u{e9}llo") == 5 and tonumber("  42 ") == 42 and "10" + 1 == 11)
local co = coroutine.wrap(function() local ok, v = pcall(function() return coroutine.yield(1) * 2 end) return v end)
assert(co() == 1 and co(21) == 42)
assert(lookup.staff:count({role = "kam"}) == 40000)'
  expect_eq "exit" 0 "$RC"
  expect_eq "messages" "" "$ERR"
  expect_eq "alerts" "ok 2|x.y 2" \
    "$(sqlite3 s.db "SELECT rule || ' ' || count(*) FROM alerts GROUP BY rule" | paste -sd'|')"
}

test_setmetatable_with_a_read_only_class_is_charged_per_entry_copied() {
  mkdir -p rules
  printf 'local M = {}\nfor i = 1, 20000 do M["k" .. i] = i end\nM.__index = M\nreturn M\n' > rules/big.lua
  # with these limits the copies grew the heap in C past the budget, and a
  # refused allocation ended the call before any hook could note the line
  setup
  sed -i 's/^state: s.db$/state: s.db\nlimits: {memory_mb: 16, instructions: 200000}/' c.yaml
  printf 'local M = require("big")\nrule { id = "x.y", doc = "probe", fn = function(c)\nfor i = 1, 1e6 do setmetatable({}, M) end\nend }\n' > rules/x.lua
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  expect_failed "rules/x.lua:3: instruction budget of 200000 exceeded"
}

test_a_budget_spent_by_heap_growth_in_c_still_names_the_line() {
  # string.unpack of n values grows the Lua stack in C, after its charge:
  # for some n the growth spends the budget inside the error's own making,
  # where no hook runs; every client's message must still name the line
  setup
  sed -i 's/^state: s.db$/state: s.db\nlimits: {memory_mb: 16, instructions: 200000}/' c.yaml
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < 16)
    INSERT INTO clients(id,name,status,created_on) SELECT 'C' || i, 'N', 'active', '2026-01-01' FROM n"
  cat > rules/x.lua <<'LUA'
rule { id = "x.y", doc = "probe", fn = function(c)
  local n = 60000 + 5000 * tonumber(c.id:sub(2))
  return string.unpack(string.rep("b", n), string.rep("\0", n))
end }
LUA
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  expect_eq "exit" 1 "$RC"
  expect_eq "rule errors" 16 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors")"
  expect_eq "rule errors without the line" "" \
    "$(sqlite3 s.db "SELECT message FROM rule_errors WHERE message NOT LIKE 'rules/x.lua:3: %'")"
}


# streak_facts: 130 clients, C001 to C130, and rules/ok.lua.
streak_facts() {
  setup
  sqlite3 f.db "DELETE FROM clients;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 130)
    INSERT INTO clients(id, name, status, created_on)
      SELECT printf('C%03d', i), 'N', 'active', '2026-01-01' FROM n;"
}

# errors_like PATTERN: the last run's rule errors whose message is LIKE PATTERN.
errors_like() {
  sqlite3 s.db "SELECT count(*) FROM rule_errors WHERE message LIKE '$1'
                AND run_id = (SELECT max(run_id) FROM rule_errors)"
}

test_a_rule_out_of_budget_for_a_hundred_clients_in_a_row_is_skipped_for_the_rest_of_the_run() {
  # Each call out of budget costs the whole budget: a loop without end made
  # a night of 1,000,000 clients last more than an hour. After 100 in a row
  # the rule is no longer called; it fails for each later client, keeping
  # its results as a failed rule does.
  streak_facts
  printf 'rule { id = "x.y", doc = "probe", fn = function(c)\n  alert { severity = "info", title = "old" }\nend }\n' > rules/x.lua
  timeout 120 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "first run"
  printf 'rule { id = "x.y", doc = "probe", fn = function(c)\n  while true do end\nend }\n' > rules/x.lua
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "out of budget" 100 "$(errors_like 'rules/x.lua:2: instruction budget of 1000000 exceeded (rule x.y, client C%')"
  expect_eq "the last of the streak" "C100" \
    "$(sqlite3 s.db "SELECT client_id FROM rule_errors WHERE message LIKE '%skipped for the rest of the run, each later%'")"
  # said past the 20 errors a run prints
  expect_eq "notice printed, then the count by rule" "crmpolicy: rules/x.lua:2: instruction budget of 1000000 exceeded (rule x.y, client C100); it ran out of its budget or memory for 100 clients in a row, so it is skipped for the rest of the run, each later client's earlier results kept
crmpolicy: 130 rule errors, by rule: x.y 130" \
    "$(printf '%s\n' "$ERR" | tail -2)"
  expect_eq "skipped" "30|C101|C130" "$(sqlite3 s.db "SELECT count(*), min(client_id), max(client_id) FROM rule_errors
    WHERE message = 'rule x.y is skipped for the rest of the run: it ran out of its budget or memory for 100 clients in a row, the last C100; this client''s earlier results kept'")"
  expect_eq "results kept" "130|130" "$(sqlite3 s.db "SELECT sum(rule = 'x.y'), sum(rule = 'ok') FROM alerts WHERE status = 'open'")"
  # a client in budget between two spent ones ends the streak
  printf 'rule { id = "x.y", doc = "probe", fn = function(c)\n  while c.id ~= "C050" do end\nend }\n' > rules/x.lua
  cp_run run --config c.yaml --as-of 2026-06-03 --quiet
  expect_eq "streaks of 49 and 80: exit" 1 "$RC"
  expect_eq "streaks of 49 and 80: every client called" 129 "$(errors_like 'rules/x.lua:2: instruction budget of 1000000 exceeded (rule x.y, client C%)')"
  expect_eq "streaks of 49 and 80: none skipped" 0 "$(errors_like '%skipped%')"
}

test_a_scope_out_of_budget_for_a_hundred_clients_in_a_row_is_no_longer_called() {
  streak_facts
  printf 'scope { doc = "spins", fn = function(c)\n  while true do end\nend }\nrule { id = "x.y", doc = "probe", fn = function(c) end }\n' > rules/x.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "scope out of budget, each rule" 200 "$(errors_like 'rules/x.lua:2: instruction budget of 1000000 exceeded (the scope, client C%: every rule fails for it and keeps its results)%')"
  expect_eq "notice printed, then the count by rule" "crmpolicy: rules/x.lua:2: instruction budget of 1000000 exceeded (the scope, client C100: every rule fails for it and keeps its results); it ran out of its budget or memory for 100 clients in a row, so it is skipped for the rest of the run, each later client's earlier results kept
crmpolicy: 260 rule errors, by rule: x.y 130, ok 130" \
    "$(printf '%s\n' "$ERR" | tail -2)"
  expect_eq "skipped, each rule" "60|C101|C130" "$(sqlite3 s.db "SELECT count(*), min(client_id), max(client_id) FROM rule_errors
    WHERE message = 'the scope is skipped for the rest of the run: it ran out of its budget or memory for 100 clients in a row, the last C100; every rule fails for this client and keeps its results'")"
}

run_tests
