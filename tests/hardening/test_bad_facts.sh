#!/usr/bin/env bash
# tests/hardening/test_bad_facts.sh: what a run does with bad facts. A data
# problem in a row is quarantined: the value reads as nil (or the row is
# skipped), a warning names table, row, column and value, the state's
# `findings` table keeps it with the run, and the run goes on (exit 0). A
# facts database that cannot be read as declared is fatal: a message naming
# the place, exit 2 (or 3 when it breaks while being read), nothing written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# expect_quarantined FINDING WARNING: one finding, printed as a warning; the
# run went on: exit 0, the run recorded with its finding, every sound client
# evaluated.
expect_quarantined() {
  expect_eq "exit" 0 "$RC"
  expect_eq "finding" "$1" "$(findings)"
  expect_eq "warning" "crmpolicy: warning: facts: $2" "$ERR"
  expect_eq "run" "complete|1" "$(sqlite3 s.db "SELECT status||'|'||findings FROM runs")"
}

# expect_fatal EXIT MESSAGE: the run stopped with MESSAGE and wrote nothing.
expect_fatal() {
  expect_eq "exit" "$1" "$RC"
  expect_eq "message" "$2" "$ERR"
  if [ -e s.db ]; then
    expect_eq "runs written" 0 "$(sqlite3 s.db "SELECT count(*) FROM runs" 2>&1)"
  fi
}

test_sound_facts_give_no_finding() {
  config; facts ""
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "findings" "" "$(findings)"
  expect_eq "C1 saw" '{"amounts":"1/0","contacts":"1/0","levels":"1/0","orders":"1/0","status":"active","surveys":"1/0"}' "$(saw C1)"
}

test_a_lookup_tables_problems_are_recorded_with_the_run() {
  config
  facts "INSERT INTO staff(id,name,role,capacity) VALUES ('S1','a','kam','lots'), ('S2','b','kam',2);"
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: capacity, type: integer}]}\n' >> c.yaml
  run_bad
  expect_quarantined "staff|S1|capacity|lots|is not an integer" \
    "staff row S1 column capacity: 'lots' is not an integer"
  for j in 1 2; do   # once per run, whatever the workers
    cp_run run --config c.yaml --as-of 2026-06-0$((j + 1)) --quiet --jobs $j
    expect_eq "run $((j + 1)) findings" 1 "$(sqlite3 s.db "SELECT findings FROM runs WHERE id = $((j + 1))")"
  done
  expect_eq "rows" 3 "$(sqlite3 s.db "SELECT count(*) FROM findings")"
}

test_a_null_client_key_is_a_finding_with_any_jobs() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on)
        SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;
    INSERT INTO clients(id,name,status,created_on) VALUES (NULL,'n','active','2026-01-01');"
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('ON',NULL,'2026-03-01',5)"
  for j in 1 2; do   # the first chunk of --jobs 2 is read below a bound that NULL does not meet
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: findings" "clients|(client NULL)|id|NULL|is not a text client id; the row is skipped
orders|ON|client_id|NULL|is not a text client id; the row is skipped" "$(findings)"
    cp_run run --config c.yaml --as-of 2026-06-02 --quiet --jobs $j --strict
    expect_eq "--jobs $j --strict: exit" 3 "$RC"
  done
}

# probe-fk: with --jobs 2 the NULL keys of a table were said when the first
# chunk began, before the clients row skipped ahead of them, so the findings
# (and the first printed, and the one --strict stops at) came in another
# order than --jobs 1's. They are said at the table's turn, as one read gives them.
test_null_client_keys_are_said_in_the_order_of_one_read_with_any_jobs() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on)
        SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;"
  untyped clients orders
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES (7,'n','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('ON',NULL,'2026-03-01',5), ('O5',5,'2026-03-01',5)"
  for j in 1 2; do
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: findings" "clients|7|id|7|is not a text client id; the row is skipped
orders|ON|client_id|NULL|is not a text client id; the row is skipped
orders|O5|client_id|5|is not a text client id; the row is skipped" "$(findings)"
    cp_run run --config c.yaml --as-of 2026-06-02 --quiet --jobs $j --strict
    expect_eq "--jobs $j --strict: exit" 3 "$RC"
    expect_contains "--jobs $j --strict: stops at" "clients row 7 column id: '7' is not a text client id" "$ERR"
  done
}

# probe-fk: with --jobs 2 a table whose key column has a numeric affinity
# (client_id INTEGER) is read chunk by chunk between client ids, and a
# chunk that began at an id such as '1128' was compared as the number 1128:
# the rows of clients '0A' and '11X', text keys the table keeps as text,
# were read in another chunk and said "is not a client in the clients
# table", where --jobs 1 gave them to their clients.
test_text_keys_in_a_numeric_key_column_reach_their_clients_with_any_jobs() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 1299)
      INSERT INTO clients(id,name,status,created_on) SELECT CAST(i AS TEXT), 'd', 'active', '2026-01-01' FROM n;
    INSERT INTO clients(id,name,status,created_on) VALUES ('0A','a','active','2026-01-01'),
      ('11X','x','active','2026-01-01');
    ALTER TABLE orders RENAME TO orders_typed;
    CREATE TABLE orders(id TEXT, client_id INTEGER, ordered_on TEXT, amount REAL);
    INSERT INTO orders SELECT id, client_id, ordered_on, amount FROM orders_typed;
    DROP TABLE orders_typed; CREATE INDEX orders_by_key ON orders(client_id, ordered_on);
    INSERT INTO orders VALUES ('OA','0A','2026-03-01',1), ('OX','11X','2026-03-01',2),
      ('O1','1000','2026-03-01',3);"
  for j in 1 2; do
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: findings" "orders|O1|client_id|1000|is not a text client id; the row is skipped" "$(findings)"
    expect_contains "--jobs $j: 0A saw" '"orders":"1/0"' "$(saw 0A)"
    expect_contains "--jobs $j: 11X saw" '"orders":"1/0"' "$(saw 11X)"
  done
}

# jobs_findings J...: runs c.yaml as of 2026-06-01 with each --jobs J into a
# new state; prints the exit code, stderr and the findings of each, the
# --jobs between them, for one expect_eq against --jobs 1's.
same_with_jobs() {
  local j out one=""
  for j in 1 "$@"; do
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs "$j"
    out="exit $RC
$ERR
$(findings)"
    [ "$j" = 1 ] && one=$out && continue
    expect_eq "--jobs $j as --jobs 1" "$one" "$out"
  done
  printf '%s\n' "$one"
}

# jobs-fuzz: with --jobs 2 a chunk of 128 clients rows with no client to
# evaluate (ids stored as numbers, which sort first) ended with the rows of
# no client of each table, said table by table (contacts keyed 9), where
# --jobs 1 says them at the first client, each beside that client's rows
# (C1's order dated 'bad' first): a chunk ends at its last client now.
test_a_chunk_of_ids_stored_as_numbers_gives_the_findings_of_one_read() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
      INSERT INTO clients(id,name,status,created_on) SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;"
  untyped clients orders contacts
  sqlite3 f.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 128)
      INSERT INTO clients(id,name,status,created_on) SELECT i, 'd', 'active', '2026-01-01' FROM n;
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OB','C1','bad',1);
    INSERT INTO contacts(id,client_id,level,happened_at) VALUES ('V9',9,'account','2026-04-01T10:00:00');"
  local one
  one=$(same_with_jobs 2 3)
  expect_contains "--jobs 1: C1's order, then the contacts keyed 9" "clients|128|id|128|is not a text client id; the row is skipped
orders|OB|ordered_on|bad|is not a date
contacts|V9|client_id|9|is not a text client id; the row is skipped" "$one"
}

