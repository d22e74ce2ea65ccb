#!/usr/bin/env bash
# tests/cli/test_feed.sh: the event feed: what consumers read, seq order,
# and the config's privacy settings (drop and mask).
. "$(dirname "$0")/../lib.sh"

# One client with one always-firing rule; $1 is appended to the config.
setup() {
  clients_config "[{name: name, type: text}]" "${1:-}"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES('C1','上海甲公司','active','2026-01-01');"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c)
  alert { severity = "info", key = "k1", assignee = "S9", title = "about " .. c.name, data = { name = c.name } }
end }
LUA
}

test_feed_prints_events_after_since_in_seq_order() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  printf 'rule { id = "r", doc = "d", fn = function(c) end }\n' > r.lua
  cp_run run --config c.yaml --as-of 2026-06-02 --quiet
  cp_run feed --config c.yaml --since 0
  expect_eq "types" "1 alert.opened|2 alert.resolved" \
    "$(printf '%s\n' "$OUT" | sed -E 's/^\{"seq":([0-9]+),"type":"([a-z.]+)".*/\1 \2/' | paste -sd'|')"
  cp_run feed --config c.yaml --since 1
  expect_contains "after 1" '"seq":2,"type":"alert.resolved","run_id":2,"at":"2026-06-02T23:59:59"' "$OUT"
  cp_run feed --config c.yaml --since 2
  expect_eq "nothing after the last" "" "$OUT"
}

test_feed_carries_everything_by_default() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  cp_run feed --config c.yaml
  expect_contains "client" '"client_id":"C1","key":"k1"' "$OUT"
  expect_contains "title" '"title":"about 上海甲公司"' "$OUT"
}

test_feed_drops_and_masks_what_the_config_says() {
  setup "feed: {drop: [title, data], mask: [client_id, assignee], salt: pepper}"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  cp_run feed --config c.yaml
  expect_contains "title dropped" '"title":null,"data":{}' "$OUT"
  case "$OUT" in *C1*|*上海*|*S9*) fail "customer data leaked: $OUT" ;; esac
  expect_contains "masked id" '"client_id":"~' "$OUT"
  # The state keeps everything for the people who run the engine.
  cp_run alerts --config c.yaml --format jsonl
  expect_contains "alerts unmasked" '"client_id":"C1"' "$OUT"
}

test_masks_are_stable_and_depend_on_the_salt() {
  setup "feed: {mask: [client_id], salt: one}"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  a=$(sqlite3 s.db "SELECT json_extract(body, '$.client_id') FROM events")
  rm -f s.db*; cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  b=$(sqlite3 s.db "SELECT json_extract(body, '$.client_id') FROM events")
  expect_eq "stable" "$a" "$b"
  sed -i 's/salt: one/salt: two/' c.yaml
  rm -f s.db*; cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  c=$(sqlite3 s.db "SELECT json_extract(body, '$.client_id') FROM events")
  [ "$a" != "$c" ] || fail "the salt does not change the mask"
}

test_dropping_an_id_is_refused() {
  setup "feed: {drop: [client_id]}"
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:5: feed: client_id and key identify a result; mask them, do not drop them" "$ERR"
}

test_unknown_feed_field_is_refused() {
  setup "feed: {drop: [phone]}"
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:5: Unknown flag: phone at feed.drop" "$ERR"
}

test_state_database_is_private() {
  setup
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet
  expect_eq "mode" "600" "$(stat -c %a s.db)"
}

run_tests
