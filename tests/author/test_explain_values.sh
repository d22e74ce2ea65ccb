#!/usr/bin/env bash
# tests/author/test_explain_values.sh: explain shows values as rules see
# them (rows by table and fields, maps as maps, derive{type = "date"} as a
# date); columns marked sensitive are masked in explain and refused in
# results; the feed's salt can come from an environment variable.
shopt -s extglob
. "$(dirname "$0")/common.sh"

# guardian_policy: client C1 (phone sensitive) with two contacts.
guardian_policy() {
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients:
  name: clients
  id: id
  columns: [{name: tier, type: text}, {name: phone, type: text, sensitive: true}]
tables:
  - name: contacts
    key: client_id
    order: id
    columns:
      - {name: id, type: integer}
      - {name: day, type: date}
      - {name: guardian, type: text, sensitive: true}
feed:
  mask: [client_id]
YAML
  sqlite3 f.db "CREATE TABLE clients(id TEXT, tier TEXT, phone TEXT);
    CREATE TABLE contacts(client_id TEXT, id INTEGER, day TEXT, guardian TEXT);
    INSERT INTO clients VALUES ('C1', 'gold', '13800001111');
    INSERT INTO contacts VALUES ('C1', 1, '2026-05-01', 'Wang Fang'), ('C1', 2, '2026-06-01', NULL);"
  cat > r.lua <<'LUA'
derive { id = "last_day", doc = "The latest contact.", type = "date",
         fn = function(c) return c.contacts:max("day") end }
derive { id = "last", doc = "The latest contact row.",
         fn = function(c) local _, row = c.contacts:max("day") return row end }
derive { id = "summary", doc = "A map.",
         fn = function(c) return { tier = c.tier, days = { 30, 60 }, [2] = true } end }
rule {
  id = "contact.due",
  doc = "Reads everything.",
  fn = function(c)
    local _ = c.last_day, c.last, c.summary, c.phone
    alert { severity = "info", level = 1, title = "due" }
  end,
}
LUA
}

test_explain_shows_rows_maps_and_typed_dates() {
  guardian_policy
  cp_run explain C1 --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  expect_contains "date" "  last_day = 2026-06-01" "$OUT"
  expect_contains "row" "  last = contacts row {id = 2, day = 2026-06-01, guardian = <sensitive>}" "$OUT"
  expect_contains "map" '  summary = {[2] = true, days = {30, 60}, tier = "gold"}' "$OUT"
  expect_contains "rows" "from: contacts = <2 rows>" "$OUT"
}

test_explain_shows_a_date_out_of_the_calendar_as_its_number() {
  guardian_policy
  sed -i 's/return c.contacts:max("day") end/return math.maxinteger end/' r.lua
  cat >> r.lua <<'LUA'
derive { id = "first_time", doc = "A time before the calendar.", type = "timestamp",
         fn = function(c) return math.mininteger end }
rule { id = "t", doc = "reads it", fn = function(c) local _ = c.first_time end }
LUA
  cp_run explain C1 --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  expect_contains "date" "  last_day = 9223372036854775807" "$OUT"
  expect_contains "time" "  first_time = -9223372036854775808" "$OUT"
}

test_explain_masks_sensitive_columns() {
  guardian_policy
  cp_run explain C1 --config c.yaml --as-of 2026-06-30
  expect_contains "masked" "phone = <sensitive>" "$OUT"
  case "$OUT" in *13800001111*|*Wang*) fail "explain shows a sensitive value: $OUT" ;; esac
  cp_run explain C1 --config c.yaml --as-of 2026-06-30 --format json
  case "$OUT" in *13800001111*|*Wang*) fail "explain's JSON shows a sensitive value" ;; esac
}

