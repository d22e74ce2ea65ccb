#!/usr/bin/env bash
# tests/fuzz/run.sh HARNESS...: replays each harness's regression inputs, then
# fuzzes it for FUZZ_SECONDS (default 60) from its seed corpus, and prints one
# line per harness: time, executions, executions per second, corpus, crashes.
# Appends "pass fuzz:H" / "fail fuzz:H" to $RESULTS when set (tests/run-all.sh).
# Exits 1 when a regression input still crashes or fuzzing found a new crash.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-60}
RESULTS=${RESULTS:-/dev/null}
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0

# first_problem LOG: the line that says what went wrong.
first_problem() {
  grep -m1 -E '^fuzz_[a-z]+: |runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|^==[0-9]+==ERROR' "$1" \
    | sed 's/^==[0-9]*==//'
}

for h in "$@"; do
  bin=$ROOT/build/fuzz/fuzz_$h
  work=$ROOT/build/fuzz/run/$h
  mkdir -p "$work" "$ROOT/build/fuzz/corpus/$h" "$ROOT/build/fuzz/artifacts/$h"
  ok=1
  # Regressions: each file once, each in its own process.
  for f in "$ROOT/tests/fuzz/regressions/$h"/*; do
    [ -f "$f" ] || continue
    if ! "$bin" -runs=1 "$f" > "$work/regression.log" 2>&1; then
      echo "fuzz $h: regression ${f#"$ROOT"/} still fails: $(first_problem "$work/regression.log")"
      ok=0
    fi
  done
  # Fuzzing: new inputs into build/fuzz/corpus/H, seeds read from tests/fuzz/corpus/H.
  "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -max_len=8192 \
    -rss_limit_mb=2048 -artifact_prefix="$ROOT/build/fuzz/artifacts/$h/" \
    "$ROOT/build/fuzz/corpus/$h" "$ROOT/tests/fuzz/corpus/$h" > "$work/fuzz.log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/fuzz.log" | tail -1)
  corpus=$(ls "$ROOT/build/fuzz/corpus/$h" | wc -l)
  line="fuzz $h: ${took:-stopped by a crash within $SECONDS_EACH} s, ${runs:-?} executions,"
  line="$line ${rate:-?}/s, corpus $corpus"
  if [ "$rc" != 0 ]; then
    artifact=$(sed -n 's/.*Test unit written to //p' "$work/fuzz.log" | tail -1)
    echo "$line, CRASH: $(first_problem "$work/fuzz.log")"
    echo "  input: ${artifact:-?}; log: ${work#"$ROOT"/}/fuzz.log"
    echo "  keep it: cp ${artifact:-INPUT} tests/fuzz/regressions/$h/"
    ok=0
  else
    echo "$line, no crash"
  fi
  echo "$(date -u +%FT%TZ) $line rc=$rc" >> "$ROOT/build/fuzz/stats.txt"
  if [ "$ok" = 1 ]; then
    echo "pass fuzz:$h" >> "$RESULTS"
  else
    echo "fail fuzz:$h" >> "$RESULTS"; status=1
  fi
done
exit $status
