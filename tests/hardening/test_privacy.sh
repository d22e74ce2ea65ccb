#!/usr/bin/env bash
# tests/hardening/test_privacy.sh: the state database, its -wal and -shm files
# and the reports hold customer data and are readable by their owner only,
# whatever the umask; the facts database is only ever read: its bytes, its
# time stamp and its folder are the same after a run, and it may live where
# the run cannot write.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CLIENTS=8000            # a run of the demo policy lasts about 1 s (0.5 s release, 1.5 s ASan)

# modes_during_run UMASK: runs the demo policy under UMASK into $T/s.db and
# prints the modes of s.db, s.db-wal and s.db-shm seen while it ran, then
# the mode of s.db after it.
modes_during_run() {
  local facts seen=""
  facts=$(demo_facts $CLIENTS) || { fail "cannot generate the demo facts"; return 1; }
  ( umask "$1"; exec "$CRMPOLICY" run --config "$DEMO_CONFIG" --facts "$facts" \
      --state "$T/s.db" --as-of 2026-11-15 --quiet >/dev/null 2>"$T/err" ) &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -e "$T/s.db-wal" ] && [ -e "$T/s.db-shm" ]; then
      seen=$(stat -c %a "$T/s.db" "$T/s.db-wal" "$T/s.db-shm" 2>/dev/null | paste -sd' ')
      [ -n "$seen" ] && break
    fi
    sleep 0.01
  done
  wait "$pid"
  echo "${seen:-none} / $(stat -c %a "$T/s.db")"
}

test_state_files_are_owner_only_under_umask_022() {
  expect_eq "modes of s.db s.db-wal s.db-shm during the run / s.db after" \
    "600 600 600 / 600" "$(modes_during_run 022)"
  expect_eq "stderr" "" "$(cat "$T/err")"
}

test_state_files_are_owner_only_under_umask_000() {
  expect_eq "modes of s.db s.db-wal s.db-shm during the run / s.db after" \
    "600 600 600 / 600" "$(modes_during_run 000)"
}

test_report_is_owner_only() {
  local facts
  facts=$(demo_facts $CLIENTS) || { fail "cannot generate the demo facts"; return; }
  demo_run "$T/s.db" 2026-11-15 "$facts"
  ( umask 000; exec "$CRMPOLICY" report --config "$DEMO_CONFIG" --facts "$facts" \
      --state "$T/s.db" --as-of 2026-11-15 --format csv -o "$T/report.csv" --quiet )
  expect_eq "exit" 0 "$?"
  expect_eq "mode of the report" 600 "$(stat -c %a "$T/report.csv" 2>&1)"
}

# fingerprint_facts DIR: the facts folder's names, sizes, modes, times and
# the bytes of every file.
fingerprint_facts() {
  (cd "$1" && stat -c '%n %s %a %Y.%y' * && sha256sum *)
}

test_facts_database_is_not_changed_by_a_run() {
  local facts
  facts=$(demo_facts $CLIENTS) || { fail "cannot generate the demo facts"; return; }
  mkdir "$T/facts"
  cp -p "$facts" "$T/facts/f.db"
  fingerprint_facts "$T/facts" > "$T/before"
  demo_run "$T/s.db" 2026-11-15 "$T/facts/f.db"
  expect_eq "exit" 0 "$RC"
  demo_run "$T/s.db" 2026-11-16 "$T/facts/f.db" --jobs 2
  expect_eq "exit with --jobs 2" 0 "$RC"
  fingerprint_facts "$T/facts" > "$T/after"
  expect_eq "facts folder after two runs" "$(cat "$T/before")" "$(cat "$T/after")"
}

# as_reader COMMAND...: runs COMMAND as a user who cannot write the facts
# folder: nobody when we are root (root writes anywhere), else ourselves.
as_reader() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
  else
    "$@"
  fi
}

