#!/usr/bin/env bash
# tests/author/test_rows_by.sh: c.<table>:by(field) indexes a client's rows
# by a field's value: lists of rows in row order, with the row methods,
# made once per client; nil values are left out; the map is read-only.
. "$(dirname "$0")/common.sh"

# sales_policy: client C1 with sales and disclosures; r.lua is the test's.
sales_policy() {
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients: {name: clients, id: id, columns: []}
tables:
  - name: sales
    key: client_id
    order: id
    columns: [{name: id, type: integer}, {name: sold_on, type: date}]
  - name: disclosures
    key: client_id
    order: id
    columns: [{name: id, type: integer}, {name: sale_id, type: integer}, {name: signed_on, type: date}]
lookups:
  - {name: staff, id: id, columns: [{name: id, type: text}]}
YAML
  sqlite3 f.db "CREATE TABLE clients(id TEXT); CREATE TABLE staff(id TEXT);
    CREATE TABLE sales(client_id TEXT, id INTEGER, sold_on TEXT);
    CREATE TABLE disclosures(client_id TEXT, id INTEGER, sale_id INTEGER, signed_on TEXT);
    INSERT INTO clients VALUES ('C1'), ('C2');
    INSERT INTO sales VALUES ('C1', 1, '2026-05-01'), ('C1', 2, '2026-05-03'), ('C1', 3, '2026-05-04');
    INSERT INTO disclosures VALUES ('C1', 10, 1, '2026-04-30'), ('C1', 11, 2, '2026-05-04'),
      ('C1', 12, 1, '2026-05-02'), ('C1', 13, NULL, '2026-05-02');"
}

# why_lines BODY: explains C1 with a rule whose body is BODY; prints the why lines.
why_lines() {
  printf 'rule { id = "x", doc = "x", fn = function(c)\n%s\nend }\n' "$1" > r.lua
  cp_run explain "${2:-C1}" --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  printf '%s\n' "$OUT" | sed -n 's/^  why: //p'
}

