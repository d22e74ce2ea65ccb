#!/usr/bin/env bash
# tests/report/test_report_groups.sh: a report grouped by one of its columns
# (report{} group_by): groups in the order of their values with the rows of
# each in client order and a subtotal row after each; a total row
# (totals = true); what each column totals (sum, min, max, count, none);
# the CSV and the HTML page alike; and the declarations that are refused.
. "$(dirname "$0")/../lib.sh"

# Writes f.db, c.yaml and r.lua: six clients in three regions (C5 has none),
# a report of name, region, premium (money), lines (integer), renewal
# (date) and share (percent), with the report{} fields given as $1.
grouped_report() {
  sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY, name TEXT, region TEXT,
                  premium REAL, lines INTEGER, renewal TEXT, share REAL);
    INSERT INTO clients VALUES
      ('C1','Alpha','south',100.25,2,'2026-09-01',0.5),
      ('C2','Beta','north',1000,1,'2026-08-01',0.25),
      ('C3','Gamma','south',10.5,NULL,'2026-07-15',0.75),
      ('C4','Delta','east',5,3,NULL,NULL),
      ('C5','Epsilon',NULL,7,1,'2026-12-31',0.1),
      ('C6','Zeta','north',0.01,4,'2026-10-01',0.3);"
  clients_config "[{name: name, type: text}, {name: region, type: text},
    {name: premium, type: money}, {name: lines, type: integer}, {name: renewal, type: date},
    {name: share, type: real}]" "locale: en"
  cat > r.lua <<LUA
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T", doc = "d",
$1
  columns = { { id = "name", label = "Name", type = "text" },
              { id = "region", label = "Region", type = "text" },
              { id = "premium", label = "Premium", type = "money" },
              { id = "lines", label = "Lines", type = "integer" },
              { id = "renewal", label = "Renewal", type = "date", total = "min" },
              { id = "share", label = "Share", type = "percent", total = "max" } },
  row = function(c, month, alerts)
    return { name = c.name, region = c.region, premium = c.premium, lines = c.lines,
             renewal = c.renewal, share = c.share }
  end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
}

test_rows_come_group_by_group_with_a_subtotal_after_each_and_a_total() {
  grouped_report '  group_by = "region", totals = true,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  # regions in byte order, the clients without one last; each group's rows
  # in client order; money and integer columns add up, renewal shows the
  # earliest date, share the largest
  expect_eq "csv" "Name,Region,Premium,Lines,Renewal,Share
Delta,east,5.00,3,,
Subtotal: east (1),,5.00,3,,
Beta,north,1000.00,1,2026-08-01,25.00%
Zeta,north,0.01,4,2026-10-01,30.00%
Subtotal: north (2),,1000.01,5,2026-08-01,30.00%
Alpha,south,100.25,2,2026-09-01,50.00%
Gamma,south,10.50,,2026-07-15,75.00%
Subtotal: south (2),,110.75,2,2026-07-15,75.00%
Epsilon,,7.00,1,2026-12-31,10.00%
Subtotal: (none) (1),,7.00,1,2026-12-31,10.00%
Total (6),,1122.76,11,2026-07-15,75.00%" "$(tr -d '\r' < r.csv)"
  expect_eq "summary counts the clients' rows" "6" \
    "$("$CRMPOLICY" report --config c.yaml --as-of 2026-06-30 -o r2.csv | grep -o '[0-9]* rows' | cut -d' ' -f1)"
}

test_the_html_table_has_the_same_rows_with_subtotal_and_total_classes() {
  grouped_report '  group_by = "region", totals = true,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "first cells, in order" "Delta|Subtotal: east (1)|Beta|Zeta|Subtotal: north (2)|Alpha|Gamma|Subtotal: south (2)|Epsilon|Subtotal: (none) (1)|Total (6)" \
    "$(sed -n '/<tbody>/,/<\/tbody>/p' r.html | grep -o '<tr[^>]*><td[^>]*>[^<]*' | sed 's/.*>//' | paste -sd'|')"
  expect_eq "subtotal rows" 4 "$(grep -c '<tr class="sub">' r.html)"
  expect_contains "the total row" '<tr class="total"><td class="t">Total (6)</td><td class="t"></td><td class="n">1,122.76</td><td class="n">11</td><td>2026-07-15</td><td class="n">75.00%</td></tr>' "$(cat r.html)"
}

