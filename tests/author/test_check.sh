#!/usr/bin/env bash
# tests/author/test_check.sh: the lint of `crmpolicy check`: params read
# but missing, params never read and rules never checked by the fixtures.
# Warnings do not change the exit code.
. "$(dirname "$0")/common.sh"

test_check_without_warnings() {
  policy
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok: c.yaml: 2 rules load; facts f.db has every declared table and column
lint: 0 warnings (with --fixtures DIR: also unread params and untested rules)" "$OUT"
  expect_eq "stderr" "" "$ERR"
  echo 'rule { id = "one", doc = "The only one.", fn = function(c) end }' > one.lua
  sed 's/^rules: .*/rules: [one.lua]/' c.yaml > one.yaml
  cp_run check --config one.yaml
  expect_contains "one rule" "ok: one.yaml: 1 rule loads; facts" "$OUT"
}

test_check_warns_about_a_param_the_config_lacks() {
  policy
  sed -i 's/^local P = params$/local P = params\nlocal typo = params.intervall/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:3: params.intervall is read, but the config has no such param" "$ERR"
  expect_contains "stdout" "lint: 1 warning (with" "$OUT"
  # in one stream through a pipe, the ok line comes before the lint
  # warnings it does not count (policy-z read them as counted above it)
  expect_eq "one stream" "ok: c.yaml: 2 rules load; facts f.db has every declared table and column
crmpolicy: warning: r.lua:3: params.intervall is read, but the config has no such param
lint: 1 warning (with --fixtures DIR: also unread params and untested rules)" \
    "$("$CRMPOLICY" check --config c.yaml 2>&1 | cat)"
}

# --lint-fatal (as promtool's): a lint warning is exit 1, for a CI job that
# `check && deploy` let through with a misspelt param; without warnings, 0.
test_lint_fatal_makes_a_warning_exit_1() {
  policy
  cp_run check --config c.yaml --lint-fatal
  expect_eq "no warning: exit" 0 "$RC"
  sed -i 's/^local P = params$/local P = params\nlocal typo = params.intervall/' r.lua
  cp_run check --config c.yaml --lint-fatal
  expect_eq "a warning: exit" 1 "$RC"
  expect_eq "a warning: stderr" "crmpolicy: warning: r.lua:3: params.intervall is read, but the config has no such param" "$ERR"
  expect_contains "a warning: the count" "lint: 1 warning (with" "$OUT"
  cp_run check --config c.yaml
  expect_eq "without it: exit" 0 "$RC"
  cp_run run --config c.yaml --lint-fatal
  expect_eq "run has no such option: exit" 2 "$RC"
}

test_check_warns_about_a_label_of_no_rule() {
  policy
  printf 'labels:\n  rules: {visit.due: 拜访到期, visit.dew: typo}\n  tiers: {gold: 金牌}\n' >> c.yaml
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: c.yaml:24: labels.rules: 'visit.dew' is no rule's id; its label is never shown" "$ERR"
  expect_contains "stdout" "lint: 1 warning (with" "$OUT"
}

# labels.a.b read in a rule, followed through the config's labels: a key
# a section lacks reads as nil (a title that says nothing, or a
# string.format that fails on nil); a section may be left out on purpose
# (`labels.x and labels.x.y`), and reading into one that is not there
# fails at once.
test_check_warns_about_a_label_the_config_lacks() {
  policy
  printf 'labels:\n  titles: {due: "拜访到期 %%s"}\n  tiers: {gold: 金牌}\n' >> c.yaml
  cat >> r.lua <<'LUA'
local function texts(c)
  local a = labels.titles.due:format(c.id) .. labels.tiers.gold
  local b = labels.severities and labels.severities.warning or "warning"
  local d = labels.tiers[c.id] or labels.titles.dew
  return a .. b .. d
end
LUA
  cp_run check --config c.yaml --lint-fatal
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:38: labels.titles.dew: the config's labels.titles has no 'dew' (it reads as nil)" "$ERR"
  expect_contains "stdout" "lint: 1 warning (with" "$OUT"
}

