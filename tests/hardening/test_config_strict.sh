#!/usr/bin/env bash
# tests/hardening/test_config_strict.sh: the config and the numbers are
# strict. A key given twice in any mapping of the config or of a fixture
# (params at any depth, a second params: section) is an error at the
# repeat's line naming the first, and so is a YAML tag; an integer or money sum that would not fit
# in 64 bits is an error, never a wrapped number; and `run` exits with the
# README's codes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/badfacts.sh"

# run_strictly ARGS...: crmpolicy ARGS under a timeout; sets OUT, ERR, RC.
run_strictly() {
  OUT=$(timeout 60 "$CRMPOLICY" "$@" 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

# run_it: a run as of 2026-06-01 of c.yaml.
run_it() {
  run_strictly run --config c.yaml --as-of 2026-06-01 --quiet
}

# expect_config_error MESSAGE: exit 2, MESSAGE, no state written.
expect_config_error() {
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "$1" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_a_key_repeated_inside_params_is_an_error_with_both_lines() {
  config; facts ""
  printf 'params:\n  visits:\n    days: 30\n    tiers: {a: 1}\n    days: 31\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:33: duplicate key 'days' (first at line 31)"
}

test_a_list_where_one_value_goes_says_so() {
  config; facts ""
  sed -i '0,/^    order: ordered_on$/s//    order: [ordered_on, id]/' c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$(grep -n 'order: \[' c.yaml | cut -d: -f1): one value is expected here, not a list at tables"
  sed -i 's/order: \[ordered_on, id\]/order: {by: ordered_on}/' c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$(grep -n 'order: {' c.yaml | cut -d: -f1): one value is expected here, not a mapping at tables"
}

# probe-aa: a mapping where a list goes (rules: {a: r.lua}) was "one value is
# expected here, not a list", and one value there libcyaml's own "Expecting
# SEQUENCE, got event: SCALAR".
test_a_list_or_a_mapping_given_the_wrong_kind_says_which_goes_there() {
  config; facts ""
  cp c.yaml c.yaml.orig
  sed -i 's/^rules: \[\(.*\)\]$/rules: {a: \1}/' c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$(grep -n '^rules:' c.yaml | cut -d: -f1): a list is expected here, not a mapping at rules"
  sed -i 's/^rules: {a: \(.*\)}$/rules: \1/' c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$(grep -n '^rules:' c.yaml | cut -d: -f1): a list is expected here, not one value at rules"
  cp c.yaml.orig c.yaml
  printf 'limits: [16]\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$(grep -n '^limits:' c.yaml | cut -d: -f1): a mapping is expected here, not a list at limits"
}

test_limits_are_whole_numbers_of_at_least_one() {
  config; facts ""
  cp c.yaml c.yaml.orig
  for v in 0 16.5 '"200000"' -5 1e6; do
    cp c.yaml.orig c.yaml
    printf 'limits: {memory_mb: 16, instructions: %s}\n' "$v" >> c.yaml
    run_it
    expect_config_error "crmpolicy: c.yaml:29: limits.instructions: '${v//\"/}' is not a whole number of at least 1"
  done
  cp c.yaml.orig c.yaml
  printf 'limits:\n  memory_mb: 0\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:30: limits.memory_mb: '0' is not a whole number of at least 1"
  cp c.yaml.orig c.yaml
  printf 'limits: {memory_mb: 16, instructions: 200000}\n' >> c.yaml
  run_it
  expect_eq "sound limits" 0 "$RC"
}

# with_lines TEXT MESSAGE: c.yaml.orig with TEXT (printf) appended is refused
# with MESSAGE, the config error's whole stderr.
with_lines() {
  cp c.yaml.orig c.yaml
  printf "$1" >> c.yaml
  run_it
  expect_config_error "$2"
}

test_numbers_with_a_leading_zero_are_errors_not_octal() {
  config; facts ""
  cp c.yaml c.yaml.orig
  local octal="has a leading zero, which YAML reads as an octal number"
  with_lines 'limits: {memory_mb: 017}\n' "crmpolicy: c.yaml:29: limits.memory_mb: '017' $octal; write 17"
  with_lines 'guard:\n  resolve_percent: 030\n' \
    "crmpolicy: c.yaml:30: guard.resolve_percent: '030' $octal; write 30"
  with_lines 'guard: {min_count: 00}\n' "crmpolicy: c.yaml:29: guard.min_count: '00' $octal; write 0"
  local sink='sinks:\n  - {name: am, type: alertmanager, url: "http://127.0.0.1:9/", timeout_ms: %s}\n'
  with_lines "$(printf "$sink" 010)\n" \
    "crmpolicy: c.yaml:30: sinks: 'am': timeout_ms: '010' $octal; write 10"
  with_lines "$(printf "$sink" 16.5)\n" \
    "crmpolicy: c.yaml:30: sinks: 'am': timeout_ms: '16.5' is not a whole number"
  with_lines "$(printf "$sink" '"200"')\n" \
    "crmpolicy: c.yaml:30: sinks: 'am': timeout_ms: '200' is not a whole number"
  # params too: an area code 010 read as the number 10 never equals the text
  local params="has a leading zero, which YAML readers take as octal or as decimal"
  with_lines 'params:\n  area: 010\n' \
    "crmpolicy: c.yaml:30: params: 010 $params: quote it ('010') to make it text, or write it without the zero"
  with_lines 'params:\n  zones: {007: a}\n' \
    "crmpolicy: c.yaml:30: params: 007 $params: quote it ('007') to make it text, or write it without the zero"
  with_lines 'params:\n  x: [1, -012.5]\n' \
    "crmpolicy: c.yaml:30: params: -012.5 $params: quote it ('-012.5') to make it text, or write it without the zero"
  # and a number no double holds: 1e-400 was 0, 1e400 the text "1e400"
  local range="is beyond the range of a number (about 1e-308 to 1e308 in size)"
  with_lines 'params:\n  rate: 1e-400\n' \
    "crmpolicy: c.yaml:30: params: 1e-400 $range: write a number within it, or quote it ('1e-400') to make it text"
  with_lines 'params:\n  caps: {-1e400: a}\n' \
    "crmpolicy: c.yaml:30: params: -1e400 $range: write a number within it, or quote it ('-1e400') to make it text"
  cp c.yaml.orig c.yaml
  printf "guard: {resolve_percent: 0, min_count: 100}\nlimits: {memory_mb: 10}\nparams: {area: '010', x: [0, -0, 0.5, 100, 5e-324, 1e308, '1e400']}\n" >> c.yaml
  run_it
  expect_eq "zero and plain numbers" 0 "$RC"
}

test_params_numbers_other_yaml_readers_take_as_numbers_are_errors() {
  # 0x1F, 0o17, 1_000 and .inf are numbers to YAML 1.1 or 1.2 readers and
  # were text here: a threshold of 1_000_000 was a string equal to no amount
  config; facts ""
  cp c.yaml c.yaml.orig
  local foreign="is a number to some YAML readers but text to this one: write it as a plain decimal number (1000, 31, 0.25), or quote it"
  local v
  for v in 0x1F -0x1f 0o17 0b101 1_000_000 -1_000.5 .inf -.Inf .nan .NaN; do
    with_lines "params:\n  max: $v\n" "crmpolicy: c.yaml:30: params: $v $foreign ('$v') to make it text"
  done
  with_lines 'params:\n  caps: {0xFF: a}\n' "crmpolicy: c.yaml:30: params: 0xFF $foreign ('0xFF') to make it text"
  cp c.yaml.orig c.yaml
  printf "params: {a: '0x1F', b: \"1_000\", c: [_1, 1_a, 0x, 0xZZ, S_1, 1e_5, .infx, -.nan, inf, 1e5]}\n" >> c.yaml
  run_it
  expect_eq "texts and plain numbers" 0 "$RC"
}

test_numbers_too_large_for_their_setting_give_the_range() {
  # checked before the typed load, whose own message ("Invalid UINT value") has no range
  config; facts ""
  cp c.yaml c.yaml.orig
  local range="is too large: it is a whole number from"
  with_lines 'limits: {memory_mb: 4294967296}\n' \
    "crmpolicy: c.yaml:29: limits.memory_mb: '4294967296' $range 1 to 4294967295"
  with_lines 'limits:\n  instructions: 18446744073709551616\n' \
    "crmpolicy: c.yaml:30: limits.instructions: '18446744073709551616' $range 1 to 18446744073709551615"
  with_lines 'guard: {min_count: 99999999999}\n' \
    "crmpolicy: c.yaml:29: guard.min_count: '99999999999' $range 0 to 4294967295"
  local sink='sinks:\n  - {name: am, type: alertmanager, url: "http://127.0.0.1:9/", retries: %s}\n'
  with_lines "$(printf "$sink" 4294967296)\n" \
    "crmpolicy: c.yaml:30: sinks: 'am': retries: '4294967296' $range 0 to 4294967295"
  cp c.yaml.orig c.yaml
  printf 'limits: {memory_mb: 4294967295, instructions: 18446744073709551615}\n' >> c.yaml
  run_it
  expect_eq "the largest of each" 0 "$RC"
}

test_a_value_not_among_a_keys_values_names_them() {
  config; facts ""
  cp c.yaml c.yaml.orig
  local n
  n=$(grep -n '{name: ordered_on, type: date' c.yaml | head -1 | cut -d: -f1)
  sed -i "${n}s/type: date/type: datetime/" c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$n: type: 'datetime' is not one of text, integer, real, money, date, timestamp, boolean (at tables)"
  with_lines 'locale: fr\n' "crmpolicy: c.yaml:29: locale: 'fr' is not one of en, zh-CN"
  local sink='sinks:\n  - {name: am, type: pager, url: "http://127.0.0.1:9/"}\n'
  with_lines "$sink" "crmpolicy: c.yaml:30: type: 'pager' is not one of alertmanager, webhook (at sinks)"
}

# A column's required and sensitive are true or false: libcyaml read any
# other text (required: nope, required: ~, sensitive: '') as true.
test_a_column_flag_that_is_not_true_or_false_is_an_error() {
  config; facts ""
  cp c.yaml c.yaml.orig
  local n v
  n=$(grep -n '{name: amount, type: money, required: true}' c.yaml | head -1 | cut -d: -f1)
  for v in nope '~' 2 "'true'"; do
    cp c.yaml.orig c.yaml
    sed -i "${n}s/required: true/required: $v/" c.yaml
    run_it
    expect_config_error "crmpolicy: c.yaml:$n: required: '${v//\'/}' is not true or false"
  done
  cp c.yaml.orig c.yaml
  sed -i "${n}s/required: true/sensitive: maybe/" c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:$n: sensitive: 'maybe' is not true or false"
  cp c.yaml.orig c.yaml
  sed -i "${n}s/required: true/required: False, sensitive: yes/" c.yaml
  run_it
  expect_eq "False and yes" 0 "$RC"
}

# c.id is the client id: a clients column named id (when the id is another
# column) or a table named id could never be read, and c.id gave the client
# id silently (probe-z). A column id that is the id column itself may be
# declared.
test_a_column_or_table_named_id_that_c_id_hides_is_an_error() {
  sqlite3 f.db "CREATE TABLE cl(no TEXT, id TEXT); INSERT INTO cl VALUES('N1','legacy-1');
    CREATE TABLE orders(client_id TEXT, amount REAL);"
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: cl, id: no, columns: [{name: id, type: text}]}\n' > c.yaml
  printf 'rule { id = "a", doc = "d", fn = function(c) alert { severity = "info", title = c.id } end }\n' > r.lua
  run_it
  expect_eq "column" "2|crmpolicy: c.yaml:4: clients: a column named 'id' cannot be read: c.id is the client id (column 'no'); read it under another name (a view can rename it)" "$RC|$ERR"
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: cl, id: no, columns: []}\ntables:\n  - {name: id, table: orders, key: client_id, columns: [{name: amount, type: money}]}\n' > c.yaml
  run_it
  expect_eq "table" "2|crmpolicy: c.yaml:6: tables: a table named 'id' cannot be read: c.id is the client id; give it another name" "$RC|$ERR"
  printf 'facts: f.db\nstate: s.db\nrules: [r.lua]\nclients: {name: cl, id: id, columns: [{name: id, type: text}]}\n' > c.yaml
  run_it
  expect_eq "the id column itself" "0|" "$RC|$ERR"
}

# A merge key is an error, as an alias is: params: {d: {<<: {x: 2}}} gave
# rules params.d["<<"].x, not params.d.x (YAML 1.1 merges it in).
test_a_yaml_merge_key_is_an_error_not_a_key() {
  config; facts ""
  printf 'params:\n  d:\n    <<: {x: 2}\n    y: 1\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:31: a YAML merge key ('<<') is not supported: write the keys out (or quote '<<' to make it text)"
  sed -i "s/<<: {x: 2}/'<<': {x: 2}/" c.yaml
  run_it
  expect_eq "quoted" 0 "$RC"
}

test_a_key_repeated_deep_in_a_flow_mapping_is_an_error() {
  config; facts ""
  printf 'params:\n  a: {b: {c: {d: 1, e: 2, d: 3}}}\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:30: duplicate key 'd' (first at line 30)"
}

test_params_keys_that_convert_to_one_lua_key_or_to_none_are_errors() {
  local k want
  while IFS='|' read -r k want; do
    rm -f f.db s.db; config; facts ""
    printf 'params:\n  k:\n    %s: a\n    %s: b\n' "${k%% *}" "${k#* }" >> c.yaml
    run_it
    expect_config_error "crmpolicy: c.yaml:32: params: the key '${k#* }' is the key '${k%% *}' of line 31 to a rule (the same $want); give it once"
  done <<< "$PARAMS_KEY_TWINS"
  for k in '~' null; do
    rm -f f.db s.db; config; facts ""
    printf 'params:\n  k:\n    b: 1\n    %s: a\n' "$k" >> c.yaml
    run_it
    expect_config_error "crmpolicy: c.yaml:32: params: the key '$k' is null: no key a rule can read; quote it to make it text"
  done
  rm -f f.db s.db; config; facts ""
  printf 'params:\n  k: {b: 1, ? : a}\n' >> c.yaml   # an empty key
  run_it
  expect_config_error "crmpolicy: c.yaml:30: params: the key '' is null: no key a rule can read; quote it to make it text"
  rm -f f.db s.db; config; facts ""
  printf 'params:\n  k: {-0.0: a, 0: b}\n' >> c.yaml   # on one line: both keys name it
  run_it
  expect_config_error "crmpolicy: c.yaml:30: params: the key '0' is the key '-0.0' of line 30 to a rule (the same number); give it once"
}

test_a_second_params_section_is_an_error() {
  config; facts ""
  printf 'params:\n  a: 1\nlimits: {instructions: 100000}\nparams:\n  b: 2\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:32: duplicate key 'params' (first at line 29)"
}

test_a_repeated_top_level_key_is_an_error() {
  config; facts ""
  printf 'state: other.db\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:29: duplicate key 'state' (first at line 2)"
  [ ! -e other.db ] || fail "other.db was created"
}

test_a_key_repeated_in_a_table_declaration_is_an_error() {
  config; facts ""
  sed -i 's/^    key: client_id$/    key: client_id\n    key: id/;' c.yaml
  run_it
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:13: duplicate key 'key' (first at line 12)" "$(printf '%s\n' "$ERR" | head -1)"
}

test_a_nul_byte_in_a_param_key_is_an_error() {
  config; facts ""
  printf 'params:\n  "a\\0b": 1\n  "a\\0c": 2\n' >> c.yaml
  run_it
  expect_config_error "crmpolicy: c.yaml:30: a NUL byte in a value or key is not allowed"
}

# A YAML tag is an error at its line: it was ignored, so `!!str 12` reached
# rules as the number 12 and `!!binary` as its base64 text (probe-t).
test_a_bracket_left_open_names_the_line_it_began_on() {
  # policy-z: "hours: [72, 168, 336" on one line was said at the next
  config; facts ""
  printf 'params:\n  hours: [72, 168, 336\n  other: 1\n' >> c.yaml
  local at; at=$(grep -n '^  hours: ' c.yaml | cut -d: -f1)
  run_it
  expect_config_error "crmpolicy: c.yaml:$((at + 1)): did not find expected ',' or ']' (while parsing a flow sequence that begins at line $at)"
}

test_a_yaml_tag_is_an_error_not_ignored() {
  config; facts ""
  cp c.yaml base.yaml
  local t
  for t in '!!str 12|!!str' '!!binary aGk=|!!binary' '!!map {b: 1}|!!map' '!mine [1]|!mine' '! 12|!'; do
    cp base.yaml c.yaml
    printf 'params:\n  x: 1\n  a: %s\n' "${t%%|*}" >> c.yaml
    run_it
    expect_config_error "crmpolicy: c.yaml:31: a YAML tag ('${t#*|}') is not supported: quote a value to make it text"
  done
  cat > fx.yaml <<'YAML'
name: a fixture with a tag
facts:
  clients:
    - {id: !!str C1, name: A, status: active, created_on: 2026-01-01}
steps:
  - as_of: 2026-06-01
YAML
  run_fixture base.yaml
  expect_eq "fixture: exit" 2 "$RC"
  expect_eq "fixture: message" "crmpolicy: fx.yaml:4: a YAML tag ('!!str') is not supported: quote a value to make it text" "$ERR"
}

# run_fixture CONFIG: runs fx.yaml under CONFIG (temporary files in tmp/,
# a minute at most); sets OUT, RC and ERR.
run_fixture() {
  mkdir -p tmp
  OUT=$(TMPDIR=$T/tmp timeout 60 "$CRMPOLICY" test --config "$1" fx.yaml 2>"$T/stderr")
  RC=$?
  ERR=$(cat "$T/stderr")
}

test_check_reports_a_duplicate_param_too() {
  config; facts ""
  printf 'params:\n  x: 1\n  x: 1\n' >> c.yaml
  run_strictly check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: c.yaml:31: duplicate key 'x' (first at line 30)" "$ERR"
}

test_a_key_repeated_in_a_fixture_is_an_error_naming_the_fixture() {
  config
  cat > fx.yaml <<'YAML'
name: a fixture with a repeated key
facts:
  clients:
    - {id: C1, name: A, status: active, created_on: 2026-01-01, status: closed}
steps:
  - as_of: 2026-06-01
YAML
  run_fixture c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: fx.yaml:4: duplicate key 'status' (first at line 4)" "$ERR"
}

# big_orders: C1 has two orders of 5e16 currency units (5e18 cents each,
# stored as integers in an untyped table): each fits in 64 bits, their sum
# does not.
big_orders() {
  config
  facts ""
  untyped orders
  sqlite3 f.db "INSERT INTO orders(id,client_id,ordered_on,amount) VALUES
    ('B1','C1','2026-03-05',50000000000000000), ('B2','C1','2026-03-06',50000000000000000);"
}

test_a_rows_sum_that_overflows_is_the_rules_error_not_a_wrapped_number() {
  big_orders
  cat > r.lua <<'LUA'
rule { id = "total", doc = "sums the orders", fn = function(c)
  alert { severity = "info", title = "total", data = { total = c.orders:sum("amount") } }
end }
LUA
  run_it
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: sum(): the sum does not fit in a 64-bit integer (rule total, client C1)" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "other clients" '{"total":2000}|{"total":3000}' "$(sqlite3 s.db "SELECT group_concat(data, '|') FROM (SELECT data FROM alerts ORDER BY client_id)")"
  expect_eq "negative totals" 0 "$(sqlite3 s.db "SELECT count(*) FROM alerts WHERE data LIKE '%-%'")"
}

# An aggregate whose total does not fit used to stop the run (exit 3, nothing
# written): one odd value in the export took the whole night. Now only the
# rules that read it fail, for each client, keeping their results; the
# others run, and the run is committed, incomplete (exit 1).
AGG_OVER="crmpolicy: aggregate: the sum of orders.amount does not fit in a 64-bit integer (aggregate 'sales'; every rule that reads run.sales fails for each client and keeps its results)"

# overflowing_sales: big_orders, the aggregate sales, a rule that reads it
# and one that does not.
overflowing_sales() {
  big_orders
  cat > r.lua <<'LUA'
aggregate { id = "sales", doc = "all orders", table = "orders", sum = "amount" }
rule { id = "r", doc = "uses it", fn = function(c)
  alert { severity = "info", title = "sales " .. run.sales }
end }
rule { id = "other", doc = "does not", fn = function(c)
  alert { severity = "info", title = "other" }
end }
LUA
}

test_an_aggregate_sum_that_overflows_fails_its_readers_and_the_run_goes_on() {
  overflowing_sales
  # a first run in which it fits: the readers' alerts, to be kept
  sqlite3 f.db "UPDATE orders SET amount = 5 WHERE id IN ('B1', 'B2')"
  run_it
  expect_eq "first: exit" 0 "$RC"
  sqlite3 f.db "UPDATE orders SET amount = 50000000000000000 WHERE id IN ('B1', 'B2')"
  run_strictly run --config c.yaml --as-of 2026-06-02 --quiet
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "$AGG_OVER" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "its readers fail" "crmpolicy: r.lua:3: run value 'sales' failed in this run: aggregate: the sum of orders.amount does not fit in a 64-bit integer (rule r, client C1)" \
    "$(printf '%s\n' "$ERR" | sed -n 2p)"
  expect_eq "their results kept, the others' written" "other|C1|other
other|C2|other
other|C3|other
r|C1|sales 7050
r|C2|sales 7050
r|C3|sales 7050" "$(sqlite3 s.db "SELECT rule, client_id, title FROM alerts WHERE status = 'open' ORDER BY 1, 2")"
  expect_eq "the run, incomplete" "2|incomplete|4" \
    "$(sqlite3 s.db "SELECT id, status, rule_errors FROM runs ORDER BY id DESC LIMIT 1")"
  expect_eq "the aggregate's own error, of no client" "sales||aggregate: the sum of orders.amount does not fit in a 64-bit integer" \
    "$(sqlite3 s.db "SELECT rule, client_id, message FROM rule_errors WHERE run_id = 2 AND client_id = ''")"
}

test_a_grouped_aggregate_sum_that_overflows_fails_its_readers_naming_it() {
  big_orders
  sqlite3 f.db "UPDATE orders SET ordered_on = '2026-03-05'"   # both orders in one group
  cat > r.lua <<'LUA'
aggregate { id = "by_day", doc = "orders by day", table = "orders", sum = "amount",
            group = "ordered_on" }
rule { id = "r", doc = "uses it", fn = function(c) end }
LUA
  run_it
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: aggregate: the sum of orders.amount does not fit in a 64-bit integer (aggregate 'by_day'; every rule that reads run.by_day fails for each client and keeps its results)" "$ERR"
  expect_eq "the run, incomplete" "incomplete|1" "$(sqlite3 s.db "SELECT status, rule_errors FROM runs")"
}

test_an_integer_column_sum_that_overflows_is_the_rules_error() {
  config
  facts "INSERT INTO surveys(id,client_id,surveyed_on,score) VALUES
    ('S8','C2','2026-05-01',5000000000000000000), ('S9','C2','2026-05-02',5000000000000000000);"
  cat > r.lua <<'LUA'
rule { id = "score", doc = "sums the scores", fn = function(c)
  alert { severity = "info", title = "score", data = { score = c.surveys:filter(function() return true end):sum("score") } }
end }
LUA
  run_it
  expect_eq "exit" 1 "$RC"
  expect_eq "message" "crmpolicy: r.lua:2: sum(): the sum does not fit in a 64-bit integer (rule score, client C2)" "$(printf '%s\n' "$ERR" | head -1)"
  expect_eq "C1" '{"score":9}' "$(saw C1)"
}

test_an_aggregate_sum_that_overflows_fails_alike_with_two_workers() {
  overflowing_sales
  run_it
  expect_eq "one: exit" 1 "$RC"
  local one="$ERR"
  mv s.db one.db
  run_strictly run --config c.yaml --as-of 2026-06-01 --quiet --jobs 2
  expect_eq "two: exit" 1 "$RC"
  expect_eq "two: the same messages" "$one" "$ERR"
  expect_eq "two: the same message first" "$AGG_OVER" "$(printf '%s\n' "$ERR" | head -1)"
  local q="SELECT rule, client_id, message FROM rule_errors ORDER BY rowid; SELECT rule, client_id, title FROM alerts ORDER BY 1, 2"
  expect_eq "two: the same state" "$(sqlite3 one.db "$q")" "$(sqlite3 s.db "$q")"
}

test_exit_0_for_a_clean_run() {
  config; facts ""
  run_it
  expect_eq "exit" 0 "$RC"
}

test_exit_1_when_a_rule_fails_for_a_client() {
  config; facts ""
  echo 'rule { id = "boom", doc = "fails", fn = function(c) error("boom") end }' > r.lua
  run_it
  expect_eq "exit" 1 "$RC"
  expect_eq "runs" 1 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

test_exit_2_for_an_invalid_config() {
  config; facts ""
  echo 'parms: {}' >> c.yaml
  run_it
  expect_eq "exit" 2 "$RC"
}

test_exit_3_for_a_facts_database_locked_past_the_wait() {
  config; facts ""
  # a writer that holds the lock until the run has given up waiting for it
  hold_lock f.db "BEGIN EXCLUSIVE; UPDATE clients SET name=name;"
  run_it
  release_lock
  expect_eq "exit" 3 "$RC"
  expect_eq "message" "crmpolicy: facts: f.db: database is locked" "$ERR"
  [ ! -e s.db ] || fail "the state database was created"
}

test_exit_4_when_another_run_holds_the_state() {
  config; facts ""
  run_it
  hold_lock s.db "BEGIN IMMEDIATE; SELECT 1 FROM runs LIMIT 0;"   # until the run gave up
  run_it
  release_lock
  expect_eq "exit" 4 "$RC"
  expect_eq "runs" 1 "$(sqlite3 s.db "SELECT count(*) FROM runs")"
}

run_tests
