# tests/policy/common.sh: what the policy tests share. They run the reference
# policy (rules/, through the demo config) on small facts databases and check
# the state database against /work/shared/POLICY.md, to the letter.
#
# Every test builds f.db with base_facts (the staff below plus its SQL), runs
# run_policy (as of $D unless told), and compares alerts/proposals/events rows.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CONFIG=$ROOT/examples/demo/crmpolicy.yaml
D=2026-06-30          # the as-of date of the tests; now = D at 23:59:59
LONG_AGO=2020-01-01   # created_on of clients, since of staff rows

# The staff every test has:
#   S1  general_manager                    S2  marketing_vp (manager S1)
#   S3  marketing_manager (manager S2)     S4  marketing_manager, inactive
#   S10 key_account_manager (manager S3)   S11 key_account_manager (manager S4)
#   S12 key_account_manager, inactive (manager S3)
STAFF_SQL="INSERT INTO staff(id, name, role, manager_id, active) VALUES
  ('S1', 'GM', 'general_manager', NULL, 1),
  ('S2', 'VP', 'marketing_vp', 'S1', 1),
  ('S3', 'Marketing manager', 'marketing_manager', 'S2', 1),
  ('S4', 'Former marketing manager', 'marketing_manager', 'S2', 0),
  ('S10', 'KAM ten', 'key_account_manager', 'S3', 1),
  ('S11', 'KAM eleven', 'key_account_manager', 'S4', 1),
  ('S12', 'Former KAM', 'key_account_manager', 'S3', 0);"

# ago N: the date N days before D (negative N: after D). Dates are computed
# in UTC by the printf builtin, from D's epoch seconds.
D_EPOCH=$(TZ=UTC0 date -d "$D" +%s)
ago() { TZ=UTC0 printf '%(%F)T' $((D_EPOCH - $1 * 86400)); }

# _q VALUE...: sets the array Q to the values as SQL literals (NULL stays NULL).
_q() {
  Q=()
  local v
  for v in "$@"; do
    if [ "$v" = NULL ]; then Q+=(NULL); else Q+=("'$v'"); fi
  done
}

# client ID [APPROVED_TIER [STATUS [CREATED_ON [STRATEGIC_PARTNER]]]]: SQL
# inserting a client (approved tier NULL, active, created long ago, not a partner).
client() {
  _q "$1" "client $1" "${3:-active}" "${2:-NULL}" "${4:-$LONG_AGO}"
  printf "INSERT INTO clients(id, name, status, strategic_partner, approved_tier, created_on) VALUES(%s, %s, %s, %s, %s, %s);\n" \
    "${Q[0]}" "${Q[1]}" "${Q[2]}" "${5:-0}" "${Q[3]}" "${Q[4]}"
}

# staff_row CLIENT STAFF ROLE [SINCE [UNTIL]]: SQL inserting a client_staff row.
staff_row() {
  _q "$1" "$2" "$3" "${4:-$LONG_AGO}" "${5:-NULL}"
  printf "INSERT INTO client_staff(client_id, staff_id, role, since, until) VALUES(%s, %s, %s, %s, %s);\n" \
    "${Q[@]}"
}

# kam CLIENT STAFF [SINCE [UNTIL]]: a key_account_manager row.
kam() { staff_row "$1" "$2" key_account_manager "${3:-$LONG_AGO}" "${4:-NULL}"; }

# contact CLIENT LEVEL HAPPENED_AT: SQL inserting a contact (a visit).
contact() {
  _q "$1" "$2" "$3"
  printf "INSERT INTO contacts(id, client_id, level, channel, happened_at) VALUES(lower(hex(randomblob(8))), %s, %s, 'visit', %s);\n" \
    "${Q[@]}"
}

# complaint ID CLIENT OPENED_AT [OWNER [FIRST_RESPONSE_AT [RESOLVED_AT]]]
complaint() {
  _q "$1" "$2" "$3" "${5:-NULL}" "${6:-NULL}" "${4:-NULL}"
  printf "INSERT INTO complaints(id, client_id, category, opened_at, first_response_at, resolved_at, owner_id) VALUES(%s, %s, 'quality', %s, %s, %s, %s);\n" \
    "${Q[@]}"
}

# order CLIENT ORDERED_ON AMOUNT: SQL inserting an order (amount in yuan, REAL).
order() {
  _q "$1" "$2"
  printf "INSERT INTO orders(id, client_id, ordered_on, amount) VALUES(lower(hex(randomblob(8))), %s, %s, %s);\n" \
    "${Q[@]}" "$3"
}

# base_facts SQL: creates f.db with the contract, the staff and SQL.
base_facts() {
  facts_db f.db "$STAFF_SQL $1" || fail "could not create the facts database"
}

# run_policy [AS_OF]: runs the policy on f.db into s.db, expecting a clean run.
run_policy() {
  cp_run run --config "$CONFIG" --facts f.db --state s.db --as-of "${1:-$D}" --quiet
  expect_eq "exit code (as of ${1:-$D})" 0 "$RC"
  expect_eq "stdout (as of ${1:-$D})" "" "$OUT"
  expect_eq "stderr (as of ${1:-$D})" "" "$ERR"
}

# alerts RULE_GLOB: the open alerts of the rules matching the glob, one line
# each: client|rule|key|severity|level|assignee.
alerts() {
  sqlite3 s.db "SELECT client_id, rule, key, severity, level, assignee FROM alerts
                WHERE status = 'open' AND rule GLOB '$1' ORDER BY 1, 2, 3"
}

# proposals RULE_GLOB: the proposed assignments of the matching rules, one line
# each: client|rule|key|kind|assignee|data.from|data.to ("null" for a JSON
# null, "<missing>" when the field is absent).
proposals() {
  sqlite3 s.db "SELECT client_id, rule, key, kind, assignee,
                  CASE json_type(data, '\$.from') WHEN 'null' THEN 'null'
                    WHEN 'text' THEN json_extract(data, '\$.from') ELSE '<missing>' END,
                  CASE json_type(data, '\$.to') WHEN 'null' THEN 'null'
                    WHEN 'text' THEN json_extract(data, '\$.to') ELSE '<missing>' END
                FROM assignments WHERE status = 'proposed' AND rule GLOB '$1' ORDER BY 1, 2, 3"
}

# lines LINE...: the arguments, one a line (for expected rows).
lines() { printf '%s\n' "$@"; }
