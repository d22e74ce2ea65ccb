-- accounts.lua: which accounts are evaluated, their tier (examples/saas/POLICY.md §1), their
-- CSM and seat usage, and the run-wide values other rules read.
local T = params.tiers

scope {
  doc = "Active accounts only; a churned account's alerts resolve.",
  fn = function(c) return c.status == "active" end,
}

local month_start = require("lib.months").start

derive {
  id = "tier",
  doc = "strategic, key or standard (examples/saas/POLICY.md §1).",
  fn = function(c)
    local arr = c.arr or 0
    if arr >= T.strategic_arr then return "strategic" end
    local ago = c.arr_year_ago
    -- in whole cents, not a float ratio: 25% exactly is 25%
    if arr >= T.growth_arr and ago and ago > 0 and arr * 100 >= ago * (100 + T.growth_min_pct) then
      why("ARR %d cents, %d a year ago: %d%% or more growth", arr, ago, T.growth_min_pct)
      return "strategic"
    end
    if arr >= T.key_arr then return "key" end
    return "standard"
  end,
}

derive {
  id = "csm",
  doc = "The account's CSM when csm_id names an active CSM; nil otherwise.",
  fn = function(c)
    if c.csm_id == nil then return nil end
    local s = lookup.staff:get(c.csm_id)
    if s and s.active and s.role == "csm" then return s.id end
    why("csm_id %s is not an active CSM", c.csm_id)
    return nil
  end,
}

derive {
  id = "cs_manager",
  doc = "The CSM's manager, else the active CS manager of the account's region.",
  fn = function(c)
    local s = c.csm and lookup.staff:get(c.csm)
    if s and s.manager_id then return s.manager_id end
    local m = lookup.staff:first({ role = "cs_manager", region = c.region, active = true })
    return m and m.id
  end,
}

derive {
  id = "owner",
  doc = "Who takes the account's alerts: its CSM, else its CS manager.",
  fn = function(c) return c.csm or c.cs_manager end,
}

derive {
  id = "last_month",
  doc = "The usage row of the last complete month, or nil.",
  fn = function(c)
    return c.usage:first({ month = month_start(1) })
  end,
}

derive {
  id = "utilization",
  doc = "Active / purchased seats in the last complete month; nil without usage.",
  fn = function(c)
    local u = c.last_month
    if u == nil or u.seats_purchased <= 0 then return nil end
    return u.seats_active / u.seats_purchased
  end,
}

-- Run-wide: last month's seats by account, and their median utilization.
aggregate {
  id = "active_seats", doc = "Active seats last month, by account.",
  table = "usage", sum = "seats_active", group = "account_id",
  where = { month = month_start(1) },
}
aggregate {
  id = "purchased_seats", doc = "Purchased seats last month, by account.",
  table = "usage", sum = "seats_purchased", group = "account_id",
  where = { month = month_start(1) },
}

global {
  id = "median_utilization",
  doc = "The median of every account's utilization last month (nil when none had usage).",
  fn = function()
    local ratios = {}
    for id, purchased in pairs(run.purchased_seats) do
      if purchased > 0 then
        ratios[#ratios + 1] = (run.active_seats[id] or 0) / purchased
      end
    end
    if #ratios == 0 then return nil end
    table.sort(ratios)
    local n = #ratios
    if n % 2 == 1 then return ratios[(n + 1) // 2] end
    return (ratios[n // 2] + ratios[n // 2 + 1]) / 2
  end,
}

global {
  id = "vp",
  doc = "The active VP of customer success: unfilled CSM picks go to them.",
  fn = function()
    local s = lookup.staff:first({ role = "cs_vp", active = true })
    return s and s.id
  end,
}

global {
  id = "support_head",
  doc = "The active head of support: SLA escalations without a manager go to them.",
  fn = function()
    local s = lookup.staff:first({ role = "support_head", active = true })
    return s and s.id
  end,
}
