-- staffing.lua: a rep for every 三甲 hospital, from its region first (examples/pharma/POLICY.md §6).
local S = params.staffing

pool {
  id = "reps",
  doc = "Active reps, grouped by region, with their capacity of 三甲 hospitals.",
  across_runs = true,
  members = function(add)
    for _, s in ipairs(lookup.staff:filter({ role = "rep", active = true })) do
      add { id = s.id, group = s.region, capacity = s.capacity,
            load = run.rep_load[s.id] or 0 }
    end
  end,
}

local staffed = {}
for _, g in ipairs(S.grades) do staffed[g] = true end

rule {
  id = "staffing.rep",
  doc = "A hospital of a staffed grade without an active rep gets one from the pool "
     .. "reps: its region, then the other regions; nobody with room, staffing.unfilled.",
  emits = { "staffing.unfilled" },
  fn = function(c)
    if c.kind ~= "hospital" or not staffed[c.grade] then return end
    if c.rep then
      why("rep %s", c.rep)
      fulfilled { key = "rep" }
      return
    end
    local others = {}
    for _, r in ipairs(S.regions) do
      if r ~= c.region then others[#others + 1] = r end
    end
    assign { kind = "assign_rep", key = "rep",
             pick = { pool = "reps", group = c.region, fallback = others,
                      keep = "while_member" },
             data = { grade = c.grade, region = c.region },
             unfilled = { rule = "staffing.unfilled", severity = "critical",
                          assignee = c.manager,
                          title = c.grade .. "医院无销售代表，且无代表有空余容量",
                          data = { region = c.region } } }
  end,
}