test_by_groups_rows_by_a_field_in_row_order() {
  sales_policy
  expect_eq "why" "2 10 12 1 nil 2" "$(why_lines '
  local d = c.disclosures:by("sale_id")
  local keys = 0
  for _ in pairs(d) do keys = keys + 1 end
  why("%d %d %d %d %s %d", #d[1], d[1][1].id, d[1][2].id, #d[2], tostring(d[3]), keys)')"
}

test_the_lists_have_the_row_methods() {
  sales_policy
  expect_eq "why" "1 true" "$(why_lines '
  local d = c.disclosures:by("sale_id")
  local late = 0
  for s in c.sales:each() do
    if d[s.id] and d[s.id]:any({signed_on = {gt = s.sold_on}}) and not d[s.id]:any({signed_on = {le = s.sold_on}}) then late = late + 1 end
  end
  why("%d %s", late, tostring(d[1]:count({signed_on = {le = dt.date("2026-05-01")}}) == 1))')"
}

test_a_filtered_list_and_a_by_list_have_by_too() {
  # README: filter returns a list with the same methods, by() among them
  sales_policy
  expect_eq "why" "1 12 1 11 nil 1 10" "$(why_lines '
  local early = c.disclosures:filter({signed_on = {le = dt.date("2026-05-02")}}):by("sale_id")
  local later = c.disclosures:by("sale_id")[2]:by("signed_on")
  local one = c.disclosures:by("sale_id")[1]:by("id")
  why("%d %d %d %d %s %d %d", #early[1] - 1, early[1][2].id, #later[dt.date("2026-05-04")],
    later[dt.date("2026-05-04")][1].id, tostring(early[2]), #one[10], one[10][1].id)')"
  printf 'rule { id = "x", doc = "x", fn = function(c)\n  c.disclosures:filter({sale_id = 1}):by("nope")\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_contains "stderr" "crmpolicy: r.lua:2: disclosures row has no field 'nope'" "$ERR"
}

test_by_is_made_once_per_client() {
  sales_policy
  expect_eq "why" "true" "$(why_lines 'why("%s", tostring(rawequal(c.sales:by("id"), c.sales:by("id"))))')"
  expect_eq "why C2" "nil" "$(why_lines 'why("%s", tostring(next(c.sales:by("id"))))' C2)"
}

test_the_map_is_read_only_and_fields_are_checked() {
  sales_policy
  printf 'rule { id = "x", doc = "x", fn = function(c)\n  c.sales:by("id")[9] = {}\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "r.lua:2:" "$ERR"
  expect_contains "stderr" "read-only" "$ERR"
  rm -f s.db
  printf 'rule { id = "x", doc = "x", fn = function(c)\n  local m = c.sales:by("sale_id")\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_contains "stderr" "crmpolicy: r.lua:2: sales row has no field 'sale_id' (rule x, client C1)" "$ERR"
  rm -f s.db
  printf 'rule { id = "x", doc = "x", fn = function(c)\n  local m = lookup.staff:by("idd")\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_contains "stderr" "crmpolicy: r.lua:2: staff row has no field 'idd' (rule x, client C1)" "$ERR"
}

# A lookup table has :by() too (a policy written from the README alone
# grouped certifications by technician with it, and was told "by() is for a
# client's rows; use get()"): made anew at each call, as a list's, so a
# global{} makes it once a run; read-only; the same under --jobs 2.
test_a_lookup_by_a_field_in_a_rule_and_in_a_global() {
  sales_policy
  sqlite3 f.db "DROP TABLE staff; CREATE TABLE staff(id TEXT, role TEXT);
    INSERT INTO staff VALUES ('S1', 'kam'), ('S2', 'vp'), ('S3', 'kam'), ('S4', NULL)"
  sed -i 's/columns: \[{name: id, type: text}\]}/columns: [{name: id, type: text}, {name: role, type: text}]}/' c.yaml
  cat > r.lua <<'LUA'
global { id = "by_role", doc = "the staff by role", fn = function() return lookup.staff:by("role") end }
rule { id = "x", doc = "x", fn = function(c)
  local m = lookup.staff:by("role")
  local ids = {}
  for _, s in ipairs(m.kam) do ids[#ids + 1] = s.id end
  alert { severity = "info", title = "by", data = { kams = table.concat(ids, " "),
    vps = run.by_role.vp:count(), none = m.nobody == nil and m[""] == nil,
    frozen = not pcall(function() m.kam = {} end) } }
end }
LUA
  local j
  for j in 1 2; do
    rm -f s.db
    cp_run run --config c.yaml --as-of 2026-06-30 --quiet --jobs $j
    expect_eq "--jobs $j: exit" 0 "$RC"
    expect_eq "--jobs $j: stderr" "" "$ERR"
    expect_eq "--jobs $j: the map" 'C1|{"frozen":true,"kams":"S1 S3","none":true,"vps":1}
C2|{"frozen":true,"kams":"S1 S3","none":true,"vps":1}' \
      "$(sqlite3 s.db "SELECT client_id, data FROM alerts ORDER BY client_id")"
  done
}

# probe-aj: c.sales:by(0/0) said "sales row has no field '-nan'" (a number
# was taken as its text); so did sum(), max() and min()
test_a_field_name_is_a_text() {
  sales_policy
  local call
  for call in 'c.sales:by(0/0)|by()|number' 'c.sales:by(2)|by()|number' \
      'c.sales:filter(function() return true end):by(1)|by()|number' \
      'c.sales:by({})|by()|table' 'c.sales:sum(1)|sum()|number' 'c.sales:max(true)|max()|boolean' \
      'c.sales:min(1)|min()|number'; do
    rm -f s.db
    printf 'rule { id = "x", doc = "x", fn = function(c)\n  local m = %s\nend }\n' "${call%%|*}" > r.lua
    cp_run run --config c.yaml --as-of 2026-06-30 --quiet
    expect_eq "$call: exit" 1 "$RC"
    local rest=${call#*|}
    expect_contains "$call: stderr" "crmpolicy: r.lua:2: ${rest%|*}: the field name must be a text (a string), not a ${rest#*|} (rule x, client C1)" "$ERR"
  done
  rm -f s.db
  printf 'rule { id = "x", doc = "x", fn = function(c)\n  local m = c.sales:min()\nend }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30 --quiet
  expect_contains "none" "crmpolicy: r.lua:2: min(): the field name must be a text (a string); none was given (rule x, client C1)" "$ERR"
}

run_tests
