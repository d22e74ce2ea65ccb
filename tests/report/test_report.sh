#!/usr/bin/env bash
# tests/report/test_report.sh: `crmpolicy report`: every value of the monthly
# report on a tiny facts database, its HTML page with both charts rendered in
# headless Chromium, and how bad options and failing rows are reported; the
# zh-CN texts and labels (no English engine text), a month in progress, the
# CSV as numbers, and `alerts` under the labels.
. "$(dirname "$0")/../lib.sh"

DEMO_CONFIG="$ROOT/examples/demo/crmpolicy.yaml"

# Writes f.db: four clients with known sales, orders, complaints and contacts
# around the month 2026-10. C1 is strategic (a partner), C2 key (approved; its
# name needs CSV quoting), C3 general and C4 closed: only C1 and C2 have rows.
# Facts dated after 2026-10-31 (O5, a service contact, K3's resolution, O2's
# delivery) must not count in a report of 2026-10 made later.
tiny_facts() {
  facts_db f.db "
INSERT INTO staff(id,name,role,manager_id,active) VALUES
  ('S1','王伟','key_account_manager','S9',1), ('S9','李娜','marketing_vp',NULL,1);
INSERT INTO clients(id,name,status,strategic_partner,approved_tier,created_on) VALUES
  ('C1','上海永达电梯有限公司','active',1,NULL,'2020-01-01'),
  ('C2','Acme, \"Lifts\" Ltd','active',0,'key','2020-01-01'),
  ('C3','小客户','active',0,NULL,'2020-01-01'),
  ('C4','已关闭客户','closed',1,NULL,'2020-01-01');
INSERT INTO client_staff(client_id,staff_id,role,since) VALUES
  ('C1','S1','key_account_manager','2025-01-01');
INSERT INTO orders(id,client_id,ordered_on,amount,due_on,delivered_on) VALUES
  ('O1','C1','2026-10-05',1234567.891,'2026-10-20','2026-10-18'),
  ('O2','C1','2026-10-20',1000.5,'2026-10-25','2026-11-02'),
  ('O3','C1','2026-09-10',500000,'2026-10-31',NULL),
  ('O4','C1','2025-10-15',200000,'2025-10-30','2025-10-30'),
  ('O5','C1','2026-11-03',999,NULL,NULL),
  ('O6','C1','2025-11-30',300,NULL,NULL),
  ('O7','C2','2026-10-01',10000,NULL,NULL),
  ('O8','C2','2025-10-01',5000,NULL,NULL),
  ('O9','C3','2026-10-02',100,NULL,NULL),
  ('O10','C4','2026-10-03',50,NULL,NULL);
INSERT INTO complaints(id,client_id,category,severity,opened_at,first_response_at,resolved_at) VALUES
  ('K1','C1','quality','high','2026-10-05T09:00:00',NULL,NULL),
  ('K2','C1','delivery','low','2026-10-06T09:00:00','2026-10-06T10:00:00','2026-10-08T09:00:00'),
  ('K3','C1','quality','low','2026-10-07T09:00:00','2026-10-07T10:00:00','2026-11-02T09:00:00'),
  ('K4','C1','service','low','2026-09-15T09:00:00',NULL,NULL);
INSERT INTO contacts(id,client_id,staff_id,level,channel,happened_at) VALUES
  ('V1','C1','S1','executive','visit','2026-03-01T10:00:00'),
  ('V2','C1','S1','account','visit','2026-09-01T10:00:00'),
  ('V3','C1','S1','account','call','2026-10-30T15:00:00'),
  ('V4','C1','S1','quality','visit','2026-10-31T23:00:00'),
  ('V5','C1','S1','service','call','2026-11-01T10:00:00'),
  ('V6','C2',NULL,'account','email','2026-10-15T10:00:00');"
}

# Writes s.db: a state database after one run as of 2026-10-31 with open
# alerts of C1 (2 warnings, 1 critical), C2 (1 info), C3 (out of the report)
# and C0 (not in the facts), and a resolved one that does not count.
tiny_state() {
  sqlite3 s.db < "$ROOT/schema/state.sql" && sqlite3 s.db "
INSERT INTO runs(id,as_of,started_at,finished_at,status,config,facts)
  VALUES(1,'2026-10-31','2026-11-01T02:00:00Z','2026-11-01T02:00:01Z','complete','c','f');
INSERT INTO alerts(fingerprint,rule,client_id,key,severity,level,title,data,status,opened_at,updated_at,run_id) VALUES
  ('a','credit.risk','C0','','critical',1,'t','{}','open','x','x',1),
  ('b','visit.account','C1','','warning',1,'t','{}','open','x','x',1),
  ('c','complaint.response','C1','K1','critical',3,'t','{}','open','x','x',1),
  ('d','complaint.response','C1','K4','warning',1,'t','{}','open','x','x',1),
  ('e','visit.quality','C1','','critical',2,'t','{}','resolved','x','x',1),
  ('f','survey.due','C2','','info',1,'t','{}','open','x','x',1),
  ('g','contact.dormant','C3','','warning',1,'t','{}','open','x','x',1);"
}

# report ARGS...: the demo config's report on f.db and s.db.
report() {
  cp_run report --config "$DEMO_CONFIG" --facts f.db --state s.db --quiet "$@"
}

test_csv_has_every_value_of_a_month_replayed_on_its_last_day() {
  tiny_facts && tiny_state
  report --as-of 2026-11-15 --month 2026-10 --format csv -o r.csv
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "csv" "$(printf '\357\273\277'; printf '%s\r\n' \
'客户编号,客户名称,级别,客户经理,销售额（本月）,销售额（上月）,销售额（去年同月）,销售额（环比）,销售额（同比）,销售额（近365天）,销售额（占比）,本月订单（到期）,本月订单（按期交付）,投诉（本月）,投诉（未结）,最近联络（高层）,最近联络（商务）,最近联络（技术）,最近联络（质量）,最近联络（服务）,未关闭预警（提示）,未关闭预警（警告）,未关闭预警（严重）' \
'C1,上海永达电梯有限公司,战略客户,王伟,1235568.39,500000.00,200000.00,+147.11%,+517.78%,1735868.39,99.42%,3,1,质量 2、交付 1,3,2026-03-01,2026-10-30,,2026-10-31,,0,2,1' \
'C2,"Acme, ""Lifts"" Ltd",重点客户,,10000.00,0.00,5000.00,,+100.00%,10000.00,0.57%,0,0,,0,,2026-10-15,,,,1,0,0'; echo x)" \
    "$(cat r.csv; echo x)"
}

test_an_order_whose_date_is_a_data_problem_is_left_out_not_the_csv() {
  tiny_facts && tiny_state
  # a zone suffix makes ordered_on a data problem: it reads as nil
  sqlite3 f.db "UPDATE orders SET ordered_on = '2026-10-20T10:00:00+08:00' WHERE id = 'O2'"
  report --as-of 2026-11-15 --month 2026-10 --format csv -o r.csv
  expect_eq "exit" 0 "$RC"
  expect_contains "the finding" "orders row O2 column ordered_on: '2026-10-20T10:00:00+08:00' is not a date" "$ERR"
  expect_eq "C1's sales without O2" "1234567.89" "$(sed -n 2p r.csv | cut -d, -f5)"
  # past the 20 printed, they are counted by column at the end, as a run
  # counts them (policy-z: "they are counted", and no count followed)
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount)
    SELECT 'X' || value, 'C2', '2026-10-0' || (value % 9 + 1) || 'Z', 1 FROM generate_series(1, 24)"
  report --as-of 2026-11-15 --month 2026-10 --format csv -o r.csv
  expect_eq "many: exit" 0 "$RC"
  expect_eq "many: printed" 20 "$(printf '%s\n' "$ERR" | grep -c ' row .* column ')"
  expect_contains "many: counted by column" "crmpolicy: warning: facts: 25 data problems in the clients and per-client tables, by column: orders.ordered_on 25" "$ERR"
}

