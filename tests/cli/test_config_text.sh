#!/usr/bin/env bash
# tests/cli/test_config_text.sh: an empty text (or one too long) where the
# config wants a text is an error that says so at its line and key, not
# libcyaml's "STRING length < 1:  at feed.salt".
. "$(dirname "$0")/../lib.sh"

test_an_empty_text_says_what_and_where() {
  clients_config "[{name: name, type: text}]" "feed: {mask: [client_id], salt: \"\"}"
  cp_run check --config c.yaml
  expect_eq "salt" "2|crmpolicy: c.yaml:5: feed.salt: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
  clients_config "[{name: name, type: text}]" "sinks:" "  - {name: a, type: webhook, url: ''}"
  cp_run check --config c.yaml
  expect_eq "url" "2|crmpolicy: c.yaml:6: sinks: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
  clients_config "[{name: '', type: text}]"
  cp_run check --config c.yaml
  expect_eq "column name" "2|crmpolicy: c.yaml:4: clients.columns: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
}

# README "The config": its example config passes check and runs, as written,
# against facts made for it (readme-check: it declared no ordered_on column
# and named a lookup 'depots' it did not declare).
test_the_readmes_example_config_checks_and_runs() {
  sed -n '/^## The config$/,/^```$/p' "$ROOT/README.md" | sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' > c.yaml
  expect_contains "the example" "kinds: {depot: depots}" "$(cat c.yaml)"
  mkdir rules
  printf 'derive { id = "late", doc = "d", fn = function(c) return #c.orders end }\n' > rules/derived.lua
  printf 'rule { id = "contact.dormant", doc = "d", fn = function(c) if c.late > 0 then alert { severity = "warning", title = "t" } end end }\n' > rules/visits.lua
  sqlite3 facts.db "CREATE TABLE clients(id TEXT PRIMARY KEY, status TEXT, created_on TEXT);
    CREATE TABLE orders(id TEXT, client_id TEXT, ordered_on TEXT, amount REAL, delivered_on TEXT);
    CREATE TABLE staff(id TEXT PRIMARY KEY, active INTEGER); CREATE TABLE depots(id TEXT PRIMARY KEY);
    INSERT INTO clients VALUES ('C1', 'active', '2026-01-01');
    INSERT INTO orders VALUES ('O1', 'C1', '2026-05-01', 12.5, NULL);"
  cp_run check --config c.yaml
  expect_eq "check" "0|" "$RC|$ERR"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "run" "0|" "$RC|$ERR"
  expect_eq "the alert" "C1|contact.dormant" "$(sqlite3 state.db "SELECT client_id, rule FROM alerts")"
}

run_tests
