#!/usr/bin/env bash
# tests/cli/test_install.sh: `make install` with DESTDIR and PREFIX puts the
# binary (which prints its version and finds its share folder), the man page
# (which renders), share/crmpolicy and the systemd units where they belong,
# and `make uninstall` removes all of it; the man page and the README name
# every command and option that `--help` does.
. "$(dirname "$0")/../lib.sh"

# install_into DEST: make install into DEST with PREFIX=/usr; sets $RC.
install_into() {
  timeout 600 make -s -C "$ROOT" -j2 install DESTDIR="$1" PREFIX=/usr > make.out 2>&1
  RC=$?
}

test_install_puts_binary_man_page_share_and_units_then_uninstall_removes_them() {
  install_into "$T/dest"
  expect_eq "make install" 0 "$RC"
  [ "$RC" = 0 ] || { cat make.out >&2; return; }
  local bin=$T/dest/usr/bin/crmpolicy
  expect_eq "installed version" "$("$ROOT/build/release/crmpolicy" --version)" "$("$bin" --version)"
  [[ "$("$bin" -V)" =~ ^crmpolicy\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "-V: $("$bin" -V)"
  MANWIDTH=80 timeout 60 man -l "$T/dest/usr/share/man/man1/crmpolicy.1" 2>man.err | tr -s ' ' > page
  grep -qF "crmpolicy - check a customer-management policy" page || fail "man page: no NAME line"
  grep -qF "4 Another run or push holds the state database" page || fail "man page: no exit code 4"
  expect_eq "man warnings" "" "$(MANWIDTH=80 man --warnings -l \
    "$T/dest/usr/share/man/man1/crmpolicy.1" 2>&1 >/dev/null)"
  for f in rules/POLICY.md rules/visits.lua rules/lib/people.lua schema/facts.sql schema/event.schema.json \
           editor/crmpolicy.lua examples/systemd/crmpolicy.timer tests/fixtures/visit_account.yaml; do
    [ -f "$T/dest/usr/share/crmpolicy/$f" ] || fail "share/crmpolicy/$f is not installed"
  done
  expect_eq "service ExecStart" \
    "ExecStart=/usr/bin/crmpolicy run --config crmpolicy.yaml --as-of yesterday --wait 600 --quiet" \
    "$(grep '^ExecStart=' "$T/dest/usr/lib/systemd/system/crmpolicy.service")"
  # the man page's FILES section says the command the unit runs (policy-s:
  # it lacked --as-of yesterday)
  expect_contains "the man page names the unit's command" \
    "$(grep '^ExecStart=' "$T/dest/usr/lib/systemd/system/crmpolicy.service" | sed 's/^ExecStart=.*\/crmpolicy /crmpolicy /')" \
    "$(MANWIDTH=2000 timeout 60 man -l "$T/dest/usr/share/man/man1/crmpolicy.1" 2>/dev/null | tr -s ' ')"
  expect_eq "timer" "OnCalendar=*-*-* 02:30:00" \
    "$(grep '^OnCalendar=' "$T/dest/usr/lib/systemd/system/crmpolicy.timer")"
  # The installed binary finds its share folder: init, check and test pass.
  "$bin" init --quiet "$T/p" && ( cd "$T/p" && "$bin" check --quiet && "$bin" test --quiet tests ) \
    > init.out 2>&1 || fail "init, check, test with the installed binary: $(tail -3 init.out)"
  "$bin" init --quiet --minimal "$T/m" && ( cd "$T/m" && "$bin" check --quiet && "$bin" test --quiet tests ) \
    > init.out 2>&1 || fail "init --minimal, check, test with the installed binary: $(tail -3 init.out)"
  timeout 600 make -s -C "$ROOT" uninstall DESTDIR="$T/dest" PREFIX=/usr > make.out 2>&1
  expect_eq "make uninstall" 0 "$?"
  expect_eq "files left after uninstall" "" "$(cd "$T/dest" && find . -type f | sort)"
  [ ! -e "$T/dest/usr/share/crmpolicy" ] || fail "share/crmpolicy is left after uninstall"
}

# help_commands: the commands that `crmpolicy --help` lists, one a line.
help_commands() {
  "$CRMPOLICY" --help | sed -nE 's/^  ([a-z]+) .*/\1/p'
}

test_man_page_and_readme_name_every_command_and_option() {
  local cmd opt man=$ROOT/man/crmpolicy.1
  sed -n '/^## The command line/,/^### /p' "$ROOT/README.md" > cli
  [ "$(help_commands | wc -l)" -ge 9 ] || fail "too few commands in --help: $(help_commands)"
  for cmd in $(help_commands); do
    grep -qF ".B crmpolicy $cmd" "$man" || fail "the man page's SYNOPSIS lacks $cmd"
    grep -qE "^crmpolicy $cmd " cli || fail "README's command line lacks $cmd"
    for opt in $("$CRMPOLICY" "$cmd" --help | grep -oE '^  (-o, )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
      grep -qF -- "${opt//-/\\-}" "$man" || fail "the man page lacks $opt ($cmd)"
      grep -E "^crmpolicy $cmd " cli | grep -qF -- "$opt" || fail "README's line of $cmd lacks $opt"
    done
  done
}

test_help_version_spellings() {
  local v
  v=$("$CRMPOLICY" --version)
  [[ "$v" =~ ^crmpolicy\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "--version: $v"
  expect_eq "-V" "$v" "$("$CRMPOLICY" -V)"
  expect_eq "version" "$v" "$("$CRMPOLICY" version)"
  cp_run --help
  expect_eq "--help exit" 0 "$RC"
  expect_eq "-h" "$OUT" "$("$CRMPOLICY" -h)"
  expect_eq "help" "$OUT" "$("$CRMPOLICY" help)"
  expect_eq "help run" "$("$CRMPOLICY" run --help)" "$("$CRMPOLICY" help run)"
  # -c is --config, for every command that takes it
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: []}\n' > c.yaml
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY); INSERT INTO clients VALUES ('C1')"
  cp_run check -c c.yaml --quiet
  expect_eq "-c" "0|" "$RC|$ERR"
  cp_run check -c
  expect_eq "-c without its file" "2|crmpolicy: check: unknown option or missing value in '-c' (see 'crmpolicy check --help')" "$RC|$ERR"
  cp_run help nothing
  expect_eq "help of an unknown command: exit" 2 "$RC"
  expect_eq "help of an unknown command" \
    "crmpolicy: help: unknown command 'nothing' (see 'crmpolicy --help')" "$ERR"
}

test_top_level_help_ends_every_description_with_a_full_stop() {
  local cut
  # A description is the command's line and its indented continuations.
  cut=$("$CRMPOLICY" --help | awk '/^  [a-z]/ { if (d != "" && d !~ /\.$/) print d; d = $0; next }
                                   /^               / { sub(/^ +/, " "); d = d $0; next }
                                   { if (d != "" && d !~ /\.$/) print d; d = "" }')
  expect_eq "descriptions cut mid-sentence" "" "$cut"
}

test_format_help_lists_only_the_command_formats() {
  expect_contains "alerts" "--format FMT    table, jsonl, csv or alertmanager" "$("$CRMPOLICY" alerts --help)"
  expect_contains "assignments" "--format FMT    table, jsonl or csv (default: the first)" \
    "$("$CRMPOLICY" assignments --help)"
  expect_contains "report" "--format FMT    csv or html" "$("$CRMPOLICY" report --help)"
  expect_contains "explain" "--format FMT    text or json" "$("$CRMPOLICY" explain --help)"
  cp_run assignments --format xml --state s.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --format: 'xml' is not one of table, jsonl or csv" "$ERR"
}

run_tests
