#!/usr/bin/env bash
# tests/author/test_small_traps.sh: a generated column of the facts is
# declared like any other; `empty_array` writes [] in data where {} is an
# object; `empty_array` is not `null` in a condition; rows with equal order
# values come in the order they were written (rowid), with an index or without;
# a derived value cannot report (it would report for whichever rule read it
# first); a row index that is a whole float (rows[n / 2]) reads the row,
# as a filtered list's does.
# params read YAML's False, TRUE and NULL as booleans and nil, not as texts.
. "$(dirname "$0")/common.sh"

# A rule file that starts with "#!" (a script's first line, which lua
# itself skips) loads, its lines counted from 1: it was refused with
# "unexpected symbol near '#'".
test_a_first_line_that_starts_with_a_hash_is_skipped_as_lua_skips_it() {
  clients_config "[{name: status, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01')"
  printf '#!/usr/bin/env lua\nrule { id = "r.a", doc = "d", fn = function(c)\n  error("on line 3")\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:3: on line 3 (rule r.a, client C1)" "$ERR"
}

test_a_derived_value_that_reports_fails_naming_it() {
  clients_config "[{name: status, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01')"
  cat > r.lua <<'EOF'
derive { id = "x", doc = "d", fn = function(c) alert { severity = "info", title = "t" } return 1 end }
rule { id = "r.a", doc = "d", fn = function(c) local v = c.x end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:1: alert{}: derived value 'x' reports nothing: a derived value is computed once for every rule that reads it; report from a rule{} (in derived value 'x') (rule r.a, client C1)" "$ERR"
  expect_eq "nothing reported" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_rows_as_text_are_the_same_every_run() {
  # tostring of rows, a row and a filtered list never shows an address: a
  # title holding one would change, and be updated, every night
  clients_config "[{name: status, type: text}]" "tables:" \
    "  - {name: orders, key: client_id, id: id, columns: [{name: id, type: text}]}" \
    "  - {name: contacts, key: client_id, columns: [{name: level, type: text}]}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O7','C1','2026-05-01',1), ('O8','C1','2026-05-02',2);
    INSERT INTO contacts(id,client_id,level,channel,happened_at) VALUES ('V1','C1','account','visit','2026-05-01 10:00:00');"
  cat > r.lua <<'EOF'
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = table.concat({ tostring(c.orders), tostring(c.orders[2]),
    tostring(c.contacts), tostring(c.contacts[1]), tostring(c.orders:filter({ id = "O7" })),
    tostring(c.contacts:filter({ level = "none" })), tostring(c) }, " / ") }
end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "title" "<2 rows of orders> / orders row O8 / <1 row of contacts> / contacts row #1 / <1 row> / <0 rows> / client C1" \
    "$(sqlite3 s.db "SELECT title FROM alerts")"
}

test_frozen_lists_as_text_are_the_same_every_run() {
  # a list made read-only (a derived value, a run value, a list of a by()
  # map) reads as the list it shows, as a filtered list does: it gave the
  # view's address, so a title holding one was updated every night
  clients_config "[{name: status, type: text}]" "tables:" \
    "  - {name: orders, key: client_id, id: id, columns: [{name: id, type: text}, {name: amount, type: money}]}" \
    "lookups:" "  - {name: staff, id: id, columns: [{name: id, type: text}, {name: role, type: text}]}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O7','C1','2026-05-01',1), ('O8','C1','2026-05-02',1);
    INSERT INTO staff(id,name,role) VALUES ('S1','a','kam'), ('S2','b','rep');"
  cat > r.lua <<'EOF'
derive { id = "paid", doc = "d", fn = function(c) return c.orders:filter({ amount = 100 }) end }
global { id = "kams", doc = "d", fn = function() return lookup.staff:filter({ role = "kam" }) end }
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", title = table.concat({ tostring(c.paid), tostring(run.kams),
    tostring(c.orders:by("amount")[100]), string.format("%s", c.orders:filter({ id = "O7" }):by("id").O7),
    tostring(c.paid:filter({ id = "O8" })) }, " / ") }
