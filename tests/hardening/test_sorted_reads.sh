#!/usr/bin/env bash
# tests/hardening/test_sorted_reads.sh: a table whose rows lie scattered
# against the client order (written in time order) is read by sorting a scan
# instead of following its index; the rows, and so every result, are the
# same either way, with --jobs 2 (which reads by the index in chunks) too.
# When the sort cannot spill to its temporary files (here: a file size
# limit), the table is read by its index, with a warning, and the run goes on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# scattered [N]: 300 clients and N (120,000) orders written in date order, each
# client's orders spread over the whole table (the sort spills to files).
scattered() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on)
        SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${1:-120000})
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

# found DB: the findings of a state, in the order they were recorded.
found() {
  sqlite3 "$1" "SELECT tbl||'|'||row_id||'|'||col||'|'||value||'|'||problem FROM findings
                ORDER BY rowid"
}

test_jobs_2_sorts_each_workers_part_with_the_same_results_and_findings() {
  scattered
  # a table without types (its key has no affinity: 42 stays a number), then
  # rows that are no client's in every chunk (300 clients, chunks of 128:
  # D001-D128, D129-D256, D257-D300) and keys that are NULL, a number, a
  # blob, text with a NUL byte or not UTF-8
  untyped orders
  sqlite3 f.db "CREATE INDEX orders_by_client ON orders(client_id, ordered_on);
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('Y1','D000','2025-02-01',1), ('Y2','D128x','2025-02-02',1), ('Y3','D256x','2025-02-03',1),
      ('Y4','D300x','2025-02-04',1), ('Y5','E','2025-02-05',1), ('Y6',NULL,'2025-02-06',1),
      ('Y7',42,'2025-02-07',1), ('Y8',x'44313239','2025-02-08',1),
      ('Y9','D129'||char(0)||'x','2025-02-09',1), ('Y10',CAST(x'44323030ff' AS TEXT),'2025-02-10',1)"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state one.db
  expect_eq "one: exit" 0 "$RC"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state two.db --jobs 2
  expect_eq "two: exit" 0 "$RC"
  expect_eq "the same results" "$(results one.db)" "$(results two.db)"
  expect_eq "the same findings, in the same order" "$(found one.db)" "$(found two.db)"
  # every row read once, for the guard: the 120,000 orders, the 3 of the
  # base facts (badfacts.sh) and the 10 above
  expect_eq "the rows read, --jobs 1 and 2" "orders 120013|orders 120013" \
    "$(for db in one.db two.db; do sqlite3 $db "SELECT name||' '||rows FROM run_tables WHERE name = 'orders'"; done | paste -sd'|')"
  local other="no client's rules see the row (run-wide aggregates count it)"
  expect_eq "the findings" "orders|Y6|client_id|NULL|is not a text client id; the row is skipped
orders|Y7|client_id|42|is not a text client id; the row is skipped
orders|Y1|client_id|D000|is not a client in the clients table; $other
orders|Y2|client_id|D128x|is not a client in the clients table; $other
orders|Y9|client_id|D129\x00x|contains a NUL byte; the row is skipped
orders|Y10|client_id|D200"$'\xff'"|is not valid UTF-8; the row is skipped
orders|Y3|client_id|D256x|is not a client in the clients table; $other
orders|Y4|client_id|D300x|is not a client in the clients table; $other
orders|Y5|client_id|E|is not a client in the clients table; $other
orders|Y8|client_id|D129|is not a text client id; the row is skipped" "$(found two.db)"
}

# A worker finds a row's chunk by the first 8 bytes of its key, and by the
# whole key only when those are the same as a bound's: keys longer than 8
# bytes that share them (CUSTOMER-D001 ...), next to shorter ones, and keys
# that are a bound's first 8 bytes or the bound with a byte more.
test_jobs_2_parts_long_keys_that_share_their_first_bytes_alike() {
  scattered
  sqlite3 f.db "UPDATE clients SET id = 'CUSTOMER-' || id WHERE substr(id, 2) % 2 = 0;
    UPDATE orders SET client_id = 'CUSTOMER-' || client_id WHERE substr(client_id, 2) % 2 = 0;
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('Y1','CUSTOMER','2025-02-01',1), ('Y2','CUSTOMER-D1','2025-02-02',1),
      ('Y3','CUSTOMER-D128x','2025-02-03',1), ('Y4','CUSTOMER-D2560','2025-02-04',1),
      ('Y5','CUSTOMEQ','2025-02-05',1), ('Y6','D1','2025-02-06',1)"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state one.db
  expect_eq "one: exit" 0 "$RC"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state two.db --jobs 2
  expect_eq "two: exit" 0 "$RC"
  expect_eq "every client's trail" 303 \
    "$(sqlite3 two.db "SELECT count(*) FROM alerts WHERE rule = 'order.trail'")"
  expect_eq "the same results" "$(results one.db)" "$(results two.db)"
  expect_eq "the same findings, in the same order" "$(found one.db)" "$(found two.db)"
  expect_eq "the rows read, --jobs 1 and 2" "orders 120009|orders 120009" \
    "$(for db in one.db two.db; do sqlite3 $db "SELECT name||' '||rows FROM run_tables WHERE name = 'orders'"; done | paste -sd'|')"
}

