#!/usr/bin/env bash
# report{} group_by: values that show alike made separate groups with the
# same label: percent 0.1+0.2 and 0.3 gave two "Subtotal: 30.00% (1)" rows,
# and texts "a\0b" and "a\0c" two "Subtotal: a (1)" (label cut at the NUL);
# the CSV also carried the raw NUL byte that the HTML page leaves out.
CRMPOLICY=${CRMPOLICY:-/work/probe-aa/build/release/crmpolicy}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY, name TEXT);
  INSERT INTO clients VALUES ('C1','A'),('C2','B');"
printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: [{name: name, type: text}]}\nlocale: en\n' > c.yaml
cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T", doc = "d", group_by = "p",
  columns = { { id = "name", label = "Name", type = "text" },
              { id = "p", label = "P", type = "percent" },
              { id = "g", label = "G", type = "text" } },
  row = function(c) return { name = c.name, p = c.id == "C1" and 0.1 + 0.2 or 0.3,
                             g = c.id == "C1" and "a\0b" or "a\0c" } end }
LUA
"$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet || exit 1
"$CRMPOLICY" report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet || exit 1
cat -A r.csv
[ "$(grep -c '^Subtotal' r.csv)" = 1 ] || { echo "BUG: one percent shown twice as a group"; exit 1; }
sed -i 's/group_by = "p"/group_by = "g"/' r.lua
"$CRMPOLICY" report --config c.yaml --as-of 2026-06-30 -o r.csv --quiet || exit 1
cat -A r.csv
[ "$(tr -cd '\000' < r.csv | wc -c)" = 0 ] || { echo "BUG: NUL byte in the CSV"; exit 1; }
[ "$(grep -c '^Subtotal: a (1)' r.csv)" = 0 ] || { echo "BUG: two groups labelled alike"; exit 1; }
