#!/usr/bin/env bash
# tests/cli/test_output_errno.sh: an output longer than stdio's buffer that
# cannot all be written (a full disk under `feed --since 0 > batch.jsonl`,
# a file size limit) is said with the reason of the write that failed, as
# the README quotes it, not "a write failed": the failed write came long
# before the end, and its errno used to be lost by then.
. "$(dirname "$0")/../lib.sh"

# many_events: a state whose feed is far longer than one stdio buffer.
many_events() {
  clients_config "[{name: name, type: text}]"
  facts_db f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
    INSERT INTO clients(id,name,status,created_on) SELECT printf('C%04d', i),'a','active','2026-01-01' FROM n;"
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = string.rep("x", 200) } end }\n' > r.lua
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "run: exit $?"
  [ "$("$CRMPOLICY" feed --config c.yaml --since 0 | wc -c)" -gt 65536 ] || fail "the feed is too short to test"
}

test_a_long_output_to_a_full_disk_says_no_space() {
  many_events
  local cmd
  for cmd in "feed --since 0" "feed --consumer c1" "alerts --format jsonl" "alerts --format csv" "alerts"; do
    "$CRMPOLICY" $cmd --config c.yaml >/dev/full 2>err
    expect_eq "$cmd: exit" 3 "$?"
    expect_eq "$cmd: message" "crmpolicy: standard output: No space left on device: what ${cmd%% *} printed is incomplete" "$(cat err)"
  done
}

test_a_long_output_past_a_file_size_limit_says_file_too_large() {
  many_events
  (ulimit -f 64; "$CRMPOLICY" feed --config c.yaml --since 0 >out.jsonl 2>err)
  expect_eq "exit" 3 "$?"
  expect_eq "message" "crmpolicy: standard output: File too large: what feed printed is incomplete" "$(cat err)"
  expect_eq "its size" 65536 "$(stat -c %s out.jsonl)"
}

test_a_reader_that_stops_is_still_silent_and_the_output_whole_otherwise() {
  many_events
  "$CRMPOLICY" feed --config c.yaml --since 0 2>err | head -c 10 >/dev/null
  expect_eq "exit" "3|" "${PIPESTATUS[0]}|$(cat err)"
  "$CRMPOLICY" feed --config c.yaml --since 0 >all.jsonl
  expect_eq "whole: exit" 0 "$?"
  expect_eq "whole: lines" 500 "$(wc -l < all.jsonl)"
  expect_eq "whole: last seq" 500 "$(tail -1 all.jsonl | sed 's/^{"seq":\([0-9]*\).*/\1/')"
}

run_tests
