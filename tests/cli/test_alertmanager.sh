#!/usr/bin/env bash
# tests/cli/test_alertmanager.sh: `alerts --format alertmanager` is accepted
# by a real Prometheus Alertmanager (Debian's prometheus-alertmanager) on
# POST /api/v2/alerts, and reads back with its labels and annotations.
. "$(dirname "$0")/../lib.sh"

AM=$(command -v prometheus-alertmanager || command -v alertmanager || true)

# Starts an Alertmanager on a free loopback port; sets URL and AM_PID.
start_alertmanager() {
  printf 'route:\n  receiver: none\nreceivers:\n  - name: none\n' > am.yml
  for port in $(shuf -i 20000-40000 -n 5); do
    "$AM" --config.file=am.yml --storage.path=am-data --web.listen-address="127.0.0.1:$port" \
      --cluster.listen-address= > am.log 2>&1 &
    AM_PID=$!
    URL="http://127.0.0.1:$port"
    for _ in $(seq 1 50); do
      curl -sf "$URL/-/ready" > /dev/null 2>&1 && return 0
      kill -0 "$AM_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill "$AM_PID" 2>/dev/null; wait "$AM_PID" 2>/dev/null
  done
  fail "Alertmanager did not start: $(tail -3 am.log)"
  return 1
}

# Two clients, one always-firing rule with a key and one without.
setup() {
  clients_config "[{name: name, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','甲','active','2026-01-01'), ('C2','乙','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "visit.account", doc = "d", fn = function(c)
  alert { severity = "critical", level = 2, assignee = "S7", title = "no visit " .. c.name, data = { n = 1 } }
end }
rule { id = "complaint.response", doc = "d", fn = function(c)
  if c.id == "C2" then alert { severity = "warning", key = "K9", title = "late" } end
end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
}

test_real_alertmanager_accepts_and_returns_the_alerts() {
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  setup
  start_alertmanager || return
  cp_run alerts --config c.yaml --format alertmanager
  expect_eq "exit" 0 "$RC"
  printf '%s\n' "$OUT" > posted.json
  code=$(curl -s -o post.out -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
         --data-binary @posted.json "$URL/api/v2/alerts")
  expect_eq "POST status" 200 "$code"
  curl -sf "$URL/api/v2/alerts" > got.json || fail "GET failed"
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
  expect_eq "alerts in Alertmanager" "3" \
    "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('got.json'))")"
  # the level is an annotation: an escalation stays the same alert
  expect_eq "labels of the keyed alert" "complaint.response|C2|K9|warning|1|-" \
    "$(sqlite3 :memory: "SELECT json_extract(value,'$.labels.alertname')||'|'||json_extract(value,'$.labels.client_id')||'|'||json_extract(value,'$.labels.key')||'|'||json_extract(value,'$.labels.severity')||'|'||json_extract(value,'$.annotations.level')||'|'||ifnull(json_extract(value,'$.labels.level'),'-') FROM json_each(readfile('got.json')) WHERE json_extract(value,'$.labels.key') IS NOT NULL")"
  expect_eq "annotations" "no visit 甲|S7|{\"n\":1}" \
    "$(sqlite3 :memory: "SELECT json_extract(value,'$.annotations.summary')||'|'||json_extract(value,'$.labels.assignee')||'|'||json_extract(value,'$.annotations.data') FROM json_each(readfile('got.json')) WHERE json_extract(value,'$.labels.client_id')='C1'")"
}

test_a_second_run_the_same_day_ends_and_posts_as_the_first() {
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  start_alertmanager || return
  setup_today() {
    clients_config "[{name: name, type: text}]" \
      "sinks:" "  - {name: am, type: alertmanager, url: \"$URL/?q=1\", backoff_ms: 10, retries: 0}"
    facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
      ('C1','a','active','2026-01-01'), ('C2','b','active','2026-01-01');"
    printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = c.name } end }\n' > r.lua
  }
  setup_today
  # as of today (the default): the alerts open at 23:59:59 today, later than now
  cp_run run --config c.yaml --push --quiet
  expect_eq "first push" 0 "$RC"
  expect_eq "first: active" "C1|C2" "$(am_active | cut -d'|' -f1 | paste -sd'|')"
  sqlite3 f.db "DELETE FROM clients WHERE id = 'C2';
                INSERT INTO clients(id,name,status,created_on) VALUES ('C4','d','active','2026-01-01');"
  cp_run run --config c.yaml --push --quiet --force
  expect_eq "second push: exit" 0 "$RC"
  expect_eq "second push: stderr" "" "$ERR"
  expect_eq "second: C2 ended, C4 posted" "C1|C4" "$(am_active | cut -d'|' -f1 | paste -sd'|')"
  local now; now=$(date -u +%Y-%m-%dT%H:%M:%S)
  local starts; starts=$(am_active | cut -d'|' -f8 | sort | tail -1)
  [[ "$starts" < "${now}.999Z" ]] || fail "a startsAt after now: $starts (now $now)"
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
}

