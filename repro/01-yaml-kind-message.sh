#!/usr/bin/env bash
# A config key given a mapping where a list goes (rules: {a: r.lua}) was told
# "one value is expected here, not a list" (both halves wrong); given one
# value there, libcyaml's raw "Expecting SEQUENCE, got event: SCALAR".
CRMPOLICY=${CRMPOLICY:-/work/probe-aa/build/release/crmpolicy}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
sqlite3 f.db "CREATE TABLE clients(id TEXT PRIMARY KEY)"
echo 'rule { id = "r", doc = "d", fn = function(c) end }' > r.lua
printf 'facts: f.db\nstate: s.db\nrules: {a: r.lua}\nclients: {name: clients, id: id, columns: []}\n' > c.yaml
err=$("$CRMPOLICY" check --config c.yaml 2>&1)
echo "$err"
[ "$err" = "crmpolicy: c.yaml:3: a list is expected here, not a mapping at rules" ] || exit 1
sed -i 's/^rules: .*/rules: r.lua/' c.yaml
err=$("$CRMPOLICY" check --config c.yaml 2>&1)
echo "$err"
[ "$err" = "crmpolicy: c.yaml:3: a list is expected here, not one value at rules" ] || exit 1
