#!/usr/bin/env bash
# tests/author/test_tutorial.sh: the README's "Writing a rule, step by step"
# runs as written in a fresh folder: its `console tutorial` blocks are run
# command by command ($ lines) in one shell, each must exit 0 and print every
# output line shown under it ("..." stands for lines left out); `file=PATH`
# blocks are written to PATH; `merge=PATH` blocks add each top-level key's
# lines at the end of that key's block in PATH. `crmpolicy` on the PATH is
# the binary under test.
. "$(dirname "$0")/../lib.sh"

# tutorial: the README's tutorial section.
tutorial() {
  sed -n '/^## Writing a rule, step by step$/,/^## [^#]/p' "$ROOT/README.md" | sed '$d'
}

# merge_yaml FILE FRAGMENT: adds the lines under each top-level key of
# FRAGMENT after the last line of the same key's block in FILE (or at the
# end, with the key, when FILE lacks it).
merge_yaml() {
  awk 'NR == FNR { if ($0 ~ /^[^ #]/) { k = $0; sub(/:.*/, "", k); keys[++nk] = k; next }
                   add[k] = add[k] $0 "\n"; next }
       { line[++n] = $0
         if ($0 ~ /^[^ #]/) { cur = $0; sub(/:.*/, "", cur); last[cur] = n }
         else if ($0 ~ /^ / && cur != "") last[cur] = n }
       END { for (j = 1; j <= nk; j++) if (!(keys[j] in last)) missing[keys[j]] = 1
             for (i = 1; i <= n; i++) {
               print line[i]
               for (j = 1; j <= nk; j++) if (last[keys[j]] == i) printf "%s", add[keys[j]] }
             for (j = 1; j <= nk; j++) if (keys[j] in missing) printf "%s:\n%s", keys[j], add[keys[j]] }' \
    "$2" "$1" > "$1.merged" && mv "$1.merged" "$1"
}

# step COMMAND EXPECTED: runs COMMAND in this shell (a cd stays); fails
# unless it exits 0 and prints each line of EXPECTED but "..." and blanks.
step() {
  local line
  eval "$1" > "$T/step.out" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || { fail "\$ $1: exit $rc"; sed 's/^/      /' "$T/step.out" >&2; }
  while IFS= read -r line; do
    [ "$line" = "..." ] || [ -z "$line" ] && continue
    grep -qxF -- "$line" "$T/step.out" || fail "\$ $1: no line [$line] in its output"
  done <<< "$2"
}

# play: reads the tutorial on stdin and acts out its marked blocks.
play() {
  local line info kind path body cmd expected
  while IFS= read -r line; do
    [[ "$line" =~ ^\`\`\`([a-z]*)\ *(.*)$ ]] || continue
    info=${BASH_REMATCH[2]} body=""
    while IFS= read -r line && [ "$line" != '```' ]; do body+="$line"$'\n'; done
    case "$info" in
      file=*) path=${info#file=}; mkdir -p "$(dirname "$path")"; printf '%s' "$body" > "$path" ;;
      merge=*) printf '%s' "$body" > "$T/fragment"; merge_yaml "${info#merge=}" "$T/fragment" ;;
      tutorial)
        cmd="" expected=""
        while IFS= read -r line; do
          if [[ "$line" == '$ '* ]]; then
            [ -n "$cmd" ] && step "$cmd" "$expected"
            cmd=${line#\$ } expected=""
          else
            expected+="${expected:+$'\n'}$line"
          fi
        done <<< "$body"
        [ -n "$cmd" ] && step "$cmd" "$expected" ;;
    esac
  done
}

test_the_tutorial_runs_as_written_in_a_fresh_init_folder() {
  mkdir bin && ln -s "$CRMPOLICY" bin/crmpolicy
  local blocks
  blocks=$(tutorial | grep -cE '^```[a-z]+ (tutorial|file=|merge=)')
  [ "$blocks" -ge 7 ] || fail "only $blocks marked blocks in the tutorial"
  PATH="$T/bin:$PATH" play < <(tutorial)
  [ -f "$T/my-policy/rules/orders.lua" ] || fail "the tutorial made no my-policy/rules/orders.lua"
}

test_merge_yaml_adds_lines_at_the_end_of_each_block() {
  printf 'a: 1\nrules:\n  - x.lua   # one\n\n# about params\nparams:\n  p: 1\n' > c.yaml
  printf 'rules:\n  - y.lua\nparams:\n  q: 2\nextra:\n  z: 3\n' > frag
  merge_yaml c.yaml frag
  expect_eq "merged" "a: 1
rules:
  - x.lua   # one
  - y.lua

# about params
params:
  p: 1
  q: 2
extra:
  z: 3" "$(cat c.yaml)"
}

run_tests
