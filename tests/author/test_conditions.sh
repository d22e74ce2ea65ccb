#!/usr/bin/env bash
# tests/author/test_conditions.sh: table conditions on rows (filter.c):
# ne, in (a list), not_in, null, is_nil/not_nil and or_nil select the right rows;
# an unknown operator, an empty condition, a date written as text, a
# value of the wrong type and a misspelt field of sum/max/min (for a client
# without rows too) are errors naming the rule file and line; numbers
# compare exactly, as in Lua, past 2^53 too.
. "$(dirname "$0")/common.sh"

# orders_policy: a client C1 with four orders; r.lua is the test's.
orders_policy() {
  rm -f f.db s.db
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients: {name: clients, id: id, columns: [{name: tier, type: text}]}
tables:
  - name: orders
    key: client_id
    order: id
    columns:
      - {name: id, type: integer}
      - {name: status, type: text}
      - {name: paid_on, type: date}
      - {name: amount, type: money}
YAML
  sqlite3 f.db "CREATE TABLE clients(id TEXT, tier TEXT);
    CREATE TABLE orders(client_id TEXT, id INTEGER, status TEXT, paid_on TEXT, amount REAL);
    INSERT INTO clients VALUES ('C1', 'gold'), ('C2', 'gold');
    INSERT INTO orders VALUES ('C1', 1, 'open', NULL, 10), ('C1', 2, 'paid', '2026-05-01', 20.5),
      ('C1', 3, 'void', NULL, NULL), ('C1', 4, NULL, '2026-06-01', 5);"
}

# counting_rule EXPR...: r.lua alerts C1 with the counts of the expressions
# (Lua, over o = c.orders) as its title.
counting_rule() {
  local list
  list=$(printf '%s, ' "$@")
  cat > r.lua <<LUA
rule {
  id = "counts",
  doc = "Counts orders.",
  fn = function(c)
    local o = c.orders
    if c.id ~= "C1" then return end
    alert { severity = "info", level = 1, assignee = "S1", title = table.concat({ $list }, " ") }
  end,
}
LUA
}

# title_of_run: runs as of 2026-06-30 and prints the alert's title.
title_of_run() {
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit of run" 0 "$RC"
  cp_run alerts --config c.yaml --format csv
  printf '%s\n' "$OUT" | sed -n 2p | cut -d, -f7
}

test_numbers_compare_exactly_as_in_lua_past_2_to_the_53() {
  orders_policy
  # ids 2^53 and 2^53 + 1: as doubles both are 2^53
  sqlite3 f.db "UPDATE orders SET id = 9007199254740992 WHERE id = 3; UPDATE orders SET id = 9007199254740993 WHERE id = 4;"
  counting_rule 'o:count({ id = { gt = 9007199254740992 } })' 'o:count(function(r) return r.id > 9007199254740992 end)' \
    'o:count({ id = 2.0^53 })' 'o:count(function(r) return r.id == 2.0^53 end)' \
    'o:count({ id = { ge = 2.0^53, lt = 9007199254740993 } })' 'o:count({ id = { le = 1.5 } })' \
    'o:count({ id = {9007199254740993, 2} })'
  expect_eq "table and function agree" "1 1 1 1 1 1 2" "$(title_of_run)"
}

test_ne_matches_other_values_and_nil_like_lua() {
  orders_policy
  counting_rule 'o:count({status = {ne = "open"}})' 'o:count({amount = {ne = null}})'
  expect_eq "counts" "3 3" "$(title_of_run)"
}

test_a_list_is_in_and_not_in_is_its_complement() {
  orders_policy
  counting_rule 'o:count({status = {"open", "paid"}})' 'o:count({status = {["in"] = {"void"}}})' \
    'o:count({status = {not_in = {"open", "paid"}}})'
  expect_eq "counts" "2 1 2" "$(title_of_run)"
}

test_null_and_is_nil_select_rows_without_a_value() {
  orders_policy
  counting_rule 'o:count({paid_on = null})' 'o:count({paid_on = {is_nil = true}})' \
    'o:count({paid_on = {is_nil = false}})' 'o:count({paid_on = {not_nil = true, ge = dt.date("2026-05-15")}})' \
    'o:count({status = {eq = "void"}, amount = null})'
  expect_eq "counts" "2 2 2 1 1" "$(title_of_run)"
}

