#!/usr/bin/env bash
# tests/hardening/test_files.sh: files stay where they belong. A state path
# that is the facts file (the same path, a symlink or a hard link) is
# refused before anything is written; a fixture's schema SQL may create and
# fill its own tables only (no ATTACH, VACUUM INTO, pragma, trigger or
# load_extension); a rule path that is a folder, or a binary chunk, is a
# clear error naming the file; a FIFO for the facts, state, config or a rule
# file is an error, not a hang; a path is a file name, never an SQLite URI;
# output that cannot be written (a full disk) is an error, not exit 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# run_with_state STATE: a run as of 2026-06-01 of the bad-facts policy with
# --state STATE, under a timeout.
run_with_state() {
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --state "$1" --as-of 2026-06-01 --quiet \
        2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# expect_facts_untouched SUM: f.db has the digest SUM, and no WAL or journal
# file was made beside it.
expect_facts_untouched() {
  expect_eq "facts sha256" "$1" "$(sha256sum < f.db)"
  [ ! -e f.db-wal ] && [ ! -e f.db-journal ] || fail "a WAL or journal file was made beside f.db"
  expect_eq "journal mode" "delete" "$(sqlite3 f.db "PRAGMA journal_mode")"
}

test_state_equal_to_facts_is_refused_and_the_facts_are_untouched() {
  config; facts ""
  local sum; sum=$(sha256sum < f.db)
  run_with_state f.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: state: f.db is the facts database f.db (the same file); the state needs a file of its own" "$ERR"
  expect_facts_untouched "$sum"
}

test_state_that_is_a_symlink_to_the_facts_is_refused() {
  config; facts ""
  mkdir d && ln -s ../f.db d/s.db
  local sum; sum=$(sha256sum < f.db)
  run_with_state d/s.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: state: d/s.db is the facts database f.db (the same file); the state needs a file of its own" "$ERR"
  expect_facts_untouched "$sum"
}

test_state_that_is_a_hard_link_to_the_facts_is_refused() {
  config; facts ""
  ln f.db s.db
  local sum; sum=$(sha256sum < f.db)
  run_with_state s.db
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: state: s.db is the facts database f.db (the same file); the state needs a file of its own" "$ERR"
  expect_facts_untouched "$sum"
}

# probe-ag: `--state f.db/` passed the check above (stat of "f.db/" fails
# with ENOTDIR, so no file to compare), and SQLite, which drops the empty
# last part, opened f.db as the state: the run hung for half an hour on
# the facts' own read lock, and `--state s.db/` wrote s.db that the readers
# then could not open ("Not a directory"); `--state ''` ran into a
# temporary database. A path that names no file is a usage error.
test_a_state_or_facts_path_that_names_no_file_is_refused() {
  config; facts ""
  local sum p; sum=$(sha256sum < f.db)
  for p in f.db/ s.db/ ./f.db/. s.db/.. ""; do
    OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --state "$p" --as-of 2026-06-01 --quiet \
          2>"$T/stderr")
    expect_eq "--state '$p': exit" 2 "$?"
    expect_eq "--state '$p': message" "crmpolicy: --state: '$p' names no file (it is empty, or ends with '/', '.' or '..'): give the database file's name" "$(cat "$T/stderr")"
  done
  cp_run alerts --config c.yaml --state s.db/
  expect_eq "alerts --state s.db/" "2|crmpolicy: --state: 's.db/' names no file (it is empty, or ends with '/', '.' or '..'): give the database file's name" "$RC|$ERR"
  cp_run check --config c.yaml --facts f.db/
  expect_eq "check --facts f.db/" "2|crmpolicy: --facts: 'f.db/' names no file (it is empty, or ends with '/', '.' or '..'): give the database file's name" "$RC|$ERR"
  [ ! -e s.db ] || fail "a state was written"
  expect_facts_untouched "$sum"
}

