-- derived.lua: who is evaluated and the values several rules share
-- (examples/medservice/POLICY.md §2, §3).
local S = params.strategic

scope {
  doc = "Active customers (examples/medservice/POLICY.md §2).",
  fn = function(c) return c.status == "active" end,
}

derive {
  id = "critical_machines",
  doc = "The number of the customer's uptime-critical machines (installed by D).",
  fn = function(c)
    return c.machines:count({ uptime_critical = true })
  end,
}

derive {
  id = "strategic",
  doc = "Platinum, or at least strategic.min_critical_machines critical machines.",
  fn = function(c)
    why("tier %s, %d critical machines", c.tier, c.critical_machines)
    return c.tier == "platinum" or c.critical_machines >= S.min_critical_machines
  end,
}

derive {
  id = "last_pm",
  doc = "Each machine's last preventive maintenance day (a map machine id -> day).",
  fn = function(c)
    local pm_visits = c.visits:filter({ kind = "pm", machine_id = { not_nil = true } }):by("machine_id")
    local last = {}
    for _, m in ipairs(c.machines) do
      local d = m.last_pm_on
      local vs = pm_visits[m.id]
      if vs then
        local v = vs:max("visited_on")
        if v and (d == nil or v > d) then d = v end
      end
      last[m.id] = d or m.installed_on
    end
    return last
  end,
}

global {
  id = "service_manager",
  doc = "Each region's service manager: the active one with the smallest id.",
  fn = function()
    local by_region = {}
    for _, s in ipairs(lookup.staff:filter({ role = "service_manager", active = true })) do
      if s.region and by_region[s.region] == nil then by_region[s.region] = s.id end
    end
    return by_region
  end,
}

aggregate {
  id = "dispatched",
  doc = "Open tickets the CRM has dispatched, by engineer: each engineer's load.",
  table = "tickets",
  count = true,
  where = { closed_at = null, dispatched_at = { not_nil = true } },
  group = "engineer_id",
}
