# tests/hardening/badfacts.sh: a small config and facts database that the bad
# facts tests (test_bad_facts.sh, test_strict.sh) spoil one way at a time.
# Sourced after tests/lib.sh; functions work in the current folder.

# The config: clients with a required status, orders (money, dates), contacts
# (timestamps, a required level) and surveys (an integer score).
config() {
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients:
  name: clients
  id: id
  columns:
    - {name: status, type: text, required: true}
    - {name: created_on, type: date}
tables:
  - name: orders
    key: client_id
    id: id
    order: ordered_on
    columns:
      - {name: ordered_on, type: date, required: true}
      - {name: amount, type: money, required: true}
  - name: contacts
    key: client_id
    id: id
    columns:
      - {name: level, type: text, required: true}
      - {name: happened_at, type: timestamp}
  - name: surveys
    key: client_id
    id: id
    columns:
      - {name: score, type: integer}
YAML
  # One alert per client with what the rule saw: rows, and the nil values.
  cat > r.lua <<'LUA'
local function seen(rows, field)
  local n, nils = 0, 0
  for _, r in ipairs(rows) do n = n + 1; if r[field] == nil then nils = nils + 1 end end
  return n .. "/" .. nils
end
rule { id = "seen", doc = "what the rule saw", fn = function(c)
  alert { severity = "info", title = "seen", data = {
    status = c.status or "nil",
    orders = seen(c.orders, "ordered_on"), amounts = seen(c.orders, "amount"),
    contacts = seen(c.contacts, "happened_at"), levels = seen(c.contacts, "level"),
    surveys = seen(c.surveys, "score") } }
end }
LUA
}

# facts SQL: the contract's tables with three sound clients and their rows,
# then SQL.
facts() {
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01'),
      ('C3','C','active','2026-01-01');
    INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
      ('O1','C1','2026-03-01',10.5), ('O2','C2','2026-03-02',20), ('O3','C3','2026-03-03',30);
    INSERT INTO contacts(id,client_id,level,channel,happened_at) VALUES
      ('V1','C1','account','visit','2026-04-01T10:00:00'),
      ('V2','C2','account','call','2026-04-02 11:00:00');
    INSERT INTO surveys(id,client_id,surveyed_on,score) VALUES ('S1','C1','2026-05-01',9);
    $1"
}

# untyped TABLE...: makes each TABLE of f.db a table without types and
# constraints (as some exports are), with the same columns and rows.
untyped() {
  local t cols
  for t in "$@"; do
    cols=$(sqlite3 f.db "SELECT group_concat(name, ', ') FROM pragma_table_info('$t')")
    sqlite3 f.db "ALTER TABLE $t RENAME TO ${t}_typed; CREATE TABLE $t($cols);
                  INSERT INTO $t SELECT $cols FROM ${t}_typed; DROP TABLE ${t}_typed;"
  done
}

# run_bad: runs as of 2026-06-01 on f.db.
run_bad() {
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
}

# findings: the findings of the run, one "table|row|column|value|problem" a line.
findings() {
  sqlite3 s.db "SELECT tbl||'|'||row_id||'|'||col||'|'||value||'|'||problem FROM findings
                ORDER BY rowid"
}

# saw CLIENT: the data of the client's alert (what the rule saw).
saw() {
  sqlite3 s.db "SELECT data FROM alerts WHERE client_id='$1' AND status='open'"
}

