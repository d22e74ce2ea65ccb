#!/usr/bin/env bash
# tests/hardening/test_jobs_memory.sh: with --jobs 2, the outcomes made and
# not yet written hold a bounded number of bytes (64 MB) whatever each
# client reports: the workers wait for the writer, which writes each
# outcome as soon as it is made. Before, the ring of chunk buffers held up
# to 8 x 128 clients' outcomes at once (here 400 clients of 4 MB each:
# 1.6 GB, where --jobs 1 takes about 20 MB). And once written, an outcome
# keeps only a small share of a fixed amount for reuse: before, each kept
# what its largest client made, up to 1 MB (600 clients of 800 KB: 480 MB).
# Rows of no client met between two clients are findings handed to the
# writer a few thousand at a time: before, all were held until the next
# client (180 bytes each: 540 MB for 3 million, an export whose keys no
# longer match the clients' ids).
. "$(dirname "$0")/../lib.sh"

# big_reports: 400 clients; a rule reports 4 alerts of 1 MB of data for
# each, then fails (so that nothing is written and the state stays small).
big_reports() {
  clients_from_one_to 400
  cat > r.lua <<'LUA'
local blob = string.rep("y", 1000000)
rule { id = "r.big", doc = "d", fn = function(c)
  for i = 1, 4 do alert { severity = "info", key = tostring(i), data = { b = blob } } end
  error("dropped")
end }
LUA
}

# peak JOBS: runs with --jobs JOBS into a new state; prints "RC KB" (peak
# RSS; ASan's quarantine of freed memory kept small).
peak() {
  rm -f s.db*
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8 \
    /usr/bin/time -f "%x %M" -o "$T/time" "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --jobs "$1" 2>/dev/null
  cat "$T/time" | tail -1
}

# results DB: the alerts, events and rule errors of a state, one line each.
results() {
  sqlite3 "$1" "SELECT rule, client_id, key, data FROM alerts ORDER BY 1, 2, 3;
                SELECT type, client_id, key, body FROM events ORDER BY seq;
                SELECT client_id, rule, message FROM rule_errors ORDER BY rowid"
}

test_jobs_2_holds_a_bounded_number_of_bytes_of_unwritten_outcomes() {
  big_reports
  local one two
  one=$(peak 1)
  expect_eq "--jobs 1: exit" 1 "${one% *}"
  local errors_one; errors_one=$(sqlite3 s.db "SELECT group_concat(client_id || ' ' || message, '|') FROM (SELECT * FROM rule_errors ORDER BY rowid)")
  two=$(peak 2)
  expect_eq "--jobs 2: exit" 1 "${two% *}"
  expect_eq "--jobs 2: the same rule errors" "$errors_one" \
    "$(sqlite3 s.db "SELECT group_concat(client_id || ' ' || message, '|') FROM (SELECT * FROM rule_errors ORDER BY rowid)")"
  expect_eq "--jobs 2: 400 clients failed" 400 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors")"
  [ "${two#* }" -lt 500000 ] || fail "--jobs 2 peak RSS ${two#* } KB, over 500 MB (--jobs 1: ${one#* } KB)"
}

# wide_reports: 600 clients; a rule reports 20 alerts of 40 KB of data for
# each (800 KB a client: less than the 1 MB past which an outcome used to
# give its memory back), then fails; another reports small alerts that are
# written, with events.
wide_reports() {
  clients_from_one_to 600
  cat > r.lua <<'LUA'
local blob = string.rep("w", 40000)
rule { id = "r.wide", doc = "d", fn = function(c)
  for i = 1, 20 do alert { severity = "info", key = tostring(i), data = { b = blob } } end
  error("dropped")
end }
rule { id = "r.small", doc = "d", fn = function(c)
  local n = tonumber(c.id:sub(2))
  alert { severity = n % 3 == 0 and "warning" or "info", data = { id = c.id, n = n } }
  if n % 7 == 0 then alert { severity = "info", key = "seven", data = { n = n } } end
end }
LUA
}

test_jobs_2_outcomes_written_keep_a_bounded_number_of_bytes() {
  wide_reports
  local one two
  one=$(peak 1)
  expect_eq "--jobs 1: exit" 1 "${one% *}"
  results s.db > one.txt
  two=$(peak 2)
  expect_eq "--jobs 2: exit" 1 "${two% *}"
  results s.db > two.txt
  cmp -s one.txt two.txt || fail "--jobs 2: results differ from --jobs 1's: $(diff one.txt two.txt | head -5)"
  expect_eq "alerts written" 685 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
  expect_eq "600 clients failed" 600 "$(sqlite3 s.db "SELECT count(*) FROM rule_errors")"
  [ "${two#* }" -lt 300000 ] || fail "--jobs 2 peak RSS ${two#* } KB, over 300 MB (--jobs 1: ${one#* } KB)"
}


# orphan_rows N: clients C1 and C3, and N orders of C2, which is no client.
orphan_rows() {
  rm -f f.db
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: [{name: status, type: text}]}\ntables:\n  - {name: orders, key: client_id, columns: [{name: amount, type: money}]}\n' > c.yaml
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','c','active','2026-01-01'), ('C3','c','active','2026-01-01');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO orders(id, client_id, ordered_on, amount) SELECT 'o' || i, 'C2', '2026-01-01', 1 FROM n;"
  echo 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { n = #c.orders } } end }' > r.lua
}

test_rows_of_no_client_between_two_clients_are_not_all_held_in_memory() {
  local small large two
  orphan_rows 100000
  small=$(peak 1)
  orphan_rows 400000
  large=$(peak 1)
  expect_eq "exit" 0 "${large% *}"
  expect_eq "every row is a finding" 400000 "$(sqlite3 s.db "SELECT count(*) FROM findings")"
  expect_eq "the run's count" "2 400000" "$(sqlite3 s.db "SELECT clients || ' ' || findings FROM runs")"
  results s.db > one.txt
  sqlite3 s.db "SELECT tbl, row_id, col, problem FROM findings ORDER BY rowid" > one-findings.txt
  # before: 54 MB more for the 300,000 rows more (85 MB in all)
  [ $(( ${large#* } - ${small#* } )) -lt 10000 ] ||
    fail "peak RSS ${large#* } KB for 400,000 rows of no client, ${small#* } KB for 100,000"
  two=$(peak 2)
  expect_eq "--jobs 2: exit" 0 "${two% *}"
  results s.db > two.txt
  cmp -s one.txt two.txt || fail "--jobs 2: results differ from --jobs 1's: $(diff one.txt two.txt | head -5)"
  expect_eq "--jobs 2: the same findings in the same order" "" \
    "$(sqlite3 s.db "SELECT tbl, row_id, col, problem FROM findings ORDER BY rowid" | cmp - one-findings.txt 2>&1)"
  expect_eq "--jobs 2: the run's count" "2 400000" "$(sqlite3 s.db "SELECT clients || ' ' || findings FROM runs")"
}

run_tests
