#!/usr/bin/env bash
# tests/bench/bench.sh: times the engine against its baselines (SPEC.md "Speed and memory").
#
#   tests/bench/bench.sh SIZE...      (run by `make bench`, which builds what it needs)
#
# For each size, on build/bench/facts-SIZE.db (tests/bench/gen.c; with BENCH_LAYOUT=client,
# facts-SIZE-by-client.db; with BENCH_LAYOUT=covering, facts-SIZE-covering.db: time order
# and schema/facts-covering.sql), as of 2026-11-15, the runs of four commands are interleaved, so
# that a change of load on the machine falls on all of them alike, and each figure is the
# median of BENCH_RUNS runs (default 3):
#   floor            build/bench/floor: reads every fact row the policy needs, in client order,
#                    as the engine reads it (by the index, or a sorted scan where it sorts)
#   SQL              sqlite3 running tests/bench/policy.sql (the alert rules as plain SQL)
#   engine --jobs 1  crmpolicy run into a new state database
#   engine --jobs 2  the same with two workers
# Wall-clock seconds, clients per second, CPU seconds in user and system mode and peak RSS
# (/usr/bin/time %U %S %M) are printed beside the baseline each is measured against, with
# the target and whether it is met. The system time is mostly SQLite reading pages with
# pread(2): with facts in time order a client's rows lie on pages of their own.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CRMPOLICY=$ROOT/build/release/crmpolicy
CONFIG=$ROOT/examples/demo/crmpolicy.yaml
AS_OF=2026-11-15
RUNS=${BENCH_RUNS:-3}
LAYOUT=${BENCH_LAYOUT:-time}
case $LAYOUT in
  time) SUFFIX= ;;
  client) SUFFIX=-by-client ;;
  covering) SUFFIX=-covering ;;
  *) echo "bench: BENCH_LAYOUT is time, client or covering, not '$LAYOUT'" >&2; exit 1 ;;
esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# die MESSAGE: prints "bench: MESSAGE" and exits 1.
die() {
  echo "bench: $*" >&2
  exit 1
}

# timed NAME CMD...: runs CMD (output in $WORK/NAME.out) and appends "seconds kilobytes
# user system" to $WORK/NAME.times; dies when CMD fails.
timed() {
  local name=$1 start end
  shift
  start=$EPOCHREALTIME
  /usr/bin/time -f "%M %U %S" -o "$WORK/rss" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" ||
    die "$name failed: $*: $(head -3 "$WORK/$name.err")"
  end=$EPOCHREALTIME
  echo "$(calc "$end - $start" %.3f) $(tail -1 "$WORK/rss")" >> "$WORK/$name.times"
}

# engine NAME JOBS DB: one timed engine run into a new state database.
engine() {
  rm -f "$WORK"/state.db*
  timed "$1" "$CRMPOLICY" run --config "$CONFIG" --facts "$3" --state "$WORK/state.db" \
    --as-of "$AS_OF" --quiet --jobs "$2"
}

# calc EXPR FORMAT: the value of an arithmetic expression, printed with FORMAT.
calc() { awk "BEGIN { printf \"$2\", $1 }"; }

# check EXPR: "ok" when the comparison holds, else "MISSED".
check() { awk "BEGIN { print ($1) ? \"ok\" : \"MISSED\" }"; }

