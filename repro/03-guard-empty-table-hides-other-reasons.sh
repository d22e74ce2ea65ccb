#!/usr/bin/env bash
# A run refused because a table came empty said only that: the clients'
# drop and another table cut short in the same export were not said (the
# empty-table guard stopped the run before any client was evaluated), so
# the operator re-exported that table and was refused again.
CRMPOLICY=${CRMPOLICY:-/work/probe-aa/build/release/crmpolicy}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY, name TEXT);
  CREATE TABLE orders(id TEXT PRIMARY KEY, client_id TEXT, ordered_on TEXT, amount REAL);
  CREATE TABLE staff(id TEXT PRIMARY KEY);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<10)
  INSERT INTO clients SELECT printf('C%02d',i),'a' FROM n;
  INSERT INTO orders SELECT 'O'||id, id, '2026-05-01', 10 FROM clients;
  INSERT INTO staff VALUES ('S1'),('S2');"
cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients: {name: clients, id: id, columns: [{name: name, type: text}]}
tables: [{name: orders, key: client_id, order: ordered_on, columns: [{name: amount, type: money}]}]
lookups: [{name: staff, id: id, columns: [{name: id, type: text}]}]
guard: {min_count: 5}
YAML
echo 'rule { id = "r", doc = "d", fn = function(c) if #c.orders > 0 then alert { severity = "info", title = "o" } end end }' > r.lua
"$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || exit 1
sqlite3 f.db "DELETE FROM staff; DELETE FROM orders WHERE client_id > 'C02'; DELETE FROM clients WHERE id > 'C07'"
err=$("$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet 2>&1); rc=$?
echo "$err"; echo "exit $rc"
[ $rc = 5 ] || exit 1
for want in "the table 'staff' of f.db has no rows" "clients evaluated" "the table 'orders' of f.db has 2 rows"; do
  case "$err" in *"$want"*) ;; *) echo "BUG: not said: $want"; exit 1;; esac
done
