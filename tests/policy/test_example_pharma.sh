#!/usr/bin/env bash
# tests/policy/test_example_pharma.sh: the pharmaceutical distributor example
# (examples/pharma/, zh-CN): its generator makes facts the config accepts,
# `check --fixtures` finds nothing to warn about, its fixtures pass and run
# every line of its rule files (also through --run and --junit), a run over
# generated facts reports under every rule, explain shows a late recall, its
# report{} writes the month by region with subtotals, and push delivers the
# feed, masked and signed, to a webhook on loopback.
. "$(dirname "$0")/../lib.sh"

CFG=examples/pharma/crmpolicy.yaml
GEN=examples/pharma/gen.py
export PHARMA_FEED_SALT=pharma-test-salt PHARMA_HOOK_SECRET=pharma-test-secret

test_generated_facts_pass_check_without_warnings() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run check --config $CFG --facts "$T/f.db" --as-of 2026-11-15 --fixtures examples/pharma/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "last line" "lint: 0 warnings" "$(printf '%s\n' "$OUT" | tail -n 1)"
  # where the nightly job lacks its secrets, check says so, and counts them
  env -u PHARMA_FEED_SALT -u PHARMA_HOOK_SECRET "$CRMPOLICY" check --config $CFG --facts "$T/f.db" \
    --as-of 2026-11-15 > "$T/out" 2> "$T/err"
  expect_eq "no secrets: warnings" "2" "$(grep -c 'environment variable PHARMA_' "$T/err")"
  expect_contains "no secrets: counted" "(2 warnings above)" "$(cat "$T/out")"
}

test_fixtures_pass_and_run_every_rule_line() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --coverage --min-coverage 100 --coverage-skip '*/report.lua' --quiet \
    --junit "$T/junit.xml" examples/pharma/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_contains "total" "100.0%" "$(printf '%s\n' "$OUT" | grep '^  total')"
  expect_contains "every rule fired" "rules that never fired: none" "$OUT"
  expect_eq "last line" "5 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_eq "junit" "5 0 0 0" "$(python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(" ".join(r.attrib[k] for k in ("tests", "failures", "errors", "skipped")))' "$T/junit.xml")"
}

test_run_selects_one_fixture() {
  cd "$ROOT" || return 1
  cp_run test --config $CFG --run '^recall\.contact' examples/pharma/fixtures
  expect_eq "exit" 0 "$RC"
  expect_eq "output" "ok   examples/pharma/fixtures/recall.yaml: recall.contact at 24 and 48 hours, the contact fulfils the notice
1 passed, 0 failed (4 left out by --run)" "$OUT"
}

test_a_run_over_generated_facts_reports_under_every_rule() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15
  expect_eq "exit" 0 "$RC"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM accounts WHERE status = 'active' AND created_on <= '2026-11-15'")
  expect_contains "summary" "评估 $n 家客户" "$OUT"
  expect_contains "summary" "规则错误 0 个，数据问题 0 个" "$OUT"
  expect_contains "summary: labels" "召回未及时通知" "$OUT"
  cp_run alerts --config $CFG --state "$T/s.db" --format csv
  local alerts=$OUT
  cp_run assignments --config $CFG --state "$T/s.db" --format csv
  local assignments=$OUT
  expect_eq "rules that reported" \
    "license.expired license.expiring recall.contact receivables.credit_hold receivables.overdue staffing.rep staffing.unfilled visit.cadence " \
    "$( { printf '%s\n' "$alerts" | sed 1d | cut -d, -f2; printf '%s\n' "$assignments" | sed 1d | cut -d, -f2; } | grep -v '^$' | sort -u | tr '\n' ' ')"
  # gen.py's boundary accounts: a license 7 days from expiry (the manager),
  # a recall not notified for 3 days (the manager), 90 days overdue (a hold)
  expect_contains "P9001" "P9001,license.expiring,医疗机构执业许可证,critical,3,M01," "$alerts"
  expect_contains "P9005" "P9005,recall.contact,RC03,critical,2,M09," "$alerts"
  expect_contains "P9003" "P9003,receivables.credit_hold,,critical,1,M09,逾期 90 天以上：信用冻结" "$alerts"
  expect_contains "a rep proposed" ",staffing.rep,rep,assign_rep,S" "$assignments"
  # a second run with the same facts adds no event
  local before after
  before=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "rerun: exit" 0 "$RC"
  after=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  expect_eq "rerun adds no event" "$before" "$after"
}