# jobs-fuzz: a chunk whose last clients rows are skipped (an id too long)
# ended, with --jobs 2, with the rows of no client that sort before its
# bound: contacts keyed 'D128a' were said before the orders of D129, the
# next client, which --jobs 1 says first.
test_a_chunk_ending_in_a_skipped_id_gives_the_findings_of_one_read() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 5 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
      INSERT INTO clients(id,name,status,created_on) SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;
    INSERT INTO clients(id,name,status,created_on) VALUES ('D128' || printf('%.*c', 1100, 'x'),'d','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OB','D129','bad',1);
    INSERT INTO contacts(id,client_id,level,channel,happened_at) VALUES ('V9','D128a','account','visit','2026-04-01T10:00:00');"
  expect_eq "the 128th id is the long one" "D128xx" "$(sqlite3 f.db "SELECT substr(id, 1, 6) FROM clients ORDER BY id LIMIT 1 OFFSET 127")"
  local one
  one=$(same_with_jobs 2 3)
  expect_contains "--jobs 1: D129's order, then the contacts keyed D128a" "orders|OB|ordered_on|bad|is not a date
contacts|V9|client_id|D128a|is not a client in the clients table" "$one"
}

# jobs-fuzz: a client key that is no client's and no usable text (not
# UTF-8, a NUL byte, a blob) was said when the read of its table reached it,
# at the turn of the client before it, or of the last client with rows
# before it; with --jobs 2 it could be of the next chunk, said at that
# chunk's first client, after what the others' tables said. It is said at
# the client after it, as a text key of no client is (at the end after the
# last): D128 ends the first chunk.
test_a_bad_client_key_past_a_chunk_is_said_where_one_read_says_it() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 4 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on) SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OU', CAST(x'44313238ff' AS TEXT), '2026-03-01', 1),
      ('ON', CAST(x'4431323800ff' AS TEXT), '2026-03-01', 1), ('OW', CAST(x'4431323900ff' AS TEXT), '2026-03-01', 1);
    INSERT INTO contacts(id,client_id,level,channel,happened_at) VALUES ('V8','D128','account','visit','bad'),
      ('V9','D129','account','visit','bad'), ('VZ','D300','account','visit','bad');"
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OB', x'00', '2026-03-01', 1)"
  same_with_jobs 2 3 > /dev/null
  expect_eq "--jobs 1" "orders|ON|contains a NUL byte; the row is skipped
contacts|V8|is not a timestamp
orders|OU|is not valid UTF-8; the row is skipped
orders|OW|contains a NUL byte; the row is skipped
contacts|V9|is not a timestamp
contacts|VZ|is not a timestamp
orders|OB|is not a text client id; the row is skipped" \
    "$(sqlite3 s.db "SELECT tbl||'|'||row_id||'|'||problem FROM findings ORDER BY rowid")"
}

# jobs-fuzz: the first chunk of --jobs 2 says a table's NULL client keys by
# a query of its own, which followed an index on the key DESC the other
# way: the ties came in rowid order, where --jobs 1 read them backwards.
test_null_client_keys_come_in_the_order_of_one_read_through_a_desc_index() {
  config
  facts "WITH RECURSIVE n(i) AS (SELECT 4 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO clients(id,name,status,created_on) SELECT printf('D%03d', i), 'd', 'active', '2026-01-01' FROM n;"
  untyped contacts
  sqlite3 f.db "CREATE INDEX contacts_desc ON contacts(client_id DESC);
    INSERT INTO contacts(id,client_id,level,channel,happened_at) VALUES ('N1',NULL,'account','visit',NULL),
      ('N2',NULL,'account','visit',NULL), ('N3',NULL,'account','visit',NULL);"
  local one
  one=$(same_with_jobs 2 3)
  expect_contains "--jobs 1: as the index gives them" "contacts|N" "$one"
}

test_a_client_key_that_is_not_utf8_is_a_finding_not_a_collision() {
  config
  # GBK bytes, as a legacy export writes them: as JSON both would read C\ufffd\ufffd
  facts "INSERT INTO clients(id,name,status,created_on) VALUES
      (CAST(x'43bfcd' AS TEXT),'g1','active','2026-01-01'), (CAST(x'43bfce' AS TEXT),'g2','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OG', CAST(x'43bfcd' AS TEXT), '2026-03-01', 1);"
  run_bad
  expect_eq "exit" 0 "$RC"
  local g1 g2
  g1=$(printf 'C\277\315') g2=$(printf 'C\277\316')
  # the orders row is said after C3, the last client, as every row after it
  # is (it was said at C3's turn, before the clients rows after C3)
  expect_eq "findings (the bytes kept)" "clients|$g1|id|$g1|is not valid UTF-8; the row is skipped
clients|$g2|id|$g2|is not valid UTF-8; the row is skipped
orders|OG|client_id|$g1|is not valid UTF-8; the row is skipped" "$(findings)"
  expect_contains "the warning escapes them" "clients row C\xbf\xcd column id: 'C\xbf\xcd' is not valid UTF-8; the row is skipped" "$ERR"
  expect_eq "the sound clients" "C1|C2|C3" "$(sqlite3 s.db "SELECT client_id FROM alerts ORDER BY 1" | paste -sd'|')"
  # a rule's key made of such bytes is the rule's error
  sed -i 's/alert { severity = "info", title = "seen", data = {/alert { severity = "info", title = "seen", key = c.id == "C2" and "k\\191" or "", data = {/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "key" "alert{}: 'key' is not valid UTF-8 (the feed and sinks could not tell it from another) (rule" "$ERR"
  # and so is an assignee (probe-w: S\377 and S\376 were both written "S\ufffd")
  sed -i 's/key = c.id == "C2" and "k\\191" or ""/assignee = c.id == "C2" and "S\\255" or nil/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "assignee: exit" 1 "$RC"
  expect_contains "assignee" "alert{}: 'assignee' is not valid UTF-8 (the feed and sinks could not tell it from another) (rule" "$ERR"
  # and an assignment's kind (probe-y)
  sed -i 's/alert { severity = "info", title = "seen", assignee = c.id == "C2" and "S\\255" or nil/assign { kind = c.id == "C2" and "k\\255" or "k"/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-03 --quiet
  expect_eq "kind: exit" 1 "$RC"
  expect_contains "kind" "assign{}: 'kind' is not valid UTF-8 (the feed and sinks could not tell it from another) (rule" "$ERR"
}

