#!/usr/bin/env bash
# tests/cli/test_profile.sh: `crmpolicy run --profile FILE`: after the commit,
# one line per part of the run (run-wide values, reading, scope, each rule,
# each derived value, writing, commit) with its calls and its own time. The
# counts are exact and the same with --jobs 2; times are only checked to add
# up, never against the clock.
. "$(dirname "$0")/../lib.sh"

# Four clients: C1 and C3 have orders, C3 is closed (out of scope). The
# derived value big reads total; rule all reads big, rule ord (needs orders)
# reads total, rule boom fails for C1.
setup() {
  clients_config "[{name: status, type: text}]" \
    "tables: [{name: orders, key: client_id, id: id, columns: [{name: amount, type: money}]}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','a','active','2026-01-01'), ('C2','b','active','2026-01-01'),
      ('C3','c','closed','2026-01-01'), ('C4','d','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('O1','C1','2026-02-01',10), ('O2','C1','2026-03-01',20), ('O3','C3','2026-02-01',5);"
  cat > r.lua <<'EOF2'
scope { doc = "open clients", fn = function(c) return c.status ~= "closed" end }
derive { id = "total", doc = "d", fn = function(c) return c.orders:sum("amount") end }
derive { id = "big", doc = "d", fn = function(c) return c.total > 1500 end }
rule { id = "all", doc = "d", fn = function(c)
  if c.big then alert { severity = "info", title = "big" } end
end }
rule { id = "ord", doc = "d", needs = "orders", fn = function(c)
  alert { severity = "info", title = "total " .. c.total }
end }
rule { id = "boom", doc = "d", fn = function(c)
  if c.id == "C1" then error("no") end
end }
EOF2
}

# counts FILE: "part name calls not_run" of every line of a profile.
counts() {
  awk '!/^#/ {print $1, $2, $3, $4}' "$1"
}

EXPECTED_COUNTS="values run-wide 1 -
read facts 4 -
scope scope 4 -
rule all 3 0
rule ord 1 2
rule boom 3 0
derived total 3 -
derived big 3 -
write state 4 -
commit state 1 -
total - - -"

test_each_part_is_counted_exactly() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile p.txt
  expect_eq "exit: a rule error" 1 "$RC"
  expect_eq "stdout (quiet)" "" "$OUT"
  expect_eq "header" "# crmpolicy profile: run 1 as of 2026-06-01, 3 clients, --jobs 1," \
    "$(head -1 p.txt | sed 's/ [0-9.]* s in all$//')"
  expect_eq "columns" "# part name calls not_run seconds us_per_call share" \
    "$(sed -n 2p p.txt | tr -s ' ')"
  expect_eq "counts" "$EXPECTED_COUNTS" "$(counts p.txt)"
  expect_eq "the run was committed" "all|C1|big
ord|C1|total 3000" "$(sqlite3 s.db "SELECT rule, client_id, title FROM alerts ORDER BY 1, 2")"
}

test_the_counts_are_the_same_with_two_workers() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2 --profile p.txt
  expect_eq "exit: a rule error" 1 "$RC"
  expect_contains "header" "3 clients, --jobs 2," "$(head -1 p.txt)"
  expect_eq "counts" "$EXPECTED_COUNTS" "$(counts p.txt)"
}

test_the_parts_add_up_to_the_total() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile p.txt
  # seconds are printed to the millisecond: the sum of 10 rounded parts is
  # within 5 ms of the total; the shares add up to 100% within rounding.
  expect_eq "seconds" "ok" "$(awk '!/^#/ && $1 != "total" {s += $5; p += $7}
    $1 == "total" {t = $5}
    END {d = s - t; if (d < 0) d = -d; print (d <= 0.0055 && p > 99.4 && p < 100.6) ? "ok" : s " " t " " p}' p.txt)"
  expect_eq "no negative time" "" "$(awk '!/^#/ && $5 < 0' p.txt)"
}

