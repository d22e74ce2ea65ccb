#!/usr/bin/env bash
# tests/hardening/valgrind.sh: an end-to-end run of the demo policy on small
# generated facts under valgrind (memcheck): two runs (a new state, then the
# merge of the next day), check, alerts, assignments, feed, status, the report,
# fixtures (with --run and --junit), and
# error paths (data problems, rule errors, config errors).
# Fails on any memory error or any definite or indirect leak. Uses the release
# build (CRMPOLICY; valgrind cannot run the ASan one). Prints one line per
# command and keeps the logs in build/hardening/valgrind/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CRMPOLICY=${CRMPOLICY:-$ROOT/build/release/crmpolicy}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$ROOT/tests/hardening/common.sh"
LOGS=$CACHE/valgrind
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
status=0

if ! command -v valgrind >/dev/null; then
  echo "valgrind: not installed (apt-get install valgrind)"
  exit 1
fi
FACTS=$(demo_facts 300) || { echo "valgrind: cannot generate the demo facts"; exit 1; }

# vg NAME EXPECTED_EXIT ARGS...: runs crmpolicy ARGS under memcheck.
vg() {
  local name=$1 want=$2 rc
  shift 2
  valgrind --quiet --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --track-origins=yes --log-file="$LOGS/$name.log" \
    "$CRMPOLICY" "$@" > "$T/$name.out" 2> "$T/$name.err"
  rc=$?
  if [ "$rc" = "$want" ] && [ ! -s "$LOGS/$name.log" ]; then
    echo "valgrind $name: clean"
  else
    echo "valgrind $name: exit $rc (expected $want); log: ${LOGS#"$ROOT"/}/$name.log"
    grep -m3 -E 'Invalid|uninitialised|definitely lost|indirectly lost|ERROR SUMMARY' \
      "$LOGS/$name.log" | sed 's/^==[0-9]*== /  /'
    status=1
  fi
}

common=(--config "$DEMO_CONFIG" --facts "$FACTS" --state "$T/s.db")
vg run-new 0 run "${common[@]}" --as-of 2026-10-15 --quiet
vg run-merge 0 run "${common[@]}" --as-of 2026-11-15
vg run-jobs 0 run "${common[@]}" --as-of 2026-11-16 --jobs 2 --quiet
vg run-profile 0 run "${common[@]}" --as-of 2026-11-17 --jobs 2 --quiet --profile "$T/p.txt"
vg check 0 check --config "$DEMO_CONFIG" --facts "$FACTS" --as-of 2026-11-15
vg alerts 0 alerts --state "$T/s.db" --format jsonl
vg assignments 0 assignments --state "$T/s.db" --format csv
vg feed 0 feed --state "$T/s.db" --since 0 --limit 50
vg status 0 status --state "$T/s.db" --format prometheus
vg report 0 report "${common[@]}" --as-of 2026-11-15 --format html -o "$T/report.html" --quiet
vg bad-config 2 check --config "$T/missing.yaml"

# Error paths: data problems, a failing rule, a config key too long for
# libcyaml's log (its message is built from what the log kept).
cp "$FACTS" "$T/bad.db"
sqlite3 "$T/bad.db" "UPDATE orders SET ordered_on='2026-02-30' WHERE rowid % 50 = 0;
                     UPDATE contacts SET happened_at='soon' WHERE rowid % 70 = 0;"
vg run-findings 0 run --config "$DEMO_CONFIG" --facts "$T/bad.db" --state "$T/b.db" \
  --as-of 2026-11-15 --quiet
cat > "$T/r.lua" <<'LUA'
rule { id = "fails", doc = "errors for every third client", fn = function(c)
  if c.id:byte(-1) % 3 == 0 then error("no " .. c.id) end
  alert { severity = "info", data = { id = c.id } }
end }
LUA
printf 'facts: %s\nstate: %s\nrules: [r.lua]\nclients: {name: clients, id: id, columns: []}\n' \
  "$FACTS" "$T/e.db" > "$T/c.yaml"
vg run-rule-errors 1 run --config "$T/c.yaml" --as-of 2026-11-15 --quiet
{ cat "$T/c.yaml"; printf '? %s\n: 1\n' "$(head -c 2100 /dev/zero | tr '\0' k)"; } > "$T/long.yaml"
vg config-long-key 2 check --config "$T/long.yaml"
# a report grouped, with subtotals and a total, written as CSV and HTML
cat > "$T/g.lua" <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "g", title = "T", doc = "d", group_by = "region", totals = true,
  columns = { { id = "name", label = "Name", type = "text" },
              { id = "region", label = "Region", type = "text", total = "count" },
              { id = "n", label = "N", type = "integer" },
              { id = "since", label = "Since", type = "date", total = "min" } },
  row = function(c) return { name = c.name, region = c.segment, n = #c.orders, since = c.created_on } end }
LUA
printf 'facts: %s\nstate: %s\nrules: [g.lua]\nclients: {name: clients, id: id, columns: [{name: name, type: text}, {name: segment, type: text}, {name: created_on, type: date}]}\ntables: [{name: orders, key: client_id, columns: [{name: amount, type: money}]}]\n' \
  "$FACTS" "$T/g.db" > "$T/g.yaml"
"$CRMPOLICY" run --config "$T/g.yaml" --as-of 2026-11-15 --quiet
vg report-grouped-csv 0 report --config "$T/g.yaml" --as-of 2026-11-15 -o "$T/g.csv" --quiet
vg report-grouped-html 0 report --config "$T/g.yaml" --as-of 2026-11-15 -o "$T/g.html" --quiet
# a fixture that expects its data problems, and one that replays a day
vg fixture-findings 0 test --config "$DEMO_CONFIG" --quiet \
  "$ROOT/tests/policy/complaints/unreadable_opened_at_leaves_out_that_complaint_only.yaml" \
  "$ROOT/tests/policy/across_days/replaying_an_earlier_day_ignores_what_came_later.yaml"
# a --run that selects one of them, with the JUnit report
vg fixture-run-junit 0 test --config "$DEMO_CONFIG" --quiet --run 'unreadable' --junit "$T/j.xml" \
  "$ROOT/tests/policy/complaints/unreadable_opened_at_leaves_out_that_complaint_only.yaml" \
  "$ROOT/tests/policy/across_days/replaying_an_earlier_day_ignores_what_came_later.yaml"
exit $status