# policy-t: clients with an INTEGER PRIMARY KEY id (and a table keyed by
# integers): check passed, the run skipped every client, and the guard
# advised --force, which would evaluate none either and resolve every alert.
test_client_ids_stored_as_numbers_are_said_at_check_and_the_guard_does_not_advise_force() {
  sqlite3 f.db "CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE kyc (client_id INTEGER, reviewed_on TEXT);
    INSERT INTO clients VALUES (1,'A'),(2,'B'); INSERT INTO kyc VALUES (1,'2026-01-01');"
  clients_config "[{name: name, type: text}]" "tables:" \
    "  - {name: kyc, key: client_id, columns: [{name: reviewed_on, type: date}]}"
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "check: exit" 0 "$RC"
  expect_eq "check: warnings" "crmpolicy: warning: facts: the client ids in column 'id' of table 'clients' of f.db are stored as numbers (the first: 1), and a client id is a text: each such row is skipped as a data problem (when every id is a number, no client is evaluated). Store them as TEXT, or read the table through a view that casts them (CREATE VIEW clients_text AS SELECT CAST(id AS TEXT) AS id, ... FROM clients; and table: clients_text in the config)
crmpolicy: warning: facts: the client keys in column 'client_id' of table 'kyc' of f.db are stored as numbers (the first: 1), and a client id is a text: its rows with such keys are of no client. Store them as TEXT, or read the table through a view that casts them (CREATE VIEW kyc_text AS SELECT CAST(client_id AS TEXT) AS client_id, ... FROM kyc; and table: kyc_text in the config)" "$(printf '%s\n' "$ERR" | head -2)"
  # then each row the run skips for it, as the run says them
  expect_eq "check: the rows" "crmpolicy: warning: facts: 3 data problems in the first 1,000 rows of the clients and per-client tables, by column: clients.id 2, kyc.client_id 1" \
    "$(printf '%s\n' "$ERR" | tail -1)"
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  expect_eq "run: exit" 5 "$RC"
  expect_eq "the guard" "crmpolicy: guard: no client was evaluated: the client ids of the clients table 'clients' of f.db are stored as numbers (3 data problems; see the warning above); nothing was written; --force would evaluate no client either, and resolve every open alert: store the ids as TEXT or read them through a view that casts them" \
    "$(printf '%s\n' "$ERR" | tail -1)"
  # the view the warning gives: every client evaluated
  sqlite3 f.db "CREATE VIEW clients_text AS SELECT CAST(id AS TEXT) AS id, name FROM clients;
    CREATE VIEW kyc_text AS SELECT CAST(client_id AS TEXT) AS client_id, reviewed_on FROM kyc;"
  sed -i 's/^clients: {name: clients,/clients: {name: clients, table: clients_text,/;
          s/{name: kyc, key: client_id,/{name: kyc, table: kyc_text, key: client_id,/' c.yaml
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { kyc = #c.kyc } } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  expect_eq "through the views: exit" 0 "$RC"
  expect_eq "through the views: stderr" "" "$ERR"
  expect_eq "alerts" '1|{"kyc":1} 2|{"kyc":0}' "$(sqlite3 s.db "SELECT client_id||'|'||data FROM alerts ORDER BY 1" | paste -sd' ')"
}

# policy-v: a view over a table the export lacks said "f.db: no such table:
# main.tickets", naming neither the config's table nor the view.
test_a_view_over_a_missing_table_names_the_view_and_its_line() {
  sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY); INSERT INTO clients VALUES ('C1');
    CREATE TABLE tickets(id TEXT, client_id TEXT);
    CREATE VIEW tickets_v AS SELECT id, client_id FROM tickets; DROP TABLE tickets;"
  clients_config "[]" "tables: [{name: tickets, table: tickets_v, key: client_id, columns: [{name: id, type: text}]}]"
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: f.db: table 'tickets_v' (declared at c.yaml:5) cannot be read: no such table: main.tickets (a view whose tables the export lacks?)" "$ERR"
}

test_a_view_that_fails_on_one_row_stops_the_run_saying_why() {
  config; facts ""
  sqlite3 f.db "ALTER TABLE orders RENAME TO orders_raw; ALTER TABLE orders_raw ADD COLUMN meta TEXT;
    UPDATE orders_raw SET meta = '{\"a\": 1}'; UPDATE orders_raw SET meta = '{\"a\": ' WHERE id = 'O2';
    CREATE VIEW orders AS SELECT id, client_id, ordered_on, amount FROM orders_raw
      WHERE json_extract(meta, '\$.a') IS NOT NULL;"
  run_bad
  expect_fatal 3 "crmpolicy: facts: reading table 'orders': malformed JSON (a row on which the table's view or generated column fails: every run stops there until the facts or the view are mended)
crmpolicy: the run failed (facts error); nothing was written"
  # check's sample meets the row too: the run's message and exit 3 (probe-ae:
  # a bare 'facts: orders: malformed JSON', exit 2)
  cp_run check --config c.yaml
  expect_eq "check" "3|crmpolicy: facts: reading table 'orders': malformed JSON (a row on which the table's view or generated column fails: every run stops there until the facts or the view are mended)" "$RC|$ERR"
}

test_a_date_with_a_nul_byte_shows_the_nul() {
  config; facts "UPDATE orders SET ordered_on = CAST(x'323032362d30332d303200782d' AS TEXT) WHERE id='O2';"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "warning" "crmpolicy: warning: facts: orders row O2 column ordered_on: '2026-03-02\x00x-' is not a date" "$ERR"
}

test_a_blob_in_a_number_column_shows_its_bytes_not_an_empty_text() {
  # a BLOB (or a text with a NUL byte) was shown cut at its first NUL: '' said nothing
  config; facts "UPDATE orders SET amount = x'00313233' WHERE id='O2';
    UPDATE surveys SET score = CAST(x'3900' AS TEXT) WHERE id='S1';"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: facts: surveys row S1 column score: '9\\x00' is not an integer
crmpolicy: warning: facts: orders row O2 column amount: '\\x00123' is not an amount of money" "$ERR"
  expect_eq "findings" "surveys|S1|score|9\x00|is not an integer
orders|O2|amount|\x00123|is not an amount of money" "$(findings | sort -r)"
}

test_malformed_date_reads_as_nil_and_is_a_finding() {
  config; facts "UPDATE orders SET ordered_on='2026-02-30' WHERE id='O2';"
  run_bad
  expect_quarantined "orders|O2|ordered_on|2026-02-30|is not a date" \
    "orders row O2 column ordered_on: '2026-02-30' is not a date"
  expect_contains "C2 saw" '"orders":"1/1"' "$(saw C2)"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_malformed_timestamp_reads_as_nil_and_is_a_finding() {
  config; facts "UPDATE contacts SET happened_at='2026-04-02T25:00:00' WHERE id='V2';"
  run_bad
  expect_quarantined "contacts|V2|happened_at|2026-04-02T25:00:00|is not a timestamp" \
    "contacts row V2 column happened_at: '2026-04-02T25:00:00' is not a timestamp"
  expect_contains "C2 saw" '"contacts":"1/1"' "$(saw C2)"
}

test_a_time_without_seconds_or_with_a_zone_says_what_to_write() {
  # policy-z: 83 claims at '2026-10-28 23:57' escaped every rule, the
  # message saying only "is not a timestamp"
  config; facts "UPDATE contacts SET happened_at='2026-04-02 11:00' WHERE id='V2';"
  run_bad
  expect_quarantined "contacts|V2|happened_at|2026-04-02 11:00|is not a timestamp: it has no seconds (YYYY-MM-DD HH:MM:SS)" \
    "contacts row V2 column happened_at: '2026-04-02 11:00' is not a timestamp: it has no seconds (YYYY-MM-DD HH:MM:SS)"
  rm -f f.db s.db*; config; facts "UPDATE contacts SET happened_at='2026-04-02T11:00:00Z' WHERE id='V2';"
  run_bad
  expect_quarantined "contacts|V2|happened_at|2026-04-02T11:00:00Z|is not a timestamp: a time zone is not read (store the CRM's local time, YYYY-MM-DD HH:MM:SS, which SQLite's datetime(x, 'localtime') makes of it)" \
    "contacts row V2 column happened_at: '2026-04-02T11:00:00Z' is not a timestamp: a time zone is not read (store the CRM's local time, YYYY-MM-DD HH:MM:SS, which SQLite's datetime(x, 'localtime') makes of it)"
  rm -f f.db s.db*; config; facts "UPDATE clients SET created_on='2026-01-01 10:00' WHERE id='C2';"
  run_bad
  expect_quarantined "clients|C2|created_on|2026-01-01 10:00|is not a date: its time has no seconds (a date is YYYY-MM-DD; a time after it needs HH:MM:SS)" \
    "clients row C2 column created_on: '2026-01-01 10:00' is not a date: its time has no seconds (a date is YYYY-MM-DD; a time after it needs HH:MM:SS)"
  # a group insurer's export: slashes, and no seconds either (which it
  # named first, and the slashes were left to find)
  rm -f f.db s.db*; config; facts "UPDATE contacts SET happened_at='2026/04/02 11:00' WHERE id='V2';"
  run_bad
  expect_quarantined "contacts|V2|happened_at|2026/04/02 11:00|is not a timestamp: write it YYYY-MM-DD HH:MM:SS (the date with '-')" \
    "contacts row V2 column happened_at: '2026/04/02 11:00' is not a timestamp: write it YYYY-MM-DD HH:MM:SS (the date with '-')"
  rm -f f.db s.db*; config; facts "UPDATE clients SET created_on='2026.01.01' WHERE id='C2';"
  run_bad
  expect_quarantined "clients|C2|created_on|2026.01.01|is not a date: write it YYYY-MM-DD (with '-')" \
    "clients row C2 column created_on: '2026.01.01' is not a date: write it YYYY-MM-DD (with '-')"
}

test_date_stored_as_a_number_is_a_finding() {
  config; facts "UPDATE orders SET ordered_on=20260302 WHERE id='O2';"
  run_bad
  expect_quarantined "orders|O2|ordered_on|20260302|is not a date" \
    "orders row O2 column ordered_on: '20260302' is not a date"
}

test_text_in_a_money_column_reads_as_nil_and_is_a_finding() {
  config; facts "UPDATE orders SET amount='lots' WHERE id='O3';"
  run_bad
  expect_quarantined "orders|O3|amount|lots|is not an amount of money" \
    "orders row O3 column amount: 'lots' is not an amount of money"
  expect_contains "C3 saw" '"amounts":"1/1"' "$(saw C3)"
}

test_text_in_an_integer_column_reads_as_nil_and_is_a_finding() {
  config; facts "UPDATE surveys SET score='nine' WHERE id='S1';"
  run_bad
  expect_quarantined "surveys|S1|score|nine|is not an integer" \
    "surveys row S1 column score: 'nine' is not an integer"
  expect_contains "C1 saw" '"surveys":"1/1"' "$(saw C1)"
}

# policy-t: a CSV import stores every value as text: '300' in an integer
# column was "not an integer" and '1' in a boolean one "not 0 or 1", the
# storage never named; and a REAL 1.0 was refused as a boolean where an
# integer column takes 300.0.
test_a_number_stored_as_text_is_named_so_and_a_real_boolean_is_read() {
  sqlite3 f.db "CREATE TABLE clients (id TEXT, n, b, m, r);
    INSERT INTO clients VALUES ('C1','300','1','12.50','0.5'), ('C2',300.0,1.0,12.5,0.5),
      ('C3',' 3','1e2','inf','0x10');"
  clients_config "[{name: n, type: integer}, {name: b, type: boolean}, {name: m, type: money}, {name: r, type: real}]"
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { n = c.n, b = c.b, m = c.m, r = c.r } } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: facts: clients row C1 column n: '300' is a number stored as text (a CSV import without column types?): give the column a type (INTEGER) or read it through a view with CAST(NULLIF(..., '') AS NUMERIC)
crmpolicy: warning: facts: clients row C1 column b: '1' is stored as text, not as the number 0 or 1 (a CSV import without column types?): give the column a type (INTEGER) or read it through a view with CAST(NULLIF(..., '') AS NUMERIC)
crmpolicy: warning: facts: clients row C1 column m: '12.50' is an amount stored as text, not as a number (a CSV import without column types?): give the column a type (REAL, INTEGER) or read it through a view with CAST(NULLIF(..., '') AS REAL)
crmpolicy: warning: facts: clients row C1 column r: '0.5' is a number stored as text (a CSV import without column types?): give the column a type (REAL) or read it through a view with CAST(NULLIF(..., '') AS REAL)
crmpolicy: warning: facts: clients row C3 column n: ' 3' is not an integer
crmpolicy: warning: facts: clients row C3 column b: '1e2' is not 0 or 1
crmpolicy: warning: facts: clients row C3 column m: 'inf' is not an amount of money
crmpolicy: warning: facts: clients row C3 column r: '0x10' is not a number" "$ERR"
  expect_eq "C2, stored as numbers: read" '{"b":true,"m":1250,"n":300,"r":0.5}' \
    "$(sqlite3 s.db "SELECT data FROM alerts WHERE client_id = 'C2'")"
  expect_eq "C1: nil" '{}' "$(sqlite3 s.db "SELECT data FROM alerts WHERE client_id = 'C1'")"
}

# probe-ab: the message advised CAST(... AS INTEGER), which reads '1e3' as 1
# and '12.5' as 12 without a word; the view it gives reads them right.
test_the_cast_that_a_number_stored_as_text_is_given_reads_its_value() {
  sqlite3 f.db "CREATE TABLE raw (id TEXT, n, b); INSERT INTO raw VALUES ('C1','1e3','1.0'), ('C2','12.5','0');"
  clients_config "[{name: n, type: integer}, {name: b, type: boolean}]"
  sed -i 's/{name: clients, id: id/{name: clients, table: raw, id: id/' c.yaml
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { n = c.n, b = c.b } } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  local cast
  cast=$(printf '%s\n' "$ERR" | grep -o "CAST(NULLIF(..., '') AS [A-Z]*)" | sort -u | sed 's/.* AS //; s/)//')
  expect_eq "one cast advised" "NUMERIC" "$cast"
  sqlite3 f.db "CREATE VIEW clients_v AS SELECT id, CAST(NULLIF(n, '') AS $cast) AS n,
    CAST(NULLIF(b, '') AS $cast) AS b FROM raw"
  sed -i 's/table: raw,/table: clients_v,/' c.yaml
  rm -f s.db
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  expect_eq "through the view: 12.5 is a fraction, not 12" \
    "crmpolicy: warning: facts: clients_v row C2 column n: '12.5' is not an integer" "$ERR"
  expect_eq "through the view: 1e3 is 1000, not 1" '{"b":true,"n":1000}' \
    "$(sqlite3 s.db "SELECT data FROM alerts WHERE client_id = 'C1'")"
}

# A per-client table's row id repeated within one client (a row exported
# twice, a table without its UNIQUE) was read without a word: sums counted the
# row twice. Now it is a data problem; the rules still see both rows, and an
# id repeated under another client is no problem.
test_a_row_id_repeated_within_a_client_is_a_finding_and_both_rows_are_read() {
  config; facts ""
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
    ('O1','C1','2026-03-05',10.5), ('O2','C1','2026-03-06',1), ('O9','C2','2026-03-01',1),
    ('O9','C3','2026-03-01',1)"
  run_bad
  expect_quarantined "orders|O1|id|O1|repeats the id of an earlier row of the same client (a row exported twice?); rules see both rows" \
    "orders row O1 column id: 'O1' repeats the id of an earlier row of the same client (a row exported twice?); rules see both rows"
  expect_contains "both rows read" '"orders":"3/0"' "$(saw C1)"
  expect_contains "another client's O2" '"orders":"2/0"' "$(saw C2)"
  rm -f s.db
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2
  expect_eq "--jobs 2: the same finding" "orders|O1|id|O1|repeats the id of an earlier row of the same client (a row exported twice?); rules see both rows" "$(findings)"
}

test_fraction_in_an_integer_column_is_a_finding() {
  config; facts "UPDATE surveys SET score=8.5 WHERE id='S1';"
  run_bad
  expect_quarantined "surveys|S1|score|8.5|is not an integer" \
    "surveys row S1 column score: '8.5' is not an integer"
}

# probe-fk: a whole REAL past 2^53 (1e16, what a CRM that keeps counts as
# doubles writes) was said "'1.0e+16' is not an integer", which it is; and
# 9e15, below 2^53 and exact, was refused alike. Up to 2^53 a whole REAL is
# read; past it the message says why not.
test_a_whole_real_past_two_to_the_53_is_a_finding_that_says_so() {
  config; facts ""
  untyped surveys   # an INTEGER column would store them as integers
  sqlite3 f.db "UPDATE surveys SET score=1e16 WHERE id='S1';
    INSERT INTO surveys(id,client_id,surveyed_on,score) VALUES ('S2','C2','2026-05-01',9007199254740992.0);"
  run_bad
  expect_quarantined "surveys|S1|score|1.0e+16|is a REAL past 2^53, which does not hold an integer exactly (store such numbers as INTEGER)" \
    "surveys row S1 column score: '1.0e+16' is a REAL past 2^53, which does not hold an integer exactly (store such numbers as INTEGER)"
  expect_contains "C2 saw 2^53" '"surveys":"1/0"' "$(saw C2)"
}

# SQLite stores 1e999 as the REAL Inf: read into a rule, it failed the rule
# for the client ("data: inf cannot be written as JSON"), naming no fact,
# and a sum() of the column was inf (probe-ac).
test_an_infinite_real_is_a_finding() {
  local v
  for v in 1e999 -1e999; do
    rm -f f.db s.db*
    config
    sed -i 's/      - {name: score, type: integer}/&\n      - {name: weight, type: real}/' c.yaml
    sed -i 's/surveys = seen(c.surveys, "score")/&, weights = seen(c.surveys, "weight"), sum = c.surveys:sum("weight")/' r.lua
    facts "ALTER TABLE surveys ADD COLUMN weight REAL; UPDATE surveys SET weight = $v WHERE id = 'S1';
      INSERT INTO surveys(id,client_id,surveyed_on,score,weight) VALUES ('S2','C1','2026-05-02',7,2.5);"
    run_bad
    local shown=Inf; [ "$v" = 1e999 ] || shown=-Inf
    expect_quarantined "surveys|S1|weight|$shown|is not a finite number" \
      "surveys row S1 column weight: '$shown' is not a finite number"
    expect_contains "$v: what the rule saw" '"sum":2.5,"surveys":"2/0","weights":"2/1"' \
      "$(sqlite3 s.db "SELECT data FROM alerts WHERE client_id = 'C1'")"
  done
}

test_amount_out_of_range_is_a_finding() {
  config; facts "UPDATE orders SET amount=1e300 WHERE id='O1';"
  run_bad
  expect_quarantined "orders|O1|amount|1.0e+300|is too large an amount of money (its cents do not fit in 64 bits)" \
    "orders row O1 column amount: '1.0e+300' is too large an amount of money (its cents do not fit in 64 bits)"
}

test_a_real_amount_too_large_to_hold_its_cents_is_a_finding_that_says_so() {
  config; facts "UPDATE orders SET amount=10000000000000.25 WHERE id='O1';"
  run_bad
  expect_quarantined "orders|O1|amount|10000000000000.2|is a REAL of 10^13 yuan or more, which does not hold its cents exactly (store such amounts as INTEGER yuan)" \
    "orders row O1 column amount: '10000000000000.2' is a REAL of 10^13 yuan or more, which does not hold its cents exactly (store such amounts as INTEGER yuan)"
}

test_null_in_a_required_column_reads_as_nil_and_is_a_finding() {
  config; facts ""
  untyped contacts
  sqlite3 f.db "UPDATE contacts SET level=NULL WHERE id='V1';"
  run_bad
  expect_quarantined "contacts|V1|level|NULL|is missing (the column is required)" \
    "contacts row V1 column level: NULL is missing (the column is required)"
  expect_contains "C1 saw" '"levels":"1/1"' "$(saw C1)"
}

test_null_in_a_required_client_column_still_evaluates_the_client() {
  config; facts ""
  untyped clients
  sqlite3 f.db "UPDATE clients SET status=NULL WHERE id='C2';"
  run_bad
  expect_quarantined "clients|C2|status|NULL|is missing (the column is required)" \
    "clients row C2 column status: NULL is missing (the column is required)"
  expect_contains "C2 saw" '"status":"nil"' "$(saw C2)"
}

test_repeated_client_id_keeps_one_and_is_a_finding() {
  config; facts ""
  untyped clients   # no primary key
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C2','B2','active','2026-01-01');"
  run_bad
  expect_quarantined "clients|C2|id|C2|repeats a client id; the row is skipped" \
    "clients row C2 column id: 'C2' repeats a client id; the row is skipped"
  expect_eq "alerts" "C1 C2 C3" "$(sqlite3 s.db "SELECT client_id FROM alerts ORDER BY 1" | paste -sd' ')"
}

# An empty client id (a CRM's missing id written as '') is no client: it was
# evaluated as one, and every row keyed '' (orders of no known client) was
# its row, so the policy alerted, and could assign staff, for a phantom
# client (probe-t). Its rows are rows of no client, as a NULL key's are.
test_an_empty_client_id_is_a_finding_and_its_rows_reach_no_client() {
  config
  facts "INSERT INTO clients(id,name,status,created_on) VALUES ('','E','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('OE','','2026-03-01',7);"
  cat >> r.lua <<'LUA'
aggregate { id = "n", doc = "clients", table = "clients", count = true }
aggregate { id = "amount", doc = "all orders", table = "orders", sum = "amount" }
rule { id = "n", doc = "d", fn = function(c) alert { severity = "info", data = { n = run.n, amount = run.amount } } end }
LUA
  for j in 1 2; do
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: findings" "clients|(empty id)|id||is an empty client id; the row is skipped
orders|OE|client_id||is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)" "$(findings)"
    expect_eq "--jobs $j: warning" "crmpolicy: warning: facts: clients row (empty id) column id: '' is an empty client id; the row is skipped" "$(echo "$ERR" | head -1)"
    expect_eq "--jobs $j: clients" "C1 C2 C3" "$(sqlite3 s.db "SELECT DISTINCT client_id FROM alerts ORDER BY 1" | paste -sd' ')"
    expect_eq "--jobs $j: clients counted, all orders summed" '{"amount":6750,"n":3}' "$(sqlite3 s.db "SELECT data FROM alerts WHERE rule = 'n' AND client_id = 'C1'")"
  done
}