test_state_that_is_a_side_file_of_the_facts_is_refused() {
  config; facts ""
  local sum; sum=$(sha256sum < f.db)
  for side in wal shm journal; do
    run_with_state "f.db-$side"
    expect_eq "$side: exit" 2 "$RC"
    expect_eq "$side: message" "crmpolicy: state: f.db-$side is the facts database's $side file (f.db-$side); SQLite would delete it the next time the facts are opened; the state needs a file of its own" "$ERR"
    [ ! -e "f.db-$side" ] || fail "$side: f.db-$side was written"
  done
  mkdir d && ln -s ../f.db d/link.db   # facts through a symlink: SQLite's WAL is f.db-wal
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --facts d/link.db --state f.db-wal \
        --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?; ERR=$(cat "$T/stderr")
  expect_eq "facts through a symlink: exit" 2 "$RC"
  expect_eq "facts through a symlink: message" "crmpolicy: state: f.db-wal is the facts database's wal file (d/link.db-wal); SQLite would delete it the next time the facts are opened; the state needs a file of its own" "$ERR"
  expect_facts_untouched "$sum"
}

test_facts_that_are_a_side_file_of_the_state_are_refused() {
  config; facts ""
  cp f.db s.db-wal
  local sum; sum=$(sha256sum < s.db-wal)
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --facts s.db-wal --as-of 2026-06-01 --quiet \
        2>"$T/stderr")
  RC=$?; ERR=$(cat "$T/stderr")
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: state: s.db would use the facts database s.db-wal as its wal file (s.db-wal); the state needs a file of its own" "$ERR"
  expect_eq "facts sha256" "$sum" "$(sha256sum < s.db-wal)"
  [ ! -e s.db ] || fail "a state was made"
}

test_state_in_a_config_that_names_the_facts_file_is_refused() {
  config; facts ""
  sed -i 's/^state: s.db/state: .\/f.db/' c.yaml
  local sum; sum=$(sha256sum < f.db)
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?; ERR=$(cat "$T/stderr")
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "is the facts database" "$ERR"
  expect_facts_untouched "$sum"
}

test_a_state_path_written_as_an_sqlite_uri_is_a_file_name() {
  config; facts ""
  local sum; sum=$(sha256sum < f.db)
  run_with_state "file:f.db"   # as a URI, SQLite would open f.db itself
  expect_eq "exit" 0 "$RC"
  expect_facts_untouched "$sum"
  expect_eq "state" 1 "$(sqlite3 ./file:f.db "SELECT count(*) FROM runs")"
  run_with_state "file:f.db?mode=memory"
  expect_eq "exit" 0 "$RC"
  expect_facts_untouched "$sum"
  [ -e "./file:f.db?mode=memory" ] || fail "the state was not the file named so"
}

test_a_facts_path_that_is_a_fifo_is_an_error_not_a_hang() {
  config
  mkfifo f.db
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: f.db: not a regular file" "$ERR"
  OUT=$(timeout 60 "$CRMPOLICY" check --config c.yaml 2>"$T/stderr"); RC=$?
  expect_eq "check exit" 2 "$RC"
  expect_eq "check message" "crmpolicy: facts: f.db: not a regular file" "$(cat "$T/stderr")"
}

# probe-ag: a FIFO beside the facts or the state, as its -journal, blocked
# every command for good (SQLite opens a -journal to see whether it is hot);
# a -wal or -shm that is no file made SQLite's errors. Each is refused.
test_a_side_file_that_is_a_fifo_is_an_error_not_a_hang() {
  config; facts ""
  run_bad
  expect_eq "first run" 0 "$RC"
  local db side code cmd args
  for db in f.db s.db; do
    for side in journal wal shm; do
      mkfifo $db-$side
      for cmd in run alerts check; do
        case $db:$cmd in f.db:alerts|s.db:check) continue ;; esac   # what they do not read
        code=2 args="--as-of 2026-06-02 --quiet"
        [ $cmd = alerts ] && code=3 args=
        OUT=$(timeout 60 "$CRMPOLICY" $cmd --config c.yaml $args 2>"$T/stderr")
        RC=$?
        expect_eq "$db-$side, $cmd: exit" $code "$RC"
        expect_eq "$db-$side, $cmd: message" "crmpolicy: $([ $db = f.db ] && echo facts || echo state): $db-$side: not a regular file (SQLite would open it as $db's $side file, and a FIFO there blocks: remove it)" "$(cat "$T/stderr")"
      done
      rm $db-$side
    done
  done
  expect_eq "runs" 1 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_a_state_path_that_is_a_fifo_is_an_error_not_a_hang() {
  config; facts ""
  mkfifo s.db
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: state: s.db: not a regular file" "$ERR"
}

