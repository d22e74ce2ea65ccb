-- staffing.lua: a CSM for every strategic account (examples/saas/POLICY.md §5).
local ST = params.staffing

aggregate {
  id = "csm_accounts", doc = "Active accounts the CRM gives each CSM (their load).",
  table = "accounts", count = true, group = "csm_id", where = { status = "active" },
}

pool {
  id = "csms",
  doc = "Active CSMs by region, with their capacity and the CRM's accounts as load.",
  across_runs = true,
  members = function(add)
    for _, s in ipairs(lookup.staff:filter({ role = "csm", active = true })) do
      if s.region then
        add { id = s.id, group = s.region, capacity = s.capacity,
              load = run.csm_accounts[s.id] or 0 }
      end
    end
  end,
}

-- The other regions, in the configured order: where a pick looks when the
-- account's own region is full.
local function other_regions(region)
  local out = {}
  for _, r in ipairs(ST.regions) do
    if r ~= region then out[#out + 1] = r end
  end
  return out
end

rule {
  id = "csm.assign",
  emits = { "csm.unfilled" },
  doc = "A strategic account without an active CSM gets one from its region, "
     .. "else another; nobody with room is a critical alert to the VP.",
  fn = function(c)
    if c.tier ~= "strategic" then return end
    if c.csm ~= nil then
      fulfilled {}
      return
    end
    why("strategic account in %s without an active CSM", c.region)
    assign { kind = "csm",
             pick = { pool = "csms", group = c.region, fallback = other_regions(c.region),
                      keep = "while_member" },
             data = { region = c.region },
             unfilled = { rule = "csm.unfilled", severity = "critical", assignee = run.vp,
                          title = "no CSM has room for a strategic account in " .. c.region,
                          data = { region = c.region } } }
  end,
}