test_dash_writes_it_after_the_summary() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --profile -
  expect_eq "exit" 1 "$RC"
  expect_eq "the summary first" "run 1 as of 2026-06-01: 3 clients evaluated" \
    "$(echo "$OUT" | head -1 | sed 's/ in .*//')"
  expect_eq "then the profile" "rule ord 1 2" \
    "$(echo "$OUT" | awk '$1 == "rule" && $2 == "ord" {print $1, $2, $3, $4}')"
}

test_a_path_it_cannot_write_fails_before_the_run() {
  setup
  mkdir p.d
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile p.d
  expect_eq "exit: invalid" 2 "$RC"
  expect_eq "message" "crmpolicy: --profile: p.d: Is a directory" "$ERR"
  expect_eq "no state written" "no" "$([ -e s.db ] && echo yes || echo no)"
}

test_a_run_that_is_refused_keeps_the_last_profile() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile p.txt
  expect_eq "day 1 exit" 1 "$RC"
  cp p.txt day1.txt
  # an as-of date before the last run's is refused by the guard (exit 5)
  cp_run run --config c.yaml --as-of 2026-05-01 --quiet --profile p.txt
  expect_eq "refused" 5 "$RC"
  expect_eq "the profile of day 1 stays" "$(cat day1.txt)" "$(cat p.txt)"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet --profile p.txt
  expect_eq "day 2 exit" 1 "$RC"
  expect_eq "replaced, not appended to" "1 run 2" \
    "$(grep -c '^# crmpolicy profile' p.txt) $(head -1 p.txt | awk '{print $4, $5}' | tr -d ',')"
}

test_it_never_writes_over_a_file_of_the_run() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "day 1 exit" 1 "$RC"
  local before
  before=$(sqlite3 s.db "SELECT count(*) FROM alerts")
  for f in s.db ./s.db "$PWD/s.db" s.db-wal f.db c.yaml r.lua; do
    cp c.yaml c.keep; cp r.lua r.keep; cp f.db f.keep
    cp_run run --config c.yaml --as-of 2026-06-02 --quiet --profile "$f"
    expect_eq "$f: exit" 2 "$RC"
    expect_contains "$f: message" "the profile needs a file of its own" "$ERR"
    expect_eq "$f: the config" "" "$(cmp c.yaml c.keep)"
    expect_eq "$f: the rules" "" "$(cmp r.lua r.keep)"
    expect_eq "$f: the facts" "" "$(cmp f.db f.keep)"
    expect_eq "$f: the state" "$before|1" \
      "$(sqlite3 s.db "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM runs)")"
  done
  expect_eq "which file it is" "crmpolicy: --profile: s.db is the state database (s.db); the profile needs a file of its own" \
    "$("$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet --profile s.db 2>&1)"
}

test_a_state_not_made_yet_is_not_made_by_the_profile() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile s.db
  expect_eq "exit" 2 "$RC"
  expect_eq "no state" "no" "$([ -e s.db ] && echo yes || echo no)"
}

test_a_folder_that_is_not_there_fails_before_the_run() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile no/p.txt
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --profile: no/p.txt: No such file or directory" "$ERR"
  expect_eq "no state" "no" "$([ -e s.db ] && echo yes || echo no)"
}

test_an_empty_path_or_a_fifo_is_refused_before_the_run() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --profile ""
  expect_eq "empty: exit" 2 "$RC"
  expect_eq "empty: message" "crmpolicy: --profile: the path is empty (- is standard output)" "$ERR"
  mkfifo p.fifo
  # nobody reads the FIFO: opening it to write would wait for ever
  ERR=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet --profile p.fifo 2>&1)
  expect_eq "fifo: exit" 2 "$?"
  expect_eq "fifo: message" "crmpolicy: --profile: p.fifo is not a regular file (a FIFO or a socket); - is standard output" "$ERR"
  expect_eq "no state" "no" "$([ -e s.db ] && echo yes || echo no)"
}

test_other_commands_refuse_it() {
  setup
  cp_run check --config c.yaml --profile p.txt
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "option '--profile' does not apply to this command" "$ERR"
}

run_tests