test_a_clients_table_aggregate_counts_the_rows_the_client_pass_evaluates() {
  config; facts ""
  untyped clients   # no primary key
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C2','B2','active','2026-01-01'),
      (42,'N','active','2026-01-01'), ('C9','late','active','2026-12-31');"
  cat > r.lua <<'LUA'
aggregate { id = "n", doc = "clients", table = "clients", count = true }
rule { id = "seen", doc = "d", fn = function(c) alert { severity = "info", title = "t", data = { n = run.n } } end }
LUA
  for j in 1 2; do
    rm -f s.db
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    # C1, C2 (once), C3 and C9 (this config has no exists_from): not the
    # repeated C2 nor the integer id
    expect_eq "--jobs $j: run.n" '4|{"n":4}' "$(sqlite3 s.db "SELECT count(*), max(data) FROM alerts")"
  done
}

test_rows_of_unknown_clients_are_skipped_and_are_findings() {
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('OA','A0','2026-03-01',1), ('OM','C15','2026-03-01',1), ('OZ','Z9','2026-03-01',1);"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "findings" "orders|OA|client_id|A0|is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)
orders|OM|client_id|C15|is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)
orders|OZ|client_id|Z9|is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)" "$(findings)"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
  expect_contains "C1 saw" '"orders":"1/0"' "$(saw C1)"
}

