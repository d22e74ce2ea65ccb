-- staffing.lua: the roles each tier must have, proposed by load and capacity
-- (rules/POLICY.md §5 "Staffing"; 制度 4.2.1.1, 4.2.2.1, 4.2.4.1, 4.2.5.1); the
-- engine picks the person, in client order.
local S = params.staffing
local people = require("lib.people")

--- The text people read for a role (the config's labels.roles), or its id.
local function role_label(role)
  return labels.roles and labels.roles[role] or role
end

--- Whether a client_staff row is current on the as-of date for an active member.
local function current(r)
  return r.since <= dt.today and (r["until"] == nil or r["until"] > dt.today)
    and people.active(r.staff_id) ~= nil
end

aggregate {
  id = "staff_load",
  doc = "Current client_staff rows per staff member and role, over all clients.",
  table = "client_staff",
  init = {},
  step = function(load, r)
    if current(r) then
      local k = r.staff_id .. "/" .. r.role
      load[k] = (load[k] or 0) + 1
    end
    return load
  end,
}

pool {
  id = "staff",
  doc = "Active staff by role (staff.role), with capacity and current load for that role.",
  members = function(add)
    for s in lookup.staff:each() do
      if s.active then
        add { id = s.id, group = s.role, capacity = s.capacity,
              load = run.staff_load[s.id .. "/" .. s.role] or 0 }
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
