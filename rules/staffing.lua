-- staffing.lua: the roles each tier must have, proposed by load and capacity
-- (rules/POLICY.md §5 "Staffing"; 制度 4.2.1.1, 4.2.2.1, 4.2.4.1, 4.2.5.1); the
-- engine picks the person, in client order.
local S = params.staffing
local people = require("lib.people")

--- The text people read for a role (the config's labels.roles), or its id.
local function role_label(role)
  return labels.roles and labels.roles[role] or role
end

aggregate {
  id = "staff_load",
  doc = "Current client_staff rows (since <= D, until empty or after D) by role and staff "
     .. "member, over all clients: run.staff_load[role][staff_id]. Only active members "
     .. "read it (the pool below), so the row's member need not be checked here.",
  table = "client_staff",
  count = true,
  where = { since = { le = dt.today }, ["until"] = { gt = dt.today, or_nil = true } },
  group = { "role", "staff_id" },
}

pool {
  id = "staff",
  doc = "Active staff by role (staff.role), with capacity and current load for that role.",
  members = function(add)
    for s in lookup.staff:each() do
      -- a row without a readable role (a finding of the run), or with a NUL
      -- byte in it (no role of the policy has one), fills no role; a negative
      -- capacity (a data error) takes no one, as capacity 0
      if s.active and s.role and not s.role:find("\0", 1, true) then
        local by_role = run.staff_load[s.role]
        local capacity = s.capacity and math.max(s.capacity, 0)
        add { id = s.id, group = s.role, capacity = capacity,
              load = by_role and by_role[s.id] or 0 }
      end
    end
  end,
}

--- The roles a client must have, in the order they are proposed.
local function required_roles(c)
  local roles = {}
  for _, role in ipairs(S.roles[c.tier] or {}) do roles[#roles + 1] = role end
  local rr = S.resident_rep
  if c.tier == rr.tier and c.sales12 >= rr.sales_at_least then
    roles[#roles + 1] = "resident_rep"
  end
  return roles
end

rule {
  id = "staffing",
  doc = "Each required role of the client's tier has a current staff member; "
     .. "a missing one is proposed from the staff pool, or raised as unfilled.",
  emits = { "staffing.unfilled" },
  fn = function(c)
    for _, role in ipairs(required_roles(c)) do
      if people.staff_for(c, role) then
        fulfilled { key = role }
      else
        assign {
          kind = "assign_staff",
          key = role,
          pick = { pool = "staff", group = role },
          data = { role = role },
          unfilled = { rule = "staffing.unfilled", severity = "critical", level = 1,
                       assignee = run.vp, title = "无可用人员担任" .. role_label(role),
                       data = { role = role } },
        }
      end
    end
  end,
}
