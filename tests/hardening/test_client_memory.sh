#!/usr/bin/env bash
# tests/hardening/test_client_memory.sh: one client's rows, held in C memory
# while its rules run, are bounded by limits.client_memory_mb: an export
# that gives one client the rows of many (here 40,001 orders of 32 bytes
# and a 1 MiB limit; in production tens of millions) no longer takes the
# machine's memory. The rows past the limit are read past, no rule runs for
# that client, each of its rules fails for it and keeps its results (exit
# 1), and every other client is evaluated as usual.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# crowded: badfacts' config and facts, client C2 given 40,000 more orders,
# a second rule, and limits.client_memory_mb of 2 (the orders fit).
crowded() {
  config
  cat >> r.lua <<'LUA'
rule { id = "count", doc = "orders counted", fn = function(c)
  alert { severity = "info", title = "count", data = { n = #c.orders } }
end }
LUA
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
    INSERT INTO orders(id,client_id,ordered_on,amount) SELECT 'B'||i, 'C2', '2026-02-01', 1 FROM n"
  echo "limits: {client_memory_mb: 2}" >> c.yaml
}

# open_counts DB: each open alert of rule count, "client n".
open_counts() {
  sqlite3 "$1" "SELECT client_id||' '||json_extract(data, '$.n') FROM alerts
                WHERE status = 'open' AND rule = 'count' ORDER BY client_id" | paste -sd,
}

OVER="crmpolicy: facts: client C2: its rows would hold more than limits.client_memory_mb (1 MiB) in memory (40,002 rows in its tables, the limit passed in table 'orders'; an export that gave one client the rows of many?): every rule fails for it and keeps its results"

test_a_client_past_the_limit_fails_every_rule_and_keeps_its_results() {
  crowded
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "within the limit: exit" 0 "$RC"
  expect_eq "within the limit: every client's orders" "C1 1,C2 40001,C3 1" "$(open_counts s.db)"
  # the limit lowered, and C1 given one more order: C2 is past it
  sed -i 's/client_memory_mb: 2/client_memory_mb: 1/' c.yaml
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O9','C1','2026-05-01',1)"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "past the limit: exit" 1 "$RC"
  expect_eq "past the limit: the one message" "$OVER" "$ERR"
  expect_eq "C1 updated, C2's results kept" "C1 2,C2 40001,C3 1" "$(open_counts s.db)"
  expect_eq "C2's seen alert kept too" '40001/0' \
    "$(sqlite3 s.db "SELECT json_extract(data, '$.orders') FROM alerts WHERE rule = 'seen' AND client_id = 'C2' AND status = 'open'")"
  expect_eq "each rule failed for C2, with the message" \
    "seen|C2|${OVER#crmpolicy: }
count|C2|${OVER#crmpolicy: }" \
    "$(sqlite3 s.db "SELECT rule, client_id, message FROM rule_errors WHERE run_id = 2 ORDER BY rowid")"
  expect_eq "the run counts them" "3|2" \
    "$(sqlite3 s.db "SELECT clients||'|'||rule_errors FROM runs WHERE id = 2")"
}

test_jobs_2_and_explain_say_the_same() {
  crowded
  sed -i 's/client_memory_mb: 2/client_memory_mb: 1/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state one.db
  expect_eq "--jobs 1: exit" 1 "$RC"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state two.db --jobs 2
  expect_eq "--jobs 2: exit" 1 "$RC"
  expect_eq "--jobs 2: the message" "$OVER" "$ERR"
  expect_eq "no results for C2 in a new state" "C1 1,C3 1" "$(open_counts one.db)"
  expect_eq "--jobs 2: the same results" "$(open_counts one.db)" "$(open_counts two.db)"
  expect_eq "--jobs 2: the same rule errors" \
    "$(sqlite3 one.db "SELECT rule, client_id, message FROM rule_errors ORDER BY rowid")" \
    "$(sqlite3 two.db "SELECT rule, client_id, message FROM rule_errors ORDER BY rowid")"
  cp_run explain --config c.yaml --as-of 2026-06-01 --state one.db C2
  expect_eq "explain: exit" 1 "$RC"
  expect_contains "explain: under each rule" "rule count (r.lua:13): error
  error: ${OVER#crmpolicy: }" "$OUT"
}

test_texts_count_toward_the_limit() {
  config
  # three contacts of 400,000 bytes each: 1.2 MB of text in few rows
  facts "INSERT INTO contacts(id,client_id,level,channel,happened_at)
           SELECT 'L'||value, 'C3', printf('%.*c', 400000, 'x'), 'call', '2026-04-03 10:00:00'
           FROM generate_series(1, 3)"
  echo "limits: {client_memory_mb: 1}" >> c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "the message" "crmpolicy: facts: client C3: its rows would hold more than limits.client_memory_mb (1 MiB) in memory (4 rows in its tables, the limit passed in table 'contacts'; an export that gave one client the rows of many?): every rule fails for it and keeps its results" "$ERR"
  expect_eq "the other clients evaluated" "C1|C2" \
    "$(sqlite3 s.db "SELECT group_concat(client_id, '|') FROM (SELECT client_id FROM alerts ORDER BY 1)")"
}

test_the_limit_is_a_whole_number_of_at_least_one() {
  config
  facts ""
  echo "limits: {client_memory_mb: 0}" >> c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 2 "$RC"
  expect_eq "the message" "crmpolicy: c.yaml:29: limits.client_memory_mb: '0' is not a whole number of at least 1" "$ERR"
}

test_report_fails_the_row_of_a_client_past_the_limit() {
  # the report reads clients as a run does: a row made from none of C2's
  # orders (read past) would show 0 orders, a wrong number with exit 0
  crowded
  sed -i 's/client_memory_mb: 2/client_memory_mb: 1/' c.yaml
  cat >> r.lua <<'LUA'
report { id = "orders", title = "orders", doc = "orders by client",
  columns = { { id = "n", label = "orders", type = "integer" } },
  row = function(c, month, alerts) return { n = #c.orders } end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "run: exit" 1 "$RC"
  cp_run report --config c.yaml --as-of 2026-06-01 --format html -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "the row's error" "${OVER%: every rule fails*}: its row is not computed from a part of its rows (report orders, client C2)" "$ERR"
  cp_run report --config c.yaml --as-of 2026-06-01 --format csv -o r.csv --quiet
  expect_eq "csv: exit" 1 "$RC"
  expect_contains "csv: not written" "r.csv was not written" "$ERR"
  [ ! -e r.csv ] || fail "a CSV with a wrong row for C2: $(cat r.csv)"
}

# A lookup table is read whole and held for the run, in C memory the Lua
# heap's cap does not bound: limits.lookup_memory_mb (default 1024) does. An
# export whose staff table grew by mistake (here 400 rows of 8 KB names
# against a 1 MiB limit; 200 texts of 4 MB held 800 MB) stops with where
# and why (exit 2, nothing written), rather than take the machine's memory.
test_a_lookup_past_its_limit_stops_the_run_saying_which_and_where() {
  config
  cat >> c.yaml <<'YAML'
lookups:
  - {name: staff, id: id, columns: [{name: id, type: text}, {name: name, type: text}]}
limits: {lookup_memory_mb: 1}
YAML
  cat >> r.lua <<'LUA'
rule { id = "staffed", doc = "the staff counted", fn = function(c)
  alert { severity = "info", title = "staff", data = { n = lookup.staff:count() } }
end }
LUA
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
    INSERT INTO staff(id,name,role,active) SELECT printf('S%03d', i), printf('%08d', i) || hex(zeroblob(4096)), 'kam', 1 FROM n"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "past the limit: exit" 2 "$RC"
  expect_eq "past the limit: the message" "crmpolicy: facts: lookup table 'staff' would hold more than limits.lookup_memory_mb (1 MiB) in memory (at its row 64: an export that grew by mistake, or texts of megabytes?): nothing was written; raise the limit, or declare fewer of its columns" "$ERR"
  [ -e s.db ] && fail "a state was written"
  cp_run check --config c.yaml
  expect_eq "check says it too: exit" 2 "$RC"
  expect_contains "check says it too" "limits.lookup_memory_mb (1 MiB)" "$ERR"
  sed -i 's/lookup_memory_mb: 1}/lookup_memory_mb: 8}/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "within the limit: exit" 0 "$RC"
  expect_eq "within the limit: every row held" "400" \
    "$(sqlite3 s.db "SELECT DISTINCT json_extract(data, '$.n') FROM alerts WHERE rule = 'staffed'")"
}

run_tests
