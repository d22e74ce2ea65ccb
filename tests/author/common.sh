# tests/author/common.sh: what the policy-author tests share: a small
# self-contained policy (config c.yaml, rule file r.lua, facts f.db) that
# `policy` writes into the test's folder, so that figures such as coverage
# do not move when the reference policy does.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# policy: writes c.yaml, r.lua and an empty-ish facts database f.db.
policy() {
  cat > c.yaml <<'YAML'
facts: f.db
state: s.db
rules: [r.lua]
clients:
  name: clients
  id: id
  columns:
    - {name: status, type: text}
    - {name: tier, type: text}
tables:
  - name: visits
    key: client_id
    order: day
    exists_from: day
    columns:
      - {name: day, type: date}
lookups:
  - {name: staff, id: id, columns: [{name: id, type: text}]}
params:
  interval: 30
  owner: S1
  unused: {a: 1, b: 2}
YAML
  cat > r.lua <<'LUA'
-- r.lua: a small policy for the author tests.
local P = params

derive {
  id = "last",
  doc = "The day of the latest visit.",
  fn = function(c) return c.visits:max("day") end,
}

rule {
  id = "visit.due",
  doc = "A gold client is visited within the interval.",
  fn = function(c)
    if c.tier ~= "gold" then
      why("tier %s is not checked", tostring(c.tier))
      return
    end
    local days = c.last and dt.age_days(c.last) or 999
    why("last visit %d days ago, interval %d", days, P.interval)
    if days >= P.interval then
      alert { severity = "warning", level = 1, assignee = P.owner, title = "visit due" }
    end
  end,
}

rule {
  id = "status.odd",
  doc = "A client whose status is odd.",
  fn = function(c)
    if c.status == "odd" then
      alert { severity = "info", level = 1, assignee = "S9", title = "odd" }
    end
  end,
}
LUA
  sqlite3 f.db "CREATE TABLE clients(id TEXT, status TEXT, tier TEXT);
    CREATE TABLE visits(client_id TEXT, day TEXT); CREATE TABLE staff(id TEXT);
    INSERT INTO clients VALUES ('B1', 'active', 'bronze'), ('G1', 'active', 'gold');
    INSERT INTO visits VALUES ('G1', '2026-05-01'); INSERT INTO staff VALUES ('S1');"
}

# passing_fixture FILE: a fixture of the small policy that passes.
passing_fixture() {
  cat > "$1" <<'YAML'
name: gold clients are visited every 30 days
facts:
  staff: [{id: S1}]
  clients:
    columns: [id, status, tier]
    rows:
      - [G1, active, gold]
      - [G2, active, gold]
      - [B1, active, bronze]
  visits:
    columns: [client_id, day]
    rows:
      - [G1, 2026-06-01]
      - [G2, 2026-05-31]
steps:
  - as_of: 2026-06-30
    alerts:
      - {rule: visit.due, client: G2, severity: warning, level: 1, assignee: S1}
YAML
}