test_csv_reads_as_numbers_with_one_line_ending() {
  tiny_facts && tiny_state
  report --as-of 2026-11-15 --month 2026-10 -o r.csv
  expect_eq "exit" 0 "$RC"
  expect_eq "numbers" "C1 1235568.39 500000.0 147.11 3 99.42|C2 10000.0 0.0 None 0 0.57|" "$(python3 -c '
import csv
rows = list(csv.reader(open("r.csv", encoding="utf-8-sig", newline="")))
pct = lambda v: float(v.rstrip("%")) if v else None
print("".join("%s %s %s %s %d %s|" % (r[0], float(r[4]), float(r[5]), pct(r[7]), int(r[11]),
                                       pct(r[10])) for r in rows[1:]))')"
  expect_eq "line endings" "3 3" "$(grep -c $'\r$' r.csv) $(wc -l < r.csv)"
  "$CRMPOLICY" alerts --state s.db --format csv > a.csv
  expect_eq "alerts csv line endings" "7 7" "$(grep -c $'\r$' a.csv) $(wc -l < a.csv)"
}

test_no_bom_in_zh_when_asked() {
  tiny_facts && tiny_state
  report --as-of 2026-10-31 --no-bom -o r.csv
  expect_eq "--no-bom" "客户编号," "$(head -c 13 r.csv)"
}

test_no_bom_in_english_unless_asked() {
  custom_report '    return { name = c.name, n = 1 }'
  cp_run report --config c.yaml --as-of 2026-06-30 -o e.csv --quiet
  expect_eq "en: no bom" "Name,N" "$(head -1 e.csv | tr -d '\r')"
  cp_run report --config c.yaml --as-of 2026-06-30 --bom -o b.csv --quiet
  expect_eq "--bom" "efbbbf4e" "$(head -c 4 b.csv | od -An -tx1 | tr -d ' \n')"
}

test_report_is_mode_0600_and_leaves_the_state_as_it_was() {
  tiny_facts && tiny_state
  sqlite3 s.db "PRAGMA journal_mode=WAL" > /dev/null   # as a run leaves it
  before=$(md5sum < s.db)
  report --as-of 2026-10-31 -o r.html
  expect_eq "exit" 0 "$RC"
  expect_eq "mode" "600" "$(stat -c %a r.html)"
  expect_eq "state" "$before" "$(md5sum < s.db)"
  expect_eq "leftovers" "r.html" "$(ls r.html* | tr '\n' ' ' | sed 's/ $//')"
  expect_eq "no -wal or -shm beside the state" "s.db" "$(ls s.db* | tr '\n' ' ' | sed 's/ $//')"
}

test_an_output_through_a_symbolic_link_replaces_the_file_it_leads_to() {
  tiny_facts && tiny_state
  mkdir out && echo old > out/real.csv && ln -s out/real.csv link.csv
  report --as-of 2026-11-15 --month 2026-10 --format csv -o link.csv
  expect_eq "exit" 0 "$RC"
  [ -L link.csv ] || fail "the link was replaced by a file"
  expect_contains "the file it leads to" "上海永达电梯有限公司" "$(cat out/real.csv)"
  expect_eq "nothing left beside" "real.csv" "$(ls out)"
  ln -s nowhere.csv dangling.csv
  report --as-of 2026-11-15 --month 2026-10 --format csv -o dangling.csv
  expect_eq "a link to nothing: exit" 2 "$RC"
  expect_eq "a link to nothing: message" "crmpolicy: report: -o: dangling.csv is a symbolic link that leads to no file" "$ERR"
  mkfifo pipe; ln -s /dev/null null.csv
  for out in pipe null.csv out; do
    report --as-of 2026-11-15 --month 2026-10 --format csv -o "$out"
    expect_eq "$out: exit" 2 "$RC"
    expect_eq "$out: message" "crmpolicy: report: -o: $out is not a regular file (a device, FIFO or folder); the report is written to a file of its own" "$ERR"
  done
  [ -p pipe ] || fail "the FIFO was replaced"
  [ -c /dev/null ] || fail "/dev/null is not a device any more"
}

test_an_output_path_that_names_a_file_of_the_run_is_refused() {
  tiny_facts && tiny_state
  sqlite3 s.db "PRAGMA journal_mode=WAL" > /dev/null
  before_s=$(md5sum < s.db) before_f=$(md5sum < f.db)
  for out in s.db ./s.db s.db-wal f.db f.db-wal f.db-journal "$DEMO_CONFIG" "$ROOT/rules/report.lua" \
      "$ROOT/rules/lib/new.lua" "$ROOT/rules/../rules/lib/x.lua"; do
    report --as-of 2026-11-15 --month 2026-10 --format csv -o "$out"
    expect_eq "$out: exit" 2 "$RC"
    expect_contains "$out: message" "; the report needs a file of its own" "$ERR"
  done
  expect_eq "the state" "$before_s" "$(md5sum < s.db)"
  expect_eq "the facts" "$before_f" "$(md5sum < f.db)"
  report --as-of 2026-11-15 --month 2026-10 --format csv -o s.db
  expect_eq "which file it is" "crmpolicy: report: -o: s.db is the state database (s.db); the report needs a file of its own" "$ERR"
  report --as-of 2026-11-15 --month 2026-10 --format csv -o f.db-wal
  expect_eq "the facts' WAL" "crmpolicy: report: -o: f.db-wal is the facts database's WAL (f.db-wal); the report needs a file of its own" "$ERR"
  report --as-of 2026-11-15 --month 2026-10 --format csv -o "$ROOT/rules/lib/new.lua"
  expect_eq "a module" "crmpolicy: report: -o: $ROOT/rules/lib/new.lua is a Lua file in the rules folder (a module the rules may require); the report needs a file of its own" "$ERR"
  [ ! -e "$ROOT/rules/lib/new.lua" ] || fail "rules/lib/new.lua was written"
  expect_eq "nothing beside" "f.db s.db stderr" "$(ls | tr '\n' ' ' | sed 's/ $//')"
}

test_html_has_both_charts_the_names_and_no_script() {
  tiny_facts && tiny_state
  report --as-of 2026-10-31 --format html -o r.html
  expect_eq "exit" 0 "$RC"
  html=$(cat r.html)
  expect_eq "svg charts" 2 "$(grep -c '<svg ' r.html)"
  expect_contains "series chart" '<figure id="chart-series">' "$html"
  expect_contains "alerts chart" '<figure id="chart-alerts">' "$html"
  expect_eq "series lines" 2 "$(grep -c '<polyline ' r.html)"
  expect_contains "chinese name" '<td class="t">上海永达电梯有限公司</td>' "$html"
  expect_contains "escaped name" '<td class="t">Acme, &quot;Lifts&quot; Ltd</td>' "$html"
  expect_contains "strategic point" '<title>战略客户 2026年10月：1,235,568.39</title>' "$html"
  expect_contains "key point" '<title>重点客户 2026年10月：10,000.00</title>' "$html"
  expect_contains "a stacked bar" '<title>投诉未及时响应 严重：1</title>' "$html"
  case "$html" in *"信用风险"*) fail "the chart counts an alert of a client not in the table" ;; esac
  expect_contains "whose alerts" '表中 2 家客户，第 1 次运行（截至 2026年10月31日）后（全部客户共 6 条未关闭预警）' "$html"
  expect_contains "grouped head" '<th class="g" colspan="7">销售额</th>' "$html"
  expect_contains "lang" '<html lang="zh-CN">' "$html"
  expect_contains "print css" '@media print{' "$html"
  case "$html" in *"<script"*|*"src="*|*"@import"*) fail "the page loads or runs something" ;; esac
}