test_a_zh_report_labels_its_subtotals_in_chinese() {
  grouped_report '  group_by = "region", totals = true,'
  sed -i 's/^locale: en$/locale: zh-CN/' c.yaml
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --no-bom --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "labels" "小计：east（1）|小计：north（2）|小计：south（2）|小计：（无）（1）|合计（6）" \
    "$(tr -d '\r' < r.csv | grep -E '^(小计|合计)' | cut -d, -f1 | paste -sd'|')"
}

test_totals_alone_add_a_total_row_to_rows_in_client_order() {
  grouped_report '  totals = true,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "rows" "Alpha|Beta|Gamma|Delta|Epsilon|Zeta|Total (6)" "$(tr -d '\r' < r.csv | sed 1d | cut -d, -f1 | paste -sd'|')"
  expect_eq "total" "Total (6),,1122.76,11,2026-07-15,75.00%" "$(tr -d '\r' < r.csv | tail -1)"
}

test_group_by_alone_has_subtotals_and_no_total() {
  grouped_report '  group_by = "region",'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "last line" "Subtotal: (none) (1),,7.00,1,2026-12-31,10.00%" "$(tr -d '\r' < r.csv | tail -1)"
  expect_eq "no total" "" "$(grep '^Total' r.csv)"
}

test_without_group_by_or_totals_the_table_is_as_before() {
  grouped_report ''
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "rows" "Alpha|Beta|Gamma|Delta|Epsilon|Zeta" "$(tr -d '\r' < r.csv | sed 1d | cut -d, -f1 | paste -sd'|')"
}

test_a_column_totals_what_it_declares() {
  grouped_report '  group_by = "region", totals = true,'
  # premium: not added up; lines: the largest; name: how many rows have one
  sed -i 's/type = "money" }/type = "money", total = false }/;
          s/label = "Lines", type = "integer" }/label = "Lines", type = "integer", total = "max" }/;
          s/label = "Region", type = "text" }/label = "Region", type = "text", total = "count" }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "north's subtotal" "Subtotal: north (2),2,,4,2026-08-01,30.00%" "$(tr -d '\r' < r.csv | grep '^Subtotal: north')"
  expect_eq "the group without a region counts none" "Subtotal: (none) (1),0,,1,2026-12-31,10.00%" \
    "$(tr -d '\r' < r.csv | grep '^Subtotal: (none)')"
  expect_eq "total" "Total (6),5,,4,2026-07-15,75.00%" "$(tr -d '\r' < r.csv | tail -1)"
}

test_groups_of_a_number_column_go_by_value() {
  grouped_report '  group_by = "lines",'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "subtotals" "Subtotal: 1 (2)|Subtotal: 2 (1)|Subtotal: 3 (1)|Subtotal: 4 (1)|Subtotal: (none) (1)" \
    "$(tr -d '\r' < r.csv | grep '^Subtotal' | cut -d, -f1 | paste -sd'|')"
}

test_an_empty_text_groups_with_no_value() {
  grouped_report '  group_by = "region",'
  sqlite3 f.db "UPDATE clients SET region = '' WHERE id = 'C4'"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "one group of C4 and C5" "Subtotal: (none) (2),,12.00,4,2026-12-31,10.00%" \
    "$(tr -d '\r' < r.csv | grep '^Subtotal: (none)')"
}