test_client_id_stored_as_an_integer_is_skipped_and_is_a_finding() {
  config; facts ""
  untyped clients
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES(42,'N','active','2026-01-01');"
  run_bad
  expect_quarantined "clients|42|id|42|is not a text client id; the row is skipped" \
    "clients row 42 column id: '42' is not a text client id; the row is skipped"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_client_key_stored_as_an_integer_in_a_table_is_skipped_and_is_a_finding() {
  config; facts ""
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES('O42',42,'2026-03-01',1);"
  run_bad
  expect_quarantined "orders|O42|client_id|42|is not a text client id; the row is skipped" \
    "orders row O42 column client_id: '42' is not a text client id; the row is skipped"
}

test_client_ids_in_a_nocase_column_are_read_in_byte_order() {
  config
  # id declared COLLATE NOCASE: SQLite would order 'a' < 'B' < 'c'
  facts "ALTER TABLE clients RENAME TO clients_typed;
    CREATE TABLE clients(id TEXT PRIMARY KEY COLLATE NOCASE, name TEXT, status TEXT,
                         created_on TEXT);
    INSERT INTO clients SELECT id, name, status, created_on FROM clients_typed;
    INSERT INTO clients VALUES ('a','a','active','2026-01-01'), ('B','B','active','2026-01-01');
    ALTER TABLE orders RENAME TO orders_typed;
    CREATE TABLE orders(id TEXT, client_id TEXT COLLATE NOCASE, ordered_on TEXT, amount REAL);
    INSERT INTO orders SELECT id, client_id, ordered_on, amount FROM orders_typed;
    INSERT INTO orders VALUES ('Oa','a','2026-03-01',1), ('OB','B','2026-03-01',2);"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "findings" "" "$(findings)"
  expect_eq "clients evaluated" "B C1 C2 C3 a" \
    "$(sqlite3 s.db "SELECT client_id FROM alerts ORDER BY 1" | paste -sd' ')"
  expect_contains "B saw" '"orders":"1/0"' "$(saw B)"
}

# policy-w: a CSV import without column types (every amount text) passed
# check with "ok", and the run said only "167,965 data problems". A column
# whose first rows mostly hold the wrong kind is said at open, by check and
# run, and a run with more problems than it prints says in which columns.
test_a_column_stored_as_the_wrong_kind_is_said_at_open_and_counted_by_column() {
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount)
    SELECT 'X'||value, 'C1', '2026-03-01', 1 FROM generate_series(1, 25);"
  untyped orders contacts
  sqlite3 f.db "UPDATE orders SET amount = CAST(amount AS TEXT) WHERE id <> 'O3';
                UPDATE contacts SET happened_at = 1775037600"
  cp_run check --config c.yaml
  expect_eq "check: exit" 0 "$RC"
  expect_eq "check: warnings" "crmpolicy: warning: facts: column 'amount' of table 'orders' of f.db: 27 of the 28 values of its first 1,000 rows are numbers stored as text, and each reads as nil, a data problem (the first: '10.5' is an amount stored as text, not as a number (a CSV import without column types?): give the column a type (REAL, INTEGER) or read it through a view with CAST(NULLIF(..., '') AS REAL))
crmpolicy: warning: facts: column 'happened_at' of table 'contacts' of f.db: 2 of the 2 values of its first 1,000 rows are numbers (the first: 1775037600), and a timestamp is a text 'YYYY-MM-DD HH:MM:SS': each reads as nil, a data problem. Store the column as such text, or read it through a view that converts it (seconds since 1970: datetime(happened_at, 'unixepoch'))" "$(printf '%s\n' "$ERR" | head -2)"
  # check converts the first 1,000 rows of each table as a run would: the
  # first 20 problems printed, then their count by column (policy-x)
  expect_eq "check: the sample's rows printed" 20 "$(printf '%s\n' "$ERR" | grep -c ' row .* column ')"
  expect_eq "check: the sample by column" "crmpolicy: warning: facts: more data problems follow in the sample; they are counted below
crmpolicy: warning: facts: 29 data problems in the first 1,000 rows of the clients and per-client tables, by column: orders.amount 27, contacts.happened_at 2" "$(printf '%s\n' "$ERR" | tail -2)"
  expect_eq "check: ok line" "ok: c.yaml: 1 rule loads; facts f.db has every declared table and column (29 data problems and 2 other warnings above)" "$(printf '%s\n' "$OUT" | head -1)"
  run_bad
  expect_eq "run: exit" 0 "$RC"
  expect_eq "run: warnings" 24 "$(printf '%s\n' "$ERR" | grep -c '^crmpolicy: warning: facts: ')"
  expect_eq "run: by column" "crmpolicy: warning: facts: 29 data problems in the clients and per-client tables, by column: orders.amount 27, contacts.happened_at 2" \
    "$(printf '%s\n' "$ERR" | tail -1)"
  # a typed column with an odd value is said at its row, with no probe warning
  rm f.db; config; facts "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O9','C1','2026-03-09','x')"
  cp_run check --config c.yaml
  expect_eq "one odd value: check warnings" "crmpolicy: warning: facts: orders row O9 column amount: 'x' is not an amount of money
crmpolicy: warning: facts: 1 data problem in the first 1,000 rows of the clients and per-client tables, by column: orders.amount 1" "$ERR"
  expect_eq "one odd value: ok line" "ok: c.yaml: 1 rule loads; facts f.db has every declared table and column (1 data problem above)" "$(printf '%s\n' "$OUT" | head -1)"
  rm f.db; config; facts ""
  cp_run check --config c.yaml
  expect_eq "sound facts: check" "|ok: c.yaml: 1 rule loads; facts f.db has every declared table and column" "$ERR|$(printf '%s\n' "$OUT" | head -1)"
}