# median NAME FIELD: the median of field 1 (seconds), 2 (KB), 3 (user) or 4 (system
# seconds) of NAME's runs.
median() {
  cut -d' ' -f"$2" "$WORK/$1.times" | sort -g | awk '{ v[NR] = $1 } END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# group N: N with thousands separators.
group() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

# line LABEL SECONDS CLIENTS/S CPU RSS COMPARED TARGET VERDICT: one line of the table.
line() { printf '  %-16s %8s %11s %13s %9s   %-30s %-7s %s\n' "$@"; }

# row LABEL NAME CLIENTS COMPARED TARGET VERDICT: the line of NAME's medians.
row() {
  local s
  s=$(median "$2" 1)
  line "$1" "$(calc "$s" %.2f)" "$(group "$(calc "$3 / $s" %d)")" \
    "$(calc "$(median "$2" 3)" %.2f) + $(calc "$(median "$2" 4)" %.2f)" \
    "$(calc "$(median "$2" 2) / 1024" %.0f) MB" "$4" "$5" "$6"
}

# bench_size N: measures N clients and prints their table; keeps the engine's peak RSS.
bench_size() {
  local n=$1 db=$ROOT/build/bench/facts-$1$SUFFIX.db f s e1 e2
  [ -f "$db" ] || die "$db is missing (make bench builds it)"
  rm -f "$WORK"/*.times
  for ((i = 0; i < RUNS; i++)); do
    timed floor "$ROOT/build/bench/floor" "$db"
    timed sql sqlite3 -bail -readonly "$db" "CREATE TEMP TABLE params AS SELECT '$AS_OF' AS as_of" \
      ".read $ROOT/tests/bench/policy.sql"
    engine engine1 1 "$db"
    engine engine2 2 "$db"
  done
  f=$(median floor 1) s=$(median sql 1) e1=$(median engine1 1) e2=$(median engine2 1)
  printf '\n%s clients, %s fact rows, %s alerts from policy.sql; median of %d runs\n' \
    "$(group "$n")" "$(group "$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' "$WORK/floor.out")")" \
    "$(group "$(wc -l < "$WORK/sql.out")")" "$RUNS"
  line "" seconds clients/s "user + sys" "peak RSS" "compared with its baseline" target ""
  row floor floor "$n" "(baseline)" "" ""
  row "SQL (sqlite3)" sql "$n" "(baseline)" "" ""
  row "engine --jobs 1" engine1 "$n" "$(calc "$e1 / $f" %.2f) x floor" "<= 2" \
    "$(check "$e1 <= 2 * $f")"
  line "" "" "" "" "" "$(calc "$e1 / $s" %.2f) x SQL" "< 1" "$(check "$e1 < $s")"
  row "engine --jobs 2" engine2 "$n" "$(calc "$e1 / $e2" %.2f) x faster than --jobs 1" ">= 1.8" \
    "$(check "$e1 >= 1.8 * $e2")"
  echo "$n $(median engine1 2)" >> "$WORK/memory"
}

# memory_summary: the engine's peak RSS at the largest size against the smallest.
memory_summary() {
  local small big n0 n1 kb0 kb1
  small=$(sort -n "$WORK/memory" | head -1) big=$(sort -n "$WORK/memory" | tail -1)
  n0=${small%% *} kb0=${small#* } n1=${big%% *} kb1=${big#* }
  [ "$n0" = "$n1" ] && return
  printf '\nengine --jobs 1 peak RSS: %s MB at %s clients, %s MB at %s: %s x (target <= 1.5: %s)' \
    "$(calc "$kb1 / 1024" %.0f)" "$(group "$n1")" "$(calc "$kb0 / 1024" %.0f)" "$(group "$n0")" \
    "$(calc "$kb1 / $kb0" %.2f)" "$(check "$kb1 <= 1.5 * $kb0")"
  if [ "$n1" -ge 1000000 ]; then
    printf '; under 100 MB at %s clients: %s' "$(group "$n1")" "$(check "$kb1 < 100 * 1024")"
  fi
  echo
}

[ $# -gt 0 ] || die "usage: tests/bench/bench.sh SIZE..."
for tool in "$CRMPOLICY" "$ROOT/build/bench/floor" /usr/bin/time; do
  [ -x "$tool" ] || die "$tool is missing (make bench builds or installs it)"
done
case $LAYOUT in
  covering) STORED="time order with covering indexes" ;;
  *) STORED="$LAYOUT order" ;;
esac
echo "crmpolicy benchmark as of $AS_OF, facts in $STORED, on $(nproc) CPUs;" \
  "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "$@"; do bench_size "$n"; done
memory_summary
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
