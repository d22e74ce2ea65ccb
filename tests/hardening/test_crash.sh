#!/usr/bin/env bash
# tests/hardening/test_crash.sh: `crmpolicy run` killed with SIGKILL at many
# points of a run leaves a sound state database that holds the whole run or
# none of it, and running again reaches exactly the state of a run that was
# never interrupted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CLIENTS=8000            # a run of the demo policy lasts about 1 s (0.5 s release, 1.5 s ASan)
DAY1=2026-10-15         # the state before the interrupted run
DAY2=2026-11-15         # the run that is interrupted
KILLS=20                # kill points spread over one run
REF=$(mktemp -d)        # reference states, shared by the tests of this file
trap 'rm -rf "$REF"' EXIT

# Sets up, once per file, $REF/base.db (the state after a run as of DAY1),
# $REF/ref1 and $REF/ref2 (digests after DAY1 and after DAY1 then DAY2),
# $REF/ref2r (after DAY2 run twice) and $REF/duration (how long the DAY2 run
# takes, in ms); sets FACTS and DURATION_MS. Prints nothing.
reference() {
  FACTS=$(demo_facts $CLIENTS) || { fail "cannot generate the demo facts"; return 1; }
  [ -s "$REF/duration" ] || ( T=$REF; make_reference ) || return 1
  DURATION_MS=$(cat "$REF/duration")
  [ "$DURATION_MS" -gt 0 ]
}

# Makes the reference states in $T (= $REF).
make_reference() {
  demo_run "$T/base.db" $DAY1 "$FACTS"
  expect_eq "reference run as of $DAY1" 0 "$RC"
  [ "$RC" = 0 ] || return 1
  state_digest "$T/base.db" > "$T/ref1"
  copy_db "$T/base.db" "$T/full.db"
  local start=$(date +%s%N)
  demo_run "$T/full.db" $DAY2 "$FACTS"
  DURATION_MS=$((($(date +%s%N) - start) / 1000000))
  expect_eq "reference run as of $DAY2" 0 "$RC"
  state_digest "$T/full.db" > "$T/ref2"
  demo_run "$T/full.db" $DAY2 "$FACTS"
  state_digest "$T/full.db" > "$T/ref2r"
  cmp -s "$T/ref1" "$T/ref2" && fail "the two reference runs left the same state"
  echo "$DURATION_MS" > "$T/duration"
}

# kill_run STATE AS_OF DELAY_MS: starts a run and sends it SIGKILL after
# DELAY_MS; sets KILLED=1 when it was still running then.
kill_run() {
  "$CRMPOLICY" run --config "$DEMO_CONFIG" --facts "$FACTS" --state "$1" --as-of "$2" \
    --quiet >/dev/null 2>"$T/killed.err" &
  local pid=$!
  sleep "$(printf '%d.%03d' $(($3 / 1000)) $(($3 % 1000)))"
  KILLED=0
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null && KILLED=1
  wait "$pid" 2>/dev/null
}

# which_state DB: prints "none" or "whole" when DB holds the state before or
# after the interrupted run, else "partial".
which_state() {
  state_digest "$1" > "$T/digest.killed"
  if cmp -s "$REF/ref1" "$T/digest.killed"; then echo none
  elif cmp -s "$REF/ref2" "$T/digest.killed"; then echo whole
  else echo partial
  fi
}

test_killed_run_lands_whole_or_not_at_all_and_a_rerun_converges() {
  reference || return
  local a=0 delay landed killed=0 none=0 whole=0 estimate=$DURATION_MS
  # Kill points spread over the run until $KILLS of them caught it in flight:
  # the machine's speed varies, so a kill that came after the run ended
  # shortens the estimate of how long a run takes.
  while [ "$killed" -lt "$KILLS" ] && [ "$a" -lt $((KILLS * 3)) ]; do
    a=$((a + 1))
    delay=$((estimate * ((a - 1) % KILLS + 1) / (KILLS + 1)))
    copy_db "$REF/base.db" "$T/w.db"
    kill_run "$T/w.db" $DAY2 $delay
    killed=$((killed + KILLED))
    [ "$KILLED" = 1 ] || estimate=$((estimate * 3 / 4))
    expect_eq "integrity after a kill at $delay ms" ok "$(integrity "$T/w.db")"
    landed=$(which_state "$T/w.db")
    case $landed in
      none) none=$((none + 1)) ;;
      whole) whole=$((whole + 1)) ;;
      *) fail "kill at $delay ms: the state holds part of the run:"
         fail "  $(sqlite3 "$T/w.db" "SELECT 'runs '||count(*)||', events '||
                (SELECT count(*) FROM events)||', status '||group_concat(status) FROM runs")" ;;
    esac
    [ "$(sqlite3 "$T/w.db" "SELECT count(*) FROM runs WHERE status NOT IN
          ('complete','incomplete')")" = 0 ] || fail "kill at $delay ms: a run that never ended shows"
    demo_run "$T/w.db" $DAY2 "$FACTS"
    expect_eq "rerun after a kill at $delay ms" 0 "$RC"
    expect_same_state "rerun after a kill at $delay ms" \
      "$REF/$([ "$landed" = whole ] && echo ref2r || echo ref2)" "$T/w.db"
  done
  # every kill point must have caught a run in flight, most before the commit
  [ "$killed" -ge "$KILLS" ] || fail "only $killed of $a kills caught a run in flight"
  [ "$none" -ge $((KILLS / 2)) ] || fail "only $none of $a kills came before the commit"
  echo "$(date -u +%FT%TZ) $(basename "$(dirname "$CRMPOLICY")") ${DURATION_MS} ms run: $a kills," \
    "$killed in flight, $none left the state before, $whole the whole run" >> "$CACHE/crash-stats.txt"
}