# read_only_setup JOURNAL_MODE: a small facts database in $T/facts (read
# only), a config and a rule in $T/work (writable by the reader).
read_only_setup() {
  chmod 755 "$T"
  mkdir "$T/facts" "$T/work"
  facts_db "$T/facts/f.db" "PRAGMA journal_mode=$1;
    INSERT INTO clients(id,name,status,created_on) VALUES('C1','A','active','2026-01-01');" >/dev/null
  printf 'facts: ../facts/f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: [{name: status, type: text}]}\n' \
    > "$T/work/c.yaml"
  echo 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info" } end }' \
    > "$T/work/r.lua"
  chmod 444 "$T/facts/f.db"
  chmod 555 "$T/facts"
  [ "$(id -u)" = 0 ] && chown -R nobody "$T/work"
  fingerprint_facts "$T/facts" > "$T/before"
}

test_facts_in_a_read_only_folder_are_read() {
  read_only_setup DELETE
  cd "$T/work" && as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet \
    2>"$T/err"
  expect_eq "exit" 0 "$?"
  expect_eq "stderr" "" "$(cat "$T/err")"
  expect_eq "alerts" 1 "$(sqlite3 "$T/work/s.db" "SELECT count(*) FROM alerts")"
  expect_eq "facts folder" "$(cat "$T/before")" "$(fingerprint_facts "$T/facts")"
}

test_wal_facts_in_a_read_only_folder_are_read_or_refused_clearly() {
  read_only_setup WAL
  cd "$T/work" && as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet \
    2>"$T/err"
  local rc=$?
  if [ "$rc" != 0 ]; then
    expect_eq "exit" 2 "$rc"
    # SQLite needs f.db-shm beside a WAL database; the message must say so,
    # not that crmpolicy tried to write the facts
    expect_contains "message" "WAL" "$(cat "$T/err")"
  fi
  expect_eq "facts folder" "$(cat "$T/before")" "$(fingerprint_facts "$T/facts")"
}

# WAL facts on a read-only file system (a snapshot; systemd's ProtectSystem=
# strict, which the installed unit sets, outside ReadWritePaths): SQLite
# cannot make f.db-shm and says only "unable to open database file" of a
# file it has just opened; the message now says why (probe-w). The folder is
# bound read-only in a mount namespace of the run's own (skipped where none
# can be made).
test_wal_facts_on_a_read_only_file_system_are_refused_saying_why() {
  read_only_setup WAL
  chmod 755 "$T/facts"
  local ns=(unshare -m)
  [ "$(id -u)" = 0 ] || ns=(unshare -rm)
  "${ns[@]}" sh -c "mount --bind -o ro '$T/facts' '$T/facts'" 2>/dev/null || return 0
  cd "$T/work" && "${ns[@]}" sh -c "mount --bind -o ro '$T/facts' '$T/facts' && \
    exec '$CRMPOLICY' run --config c.yaml --as-of 2026-06-01 --quiet" 2>"$T/err"
  expect_eq "exit" 2 "$?"
  expect_eq "message" "crmpolicy: facts: ../facts/f.db: unable to open database file: it is in WAL mode and SQLite cannot create ../facts/f.db-shm beside it (a read-only file system?); make its folder writable or convert it with sqlite3 ../facts/f.db 'PRAGMA journal_mode=DELETE'" "$(cat "$T/err")"
  expect_eq "no state" "" "$(ls "$T/work" | grep s.db)"
}

# A state in a folder its reader cannot write (a snapshot mounted read-only,
# another user's folder) cannot be read: SQLite must make s.db-shm beside a
# WAL database. The message says so; it said only "unable to open database
# file" of a file that was there and readable (probe-t).
test_a_wal_state_in_a_folder_the_reader_cannot_write_is_refused_saying_why() {
  read_only_setup DELETE
  chmod 755 "$T/work"
  cd "$T/work" && as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "the run" 0 "$?"
  chmod 555 "$T/work"
  local cmd
  for cmd in "alerts" "assignments" "feed --since 0"; do
    as_reader "$CRMPOLICY" $cmd --config c.yaml >/dev/null 2>"$T/err"
    expect_eq "$cmd: exit" 3 "$?"
    # then SQLite's own words, which differ with the way the file was opened
    expect_eq "$cmd: message" "crmpolicy: state: s.db is a WAL database, and SQLite reads one through s.db-shm, which it must make in .: Permission denied; read a copy in a folder that can be written" "$(head -1 "$T/err")"
  done
  chmod 755 "$T/work"
  as_reader "$CRMPOLICY" alerts --config c.yaml --format csv >/dev/null 2>"$T/err"
  expect_eq "a writable folder: exit" 0 "$?"
}

