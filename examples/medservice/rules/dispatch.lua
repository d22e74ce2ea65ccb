-- dispatch.lua: a certified field engineer for each open urgent ticket
-- (examples/medservice/POLICY.md §4.5). Each engineer sits in one group, <region>|<certset>, so
-- that one person has one capacity; a pick lists the groups whose certset
-- holds the ticket's modality, the customer's region first.
local D = params.dispatch

-- the modalities of a certset, and the certsets in the order picks read them
local function certsets_with(modality)
  local mods = D.modalities
  local sets = {}
  local n = #mods
  for mask = 1, (1 << n) - 1 do
    local names, has = {}, false
    for i = 1, n do
      if mask & (1 << (i - 1)) ~= 0 then
        names[#names + 1] = mods[i]
        if mods[i] == modality then has = true end
      end
    end
    if has then
      table.sort(names)
      sets[#sets + 1] = { size = #names, name = table.concat(names, "+") }
    end
  end
  table.sort(sets, function(a, b)
    if a.size ~= b.size then return a.size < b.size end
    return a.name < b.name
  end)
  local out = {}
  for i, s in ipairs(sets) do out[i] = s.name end
  return out
end

local groups_cache = {}
local function groups_for(region, modality)
  local k = region .. "|" .. modality
  if groups_cache[k] then return groups_cache[k] end
  local sets = certsets_with(modality)
  local order = { region }
  for _, r in ipairs(D.regions) do
    if r ~= region then order[#order + 1] = r end
  end
  local groups = {}
  for _, r in ipairs(order) do
    for _, s in ipairs(sets) do groups[#groups + 1] = r .. "|" .. s end
  end
  groups_cache[k] = groups
  return groups
end

pool {
  id = "engineers",
  doc = "Active engineers, one group each: their region and the modalities certified on D.",
  across_runs = true,
  members = function(add)
    local certs = {}
    for _, cert in ipairs(lookup.certifications) do
      if cert.valid_until == nil or cert.valid_until >= dt.today then
        local s = certs[cert.staff_id] or {}
        certs[cert.staff_id] = s
        s[cert.modality] = true
      end
    end
    for _, s in ipairs(lookup.staff:filter({ role = "engineer", active = true })) do
      if s.region then
        local names = {}
        for m in pairs(certs[s.id] or {}) do names[#names + 1] = m end
        table.sort(names)
        local set = #names > 0 and table.concat(names, "+") or "none"
        local load = run.dispatched[s.id] or 0
        add { id = s.id, group = s.region .. "|" .. set, capacity = s.capacity, load = load }
      end
    end
  end,
}

rule {
  id = "engineer.assign",
  needs = "tickets",
  emits = { "engineer.unfilled" },
  doc = "Each open P1/P2 ticket gets a certified engineer: its region first, then the others.",
  fn = function(c)
    local manager = run.service_manager[c.region]
    local machines = c.machines:by("id")
    for _, t in ipairs(c.tickets:filter({ priority = D.priorities, closed_at = null })) do
      local ms = t.machine_id and machines[t.machine_id]
      local m = ms and ms[1]
      if t.dispatched_at ~= nil then
        why("ticket %s dispatched to %s", t.id, t.engineer_id or "?")
        fulfilled { key = t.id }
      elseif m == nil then
        alert { rule = "engineer.unfilled", key = t.id, severity = "critical", assignee = manager,
                title = "ticket " .. t.id .. " names an unknown machine",
                data = { ticket = t.id, machine = t.machine_id } }
      else
        local groups = groups_for(c.region, m.modality)
        local fallback = {}
        for i = 2, #groups do fallback[#fallback + 1] = groups[i] end
        why("ticket %s (%s, %s): pick from %s", t.id, t.priority, m.modality, groups[1])
        assign { kind = "field_engineer", key = t.id,
                 pick = { pool = "engineers", group = groups[1], fallback = fallback,
                          keep = "while_member" },
                 unfilled = { rule = "engineer.unfilled", severity = "critical", assignee = manager,
                              title = string.format("no certified %s engineer free for ticket %s",
                                                    m.modality, t.id),
                              data = { ticket = t.id, modality = m.modality } },
                 data = { ticket = t.id, machine = m.id, modality = m.modality,
                          priority = t.priority } }
      end
    end
  end,
}