# probe-aa: groups went by the exact value, so two values that show alike
# made two groups of one label: 0.1 + 0.2 and 0.3 two "Subtotal: 30.00% (1)",
# "a\0b" and "a\0c" two "Subtotal: a (1)" (the label cut at the NUL byte),
# two stray bytes two "Subtotal: � (1)"; and the CSV kept the NUL byte the page leaves out.
test_values_that_show_alike_are_one_group() {
  grouped_report '  group_by = "share",'
  sed -i 's/share = c.share }/share = c.id == "C1" and 0.1 + 0.2 or c.id == "C2" and 0.3 or c.share,\
             name = ({C1 = "a\\0b", C2 = "ab", C3 = "\\255", C4 = "\\254"})[c.id] or c.name }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "percent groups" "Subtotal: 10.00% (1)|Subtotal: 30.00% (3)|Subtotal: 75.00% (1)|Subtotal: (none) (1)" \
    "$(tr -d '\r' < r.csv | grep '^Subtotal' | cut -d, -f1 | paste -sd'|')"
  expect_eq "no NUL byte in the CSV" 0 "$(tr -cd '\000' < r.csv | wc -c)"
  sed -i 's/group_by = "share",/group_by = "name",/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "text groups" "Subtotal: Epsilon (1)|Subtotal: Zeta (1)|Subtotal: ab (2)|Subtotal: � (2)" \
    "$(tr -d '\r' < r.csv | grep '^Subtotal' | cut -d, -f1 | paste -sd'|')"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "the page's groups" "Subtotal: Epsilon (1)|Subtotal: Zeta (1)|Subtotal: ab (2)|Subtotal: � (2)" \
    "$(grep -o '<tr class="sub"><td class="t">[^<]*' r.html | sed 's/.*>//' | paste -sd'|')"
}

test_a_sum_past_64_bits_fails_the_row_that_tips_it() {
  grouped_report '  group_by = "region", totals = true,'
  sed -i 's/lines = c.lines,/lines = c.id == "C6" and math.maxinteger or c.id == "C2" and 1 or 0,/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "r.lua:2: column 'lines': with this row the subtotal of group 'north' adds up past what 64 bits hold (report t, client C6)" "$ERR"
  expect_contains "the page lists the failure" "client C6)" "$(cat r.html)"
  expect_eq "north without C6" "Subtotal: north (1)" \
    "$(grep -o '<tr class="sub"><td class="t">Subtotal: north[^<]*' r.html | sed 's/.*>//')"
}

# a row that fails on its own group's first row leaves no "Subtotal: west (0)"
test_a_group_whose_only_row_failed_has_no_subtotal() {
  grouped_report '  group_by = "region", totals = true,'
  sed -i 's/region = c.region,/region = c.id == "C6" and "west" or c.region,/;
          s/lines = c.lines,/lines = c.id == "C6" and math.maxinteger or c.lines,/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "column 'lines': with this row the total adds up past what 64 bits hold (report t, client C6)" "$ERR"
  expect_eq "no west subtotal" 0 "$(grep -c 'Subtotal: west' r.html)"
  expect_eq "the other subtotals" 4 "$(grep -c '<tr class="sub">' r.html)"
}

test_group_by_and_total_declarations_are_checked() {
  grouped_report ''
  sed -i 's/^report { id = "t", title = "T", doc = "d",$/& group_by = "area",/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit: unknown column" 2 "$RC"
  expect_contains "message" "report{}: group_by 'area' is not the id of one of its columns" "$ERR"
  sed -i 's/group_by = "area",/group_by = 3,/' r.lua
  cp_run check --config c.yaml
  expect_contains "not a string" "report{}: 'group_by' must be a column id (a string), not number" "$ERR"
  sed -i 's/group_by = 3,/totals = "yes",/' r.lua
  cp_run check --config c.yaml
  expect_contains "totals" "report{}: 'totals' must be true or false, not string" "$ERR"
  sed -i 's/totals = "yes",//; s/label = "Name", type = "text" }/label = "Name", type = "text", total = "sum" }/' r.lua
  cp_run check --config c.yaml
  expect_contains "sum of a text" "report{} column 'name': total 'sum' adds money or integer values, and the column is text (write 'count', 'min', 'max' or false)" "$ERR"
  sed -i 's/total = "sum" }/total = "max" }/' r.lua
  cp_run check --config c.yaml
  expect_contains "max of a text" "report{} column 'name': total 'max' is for numbers and dates, and the column is text (write 'count' or false)" "$ERR"
  sed -i 's/total = "max" }/total = "average" }/' r.lua
  cp_run check --config c.yaml
  expect_contains "unknown" "report{} column 'name': 'total' must be one of 'sum', 'min', 'max', 'count' or false, not 'average'" "$ERR"
  sed -i 's/total = "average" }/total = true }/' r.lua
  cp_run check --config c.yaml
  expect_contains "true" "report{} column 'name': 'total' must be one of 'sum', 'min', 'max', 'count' or false, not boolean" "$ERR"
}

