#!/usr/bin/env bash
# tests/hardening/test_out_of_memory.sh: the process's memory running out
# anywhere. A preloaded allocator (failalloc.c) makes malloc fail from its
# Nth call on (the memory is gone) or at its Nth call only (a passing
# shortage), at points spread over a whole command. Each time the command
# must say "out of memory" and exit 3 (never 2, which sends the reader to the
# config, the rules or the export, never "internal error", a crash or a
# hang), a run must leave the state as it was (or, when the shortage passed
# unnoticed or came after the commit, exactly as a run with memory enough
# leaves it; or, when it failed one rule for one client, commit with that
# rule error kept, exit 1), and the next run with memory enough must work. Found this way and fixed: a config
# parser that never ended (libyaml's failed initialization unchecked), the
# state's columns added twice after a failed read, a shortage named a config,
# rules or facts error (exit 2) or "internal error".
#
# LD_PRELOAD cannot stand in for ASan's allocator: both passes run the
# release build, each at its own points (the ASan pass between the release
# pass's).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/badfacts.sh"

BIN=$ROOT/build/release/crmpolicy
FAILALLOC=$ROOT/build/test/failalloc.so
POINTS=${OOM_POINTS:-60}
case $CRMPOLICY in */asan/*) HALF=1 ;; *) HALF=0 ;; esac

# under_oom AFTER ONCE ARGS...: crmpolicy ARGS with every allocation after the
# AFTER-th failing (ONCE=1: only the next one); sets $RC and $ERR, its
# standard output in $T/stdout.
under_oom() {
  local after=$1 once=$2
  shift 2
  FAILALLOC_AFTER=$after FAILALLOC_ONCE=$once LD_PRELOAD=$FAILALLOC timeout -k 5 120 \
    "$BIN" "$@" >"$T/stdout" 2>"$T/stderr"
  RC=$?
  ERR=$(cat "$T/stderr")
}

# allocations ARGS...: prints how many allocations crmpolicy ARGS makes; its
# standard output in $T/stdout.ref.
allocations() {
  FAILALLOC_COUNT=$T/count LD_PRELOAD=$FAILALLOC "$BIN" "$@" >"$T/stdout.ref" 2>/dev/null
  cat "$T/count"
}

# points TOTAL: prints POINTS allocation numbers spread over 0..TOTAL-1.
points() {
  local step=$(( $1 / POINTS + 1 ))
  for ((n = HALF * step / 2; n < $1; n += step)); do echo "$n"; done
}

# said_out_of_memory WHAT: the last command exited 3 saying so, and nothing else.
said_out_of_memory() {
  if [ "$RC" != 3 ]; then
    fail "$1: exit $RC, not 3: ${ERR:0:300}"
  elif [ -z "$(printf '%s\n' "$ERR" | grep -E 'out of memory|not enough memory|Cannot allocate memory')" ]; then
    fail "$1: exit 3 without saying out of memory: ${ERR:0:300}"
  elif printf '%s\n' "$ERR" | grep -q 'internal error'; then
    fail "$1: called an internal error: ${ERR:0:300}"
  fi
}

setup() {
  [ -s "$FAILALLOC" ] || make -s -C "$ROOT" build/test/failalloc.so >/dev/null ||
    { fail "cannot build failalloc.so"; return 1; }
  [ -x "$BIN" ] || make -s -C "$ROOT" build/release/crmpolicy >/dev/null ||
    { fail "cannot build the release build"; return 1; }
  FACTS=$(demo_facts 300) || { fail "demo facts"; return 1; }
  cd "$T" || return 1
  RUN=(run --config "$DEMO_CONFIG" --facts "$FACTS" --state s.db --quiet)
  "$BIN" "${RUN[@]}" --as-of 2026-11-14 2>/dev/null || { fail "the first night failed"; return 1; }
  copy_db s.db night1.db
  state_digest night1.db > night1.digest
  copy_db night1.db ref.db
  "$BIN" run --config "$DEMO_CONFIG" --facts "$FACTS" --state ref.db --quiet --as-of 2026-11-15 \
    2>/dev/null || { fail "the second night failed"; return 1; }
  state_digest ref.db > night2.digest
}

# second_nights ONCE ARGS...: the second night (with ARGS) at every point;
# checks the exit, the message and the state each time.
second_nights() {
  local once=$1 total n stopped=0 passed=0 last_stopped=0
  shift
  total=$(copy_db night1.db s.db; allocations "${RUN[@]}" --as-of 2026-11-15 "$@")
  [ "${total:-0}" -gt 1000 ] || { fail "counted ${total:-no} allocations"; return; }
  for n in $(points "$total"); do
    copy_db night1.db s.db
    under_oom "$n" "$once" "${RUN[@]}" --as-of 2026-11-15 "$@"
    if [ "$RC" = 0 ]; then
      # the shortage passed unmet, or came after the commit (the copy from
      # the -wal then only warns): the night as with memory enough
      passed=$((passed + 1))
      expect_same_state "after $n allocations, exit 0" night2.digest s.db
    elif [ "$once" = 1 ] && [ "$RC" = 1 ]; then
      # it failed one rule for one client, which keeps that rule's results
      # (README "Exit codes": 1): the run is committed, the error kept
      expect_contains "after $n allocations, exit 1: said" "memory" "$ERR"
      expect_eq "after $n allocations, exit 1: the rule error kept" 1 \
        "$(sqlite3 s.db "SELECT count(*) > 0 FROM rule_errors WHERE run_id = (SELECT max(id) FROM runs)
                         AND message LIKE '%memory%'")"
    else
      stopped=$((stopped + 1))
      last_stopped=$n
      said_out_of_memory "after $n allocations"
      [ -e s.db ] && expect_same_state "after $n allocations, exit $RC" night1.digest s.db
    fi
    [ "$_failed" = 0 ] || { fail "(FAILALLOC_AFTER=$n FAILALLOC_ONCE=$once)"; return; }
  done
  [ "$once" = 1 ] || [ "$stopped" -gt $((passed * 4)) ] ||
    fail "only $stopped of $((stopped + passed)) runs stopped: is the allocator preloaded?"
  # a state a failed run left takes the night as if nothing had happened
  [ "$stopped" -gt 0 ] || return
  copy_db night1.db s.db
  under_oom "$last_stopped" "$once" "${RUN[@]}" --as-of 2026-11-15 "$@"
  [ "$RC" = 0 ] && copy_db night1.db s.db   # the shortage passed unmet this time
  "$BIN" "${RUN[@]}" --as-of 2026-11-15 "$@" 2>/dev/null
  expect_eq "the night with memory enough: exit" 0 "$?"
  expect_same_state "the night with memory enough" night2.digest s.db
}

test_a_night_out_of_memory_anywhere_says_so_exits_3_and_leaves_the_state_as_it_was() {
  setup || return
  second_nights 0
}

test_a_passing_shortage_anywhere_stops_the_night_or_changes_nothing() {
  setup || return
  second_nights 1
}

# With two workers, memory that is gone stops the night as with one. A
# passing shortage anywhere is not swept here with two (which allocation
# fails depends on the threads: it is aimed at with FAILALLOC_UNDER below);
# such a sweep found a worker's chunk left unbounded, which read no row of a
# table, and a statement finalized twice.
test_with_two_workers_too() {
  setup || return
  second_nights 0 --jobs 2
}

# under_in FUNCTION: FAILALLOC_UNDER's value (offset:size) for a function of
# the release build, static ones too.
under_in() {
  nm -S "$BIN" | awk -v f="$1" '($3 == "t" || $3 == "T") && $4 == f { print $1 ":0x" $2; exit }'
}

# sweep_under FUNCTION DEPTH ARGS...: the second night with ARGS, a passing
# shortage at each allocation FUNCTION makes, itself or through DEPTH - 1
# helpers of the program (FAILALLOC_UNDER: the same allocations whatever
# the threads do); each stops the night (exit 3, the state as it was) or
# changes nothing. The release pass takes the even ones, the ASan pass the
# odd ones.
sweep_under() {
  local fn=$1 depth=$2 total n
  shift 2
  export FAILALLOC_UNDER FAILALLOC_DEPTH=$depth
  FAILALLOC_UNDER=$(under_in "$fn")
  [ -n "$FAILALLOC_UNDER" ] || { fail "no function $fn in $BIN"; return; }
  total=$(copy_db night1.db s.db; allocations "${RUN[@]}" --as-of 2026-11-15 "$@")
  [ "${total:-0}" -gt 3 ] || { fail "$fn: counted ${total:-no} allocations"; return; }
  for ((n = HALF; n < total; n += 2)); do
    copy_db night1.db s.db
    under_oom "$n" 1 "${RUN[@]}" --as-of 2026-11-15 "$@"
    if [ "$RC" = 0 ]; then
      expect_same_state "$fn, a shortage at its allocation $n, exit 0" night2.digest s.db
    else
      said_out_of_memory "$fn, a shortage at its allocation $n"
      [ -e s.db ] && expect_same_state "$fn, allocation $n, exit $RC" night1.digest s.db
    fi
    [ "$_failed" = 0 ] || { fail "(FAILALLOC_UNDER=$FAILALLOC_UNDER: $fn, FAILALLOC_DEPTH=$depth, FAILALLOC_AFTER=$n FAILALLOC_ONCE=1)"; break; }
  done
  unset FAILALLOC_UNDER FAILALLOC_DEPTH
}

# Under --jobs 2 a worker reads its chunks with statements start() binds to
# each chunk's bounds: a bound that could not be copied stayed NULL, and the
# chunk read no row of that table, without an error (the night committed
# without them, or the table-drop guard refused it); the statement that
# looks for rows without a key, failing for want of memory, finalized the
# table's own, and the next read crashed.
test_a_passing_shortage_where_a_worker_starts_its_reads() {
  setup || return
  sweep_under start 1 --jobs 2
  sweep_under null_keys 4 --jobs 2
}

test_a_first_night_out_of_memory_leaves_no_state_the_next_night_can_not_use() {
  setup || return
  local total n
  total=$(rm -f new.db*; allocations run --config "$DEMO_CONFIG" --facts "$FACTS" --state new.db \
          --quiet --as-of 2026-11-14)
  for n in $(points "$total"); do
    rm -f new.db new.db-wal new.db-shm
    under_oom "$n" 0 run --config "$DEMO_CONFIG" --facts "$FACTS" --state new.db --quiet \
      --as-of 2026-11-14
    said_out_of_memory "first night, after $n allocations"
    "$BIN" run --config "$DEMO_CONFIG" --facts "$FACTS" --state new.db --quiet --as-of 2026-11-14 \
      2>/dev/null
    expect_eq "first night again, after $n allocations: exit" 0 "$?"
    expect_same_state "first night again, after $n allocations" night1.digest new.db
    [ "$_failed" = 0 ] || return
  done
}

# A passing shortage while the rule files load (a declaration's own copies:
# derive{} keeps each id, in a list it grows) is the machine's: exit 3 saying
# out of memory, never a rules error (exit 2, which sends the author to a
# line of theirs). Found under --jobs 2, whose workers load the rules too.
test_a_passing_shortage_while_the_rules_load_is_no_rules_error() {
  cd "$T" || return
  config
  for i in $(seq 40); do
    echo "derive { id = \"d$i\", doc = \"d\", fn = function(c) return $i end }" >> r.lua
  done
  facts ""
  local total n
  total=$(allocations check --config c.yaml)
  [ "${total:-0}" -gt 2000 ] || { fail "counted ${total:-no} allocations"; return; }
  # the rules load last (the derives: within the last 400 or so): every
  # third of the last 1,000
  for ((n = total - 1000; n < total; n += 3)); do
    under_oom "$n" 1 check --config c.yaml
    [ "$RC" = 0 ] && cmp -s "$T/stdout" "$T/stdout.ref" && continue
    said_out_of_memory "check, a shortage at allocation $n"
    [ "$_failed" = 0 ] || return
  done
}

# every_point WHAT ARGS...: crmpolicy ARGS at every point, each time exit 3
# saying out of memory (or exit 0 with the whole output).
every_point() {
  local what=$1 total n
  shift
  total=$(allocations "$@")
  [ "${total:-0}" -gt 1000 ] || { fail "$what: counted ${total:-no} allocations"; return; }
  for n in $(points "$total"); do
    rm -f r.html
    under_oom "$n" 0 "$@"
    # the last allocations may be ones stdio does without (a buffer for
    # standard output): the same output, exit 0, is right then
    [ "$RC" = 0 ] && cmp -s "$T/stdout" "$T/stdout.ref" && [ -z "$ERR" ] && continue
    said_out_of_memory "$what, after $n allocations"
    [ -e r.html ] && fail "$what, after $n allocations: r.html written by a report that failed"
    [ "$_failed" = 0 ] || return
  done
}

test_every_command_out_of_memory_says_so_and_exits_3() {
  setup || return
  copy_db night1.db s.db
  local C=(--config "$DEMO_CONFIG")
  every_point check check "${C[@]}" --facts "$FACTS"
  every_point alerts alerts "${C[@]}" --state s.db
  every_point feed feed "${C[@]}" --state s.db --since 0
  every_point explain explain "${C[@]}" --facts "$FACTS" --state s.db --as-of 2026-11-15 C000001
  every_point report report "${C[@]}" --facts "$FACTS" --state s.db --month 2026-11 --out r.html
  every_point test test "${C[@]}" "$ROOT/tests/policy/tier"
  expect_same_state "the state read" night1.digest s.db
}

run_tests