test_check_with_fixtures_finds_unread_params_and_unchecked_rules() {
  policy
  mkdir fx
  passing_fixture fx/ok.yaml
  sed -i 's/^name: .*/&\nrules: [visit.due]/' fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: c.yaml:22: params.unused: no rule reads it in the fixtures
crmpolicy: warning: r.lua:26: rule status.odd: no fixture in fx checks it" "$ERR"
  expect_eq "stdout" "ok: c.yaml: 2 rules load; facts f.db has every declared table and column
lint: 2 warnings" "$OUT"
}

test_a_lookup_by_data_is_not_a_missing_param() {
  policy
  sed -i 's/^  unused: {a: 1, b: 2}$/  unused: {a: 1, b: 2}\n  tiers: {gold: 30}/' c.yaml
  sed -i 's/^    if c.tier ~= "gold" then$/    local t = P.tiers[c.tier]\n    local u = P.onwer\n    if c.tier ~= "gold" then/' r.lua
  mkdir fx
  passing_fixture fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:15: params.onwer is read, but the config has no such param
crmpolicy: warning: c.yaml:22: params.unused: no rule reads it in the fixtures" "$ERR"
}

test_a_param_read_by_a_number_key_is_read() {
  # {1: 10} is the integer key 1 to a rule: reading it (as 1, or as 2.0 for
  # the key 2) is a read of it, a quoted "3" is another key, and a number
  # key the config lacks is missing as a text one is
  policy
  sed -i 's/^  unused: {a: 1, b: 2}$/&\n  by_level: {1: 10, 2: 20, "3": 30}\n  caps: {1: {a: 1, b: 2}}/' c.yaml
  sed -i 's/^    if c.tier ~= "gold" then$/    local n = P.by_level[1] + P.by_level[1.5 + 0.5]\n    local m = P.caps[1].a\n    local z = P.by_level[4]\n&/' r.lua
  mkdir fx
  passing_fixture fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:16: params.by_level[4] is read, but the config has no such param
crmpolicy: warning: c.yaml:22: params.unused: no rule reads it in the fixtures
crmpolicy: warning: c.yaml:23: params.by_level.3: no rule reads it in the fixtures
crmpolicy: warning: c.yaml:24: params.caps.1.b: no rule reads it in the fixtures" "$ERR"
}

test_check_reports_failing_fixtures() {
  policy
  mkdir fx
  passing_fixture fx/ok.yaml
  sed -i 's/severity: warning/severity: critical/' fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx --quiet
  expect_eq "exit" 1 "$RC"
  # the params and rules warnings are left out: a failing rule reads and
  # checks less than it does, so they would name params it reads
  expect_eq "stderr" "crmpolicy: 1 of 1 fixtures in fx fail; 'crmpolicy test fx' shows why" "$ERR"
}

# authfix: the "ok" line came before the fixtures ran, so a failing fixture's
# check read "ok: ..." and "lint: 0 warnings" on stdout, exit 1: a CI log
# showed ok. The ok line now comes after them, and only when all passed.
test_check_with_a_failing_fixture_prints_no_ok_line() {
  policy
  mkdir fx
  passing_fixture fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "passing: exit" 0 "$RC"
  expect_eq "passing: stdout" "ok: c.yaml: 2 rules load; facts f.db has every declared table and column
lint: 1 warning" "$OUT"
  sed -i 's/severity: warning/severity: critical/' fx/ok.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "failing: exit" 1 "$RC"
  expect_eq "failing: stdout" "lint: 0 warnings (fixtures fail: unread params and untested rules not checked)" "$OUT"
  expect_eq "failing: stderr" "crmpolicy: 1 of 1 fixtures in fx fail; 'crmpolicy test fx' shows why" "$ERR"
  expect_eq "failing: one stream" "crmpolicy: 1 of 1 fixtures in fx fail; 'crmpolicy test fx' shows why
lint: 0 warnings (fixtures fail: unread params and untested rules not checked)" \
    "$("$CRMPOLICY" check --config c.yaml --fixtures fx 2>&1 | cat)"
  expect_eq "no ok anywhere" 0 "$("$CRMPOLICY" check --config c.yaml --fixtures fx 2>&1 | grep -c '^ok')"
  printf 'bogus: [\n' > fx/bad.yaml
  cp_run check --config c.yaml --fixtures fx
  expect_eq "invalid: exit" 2 "$RC"
  expect_eq "invalid: stdout" "lint: 0 warnings (fixtures fail: unread params and untested rules not checked)" "$OUT"
}