test_explain_shows_a_late_recall() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run explain --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --rule recall.contact P9005
  expect_eq "exit" 0 "$RC"
  expect_contains "fired" "rule recall.contact (examples/pharma/rules/recall.lua:4): fired" "$OUT"
  expect_contains "why" "why: recall RC03 announced 2026-11-12T12:30:00, 83.5 hours ago, contacted: false" "$OUT"
  expect_contains "its alert" "alert recall.contact: key \"RC03\", critical, level 2, assignee M09" "$OUT"
}

test_the_monthly_report_groups_by_region() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 400 2026-11-15 >/dev/null || fail "gen.py failed"
  cp_run run --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet
  expect_eq "run: exit" 0 "$RC"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.csv"
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  expect_eq "a byte order mark (zh-CN)" "efbbbf" "$(head -c 3 "$T/r.csv" | od -An -tx1 | tr -d ' \n')"
  local n
  n=$(sqlite3 "$T/f.db" "SELECT count(*) FROM accounts WHERE status = 'active' AND created_on <= '2026-11-15'")
  # groups in the byte order of their labels (华东 U+4E1C before 华北 U+5317)
  expect_eq "subtotals and total" "小计：华东大区
小计：华北大区
小计：华南大区
小计：西南大区
合计（$n）" "$(grep -a -o '^\(小计：[^（]*\|合计（[0-9]*）\)' "$T/r.csv")"
  expect_contains "header" "客户,大区,等级,销售代表,采购额（本月）,采购额（上月）,采购额（同比）,应收余额" "$(head -n 1 "$T/r.csv")"
  cp_run report --config $CFG --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 \
    --quiet -o "$T/r.html"
  expect_eq "html: exit" 0 "$RC"
  expect_contains "chart" "各大区月度采购额" "$(cat "$T/r.html")"
  expect_contains "series label" "西南大区" "$(cat "$T/r.html")"
}

test_push_delivers_the_feed_masked_and_signed() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/f.db" 60 2026-11-15 >/dev/null || fail "gen.py failed"
  # a copy of the example whose webhook is a receiver on a free loopback port
  cp -r examples/pharma "$T/p"
  cat > "$T/recv.py" <<'PY'
import hashlib, hmac, http.server, json, os, sys
secret = os.environ["PHARMA_HOOK_SECRET"].encode()
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        good = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(self.headers.get("X-Crmpolicy-Signature", ""), good)
        for e in json.loads(body)["events"]:
            out.write("%s %s %s\n" % ("signed" if ok else "BAD", e["type"], e["alert"]["client_id"] if "alert" in e else e["assignment"]["client_id"]))
        out.flush()
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.timeout = 30
for _ in range(20):
    s.handle_request()
PY
  timeout 60 python3 "$T/recv.py" "$T/got" "$T/port" & local pid=$!
  timeout 10 sh -c "while [ ! -s '$T/port' ]; do sleep 0.05; done" || fail "no receiver"
  sed -i "s|http://127.0.0.1:18080/|http://127.0.0.1:$(cat "$T/port")/|" "$T/p/crmpolicy.yaml"
  cp_run run --config "$T/p/crmpolicy.yaml" --facts "$T/f.db" --state "$T/s.db" --as-of 2026-11-15 --quiet --push
  expect_eq "run --push: exit" 0 "$RC"
  expect_eq "stderr" "" "$ERR"
  local events
  events=$(sqlite3 "$T/s.db" "SELECT count(*) FROM events")
  expect_eq "every event delivered, signed" "$events" "$(grep -c '^signed ' "$T/got")"
  expect_eq "client ids masked" "0" "$(grep -c ' P[0-9]' "$T/got")"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 0
}

test_the_generator_is_repeatable() {
  cd "$ROOT" || return 1
  python3 $GEN "$T/a.db" 50 2026-11-15 >/dev/null && python3 $GEN "$T/b.db" 50 2026-11-15 >/dev/null
  expect_eq "same dump" "$(sqlite3 "$T/a.db" .dump | md5sum)" "$(sqlite3 "$T/b.db" .dump | md5sum)"
}

run_tests