test_bad_month_is_a_usage_error() {
  tiny_facts && tiny_state
  report --month 2026-13 -o r.csv
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --month: '2026-13' is not a month (YYYY-MM)" "$ERR"
  [ ! -e r.csv ] || fail "r.csv was written"
}

test_month_after_the_as_of_date_is_a_usage_error() {
  tiny_facts && tiny_state
  report --as-of 2026-10-31 --month 2026-11 -o r.csv
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --month: 2026-11 is after the as-of date 2026-10-31" "$ERR"
}

test_a_month_of_year_0000_is_a_usage_error() {
  # its chart's months and year-ago month would be dates before 0000-01-01
  tiny_facts && tiny_state
  report --as-of 2026-10-31 --month 0000-12 -o r.html
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: report: the month 0000-12 is too early: its chart and year-ago month reach back a year, and dates start at 0000-01-01; the first month a report can show is 0001-01" "$ERR"
  [ ! -e r.html ] || fail "r.html was written"
  report --as-of 2026-10-31 --month 0001-01 -o r.csv
  expect_eq "exit (0001-01)" 0 "$RC"
}

test_unknown_format_is_a_usage_error() {
  tiny_facts && tiny_state
  report --format pdf -o r.pdf
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --format: 'pdf' is not one of csv, html" "$ERR"
}

# Prints "client,info,warning,critical" for C1 and C2 from `alerts --format csv`.
alert_counts() {
  "$CRMPOLICY" alerts --state s.db --format csv | awk -F, 'NR > 1 { n[$1 "," $4]++ }
    END { for (c = 1; c <= 2; c++) printf "C%d,%d,%d,%d\n", c, n["C" c ",info"],
          n["C" c ",warning"], n["C" c ",critical"] }'
}

test_an_earlier_month_shows_the_alerts_of_its_last_run() {
  tiny_facts
  cp_run run --config "$DEMO_CONFIG" --facts f.db --state s.db --as-of 2026-10-31 --quiet
  expect_eq "run 1" 0 "$RC"
  october=$(alert_counts)
  cp_run run --config "$DEMO_CONFIG" --facts f.db --state s.db --as-of 2027-03-01 --quiet
  expect_eq "run 2" 0 "$RC"
  [ "$october" != "$(alert_counts)" ] || fail "the two runs left the same alerts"
  report --as-of 2027-03-01 --month 2026-10 -o r.csv
  expect_eq "exit" 0 "$RC"
  expect_eq "alerts" "$october" "$(awk -F, 'NR > 1 { print $1 "," $(NF-2) "," $(NF-1) "," $NF }' r.csv | tr -d '\r')"
  # a replay of an earlier day of October, run after, does not stand for its last day
  cp_run run --config "$DEMO_CONFIG" --facts f.db --state s.db --as-of 2026-10-10 --replay --quiet
  expect_eq "replay" 0 "$RC"
  cp_run run --config "$DEMO_CONFIG" --facts f.db --state s.db --as-of 2027-03-01 --quiet
  report --as-of 2027-03-01 --month 2026-10 -o r.csv
  expect_eq "alerts after a replay" "$october" "$(awk -F, 'NR > 1 { print $1 "," $(NF-2) "," $(NF-1) "," $NF }' r.csv | tr -d '\r')"
}

# Writes c.yaml and r.lua: three clients, a report whose row is $1 (Lua).
custom_report() {
  clients_config "[{name: name, type: text}]" "limits: {memory_mb: 16, instructions: 100000}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01'),
    ('C3','C','active','2026-01-01');"
  cat > r.lua <<LUA
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T", doc = "d",
  columns = { { id = "name", label = "Name", type = "text" },
              { id = "n", label = "N", type = "integer" } },
  row = function(c, month, alerts)
$1
  end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
}

# red-team 2: a state whose alerts or events table was made again by hand
# without its NOT NULL (a copy through another tool, say) may hold a row of
# no rule; the report's alerts chart passed that NULL to strcmp and strdup
# and crashed (SIGSEGV), on the open alerts and on a replayed month alike.
# Such a row counts under an empty rule id, as `alerts` lists it.
test_an_alert_of_no_rule_in_a_state_made_by_hand_does_not_crash_the_report() {
  tiny_facts && tiny_state
  sqlite3 s.db "CREATE TABLE a2 AS SELECT * FROM alerts; DROP TABLE alerts; ALTER TABLE a2 RENAME TO alerts;
    UPDATE alerts SET rule = NULL WHERE fingerprint = 'b';
    INSERT INTO runs(id,as_of,started_at,status,config,facts) VALUES(2,'2026-11-10','x','complete','c','f');
    CREATE TABLE e2 AS SELECT * FROM events; DROP TABLE events; ALTER TABLE e2 RENAME TO events;
    INSERT INTO events(seq,run_id,type,at,fingerprint,rule,client_id,key,body)
      VALUES(1,1,'alert.opened','x','b',NULL,'C1','','{\"severity\":\"warning\"}')"
  report --as-of 2026-11-15 --month 2026-11 -o now.csv
  expect_eq "open alerts: exit" 0 "$RC"
  expect_eq "open alerts: C1's" "0,2,1" "$(sed -n 2p now.csv | tr -d '\r' | awk -F, '{ print $(NF-2) "," $(NF-1) "," $NF }')"
  report --as-of 2026-11-15 --month 2026-11 -o now.html
  expect_eq "open alerts, html: exit" 0 "$RC"
  report --as-of 2026-11-15 --month 2026-10 -o replay.html
  expect_eq "replayed: exit" 0 "$RC"
  expect_contains "replayed: the caption" "第 1 次运行" "$(cat replay.html)"
}

test_csv_text_cells_are_safe_for_a_spreadsheet() {
  custom_report '    return { name = c.name, n = -5 }'
  sqlite3 f.db "UPDATE clients SET name = '=HYPERLINK(\"http://x\",\"y\")' WHERE id = 'C1';
                UPDATE clients SET name = '@SUM(A1)' || CAST(X'FF' AS TEXT) WHERE id = 'C2';
                UPDATE clients SET name = 'plain - name' WHERE id = 'C3';"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "rows" "Name,N
\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5
'@SUM(A1)�,-5
plain - name,-5" "$(tr -d '\r' < r.csv)"
}

# red-team 2: the header's labels went to the CSV as written: a label
# or group of report{} (a policy may make one from params, which the
# config holds) that starts with = ran as a formula in the spreadsheet, and
# one with a byte that is not UTF-8 made the file invalid UTF-8. A label is
# a text cell like the others now.
test_csv_header_labels_are_safe_for_a_spreadsheet_too() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/label = "Name"/label = "=1+2\\xff"/; s/label = "N"/label = "N", group = "@g"/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "header" "'=1+2"$'\xef\xbf\xbd'",'@g (N)" "$(head -1 r.csv | tr -d '\r')"
}