end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "title" "<2 rows> / <1 row> / <2 rows> / <1 row> / <1 row>" "$(sqlite3 s.db "SELECT title FROM alerts")"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "second run: no event" "alert.opened" "$(sqlite3 s.db "SELECT group_concat(type) FROM events")"
}

test_a_whole_float_index_reads_the_row_as_a_list_does() {
  # rows[n / 2] with n even is rows[2.0]: a Lua table (a filtered list)
  # gives its item 2, so rows and lookups do too; 1.5 and 0 are no row
  clients_config "[{name: status, type: text}]" "tables:" \
    "  - {name: orders, key: client_id, id: id, columns: [{name: id, type: text}]}" \
    "lookups:" "  - {name: staff, id: id, columns: [{name: id, type: text}]}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES ('O7','C1','2026-05-01',1), ('O8','C1','2026-05-02',2);
    INSERT INTO staff(id,name,role) VALUES ('S1','a','kam'), ('S2','b','kam');"
  cat > r.lua <<'EOF'
rule { id = "r", doc = "d", fn = function(c)
  local all = c.orders:filter(function() return true end)
  local n = #c.orders
  alert { severity = "info", title = table.concat({ tostring(c.orders[n / 2]), tostring(all[n / 2]),
    tostring(c.orders[4 / 2]), tostring(lookup.staff[2.0]), tostring(c.orders[1.5]),
    tostring(c.orders[0.0]), tostring(c.orders[3.0]) }, " / ") }
end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "title" "orders row O7 / orders row O7 / orders row O8 / staff row S2 / nil / nil / nil" \
    "$(sqlite3 s.db "SELECT title FROM alerts")"
}

test_params_read_false_true_and_null_as_yaml_spells_them() {
  # params: {notify: False} was the text "False", which Lua takes as true:
  # the rule notified; YAML's True, TRUE, False, FALSE, Null and NULL are
  # booleans and nil, in params and in a fixture's expected data; a quoted
  # "False" stays text, and True beside true is one key given twice; yes
  # and no alike in YAML's three spellings (No was the text "No", true to Lua),
  # and on and off (Off was the text "Off", true to Lua)
  clients_config "[{name: status, type: text}]" "params:" \
    "  f: [False, FALSE, false, True, TRUE, \"False\", no, Off, No, NO, Yes, YES, \"No\"]" \
    "  n: {a: Null, b: NULL}" "  o: [on, On, ON, off, OFF, \"off\"]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','A','active','2026-01-01')"
  cat > r.lua <<'EOF'
rule { id = "r", doc = "d", fn = function(c)
  local out = {}
  for i = 1, 13 do out[i] = tostring(params.f[i]) .. ":" .. type(params.f[i]) end
  for i = 1, 6 do out[13 + i] = tostring(params.o[i]) .. ":" .. type(params.o[i]) end
  alert { severity = "info", title = table.concat(out, " ") .. " " .. tostring(params.n.a) .. " " .. tostring(params.n.b),
    data = { first = params.f[1], quoted = params.f[6] } }
  if params.f[1] then alert { severity = "critical", key = "notified" } end
end }
EOF
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "exit" 0 "$RC"
  expect_eq "title" "false:boolean false:boolean false:boolean true:boolean true:boolean False:string false:boolean false:boolean false:boolean false:boolean true:boolean true:boolean No:string true:boolean true:boolean true:boolean false:boolean false:boolean off:string nil nil" \
    "$(sqlite3 s.db "SELECT title FROM alerts WHERE key = ''")"
  expect_eq "False is false" "0" "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE key = 'notified'")"
  cat > fx.yaml <<'EOF'
name: expected data spelt as YAML spells it
facts:
  clients: [{id: C1, status: active}]
steps:
  - as_of: 2026-06-01
    alerts: [{rule: r, client: C1, key: "", data: {first: FALSE, quoted: "False"}}]
EOF
  cp_run test --config c.yaml fx.yaml
  expect_eq "fixture: exit" 0 "$RC"
  printf '  t: {true: a, True: b}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "twin keys: exit" 2 "$RC"
  expect_eq "twin keys" "crmpolicy: c.yaml:9: params: the key 'True' is the key 'true' of line 9 to a rule (the same boolean); give it once" "$ERR"
  sed -i 's/^  t: .*/  t: {no: a, No: b}/' c.yaml
  cp_run check --config c.yaml
  expect_eq "twin keys no, No" "crmpolicy: c.yaml:9: params: the key 'No' is the key 'no' of line 9 to a rule (the same boolean); give it once" "$ERR"
  # a fixture's expected text No is quoted in the + line, as it reads back
  sed -i 's/^  f: .*/  f: [False, FALSE, false, True, TRUE, "No", no, Off, No, NO, Yes, YES, "No"]/; /^  t: /d' c.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "fixture with No: exit" 1 "$RC"
  expect_contains "the + line quotes No" 'quoted: "No"' "$OUT"
}

