-- lib/people.lua: who is who (rules/POLICY.md §3.3 "People"): active staff,
-- staff_for(role), mgr(s). Required by the rule files that assign people.
local staff = lookup.staff

local people = {}

--- Returns the staff id when that person exists and is active, else nil.
function people.active(id)
  local s = id and staff:get(id)
  return s and s.active and id or nil
end

--- Returns the client's current staff rows: since <= D, until empty or
--- after D, and the staff member active. A row whose since is not a date (a
--- finding of the run) is not current.
function people.current_rows(c)
  return c.client_staff:filter(function(r)
    return r.since ~= nil and r.since <= dt.today and (r["until"] == nil or r["until"] > dt.today)
      and people.active(r.staff_id) ~= nil
  end)
end

--- staff_for(role): the staff id of the current row with that role; if
--- several, the latest since, then the smallest staff id.
function people.staff_for(c, role)
  local best
  for _, r in ipairs(c.current_staff) do
    if r.role == role and (best == nil or r.since > best.since
        or (r.since == best.since and r.staff_id < best.staff_id)) then
      best = r
    end
  end
  return best and best.staff_id
end

--- mgr(s): s's manager when that person is active, else the VP;
--- mgr(nothing) is the VP.
function people.mgr(id)
  local s = id and staff:get(id)
  return (s and people.active(s.manager_id)) or run.vp
end

--- A complaint's owner: its owner_id when active, else the client's responsible.
function people.owner(c, complaint)
  return people.active(complaint.owner_id) or c.responsible
end

return people