# probe-aj: a state path that is a link looping, or to a folder that does not
# exist, was "unable to open database file" alone; readers added "(no run
# has written it yet?)" to the loop
test_a_state_that_is_a_broken_symbolic_link_says_why() {
  config; facts ""
  ln -s loop2 loop1; ln -s loop1 loop2; ln -s nowhere/x.db dangling
  run_with_state loop1
  expect_eq "a loop: run" "3|crmpolicy: state: loop1: opening: unable to open database file; loop1 is a symbolic link to 'loop2': a loop of links, which names no file" \
    "$RC|$(printf '%s\n' "$ERR" | head -1)"
  run_with_state dangling
  expect_eq "to a missing folder: run" "3|crmpolicy: state: dangling: opening: unable to open database file; dangling is a symbolic link to 'nowhere/x.db': its folder does not exist" \
    "$RC|$(printf '%s\n' "$ERR" | head -1)"
  cp_run alerts --state loop1
  expect_eq "a loop: alerts" "3|crmpolicy: state: loop1: Too many levels of symbolic links" "$RC|$ERR"
  cp_run alerts --state absent.db
  expect_eq "no file: alerts" "3|crmpolicy: state: absent.db: No such file or directory (no run has written it yet?)" "$RC|$ERR"
}

test_a_state_that_is_a_device_is_an_error_for_the_readers() {
  local cmd
  for cmd in alerts assignments feed; do
    cp_run $cmd --state /dev/zero
    expect_eq "$cmd: exit" 3 "$RC"
    expect_eq "$cmd: message" "crmpolicy: state: /dev/zero: not a regular file" "$ERR"
  done
}

# probe-ag: a first run on a full disk leaves an empty state file (SQLite
# made it before the disk refused the schema); alerts and assignments said
# 'no such table: alerts' of it, and of the facts given as the state, where
# feed says what it is.
test_a_state_with_no_tables_is_named_so_by_every_reader() {
  config; facts ""
  : > s.db
  local cmd db
  for db in s.db f.db; do
    for cmd in alerts assignments "feed --since 0"; do
      cp_run $cmd --state $db
      expect_eq "$db, $cmd: exit" 3 "$RC"
      expect_contains "$db, $cmd: message" "crmpolicy: state: $db is not a crmpolicy state database (it has no runs table: no run has written it)" "$ERR"
    done
  done
}

test_a_config_that_is_a_fifo_is_an_error_not_a_hang() {
  config; facts ""
  mv c.yaml real.yaml && mkfifo c.yaml
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml: not a regular file" "$ERR"
}

