#!/usr/bin/env bash
# tests/report/test_currency.sh: the config's `currency` names the unit of
# the report's money axis ("million GBP"); without it the axis says yuan
# (元 in zh-CN), as before. The name is the config's text: escaped in HTML.
. "$(dirname "$0")/../lib.sh"

# money_report [CONFIG LINE...]: three clients whose series is 1,500,000.00
# a month, and the report's HTML of June 2026 in r.html.
money_report() {
  rm -f f.db s.db r.html
  clients_config "[{name: name, type: text}]" "$@"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES
    ('C1','A','active','2026-01-01'), ('C2','B','active','2026-01-01'),
    ('C3','C','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "t", title = "T", doc = "d",
  columns = { { id = "name", label = "Name", type = "text" },
              { id = "m", label = "M", type = "money" } },
  series = { title = "S", type = "money" },
  row = function(c, month, alerts)
    local v = {} for i = 1, 12 do v[i] = 50000000 end
    return { name = c.name, m = 50000000, series = { group = "g", values = v } }
  end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-30 --quiet || fail "run failed"
  cp_run report --config c.yaml --as-of 2026-06-30 -o r.html --quiet
  expect_eq "report exit" 0 "$RC"
}

# axis_unit: the text above the money axis of r.html.
axis_unit() {
  grep -o 'text-anchor="end">[^<0-9]*</text>' r.html | sed 's/.*">//; s/<.*//' | head -1
}

test_without_currency_the_axis_says_yuan() {
  money_report
  expect_eq "en" "million yuan" "$(axis_unit)"
  money_report "locale: zh-CN"
  expect_eq "zh-CN" "万元" "$(axis_unit)"
}

test_the_config_currency_names_the_axis_unit() {
  money_report "currency: GBP"
  expect_eq "en" "million GBP" "$(axis_unit)"
  money_report "locale: zh-CN" "currency: 英镑"
  expect_eq "zh-CN" "万英镑" "$(axis_unit)"
  money_report "currency: '<b>&'"
  expect_eq "escaped" "million &lt;b&gt;&amp;" "$(axis_unit)"
}

test_an_empty_currency_is_an_error() {
  clients_config "[{name: name, type: text}]" "currency: ''"
  cp_run check --config c.yaml
  expect_eq "empty" "2|crmpolicy: c.yaml:5: currency: an empty text is not allowed here (\"\"): write a value" "$RC|$ERR"
}

run_tests