test_a_push_posts_the_annotations_of_alerts_format_alertmanager() {
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  start_alertmanager || return
  setup
  printf '%s\n' "labels:" "  rules: {visit.account: 拜访, complaint.response: 投诉响应}" \
    "sinks:" "  - {name: am, type: alertmanager, url: \"$URL\", backoff_ms: 10, retries: 0}" >> c.yaml
  cp_run push --config c.yaml --quiet
  expect_eq "push" 0 "$RC"
  curl -sf "$URL/api/v2/alerts" > got.json || fail "GET failed"
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
  "$CRMPOLICY" alerts --config c.yaml --format alertmanager > want.json
  # every annotation, rule_label among them, as the format writes it
  local q="SELECT json_extract(value,'\$.labels.client_id')||'|'||json_extract(value,'\$.labels.rule')||'|'||(SELECT group_concat(key||'='||value,';') FROM (SELECT key, value FROM json_each(json_extract(a.value,'\$.annotations')) ORDER BY key)) FROM json_each(readfile('%s')) AS a ORDER BY 1"
  expect_eq "annotations" "$(sqlite3 :memory: "$(printf "$q" want.json)")" "$(sqlite3 :memory: "$(printf "$q" got.json)")"
  expect_contains "rule_label" "C1|visit.account|data={\"n\":1};fingerprint=" "$(sqlite3 :memory: "$(printf "$q" got.json)")"
  expect_contains "rule_label" ";rule_label=拜访;summary=no visit 甲" "$(sqlite3 :memory: "$(printf "$q" got.json)")"
}

test_alertmanager_format_is_for_alerts_only() {
  setup
  cp_run assignments --config c.yaml --format alertmanager
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: --format alertmanager is for alerts, not assignments" "$ERR"
}

test_no_open_alerts_is_an_empty_array() {
  setup
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  # the rules that raised the open alerts are gone: --force past the guard
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet --force
  expect_eq "run" "0" "$RC"
  cp_run alerts --config c.yaml --format alertmanager
  expect_eq "empty" "[
]" "$OUT"
}

# am_active: Alertmanager's active alerts, one "client|rule|key|severity|
# level|assignee|title|startsAt" a line, sorted.
am_active() {
  curl -sf "$URL/api/v2/alerts?active=true&silenced=true&inhibited=true" > got.json ||
    fail "GET /api/v2/alerts failed"
  sqlite3 :memory: "SELECT json_extract(value,'$.labels.client_id')||'|'||json_extract(value,'$.labels.rule')||'|'||ifnull(json_extract(value,'$.labels.key'),'')||'|'||json_extract(value,'$.labels.severity')||'|'||json_extract(value,'$.annotations.level')||'|'||ifnull(json_extract(value,'$.labels.assignee'),'')||'|'||json_extract(value,'$.annotations.summary')||'|'||json_extract(value,'$.startsAt') FROM json_each(readfile('got.json')) WHERE json_extract(value,'$.status.state')='active' ORDER BY 1"
}

# open_alerts: `crmpolicy alerts` in the same form.
open_alerts() {
  "$CRMPOLICY" alerts --config c.yaml --format jsonl > open.jsonl
  # startsAt: the opening time, on this machine's clock, in UTC
  python3 -c 'import json, datetime as d; [print("|".join([a["client_id"], a["rule"], a["key"], a["severity"], str(a["level"]), a["assignee"] or "", a["title"], d.datetime.strptime(a["opened_at"], "%Y-%m-%dT%H:%M:%S").astimezone(d.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")])) for a in map(json.loads, open("open.jsonl"))]' | sort
}

# push_and_compare WHAT COUNT: pushes, then Alertmanager's active alerts must
# be the open alerts, one for one, COUNT of them.
push_and_compare() {
  cp_run push --config c.yaml --quiet
  expect_eq "$1: push" 0 "$RC"
  expect_eq "$1: Alertmanager = crmpolicy alerts" "$(open_alerts)" "$(am_active)"
  expect_eq "$1: how many" "$2" "$(am_active | wc -l)"
}

