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

for build in release asan; do
  echo "== $build build"
  "$ROOT/build/$build/unit" | sed "s/^/[$build] /"
  sed -i "s/ unit:/ $build:unit:/" "$RESULTS"
  for t in "$ROOT"/tests/cli/test_*.sh "$ROOT"/tests/policy/test_*.sh \
           "$ROOT"/tests/report/test_*.sh "$ROOT"/tests/author/test_*.sh \
           "$ROOT"/tests/bench/test_*.sh "$ROOT"/tests/hardening/test_*.sh \
           "$ROOT"/tests/arch/test_*.sh; do
    [ -e "$t" ] || continue
    CRMPOLICY="$ROOT/build/$build/crmpolicy" bash "$t" | sed "s/^/[$build] /"
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