test_a_view_that_must_compute_everything_before_its_first_row_is_not_probed_again() {
  # The probe at open reads the first 1,000 rows; of a view that computes a
  # long aggregate before its first row (here a count over 150^3 triples),
  # that was the whole computation again before the run read it. It stops
  # after about 2,000,000 SQLite steps: no probe warning, the data problems
  # still said at their rows and counted by column.
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount)
    SELECT 'X'||value, 'C1', '2026-03-01', 1 FROM generate_series(1, 25);
    CREATE TABLE t(x); INSERT INTO t SELECT value FROM generate_series(1, 150);"
  untyped orders
  sqlite3 f.db "UPDATE orders SET amount = CAST(amount AS TEXT) WHERE id <> 'O3';
    ALTER TABLE orders RENAME TO orders_raw;
    CREATE VIEW orders AS SELECT o.* FROM orders_raw o,
      (SELECT count(*) AS m FROM t a, t b, t c WHERE a.x + b.x + c.x > 0)"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "no probe warning" 0 "$(printf '%s\n' "$ERR" | grep -c 'of its first 1,000 rows')"
  expect_eq "rows said" 20 "$(printf '%s\n' "$ERR" | grep -c ' row .* column ')"
  expect_eq "by column" "crmpolicy: warning: facts: 27 data problems in the clients and per-client tables, by column: orders.amount 27" \
    "$(printf '%s\n' "$ERR" | tail -1)"
  # the same view with a short count is probed as a table is
  sqlite3 f.db "DELETE FROM t WHERE x > 20"
  run_bad
  expect_eq "short: probe warning" 1 "$(printf '%s\n' "$ERR" | grep -c "column 'amount' of table 'orders' of f.db: 27 of the 28 values of its first 1,000 rows")"
}

test_findings_past_twenty_are_counted_not_printed() {
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount)
    SELECT 'X'||value, 'C1', 'bad', 1 FROM generate_series(1, 25);"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "findings stored" 25 "$(sqlite3 s.db "SELECT count(*) FROM findings")"
  expect_eq "run's findings" 25 "$(sqlite3 s.db "SELECT findings FROM runs")"
  expect_eq "warnings printed" 22 "$(printf '%s\n' "$ERR" | grep -c '^crmpolicy: warning: facts: ')"
  expect_eq "last warnings" "crmpolicy: warning: facts: more data problems follow; the run, once committed, keeps them all in the state database's findings table
crmpolicy: warning: facts: 25 data problems in the clients and per-client tables, by column: orders.ordered_on 25" \
    "$(printf '%s\n' "$ERR" | tail -2)"
}

test_missing_column_in_a_run_stops_before_writing() {
  config; facts "ALTER TABLE surveys DROP COLUMN score;"
  run_bad
  expect_fatal 2 "crmpolicy: facts: table 'surveys' has no column 'score' (declared at c.yaml:24)"
  [ ! -e s.db ] || fail "the state database was created"
}

# probe-fk: an export whose column names are in another case (CLIENT_ID, as
# some CRMs write them) was refused, "table 'orders' has no column
# 'client_id'", though SQLite reads the column by either name.
test_columns_named_in_another_case_are_read() {
  config; facts ""
  run_bad
  local sound; sound=$(sqlite3 s.db "SELECT client_id, data FROM alerts ORDER BY 1")
  sqlite3 f.db "ALTER TABLE orders RENAME TO orders_typed;
    CREATE TABLE orders(ID TEXT, Client_Id TEXT, ORDERED_ON TEXT, AMOUNT REAL);
    INSERT INTO orders SELECT id, client_id, ordered_on, amount FROM orders_typed;
    DROP TABLE orders_typed; CREATE INDEX orders_by_key ON orders(CLIENT_ID, Ordered_On);
    ALTER TABLE contacts RENAME TO contacts_t;
    CREATE VIEW contacts AS SELECT id AS ID, client_id AS CLIENT_ID, level AS Level,
      happened_at AS HAPPENED_AT FROM contacts_t;"
  cp_run check --config c.yaml
  expect_eq "check: exit" 0 "$RC"
  for j in 1 2; do
    rm -f s.db s.db-wal s.db-shm
    cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: stderr" "" "$ERR"
    expect_eq "--jobs $j: what the rule saw" "$sound" \
      "$(sqlite3 s.db "SELECT client_id, data FROM alerts ORDER BY 1")"
  done
}

