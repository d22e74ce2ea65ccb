#!/usr/bin/env bash
# tests/cli/test_tables.sh: the tables of `alerts` and `assignments` for
# people: columns padded by display width (a CJK character is two columns),
# long values cut with an ellipsis; the read commands leave the state
# folder as they found it; messages show paths with "." and ".." folded.
. "$(dirname "$0")/../lib.sh"

# setup: a state database s.db after one run of rules whose keys and ids
# are Chinese, long, or carry a combining mark.
setup() {
  facts_db f.db "INSERT INTO clients(id, name, status, created_on) VALUES ('C1', 'x', 'active', '2026-01-01');"
  clients_config '[{name: name, type: text}]'
  cat > r.lua <<'LUA'
rule { id = "a", doc = "d", fn = function(c) alert { severity = "info", key = "国庆节", title = "国庆节前回访" } end }
rule { id = "holiday.national_day_reminder_long", doc = "d",
       fn = function(c) alert { severity = "warning", key = "春节假期提醒事项", assignee = "S1", title = "x" } end }
rule { id = "b", doc = "d", fn = function(c) alert { severity = "info", key = "Ame\u{301}lie", title = "mark" } end }
rule { id = "staffing", doc = "d",
       fn = function(c) assign { kind = "分配客户经理", key = "key_account_manager_for_华东区", assignee = "S1" } end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "the run failed"
}

test_run_summary_pads_labels_by_display_width() {
  facts_db f.db "INSERT INTO clients(id, name, status, created_on) VALUES ('C1', 'x', 'active', '2026-01-01');"
  clients_config '[{name: name, type: text}]' 'locale: zh-CN' \
    'labels: {rules: {a: 国庆节前回访, holiday.reminder: 假期}}'
  cat > r.lua <<'LUA'
rule { id = "a", doc = "d", fn = function(c) alert { severity = "info", title = "t" } end }
rule { id = "holiday.reminder", doc = "d", fn = function(c) alert { severity = "warning", title = "t" } end }
LUA
  cp_run run --config c.yaml --as-of 2026-06-01
  expect_eq "exit" 0 "$RC"
  # the open alerts by rule: the counts end in one column whatever the labels
  expect_eq "summary" "  预警       国庆节前回访             提示           1
  预警       假期                     警告           1" "$(printf '%s\n' "$OUT" | grep '^  预警')"
}

test_alerts_table_pads_by_display_width_and_cuts_with_an_ellipsis() {
  setup
  cp_run alerts --config c.yaml
  expect_eq "exit" 0 "$RC"
  local amelie
  amelie=$(printf 'Ame\xcc\x81lie')   # e and a combining acute: six columns
  expect_eq "table" "CLIENT     RULE                   KEY              SEVERITY LVL  ASSIGNEE TITLE
C1         a                      国庆节           info       1  -        国庆节前回访
C1         b                      $amelie           info       1  -        mark
C1         holiday.national_day_… 春节假期提醒事项 warning    1  S1       x" "$OUT"
}

# policy-s: client ids "ACME-INDUSTRIAL-0001" and "-0002" were both shown as
# "ACME-INDU…", two rows alike; the client and key columns widen to the
# widest listed, up to 40 columns, past which they are cut.
test_client_and_key_columns_widen_to_the_widest_listed_up_to_40() {
  facts_db f.db "INSERT INTO clients(id, name, status, created_on) VALUES
    ('ACME-INDUSTRIAL-0001', 'x', 'active', '2026-01-01'), ('ACME-INDUSTRIAL-0002', 'y', 'active', '2026-01-01');"
  clients_config '[{name: name, type: text}]'
  cat > r.lua <<'LUA'
rule { id = "a", doc = "d", fn = function(c)
  alert { severity = "info", key = c.name == "x" and "POL-2026-000123" or string.rep("k", 45), title = "t" }
end }
LUA
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-01 --quiet || fail "the run failed"
  cp_run alerts --config c.yaml
  expect_eq "table" "CLIENT               RULE                   KEY                                      SEVERITY LVL  ASSIGNEE TITLE
ACME-INDUSTRIAL-0001 a                      POL-2026-000123                          info       1  -        t
ACME-INDUSTRIAL-0002 a                      $(printf 'k%.0s' $(seq 39))… info       1  -        t" "$OUT"
}

test_assignments_table_pads_by_display_width_and_cuts_with_an_ellipsis() {
  setup
  cp_run assignments --config c.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "table" 'CLIENT     RULE             KEY                            KIND           ASSIGNEE DATA
C1         staffing         key_account_manager_for_华东区 分配客户经理   S1       {}' "$OUT"
}

test_the_assignee_column_widens_to_the_longest_id_listed() {
  setup
  sed -i 's/assign { kind = "分配客户经理", key = "key_account_manager_for_华东区", assignee = "S1" }/assign { kind = "k", key = "r", assignee = "FE-north-012" }/' r.lua
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-02 --quiet || fail "the run failed"
  cp_run assignments --config c.yaml
  expect_eq "table" 'CLIENT     RULE             KEY                  KIND           ASSIGNEE     DATA
C1         staffing         r                    k              FE-north-012 {}' "$OUT"
  sed -i 's/assignee = "FE-north-012"/assignee = "FE-north-region-engineer-0012"/' r.lua
  "$CRMPOLICY" run --config c.yaml --as-of 2026-06-03 --quiet || fail "the run failed"
  cp_run assignments --config c.yaml
  expect_eq "at most 24 columns" 'CLIENT     RULE             KEY                  KIND           ASSIGNEE                 DATA
C1         staffing         r                    k              FE-north-region-enginee… {}' "$OUT"
}

# A first run that failed under --strict leaves the schema and no run: the
# read commands say so with exit 3, as for no state at all (probe-w: they
# printed empty tables with exit 0).
test_read_commands_on_a_state_no_run_has_written_exit_3() {
  setup
  rm -f s.db*
  clients_config '[{name: name, type: text}, {name: created_on, type: date}]'
  sqlite3 f.db "UPDATE clients SET created_on = 'soon'"
  cp_run run --config c.yaml --as-of 2026-06-01 --quiet --strict
  expect_eq "the strict run: exit" 3 "$RC"
  expect_eq "its schema is there" "0" "$(sqlite3 s.db "SELECT count(*) FROM runs")"
  local cmd
  for cmd in "alerts" "assignments --format csv" "feed --since 0" "feed --consumer crm" \
             "feed --consumer crm --ack 0"; do
    # shellcheck disable=SC2086
    cp_run $cmd --config c.yaml
    expect_eq "$cmd: exit" 3 "$RC"
    expect_eq "$cmd: message" "crmpolicy: state: s.db: no run has written it yet (it holds the schema alone: did the first run fail?)" "$ERR"
    expect_eq "$cmd: nothing printed" "" "$OUT"
  done
  expect_eq "no consumer registered" "0" "$(sqlite3 s.db "SELECT count(*) FROM consumers")"
}

test_read_commands_leave_the_state_folder_as_they_found_it() {
  setup
  local before after
  before=$(ls -A; cksum < s.db)
  for cmd in "alerts" "alerts --format jsonl" "alerts --format alertmanager" "assignments" \
             "assignments --format csv" "feed --since 0"; do
    # shellcheck disable=SC2086
    "$CRMPOLICY" $cmd --config c.yaml > /dev/null 2>err || fail "$cmd failed: $(cat err)"
    rm -f err
    after=$(ls -A; cksum < s.db)
    expect_eq "the folder and the state after $cmd" "$before" "$after"
  done
}

test_messages_show_paths_with_dots_folded() {
  mkdir -p conf data
  printf 'facts: ../data/./../data/missing.db\nstate: ../s.db\nrules: [../r.lua]\nclients: {name: clients, id: id, columns: [{name: name, type: text}]}\n' > conf/c.yaml
  echo 'rule { id = "a", doc = "d", fn = function(c) end }' > r.lua
  cp_run check --config conf/c.yaml
  expect_eq "exit" 2 "$RC"
  expect_eq "message" "crmpolicy: facts: data/missing.db: No such file or directory" "$ERR"
  cp_run alerts --config conf/c.yaml
  expect_eq "state message" "crmpolicy: state: s.db: No such file or directory (no run has written it yet?)" "$ERR"
  for cmd in alerts assignments feed; do   # the README's exit codes: 3, nothing made
    cp_run $cmd --config conf/c.yaml
    expect_eq "$cmd: exit" 3 "$RC"
  done
  expect_eq "no state made" "" "$(ls s.db* 2>/dev/null)"
}

test_paths_through_a_symbolic_link_are_not_folded() {
  mkdir -p real/sub conf
  ln -s ../real/sub conf/link
  printf 'facts: link/../missing.db\nstate: s.db\nrules: [r.lua]\nclients: {name: clients, id: id, columns: [{name: name, type: text}]}\n' > conf/c.yaml
  echo 'rule { id = "a", doc = "d", fn = function(c) end }' > conf/r.lua
  cp_run check --config conf/c.yaml
  expect_eq "exit" 2 "$RC"
  # conf/link/.. is real, not conf: folding would name another file
  expect_eq "message" "crmpolicy: facts: conf/link/../missing.db: No such file or directory" "$ERR"
}

run_tests
