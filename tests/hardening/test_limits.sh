#!/usr/bin/env bash
# tests/hardening/test_limits.sh: the process's limits are said as such. A
# run that runs out of file descriptors (ulimit -n, systemd's LimitNOFILE)
# while it opens the facts, one connection per worker of --jobs N, is a
# runtime failure (exit 3) that names the limit, not "unable to open
# database file" and exit 2, which sent the reader to the export; the state
# is untouched, and the same run within the limit succeeds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# run_limited N ARGS...: crmpolicy ARGS under ulimit -n N; sets $RC and $ERR.
run_limited() {
  local n=$1; shift
  # descriptors the test was started with (a CI runner's) closed first: the
  # command starts with standard input, output and error alone
  ( for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    ulimit -n "$n" && exec "$CRMPOLICY" "$@" ) >/dev/null 2>"$T/stderr"
  RC=$?
  ERR=$(cat "$T/stderr")
}

test_running_out_of_file_descriptors_opening_the_facts_is_exit_3_naming_the_limit() {
  config; facts ""
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "the first run failed"
  local before; before=$(sqlite3 s.db "SELECT count(*) FROM runs; SELECT count(*) FROM events")
  # 64 workers read the facts on 65 connections: more than 40 descriptors
  run_limited 40 run --config c.yaml --as-of 2026-06-02 --jobs 64 --quiet
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: facts: f.db: unable to open database file (Too many open files: this process may have 40 open at most, as ulimit -n or systemd's LimitNOFILE says, and each worker of --jobs N opens the facts once more)" "$ERR"
  expect_eq "state untouched" "$before" "$(sqlite3 s.db "SELECT count(*) FROM runs; SELECT count(*) FROM events")"
  run_limited 4096 run --config c.yaml --as-of 2026-06-02 --jobs 64 --quiet
  expect_eq "exit within the limit" 0 "$RC"
  expect_eq "stderr within the limit" "" "$ERR"
  expect_eq "runs" 2 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

# A rule file that cannot be read for want of descriptors is the machine's
# limit too (exit 3), not a rule file error (exit 2). Standard input,
# output and error, and no other: the fourth descriptor is the rule file's.
test_a_rule_file_unread_for_want_of_file_descriptors_is_exit_3() {
  config; facts ""
  run_limited 4 check --config c.yaml
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: r.lua: cannot read: Too many open files: this process may have 4 open at most, as ulimit -n or systemd's LimitNOFILE says, and each worker of --jobs N opens the facts once more" "$ERR"
  run_limited 64 check --config c.yaml
  expect_eq "within the limit" "0|" "$RC|$ERR"
}

run_tests
