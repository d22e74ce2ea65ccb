#!/usr/bin/env bash
# tests/cli/test_progress.sh: the progress line of `crmpolicy run`: drawn on a
# terminal (a pseudo-terminal made by script(1)) once a run lasts more than a
# second, and nowhere else. The tests set the delay and the redraw interval
# (CRMPOLICY_PROGRESS_DELAY_MS, CRMPOLICY_PROGRESS_EVERY_MS) rather than
# racing the clock: they pass on a fast machine as on a slow one.
. "$(dirname "$0")/../lib.sh"

# slow_facts N: facts f.db with N clients, and a rule that spends a little
# time on each (well within the instruction budget).
slow_facts() {
  facts_db f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO clients(id, name, status, created_on)
      SELECT printf('C%05d', i), 'client ' || i, 'active', '2026-01-01' FROM n;"
  clients_config '[{name: name, type: text}]'
  cat > r.lua <<'LUA'
rule { id = "slow", doc = "Spends time on every client.",
       fn = function(c) local x = 0; for i = 1, 3000 do x = x + i end end }
LUA
}

# on_tty ARGS...: runs crmpolicy with stdout and stderr on a pseudo-terminal;
# sets $TTY to what it showed, carriage returns as new lines, and $RC.
on_tty() {
  local cmd
  printf -v cmd '%q ' "$CRMPOLICY" "$@"
  script -qfec "$cmd" /dev/null > tty.out 2>&1
  RC=$?
  TTY=$(tr '\r' '\n' < tty.out | grep -v '^ *$')
}

test_a_long_run_on_a_terminal_shows_clients_rate_and_time_left() {
  slow_facts 400
  # No delay, a drawing at every client: as a run past the delay would show.
  CRMPOLICY_PROGRESS_DELAY_MS=0 CRMPOLICY_PROGRESS_EVERY_MS=0 on_tty run --config c.yaml --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  expect_contains "a line under way" "of 400 clients" "$TTY"
  local under_way
  under_way=$(echo "$TTY" | grep -cE \
    '^  [0-9,]+ of 400 clients +[0-9]+% \[[#.]{20}\] [0-9,]+ clients/s  [0-9]+:[0-9]{2} left$')
  [ "$under_way" -gt 0 ] || fail "no line with a rate and the time left in: $TTY"
  expect_eq "the last line: the whole run" 1 \
    "$(echo "$TTY" | grep -cE '^  400 of 400 clients 100% \[#{20}\] [0-9,]+ clients/s  [0-9]+:[0-9]{2} in all$')"
  expect_contains "then the summary" "run 1 as of 2026-11-15: 400 clients evaluated" "$TTY"
}

test_quiet_draws_no_progress() {
  slow_facts 400
  CRMPOLICY_PROGRESS_DELAY_MS=0 CRMPOLICY_PROGRESS_EVERY_MS=0 \
    on_tty run --config c.yaml --as-of 2026-11-15 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "output" "" "$TTY"
}

test_no_progress_when_stderr_is_not_a_terminal() {
  slow_facts 400
  CRMPOLICY_PROGRESS_DELAY_MS=0 CRMPOLICY_PROGRESS_EVERY_MS=0 \
    cp_run run --config c.yaml --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "summary: clients, time taken and rate" 1 "$(echo "$OUT" | grep -cE \
    '^run 1 as of 2026-11-15: 400 clients evaluated in [0-9]+:[0-9]{2} \([0-9,]+ clients/s\), 0 rule errors, 0 data problems$')"
}

test_a_short_run_draws_no_progress() {
  facts_db f.db "INSERT INTO clients(id, name, status, created_on)
                 VALUES ('C1', 'one', 'active', '2026-01-01');"
  clients_config '[{name: name, type: text}]'
  echo 'rule { id = "quick", doc = "Nothing.", fn = function(c) end }' > r.lua
  # The default delay, a minute long here: whatever the machine's speed, a
  # run shorter than the delay draws nothing.
  CRMPOLICY_PROGRESS_DELAY_MS=60000 CRMPOLICY_PROGRESS_EVERY_MS=0 on_tty run --config c.yaml --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  expect_contains "summary" "1 client evaluated" "$TTY"
  expect_eq "progress lines" 0 "$(echo "$TTY" | grep -cE '^  [0-9,]+ of [0-9,]+ clients')"
}

run_tests
