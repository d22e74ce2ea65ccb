#!/usr/bin/env bash
# tests/author/test_fixture_changes.sh: a fixture step's `changes:` changes,
# adds and removes rows by id, keeping every other row and column as it was
# (policy-w: to change one account's CSM a step had to give every row of the
# table again, as a step's `facts:` replaces a table whole).
. "$(dirname "$0")/common.sh"

# visits_with_ids: the small policy, its visits with an id column.
visits_with_ids() {
  rm -f f.db
  policy
  sed -i 's/^    key: client_id$/    key: client_id\n    id: id/' c.yaml
  cat > fx.yaml <<'YAML'
name: changes by id
rules: [visit.due, status.odd]
facts:
  staff: [{id: S1}, {id: S9}]
  clients:
    columns: [id, status, tier]
    rows: [[G1, active, gold], [G2, active, gold], [B1, active, bronze]]
  visits:
    - {id: V1, client_id: G1, day: 2026-06-20}
    - {id: V2, client_id: G2, day: 2026-06-25}
steps:
  - as_of: 2026-06-30
    alerts: []
  - as_of: 2026-07-01
    changes:
      clients:
        - {id: B1, tier: gold}                  # its status stays active
        - {id: G3, status: odd, tier: bronze}   # no row G3: added
      visits: {delete: [V2]}
    alerts:
      - {rule: visit.due, client: B1}
      - {rule: visit.due, client: G2}
      - {rule: status.odd, client: G3}
YAML
}

test_a_steps_changes_change_add_and_remove_rows_by_id() {
  visits_with_ids
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -1)"
  expect_eq "stderr" "" "$ERR"
  # the kept columns are read: were B1's status lost, or G1's visit, the step would differ
  sed -i 's/- {id: B1, tier: gold}                  # its status stays active/- {id: B1, tier: gold, status: odd}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "a changed status: exit" 1 "$RC"
  expect_contains "a changed status: the alert found" "+ {rule: status.odd, client: B1, severity: info, level: 1, assignee: S9}" "$OUT"
}

test_a_row_changes_add_takes_the_tables_defaults() {
  # policy-y: an added row left the defaulted columns NULL (a required
  # column was then a data problem); a changed row keeps its own values
  visits_with_ids
  cat > fx.yaml <<'YAML'
name: defaults of added rows
rules: [visit.due, status.odd]
facts:
  staff: [{id: S1}, {id: S9}]
  clients:
    columns: [id, status, tier]
    defaults: {status: odd}
    rows: [[G1, active, gold]]
  visits:
    - {id: V1, client_id: G1, day: 2026-06-20}
steps:
  - as_of: 2026-06-30
    changes:
      clients:
        - {id: G1, tier: gold}     # changed: its status stays active
        - {id: G3, tier: silver}   # added: its status is the default, odd
    alerts:
      - {rule: status.odd, client: G3}
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "stdout" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -1)"
}

test_changes_that_cannot_apply_say_where() {
  visits_with_ids
  sed -i 's/visits: {delete: \[V2\]}/visits: {delete: [V9]}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "an id no row has: exit" 2 "$RC"
  expect_contains "an id no row has" "crmpolicy: fx.yaml:19: changes.visits: delete: no row has id 'V9'" "$ERR"
  visits_with_ids
  sed -i 's/- {id: G3, status: odd, tier: bronze}   # no row G3: added/- {status: odd}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "a row without its id" "crmpolicy: fx.yaml:18: changes.clients: the row gives no id, the column that tells which row it changes" "$ERR"
  visits_with_ids
  sed -i 's/visits: {delete: \[V2\]}/visits: {remove: [V2]}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "an unknown key" "crmpolicy: fx.yaml:19: unknown key 'remove' in changes.visits (keys: rows, delete)" "$ERR"
  visits_with_ids   # visits without an id column
  sed -i '/^    id: id$/d' c.yaml
  sed -i 's/- {id: V1, client_id: G1, day: 2026-06-20}/- {client_id: G1, day: 2026-06-20}/; s/- {id: V2, client_id: G2, day: 2026-06-25}/- {client_id: G2, day: 2026-06-25}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "a table without an id" "crmpolicy: fx.yaml:19: changes.visits: the table declares no id column, so its rows cannot be changed by id: give them whole in the step's facts:" "$ERR"
  visits_with_ids
  sed -i 's/- {id: B1, tier: gold}                  # its status stays active/- {id: B1, grade: gold}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_contains "an unknown column" "crmpolicy: fx.yaml:17: facts.clients: the config declares no column 'grade' (columns: status, tier, id)" "$ERR"
}

test_a_changed_rows_data_problem_is_said_at_the_change() {
  # said at the facts row the change left alone (its sound day), and an
  # added row at the step: the line to mend is the change's, at every step
  visits_with_ids
  cat > fx.yaml <<'YAML'
name: a bad change
rules: [visit.due]
facts:
  staff: [{id: S1}]
  clients: [{id: G1, status: active, tier: gold}]
  visits:
    - {id: V1, client_id: G1, day: 2026-06-20}
steps:
  - as_of: 2026-06-30
    changes:
      visits:
        - {id: V1, day: notaday}
        - {id: V7, client_id: G1, day: alsonot}
    mode: at_least
    alerts: []
  - as_of: 2026-07-01
    mode: at_least
    alerts: []
YAML
  cp_run test --config c.yaml fx.yaml
  expect_eq "exit" 0 "$RC"
  expect_eq "warnings" "crmpolicy: warning: fx.yaml:13: facts: visits row V7 column day: 'alsonot' is not a date
crmpolicy: warning: fx.yaml:12: facts: visits row V1 column day: 'notaday' is not a date
crmpolicy: warning: fx.yaml:13: facts: visits row V7 column day: 'alsonot' is not a date
crmpolicy: warning: fx.yaml:12: facts: visits row V1 column day: 'notaday' is not a date" "$ERR"
}

test_a_null_id_is_no_id() {
  # {id: null, ...} added a client of NULL id (a data problem at the step's
  # line), as a row that tells no row it changes is an error
  visits_with_ids
  sed -i 's/- {id: G3, status: odd, tier: bronze}   # no row G3: added/- {id: null, status: odd}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "a null id: exit" 2 "$RC"
  expect_contains "a null id" "crmpolicy: fx.yaml:18: changes.clients: the row gives no id, the column that tells which row it changes" "$ERR"
  visits_with_ids
  sed -i 's/visits: {delete: \[V2\]}/visits: {delete: [~]}/' fx.yaml
  cp_run test --config c.yaml fx.yaml
  expect_eq "a null id deleted: exit" 2 "$RC"
  expect_contains "a null id deleted" "crmpolicy: fx.yaml:19: changes.visits: delete: a list of id values" "$ERR"
}

run_tests