# rows DB TABLE: prints the number of rows of TABLE, 0 when it does not exist.
rows() {
  if [ "$(sqlite3 "$1" "SELECT count(*) FROM sqlite_schema WHERE name='$2'")" = 1 ]; then
    sqlite3 "$1" "SELECT count(*) FROM $2"
  else
    echo 0
  fi
}

test_killed_first_run_leaves_no_run_behind() {
  reference || return
  local delay committed
  for delay in 50 $((DURATION_MS / 3)) $((DURATION_MS * 2 / 3)); do
    rm -f "$T/new.db" "$T/new.db-wal" "$T/new.db-shm"
    kill_run "$T/new.db" $DAY1 $delay
    committed=0
    if [ -e "$T/new.db" ]; then
      expect_eq "integrity after a kill at $delay ms" ok "$(integrity "$T/new.db")"
      committed=$(rows "$T/new.db" runs)
      if [ "$committed" = 0 ]; then
        expect_eq "events after a kill at $delay ms" 0 "$(rows "$T/new.db" events)"
        expect_eq "alerts after a kill at $delay ms" 0 "$(rows "$T/new.db" alerts)"
      else
        expect_same_state "kill at $delay ms after the commit" "$REF/ref1" "$T/new.db"
      fi
    fi
    demo_run "$T/new.db" $DAY1 "$FACTS"
    expect_eq "rerun after a kill at $delay ms" 0 "$RC"
    if [ "$committed" = 0 ]; then
      expect_same_state "rerun after a kill at $delay ms of the first run" "$REF/ref1" "$T/new.db"
    fi
  done
}

# `test` ended by SIGTERM (or SIGINT, SIGHUP) removes its fixture's folder.
# strace delivers the signal at an exact system call: the mkdir of mkdtemp
# (the folder made, the handler not yet told of it) and the readdir that
# begins its removal (the handler was told to forget it first, so the
# files not yet removed, the -wal and -shm a read-only reader of the state
# leaves until then, stayed with the folder). Each was seen with a Ctrl-C
# at a random moment, 1 in 40.
test_test_ended_by_a_signal_at_its_folder_edges_leaves_nothing() {
  command -v strace > /dev/null && strace -o /dev/null true 2> /dev/null || return 0
  local fx=$ROOT/tests/policy/visits/account_key_warns_at_61_days_and_is_critical_at_122.yaml sc
  mkdir tmp
  for sc in mkdir getdents64; do
    ( ASAN_OPTIONS=detect_leaks=0 TMPDIR=$T/tmp strace -y -o "$T/strace.$sc" -e trace=$sc \
        -e inject=$sc:signal=SIGTERM:when=1 "$CRMPOLICY" test --quiet --config "$DEMO_CONFIG" \
        "$fx" > /dev/null 2>&1
      echo $? > "$T/rc" ) 2> /dev/null
    expect_eq "$sc: exit" 143 "$(cat "$T/rc")"
    grep -q "^$sc(.*crmpolicy-test\." "$T/strace.$sc" ||
      fail "$sc: the signal came elsewhere: $(head -c 300 "$T/strace.$sc")"
    expect_eq "$sc: left in TMPDIR" "" "$(ls -A tmp)"
  done
}

# `report -o` ended by SIGTERM (or SIGINT, SIGHUP) removes its temporary
# file: r.html.tmp-XXXXXX, customer data, stayed beside the report. strace
# delivers the signal at the temporary file's fchmod (just made) and fsync
# (written whole, not yet renamed).
test_report_ended_by_a_signal_leaves_no_temporary_file() {
  command -v strace > /dev/null && strace -o /dev/null true 2> /dev/null || return 0
  reference || return
  local sc
  mkdir out
  copy_db "$REF/full.db" "$T/s.db"
  for sc in fchmod fsync; do
    ( ASAN_OPTIONS=detect_leaks=0 strace -y -o "$T/strace.$sc" -e trace=$sc \
        -e inject=$sc:signal=SIGTERM:when=1 "$CRMPOLICY" report --config "$DEMO_CONFIG" \
        --facts "$FACTS" --state "$T/s.db" --as-of $DAY2 -o out/r.html > /dev/null 2>&1
      echo $? > "$T/rc" ) 2> /dev/null
    expect_eq "$sc: exit" 143 "$(cat "$T/rc")"
    grep -q "^$sc(.*r\.html\.tmp-" "$T/strace.$sc" ||
      fail "$sc: the signal came elsewhere: $(head -c 300 "$T/strace.$sc")"
    expect_eq "$sc: left beside the report" "" "$(ls -A out)"
  done
}

run_tests
