#!/usr/bin/env bash
# tests/cli/test_rule_needs.sh: rule{needs = "table"}: the rule runs only for
# clients with rows in that table; for the others it reports nothing (and
# what it reported before resolves), explain says why, and a needs that names
# no per-client table is refused where it is written.
. "$(dirname "$0")/../lib.sh"

# Three clients; C1 and C3 have orders. The config declares orders and contacts.
setup() {
  clients_config "[{name: name, type: text}]" \
    "tables: [{name: orders, key: client_id, id: id, columns: [{name: amount, type: money}]}," \
    "         {name: contacts, key: client_id, id: id, columns: [{name: level, type: text}]}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','a','active','2026-01-01'), ('C2','b','active','2026-01-01'),
      ('C3','c','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('O1','C1','2026-02-01',10), ('O2','C3','2026-02-01',20), ('O3','C3','2026-03-01',5);"
}

test_the_rule_runs_only_for_clients_with_rows() {
  setup
  cat > r.lua <<'EOF2'
rule { id = "big", doc = "d", needs = "orders", fn = function(c)
  alert { severity = "info", title = c.id .. " has " .. #c.orders }
end }
rule { id = "boom", doc = "d", needs = "orders", fn = function(c) error("ran for " .. c.id) end }
rule { id = "all", doc = "d", fn = function(c) alert { severity = "info", title = c.id } end }
EOF2
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit: rule errors" 1 "$RC"
  expect_eq "alerts" "all|C1
all|C2
all|C3
big|C1 has 1
big|C3 has 2" "$(sqlite3 s.db "SELECT rule, title FROM alerts ORDER BY 1, 2")"
  expect_eq "errors only where it ran" "C1
C3" "$(sqlite3 s.db "SELECT client_id FROM rule_errors ORDER BY 1")"
}

test_what_it_reported_resolves_when_the_rows_go() {
  setup
  echo 'rule { id = "big", doc = "d", needs = "orders", fn = function(c)
    alert { severity = "info", title = "orders" } end }' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "day 1 exit" 0 "$RC"
  sqlite3 f.db "DELETE FROM orders WHERE client_id = 'C3'"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "day 2 exit" 0 "$RC"
  expect_eq "alerts" "C1|open
C3|resolved" "$(sqlite3 s.db "SELECT client_id, status FROM alerts ORDER BY 1")"
}

test_explain_says_a_rule_was_not_run() {
  setup
  echo 'rule { id = "big", doc = "d", needs = "orders", fn = function(c) end }' > r.lua
  cp_run explain --config c.yaml --as-of 2026-06-01 C2
  expect_eq "exit" 0 "$RC"
  expect_contains "status" "rule big (r.lua:1): not run: the client has no orders rows" "$OUT"
  cp_run explain --config c.yaml --as-of 2026-06-01 C1
  expect_contains "status" "rule big (r.lua:1): no result" "$OUT"
}

test_needs_must_name_a_per_client_table() {
  setup
  printf 'local x = 1\nrule { id = "r", doc = "d", needs = "order", fn = function(c) end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "r.lua:2: rule{}: 'needs' must name a table with rows per client (orders, contacts), not 'order'" "$ERR"
  printf 'rule { id = "r", doc = "d", needs = {"orders"}, fn = function(c) end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit (a table)" 2 "$RC"
  expect_contains "message (a table)" "not a table" "$ERR"
}

run_tests
