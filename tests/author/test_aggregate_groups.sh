#!/usr/bin/env bash
# tests/author/test_aggregate_groups.sh: aggregate{} over the clients table
# and grouped counts and sums (group = "column", or a list of columns for
# nested tables) computed in C, read as run.<id>[key]; the same with --jobs;
# a wrong group is a load error.
. "$(dirname "$0")/common.sh"

# depots_policy: clients in depots, with orders; r.lua alerts client C1
# with the run values named (tostring of each) as its title.
depots_policy() {
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients: {name: clients, id: id, columns: [{name: depot, type: text}, {name: vip, type: boolean}]}
tables:
  - name: orders
    key: client_id
    columns:
      - {name: status, type: text}
      - {name: amount, type: money}
YAML
  sqlite3 f.db "CREATE TABLE clients(id TEXT, depot TEXT, vip INTEGER);
    CREATE TABLE orders(client_id TEXT, status TEXT, amount REAL);
    INSERT INTO clients VALUES ('C1', 'north', 1), ('C2', 'north', 0), ('C3', 'south', 0),
      ('C4', NULL, 1), ('C5', 'east', 0);
    INSERT INTO orders VALUES ('C1', 'open', 10), ('C2', 'open', 2.5), ('C3', 'paid', 7),
      ('C3', 'open', NULL), ('C9', 'open', 1);"
  cat > r.lua <<'LUA'
aggregate { id = "per_depot", doc = "Clients per depot.", table = "clients", count = true, group = "depot" }
aggregate { id = "vips", doc = "VIP clients per depot.", table = "clients", count = true,
            group = "depot", where = { vip = true } }
aggregate { id = "clients", doc = "Clients.", table = "clients", count = true }
aggregate { id = "open_amount", doc = "Open amounts by status.", table = "orders", sum = "amount",
            group = "status" }
LUA
  saying_rule 'run.per_depot.north, run.per_depot.south, run.per_depot.west, run.vips.north,
    run.vips.south, run.clients, run.open_amount.open, run.open_amount.paid'
}

# saying_rule EXPRS: appends to r.lua a rule that alerts client C1 with the
# values of the Lua expressions EXPRS (a comma-separated list) as its title.
saying_rule() {
  cat >> r.lua <<LUA
rule {
  id = "load",
  doc = "Says the run values.",
  fn = function(c)
    if c.id ~= "C1" then return end
    local v = table.pack($1)
    local t = {}
    for i = 1, v.n do t[i] = tostring(v[i]) end
    alert { severity = "info", level = 1, assignee = "S1", title = table.concat(t, " ") }
  end,
}
LUA
}

# title_after_run ARGS...: runs with ARGS and prints the alert's title.
title_after_run() {
  cp_run run --config c.yaml --as-of 2026-06-30 "$@"
  expect_eq "exit of run" 0 "$RC"
  cp_run alerts --config c.yaml --format csv
  printf '%s\n' "$OUT" | sed -n 2p | cut -d, -f7
}

test_clients_are_counted_and_grouped_in_c() {
  depots_policy
  expect_eq "title" "2 1 nil 1 nil 5 1350 700" "$(title_after_run)"
}

test_grouped_values_are_the_same_with_jobs() {
  depots_policy
  expect_eq "title" "2 1 nil 1 nil 5 1350 700" "$(title_after_run --jobs 2)"
}

test_a_group_by_a_missing_field_fails_at_load() {
  depots_policy
  sed -i '1s/group = "depot"/group = "depto"/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:1: clients row has no field 'depto'" "$ERR"
}

test_a_group_with_a_step_function_is_refused() {
  depots_policy
  printf 'aggregate { id = "x", doc = "x", table = "orders", init = 0, group = "status",\n  step = function(a) return a end }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:1: aggregate{}: 'group' names a field (or lists up to 4), and goes with sum or count" "$ERR"
}

# two_keys_policy: depots_policy with r.lua counting clients by depot and
# VIP flag, and summing order amounts by status (a list of one field); the
# group list is changed after the declaration, which keeps its own copy.
two_keys_policy() {
  depots_policy
  cat > r.lua <<'LUA'
local by = { "depot", "vip" }
aggregate { id = "per_depot_vip", doc = "Clients by depot and VIP flag.", table = "clients",
            count = true, group = by }
by[1] = "vip"
aggregate { id = "by_status", doc = "Amounts by status.", table = "orders", sum = "amount",
            group = { "status" } }
LUA
  saying_rule 'run.per_depot_vip.north[true], run.per_depot_vip.north[false],
    run.per_depot_vip.south[true], run.per_depot_vip.south[false], run.per_depot_vip.east[false],
    run.per_depot_vip[true], run.by_status.open, run.by_status.paid'
}

test_groups_by_several_fields_are_nested_tables() {
  two_keys_policy
  expect_eq "title" "1 1 nil 1 1 nil 1350 700" "$(title_after_run)"
}

test_groups_by_several_fields_are_the_same_with_jobs() {
  two_keys_policy
  expect_eq "title" "1 1 nil 1 1 nil 1350 700" "$(title_after_run --jobs 2)"
}

# expect_group_error GROUP MESSAGE: check fails at r.lua:1 with MESSAGE for
# a count of clients grouped by GROUP.
expect_group_error() {
  rm -f f.db s.db
  depots_policy
  printf 'aggregate { id = "x", doc = "x", table = "clients", count = true, group = %s }\n' "$1" > r.lua
  cp_run check --config c.yaml
  expect_eq "exit for $1" 2 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:1: $2" "$ERR"
}

test_a_wrong_list_of_group_fields_fails_at_load() {
  expect_group_error '{}' "aggregate{}: 'group' lists 1 to 4 fields, not 0"
  expect_group_error '{"depot", "vip", "id", "depot", "vip"}' "aggregate{}: 'group' lists 1 to 4 fields, not 5"
  expect_group_error '{"depot", "depot"}' "aggregate{}: 'group' lists 'depot' twice"
  expect_group_error '{"depot", 3}' "aggregate{}: 'group' lists field names; item 2 is a number"
  expect_group_error '{"depot", "depto"}' "clients row has no field 'depto'"
  expect_group_error '{"depot", x = "vip"}' "aggregate{}: 'group' is a list of field names, without other keys"
  expect_group_error '3' "aggregate{}: 'group' names a field (or lists up to 4), and goes with sum or count"
}

run_tests
