#!/usr/bin/env bash
# tests/hardening/test_concurrency.sh: two runs on one state database never
# interleave: one waits or stops with exit 4 and a clear message; no event is
# written twice; seq follows the order of the runs; a reader of the feed sees
# whole runs only, even while a run is being written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

CLIENTS=8000            # a run of the demo policy lasts about 1 s (0.5 s release, 1.5 s ASan)
DAY1=2026-10-15
DAY2=2026-11-15

# Sets FACTS, and $T/base.db: the state after one run as of DAY1.
setup() {
  FACTS=$(demo_facts $CLIENTS) || { fail "cannot generate the demo facts"; return 1; }
  demo_run "$T/base.db" $DAY1 "$FACTS"
  expect_eq "first run" 0 "$RC"
}

# start_run NAME STATE AS_OF [ARGS...]: starts a run in the background; its
# exit code goes to $T/NAME.rc, its stderr to $T/NAME.err.
start_run() {
  local name=$1 state=$2 as_of=$3
  shift 3
  ( "$CRMPOLICY" run --config "$DEMO_CONFIG" --facts "$FACTS" --state "$state" \
      --as-of "$as_of" --quiet "$@" >/dev/null 2>"$T/$name.err"; echo $? > "$T/$name.rc" ) &
}

# expect_one_busy STATE WAIT: of the runs a and b, one succeeded and the
# other exited 4 with the message, having waited WAIT seconds.
expect_one_busy() {
  local winner loser
  if [ "$(cat "$T/a.rc")" = 4 ]; then loser=a winner=b; else loser=b winner=a; fi
  expect_eq "exit codes (a b)" "0 4" "$(cat "$T/$winner.rc") $(cat "$T/$loser.rc")"
  expect_eq "message of the run that stopped" \
    "crmpolicy: state: $1 is in use by another run or writer (waited $2 s; --wait SECONDS waits longer); nothing was written" \
    "$(cat "$T/$loser.err")"
  expect_eq "stderr of the run that went on" "" "$(cat "$T/$winner.err")"
}

# expect_feed_in_run_order STATE: seq increases with the run, and each run's
# events count is what the runs table says.
expect_feed_in_run_order() {
  expect_eq "events out of run order" 0 "$(sqlite3 "$1" "SELECT count(*) FROM (SELECT run_id,
    lag(run_id) OVER (ORDER BY seq) AS prev FROM events) WHERE run_id < prev")"
  expect_eq "runs whose event count is wrong" 0 "$(sqlite3 "$1" "SELECT count(*) FROM runs r
    WHERE events != (SELECT count(*) FROM events e WHERE e.run_id = r.id)")"
}

test_second_of_two_runs_started_together_exits_busy() {
  setup || return
  copy_db "$T/base.db" "$T/s.db"
  start_run a "$T/s.db" $DAY2
  start_run b "$T/s.db" $DAY2
  wait
  expect_one_busy "$T/s.db" 0
  expect_eq "runs" 2 "$(sqlite3 "$T/s.db" "SELECT count(*) FROM runs")"
  expect_feed_in_run_order "$T/s.db"
}

test_two_first_runs_on_a_new_state_database_never_interleave() {
  setup || return
  start_run a "$T/new.db" $DAY1
  start_run b "$T/new.db" $DAY1
  wait
  expect_one_busy "$T/new.db" 0
  expect_eq "runs" 1 "$(sqlite3 "$T/new.db" "SELECT count(*) FROM runs")"
  state_digest "$T/base.db" > "$T/expected"
  expect_same_state "state after the two runs" "$T/expected" "$T/new.db"
}