test_explain_json_quotes_what_json_has_no_number_for() {
  guardian_policy
  cat >> r.lua <<'LUA'
derive { id = "share", doc = "0/0.", fn = function(c) return 0 / 0 end }
derive { id = "low", doc = "-inf.", fn = function(c) return -math.huge end }
derive { id = "n", doc = "A number.", fn = function(c) return 2.5 end }
rule { id = "r", doc = "Reads them.", fn = function(c) local _ = c.share, c.low, c.n end }
LUA
  cp_run explain C1 --config c.yaml --as-of 2026-06-30
  expect_contains "text" "reads: share = nan, low = -inf, n = 2.5" "$OUT"
  cp_run explain C1 --config c.yaml --as-of 2026-06-30 --format json
  expect_eq "exit" 0 "$RC"
  expect_eq "valid JSON" "ok" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin, parse_constant=lambda c: sys.exit(1)); print("ok")')"
  expect_contains "nan quoted" '"value":"nan"' "$OUT"
  expect_contains "a number as it is" '"value":2.5' "$OUT"
}

test_explain_masks_sensitive_values_in_reasons_and_derived_values() {
  guardian_policy
  cat >> r.lua <<'LUA'
derive { id = "reach", doc = "Who to call.",
         fn = function(c) return "call " .. c.phone .. " or " .. (c.contacts[1].guardian or "") end }
rule { id = "r", doc = "Gives reasons.", fn = function(c)
  why("phone %s, guardian %s, %s", c.phone, c.contacts[1].guardian, c.reach)
end }
LUA
  cp_run explain C1 --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  expect_contains "reason" "why: phone <sensitive>, guardian <sensitive>, call <sensitive> or <sensitive>" "$OUT"
  expect_contains "derived" 'reads: reach = call <sensitive> or <sensitive>' "$OUT"
  case "$OUT" in *13800001111*|*Wang*) fail "explain shows a sensitive value: $OUT" ;; esac
  cp_run explain C1 --config c.yaml --as-of 2026-06-30 --format json
  expect_contains "JSON reason" '"phone <sensitive>, guardian <sensitive>, call <sensitive> or <sensitive>"' "$OUT"
  case "$OUT" in *13800001111*|*Wang*) fail "explain's JSON shows a sensitive value: $OUT" ;; esac
}

test_a_result_holding_a_sensitive_value_is_a_rule_error() {
  guardian_policy
  sed -i 's/title = "due" }/title = "call " .. c.phone }/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "r.lua:12: alert{}: its title holds the client's clients.phone, a sensitive column (config): leave it out of results (rule contact.due, client C1)" "$ERR"
  rm -f s.db
  sed -i 's/title = "call " .. c.phone }/title = "due", data = { who = c.contacts[1].guardian } }/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_contains "stderr" "alert{}: its data holds the client's contacts.guardian, a sensitive column" "$ERR"
  cp_run feed --config c.yaml
  expect_eq "feed" "" "$OUT"
}

test_a_sensitive_value_that_json_escapes_is_found_in_data() {
  # probe-ai: data is checked as the JSON it is stored as, where a value
  # with a line break, a quote, a backslash or a tab is escaped ("a\nb"):
  # such a guardian's name went into the state and the feed
  guardian_policy
  sqlite3 f.db "UPDATE contacts SET guardian = 'Wang' || char(10) || 'Fang' WHERE id = 1;
    INSERT INTO clients VALUES ('C2', 'gold', 'Li \"Lei\"'), ('C3', 'gold', 'D:\\guard'),
      ('C4', 'gold', 'tab' || char(9) || 'bed');"
  sed -i 's/title = "due" }/title = "due", data = { who = c.contacts[1] and c.contacts[1].guardian, phone = c.id ~= "C1" and c.phone or nil } }/' r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "$(printf '%s\n' "$ERR" | head -1)
crmpolicy: r.lua:12: alert{}: its data holds the client's contacts.guardian, a sensitive column (config): leave it out of results (rule contact.due, client C1)
crmpolicy: r.lua:12: alert{}: its data holds the client's clients.phone, a sensitive column (config): leave it out of results (rule contact.due, client C2)
crmpolicy: r.lua:12: alert{}: its data holds the client's clients.phone, a sensitive column (config): leave it out of results (rule contact.due, client C3)
crmpolicy: r.lua:12: alert{}: its data holds the client's clients.phone, a sensitive column (config): leave it out of results (rule contact.due, client C4)" "$ERR"
  expect_contains "the warning above" "feed.mask without salt" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "alerts" "0" "$(sqlite3 s.db "SELECT count(*) FROM alerts")"
}

