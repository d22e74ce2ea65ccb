# tests/lib.sh: helpers for the shell tests. Each test file sources this,
# defines test_* functions, and ends with `run_tests`. Results are tallied in
# $RESULTS (one line per test: "pass NAME" or "fail NAME").
#
# CRMPOLICY is the binary under test; ROOT the project root; each test gets a
# fresh scratch folder $T.

set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CRMPOLICY=${CRMPOLICY:-$ROOT/build/release/crmpolicy}
RESULTS=${RESULTS:-/dev/null}
_failed=0

# fail MESSAGE: marks the current test failed, with a message.
fail() {
  echo "    $*" >&2
  _failed=1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" != "$3" ]; then
    fail "$1: expected [$2]"
    fail "$1:    found [$3]"
  fi
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
  case "$3" in
    *"$2"*) ;;
    *) fail "$1: expected to contain [$2]"; fail "$1: found [$3]" ;;
  esac
}

# cp_run ARGS...: runs crmpolicy; sets $OUT, $ERR and $RC.
cp_run() {
  OUT=$("$CRMPOLICY" "$@" 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# facts_db FILE SQL: creates a facts database with the contract and SQL.
facts_db() {
  sqlite3 "$1" < "$ROOT/schema/facts.sql" && sqlite3 "$1" "$2"
}

# PARAMS_KEY_TWINS: pairs of params keys that are one Lua key to a rule, each
# "FIRST SECOND|what they are the same" (config and fixture params alike).
PARAMS_KEY_TWINS='1 1.0|number
1e2 100|number
-0 0|number
0.1 0.10|number
9223372036854775808 9.223372036854775807e18|number
yes true|boolean'

# clients_config COLUMNS [LINE...]: writes c.yaml for the facts f.db, the
# state s.db and one rule file r.lua, with a clients table whose columns are
# COLUMNS (a YAML flow list); each further argument is one more line.
clients_config() {
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: %s}\n' \
    "$1" > c.yaml
  shift
  for line; do printf '%s\n' "$line" >> c.yaml; done
}

# clients_from_one_to N: c.yaml (clients_config, a text column status) and
# f.db with clients C001 to CN.
clients_from_one_to() {
  clients_config "[{name: status, type: text}]"
  facts_db f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO clients(id,name,status,created_on)
      SELECT printf('C%03d', i), 'c', 'active', '2026-01-01' FROM n;"
}

# hold_lock DB SQL: a background sqlite3 runs SQL on DB (a "BEGIN IMMEDIATE;
# ..." or "BEGIN EXCLUSIVE; ..." that takes a lock) and holds the lock until
# release_lock; returns once the lock is held, however slow the machine.
hold_lock() {
  rm -f "$T/lock.held" "$T/lock.release"
  sqlite3 "$1" "$2" ".shell touch '$T/lock.held'; while [ ! -e '$T/lock.release' ]; do sleep 0.05; done" \
    "COMMIT;" &
  LOCK_PID=$!
  timeout 60 sh -c "while [ ! -e '$T/lock.held' ]; do sleep 0.02; done" || fail "the lock on $1 was not taken"
}

# release_lock: ends the transaction of hold_lock and waits for its sqlite3.
release_lock() {
  touch "$T/lock.release"
  wait "$LOCK_PID"
}

# run_tests: runs every test_* function of the file, each in a new $T.
run_tests() {
  local name pass=0 total=0
  for name in $(declare -F | awk '{print $3}' | grep '^test_'); do
    T=$(mktemp -d)
    _failed=0
    ( cd "$T" && "$name" ) 2>&1 | sed 's/^/  /' > "$T.log"
    [ "${PIPESTATUS[0]}" = 0 ] || _failed=1
    grep -q . "$T.log" && _failed=1
    total=$((total + 1))
    if [ "$_failed" = 0 ]; then
      pass=$((pass + 1)); echo "pass $(basename "$0"):$name" >> "$RESULTS"
    else
      echo "FAIL $(basename "$0"):$name"; cat "$T.log"
      echo "fail $(basename "$0"):$name" >> "$RESULTS"
    fi
    rm -rf "$T" "$T.log"
  done
  echo "$(basename "$0"): $pass of $total passed"
  [ "$pass" = "$total" ]
}