# red-team 2: Excel where the list separator is ';' (German, French,
# Russian Windows ...) splits a CSV line at ';' and not at ',': a name
# x;=cmd|'/C calc'!A0, written unquoted, became a second cell that starts
# with = and ran; only the text's first character was guarded. A field
# with a ';' is quoted now, which an RFC 4180 reader reads as the same text.
test_csv_text_with_a_semicolon_is_quoted_for_a_semicolon_spreadsheet() {
  custom_report '    return { name = c.name, n = 1 }'
  sqlite3 f.db "UPDATE clients SET name = 'x;=cmd|''/C calc''!A0' WHERE id = 'C1'"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "quoted" "\"x;=cmd|'/C calc'!A0\",1" "$(sed -n 2p r.csv | tr -d '\r')"
  expect_eq "read back" "x;=cmd|'/C calc'!A0" \
    "$(python3 -c 'import csv; print(list(csv.reader(open("r.csv", newline="")))[1][0])')"
}

test_html_page_is_valid_utf8_whatever_the_rules_write() {
  # texts that reach the page without being cells (a series group, a
  # title, a failing row's message) hold bytes that are not UTF-8
  clients_config "[{name: name, type: text}]" "limits: {memory_mb: 16, instructions: 100000}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T\xff", doc = "d\xfe",
  columns = { { id = "name", label = "Name\xff", type = "text" } },
  series = { title = "S\xc3", type = "integer" },
  row = function(c, month, alerts)
    if c.id == "C2" then error("bad \xff row") end
    return { name = c.name, series = { group = "g\xff\xe4\xb8", values = {1,2,3,4,5,6,7,8,9,10,11,12} } }
  end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "valid UTF-8" ok "$(python3 -c "open('r.html','rb').read().decode('utf-8'); print('ok')" 2>&1 | tail -1)"
  expect_contains "series group" "g"$'\xef\xbf\xbd\xef\xbf\xbd' "$(cat r.html)"
}

test_html_page_has_no_control_characters_whatever_the_rules_write() {
  # a control character (C0 but tab, line feed, form feed and carriage
  # return; DEL; C1) is not allowed in an HTML page, even as &#1;: a title
  # or cell holding one (an ESC from a legacy export) made the page invalid
  clients_config "[{name: name, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A'||char(1,27)||'[2J','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T\1\27[31m\127\u{85}<", doc = "d",
  columns = { { id = "name", label = "Name\8", type = "text" } },
  row = function(c, month, alerts) return { name = c.name .. "\t\2" } end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "no control characters" 0 "$(LC_ALL=C grep -c $'[\x01-\x08\x0b\x0e-\x1f\x7f]\\|\xc2[\x80-\x9f]' r.html)"
  expect_contains "title" "T"$'\xef\xbf\xbd\xef\xbf\xbd'"[31m"$'\xef\xbf\xbd\xef\xbf\xbd'"&lt;" "$(cat r.html)"
  expect_contains "cell" "A"$'\xef\xbf\xbd\xef\xbf\xbd'"[2J"$'\t\xef\xbf\xbd'"</td>" "$(cat r.html)"
}

test_a_failing_row_is_listed_on_the_html_page_and_the_page_completes() {
  custom_report '    if c.id == "C2" then error("no row for " .. c.name) end
    return { name = c.name, n = alerts.warning }'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:6: no row for B (report t, client C2)" "$ERR"
  html=$(cat r.html)
  expect_contains "failure listed" "r.lua:6: no row for B (report t, client C2)" "$html"
  expect_contains "rows" "<td class=\"t\">A</td>" "$html"
  expect_contains "rows" "<td class=\"t\">C</td>" "$html"
}

test_a_failing_row_keeps_the_csv_there_was() {
  custom_report '    if c.id == "C2" then error("no row for " .. c.name) end
    return { name = c.name, n = alerts.warning }'
  printf 'last month\r\n' > r.csv
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:6: no row for B (report t, client C2)
crmpolicy: report: 1 row failed; r.csv was not written (a CSV cannot show that; the HTML page lists them)" "$ERR"
  expect_eq "stdout" "" "$OUT"
  expect_eq "csv" "$(printf 'last month\r\nx')" "$(cat r.csv; echo x)"
  expect_eq "leftovers" "r.csv" "$(ls | grep '^r\.csv')"
}

# envprobe: a report that could not be written (a full disk; here a file
# size limit) said "report: writing the page: ..." and not which file; the
# file there before is kept whole.
test_a_report_that_cannot_be_written_names_its_file_and_keeps_the_old_one() {
  # rows of 40 KB each, and a limit of 64 KB (room for the state's -shm)
  custom_report '    return { name = string.rep(c.name, 40000), n = alerts.warning }'
  printf 'last month\n' > r.html
  OUT=$( (trap '' XFSZ; ulimit -f 64; "$CRMPOLICY" report --config c.yaml --as-of 2026-06-30 \
    -o r.html --quiet) 2>"$T/stderr")
  RC=$?
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: report: writing a temporary file: File too large
crmpolicy: report: r.html was not written (a file there before is kept as it was)" "$(cat "$T/stderr")"
  expect_eq "the old file" "last month" "$(cat r.html)"
  expect_eq "leftovers" "r.html" "$(ls | grep '^r\.html')"
}

test_a_date_cell_out_of_the_calendar_fails_its_row() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/{ id = "n", label = "N", type = "integer" }/{ id = "n", label = "N", type = "date" }/' r.lua
  sed -i 's/n = 1 }/n = c.id == "C2" and math.maxinteger or 20000 }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: column 'n' (date) got 9223372036854775807, not a day from 0000-01-01 to 9999-12-31 (report t, client C2)" "$ERR"
  expect_contains "a sound date" '<td class="t">A</td><td>2024-10-04</td>' "$(cat r.html)"
}

test_a_config_without_locale_gets_english() {
  custom_report '    return { name = c.name, n = alerts.warning }'
  cp_run report --config c.yaml --as-of 2026-06-15 -o r.html
  expect_eq "exit" 0 "$RC"
  expect_eq "summary" "r.html: report t for 2026-06, facts as of 2026-06-15: 3 rows, 0 failed" "$OUT"
  html=$(cat r.html)
  expect_contains "lang" '<html lang="en">' "$html"
  expect_contains "meta" 'Month 2026-06 (2026-06-01 to 2026-06-30) &middot; facts as of 2026-06-15 &middot; 3 rows &middot; <strong>month in progress: figures to 2026-06-15' "$html"
  expect_contains "alerts caption" 'Open alerts by rule and severity <span>no run of the state database is as of this date or earlier' "$html"
}