test_waiting_runs_run_one_after_the_other_without_duplicate_events() {
  setup || return
  copy_db "$T/base.db" "$T/one.db"
  demo_run "$T/one.db" $DAY2 "$FACTS"
  demo_run "$T/one.db" $DAY2 "$FACTS"
  state_digest "$T/one.db" > "$T/expected"   # DAY2 run twice, one after the other
  copy_db "$T/base.db" "$T/s.db"
  start_run a "$T/s.db" $DAY2 --wait 60
  start_run b "$T/s.db" $DAY2 --wait 60
  wait
  expect_eq "exit codes" "0 0" "$(cat "$T/a.rc") $(cat "$T/b.rc")"
  expect_eq "stderr" "" "$(cat "$T/a.err" "$T/b.err")"
  expect_same_state "state after two waiting runs" "$T/expected" "$T/s.db"
  expect_eq "events of the later run" 0 "$(sqlite3 "$T/s.db" "SELECT events FROM runs
                                                               ORDER BY id DESC LIMIT 1")"
  expect_eq "events written twice" 0 "$(sqlite3 "$T/s.db" "SELECT count(*) FROM (SELECT 1
    FROM events GROUP BY fingerprint, type, at HAVING count(*) > 1)")"
  expect_feed_in_run_order "$T/s.db"
}

# The run is held in the middle of its transaction, whatever the machine's
# speed: a rule prints 200 KB at client C004000 to a FIFO that nobody reads
# yet, so the run blocks there, the events of the clients before written and
# not committed; the feed is read three times meanwhile, then the FIFO is
# drained and the run ends. (Before, reads raced a free-running run and
# counted how many fell during it.)
test_feed_reader_sees_whole_runs_only_during_a_run() {
  setup || return
  copy_db "$T/base.db" "$T/s.db"
  sed -e "s|\.\./\.\./|$ROOT/|" -e "s|^  - $ROOT/rules/surveys.lua\$|&\n  - $T/hold.lua|" \
    "$DEMO_CONFIG" > "$T/c.yaml"
  cat > "$T/hold.lua" <<'LUA'
rule { id = "test.hold", doc = "prints 200 KB at one client", fn = function(c)
  if c.id == "C004000" then print(string.rep("x", 200000)) end
end }
LUA
  expect_contains "the rule is in the config" "$T/hold.lua" "$(cat "$T/c.yaml")"
  local before i n pid cat_pid
  before=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  mkfifo "$T/err.fifo"
  exec 3<>"$T/err.fifo"   # a reader that reads nothing: the pipe fills, print() blocks
  "$CRMPOLICY" run --config "$T/c.yaml" --facts "$FACTS" --state "$T/s.db" --as-of $DAY2 \
    --quiet >/dev/null 2>"$T/err.fifo" 3>&- &
  pid=$!
  for i in $(seq 1 1200); do   # up to 2 minutes for the run to reach C004000
    case "$(cat /proc/$pid/wchan 2>/dev/null)" in *pipe_write*) break ;; esac
    sleep 0.1
  done
  case "$(cat /proc/$pid/wchan 2>/dev/null)" in
    *pipe_write*) ;;
    *) fail "the run did not block in print() (wchan: $(cat /proc/$pid/wchan 2>/dev/null))" ;;
  esac
  for i in 1 2 3; do
    n=$("$CRMPOLICY" feed --state "$T/s.db" --since 0 2>"$T/feed.err" | wc -l)
    expect_eq "read $i during the run: the events before it" "$before" "$n"
    expect_eq "read $i during the run: no error" "" "$(cat "$T/feed.err")"
  done
  # a reader opened before fd 3 (a writer too) is closed, so that the FIFO
  # never lacks a reader (the run's write would fail) and ends with the run
  exec 4<"$T/err.fifo"
  exec 3>&-
  cat <&4 > "$T/a.err" &
  cat_pid=$!
  exec 4<&-
  wait $pid
  expect_eq "the run's exit" 0 "$?"
  wait $cat_pid
  expect_eq "what it printed" 200019 "$(wc -c < "$T/a.err")"
  local after
  after=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  [ "$after" -gt "$before" ] || fail "the run added no events ($before, then $after)"
  n=$("$CRMPOLICY" feed --state "$T/s.db" --since 0 2>"$T/feed.err" | wc -l)
  expect_eq "read after the run: all its events" "$after" "$n"
}

