#!/usr/bin/env bash
# tests/cli/test_csv_import.sh: README "Facts from CSV files" runs as written:
# CSV files imported into raw tables, read through views that type them, give
# the values a rule expects; read raw, every number is text, which check and
# run say once by column (policy-w: check said ok, and the run read every
# amount as nil).
. "$(dirname "$0")/../lib.sh"

# csv_facts: accounts.csv, and facts.db made from it by README's commands.
csv_facts() {
  printf 'id,name,region,arr,seats,renewal_on\nA1,Acme,emea,120000.50,40,2027-01-31\nA2,Bolt,apac,,,\nA3,Crux,emea,99.99,1e3,2026-12-15\n' > accounts.csv
  sed -n '/^\*\*Facts from CSV files/,/^```$/{/^```sh$/,/^```$/p}' "$ROOT/README.md" | sed '1d;$d' > import.sh
  expect_contains "the README's commands" ".import --csv accounts.csv raw_accounts" "$(cat import.sh)"
  bash import.sh
}

# config TABLE: the accounts, read from TABLE, and a rule that shows them.
config() {
  cat > c.yaml <<YAML
facts: facts.db
state: state.db
rules: [r.lua]
clients:
  name: accounts
  table: $1
  id: id
  columns:
    - {name: region, type: text}
    - {name: arr, type: money}
    - {name: seats, type: integer}
    - {name: renewal_on, type: date}
YAML
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", data = { arr = c.arr, seats = c.seats, renewal = c.renewal_on and dt.format(c.renewal_on) } } end }\n' > r.lua
}

test_the_readmes_csv_import_gives_typed_values() {
  csv_facts
  config accounts
  cp_run check --config c.yaml
  expect_eq "check" "0|" "$RC|$ERR"
  cp_run run --config c.yaml --as-of 2026-12-01 --quiet
  expect_eq "run" "0|" "$RC|$ERR"
  expect_eq "what the rule read" 'A1|{"arr":12000050,"renewal":"2027-01-31","seats":40}
A2|{}
A3|{"arr":9999,"renewal":"2026-12-15","seats":1000}' \
    "$(sqlite3 state.db "SELECT client_id||'|'||data FROM alerts ORDER BY client_id")"
}

# A CSV saved by Excel on Chinese Windows is GBK: imported as it is, its
# Chinese texts are not UTF-8, which check and run say once by column
# (policy-ad: it imported silently, every title then shown as U+FFFD).
test_a_gbk_import_is_said_by_column() {
  csv_facts
  python3 -c 'import sys; sys.stdout.buffer.write("id,name,region,arr,seats,renewal_on\nA1,上海甲,华东,1,1,2027-01-31\nA2,北京乙,华北,2,2,2027-01-31\nA3,Crux,emea,3,3,2027-01-31\n".encode("gbk"))' > gbk.csv
  sqlite3 facts.db "DROP VIEW accounts; DROP TABLE raw_accounts" ".import --csv gbk.csv raw_accounts" \
    "CREATE VIEW accounts AS SELECT id, name, region, CAST(arr AS REAL) AS arr, CAST(seats AS INTEGER) AS seats, renewal_on FROM raw_accounts"
  config accounts
  cp_run check --config c.yaml
  expect_eq "check" "0|crmpolicy: warning: facts: column 'region' of table 'accounts' of facts.db: 2 of the 3 texts of its first 1,000 rows are not UTF-8 (the first: '\xbb\xaa\xb6\xab'): an export in another encoding (GBK or GB18030, as Excel on Chinese Windows writes CSV: convert it with iconv -f GB18030 -t UTF-8)? Titles, the feed and the tables show such bytes as U+FFFD or \xNN" "$RC|$ERR"
  # converted, nothing to say
  iconv -f GB18030 -t UTF-8 gbk.csv > utf8.csv
  sqlite3 facts.db "DELETE FROM raw_accounts" ".import --csv --skip 1 utf8.csv raw_accounts"
  cp_run check --config c.yaml
  expect_eq "converted" "0|" "$RC|$ERR"
}

test_the_raw_import_is_said_by_column_at_check() {
  csv_facts
  config raw_accounts
  cp_run check --config c.yaml
  expect_eq "check: exit" 0 "$RC"
  expect_eq "check: warnings" "crmpolicy: warning: facts: column 'arr' of table 'raw_accounts' of facts.db: 2 of the 3 values of its first 1,000 rows are numbers stored as text, and each reads as nil, a data problem (the first: '120000.50' is an amount stored as text, not as a number (a CSV import without column types?): give the column a type (REAL, INTEGER) or read it through a view with CAST(NULLIF(..., '') AS REAL))
crmpolicy: warning: facts: column 'seats' of table 'raw_accounts' of facts.db: 2 of the 3 values of its first 1,000 rows are numbers stored as text, and each reads as nil, a data problem (the first: '40' is a number stored as text (a CSV import without column types?): give the column a type (INTEGER) or read it through a view with CAST(NULLIF(..., '') AS NUMERIC))
crmpolicy: warning: facts: 7 data problems in the first 1,000 rows of the clients and per-client tables, by column: raw_accounts.arr 3, raw_accounts.seats 3, raw_accounts.renewal_on 1" \
    "$(printf '%s\n' "$ERR" | grep -v ' row ')"
  expect_contains "check: ok line" "has every declared table and column (" "$OUT"
}

run_tests