test_a_row_reads_its_clients_open_alerts_by_rule() {
  custom_report '    return { name = c.name .. " " .. tostring(alerts.rules.late) .. "/" .. tostring(alerts.rules.open) .. "/" .. tostring(alerts.rules.r), n = alerts.warning }'
  cat >> r.lua <<'LUA'
rule { id = "late", doc = "d", fn = function(c)
  if c.id ~= "C3" then alert { severity = "warning", key = "a" } alert { severity = "info", key = "b" } end
end }
rule { id = "open", doc = "d", fn = function(c)
  if c.id == "C1" then alert { severity = "warning" } end
end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-07-01 --quiet
  cp_run report --config c.yaml --as-of 2026-07-01 --format csv -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "by rule" "A 2/1/nil,2|B 2/nil/nil,1|C nil/nil/nil,0" "$(tail -n +2 r.csv | tr -d '\r' | paste -sd'|')"
}

# authfix: a misspelt alerts.critcal was nil, an empty column and empty
# totals, exit 0, where a misspelt c.regionn is an error: a key that the
# alerts or the month argument lacks is the row's error, naming the key and
# the fields there are; an id of alerts.rules that no rule declares too.
test_a_misspelt_field_of_alerts_or_month_fails_the_row() {
  custom_report '    return { name = c.name, n = alerts.critcal }'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "alerts: exit" 1 "$RC"
  expect_eq "alerts: message" "crmpolicy: r.lua:6: alerts has no field 'critcal' (fields: info warning critical rules) (report t, client C1)" \
    "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "alerts: every row" 3 "$(printf '%s\n' "$ERR" | grep -c "no field 'critcal'")"
  local read msg
  while IFS='|' read -r read msg; do
    sed -i "6s/.*/    return { name = c.name, n = $read }/" r.lua
    cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
    expect_eq "$read: exit" 1 "$RC"
    expect_eq "$read: message" "crmpolicy: r.lua:6: $msg (report t, client C1)" "$(printf '%s\n' "$ERR" | head -1)"
  done <<'EOF2'
month.last - month.throuhg|month has no field 'throuhg' (fields: name first last through in_progress prev year_ago series)
month.prev.in_progress and 1|month.prev has no field 'in_progress' (fields: name first last through)
month.year_ago.frist|month.year_ago has no field 'frist' (fields: name first last through)
month.series[12].lats|month.series[12] has no field 'lats' (fields: name first last through)
month.series.first|month.series has no field 'first' (it is a list of 12 months, month.series[1] to month.series[12])
alerts.rules["visit.acount"]|alerts.rules: no rule 'visit.acount' is declared (rules: 'r')
EOF2
  # every documented read still works: a rule with no open alert is nil,
  # a list ends with nil, and the arguments iterate as before
  cat > body.lua <<'LUA'
    local n, s, k = 0, 0, {}
    for _, m in ipairs(month.series) do n = n + 1 end
    for f in pairs(alerts) do k[#k + 1] = f end
    table.sort(k)
    for _, f in ipairs({ "info", "warning", "critical" }) do s = s + alerts[f] end
    return { name = table.concat(k, " ") .. " " .. tostring(alerts.rules.r) .. " " ..
      tostring(month.series[13]) .. " " .. tostring(alerts[1]) .. " " .. tostring(month.in_progress) ..
      " " .. month.prev.name .. " " .. month.year_ago.name .. " " .. month.series[1].name, n = n * 100 + s }
LUA
  sed -i -e '5r body.lua' -e '6d' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "valid reads: exit" 0 "$RC"
  expect_eq "valid reads: stderr" "" "$ERR"
  expect_eq "valid reads" "critical info rules warning nil nil nil false 2026-05 2025-06 2025-07,1200" "$(sed -n 2p r.csv | tr -d '\r')"
}

test_a_value_of_the_wrong_type_names_its_column() {
  custom_report '    return { name = c.name, n = 1.5 }'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "crmpolicy: r.lua:2: column 'n' (integer) got 1.5 (report t, client C1)" "$ERR"
}

# 0/0 in an integer column was said "got -nan" (the C library's words, a
# sign that means nothing): NaN, as in a percent column.
test_nan_in_an_integer_column_is_said_nan() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/n = 1 }/n = c.id == "C2" and 0\/0 or 1 }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: column 'n' (integer) got NaN (report t, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
}

# probe-af: a finite fraction whose percent is not (1e308) showed "inf%".
test_a_fraction_too_large_to_show_as_a_percent_names_its_column() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/{ id = "n", label = "N", type = "integer" }/{ id = "n", label = "N", type = "percent" }/' r.lua
  sed -i 's/n = 1 }/n = c.id == "C2" and 1e308 or 0.5 }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: column 'n' (percent) got 1e+308: a percent cell is a fraction (0.25 for 25.00%) at most 10000000000000 in size (report t, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
}

# probe-aj: a percent or ratio-change cell of 1e300 printed a 300-digit
# percent; such a cell is bounded as a series value is (10^15 shown)
test_a_percent_or_change_past_its_bound_fails_its_row() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/{ id = "n", label = "N", type = "integer" }/{ id = "n", label = "N", type = "ratio-change" }/' r.lua
  sed -i 's/n = 1 }/n = ({ C1 = -1e13, C2 = 1e300, C3 = 0\/0 })[c.id] }/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: column 'n' (ratio-change) got 1e+300: a ratio-change cell is a fraction (0.25 for 25.00%) at most 10000000000000 in size (report t, client C2)
crmpolicy: r.lua:2: column 'n' (ratio-change) got NaN: a ratio-change cell is a fraction (0.25 for 25.00%) at most 10000000000000 in size (report t, client C3)" "$(printf '%s\n' "$ERR" | head -2)"
  sed -i 's/C2 = 1e300, C3 = 0\/0/C2 = 1e13 + 1, C3 = 0.5/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_contains "just past" "column 'n' (ratio-change) got 10000000000001.0: a ratio-change cell" "$ERR"
  sed -i 's/C2 = 1e13 + 1/C2 = 1e13/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "at the bound: exit" 0 "$RC"
  expect_eq "at the bound: shown" "A,-1000000000000000.00%|B,+1000000000000000.00%|C,+50.00%" "$(tail -n +2 r.csv | tr -d '\r' | paste -sd'|')"
}