test_the_feed_salt_can_come_from_the_environment() {
  guardian_policy
  sed -i 's/^  mask: \[client_id\]$/  mask: [client_id]\n  salt: s3cret/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-30
  cp_run feed --config c.yaml
  local with_salt=${OUT/\"epoch\":\"*([0-9a-f])\"/}
  rm -f s.db
  sed -i 's/^  salt: s3cret$/  salt_env: CRMPOLICY_TEST_SALT/' c.yaml
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit without the variable" 2 "$RC"
  expect_eq "stderr" "crmpolicy: c.yaml: feed.salt_env: the environment variable CRMPOLICY_TEST_SALT is not set: export it with the feed's salt (masked ids are hashed with it), as every run and push must" "$ERR"
  CRMPOLICY_TEST_SALT=s3cret cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  cp_run feed --config c.yaml
  # a new state database has a new epoch; the masks must not change
  expect_eq "the same masks" "$with_salt" "${OUT/\"epoch\":\"*([0-9a-f])\"/}"
  expect_contains "masked" '"client_id":"~' "$OUT"
  printf '  salt: s3cret\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit with both" 2 "$RC"
  expect_contains "stderr" "feed: give salt or salt_env, not both" "$ERR"
}

test_explain_shows_a_nul_byte_not_cutting_the_value() {
  guardian_policy
  cat > r.lua <<'LUA'
derive { id = "d_str", doc = "d", fn = function(c) return "ok\0 hidden" end }
derive { id = "d_map", doc = "d", fn = function(c) return { ["k\0h"] = 1 } end }
rule { id = "r", doc = "d", fn = function(c)
  local _ = c.d_str .. tostring(c.d_map)
  why("%s", "reason\0 hidden")
end }
LUA
  cp_run explain --config c.yaml --as-of 2026-06-30 C1
  expect_eq "exit" 0 "$RC"
  expect_contains "derived" 'd_str = ok\x00 hidden' "$OUT"
  expect_contains "map key" 'd_map = {k\x00h = 1}' "$OUT"
  expect_contains "why" 'why: reason\x00 hidden' "$OUT"
}

# probe-aj: a derived text of several MB was printed whole, under the
# derived values and again under every rule that read it
test_explain_text_cuts_a_long_value_and_json_keeps_it() {
  guardian_policy
  echo 'limits: {memory_mb: 64, instructions: 50000000}' >> c.yaml
  cat > r.lua <<'LUA'
derive { id = "big", doc = "d", fn = function(c) return "a" .. string.rep("é", 2000000) end }
derive { id = "edge", doc = "d", fn = function(c) return string.rep("x", 1000) end }
derive { id = "uses", doc = "d", fn = function(c) return #c.big end }
rule { id = "r", doc = "d", fn = function(c)
  local _ = c.uses .. c.big .. c.edge
end }
LUA
  cp_run explain --config c.yaml --as-of 2026-06-30 C1
  expect_eq "exit" 0 "$RC"
  local cut="a$(printf 'é%.0s' $(seq 499))... (cut: 4000001 bytes in all; --format json shows it whole)"
  local edge=$(printf 'x%.0s' $(seq 1000))   # 1000 bytes: shown whole
  expect_contains "derived" "  big = $cut
  uses = 4000001
      from: big = $cut
  edge = $edge
" "$OUT"
  expect_contains "reads" "reads: big = $cut, uses = 4000001, edge = $edge" "$OUT"
  [ "$(printf '%s' "$OUT" | wc -c)" -lt 20000 ] || fail "text output of $(printf '%s' "$OUT" | wc -c) bytes"
  cp_run explain --config c.yaml --as-of 2026-06-30 --format json C1
  expect_eq "json: exit" 0 "$RC"
  expect_eq "json: the value whole" "4000001 4000001" \
    "$(printf '%s' "$OUT" | python3 -c 'import json, sys; d = json.load(sys.stdin)["derived"]; v = {x["id"]: x["value"] for x in d}; print(len(v["big"].encode()), v["uses"])')"
}

run_tests
