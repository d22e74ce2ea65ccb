#!/usr/bin/env bash
# tests/run-all.sh: every test, against the release build and again against
# the ASan+UBSan build; ends with one line "N passed, M failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
RESULTS=$(mktemp)
export RESULTS
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FILE_SECONDS=${TEST_FILE_SECONDS:-1200}   # the longest a test file may take (the longest takes ~3 min)

for build in release asan; do
  echo "== $build build"
  "$ROOT/build/$build/unit" | sed "s/^/[$build] /"
  sed -i "s/ unit:/ $build:unit:/" "$RESULTS"
  for t in "$ROOT"/tests/cli/test_*.sh "$ROOT"/tests/policy/test_*.sh \
           "$ROOT"/tests/report/test_*.sh "$ROOT"/tests/author/test_*.sh \
           "$ROOT"/tests/bench/test_*.sh "$ROOT"/tests/hardening/test_*.sh \
           "$ROOT"/tests/arch/test_*.sh; do
    [ -e "$t" ] || continue
    # a file that hangs is stopped (with every process it started: timeout
    # signals its process group) and counted as failed, so that the suite ends
    CRMPOLICY="$ROOT/build/$build/crmpolicy" timeout -k 10 "$FILE_SECONDS" bash "$t" \
      | sed "s/^/[$build] /"
    rc=${PIPESTATUS[0]}
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      echo "[$build] $(basename "$t"): stopped after $FILE_SECONDS s (TEST_FILE_SECONDS)"
      echo "fail $(basename "$t"):stopped_after_${FILE_SECONDS}_s" >> "$RESULTS"
    fi
  done
  sed -i -E "s/^(pass|fail) ([^:]+\.sh)/\1 $build:\2/" "$RESULTS"
done

echo "== fuzz"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} "$ROOT/tests/fuzz/run.sh" config dates params dtlib facts

passed=$(grep -c '^pass ' "$RESULTS")
failed=$(grep -c '^fail ' "$RESULTS")
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep '^fail ' "$RESULTS" | sed 's/^fail /  /'
fi
rm -f "$RESULTS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