test_or_nil_lets_a_nil_field_pass_beside_other_operators() {
  orders_policy
  counting_rule 'o:count({paid_on = {ge = dt.date("2026-05-15"), or_nil = true}})' \
    'o:count({paid_on = {ge = dt.date("2026-05-15"), or_nil = false}})' \
    'o:count({status = {ne = "open", or_nil = true}, paid_on = {lt = dt.date("2026-05-15"), or_nil = true}})' \
    'o:count({status = {["in"] = {"paid"}, or_nil = true}})' \
    'o:filter({amount = {gt = 1500, or_nil = true}}):count({paid_on = {gt = 0}})'
  expect_eq "counts" "3 1 2 2 1" "$(title_of_run)"
}

test_or_nil_alone_or_not_a_boolean_is_an_error() {
  expect_rule_error '{paid_on = {or_nil = true}}' "condition on orders.paid_on: or_nil goes with another operator ({gt = d, or_nil = true}: nil or after d); for nil alone write null"
  expect_rule_error '{paid_on = {or_nil = false}}' "condition on orders.paid_on: or_nil goes with another operator ({gt = d, or_nil = true}: nil or after d); for nil alone write null"
  expect_rule_error '{paid_on = {ge = 1, or_nil = 1}}' "condition on orders.paid_on: or_nil takes true or false"
  expect_rule_error '{status = {"open", or_nil = true}}' "condition on orders.status: a list of values {a, b} cannot also hold operators"
}

test_a_condition_or_list_from_params_is_read_like_a_table() {
  orders_policy
  printf 'params:\n  open: [open, paid]\n  late: {paid_on: {ge: 20576}}\n' >> c.yaml   # 2026-05-03
  counting_rule 'o:count({status = params.open})' 'o:count({status = {not_in = params.open}})' \
    'o:count(params.late)' 'o:filter({status = {["in"] = params.open}}):count(params.late)'
  expect_eq "counts" "2 2 1 0" "$(title_of_run)"
}

test_conditions_work_on_a_filtered_list() {
  orders_policy
  counting_rule 'o:filter({status = {"void", "paid"}}):count({paid_on = {ge = dt.date("2026-01-01")}})'
  expect_eq "counts" "1" "$(title_of_run)"
}

# expect_rule_error CONDITION MESSAGE: a rule counting with CONDITION fails
# the run with MESSAGE at r.lua:7, for a client without orders too.
expect_rule_error() {
  orders_policy
  counting_rule "o:count($1)"
  sed -i 's/    if c.id ~= "C1" then return end/    if c.id ~= "C2" then return end/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:7: $2 (rule counts, client C2)" "$ERR"
}

test_a_misspelt_or_text_field_of_sum_max_min_fails_without_rows_too() {
  # the field was looked up on the first matching row only: a client
  # without orders, or whose condition matched none, got a silent 0 (nil)
  # for o:sum("amout") and failed only for the others
  local call
  for call in 'o:sum("amout")' 'o:max("amout")' 'o:min("amout", {status = "none"})'; do
    orders_policy
    counting_rule "$call"
    sed -i 's/    if c.id ~= "C1" then return end/    if c.id ~= "C2" then return end/' r.lua
    cp_run run --config c.yaml --as-of 2026-06-30
    expect_eq "$call: exit" 1 "$RC"
    expect_eq "$call: stderr" "crmpolicy: r.lua:7: orders row has no field 'amout' (rule counts, client C2)" "$ERR"
  done
  orders_policy
  counting_rule 'o:sum("status", {status = "none"})'
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "sum of a text column: exit" 1 "$RC"
  expect_eq "sum of a text column: stderr" "crmpolicy: r.lua:7: sum(): the field is not a number (rule counts, client C1)" "$ERR"
  counting_rule 'o:sum("amount", {status = "none"})' 'o:sum("paid_on", {status = "none"})' 'o:sum("amount")'
  expect_eq "sums" "0 0 3550" "$(title_of_run)"
}

test_an_in_list_with_other_keys_or_holes_is_an_error() {
  # {["in"] = {"open", paid = true}} read "open" only, and {"a", nil, "c"}
  # "a" only: the rest was left out without a word
  local holes="condition on orders.status: in and not_in take a list {a, b}: this one holds other keys or holes"
  expect_rule_error '{status = {["in"] = {"open", paid = true}}}' "$holes"
  expect_rule_error '{status = {not_in = {"open", nil, "void"}}}' "$holes"
  expect_rule_error '{status = {["in"] = {paid = true}}}' "$holes"
}