test_check_with_an_invalid_fixture_exits_2_as_test_does() {
  policy
  mkdir fx
  passing_fixture fx/ok.yaml
  printf 'bogus: [\n' > fx/bad.yaml
  cp_run check --config c.yaml --fixtures fx --quiet
  expect_eq "exit" 2 "$RC"
  expect_contains "the fixture's error" "fx/bad.yaml:2:" "$ERR"
  expect_contains "the summary" "1 of 2 fixtures in fx fail (some are invalid); 'crmpolicy test fx' shows why" "$ERR"
  cp_run test --config c.yaml fx
  expect_eq "test: the same exit" 2 "$RC"
}

test_check_with_fixtures_that_do_not_exist_says_so_before_any_ok() {
  policy
  cp_run check --config c.yaml --fixtures nope
  expect_eq "exit" 2 "$RC"
  expect_eq "stdout" "" "$OUT"
  expect_eq "stderr" "crmpolicy: check: --fixtures nope: No such file or directory" "$ERR"
}

test_check_without_fixtures_reads_params_inside_rule_functions() {
  policy
  sed -i 's/^    why("last visit %d days ago, interval %d", days, P.interval)$/    why("last visit %d days ago, interval %d", days, P.intervall)/' r.lua
  sed -i 's/^  unused: {a: 1, b: 2}$/  unused: {a: 1, b: 2}\n  visits: {dormant_dayz: 3}/' c.yaml
  printf 'local V = params.visits\nrule { id = "x", doc = "x", fn = function(c)\n  if V.dormant_days then return end\n  local s = "params.nope" -- params.nope\nend }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:19: params.intervall is read, but the config has no such param
crmpolicy: warning: r.lua:37: params.visits.dormant_days is read, but the config has no such param" "$ERR"
  expect_contains "stdout" "lint: 2 warnings (with" "$OUT"
}

test_check_without_fixtures_finds_misspelt_client_fields() {
  policy
  sed -i 's/^    if c.tier ~= "gold" then$/    if c.teir ~= "gold" or not (c.last or c.visits or c.id or c.status) then/' r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:14: c.teir: the client has no field 'teir' (a column, a per-client table or a derived value)" "$ERR"
}

test_check_refuses_a_run_value_or_pool_declared_twice() {
  policy
  printf 'global { id = "g", doc = "d", fn = function() return 1 end }\nglobal { id = "g", doc = "again", fn = function() return 2 end }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  local first=$(($(wc -l < r.lua) - 1))
  expect_contains "message" "r.lua:$((first + 1)): global{}: run value 'g' is already declared at r.lua:$first" "$ERR"
  head -n "$((first - 1))" r.lua > r2.lua && mv r2.lua r.lua
  printf 'pool { id = "p", doc = "d", members = function() return {} end }\npool { id = "p", doc = "d", members = function() return {} end }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "pool{}: pool 'p' is already declared" "$ERR"
}

test_a_rule_file_nested_too_deeply_is_named() {
  policy
  python3 -c "print('local x = ' + '(' * 300 + '1' + ')' * 300)" >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: r.lua:$(wc -l < r.lua): C stack overflow (nested too deeply?)" "$ERR"
  # the line the parser was reading when it ran out, not the file's first
  { printf 'rule { id = "deep", doc = "d", fn = function(c)\n  local t = '
    for i in $(seq 250); do printf '{\n'; done
    for i in $(seq 250); do printf '}'; done
    printf '\nend }\n'; } > r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "message" "crmpolicy: r.lua:19" "$ERR"
  expect_contains "message" ": C stack overflow (nested too deeply?)" "$ERR"
}

