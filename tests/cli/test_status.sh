#!/usr/bin/env bash
# tests/cli/test_status.sh: `crmpolicy status`: the last run, open alerts by
# severity, proposals, the feed's end and each consumer's lag, as text, as
# JSON and as Prometheus metrics that Prometheus's own parser reads.
. "$(dirname "$0")/../lib.sh"

# Three clients: C1 a critical alert, C2 a warning and an info one, C3 none;
# two runs, and a consumer that acknowledged two events.
setup() {
  clients_config "[{name: name, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','a','active','2026-01-01'), ('C2','b','active','2026-01-01'), ('C3','c','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  if c.id == "C1" then alert { severity = "critical", title = "t" } end
  if c.id == "C2" then
    alert { key = "a", severity = "warning", title = "t" }
    alert { key = "b", severity = "info", title = "t" }
  end
end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "first run"
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet || fail "second run"
  "$CRMPOLICY" feed --config c.yaml --consumer 'crm "main"' --ack 2 || fail "ack"
}

test_status_as_text() {
  setup
  cp_run status --config c.yaml
  expect_eq "exit" "0|" "$RC|$ERR"
  local epoch started finished
  epoch=$(sqlite3 s.db "SELECT value FROM meta WHERE key = 'epoch'")
  started=$(sqlite3 s.db "SELECT started_at FROM runs WHERE id = 2")
  finished=$(sqlite3 s.db "SELECT finished_at FROM runs WHERE id = 2")
  expect_eq "text" "state s.db, epoch $epoch: 2 runs
last run 2 as of 2026-06-02: complete, from $started to $finished; 3 clients, 0 rule errors, 0 data problems, 0 events
open alerts: 3 (critical 1, warning 1, info 1); proposed assignments: 0
feed: last seq 3; consumers: crm \"main\" at 2 (1 behind)" "$OUT"
}

test_status_as_json() {
  setup
  cp_run status --config c.yaml --format json
  expect_eq "exit" 0 "$RC"
  expect_eq "fields" "2 2026-06-02 complete 3 {'critical': 1, 'warning': 1, 'info': 1} 0 3 [('crm \"main\"', 2, 1)]" \
    "$(printf '%s\n' "$OUT" | python3 -c 'import json, sys
s = json.load(sys.stdin); r = s["last_run"]
print(s["runs"], r["as_of"], r["status"], r["clients"], s["open_alerts"], s["proposed_assignments"], s["feed"]["last_seq"], [(c["name"], c["seq"], c["behind"]) for c in s["feed"]["consumers"]])')"
}

# envprobe: a cursor past the feed's end (a state copied back from an
# earlier copy, or set by hand) was shown "0 behind", and the gauge 0, while
# feed --consumer refuses it: the consumer got nothing and no alert fired.
test_a_cursor_past_the_end_is_said_so() {
  setup
  sqlite3 s.db "INSERT INTO consumers(name, seq, updated_at) VALUES ('late', 99, 'x'), ('odd', 'abc', 'x')"
  cp_run status --config c.yaml
  expect_eq "exit" "0|" "$RC|$ERR"
  expect_contains "text" "feed: last seq 3; consumers: crm \"main\" at 2 (1 behind), late at 99 (past the feed's end, or not a seq: feed --consumer refuses it), odd at 0 (past the feed's end, or not a seq: feed --consumer refuses it)" "$OUT"
  cp_run status --config c.yaml --format json
  expect_eq "json" "[('crm \"main\"', 1, False), ('late', 0, True), ('odd', 3, True)]" \
    "$(printf '%s\n' "$OUT" | python3 -c 'import json, sys
print([(c["name"], c["behind"], c["past_end"]) for c in json.load(sys.stdin)["feed"]["consumers"]])')"
  cp_run status --config c.yaml --format prometheus
  expect_eq "gauges" 'crmpolicy_consumer_past_end{consumer="crm \"main\""} 0
crmpolicy_consumer_past_end{consumer="late"} 1
crmpolicy_consumer_past_end{consumer="odd"} 1' "$(printf '%s\n' "$OUT" | grep '^crmpolicy_consumer_past_end')"
  cp_run feed --config c.yaml --consumer late
  expect_eq "feed refuses it" 2 "$RC"
}

test_status_as_prometheus_metrics() {
  setup
  cp_run status --config c.yaml --format prometheus
  expect_eq "exit" 0 "$RC"
  printf '%s\n' "$OUT" > m.prom
  # Debian's python3-prometheus-client (make installs it) is the system
  # python's: /usr/bin/python3, whatever python3 comes first on the PATH
  expect_eq "samples, as Prometheus reads them" "crmpolicy_consumer_behind{consumer=crm \"main\"} 1.0
crmpolicy_consumer_past_end{consumer=crm \"main\"} 0.0
crmpolicy_feed_last_seq 3.0
crmpolicy_last_run_as_of_timestamp_seconds 1780358400.0
crmpolicy_last_run_clients 3.0
crmpolicy_last_run_complete 1.0
crmpolicy_last_run_data_problems 0.0
crmpolicy_last_run_events 0.0
crmpolicy_last_run_id 2.0
crmpolicy_last_run_rule_errors 0.0
crmpolicy_open_alerts{severity=critical} 1.0
crmpolicy_open_alerts{severity=info} 1.0
crmpolicy_open_alerts{severity=warning} 1.0
crmpolicy_proposed_assignments 0.0
crmpolicy_runs 2.0" "$(/usr/bin/python3 -c 'from prometheus_client.parser import text_string_to_metric_families as parse
for f in parse(open("m.prom").read()):
    assert f.type == "gauge", f
    for s in f.samples:
        if "timestamp" in s.name and "as_of" not in s.name: continue
        print(s.name + ("{" + ",".join("%s=%s" % kv for kv in sorted(s.labels.items())) + "}" if s.labels else ""), s.value)' | sort)"
  expect_eq "the finished time" "$(sqlite3 s.db "SELECT strftime('%s', finished_at) FROM runs WHERE id = 2")" \
    "$(sed -n 's/^crmpolicy_last_run_finished_timestamp_seconds //p' m.prom)"
}

test_status_of_no_state_or_a_bad_format() {
  clients_config "[{name: name, type: text}]"
  cp_run status --config c.yaml
  expect_eq "no state" "3|crmpolicy: state: s.db: No such file or directory (no run has written it yet?)" "$RC|$ERR"
  cp_run status --config c.yaml --format yaml
  expect_eq "format" "2|crmpolicy: --format: 'yaml' is not one of text, json or prometheus" "$RC|$ERR"
}

run_tests