test_series_that_add_up_past_a_number_fail_the_row_that_tips_them() {
  custom_report '    local v = {} for i = 1, 12 do v[i] = 6e14 end
    return { name = c.name, n = 1, series = { group = "g", values = v } }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: series group 'g': with this row its month 1 adds up past 1000000000000000, more than the chart can draw (report t, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "no NaN drawn" "" "$(grep -o 'nan' r.html | head -1)"
  expect_eq "no wrapped label" "" "$(grep -o '9,223,372\|-92,233' r.html | head -1)"
}

test_a_series_value_too_large_to_draw_fails_its_row() {
  custom_report '    local v = {} for i = 1, 12 do v[i] = c.id == "C2" and 1e30 or 5 end
    return { name = c.name, n = 1, series = { group = "g", values = v } }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: a row's series must be {group = name, values = {12 numbers, oldest month first, each at most 1000000000000000 in size}} (report t, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
}

test_series_groups_show_their_labels_in_the_legend() {
  custom_report '    local v = {} for i = 1, 12 do v[i] = 1 end
    return { name = c.name, n = 1, series = { group = c.id == "C1" and "north" or "south", values = v } }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  printf 'labels:\n  series: {north: 北区}\n' >> c.yaml
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet --force
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "legend: a label, and a group without one as itself" "北区|south" \
    "$(sed '/<\/svg>/q' r.html | grep -o '<text x="[0-9.]*" y="[0-9.]*" font-size="12">[^<]*' | sed 's/.*>//' | paste -sd'|')"
  expect_contains "a point's title" "<title>北区 2026-06: 1</title>" "$(cat r.html)"
}

test_groups_past_the_charts_lines_fold_into_other_groups_and_the_legend_wraps() {
  custom_report '    local v = {} for i = 1, 12 do v[i] = 1 end
    return { name = c.name, n = 1, series = { group = "region " .. c.id, values = v } }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  sqlite3 f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C4','D','active','2026-01-01'), ('C5','E','active','2026-01-01'),
    ('C6','F','active','2026-01-01'), ('C7','G','active','2026-01-01'),
    ('C8','H','active','2026-01-01'), ('C9','I','active','2026-01-01'),
    ('C10','J','active','2026-01-01');"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet --force
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit: no row lost" 0 "$RC"
  expect_contains "rows" "10 rows" "$(cat r.html)"
  expect_eq "lines" 8 "$(grep -c '<polyline ' r.html)"
  # C1, C10, C2 ... C6 in the clients' order: C7, C8 and C9 fold into one line
  expect_eq "legend" "region C1|region C10|region C2|region C3|region C4|region C5|region C6|other groups" \
    "$(sed '/<\/svg>/q' r.html | grep -o '<text x="[0-9.]*" y="[0-9.]*" font-size="12">[^<]*' | sed 's/.*>//' | paste -sd'|')"
  expect_contains "the other groups' sum" "<title>other groups 2026-06: 3</title>" "$(cat r.html)"
  expect_eq "legend rows" "16.0|36.0" "$(grep -o '<circle cx="[0-9.]*" cy="[0-9.]*" r="3.5" fill="#[0-9a-f]*"/><text' r.html | sed 's/.*cy="\([0-9.]*\)".*/\1/' | sort -u | paste -sd'|')"
  expect_contains "the chart grows by a row" 'viewBox="0 0 640 360"' "$(cat r.html)"
  # when report{} declares all 8 lines, a ninth group is the row's error
  sed -i 's/type = "integer" },$/type = "integer", groups = { "a", "b", "c", "d", "e", "f", "g", "h" } },/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "r.lua:2: series group 'region C1' is not one of the 8 that report{} declares, which take every line of the chart (report t, client C1)" "$ERR"
}

test_series_groups_named_twice_or_with_a_nul_are_refused() {
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer", groups = { "x", "y", "x" } },\n&/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "twice" "report{}: series 'groups' names 'x' twice" "$ERR"
  sed -i 's/groups = { "x", "y", "x" }/groups = { "x", "y\\0z" }/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "NUL" "report{}: series group 2 holds a NUL byte" "$ERR"
}

test_a_column_id_with_a_nul_is_refused() {
  # column 'n\0x' was filled by the row's key 'n', and left empty by 'n\0x'
  custom_report '    return { name = c.name, n = 1 }'
  sed -i 's/{ id = "n", label = "N"/{ id = "n\\0x", label = "N"/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "NUL" "r.lua:2: report{}: column id 'n\\0...' holds a NUL byte" "$ERR"
}

test_a_row_or_columns_from_a_view_read_as_their_tables() {
  custom_report '    return c.cells'
  cat >> r.lua <<'LUA'
derive { id = "cells", doc = "The row.", fn = function(c)
  return { name = c.name, n = 5, series = { group = "g", values = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } } }
end }
LUA
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "rows" "A,5|B,5|C,5" "$(tail -n +2 r.csv | tr -d '\r' | paste -sd'|')"
  printf 'params:\n  cols: [{id: name, label: Client, type: text}, {id: n, label: Count, type: integer}]\n' >> c.yaml
  sed -i 's/^  columns = {.*/  columns = params.cols,/; /^              { id = "n"/d' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit (columns from params)" 0 "$RC"
  expect_eq "header" "Client,Count" "$(head -1 r.csv | tr -d '\r')"
}

test_a_series_group_with_a_nul_byte_fails_its_row() {
  custom_report '    local v = {} for i = 1, 12 do v[i] = 1 end
    return { name = c.name, n = 1, series = { group = c.id == "C1" and "a\0b" or "a\0c", values = v } }'
  sed -i 's/^  row = function/  series = { title = "S", type = "integer" },\n&/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: a row's series group holds a NUL byte (report t, client C1)" "$(printf '%s\n' "$ERR" | head -1)"
}

test_rows_run_under_the_instruction_budget() {
  custom_report '    while true do end'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 1 "$RC"
  expect_contains "message" "r.lua:6: instruction budget of 100000 exceeded (report t, client C3)" "$ERR"
}

test_a_row_out_of_budget_for_a_hundred_clients_in_a_row_is_no_longer_computed() {
  # As a run skips such a rule: each call would spend the whole budget.
  custom_report '    if c.id == "C050" then return { name = c.name, n = 1 } end
    while true do end'
  sqlite3 f.db "DELETE FROM clients;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 260)
    INSERT INTO clients(id, name, status, created_on)
      SELECT printf('C%03d', i), 'N', 'active', '2026-01-01' FROM n;"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "exit" 1 "$RC"
  # C050 ends the first streak: 100 in a row from C051 to C150
  expect_eq "notice, past the 20 printed" "crmpolicy: r.lua:7: instruction budget of 100000 exceeded (report t, client C150); it ran out of its budget or memory for 100 clients in a row, so no later client's row is computed (each fails)" \
    "$(printf '%s\n' "$ERR" | tail -1)"
  expect_eq "printed" 22 "$(printf '%s\n' "$ERR" | wc -l)"
  expect_contains "on the page" "so no later client" "$(cat r.html)"
  expect_contains "the count on the page" "rows not computed: 259" "$(cat r.html)"
}

# authfix: the summary said "1234 rows" where run says "1,234 clients": the
# report's counts have the same thousands separators, on the terminal and on
# the page (its meta line, the alerts caption, the failures' title).
test_the_summary_and_the_page_count_with_thousands_separators() {
  custom_report '    if c.id > "C0233" and c.id < "C1235" then error("no row") end
    return { name = c.name, n = 1 }'
  sqlite3 f.db "DELETE FROM clients;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234)
    INSERT INTO clients(id, name, status, created_on)
      SELECT printf('C%04d', i), 'N', 'active', '2026-01-01' FROM n;"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet
  sed -i 's/c.id < "C1235"/c.id < "C0001"/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv
  expect_eq "all rows: exit" 0 "$RC"
  expect_eq "all rows: summary" "r.csv: report t for 2026-06, facts as of 2026-06-30: 1,234 rows, 0 failed" "$OUT"
  sed -i 's/c.id < "C0001"/c.id < "C1235"/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html
  expect_eq "failed rows: exit" 1 "$RC"
  expect_eq "failed rows: summary" "r.html: report t for 2026-06, facts as of 2026-06-30: 233 rows, 1,001 failed" "$OUT"
  expect_eq "the meta line" '233 rows &middot; <strong>rows not computed: 1,001</strong>' \
    "$(grep -o '233 rows &middot; <strong>[^/]*/strong>' r.html)"
  expect_eq "the failures' title" '<h2>Rows not computed: 1,001</h2>' "$(grep -o '<h2>Rows not computed: [^<]*</h2>' r.html)"
  sed -i 's/c.id > "C0233"/c.id > "C9999"/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "the alerts caption" 'the 1,234 clients of the table, after run 2 as of 2026-06-30 (all clients: 0 open alerts)' \
    "$(grep -o 'the [0-9,]* clients of the table[^<]*' r.html)"
  sed -i 's/c.id > "C9999"/c.id > "C0233"/' r.lua
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "a CSV not written: exit" 1 "$RC"
  expect_eq "a CSV not written: message" "crmpolicy: report: 1,001 rows failed; r.csv was not written (a CSV cannot show that; the HTML page lists them)" "$(printf '%s\n' "$ERR" | tail -1)"
}

# English texts the engine writes for people (engine/locale.c, en), and the
# reference policy's ids: none may show in a zh-CN page or CSV.
ENGLISH='Month|facts as of|rows|month in progress|summed over|hollow point|yuan|no rows|Open alerts|the table|after run|all clients|no run|no open alerts|Rows not computed|info|warning|critical|strategic|key|quality|delivery|service|complaint\.|contact\.|visit\.|survey\.|credit\.|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|report|evaluated|events|open now|alert|assignment|failed'

# Prints the text of an HTML page that people read: its text and its
# aria-label and title values, without the style sheet.
page_text() {
  python3 -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    skip = False
    def handle_starttag(self, tag, attrs):
        self.skip = tag == "style"
        for k, v in attrs:
            if k == "aria-label": print(v)
    def handle_data(self, d):
        if not self.skip: print(d)
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())' "$1"
}