test_check_reads_client_fields_in_a_report() {
  policy
  printf 'report { id = "t", title = "T", doc = "d",\n  columns = { { id = "n", label = "N", type = "text" } },\n  scope = function(k) return k.statuss ~= nil end,\n  row = function(cl, month, alerts) return { n = cl.teir } end }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  local n=$(grep -n 'k.statuss' r.lua | cut -d: -f1)
  expect_eq "stderr" "crmpolicy: warning: r.lua:$n: k.statuss: the client has no field 'statuss' (a column, a per-client table or a derived value)
crmpolicy: warning: r.lua:$((n + 1)): cl.teir: the client has no field 'teir' (a column, a per-client table or a derived value)" "$ERR"
}

test_check_names_a_lookup_that_is_not_declared() {
  policy
  printf 'rule { id = "lk", doc = "d", fn = function(c)\n  local a, b = lookup.staff, lookup.staf\nend }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:$(grep -n 'lookup.staf$' r.lua | cut -d: -f1): lookup.staf: no lookup 'staf' is declared (the config's lookups: lookup.staf is nil)" "$ERR"
}

test_check_follows_reads_after_a_concatenation() {
  policy
  printf 'rule { id = "cat", doc = "d", fn = function(c)\n  local t = "tier " .. c.tierr .. params.intervall\nend }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_contains "c.field" "r.lua:$(grep -n 'c.tierr' r.lua | cut -d: -f1): c.tierr: the client has no field 'tierr'" "$ERR"
  expect_contains "params" "params.intervall is read, but the config has no such param" "$ERR"
}

test_check_follows_aliases_made_in_one_statement() {
  # `local A, B = params.x, params.y` makes both aliases, as `local A =
  # params.x` does (policy-ab: a misspelt key read through the second name
  # of such a line was not reported); a value that is not params is read
  # as any expression, and a name after it is no alias; an alias of an
  # alias (local W = H.weights) is one too
  policy
  printf 'local U, Root <const> = params.unused, params\nrule { id = "multi", doc = "d", fn = function(c)\n  local x, y = U.c, Root.intervall\n  local n, V = c.tierr, params.unused\n  local z = V.zz\n  local W = U\n  local w = W.q\nend }\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  local n=$(grep -n 'U.c, Root.intervall' r.lua | cut -d: -f1)
  expect_eq "stderr" "crmpolicy: warning: r.lua:$((n + 1)): c.tierr: the client has no field 'tierr' (a column, a per-client table or a derived value)
crmpolicy: warning: r.lua:$n: params.unused.c is read, but the config has no such param
crmpolicy: warning: r.lua:$n: params.intervall is read, but the config has no such param
crmpolicy: warning: r.lua:$((n + 4)): params.unused.q is read, but the config has no such param" "$ERR"
}

# policy-ab: check said ok where the nightly job would stop, its secrets not
# exported: the feed's salt (run and push: exit 2), a webhook's secret (push:
# exit 7). Warnings, at the config's line, as check runs where the job runs.
test_check_warns_of_secrets_the_environment_lacks() {
  policy
  printf 'feed: {mask: [client_id], salt_env: CP_T_SALT}\nsinks:\n  - {name: hook, type: webhook, url: "http://127.0.0.1:9/in", secret_env: CP_T_SECRET}\n' >> c.yaml
  local line=$(grep -n 'name: hook' c.yaml | cut -d: -f1)
  env -u CP_T_SALT -u CP_T_SECRET "$CRMPOLICY" check --config c.yaml > out 2> err; RC=$?
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: c.yaml: feed.salt_env: the environment variable CP_T_SALT is not set here: run and push stop without it (exit 2)
crmpolicy: warning: c.yaml:$line: sinks: 'hook': secret_env: the environment variable CP_T_SECRET is not set here: push cannot sign for this sink, and fails it (exit 7)" "$(grep 'environment variable' err)"
  # said above the ok line, they are counted there, as its other warnings are
  expect_contains "ok line counts them" "column (2 warnings above)" "$(grep '^ok: ' out)"
  CP_T_SALT=s CP_T_SECRET= "$CRMPOLICY" check --config c.yaml > out 2> err
  expect_eq "set salt, empty secret" "crmpolicy: warning: c.yaml:$line: sinks: 'hook': secret_env: the environment variable CP_T_SECRET is empty here: push cannot sign for this sink, and fails it (exit 7)" "$(grep 'environment variable' err)"
  CP_T_SALT=s CP_T_SECRET=x "$CRMPOLICY" check --config c.yaml > out 2> err
  expect_eq "both set: no such warning" "" "$(grep 'environment variable' err)"
}