test_a_recursive_view_is_refused_naming_it_by_check_and_run() {
  config; facts "DROP TABLE surveys;
    CREATE VIEW surveys AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
      SELECT 'S' || i AS id, 'C1' AS client_id, '2026-01-01' AS surveyed_on, i AS score FROM n;"
  local msg="crmpolicy: facts: f.db: table 'surveys' cannot be read: not authorized (tables are read with SELECT only: no recursive view)"
  OUT=$(timeout 60 "$CRMPOLICY" check --config c.yaml 2>"$T/stderr"); RC=$?
  expect_eq "check exit" 2 "$RC"
  expect_eq "check message" "$msg" "$(cat "$T/stderr")"
  OUT=$(timeout 60 "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet 2>"$T/stderr"); RC=$?
  ERR=$(cat "$T/stderr")
  expect_fatal 2 "$msg"
}

test_a_repeated_lookup_id_keeps_the_first_row_and_is_a_finding() {
  config
  facts "INSERT INTO staff(id,name,role,capacity) VALUES ('S1','a','kam',1), ('S2','b','kam',2);"
  untyped staff   # no primary key
  sqlite3 f.db "INSERT INTO staff(id,name,role,capacity) VALUES ('S1','c','kam',3)"
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: capacity, type: integer}]}\n' >> c.yaml
  run_bad
  expect_quarantined "staff|S1|id|S1|repeats an id of the lookup table; the first row read is kept" \
    "staff row S1 column id: 'S1' repeats an id of the lookup table; the first row read is kept"
}

test_an_empty_lookup_id_is_a_finding_and_its_row_is_skipped() {
  # a CRM's missing staff id written as '': the row was a staff member with
  # no id, which a pool picked, proposing work to no one with no unfilled
  # alert (probe-w); as an empty client id, it is skipped
  config
  facts "INSERT INTO staff(id,name,role,capacity) VALUES ('','ghost','kam',9), ('S2','b','kam',2);"
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: capacity, type: integer}]}\n' >> c.yaml
  cat >> r.lua <<'EOF'
rule { id = "count", doc = "d", fn = function(c)
  alert { severity = "info", title = #lookup.staff .. " " .. tostring(lookup.staff:get("")) .. " " .. lookup.staff[1].id }
end }
EOF
  run_bad
  expect_quarantined "staff|(empty id)|id||is an empty id; the row is skipped" \
    "staff row (empty id) column id: '' is an empty id; the row is skipped"
  expect_eq "lookup" "1 nil S2" "$(sqlite3 s.db "SELECT DISTINCT title FROM alerts WHERE rule = 'count'")"
}

test_a_null_lookup_id_is_named_as_a_null_id_not_a_client() {
  # probe-ai: a staff row whose id is NULL was 'staff row (client NULL)', as
  # if the lookup row were a client's
  config
  facts "INSERT INTO staff(id,name,role,capacity) VALUES ('S2','b','kam',2);"
  untyped staff   # no primary key: the id may be NULL
  sqlite3 f.db "INSERT INTO staff(id,name,role,capacity) VALUES (NULL,'ghost','kam',9)"
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: capacity, type: integer}]}\n' >> c.yaml
  run_bad
  expect_quarantined "staff|(NULL id)|id|NULL|is not a text id; the row is skipped" \
    "staff row (NULL id) column id: NULL is not a text id; the row is skipped"
}

test_rows_whose_keys_sort_after_every_client_are_findings() {
  config; facts ""
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('OZ','ZZ','2026-03-01',1), ('OF', CAST(X'FFFFFFFFFF' AS TEXT),'2026-03-01',1),
      ('OB', X'4331','2026-03-01',1);"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "findings" "orders|OZ|client_id|ZZ|is not a client in the clients table; no client's rules see the row (run-wide aggregates count it)
orders|OF|client_id|$(printf '\377\377\377\377\377')|is not valid UTF-8; the row is skipped
orders|OB|client_id|C1|is not a text client id; the row is skipped" "$(findings)"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_a_lookup_that_is_a_recursive_view_is_refused_naming_it() {
  config; facts "DROP TABLE staff;
    CREATE VIEW staff AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5)
      SELECT 'S' || i AS id, 'x' AS name, 'kam' AS role, 1 AS capacity FROM n;"
  printf 'lookups:\n  - {name: staff, id: id, columns: [{name: id, type: text}, {name: capacity, type: integer}]}\n' >> c.yaml
  run_bad
  expect_fatal 2 "crmpolicy: facts: f.db: table 'staff' cannot be read: not authorized (tables are read with SELECT only: no recursive view)"
}

test_a_facts_database_stored_in_utf16_is_refused() {
  config
  { echo "PRAGMA encoding = 'UTF-16le';"; cat "$ROOT/schema/facts.sql"; } | sqlite3 f.db
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('A1','A','active','2026-01-01'), ('北京01','B','active','2026-01-01');"
  run_bad
  expect_fatal 2 "crmpolicy: facts: f.db: its texts are stored as UTF-16le; crmpolicy reads UTF-8 databases only (copy it into one with: sqlite3 f.db .dump | sqlite3 new.db)"
  [ ! -e s.db ] || fail "the state database was created"
  sqlite3 f.db .dump | sqlite3 new.db   # the way out the message gives
  cp_run run --config c.yaml --facts new.db --as-of 2026-06-01 --quiet
  expect_eq "converted: exit" 0 "$RC"
  expect_eq "converted: alerts" "A1 北京01" "$(sqlite3 s.db "SELECT client_id FROM alerts ORDER BY 1" | paste -sd' ')"
}

test_an_fts5_table_is_read_like_any_table() {
  config; facts ""
  run_bad
  local want; want=$(sqlite3 s.db "SELECT client_id, data FROM alerts ORDER BY 1")
  rm -f s.db
  sqlite3 f.db "ALTER TABLE contacts RENAME TO contacts_plain;
    CREATE VIRTUAL TABLE contacts USING fts5(id, client_id, level, channel, happened_at);
    INSERT INTO contacts SELECT id, client_id, level, channel, happened_at FROM contacts_plain;"
  cp_run check --config c.yaml
  expect_eq "check exit" 0 "$RC"
  run_bad
  expect_eq "run exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "alerts" "$want" "$(sqlite3 s.db "SELECT client_id, data FROM alerts ORDER BY 1")"
}

