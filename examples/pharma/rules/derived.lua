-- derived.lua: who is responsible for an account, and the values every
-- other file reads. examples/pharma/POLICY.md §1.
local S = params.staffing

scope {
  doc = "Active accounts only: a closed account's alerts resolve.",
  fn = function(c) return c.status == "active" end,
}

-- The regional manager of each region: the active manager with the smallest id.
global {
  id = "region_manager",
  doc = "region -> the id of its regional manager (active, smallest id).",
  fn = function()
    local m = {}
    for _, s in ipairs(lookup.staff:filter({ role = "manager", active = true })) do
      if m[s.region] == nil then m[s.region] = s.id end
    end
    return m
  end,
}

-- 三甲 hospitals each rep holds in the CRM today: the pool's load.
aggregate {
  id = "rep_load",
  doc = "Active accounts of the staffed grades, counted by the rep the CRM assigned.",
  table = "accounts",
  count = true,
  where = { status = "active", grade = S.grades },
  group = "rep_id",
}

derive {
  id = "tier",
  doc = "The visit tier: a hospital's grade, or 'pharmacy'.",
  fn = function(c)
    if c.kind == "hospital" then return c.grade end
    return "pharmacy"
  end,
}

derive {
  id = "rep",
  doc = "The account's rep, when the CRM names one who is an active rep.",
  fn = function(c)
    if c.rep_id == nil then return nil end
    local s = lookup.staff:get(c.rep_id)
    if s and s.active and s.role == "rep" then return s.id end
    why("rep %s is not an active rep", c.rep_id)
    return nil
  end,
}

derive {
  id = "manager",
  doc = "The regional manager: the rep's manager, else the region's.",
  fn = function(c)
    local s = c.rep and lookup.staff:get(c.rep)
    if s and s.manager_id then return s.manager_id end
    return run.region_manager[c.region]
  end,
}

derive {
  id = "responsible",
  doc = "Whom routine alerts go to: the rep, else the regional manager.",
  fn = function(c) return c.rep or c.manager end,
}