# policy-w: a management summary (ARR at risk by region) came with every
# account's row before each subtotal. detail = false leaves the clients'
# rows out: the subtotal rows and the total, in the CSV and on the page.
test_detail_false_shows_the_subtotals_and_the_total_only() {
  grouped_report '  group_by = "region", totals = true, detail = false,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "csv" "Name,Region,Premium,Lines,Renewal,Share
Subtotal: east (1),,5.00,3,,
Subtotal: north (2),,1000.01,5,2026-08-01,30.00%
Subtotal: south (2),,110.75,2,2026-07-15,75.00%
Subtotal: (none) (1),,7.00,1,2026-12-31,10.00%
Total (6),,1122.76,11,2026-07-15,75.00%" "$(tr -d '\r' < r.csv)"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "html: first cells" "Subtotal: east (1)|Subtotal: north (2)|Subtotal: south (2)|Subtotal: (none) (1)|Total (6)" \
    "$(sed -n '/<tbody>/,/<\/tbody>/p' r.html | grep -o '<tr[^>]*><td[^>]*>[^<]*' | sed 's/.*>//' | paste -sd'|')"
  # totals alone: the one total row
  rm -f f.db s.db*
  grouped_report '  totals = true, detail = false,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "totals alone" "Name,Region,Premium,Lines,Renewal,Share
Total (6),,1122.76,11,2026-07-15,75.00%" "$(tr -d '\r' < r.csv)"
  # with neither, no row would be left; detail = true is the default
  rm -f f.db s.db*
  grouped_report '  detail = false,' 2>/dev/null   # its run is refused too
  cp_run check --config c.yaml
  expect_eq "neither" 2 "$RC"
  expect_contains "neither: message" "report{}: detail = false leaves out the clients' rows, and the report has neither a group_by nor totals = true: it would have no row" "$ERR"
  rm -f f.db s.db*
  grouped_report '  detail = "no", totals = true,' 2>/dev/null
  cp_run check --config c.yaml
  expect_contains "not a boolean" "report{}: 'detail' must be true or false, not string" "$ERR"
  rm -f f.db s.db*
  grouped_report '  detail = true, totals = true,'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "detail = true: rows and total" 8 "$(wc -l < r.csv)"
}

test_a_report_grouped_past_its_most_groups_fails_the_rows_past_them() {
  python3 - <<'PYEOF'
import sqlite3
db = sqlite3.connect("f.db")
db.execute("CREATE TABLE clients(id TEXT PRIMARY KEY, name TEXT)")
db.executemany("INSERT INTO clients VALUES(?, ?)", [("C%05d" % i, "n%05d" % i) for i in range(10002)])
db.commit()
PYEOF
  clients_config "[{name: name, type: text}]" "locale: en"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T", doc = "d", group_by = "name",
  columns = { { id = "name", label = "Name", type = "text" } },
  row = function(c) return { name = c.name } end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "group_by 'name': this row would make a group past the 10000 a report can have (report t, client C10000); group by a column with fewer values" "$ERR"
  expect_eq "groups" 10000 "$(grep -c '<tr class="sub">' r.html)"
}

# policy-s: the README did not say which report{} fields are optional, nor
# that a row's alert counts are 0, not nil, when the client has none.
test_a_report_without_series_has_the_alerts_chart_only_and_counts_of_none_are_0() {
  grouped_report ''
  sed -i 's/share = c.share }/share = c.share, lines = alerts.critical + alerts.warning + alerts.info }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "no series chart" 0 "$(grep -c 'id="chart-series"' r.html)"
  expect_eq "the alerts chart" 1 "$(grep -c 'id="chart-alerts"' r.html)"
  expect_eq "counts of no alerts" "0|0|0|0|0|0" \
    "$(sed -n '/<tbody>/,/<\/tbody>/p' r.html | grep -o '<td class="n">[0-9]*</td><td>' | grep -o '[0-9]*' | paste -sd'|')"
}

