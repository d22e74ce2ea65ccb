#!/usr/bin/env bash
# tests/hardening/test_bad_config.sh: configs that are valid YAML but extreme
# (found by hand and by tests/fuzz/): each is refused with a message naming
# the file and line, exit 2, or read as written; never a crash.
. "$(dirname "$0")/../lib.sh"

# minimal: a valid config (c.yaml, one rule file r.lua) and facts (f.db);
# what follows is appended to c.yaml by each test.
minimal() {
  clients_config "[]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C1','A','active','2026-01-01');"
  echo 'rule { id = "r", doc = "d", fn = function(c) end }' > r.lua
}

# nested N: N opening brackets, then N closing ones.
nested() {
  printf "%*s" "$1" "" | tr ' ' '['
  printf "%*s" "$1" "" | tr ' ' ']'
}

test_deeply_nested_params_are_refused_with_the_line() {
  minimal
  { echo "params:"; echo "  x: $(nested 200000)"; } >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "crmpolicy: c.yaml:6: " "$ERR"
  expect_eq "lines of message" 1 "$(printf '%s\n' "$ERR" | wc -l)"
}

test_params_nested_thirty_deep_are_read() {
  minimal
  { echo "params:"; echo "  x: $(nested 30)"; } >> c.yaml
  echo 'local x = params.x for i = 1, 29 do x = x[1] end
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { n = #x } } end }' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "data" '{"n":0}' "$(sqlite3 s.db "SELECT data FROM alerts")"
}

test_params_larger_than_the_heap_cap_are_refused() {
  minimal
  { echo "limits: {memory_mb: 1}"; echo "params:"; echo "  big:"
    seq 1 200000 | sed 's/^/    - /'; } >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "crmpolicy: c.yaml" "$ERR"
  expect_contains "message" "memory" "$ERR"
}

test_unknown_key_longer_than_the_log_names_its_line() {
  minimal
  printf '? %s\n: 1\n' "$(printf '%*s' 2100 '' | tr ' ' k)" >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "crmpolicy: c.yaml:5: unknown key 'kkkkkkkk" "$ERR"
  expect_eq "lines of message" 1 "$(printf '%s\n' "$ERR" | wc -l)"
  expect_eq "message ends" "kkkk'" "${ERR: -5}"
}

test_integer_param_beyond_int64_is_a_number() {
  minimal
  printf 'params:\n  big: 99999999999999999999\n  small: -9223372036854775809\n' >> c.yaml
  echo 'rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", data = { big = math.type(params.big), small = math.type(params.small) } }
end }' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "types" '{"big":"float","small":"float"}' "$(sqlite3 s.db "SELECT data FROM alerts")"
}

test_missing_top_level_key_is_named_at_the_top() {
  minimal
  sed -i '/^state:/d' c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:1: Missing required mapping field: state" "$ERR"
}

test_missing_key_of_clients_is_named_in_clients() {
  minimal
  sed -i 's/^clients: .*/clients:\n  id: id\n  columns: []/' c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:5: Missing required mapping field: name at clients" "$ERR"
}

run_tests
