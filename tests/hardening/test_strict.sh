#!/usr/bin/env bash
# tests/hardening/test_strict.sh: `crmpolicy run --strict` makes every data
# problem fatal: the first finding's message, exit 3, nothing written. (The
# flag is specified here before it exists.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# run_strict: a strict run as of 2026-06-01 on f.db.
run_strict() {
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --strict
}

# expect_stopped_at MESSAGE: exit 3, the first line is the finding's message
# (a note such as " (--strict)" may follow it), no other finding printed.
expect_stopped_at() {
  local first
  first=$(printf '%s\n' "$ERR" | head -1)
  expect_eq "exit" 3 "$RC"
  case "$first" in
    "crmpolicy: facts: $1"*) ;;
    *) fail "first line: expected [crmpolicy: facts: $1...]"; fail "first line:    found [$first]" ;;
  esac
  expect_eq "findings printed" 1 "$(printf '%s\n' "$ERR" | grep -c ' row .* column ')"
}

test_strict_is_described_in_the_help_of_run() {
  cp_run run --help
  expect_eq "exit" 0 "$RC"
  expect_contains "help" "--strict" "$OUT"
}

test_strict_does_not_apply_to_other_commands() {
  cp_run alerts --strict
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: alerts: option '--strict' does not apply to this command (see 'crmpolicy alerts --help')" "$ERR"
}

test_strict_run_on_sound_facts_runs_as_usual() {
  config; facts ""
  run_strict
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_strict_run_stops_at_a_malformed_date_and_writes_nothing() {
  config; facts "UPDATE orders SET ordered_on='2026-02-30' WHERE id='O2';"
  run_strict
  expect_stopped_at "orders row O2 column ordered_on: '2026-02-30' is not a date"
  [ ! -e s.db ] || expect_eq "runs written" 0 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_strict_run_stops_at_the_first_finding_in_client_order() {
  config
  facts "UPDATE surveys SET score='nine' WHERE id='S1';
         UPDATE orders SET amount='lots' WHERE id='O3';"
  untyped contacts
  sqlite3 f.db "UPDATE contacts SET level=NULL WHERE id='V2';"
  run_strict
  expect_stopped_at "surveys row S1 column score: 'nine' is not an integer"
}

test_strict_run_stops_at_a_row_of_an_unknown_client() {
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES('OM','C15','2026-03-01',1);"
  run_strict
  expect_stopped_at "orders row OM column client_id: 'C15' is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)"
}

test_strict_run_leaves_an_existing_state_as_it_was() {
  config; facts ""
  run_strict
  expect_eq "first run" 0 "$RC"
  sqlite3 s.db ".dump" > before.sql
  sqlite3 f.db "UPDATE contacts SET happened_at='yesterday' WHERE id='V1';"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet --strict
  expect_stopped_at "contacts row V1 column happened_at: 'yesterday' is not a timestamp"
  sqlite3 s.db ".dump" > after.sql
  cmp -s before.sql after.sql || fail "the strict run changed the state database"
}

test_run_without_strict_still_quarantines() {
  config; facts "UPDATE orders SET ordered_on='2026-02-30' WHERE id='O2';"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "findings" 1 "$(sqlite3 s.db "SELECT count(*) FROM findings")"
}

run_tests
