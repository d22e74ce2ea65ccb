#!/usr/bin/env bash
# tests/cli/test_lookup.sh: lookup.<name>:get(id) and the pools built from a
# lookup, whose members come through add() or as a list.
. "$(dirname "$0")/../lib.sh"

# A config with one client, the staff lookup and one rule file r.lua.
setup() {
  clients_config "[{name: status, type: text}]" \
    "lookups: [{name: staff, id: id, columns: [{name: id, type: text}, {name: role, type: text}, {name: capacity, type: integer}]}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01');
    INSERT INTO staff(id,name,role,capacity) VALUES ('S1','a','kam',0), ('S2','b','kam',NULL),
      ('S3','c','kam',NULL), ('S10','d','rep',NULL);"
}

# Runs r.lua as of 2026-06-01.
run_rules() {
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
}

test_get_finds_a_row_by_id_or_gives_nil() {
  setup
  cat > r.lua <<'EOF'
local staff = lookup.staff
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = table.concat({staff:get("S10").role, tostring(staff:get("S4")),
    tostring(staff:get(nil)), tostring(staff:get(10)), tostring(staff:get("S2") == staff:get("S2")),
    tostring(staff:get("S2") == staff:get("S3"))}, " ") }
end }
EOF
  run_rules
  expect_eq "exit" 0 "$RC"
  expect_eq "title" "rep nil nil nil true false" "$(sqlite3 s.db "SELECT title FROM alerts")"
}

test_pool_members_added_or_listed_pick_alike() {
  setup
  cat > r.lua <<'EOF'
local function each_kam(fn)
  for s in lookup.staff:each() do
    if s.role == "kam" then fn { id = s.id, group = s.role, capacity = s.capacity, load = 0 } end
  end
end
pool { id = "added", doc = "d", members = function(add) each_kam(add) end }
pool { id = "listed", doc = "d", members = function()
  local list = {}
  each_kam(function(m) list[#list + 1] = m end)
  return list
end }
rule { id = "r", doc = "d", fn = function(c)
  for _, p in ipairs({"added", "listed"}) do
    for i = 1, 3 do
      assign { kind = "k", key = p .. i, pick = { pool = p, group = "kam" } }
    end
  end
end }
EOF
  run_rules
  expect_eq "exit" 0 "$RC"
  expect_eq "picks" "added1 S2|added2 S3|added3 S2|listed1 S2|listed2 S3|listed3 S2" \
    "$(sqlite3 s.db "SELECT key || ' ' || assignee FROM assignments ORDER BY key" | paste -sd '|')"
}

test_add_after_members_returned_is_an_error() {
  setup
  cat > r.lua <<'EOF'
local kept
pool { id = "p", doc = "d", members = function(add) kept = add end }
rule { id = "r", doc = "d", fn = function(c) kept { id = "S1", group = "kam" } end }
EOF
  run_rules
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "add() works only while members() runs (rule r, client C1)" "$ERR"
}

run_tests