test_zh_report_and_run_summary_have_no_english_engine_text() {
  tiny_facts && tiny_state
  report --as-of 2026-11-15 --month 2026-10 -o r.html
  expect_eq "html exit" 0 "$RC"
  report --as-of 2026-11-15 -o r.csv
  expect_eq "csv exit" 0 "$RC"
  # client C2's name is data, not engine text
  found=$(page_text r.html | grep -v 'Acme' | grep -oEw "$ENGLISH" | sort -u | tr '\n' ' ')
  expect_eq "english in the page" "" "$found"
  found=$(grep -v 'Acme' r.csv | grep -oEw "$ENGLISH" | sort -u | tr '\n' ' ')
  expect_eq "english in the csv" "" "$found"
  cp_run run --config "$DEMO_CONFIG" --facts f.db --state s2.db --as-of 2026-10-31
  expect_eq "run exit" 0 "$RC"
  expect_contains "run summary" "第 1 次运行（截至 2026-10-31）：评估 3 家客户" "$OUT"
  found=$(printf '%s\n' "$OUT" | grep -v '状态库' | grep -oEw "$ENGLISH|clients|run" | sort -u | tr '\n' ' ')
  expect_eq "english in the run summary" "" "$found"
  cp_run report --config "$DEMO_CONFIG" --facts f.db --state s.db --as-of 2026-10-31 -o r2.csv
  expect_eq "report summary" "r2.csv：报告 monthly，2026年10月，数据截至 2026年10月31日：2 行，失败 0 行" "$OUT"
}

# Writes f.db for a month in progress: C1 (strategic) orders on the 5th and
# the 20th around 2026-11-15; C2 (key) orders only after the 15th of October.
progress_facts() {
  facts_db f.db "
INSERT INTO clients(id,name,status,strategic_partner,approved_tier,created_on) VALUES
  ('C1','甲','active',1,NULL,'2020-01-01'), ('C2','乙','active',0,'key','2020-01-01');
INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
  ('O1','C1','2026-10-05',100), ('O2','C1','2026-10-20',900), ('O3','C1','2026-11-05',150),
  ('O4','C1','2025-11-03',50), ('O5','C1','2025-11-25',1000), ('O6','C2','2026-10-20',700);"
}

test_a_month_in_progress_is_marked_and_compared_like_for_like() {
  progress_facts && tiny_state
  report --as-of 2026-11-15 -o r.csv
  expect_eq "exit" 0 "$RC"
  expect_eq "month to date against the same days" "C1,150.00,100.00,50.00,+50.00%,+200.00%|C2,0.00,0.00,0.00,,|" \
    "$(tail -n +2 r.csv | tr -d '\r' | cut -d, -f1,5-9 | tr '\n' '|')"
  report --as-of 2026-11-15 -o r.html
  html=$(cat r.html)
  case "$html" in *"-100.00%"*) fail "a month in progress shows -100.00%" ;; esac
  expect_contains "marked" '本月未结束：数据截至 2026年11月15日</strong>' "$html"
  # how the rows compare is the report's to say (its doc), not the engine's
  # (policy-s: a report that compares nothing was said to compare)
  expect_eq "no claim of comparing" 0 "$(grep -c '同期（相同天数）比较</strong>' r.html)"
  expect_contains "axis" '至15日' "$html"
  expect_contains "hollow point" '<circle cx="608.0" cy="' "$html"
  expect_eq "hollow points" 2 "$(grep -c 'r="5" fill="#fff"' r.html)"
  expect_eq "line ends before the month" 11 \
    "$(grep -m1 '<polyline ' r.html | grep -oE '[0-9.]+,[0-9.]+' | wc -l)"
  report --as-of 2026-11-30 -o full.html
  expect_eq "a complete month: no hollow point" 0 "$(grep -c 'r="5" fill="#fff"' full.html)"
}

test_a_finished_month_compares_with_whole_other_months() {
  # days of prev and year_ago counted through `through`: a finished June
  # (30 days) against the whole of May (31) and of June 2025 (30); in
  # progress, the same number of days
  custom_report '    return { name = c.name, n = (month.prev.through - month.prev.first + 1) * 100
      + (month.year_ago.through - month.year_ago.first + 1) }'
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "finished month" "A,3130" "$(sed -n 2p r.csv | tr -d '\r')"
  cp_run report --config c.yaml --as-of 2026-07-31 --month 2026-03 -o r.csv --quiet
  expect_eq "March against the whole of February" "A,2831" "$(sed -n 2p r.csv | tr -d '\r')"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-07-15 --quiet
  cp_run report --config c.yaml --as-of 2026-07-15 -o r.csv --quiet
  expect_eq "in progress: like for like" "A,1515" "$(sed -n 2p r.csv | tr -d '\r')"
}

test_alerts_table_shows_the_labels_and_machine_formats_do_not() {
  tiny_state
  cp_run alerts --config "$DEMO_CONFIG" --state s.db
  expect_eq "exit" 0 "$RC"
  expect_contains "head" "客户" "$(printf '%s\n' "$OUT" | head -1)"
  expect_contains "rule label" "投诉未及时响应" "$OUT"
  expect_contains "severity" "严重" "$OUT"
  found=$(printf '%s\n' "$OUT" | grep -oEw "$ENGLISH|CLIENT|RULE|TITLE" | sort -u | tr '\n' ' ')
  expect_eq "english in the table" "" "$found"
  cp_run alerts --config "$DEMO_CONFIG" --state s.db --format jsonl
  expect_contains "jsonl keeps ids" '"rule":"complaint.response"' "$OUT"
  cp_run alerts --config "$DEMO_CONFIG" --state s.db --format alertmanager
  expect_contains "alertmanager: label annotation, ids as labels" \
    '"labels":{"alertname":"complaint.response","rule":"complaint.response","client_id":"C1","key":"K1","severity":"critical"},"annotations":{"summary":"t","level":"3","rule_label":"投诉未及时响应",' "$OUT"
  cp_run alerts --state s.db
  expect_contains "no config: ids" "complaint.response" "$OUT"
}

test_assignments_table_shows_the_labels_in_the_locale() {
  tiny_state
  sqlite3 s.db "INSERT INTO assignments(fingerprint,rule,client_id,key,kind,assignee,data,status,opened_at,updated_at,run_id)
    VALUES ('g','tier.review','C1','','tier_approval','S9','{}','proposed','x','x',1)"
  cp_run assignments --config "$DEMO_CONFIG" --state s.db
  expect_eq "exit" 0 "$RC"
  expect_eq "head" "客户       规则               键                   类型           负责人   数据" \
    "$(printf '%s\n' "$OUT" | head -1)"
  expect_contains "labels" "C1         客户级别待审核                          客户级别审批   S9       {}" "$OUT"
  cp_run assignments --config "$DEMO_CONFIG" --state s.db --format csv
  expect_contains "csv keeps ids" "C1,tier.review,,tier_approval,S9" "$OUT"
}

test_long_labels_widen_the_rule_column_up_to_40() {
  tiny_state
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: []}\nlabels:\n  rules:\n    credit.risk: Credit risk above the limit for the client\n    visit.account: Account manager visit overdue\n' > c.yaml
  cp_run alerts --config c.yaml --state s.db
  expect_eq "exit" 0 "$RC"
  expect_eq "head" "CLIENT     RULE$(printf '%36s') KEY        SEVERITY LVL  ASSIGNEE TITLE" \
    "$(printf '%s\n' "$OUT" | head -1)"
  expect_contains "a 29-column label whole" "C1         Account manager visit overdue  " "$OUT"
  expect_contains "a 43-column label cut at 40" "C0         Credit risk above the limit for the cli… " "$OUT"
}

