#!/usr/bin/env bash
# tests/arch/test_layers.sh: the engine keeps its layers (engine/README.md):
# includes and symbol uses go down, never up, no cycle of files is larger
# than four or spans two layers, and public names start with their file's. Reads the object files of the build
# under test (build/release or build/asan).
. "$(dirname "$0")/../lib.sh"
BUILD=$(dirname "$CRMPOLICY")

test_no_include_or_call_goes_up_and_cycles_are_small() {
  local out rc
  out=$(python3 "$ROOT/tests/arch/layers.py" "$ROOT/engine" "$BUILD" 2>&1)
  rc=$?
  expect_eq "breaches" "" "$out"
  expect_eq "exit code" 0 "$rc"
}

test_the_check_finds_an_upward_include() {
  # a copy of the tree with one lower file including a command's header
  cp -r "$ROOT/engine" "$T/engine"
  printf '#include "run.h"\n' >> "$T/engine/base/words.c"
  printf '#include "cli.h"\n' >> "$T/engine/base/words.c"
  printf '#include "api.h"\n' >> "$T/engine/cmd/run.c"
  local out
  out=$(python3 "$ROOT/tests/arch/layers.py" "$T/engine" "$BUILD" 2>&1)
  expect_eq "exit code" 1 "$?"
  expect_contains "breach" 'engine/base/words.c:' "$out"
  expect_contains "breach" 'includes "run.h", which is in no layer' "$out"
  expect_contains "breach" 'includes cmd/cli.h from the lower layer base' "$out"
  expect_contains "breach" 'includes api.h, which is private to lua/' "$out"
}

test_the_check_finds_an_upward_call_and_a_big_cycle() {
  # fake object files: base/a uses a symbol of cmd/b, and five lua files
  # call each other in a ring
  mkdir -p "$T/o/base" "$T/o/cmd" "$T/o/lua" "$T/e/base" "$T/e/cmd" "$T/e/lua"
  printf 'extern int b_fn(void); int a_fn(void) { return b_fn(); }\n' > "$T/a.c"
  printf 'int b_fn(void) { return 1; }\n' > "$T/b.c"
  cc -c "$T/a.c" -o "$T/o/base/a.o" && cc -c "$T/b.c" -o "$T/o/cmd/b.o"
  for i in 1 2 3 4 5; do
    printf 'extern int f%d(void); int f%d(void) { return f%d(); }\n' \
      $(( i % 5 + 1 )) "$i" $(( i % 5 + 1 )) > "$T/r$i.c"
    cc -c "$T/r$i.c" -o "$T/o/lua/r$i.o"
  done
  local out
  out=$(python3 "$ROOT/tests/arch/layers.py" "$T/e" "$T/o" 2>&1)
  expect_eq "exit code" 1 "$?"
  expect_contains "upward call" 'engine/base/a.c uses b_fn of the higher layer: engine/cmd/b.c' "$out"
  expect_contains "cycle" 'a cycle of 5 files (at most 4, in one layer): lua/r1 lua/r2 lua/r3 lua/r4 lua/r5' "$out"
  expect_contains "a name without its file's prefix" \
    'engine/base/a.c defines a_fn: a public name starts with cp_a' "$out"
}

run_tests