# probe-aj: the lint ended a string at the line break after \z (which skips
# it, and all white space after it) or after a backslash before \r\n, and
# read the rest of the string as code: false warnings, later lines misnumbered
test_check_reads_strings_that_span_lines() {
  policy
  printf '%s\n' 'rule { id = "z", doc = "d", fn = function(c)' \
    '  local s = "text \z' '      c.teir params.nope" .. '"'"'x\z   ' '  '"'"' .. "a \' 'c.tierr"' \
    '  return s .. c.tire' 'end }' >> r.lua
  printf 'rule { id = "crlf", doc = "d", fn = function(c)\r\n  local t = "one \\\r\nc.tierr"\r\n  return t .. c.tiier\r\nend }\r\n' >> r.lua
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "crmpolicy: warning: r.lua:$(grep -n 'c.tire$' r.lua | cut -d: -f1): c.tire: the client has no field 'tire' (a column, a per-client table or a derived value)
crmpolicy: warning: r.lua:$(grep -n 'c.tiier' r.lua | cut -d: -f1): c.tiier: the client has no field 'tiier' (a column, a per-client table or a derived value)" "$ERR"
  expect_contains "the rules load (Lua reads the strings so)" "ok: c.yaml: 4 rules load" "$OUT"
}

# probe-ak: a rule file that ends in `local x = 1` (the number is no token)
# made the lint read the token after the last one: past the tokens' array
# when they fill it (32 here), uninitialised memory otherwise (a SEGV in
# the sanitizer build).
test_check_reads_no_token_past_a_file_that_ends_in_a_local() {
  policy
  printf 'rule { id = "one", doc = "d", fn = function(c) end }\nlocal a = {}\nlocal b = {};\nlocal x = 1' > one.lua
  sed 's/^rules: .*/rules: [one.lua]/' c.yaml > one.yaml
  cp_run check --config one.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "ok: one.yaml: 1 rule loads; facts f.db has every declared table and column
lint: 0 warnings (with --fixtures DIR: also unread params and untested rules)" "$OUT"
  expect_eq "stderr" "" "$ERR"
  printf 'local P = params\nlocal y = P.intervall\nlocal z =' > one.lua
  cp_run check --config one.yaml
  expect_eq "exit (unfinished)" 2 "$RC"
  expect_eq "stderr (unfinished)" "crmpolicy: one.lua:3: unexpected symbol near <eof>" "$ERR"
}

# A report row's alerts and month arguments: a misspelt field is nil at
# run time (now the row's error); check's lint says it before.
test_lint_follows_a_report_rows_alerts_and_month() {
  clients_config "[{name: name, type: text}]"
  facts_db f.db "INSERT INTO clients(id,name,status,created_on) VALUES ('C1','a','active','2026-01-01')"
  cat > r.lua <<'LUA'
rule { id = "r", doc = "d", fn = function(c) end }
report { id = "m", title = "t", doc = "d",
  columns = { {id = "n", label = "n", type = "integer"} },
  row = function(c, month, al)
    return { n = al.critcal + al.warning + (month.throuhg and 1 or 0) + (al.rules.r or 0) }
  end }
LUA
  cp_run check --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: r.lua:5: al.critcal: a report row's alerts has no field 'critcal' (fields: info warning critical rules)
crmpolicy: warning: r.lua:5: month.throuhg: a report row's month has no field 'throuhg' (fields: name first last through in_progress prev year_ago series)" "$ERR"
}

run_tests