# A state made read-only (a restore with the wrong mode, a folder another
# user owns) stops the run with exit 3, and the message names the file that
# cannot be written and why: SQLite said only "attempt to write a readonly
# database". Once s.db is mended, SQLite's s.db-shm, which it made with the
# mode s.db had then, still refused every run with those same words, naming
# no file (probe-ac).
test_a_state_that_cannot_be_written_names_the_file_and_why() {
  read_only_setup DELETE
  chmod 755 "$T/work"
  cd "$T/work" && as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "the first run" 0 "$?"
  chmod 444 s.db
  as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>"$T/err"
  expect_eq "a read-only s.db: exit" 3 "$?"
  expect_contains "a read-only s.db: message" "attempt to write a readonly database; s.db cannot be written: Permission denied" "$(cat "$T/err")"
  chmod 644 s.db
  if [ -e s.db-shm ] && [ "$(stat -c %a s.db-shm)" = 444 ]; then   # as SQLite leaves it
    as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>"$T/err"
    expect_eq "s.db mended, its -shm not: exit" 3 "$?"
    expect_contains "s.db mended, its -shm not: message" "; s.db-shm cannot be written: Permission denied (SQLite gives it the mode s.db has when it makes it: once no run or reader has the state open, give it the mode of s.db, chmod u+w, or remove it)" "$(cat "$T/err")"
    chmod u+w s.db-shm
  fi
  chmod 555 "$T/work"
  rm -f s.db-wal s.db-shm 2>/dev/null   # (as root: the reader could not have)
  if [ ! -e s.db-shm ]; then
    as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>"$T/err"
    expect_eq "a read-only folder: exit" 3 "$?"
    expect_contains "a read-only folder: message" "; its folder . cannot be written: Permission denied (SQLite makes s.db-wal and s.db-shm there)" "$(cat "$T/err")"
  fi
  chmod 755 "$T/work"
  as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "mended: exit" 0 "$?"
  expect_eq "mended: both runs, nothing else" "2026-06-01 complete|2026-06-02 complete" \
    "$(sqlite3 s.db "SELECT as_of || ' ' || status FROM runs ORDER BY id" | paste -sd'|')"
}

# Facts or a state that the user running crmpolicy may not read say so, as
# an unreadable config does: SQLite said "unable to open database file"
# (probe-ac).
test_facts_or_a_state_that_cannot_be_read_say_permission_denied() {
  read_only_setup DELETE
  chmod 755 "$T/work"
  cd "$T/work" && as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "the first run" 0 "$?"
  chmod 000 "$T/facts/f.db"
  as_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>"$T/err"
  expect_eq "run: exit" 2 "$?"
  expect_eq "run: message" "crmpolicy: facts: ../facts/f.db: Permission denied" "$(cat "$T/err")"
  as_reader "$CRMPOLICY" check --config c.yaml >/dev/null 2>"$T/err"
  expect_eq "check: exit" 2 "$?"
  expect_eq "check: message" "crmpolicy: facts: ../facts/f.db: Permission denied" "$(cat "$T/err")"
  chmod 444 "$T/facts/f.db"
  chmod 000 s.db
  local cmd
  for cmd in "alerts" "assignments" "feed --since 0"; do
    as_reader "$CRMPOLICY" $cmd --config c.yaml >/dev/null 2>"$T/err"
    expect_eq "$cmd: exit" 3 "$?"
    expect_eq "$cmd: message" "crmpolicy: state: s.db: Permission denied" "$(cat "$T/err")"
  done
  chmod 600 s.db
}

run_tests