test_a_separate_state_still_runs() {
  config; facts ""
  run_with_state s.db
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

# schema_fixture SQL: writes x.sql (facts.sql, then SQL) and fx.yaml, a
# fixture whose schema is x.sql (line 2).
schema_fixture() {
  { cat "$ROOT/schema/facts.sql"; printf '%s\n' "$1"; } > x.sql
  cat > fx.yaml <<'YAML'
name: a schema that reaches out
schema: x.sql
facts:
  clients:
    - {id: C1, name: A, status: active, created_on: 2026-01-01}
steps:
  - as_of: 2026-06-01
    mode: at_least
YAML
}

# run_fixture: crmpolicy test fx.yaml under a timeout; sets OUT, ERR, RC.
run_fixture() {
  OUT=$(TMPDIR=$T/tmp timeout 60 "$CRMPOLICY" test --config c.yaml fx.yaml 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# expect_schema_refused WHAT: the fixture did not run: exit 2, the message
# names the fixture's schema line and what was refused, and nothing was
# made outside the fixture's temporary folder.
expect_schema_refused() {
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: fx.yaml:2: schema x.sql: $1 is not allowed: a fixture's schema may only create and fill tables, indexes and views of its own" "$ERR"
  expect_contains "summary" "0 passed, 1 failed" "$OUT"
  [ ! -e "$T/outside.db" ] || fail "the schema wrote $T/outside.db"
}

test_fixture_schema_that_never_ends_or_is_no_file_is_refused() {
  config; mkdir tmp
  schema_fixture "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"
  run_fixture
  expect_eq "endless: exit" 2 "$RC"
  expect_eq "endless: message" "crmpolicy: fx.yaml:2: schema x.sql: stopped after 2 x 10^8 steps of SQLite (a query without end?)" "$ERR"
  rm x.sql && mkfifo x.sql
  run_fixture
  expect_eq "a FIFO: exit" 2 "$RC"
  expect_eq "a FIFO: message" "crmpolicy: fx.yaml:2: schema: x.sql is not a regular file" "$ERR"
  rm x.sql && ln -s /dev/zero x.sql
  run_fixture
  expect_eq "/dev/zero: message" "crmpolicy: fx.yaml:2: schema: x.sql is not a regular file" "$ERR"
  rm x.sql && truncate -s 17M x.sql
  run_fixture
  expect_eq "17 MiB: message" "crmpolicy: fx.yaml:2: schema: x.sql is larger than 16 MiB" "$ERR"
}

test_fixture_schema_may_not_attach_a_file() {
  config; mkdir tmp
  schema_fixture "ATTACH DATABASE '$T/outside.db' AS o; CREATE TABLE o.t(x);"
  run_fixture
  expect_schema_refused "ATTACH (or VACUUM) of '$T/outside.db'"
}

test_fixture_schema_may_not_vacuum_into_a_file() {
  config; mkdir tmp
  schema_fixture "VACUUM INTO '$T/outside.db';"
  run_fixture
  expect_schema_refused "ATTACH (or VACUUM) of '$T/outside.db'"
}

test_fixture_schema_may_not_set_a_pragma() {
  config; mkdir tmp
  schema_fixture "PRAGMA journal_mode=WAL;"
  run_fixture
  expect_schema_refused "PRAGMA journal_mode"
}

test_fixture_schema_may_not_load_an_extension() {
  config; mkdir tmp
  schema_fixture "SELECT load_extension('$T/evil.so');"
  run_fixture
  expect_schema_refused "load_extension()"
}

test_fixture_schema_may_not_create_a_trigger() {
  config; mkdir tmp
  schema_fixture "CREATE TRIGGER tr AFTER INSERT ON clients BEGIN SELECT 1; END;"
  run_fixture
  expect_schema_refused "CREATE TRIGGER tr"
}

test_fixture_schema_may_create_and_fill_its_own_tables() {
  config; mkdir tmp
  schema_fixture "CREATE TABLE extra(x); INSERT INTO extra VALUES (1); CREATE VIEW v AS SELECT x FROM extra;
CREATE INDEX extra_x ON extra(x); DROP VIEW v;"
  run_fixture
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "summary" "1 passed, 0 failed" "$OUT"
}

test_a_rule_path_that_names_no_file_is_said_at_its_config_line_first() {
  # policy-z: a misspelt rule path was said last, after every data problem
  # check prints, and without the config's line
  config; facts "UPDATE orders SET ordered_on = 'soon'"
  sed -i 's/^rules: \[r.lua\]$/rules: [r.lau]/' c.yaml
  grep -q '^rules: \[r.lau\]$' c.yaml || fail "the config's rules line changed"
  local line; line=$(grep -n '^rules:' c.yaml | cut -d: -f1)
  for cmd in check run; do
    cp_run "$cmd" --config c.yaml --as-of 2026-06-01
    expect_eq "$cmd: exit" 2 "$RC"
    expect_eq "$cmd: message alone" "crmpolicy: c.yaml:$line: rules: r.lau: cannot read: No such file or directory" "$ERR"
  done
  [ ! -e s.db ] || fail "the state database was created"
}

test_rule_path_that_is_a_folder_is_an_error_naming_it() {
  config; facts ""
  rm r.lua && mkdir r.lua
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua: cannot read: Is a directory" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_rule_path_that_is_a_fifo_is_an_error_not_a_hang() {
  config; facts ""
  rm r.lua && mkfifo r.lua
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua: cannot read: not a regular file" "$ERR"
}

test_a_rule_file_larger_than_the_heap_is_refused_before_it_is_read() {
  # read whole into memory outside the heap's cap: a 20 MiB comment (the
  # default cap is 64 MiB; this config's is set to 16)
  config; facts ""
  printf 'limits: {memory_mb: 16}\n' >> c.yaml
  { printf -- '--[[\n'; head -c 20971520 /dev/zero | tr '\0' 'x'; printf '\n]]\nrule { id = "big", doc = "d", fn = function(c) end }\n'; } > r.lua
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua: cannot read: larger than the Lua heap's cap (limits.memory_mb)" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_a_rule_file_that_starts_with_a_byte_order_mark_loads() {
  config; facts ""
  printf '\xef\xbb\xbfrule { id = "bom", doc = "saved by a Windows editor", fn = function(c)\n  if c.id == "C2" then error("line 2") end\nend }\n' > r.lua
  cp_run_timeout
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: line 2 (rule bom, client C2)" "$ERR"
}

test_a_rule_path_of_more_than_256_folders_loads_that_file() {
  # probe-ai: folding "." and ".." out of a rule path kept its first 256
  # components and dropped the rest, so a path 300 folders deep opened its
  # 256th folder ("cannot read: Is a directory", naming a path cut short)
  config; facts ""
  local dir=deep i
  for i in $(seq 1 300); do dir=$dir/d; done
  mkdir -p "$dir" && mv r.lua "$dir/r.lua"
  sed -i "s|^rules: \[r.lua\]\$|rules: [./$dir/../d/r.lua]|" c.yaml
  grep -q "^rules: \[./$dir/../d/r.lua\]\$" c.yaml || fail "the config's rules line changed"
  cp_run_timeout
  expect_eq "exit" 0 "$RC"
  expect_eq "message" "" "$ERR"
  expect_eq "alerts of the rule file 300 folders deep" "3" "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE rule = 'seen'" 2>&1)"
}

test_binary_chunk_is_refused_naming_the_file() {
  config; facts ""
  printf '\033LuaT\000\031\223\r\n\032\n' > r.lua
  cp_run_timeout
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua: is a precompiled (binary) chunk; rule files load as text only" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

# cp_run_timeout: run_bad under a timeout.
cp_run_timeout() {
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# Standard output that cannot take what a command prints (a full disk under
# `feed --since 0 > batch.jsonl`) is an error: every command exited 0 with a
# short or empty file. A command whose output is its product fails (exit 3);
# run, which wrote the state first, keeps its code and warns.
test_output_that_cannot_be_written_is_an_error_not_exit_0() {
  config; facts ""
  run_bad
  expect_eq "first run" 0 "$RC"
  local cmd
  for cmd in "feed --since 0" "feed --consumer c1" "alerts --format jsonl" "alerts --format csv" \
             "assignments" "explain --as-of 2026-06-01 C1" "check"; do
    "$CRMPOLICY" $cmd --config c.yaml >/dev/full 2>"$T/stderr"
    RC=$?
    expect_eq "$cmd: exit" 3 "$RC"
    expect_eq "$cmd: message" "crmpolicy: standard output: No space left on device: what ${cmd%% *} printed is incomplete" "$(cat "$T/stderr")"
  done
  "$CRMPOLICY" version >/dev/full 2>/dev/null
  expect_eq "version: exit" 3 "$?"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 >/dev/full 2>"$T/stderr"
  expect_eq "run: exit" 0 "$?"
  expect_eq "run: warning" "crmpolicy: warning: standard output: No space left on device: what run printed is incomplete (what it wrote stays written)" "$(cat "$T/stderr")"
  expect_eq "run: committed" 2 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  "$CRMPOLICY" feed --config c.yaml --consumer c1 --ack 2 >/dev/full 2>"$T/stderr"
  expect_eq "feed --ack: exit" 0 "$?"
  expect_eq "feed --ack: moved" 2 "$(sqlite3 s.db "SELECT seq FROM consumers WHERE name = 'c1'")"
  "$CRMPOLICY" feed --config c.yaml --since 0 >/dev/null
  expect_eq "a writable output: exit" 0 "$?"
}

# probe-ag: a file size limit (`ulimit -f`, systemd's LimitFSIZE) killed a
# run with SIGXFSZ as its WAL grew past it (exit 153, no message). Now the
# write fails: the run is rolled back (exit 3, the state as it was, no -wal
# left), saying the limit; output past it is an error as a full disk's is.
test_a_file_size_limit_is_an_error_not_a_kill() {
  config; facts ""
  run_bad
  expect_eq "first run" 0 "$RC"
  sqlite3 s.db "UPDATE alerts SET title = 'changed'"   # the next run writes frames
  local before
  before=$(sqlite3 s.db .dump | sha256sum)
  ERR=$(ulimit -f 64; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>&1)
  RC=$?
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: state: s.db: committing the run: disk I/O error (a file of this process may grow to 65536 bytes at most: ulimit -f, systemd's LimitFSIZE)
crmpolicy: the run failed (state database error); nothing was written" "$ERR"
  expect_eq "state" "$before" "$(sqlite3 s.db .dump | sha256sum)"
  [ ! -e s.db-wal ] && [ ! -e s.db-shm ] || fail "the run left $(ls s.db-*)"
  ERR=$(ulimit -f 64; "$CRMPOLICY" feed --config c.yaml --since 0 2>&1 >/dev/null)
  expect_eq "a reader under the limit: exit and stderr" "0|" "$?|$ERR"
  sqlite3 s.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
    INSERT INTO events(run_id, type, at, fingerprint, rule, client_id, key, body)
    SELECT run_id, type, at, fingerprint, rule, client_id, key, body FROM events, n"
  ERR=$(ulimit -f 64; "$CRMPOLICY" feed --config c.yaml --since 0 2>&1 >out.jsonl)
  expect_eq "output past the limit: exit" 3 "$?"
  expect_eq "output past the limit: message" "crmpolicy: standard output: File too large: what feed printed is incomplete" "$ERR"
  expect_eq "output past the limit: its size" 65536 "$(stat -c %s out.jsonl)"
  rm -f s.db-wal s.db-shm
  ERR=$(ulimit -f 1; "$CRMPOLICY" feed --config c.yaml --since 0 2>&1 >/dev/null)
  expect_eq "a reader that cannot make s.db-shm: exit" 3 "$?"
  expect_eq "a reader that cannot make s.db-shm: message" "crmpolicy: state: s.db: disk I/O error (a file of this process may grow to 1024 bytes at most: ulimit -f, systemd's LimitFSIZE)" "$ERR"
}

# probe: a run that committed and then failed to copy its WAL into the
# database (a full disk, a file size limit: the copy needs the room again)
# exited 0 without a word, a large -wal left beside the state. Now it says
# so, as a warning: the run is committed and kept, and the next run copies it.
test_a_checkpoint_that_fails_after_the_commit_is_said_and_the_run_kept() {
  clients_config "[{name: status, type: text}]"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { pad = string.rep("x", 1000) } } end }
LUA
  facts_db f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 110)
    INSERT INTO clients(id, name, status, created_on)
    SELECT printf('C%03d', i), 'n', 'active', '2020-01-01' FROM n WHERE i <= 100"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "first run" "0|" "$RC|$ERR"
  [ "$(stat -c %s s.db)" -gt 1048576 ] || fail "the state is no larger than the limit below"
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 101 UNION ALL SELECT i + 1 FROM n WHERE i < 110)
    INSERT INTO clients(id, name, status, created_on)
    SELECT printf('C%03d', i), 'n', 'active', '2020-01-01' FROM n"
  # the new run's pages fit in the WAL, but the database file may not grow
  ERR=$(ulimit -f 1024; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>&1)
  RC=$?
  expect_eq "exit" 0 "$RC"
  expect_eq "message" "crmpolicy: warning: state: s.db: the run is committed, but copying it from s.db-wal into s.db failed: disk I/O error (a file of this process may grow to 1048576 bytes at most: ulimit -f, systemd's LimitFSIZE); it stays in s.db-wal, which the next run or reader of the state copies in once there is room" "$ERR"
  [ -s s.db-wal ] || fail "no s.db-wal: where is the run?"
  expect_eq "the run is kept" "2|110" "$(sqlite3 s.db "SELECT count(*) FROM runs; SELECT count(*) FROM alerts" | paste -sd'|')"
  cp_run run --config c.yaml --as-of 2026-06-03 --quiet
  expect_eq "the next run" "0|" "$RC|$ERR"
  [ ! -e s.db-wal ] || fail "the next run left s.db-wal"
  expect_eq "runs" 3 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

# closed_reader CMD...: runs CMD with its standard output a pipe whose reader
# has already gone (`| head` done reading), SIGPIPE at its default as in a
# shell; sets RC, and ERR to what it wrote on standard error.
closed_reader() {
  RC=$(python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
p = subprocess.run(sys.argv[2:], stdout=w, stderr=open(sys.argv[1], "wb"))
print(p.returncode)' "$T/stderr" "$@")
  ERR=$(cat "$T/stderr")
}

# A reader that stops early (`crmpolicy alerts | head`) ended the command
# with SIGPIPE where it stood: a read command left the state's -wal and
# -shm files behind, though read commands leave the folder as they found
# it. Now the write fails: a product command exits 3 without a message
# (the reader chose to stop), run keeps its code, and nothing is left.
test_a_reader_that_stops_early_leaves_nothing_behind() {
  config; facts ""
  run_bad
  expect_eq "first run" 0 "$RC"
  local cmd
  for cmd in "feed --since 0" "alerts" "alerts --format csv" "assignments" "check"; do
    closed_reader "$CRMPOLICY" $cmd --config c.yaml
    expect_eq "$cmd: exit" 3 "$RC"
    expect_eq "$cmd: stderr" "" "$ERR"
    [ ! -e s.db-wal ] && [ ! -e s.db-shm ] || fail "$cmd left $(ls s.db-*)"
  done
  # report -o - writes its page whole at the end, past the same closed pipe
  printf 'report { id = "x", title = "t", doc = "d", columns = { {id = "n", label = "N", type = "text"} },\n  row = function(c) return { n = c.id } end }\n' > rep.lua
  sed 's/^rules: \[r.lua\]$/rules: [r.lua, rep.lua]/' c.yaml > cr.yaml
  for cmd in "--format csv" "--format html"; do
    closed_reader "$CRMPOLICY" report $cmd -o - --month 2026-06 --config cr.yaml --quiet
    expect_eq "report $cmd: exit and stderr" "3|" "$RC|$ERR"
  done
  closed_reader "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02
  expect_eq "run: exit" 0 "$RC"
  expect_eq "run: stderr" "" "$ERR"
  expect_eq "run: committed" 2 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  [ ! -e s.db-wal ] && [ ! -e s.db-shm ] || fail "run left $(ls s.db-*)"
}

# failed_writes CMD...: how many writes to its standard output CMD made that
# failed with EPIPE, its output a pipe whose reader has gone (counted by
# strace: a count, alike on any machine).
failed_writes() {
  strace -f -qq -e trace=write -e signal=none -o "$T/trace" python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL)' "$@"
  grep -c 'EPIPE' "$T/trace"
}

# probe-ad: with SIGPIPE ignored, `feed --since 0 | head -1` and `alerts |
# head` formatted the whole feed or table after the reader had gone, into
# a pipe that failed every write (0.6 s of CPU for 300,000 events). Now
# they stop at the first failed write.
test_a_reader_that_stops_early_stops_the_reading() {
  config; facts ""
  run_bad
  sqlite3 s.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
    INSERT INTO events(run_id, type, at, fingerprint, rule, client_id, key, body)
    SELECT run_id, type, at, fingerprint, rule, client_id, key, body FROM events, n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
    INSERT INTO alerts(fingerprint, rule, client_id, key, severity, level, assignee, title, data,
                       status, opened_at, updated_at, run_id)
    SELECT fingerprint || i, rule, client_id || '-' || i, key, severity, level, assignee, title,
           data, status, opened_at, updated_at, run_id FROM alerts, n WHERE alerts.rowid = 1;"
  local cmd
  for cmd in "feed --since 0" "alerts --format csv" "alerts --format jsonl" "alerts"; do
    expect_eq "$cmd: writes that failed" 1 "$(failed_writes "$CRMPOLICY" $cmd --config c.yaml)"
  done
}

run_tests