test_a_generated_column_is_declared_like_any_other() {
  policy
  sqlite3 f.db "ALTER TABLE clients ADD COLUMN band TEXT GENERATED ALWAYS AS (upper(tier)) VIRTUAL;"
  sed -i 's/^    - {name: tier, type: text}$/    - {name: tier, type: text}\n    - {name: band, type: text}/' c.yaml
  sed -i 's/^    if c.status == "odd" then$/    why("%s", c.band)\n    if c.status == "odd" then/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  cp_run explain G1 --config c.yaml --as-of 2026-06-30 --rule status.odd
  expect_contains "why" "why: GOLD" "$OUT"
}

test_empty_array_is_written_as_an_empty_json_array() {
  policy
  sed -i 's/alert { severity = "info", level = 1, assignee = "S9", title = "odd" }/alert { severity = "info", level = 1, title = "odd", data = { xs = empty_array, ys = {}, zs = {1} } }/' r.lua
  sqlite3 f.db "UPDATE clients SET status = 'odd' WHERE id = 'B1';"
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  cp_run alerts --config c.yaml --format jsonl
  expect_contains "data" '"data":{"xs":[],"ys":{},"zs":[1]}' "$OUT"
}

test_empty_array_is_not_null_in_a_condition() {
  policy
  sed -i 's/return c.visits:max("day")/return c.visits:max("day", {day = empty_array})/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "condition on visits.day: a date column compares with a number, not a userdata" "$ERR"
}

test_rows_with_equal_order_values_come_in_the_order_they_were_written() {
  policy
  sed -i 's/^    order: day$/    order: day\n    id: vid/' c.yaml
  sed -i 's/^      - {name: day, type: date}$/      - {name: day, type: date}\n      - {name: vid, type: text}/' c.yaml
  sed -i 's/^    if c.status == "odd" then$/    local ids = {}\n    for _, v in ipairs(c.visits) do ids[#ids + 1] = v.vid end\n    why("%s", table.concat(ids, " "))\n    if c.status == "odd" then/' r.lua
  sqlite3 f.db "DROP TABLE visits; CREATE TABLE visits(client_id TEXT, day TEXT, vid TEXT);
    INSERT INTO visits VALUES ('G1', '2026-05-02', 'V9'), ('G1', '2026-05-01', 'V5'),
      ('G1', '2026-05-02', 'V1'), ('G1', '2026-05-02', 'V7');"
  cp_run explain G1 --config c.yaml --as-of 2026-06-30 --rule status.odd
  expect_contains "no index" "why: V5 V9 V1 V7" "$OUT"
  sqlite3 f.db "CREATE INDEX visits_by_client ON visits(client_id, day);"
  cp_run explain G1 --config c.yaml --as-of 2026-06-30 --rule status.odd
  expect_contains "an index" "why: V5 V9 V1 V7" "$OUT"
  # an index that covers the read but is in another order
  sqlite3 f.db "DROP INDEX visits_by_client; CREATE INDEX visits_by_vid ON visits(vid, day, client_id);"
  cp_run explain G1 --config c.yaml --as-of 2026-06-30 --rule status.odd
  expect_contains "a covering index in another order" "why: V5 V9 V1 V7" "$OUT"
}

run_tests