# policy-v: --jobs 2 took 10 times as long as --jobs 1 on the views of a CSV
# import (a key cast to text, no index): each chunk of 128 clients scanned
# and sorted the whole view again. Such a table (or one without an index on
# its key) is read by parts now, one sorted scan a worker; the results, the
# findings and the rows read are those of one core.
test_a_view_or_a_table_without_an_index_reads_alike_with_jobs_2() {
  scattered 20000
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('Y1','D000','2025-02-01',1), ('Y2','D128x','2025-02-02',1), ('Y6',NULL,'2025-02-06',1),
      ('Y7',42,'2025-02-07',1), ('Y8',x'44313239','2025-02-08',1);
    CREATE VIEW orders_v AS SELECT id, CAST(client_id AS TEXT) AS client_id, ordered_on, amount FROM orders;"
  local variant
  for variant in table view; do
    [ "$variant" = view ] && sed -i 's/^  - name: orders$/&\n    table: orders_v/' c.yaml
    rm -f one.db two.db
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state one.db
    expect_eq "$variant: one: exit" 0 "$RC"
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state two.db --jobs 2
    expect_eq "$variant: two: exit" 0 "$RC"
    expect_eq "$variant: the same results" "$(results one.db)" "$(results two.db)"
    expect_eq "$variant: the same findings" "$(found one.db)" "$(found two.db)"
    expect_eq "$variant: the rows read" "orders 20008|orders 20008" \
      "$(for db in one.db two.db; do sqlite3 $db "SELECT name||' '||rows FROM run_tables WHERE name = 'orders'"; done | paste -sd'|')"
  done
  expect_contains "the view read" "table: orders_v" "$(cat c.yaml)"
  expect_eq "results there are" 303 "$(results two.db | grep -c "^order.trail")"
}

test_a_sort_that_cannot_spill_reads_by_the_index_with_a_warning() {
  # twice the orders: each worker's half still spills past the limit, while
  # the state (64 KB pages: about 2 MB) stays under it
  scattered 240000
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state sorted.db
  expect_eq "sorted: exit" 0 "$RC"
  # a file size limit (its signal ignored: the write fails instead) stops
  # the sort's temporary files, not the state (small)
  OUT=$(trap '' XFSZ; ulimit -f 3500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state limited.db 2>"$T/stderr")
  RC=$?
  expect_eq "limited: exit" 0 "$RC"
  expect_eq "limited: the warning" "crmpolicy: warning: facts: table 'orders': sorting it in temporary files failed (disk I/O error: is the folder SQLITE_TMPDIR names, else /var/tmp or /tmp, full or not writable?); it is read by its index instead (slower, the same rows)" "$(cat "$T/stderr")"
  expect_eq "the same results" "$(results sorted.db)" "$(results limited.db)"
  # --jobs 2 sorts each worker's part of the table: each one falls back
  OUT=$(trap '' XFSZ; ulimit -f 3500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state limited2.db --jobs 2 2>"$T/stderr")
  RC=$?
  expect_eq "--jobs 2 limited: exit" 0 "$RC"
  expect_eq "--jobs 2 limited: a warning from each worker" "2" \
    "$(grep -c "warning: facts: table 'orders': sorting it in temporary files failed" "$T/stderr")"
  expect_eq "--jobs 2 limited: the same results" "$(results sorted.db)" "$(results limited2.db)"
}

test_a_table_read_by_a_covering_index_is_not_sorted() {
  scattered
  # the index holds every column read: its pages are in key order already
  sqlite3 f.db "CREATE INDEX orders_covering ON orders(client_id, ordered_on, id, amount)"
  OUT=$(trap '' XFSZ; ulimit -f 3500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
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
  OUT=$(trap '' XFSZ; ulimit -f 3500; "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 \
    --quiet --state one.db 2>"$T/stderr")
  expect_eq "no sort was tried" "" "$(cat "$T/stderr")"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --state chunks.db --jobs 2
  expect_eq "the same results as --jobs 2" "$(results chunks.db)" "$(results one.db)"
}

run_tests
