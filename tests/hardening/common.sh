# tests/hardening/common.sh: helpers shared by the hardening tests, sourced
# after tests/lib.sh: generated demo facts (cached), the demo config, and a
# digest of a state database that two runs can be compared by.

DEMO_CONFIG=$ROOT/examples/demo/crmpolicy.yaml
DEMO_GEN=$ROOT/build/gen/demo-gen
CACHE=$ROOT/build/hardening

# demo_facts N: prints the path of demo facts with N clients, generated once
# (the generator is deterministic) into build/hardening/.
demo_facts() {
  local db=$CACHE/facts-$1.db
  if [ ! -s "$db" ] || [ "$DEMO_GEN" -nt "$db" ] || [ "$ROOT/schema/facts.sql" -nt "$db" ]; then
    mkdir -p "$CACHE"
    [ -x "$DEMO_GEN" ] || make -s -C "$ROOT" build/gen/demo-gen >/dev/null || return 1
    rm -f "$db.tmp"
    "$DEMO_GEN" -s "$ROOT/schema/facts.sql" -o "$db.tmp" -n "$1" --as-of 2026-11-15 \
      >/dev/null && mv "$db.tmp" "$db" || return 1
  fi
  echo "$db"
}

# demo_run STATE AS_OF FACTS [ARGS...]: runs the demo policy quietly; sets
# $RC, $OUT, $ERR like cp_run.
demo_run() {
  local state=$1 as_of=$2 facts=$3
  shift 3
  cp_run run --config "$DEMO_CONFIG" --facts "$facts" --state "$state" --as-of "$as_of" \
    --quiet "$@"
}

# state_digest DB: prints what a state database holds, without what differs
# between two runs that did the same thing (row and run ids, wall-clock
# times, seq numbers): alerts, assignments, the feed in seq order, runs,
# findings and rule errors.
state_digest() {
  sqlite3 -batch "$1" <<'SQL'
.mode list
.separator |
SELECT 'alert', fingerprint, rule, client_id, key, severity, level, assignee, title, data,
       status, opened_at, updated_at FROM alerts ORDER BY client_id, rule, key;
SELECT 'assignment', fingerprint, rule, client_id, key, kind, assignee, data, status,
       opened_at, updated_at FROM assignments ORDER BY client_id, rule, key;
SELECT 'event', type, at, fingerprint, rule, client_id, key, body FROM events ORDER BY seq;
SELECT 'run', as_of, status, clients, rule_errors, findings, events FROM runs ORDER BY id;
SELECT 'finding', tbl, row_id, col, value, problem FROM findings ORDER BY run_id, rowid;
SELECT 'rule_error', rule, client_id, message FROM rule_errors ORDER BY run_id, rowid;
SQL
}

# expect_same_state WHAT EXPECTED_DIGEST_FILE DB: the state of DB equals the
# digest; shows the first differences otherwise.
expect_same_state() {
  state_digest "$3" > "$T/digest.now"
  if ! cmp -s "$2" "$T/digest.now"; then
    fail "$1: the state differs from the expected one:"
    diff "$2" "$T/digest.now" | head -6 | while IFS= read -r line; do fail "  ${line:0:160}"; done
  fi
}

# integrity DB: prints SQLite's integrity check ("ok").
integrity() {
  sqlite3 -batch "$1" "PRAGMA integrity_check" 2>&1
}

# copy_db FROM TO: copies a database whose last connection has closed
# (no -wal content left), removing TO's -wal and -shm.
copy_db() {
  rm -f "$2" "$2-wal" "$2-shm"
  cp "$1" "$2"
}
