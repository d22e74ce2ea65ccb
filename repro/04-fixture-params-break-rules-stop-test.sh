#!/usr/bin/env bash
# crmpolicy test: a fixture whose params make a rule file's top level fail
# stopped the whole command at that fixture: later fixtures never ran, the
# message named no fixture, and "N passed, M failed" left it out.
CRMPOLICY=${CRMPOLICY:-/work/probe-aa/build/release/crmpolicy}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: [{name: tier, type: text}]}\nparams: {tiers: {gold: 1}}\n' > c.yaml
cat > r.lua <<'LUA'
for _ in pairs(params.tiers) do end
rule { id = "r", doc = "d", fn = function(c) end }
LUA
fx='facts:
  clients: [{id: C1, tier: gold}]
steps:
  - {as_of: 2026-06-30, alerts: []}'
printf 'name: a\n%s\n' "$fx" > a.yaml
printf 'name: b\nparams: {tiers: 3}\n%s\n' "$fx" > b.yaml
printf 'name: c\n%s\n' "$fx" > c_.yaml
out=$("$CRMPOLICY" test --config c.yaml a.yaml b.yaml c_.yaml 2>err.txt); rc=$?
echo "$out"; cat err.txt; echo "exit $rc"
[ "$(echo "$out" | tail -1)" = "2 passed, 1 failed" ] || { echo "BUG: the fixtures after b.yaml did not run or b.yaml is not counted"; exit 1; }
grep -q 'b.yaml:2:' err.txt || { echo "BUG: the message names no fixture"; exit 1; }
