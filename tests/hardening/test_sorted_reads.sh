#!/usr/bin/env bash
# tests/hardening/test_sorted_reads.sh: a table whose rows lie scattered
# against the client order (written in time order) is read by sorting a scan
# instead of following its index; the rows, and so every result, are the
# same either way, with --jobs 2 (which reads by the index in chunks) too.
# When the sort cannot spill to its temporary files (here: a file size
# limit), the table is read by its index, with a warning, and the run goes on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# scattered: 300 clients and 120,000 orders written in date order, each
# client's orders spread over the whole table (the sort spills to files).
scattered() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on)
        SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
      INSERT INTO orders(id,client_id,ordered_on,amount)
        SELECT printf('X%06d', i), printf('D%03d', 1 + (i * 7919) % 300),
               date('2025-01-01', '+' || (i / 400) || ' days'), i % 7 + 0.005 FROM n;"
  # what each client's rule sees, in order: its orders' ids, dates and amounts
  sed -i 's/^\( *\)- {name: amount, type: money, required: true}$/&\n\1- {name: id, type: text}/' c.yaml
  cat >> r.lua <<'LUA'
rule { id = "order.trail", doc = "the client's orders, in the order read", fn = function(c)
  local parts, sum = {}, 0
  for i, o in ipairs(c.orders) do
    sum = sum + o.amount
    if i <= 3 or i > #c.orders - 3 then parts[#parts + 1] = o.id .. "@" .. dt.format(o.ordered_on) end
  end
  alert { severity = "info", title = "trail", data = { n = #c.orders, sum = sum, ends = parts } }
end }
LUA
}

# results DB: the open alerts of a state, one line each.
results() {
  sqlite3 "$1" "SELECT rule, client_id, key, data FROM alerts WHERE status = 'open' ORDER BY 1, 2, 3"
}

test_a_scattered_table_read_sorted_gives_the_rows_the_index_gives() {
  scattered
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state sorted.db
  expect_eq "sorted: exit" 0 "$RC"
  expect_eq "sorted: no message" "" "$ERR"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state chunks.db --jobs 2
  expect_eq "--jobs 2: exit" 0 "$RC"
  expect_eq "the same results as --jobs 2's index reads" "$(results chunks.db)" "$(results sorted.db)"
  expect_eq "a client's trail" \
    '{"ends":["X000300@2025-01-01","X000600@2025-01-02","X000900@2025-01-03","X119400@2025-10-26","X119700@2025-10-27","X120000@2025-10-28"],"n":400,"sum":120700}' \
    "$(sqlite3 sorted.db "SELECT data FROM alerts WHERE rule = 'order.trail' AND client_id = 'D001'")"
}

test_a_sort_that_cannot_spill_reads_by_the_index_with_a_warning() {
  scattered
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state sorted.db
  expect_eq "sorted: exit" 0 "$RC"
  # a file size limit (its signal ignored: the write fails instead) stops
  # the sort's temporary files, not the state (small)
  OUT=$(trap '' XFSZ; ulimit -f 1500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state limited.db 2>"$T/stderr")
  RC=$?
  expect_eq "limited: exit" 0 "$RC"
  expect_eq "limited: the warning" "crmpolicy: warning: facts: table 'orders': sorting it in temporary files failed (disk I/O error: is the folder SQLITE_TMPDIR names, else /var/tmp or /tmp, full or not writable?); it is read by its index instead (slower, the same rows)" "$(cat "$T/stderr")"
  expect_eq "the same results" "$(results sorted.db)" "$(results limited.db)"
}

test_a_table_read_by_a_covering_index_is_not_sorted() {
  scattered
  # the index holds every column read: its pages are in key order already
  sqlite3 f.db "CREATE INDEX orders_covering ON orders(client_id, ordered_on, id, amount)"
  OUT=$(trap '' XFSZ; ulimit -f 1500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state covered.db 2>"$T/stderr")
  RC=$?
  expect_eq "exit" 0 "$RC"
  expect_eq "no sort was tried" "" "$(cat "$T/stderr")"
}

test_an_index_with_more_than_the_key_and_order_is_followed_not_sorted() {
  scattered
  # ties (equal dates) come in the index's order: (client, date, amount)
  # here, not rowid order, so a sorted read would give them otherwise
  sqlite3 f.db "DROP INDEX orders_by_client; CREATE INDEX orders_wide ON orders(client_id, ordered_on, amount)"
  OUT=$(trap '' XFSZ; ulimit -f 1500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state one.db 2>"$T/stderr")
  expect_eq "no sort was tried" "" "$(cat "$T/stderr")"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state chunks.db --jobs 2
  expect_eq "the same results as --jobs 2" "$(results chunks.db)" "$(results one.db)"
}

run_tests