test_an_unknown_operator_is_an_error() {
  expect_rule_error '{paid_on = {gte = 3}}' "condition on orders.paid_on: unknown operator 'gte' (gt, ge, lt, le, eq, ne, in, not_in, is_nil, not_nil, or_nil; a list {a, b} means in)"
}

# with_paid_at: orders_policy's orders with a timestamp column too, paid_at.
with_paid_at() {
  orders_policy
  sed -i 's/^      - {name: amount, type: money}$/&\n      - {name: paid_at, type: timestamp}/' c.yaml
  sqlite3 f.db "ALTER TABLE orders ADD COLUMN paid_at TEXT;
    UPDATE orders SET paid_at = '2026-06-20T10:00:00' WHERE id = 2;"
}

test_a_day_against_a_timestamp_or_a_time_against_a_date_is_an_error() {
  local cond msg
  for cond in '{paid_at = {ge = dt.today - 30}}|condition on orders.paid_at: 20604 is a day number, not a time (a timestamp column holds seconds: dt.now, dt.time("2026-01-31T09:00:00"); of a day d, dt.start(d))' \
              '{paid_at = dt.today}|condition on orders.paid_at: 20634 is a day number, not a time' \
              '{paid_on = {lt = dt.now}}|condition on orders.paid_on: 1782863999 is no date (a date column holds day numbers, 0000-01-01 to 9999-12-31: dt.today, dt.date("2026-01-31"); of a time t, dt.day(t))' \
              '{paid_on = {dt.now}}|condition on orders.paid_on: 1782863999 is no date'; do
    with_paid_at
    counting_rule "o:count(${cond%%|*})"
    cp_run run --config c.yaml --as-of 2026-06-30
    expect_eq "${cond%%|*}: exit" 1 "$RC"
    expect_contains "${cond%%|*}: message" "r.lua:7: ${cond#*|}" "$ERR"
  done
  # the right units, and no bound, count as they should
  with_paid_at
  counting_rule 'o:count({paid_at = {ge = dt.start(dt.today - 30)}})' \
    'o:count({paid_on = {ge = dt.today - 30, lt = math.huge}})' 'o:count({paid_at = {gt = -math.huge}})'
  expect_eq "counts" "1 1 1" "$(title_of_run)"
}

test_a_date_written_as_text_is_an_error() {
  expect_rule_error '{paid_on = {ge = "2026-05-01"}}' 'condition on orders.paid_on: a range takes numbers (a date is dt.date("2026-01-31"))'
  expect_rule_error '{paid_on = "2026-05-01"}' "condition on orders.paid_on: a date column compares with a number (dt.date(\"2026-05-01\")), not the text '2026-05-01'"
}

test_a_value_of_the_wrong_type_is_an_error() {
  expect_rule_error '{status = 3}' "condition on orders.status: a text column compares with a string, not a number"
  expect_rule_error '{status = {gt = 3}}' "condition on orders.status: a range (gt, ge, lt, le) is for a number, money, date or timestamp column"
}

test_an_empty_condition_is_an_error() {
  expect_rule_error '{paid_on = nil}' "an empty condition table {} (a field = nil leaves no key: write field = null for 'is nil', or give no condition for every row)"
  expect_rule_error '{paid_on = {}}' "condition on orders.paid_on: an empty condition {}"
}

test_the_key_is_not_a_row_field_unless_declared_and_the_error_says_so() {
  orders_policy
  printf 'aggregate { id = "n", doc = "Orders by client.", table = "orders", count = true,\n  group = "client_id" }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr (no traceback: the place says it all)" "crmpolicy: r.lua:1: orders row has no field 'client_id' (it is the table's key: declare it under the table's columns too to read it)" "$ERR"
  sed -i 's/      - {name: id, type: integer}/      - {name: client_id, type: text}\n&/' c.yaml
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit once declared" 0 "$RC"
}

test_check_reports_a_wrong_aggregate_condition_with_its_line() {
  orders_policy
  printf 'aggregate { id = "n", doc = "Orders.", table = "orders", count = true,\n  where = {status = {neq = "open"}} }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:1: condition on orders.status: unknown operator 'neq'" "$ERR"
}

run_tests