test_facts_read_for_longer_than_facts_seconds_stop_the_run_and_write_nothing() {
  config; facts ""
  run_bad
  expect_eq "first run" 0 "$RC"
  # a clients table that is a cross join of four 1,000-row tables (10^12
  # rows): no machine counts or sorts it within a second
  sqlite3 f.db "ALTER TABLE clients RENAME TO clients_plain;
    CREATE TABLE t(i); INSERT INTO t SELECT value FROM generate_series(1, 1000);
    CREATE VIEW clients AS SELECT a.i || '-' || b.i || '-' || c.i || '-' || d.i AS id,
      'x' AS name, 'active' AS status, NULL AS created_on FROM t a, t b, t c, t d;"
  printf 'limits: {facts_seconds: 1}\n' >> c.yaml
  for j in 1 2; do
    cp_run run --config c.yaml --as-of 2026-06-02 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 3 "$RC"
    expect_eq "--jobs $j: message" "crmpolicy: facts: counting the clients: stopped after reading the facts for limits.facts_seconds (1 s); a view that joins or sorts too much?
crmpolicy: the run failed (facts error); nothing was written" "$ERR"
  done
  expect_eq "runs" 1 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  # the lock is released: the next night's sound facts run
  sqlite3 f.db "DROP VIEW clients; ALTER TABLE clients_plain RENAME TO clients"
  run_bad
  expect_eq "next night" 0 "$RC"
  expect_eq "runs after" 2 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_a_column_past_the_five_hundred_and_twelfth_is_found() {
  config; facts ""
  # surveys rebuilt with 600 columns, score the last
  local cols; cols=$(seq 1 597 | sed 's/^/pad/' | paste -sd,)
  sqlite3 f.db "ALTER TABLE surveys RENAME TO s0;
    CREATE TABLE surveys(id, client_id, $cols, score);
    INSERT INTO surveys(id, client_id, score) SELECT id, client_id, score FROM s0; DROP TABLE s0;"
  expect_eq "columns" 600 "$(sqlite3 f.db "SELECT count(*) FROM pragma_table_info('surveys')")"
  run_bad
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "C1 saw" '"surveys":"1/0"' "$(saw C1)"
}

test_missing_client_key_column_stops_before_writing() {
  config; facts "ALTER TABLE contacts RENAME COLUMN client_id TO customer_id;"
  run_bad
  expect_fatal 2 "crmpolicy: facts: table 'contacts' has no column 'client_id' (declared at c.yaml:18)"
}

test_missing_table_with_existing_state_writes_nothing() {
  config; facts ""
  run_bad
  sqlite3 f.db "DROP TABLE surveys;"
  run_bad
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: table 'surveys' is missing (declared at c.yaml:24)" "$ERR"
  expect_eq "runs" 1 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_a_journal_a_crashed_writer_left_is_named_with_the_way_out() {
  # a CRM writer that died inside a transaction leaves f.db-journal hot; the
  # read-only reader said only "attempt to write a readonly database"
  config; facts ""
  run_bad
  python3 - <<'PY'
import os, sqlite3
c = sqlite3.connect("f.db", isolation_level=None)
c.execute("PRAGMA cache_size = 1")
c.execute("BEGIN")
c.execute("DELETE FROM orders")
c.execute("INSERT INTO orders SELECT 'X' || i, 'C1', '2026-03-01', 1, NULL, NULL FROM "
          "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT i FROM n)")
os._exit(0)   # no commit, no rollback: the journal stays hot
PY
  [ -s f.db-journal ] || fail "no journal was left"
  before=$(sqlite3 s.db .dump | md5sum)
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: f.db: f.db-journal holds a transaction that a writer left unfinished (it stopped before committing); crmpolicy reads the facts without writing, so it cannot roll it back: open the database once with a writer (sqlite3 f.db 'PRAGMA quick_check') and run again" "$ERR"
  expect_eq "the state as it was" "$before" "$(sqlite3 s.db .dump | md5sum)"
  sqlite3 f.db "PRAGMA quick_check" > /dev/null
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "exit once rolled back" 0 "$RC"
  expect_eq "the orders as committed" 3 "$(sqlite3 f.db "SELECT count(*) FROM orders")"
}

test_file_that_is_not_sqlite_stops_before_writing() {
  config
  head -c 4096 /dev/urandom > f.db
  run_bad
  expect_fatal 2 "crmpolicy: facts: f.db: file is not a database"
  [ ! -e s.db ] || fail "the state database was created"
}

# probe-aj: SQLite reads an empty file as a database without tables, and
# the run said "table 'clients' is missing" of an export that wrote nothing
test_an_empty_file_is_said_to_be_empty() {
  config
  : > f.db
  run_bad
  expect_fatal 2 "crmpolicy: facts: f.db is empty (0 bytes), not a database with the declared tables (an export that wrote nothing?)"
  [ ! -e s.db ] || fail "the state database was created"
  expect_eq "facts file" 0 "$(stat -c %s f.db)"
  cp_run check --config c.yaml --as-of 2026-06-01
  expect_eq "check: exit" 2 "$RC"
  expect_eq "check: message" "crmpolicy: facts: f.db is empty (0 bytes), not a database with the declared tables (an export that wrote nothing?)" "$ERR"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2
  expect_fatal 2 "crmpolicy: facts: f.db is empty (0 bytes), not a database with the declared tables (an export that wrote nothing?)"
  # a database with no tables, which is not empty, is still told by its table
  rm -f s.db; sqlite3 f.db "CREATE TABLE t(x); DROP TABLE t;"
  run_bad
  expect_fatal 2 "crmpolicy: facts: table 'clients' is missing (declared at c.yaml:5)"
}

# A facts database with many contacts rows: f.db, and its size in pages.
big_facts() {
  facts "INSERT INTO contacts(id,client_id,level,channel,happened_at)
    SELECT 'W'||value, 'C'||(value % 3 + 1), 'account', 'visit', '2026-04-01T10:00:00'
    FROM generate_series(1, 20000);"
  PAGES=$(sqlite3 f.db "PRAGMA page_count")
  PAGE_SIZE=$(sqlite3 f.db "PRAGMA page_size")
}

test_truncated_database_stops_before_writing() {
  config; big_facts
  truncate -s $((PAGES / 2 * PAGE_SIZE)) f.db
  run_bad
  expect_fatal 2 "crmpolicy: facts: f.db: database disk image is malformed"
  [ ! -e s.db ] || fail "the state database was created"
}

test_database_corrupt_inside_a_table_fails_while_reading_and_writes_nothing() {
  config; big_facts
  # garbage over pages in the middle of the contacts rows; the schema is intact
  dd if=/dev/urandom of=f.db bs="$PAGE_SIZE" seek=$((PAGES / 2)) count=4 conv=notrunc 2>/dev/null
  run_bad
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: facts: reading table 'contacts': database disk image is malformed
crmpolicy: the run failed (facts error); nothing was written" "$ERR"
  expect_eq "runs written" 0 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_database_locked_by_a_writer_is_waited_for() {
  config; facts ""
  hold_lock f.db "BEGIN EXCLUSIVE; UPDATE clients SET name=name;"
  ( run_bad; echo "$RC" > rc; printf '%s' "$ERR" > err ) &
  local pid=$!
  sleep 0.5   # the run is waiting by now, or will find the lock free: it passes either way
  [ -e rc ] && fail "the run ended while the facts were locked: exit $(cat rc)"
  release_lock
  wait "$pid"
  expect_eq "exit" 0 "$(cat rc)"
  expect_eq "stderr" "" "$(cat err)"
  expect_eq "alerts" 3 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_database_locked_by_a_writer_for_too_long_stops_before_writing() {
  config; facts ""
  hold_lock f.db "BEGIN EXCLUSIVE; UPDATE clients SET name=name;"
  run_bad   # waits its 10 seconds, the lock still held
  release_lock
  expect_fatal 3 "crmpolicy: facts: f.db: database is locked"
  [ ! -e s.db ] || fail "the state database was created"
}

test_check_says_a_skipped_key_as_a_run_does_not_the_rows_columns() {
  # a row the run skips for its client key was converted by check, whose
  # warnings were of its columns (no run says them) and not of its key
  config
  facts "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('ON','C1','2026-03-01',1)"
  untyped clients orders
  sqlite3 f.db "UPDATE orders SET client_id = NULL, ordered_on = 'x' WHERE id = 'ON';
                INSERT INTO clients(id,name,status,created_on) VALUES (7,'n',NULL,'z'), ('','e',NULL,'z')"
  cp_run check --config c.yaml --as-of 2026-06-01
  expect_eq "check: exit" 0 "$RC"
  local said count
  said=$(printf '%s\n' "$ERR" | grep ' row ' | sort)
  count=$(printf '%s\n' "$ERR" | tail -1)
  run_bad
  expect_eq "run: exit" 0 "$RC"
  expect_eq "check says what run says" "$(printf '%s\n' "$ERR" | grep ' row ' | sort)" "$said"
  expect_eq "check's count" "crmpolicy: warning: facts: 3 data problems in the first 1,000 rows of the clients and per-client tables, by column: clients.id 2, orders.client_id 1" "$count"
}

run_tests
