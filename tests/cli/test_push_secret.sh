#!/usr/bin/env bash
# tests/cli/test_push_secret.sh: a webhook whose secret_env variable is set
# but empty sends nothing, as one that is not set: an HMAC under the empty
# key is a signature anyone can make. The other sinks are delivered.
. "$(dirname "$0")/../lib.sh"

RECEIVER=$ROOT/tests/http_receiver.py
PIDS=""

receiver() {
  local name=$1
  shift
  rm -f "$name.port"
  python3 "$RECEIVER" --port-file "$name.port" --log "$name.log" "$@" 2> "$name.err" &
  PIDS="$PIDS $!"
  trap stop_receivers EXIT
  for _ in $(seq 1 300); do
    [ -s "$name.port" ] && { PORT=$(cat "$name.port"); return 0; }
    sleep 0.1
  done
  fail "receiver $name did not start: $(cat "$name.err")"
  return 1
}

stop_receivers() {
  for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=""
}

test_a_webhook_whose_secret_variable_is_empty_sends_nothing() {
  receiver empty || return
  local empty_port=$PORT
  receiver good || return
  clients_config "[{name: name, type: text}]" "sinks:" \
    "  - {name: empty, type: webhook, url: \"http://127.0.0.1:$empty_port/in\", secret_env: CP_EMPTY_SECRET, backoff_ms: 10}" \
    "  - {name: good, type: webhook, url: \"http://127.0.0.1:$PORT/in\", secret_env: CP_GOOD_SECRET, backoff_ms: 10}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','a','active','2026-01-01'), ('C2','b','active','2026-01-01');"
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info" } end }\n' > r.lua
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "run failed"
  OUT=$(CP_EMPTY_SECRET= CP_GOOD_SECRET=s3cret "$CRMPOLICY" push --config c.yaml 2> "$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
  expect_eq "exit" 7 "$RC"
  expect_contains "message" "(webhook http://127.0.0.1:$empty_port/in): its secret_env variable CP_EMPTY_SECRET is empty; it stays at seq 0 (2 events wait for the next push)" "$ERR"
  [ ! -s empty.log ] || fail "the sink with an empty secret sent something"
  expect_eq "the other sink delivered" "sink:good|2" \
    "$(sqlite3 s.db "SELECT name || '|' || seq FROM consumers ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
  stop_receivers
}

run_tests