test_push_keeps_alertmanager_equal_to_the_open_alerts_over_three_runs() {
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  start_alertmanager || return
  clients_config "[{name: name, type: text}, {name: segment, type: text}, {name: industry, type: text}, {name: region, type: text}]" \
    "sinks:" "  - {name: am, type: alertmanager, url: \"$URL\", backoff_ms: 10}"
  # segment: the severity; industry: the level; region: the assignee.
  facts_db f.db "INSERT INTO clients(id,name,status,created_on,segment,industry,region) VALUES
    ('C1','上海甲公司','active','2026-01-01','warning','1','S1'),
    ('C2','b','active','2026-01-01','warning','1','S2'),
    ('C3','c','active','2026-01-01','info','1',NULL),
    ('C4','d','active','2026-01-01',NULL,NULL,NULL);"
  cat > r.lua <<'LUA'
rule { id = "late", doc = "d", fn = function(c)
  if c.segment then
    alert { key = "k", severity = c.segment, level = tonumber(c.industry), assignee = c.region,
            title = "迟到 " .. c.name }
  end
end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  push_and_compare "opening" 3
  expect_contains "Chinese title intact" "C1|late|k|warning|1|S1|迟到 上海甲公司|$(TZ=UTC0 date -d "$(date -d '2026-06-01 23:59:59' '+@%s')" '+%Y-%m-%dT%H:%M:%S').000Z" "$(am_active)"
  # C1 escalates to critical with another assignee (new labels: the old set
  # must end), C2 escalates in level only (an annotation), C4 opens.
  sqlite3 f.db "UPDATE clients SET segment='critical', industry='2', region='S9' WHERE id='C1';
                UPDATE clients SET industry='2' WHERE id='C2';
                UPDATE clients SET segment='warning', industry='1' WHERE id='C4'"
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  push_and_compare "escalating" 4
  # C1 and C2 resolve.
  sqlite3 f.db "UPDATE clients SET segment=NULL WHERE id IN ('C1','C2')"
  cp_run run --config c.yaml --as-of 2026-06-03 --quiet
  push_and_compare "resolving" 2
  push_and_compare "pushing again changes nothing" 2
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
}

test_push_to_alertmanager_carries_only_what_the_feed_may() {
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  setup
  start_alertmanager || return
  printf 'feed: {drop: [title], mask: [client_id], salt: s}\nsinks:\n  - {name: am, type: alertmanager, url: "%s"}\n' "$URL" >> c.yaml
  cp_run push --config c.yaml --quiet
  expect_eq "push" 0 "$RC"
  curl -sf "$URL/api/v2/alerts" > got.json || fail "GET failed"
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
  expect_eq "alerts" 3 "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('got.json'))")"
  case "$(cat got.json)" in *'"C1"'*|*'"C2"'*|*甲*|*乙*) fail "customer data reached Alertmanager: $(cat got.json)" ;; esac
  expect_eq "masked ids" "~|~|~" "$(sqlite3 :memory: "SELECT group_concat(substr(json_extract(value,'$.labels.client_id'),1,1),'|') FROM json_each(readfile('got.json'))")"
}

test_an_alert_opened_before_the_year_1000_posts_with_a_four_digit_year() {
  # a replay as of 0001-01-01 opens its alerts then: strftime's %Y wrote
  # startsAt "1-01-01T...", which Alertmanager refuses (HTTP 400), the
  # whole batch with it
  [ -n "$AM" ] || { fail "prometheus-alertmanager is not installed (make deps installs it)"; return; }
  start_alertmanager || return
  clients_config "[{name: name, type: text}]" \
    "sinks:" "  - {name: am, type: alertmanager, url: \"$URL\", backoff_ms: 10, retries: 0}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','a','active','2026-01-01');"
  printf 'rule { id = "r", doc = "d", fn = function(c) alert { severity = "info", title = c.name } end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  cp_run run --config c.yaml --as-of 0001-01-01 --replay --quiet
  expect_eq "replay" 0 "$RC"
  expect_eq "opened by the replay" "0001-01-01T23:59:59" "$(sqlite3 s.db "SELECT opened_at FROM alerts")"
  cp_run push --config c.yaml --quiet
  expect_eq "push" 0 "$RC"
  expect_eq "message" "" "$ERR"
  expect_eq "kept startsAt" 1 "$(sqlite3 s.db "SELECT count(*) FROM sink_alerts WHERE starts_at GLOB '000[01]-[01][0-9]-[0-3][0-9]T*Z'")"
  expect_eq "active in Alertmanager" "C1|r||info|1||a" "$(am_active | cut -d'|' -f1-7)"
  kill "$AM_PID"; wait "$AM_PID" 2>/dev/null
}

run_tests