test_feed_since_last_seq_loses_and_repeats_nothing_across_runs() {
  setup || return
  copy_db "$T/base.db" "$T/s.db"
  local last=0 line ended
  start_run a "$T/s.db" $DAY2
  while :; do
    ended=0
    [ -e "$T/a.rc" ] && ended=1   # before reading: the last page then holds the whole run
    "$CRMPOLICY" feed --state "$T/s.db" --since "$last" > "$T/page" 2>>"$T/feed.err"
    cat "$T/page" >> "$T/consumed"
    line=$(tail -1 "$T/page")
    [ -n "$line" ] && last=$(echo "$line" | sed -E 's/^\{"seq":([0-9]+),.*/\1/')
    [ "$ended" = 1 ] && [ ! -s "$T/page" ] && break
  done
  wait
  expect_eq "feed errors" "" "$(cat "$T/feed.err")"
  "$CRMPOLICY" feed --state "$T/s.db" --since 0 > "$T/all"
  cmp -s "$T/all" "$T/consumed" || fail "the consumer's copy of the feed differs from the feed"
}

# holds_open PID FILE: succeeds once process PID has FILE open.
holds_open() {
  local fd
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "$(readlink -f "$2")" ] && return 0
  done
  return 1
}

# The facts of the snapshot test: 300 clients with one order each of 1.00,
# in WAL mode (readers do not hold a writer back), and a rule that reports
# a client's order sum beside the run-wide one (counted by parts of rowids
# with --jobs 2, by the writer and the workers' own connections).
snapshot_setup() {
  clients_config "[{name: name, type: text}]" \
    "tables: [{name: orders, key: client_id, id: id, columns: [{name: amount, type: money}]}]"
  facts_db f.db "PRAGMA journal_mode = WAL;
    INSERT INTO clients(id,name,status,created_on)
      SELECT printf('C%04d', value), 'n', 'active', '2026-01-01' FROM generate_series(1, 3000);
    INSERT INTO orders(id,client_id,ordered_on,amount)
      SELECT 'O' || value, printf('C%04d', value), '2026-03-01', 1 FROM generate_series(1, 3000);" >/dev/null
  cat > r.lua <<'LUA'
aggregate { id = "total", doc = "all orders", table = "orders", sum = "amount" }
rule { id = "seen", doc = "what the run read", fn = function(c)
  alert { severity = "info", title = "seen",
          data = { mine = c.orders:sum("amount"), total = run.total } }
end }
LUA
}