# probe-aa: each group keeps its value while the table is made: 200 groups
# of a 1 MB text took 410 MB. A group's text is a label, at most 1 KB.
test_a_group_value_longer_than_1_kb_fails_its_row() {
  grouped_report '  group_by = "region",'
  sed -i 's/region = c.region,/region = c.id == "C2" and string.rep("n", 1025) or c.id == "C6" and string.rep("n", 1024) or c.region,/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: group_by 'region': a value of 1025 bytes, longer than the 1024 a group's value may have (report t, client C2); group by a short value (a region, a manager's id)" "$ERR"
  expect_eq "a value of 1024 bytes groups" 1 "$(grep -c "Subtotal: $(printf 'n%.0s' $(seq 1024)) (1)" r.html)"
}

# policy-t: "49044 rows" and integer cells without separators, where money
# has them; the CSV keeps digits alone for a spreadsheet.
test_html_integers_have_thousands_separators_and_csv_digits_alone() {
  grouped_report '  totals = true,'
  sqlite3 f.db "UPDATE clients SET lines = 1234567 WHERE id = 'C1'"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_contains "a cell" '<td class="n">1,234,567</td>' "$(cat r.html)"
  expect_contains "the total" '<td class="n">1,234,576</td>' "$(cat r.html)"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "csv" "Alpha,south,100.25,1234567,2026-09-01,50.00%" "$(tr -d '\r' < r.csv | grep '^Alpha')"
}

# policy-u: a ratio-change column that totals nothing showed "—" (a change
# with nothing to compare) in subtotal and total rows: nothing is shown.
test_a_column_that_totals_nothing_is_blank_on_the_page() {
  grouped_report '  group_by = "region", totals = true,'
  sed -i 's/label = "Share", type = "percent", total = "max" }/label = "Share", type = "ratio-change" }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 0 "$RC"
  expect_contains "a row's change" '<td class="n">+50.00%</td></tr>' "$(cat r.html)"
  expect_contains "the total: blank" '<td>2026-07-15</td><td class="t"></td></tr>' "$(grep '<tr class="total">' r.html)"
  expect_eq "no dash in subtotals" 0 "$(grep '<tr class="sub">' r.html | grep -c '—')"
}

test_the_readmes_example_runs_as_written() {
  sed -n '/^#### Groups, subtotals and a total$/,/^```$/p' "$ROOT/README.md" |
    sed -n '/^```lua$/,/^```$/p' | sed '1d;$d' > example.lua
  expect_contains "the example" 'group_by = "region"' "$(cat example.lua)"
  { echo 'rule { id = "r", doc = "d", fn = function(c) end }'; cat example.lua; } > r.lua
  sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY, name TEXT, region TEXT, premium REAL,
                  lines INTEGER, renewal TEXT, loss_ratio REAL);
    INSERT INTO clients VALUES ('C1','A','north',10,1,'2027-01-01',0.5),
      ('C2','B','north',5,3,'2026-12-01',0.25), ('C3','C','east',1,2,NULL,NULL);"
  clients_config "[{name: name, type: text}, {name: region, type: text},
    {name: premium, type: money}, {name: lines, type: integer}, {name: renewal, type: date},
    {name: loss_ratio, type: real}]" "locale: en"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "csv" "Client,Region,Premium,Lines,Next renewal,Loss ratio
C,east,1.00,2,,
Subtotal: east (1),,1.00,2,,
A,north,10.00,1,2027-01-01,50.00%
B,north,5.00,3,2026-12-01,25.00%
Subtotal: north (2),,15.00,3,2026-12-01,
Total (3),,16.00,3,2026-12-01," "$(tr -d '\r' < r.csv)"
}

run_tests