test_locale_and_labels_are_checked() {
  clients_config "[{name: name, type: text}]" "locale: fr"
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "locale" "c.yaml:" "$ERR"
  expect_contains "locale value" "fr" "$ERR"
  clients_config "[{name: name, type: text}]" "labels: {rules: [a, b]}"
  cp_run check --config c.yaml
  expect_eq "labels exit" 2 "$RC"
  expect_contains "labels" "labels: 'rules' must be a mapping of ids to labels" "$ERR"
  clients_config "[{name: name, type: text}]" "labels:
  rules:
  tiers: {gold: 金牌}"
  cp_run check --config c.yaml
  expect_eq "an empty section: exit" 2 "$RC"
  expect_contains "an empty section" "labels: 'rules' must be a mapping of ids to labels (an empty one is written {}: an empty value is null)" "$ERR"
}

# Installs Chromium and a CJK font when either is missing (as root: CI is);
# fails when that is impossible.
need_chromium() {
  command -v chromium >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    fail "chromium or a CJK font is missing; run: sudo apt-get install -y chromium fonts-noto-cjk"
    return 1
  fi
  if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
           chromium fonts-noto-cjk; } > apt.log 2>&1; then
    fail "apt-get install chromium fonts-noto-cjk failed:"
    tail -5 apt.log >&2
    return 1
  fi
  [ -n "$(fc-list :lang=zh)" ] || { fail "no CJK font after installing fonts-noto-cjk"; return 1; }
}

# chromium ARGS...: headless Chromium with no network, profile or sandbox.
chromium_run() {
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" \
    "$@" 2>/dev/null
}

test_chromium_renders_both_charts() {
  need_chromium || return
  tiny_facts && tiny_state
  report --as-of 2026-10-31 --format html -o r.html
  expect_eq "exit" 0 "$RC"
  chromium_run --screenshot="$T/r.png" --window-size=1400,2000 "file://$T/r.html" > /dev/null
  [ -s r.png ] || { fail "no screenshot"; return; }
  # Count the pixels of each chart colour in the screenshot, decoding the PNG
  # with Chromium itself (a canvas in a second page), so the test needs nothing
  # that Chromium does not bring.
  { cat "$ROOT/tests/report/pixels.html"
    printf '<img id="shot" src="data:image/png;base64,'; base64 -w0 r.png; printf '">\n'
  } > check.html
  counts=$(chromium_run --virtual-time-budget=20000 --dump-dom "file://$T/check.html" |
           sed -n 's/.*<pre id="counts">\(.*\)<\/pre>.*/\1/p')
  for colour in strategic key critical warning info; do
    n=$(printf '%s\n' "$counts" | tr ' ' '\n' | sed -n "s/^$colour=//p")
    [ "${n:-0}" -ge 300 ] || fail "$colour: ${n:-no} pixels of its colour in the screenshot ($counts)"
  done
}

test_the_table_fits_1400_px_with_a_short_head_and_a_sticky_first_column() {
  need_chromium || return
  tiny_facts && tiny_state
  sqlite3 f.db "INSERT INTO clients(id,name,status,strategic_partner,created_on) VALUES
    ('C5','深圳市某某某某电梯安装维修工程有限公司','active',1,'2020-01-01');
  INSERT INTO orders(id,client_id,ordered_on,amount,due_on,delivered_on) VALUES
    ('P1','C5','2026-10-02',296543091.63,'2026-10-09','2026-10-09'),
    ('P2','C5','2026-09-02',196543091.63,NULL,NULL), ('P3','C5','2025-10-02',96543091.63,NULL,NULL);
  INSERT INTO complaints(id,client_id,category,severity,opened_at) VALUES
    ('K9','C5','technical','low','2026-10-05T09:00:00'), ('K8','C5','billing','low','2026-10-06T09:00:00');"
  report --as-of 2026-10-31 -o r.html
  expect_eq "exit" 0 "$RC"
  cp "$ROOT/tests/report/fit.html" fit.html
  got=$(chromium_run --allow-file-access-from-files --virtual-time-budget=10000 --dump-dom \
          "file://$T/fit.html" | sed -n 's/.*<pre id="w">\(.*\)<\/pre>.*/\1/p')
  scroll=$(printf '%s' "$got" | sed -n 's/.*scroll=\([0-9]*\).*/\1/p')
  head=$(printf '%s' "$got" | sed -n 's/.*head=\([0-9]*\).*/\1/p')
  [ -n "$scroll" ] && [ "$scroll" -le 1400 ] || fail "the page scrolls sideways at 1400 px ($got)"
  [ -n "$head" ] && [ "$head" -le 60 ] || fail "the table head is taller than two lines ($got)"
  expect_contains "sticky first column" "sticky=sticky" "$got"
}


test_dash_writes_the_report_whole_to_standard_output() {
  custom_report '    return { name = c.name, n = alerts.warning }'
  cp_run report --config c.yaml --as-of 2026-06-30 --format csv -o -
  expect_eq "exit" 0 "$RC"
  expect_eq "the csv on standard output" "$(printf 'Name,N\r\nA,0\r\nB,0\r\nC,0\r\n')" "$OUT"
  expect_contains "the summary on standard error" "standard output: report t for" "$ERR"
  expect_eq "no file named -" "" "$(ls -- - 2>/dev/null)"
  cp_run report --config c.yaml --as-of 2026-06-30 -o -
  expect_eq "no format: exit" 2 "$RC"
  expect_contains "no format: message" "--format csv|html is required" "$ERR"
}

test_dash_gets_nothing_when_a_row_fails() {
  # a failing row: a CSV cannot show it, so standard output gets nothing
  custom_report '    if c.id == "C2" then error("no row for " .. c.name) end
    return { name = c.name, n = alerts.warning }'
  cp_run report --config c.yaml --as-of 2026-06-30 --format csv -o -
  expect_eq "a failed row: exit" 1 "$RC"
  expect_eq "a failed row: nothing written" "" "$OUT"
  expect_contains "a failed row: the message" "report: 1 row failed; standard output got nothing (a CSV cannot show that" "$ERR"
}

test_an_output_over_the_configs_own_facts_or_state_is_refused_under_other_ones() {
  # --facts and --state stand in for the config's this once; its own files
  # are still the nightly run's (policy-o overwrote its facts with a CSV)
  custom_report '    return { name = c.name, n = 1 }'
  cp f.db g.db && cp s.db t.db
  local before; before=$(md5sum < f.db)
  cp_run report --config c.yaml --facts g.db --state t.db --as-of 2026-06-30 --format csv -o f.db
  expect_eq "the config's facts: exit" 2 "$RC"
  expect_eq "the config's facts: message" "crmpolicy: report: -o: f.db is the config's facts database (f.db); the report needs a file of its own" "$ERR"
  expect_eq "the config's facts untouched" "$before" "$(md5sum < f.db)"
  cp_run report --config c.yaml --facts g.db --state t.db --as-of 2026-06-30 --format csv -o s.db-wal
  expect_eq "the config's state's WAL: exit" 2 "$RC"
  expect_contains "the config's state's WAL" "is the config's state database's WAL (s.db-wal)" "$ERR"
}

test_an_empty_output_name_is_a_usage_error() {
  custom_report '    return { name = c.name, n = 1 }'
  cp_run report --config c.yaml --as-of 2026-06-30 --format csv -o ''
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: report: -o: the file name is empty (give a file, or - for standard output)" "$ERR"
}

run_tests