test_a_run_reads_one_snapshot_of_the_facts_while_the_crm_commits() {
  local j
  for j in 1 2; do
    rm -f s.db* f.db*
    snapshot_setup
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j   # makes the state
    # another run holds the state: the run under test opens the facts, then
    # waits for the state lock; the CRM commits meanwhile
    hold_lock s.db "BEGIN IMMEDIATE; UPDATE runs SET facts = facts;"
    ( "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet --jobs $j --wait 120 \
        2>"$T/run.err"; echo $? > "$T/run.rc" ) &
    local pid=$! child
    timeout 60 sh -c "while [ -z \"\$(pgrep -P $pid crmpolicy)\" ]; do sleep 0.02; done"
    child=$(pgrep -P "$pid" crmpolicy)
    # the state is opened only once the facts are open, in their snapshot
    until holds_open "$child" s.db; do sleep 0.02; done
    sqlite3 f.db "BEGIN; UPDATE orders SET amount = 2; DELETE FROM clients WHERE id > 'C2000';
                  DELETE FROM orders WHERE client_id > 'C2000'; COMMIT;"
    release_lock
    wait "$pid"
    expect_eq "--jobs $j: exit" 0 "$(cat "$T/run.rc")"
    expect_eq "--jobs $j: stderr" "" "$(cat "$T/run.err")"
    expect_eq "--jobs $j: what run 2 read (mine|total|clients)" "100|300000|3000" \
      "$(sqlite3 s.db "SELECT json_extract(data,'$.mine'), json_extract(data,'$.total'), count(*)
                       FROM alerts WHERE status = 'open' GROUP BY 1, 2")"
    cp_run run --config c.yaml --as-of 2026-06-03 --quiet --jobs $j --force   # a third fewer
    expect_eq "--jobs $j: the next run reads the commit" "200|400000|2000" \
      "$(sqlite3 s.db "SELECT json_extract(data,'$.mine'), json_extract(data,'$.total'), count(*)
                       FROM alerts WHERE status = 'open' GROUP BY 1, 2")"
  done
}

test_readers_of_a_run_read_one_file_while_exports_are_renamed_over_it() {
  # two exports that differ in every row: a mixed run's lookup says one
  # file and its clients the other; a loop renames them over the path
  cat > c.yaml <<'YAML'
facts: facts.db
state: s.db
rules: [r.lua]
clients: {name: clients, id: id, columns: [{name: name, type: text}]}
lookups:
  - {name: staff, id: id, columns: [{name: id, type: text}, {name: name, type: text}]}
YAML
  echo 'rule { id = "mix", doc = "d", fn = function(c)
  if lookup.staff:get("S1").name ~= c.name then alert { severity = "critical", title = "mixed" } end
end }' > r.lua
  local v
  for v in A B; do
    facts_db f$v.db "INSERT INTO staff(id,name,role) VALUES('S1','$v','kam');
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
      INSERT INTO clients(id,name,status,created_on) SELECT printf('K%05d', i), '$v', 'active', '2026-01-01' FROM n;"
  done
  cp fA.db facts.db
  ( while [ ! -e stop ]; do cp fB.db t.db; mv t.db facts.db; cp fA.db t.db; mv t.db facts.db; done ) &
  local loop=$! i mixed=0 ran=0
  for i in $(seq 1 60); do
    rm -f s.db s.db-wal s.db-shm
    "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --jobs 2 --quiet 2>/dev/null && ran=$((ran + 1))
    [ -e s.db ] && [ "$(sqlite3 s.db "SELECT count(*) FROM alerts" 2>/dev/null)" != 0 ] && mixed=$((mixed + 1))
  done
  touch stop
  wait $loop
  expect_eq "runs that mixed two files" 0 "$mixed"
  [ "$ran" -gt 0 ] || fail "no run completed while the exports were renamed"
}

test_a_facts_file_written_over_in_place_during_a_run_stops_it_saying_so() {
  # an export copied over the file in place (cp, not a rename) while a run
  # reads it: the rows read may mix two exports. Here only the header (the
  # change counter) is written, so no page read is damaged: the run must
  # still refuse to commit. The rule prints once the run is reading, then
  # works a while on every client.
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
limits: {instructions: 100000000}
clients: {name: clients, id: id, columns: [{name: name, type: text}]}
YAML
  echo 'local said = false
rule { id = "slow", doc = "d", fn = function(c)
  if not said then print("reading"); said = true end
  local x = 0
  for i = 1, 3000000 do x = x + i end
  alert { severity = "info", title = c.id }
end }' > r.lua
  facts_db f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
    INSERT INTO clients(id,name,status,created_on) SELECT printf('K%02d', i), 'n', 'active', '2026-01-01' FROM n;"
  ( "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet > /dev/null 2> "$T/run.err"
    echo $? > "$T/run.rc" ) &
  local i
  for i in $(seq 1 600); do grep -q reading "$T/run.err" 2>/dev/null && break; sleep 0.05; done
  printf '\001\002\003\004' | dd of=f.db bs=1 seek=24 conv=notrunc 2>/dev/null
  wait
  expect_eq "exit" 3 "$(cat "$T/run.rc")"
  expect_contains "message" "crmpolicy: facts: f.db was written over while the run read it (its header changed since the run began reading), so the rows read may mix two exports: land each export as a new file renamed over the path, or write it with SQLite, which waits for the run
crmpolicy: the run failed (facts error); nothing was written" "$(cat "$T/run.err")"
  expect_eq "runs written" 0 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit of a run on the file left alone" 0 "$RC"
}

