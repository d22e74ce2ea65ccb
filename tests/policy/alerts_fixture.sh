# tests/policy/alerts_fixture.sh: what the shell policy tests share
# (test_feed_and_data.sh; the rest of the policy's tests are the YAML
# fixtures beside it). They run the reference policy (rules/, through the
# demo config) on small facts databases, as of $D, and read the state
# database: alerts, their data, assignments and the event feed.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CONFIG=$ROOT/examples/demo/crmpolicy.yaml
D=2026-06-30                 # the as-of date; now = D at 23:59:59
NOW_EPOCH=1782863999         # 2026-06-30T23:59:59 as seconds (the engine's naive local time)
OLD=2020-01-01               # created_on of clients and since of staff rows, unless told

# The staff every test has (a = active, i = inactive):
#   S01 general_manager a               S02 marketing_vp a (manager S01)
#   S03 marketing_manager a (mgr S02)   S04 marketing_manager i (mgr S02)
#   S10 key_account_manager a (mgr S03) S11 key_account_manager a (mgr S04, inactive)
#   S12 key_account_manager i (mgr S03)
#   S20 service_engineer a (mgr S03)    S21 service_engineer a (mgr S03)
#   S22 service_engineer i (mgr S03)
FIXTURE_STAFF="INSERT INTO staff(id, name, role, manager_id, active) VALUES
  ('S01', 'GM', 'general_manager', NULL, 1),
  ('S02', 'VP', 'marketing_vp', 'S01', 1),
  ('S03', 'MM', 'marketing_manager', 'S02', 1),
  ('S04', 'MM gone', 'marketing_manager', 'S02', 0),
  ('S10', 'KAM 10', 'key_account_manager', 'S03', 1),
  ('S11', 'KAM 11', 'key_account_manager', 'S04', 1),
  ('S12', 'KAM gone', 'key_account_manager', 'S03', 0),
  ('S20', 'SE 20', 'service_engineer', 'S03', 1),
  ('S21', 'SE 21', 'service_engineer', 'S03', 1),
  ('S22', 'SE gone', 'service_engineer', 'S03', 0);"

# days_ago N: the date N days before D (negative: after D).
days_ago() { date -u -d "$D $((0 - $1)) days" +%F; }

# hours_ago H [S]: the timestamp whose hours_since is exactly H hours plus S
# seconds (S may be negative: -1 is just before the H-hour boundary is reached).
hours_ago() { date -u -d "@$((NOW_EPOCH - $1 * 3600 - ${2:-0}))" +%FT%T; }

# plus_hours TIMESTAMP H [S]: TIMESTAMP + H hours + S seconds.
plus_hours() {
  local t
  t=$(date -u -d "${1/T/ } UTC" +%s)
  date -u -d "@$((t + $2 * 3600 + ${3:-0}))" +%FT%T
}

# sqlv VALUE: an SQL literal; NULL stays NULL.
sqlv() { if [ "$1" = NULL ]; then printf NULL; else printf "'%s'" "$1"; fi; }

# cl ID TIER [CREATED_ON [STATUS]]: a client whose tier is TIER: strategic
# through strategic_partner (no approved tier), the others through
# approved_tier. Created long ago and active unless told.
cl() {
  local partner=0 approved=$2
  if [ "$2" = strategic ]; then partner=1; approved=NULL; fi
  printf "INSERT INTO clients(id, name, status, strategic_partner, approved_tier, created_on) VALUES(%s, %s, %s, %s, %s, %s);\n" \
    "$(sqlv "$1")" "$(sqlv "client $1")" "$(sqlv "${4:-active}")" "$partner" "$(sqlv "$approved")" \
    "$(sqlv "${3:-$OLD}")"
}

# cs CLIENT STAFF ROLE [SINCE [UNTIL]]: a client_staff row.
cs() {
  printf "INSERT INTO client_staff(client_id, staff_id, role, since, until) VALUES(%s, %s, %s, %s, %s);\n" \
    "$(sqlv "$1")" "$(sqlv "$2")" "$(sqlv "$3")" "$(sqlv "${4:-$OLD}")" "$(sqlv "${5:-NULL}")"
}

# ct CLIENT LEVEL HAPPENED_AT: a contact.
ct() {
  printf "INSERT INTO contacts(id, client_id, level, channel, happened_at) VALUES(lower(hex(randomblob(8))), %s, %s, 'call', %s);\n" \
    "$(sqlv "$1")" "$(sqlv "$2")" "$(sqlv "$3")"
}

# cpl ID CLIENT OPENED_AT OWNER FIRST_RESPONSE_AT RESOLVED_AT: a complaint.
cpl() {
  printf "INSERT INTO complaints(id, client_id, category, opened_at, first_response_at, resolved_at, owner_id) VALUES(%s, %s, 'quality', %s, %s, %s, %s);\n" \
    "$(sqlv "$1")" "$(sqlv "$2")" "$(sqlv "$3")" "$(sqlv "$5")" "$(sqlv "$6")" "$(sqlv "$4")"
}

# facts SQL...: creates f.db with the contract, the staff and the SQL.
facts() {
  facts_db f.db "$FIXTURE_STAFF $*" || fail "could not create the facts database"
}

# run_at [AS_OF]: runs the policy on f.db into s.db (as of D unless told),
# expecting a clean run with no output.
run_at() {
  cp_run run --config "$CONFIG" --facts f.db --state s.db --as-of "${1:-$D}" --quiet
  expect_eq "exit code (as of ${1:-$D})" 0 "$RC"
  expect_eq "stdout (as of ${1:-$D})" "" "$OUT"
  expect_eq "stderr (as of ${1:-$D})" "" "$ERR"
}

# alerts RULE: the open alerts of RULE, one "client|rule|key|severity|level|assignee" a line.
alerts() {
  sqlite3 s.db "SELECT client_id, rule, key, severity, level, assignee FROM alerts
                WHERE status = 'open' AND rule = '$1' ORDER BY 1, 3"
}

# expect_alerts RULE < EXPECTED: the open alerts of RULE are exactly the lines
# of standard input (blank lines and leading spaces ignored).
expect_alerts() {
  local want
  want=$(sed -e 's/^ *//' -e '/^$/d')
  expect_eq "open $1 alerts" "$want" "$(alerts "$1")"
}

# field RULE CLIENT KEY COLUMN: one column of one alert (open or not).
field() {
  sqlite3 s.db "SELECT $4 FROM alerts WHERE rule = '$1' AND client_id = '$2' AND key = '$3'"
}