# policy-t: an export copied over the facts in place as a run opened them
# gave exit 2 and a message of the half-written file ("file is not a
# database", a table missing) as if the config or the export were wrong.
# The run waits for a writer's lock while the file is written over.
test_a_facts_file_written_over_as_the_run_opens_it_says_so_with_exit_3() {
  clients_config "[{name: name, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','a','active','2026-01-01');"
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  hold_lock f.db "BEGIN EXCLUSIVE;"
  ( "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/run.err"; echo $? > "$T/run.rc" ) &
  local pid=$! child
  timeout 60 sh -c "while [ -z \"\$(pgrep -P $pid crmpolicy)\" ]; do sleep 0.02; done"
  child=$(pgrep -P "$pid" crmpolicy)
  until holds_open "$child" f.db; do sleep 0.02; done
  printf 'an export half written over the file' | dd of=f.db bs=1 conv=notrunc 2>/dev/null
  release_lock
  wait "$pid"
  expect_eq "exit" 3 "$(cat "$T/run.rc")"
  expect_contains "message" "crmpolicy: facts: f.db changed while the run opened it (an export written over it in place?), so the message above may be of a half-written file; nothing was written; run again once the export is written, and land each export as a new file renamed over the path" "$(cat "$T/run.err")"
  [ ! -e s.db ] || fail "the state database was created"
}

test_the_wait_for_the_state_lock_does_not_count_as_reading_the_facts() {
  snapshot_setup
  # 20 clients: read in milliseconds, however slow the build or the machine
  sqlite3 f.db "DELETE FROM clients WHERE id > 'C0020'; DELETE FROM orders WHERE client_id > 'C0020'"
  printf 'limits: {facts_seconds: 1}\n' >> c.yaml
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "first run" 0 "$RC"
  hold_lock s.db "BEGIN IMMEDIATE; UPDATE runs SET facts = facts;"
  ( "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet --wait 120 2>"$T/run.err";
    echo $? > "$T/run.rc" ) &
  local pid=$! child
  timeout 60 sh -c "while [ -z \"\$(pgrep -P $pid crmpolicy)\" ]; do sleep 0.02; done"
  child=$(pgrep -P "$pid" crmpolicy)
  until holds_open "$child" s.db; do sleep 0.02; done
  sleep 2   # the run waits for the lock longer than its facts_seconds
  release_lock
  wait "$pid"
  expect_eq "exit" 0 "$(cat "$T/run.rc")"
  expect_eq "stderr" "" "$(cat "$T/run.err")"
}

# probe-ag: a state in rollback mode (one restored from a dump: `sqlite3
# s.db .dump | sqlite3 new.db`) that someone reads (an analyst's open
# sqlite3 session) held the run's switch to WAL back, and the run retried
# it 200 times under SQLite's wait of 10 s: 33 minutes, whatever --wait.
# Now it waits --wait (at least 2 s), then exit 4, nothing written.
test_a_reader_of_a_state_in_rollback_mode_holds_a_run_back_for_wait_only() {
  setup || return
  copy_db "$T/base.db" "$T/s.db"
  sqlite3 "$T/s.db" "PRAGMA journal_mode = DELETE" >/dev/null
  state_digest "$T/s.db" > "$T/expected"
  hold_lock "$T/s.db" "BEGIN; SELECT count(*) FROM alerts;" >/dev/null
  local w start
  for w in 0 3; do
    start=$(date +%s)
    OUT=$(timeout 60 "$CRMPOLICY" run --config "$DEMO_CONFIG" --facts "$FACTS" --state "$T/s.db" \
          --as-of $DAY2 --quiet --wait $w 2>"$T/stderr")
    expect_eq "--wait $w: exit" 4 "$?"
    expect_eq "--wait $w: message" "crmpolicy: state: $T/s.db is in use by another run, writer or reader (waited $((w > 2 ? w : 2)) s; --wait SECONDS waits longer; a state not in WAL mode, one restored from a dump say, is switched to it once no one reads it); nothing was written" "$(cat "$T/stderr")"
    [ $(($(date +%s) - start)) -lt 30 ] || fail "--wait $w: the run waited $(($(date +%s) - start)) s"
  done
  release_lock
  expect_same_state "the state the runs held back" "$T/expected" "$T/s.db"
  demo_run "$T/s.db" $DAY2 "$FACTS"
  expect_eq "once no one reads it: exit" 0 "$RC"
  expect_eq "its journal mode" wal "$(sqlite3 "$T/s.db" "PRAGMA journal_mode")"
}

run_tests
