-- derived.lua: values about a client that the checks use (rules/POLICY.md §3
-- "Derived values": sales, share, tier, people; 制度 4.1; 公司战略客户管理制度
-- 第五条), computed once per client when first read.
local P = params
local people = require("lib.people")
local list = require("lib.list")

--- Orders in the sales window: ordered in the last N days (D - N < day <= D).
local IN_WINDOW = { ordered_on = { gt = dt.today - P.sales_window_days, le = dt.today } }

aggregate {
  id = "total12",
  doc = "Sales of every order in the window, whatever its client, in cents.",
  table = "orders",
  sum = "amount",
  where = IN_WINDOW,
}

--- The active staff member with a role and the smallest id, or nil.
local function first_active(role)
  local s = lookup.staff:first(function(s) return s.active and s.role == role end)
  return s and s.id
end

global {
  id = "vp",
  doc = "The active marketing VP with the smallest id.",
  fn = function() return first_active("marketing_vp") end,
}

global {
  id = "gm",
  doc = "The active general manager with the smallest id.",
  fn = function() return first_active("general_manager") end,
}

derive {
  id = "sales12",
  doc = "The client's sales in the window, in cents.",
  fn = function(c) return c.orders:sum("amount", IN_WINDOW) end,
}

derive {
  id = "share",
  doc = "sales12 / total12 (0 when total12 is 0).",
  fn = function(c)
    local total = run.total12
    if total == 0 then return 0 end
    return c.sales12 / total
  end,
}

derive {
  id = "computed_tier",
  doc = "The first tier whose thresholds hold: strategic, key, major, general.",
  fn = function(c)
    local T = P.tiers
    if c.strategic_partner or c.share > T.strategic.share_above then return "strategic" end
    if c.sales12 >= T.key.sales_at_least or c.share > T.key.share_above then return "key" end
    if c.sales12 >= T.major.sales_at_least then return "major" end
    return "general"
  end,
}


derive {
  id = "tier",
  doc = "The approved tier when it is one of the tier names, else the computed tier.",
  fn = function(c)
    if list.holds(P.tiers.order, c.approved_tier) then return c.approved_tier end
    return c.computed_tier
  end,
}

derive {
  id = "current_staff",
  doc = "client_staff rows current on the as-of date whose staff member is active.",
  fn = people.current_rows,
}

derive {
  id = "kam",
  doc = "The client's current key account manager (staff id), or nil.",
  fn = function(c) return people.staff_for(c, "key_account_manager") end,
}

derive {
  id = "responsible",
  doc = "The key account manager, or the VP when the client has none.",
  fn = function(c) return c.kam or run.vp end,
}

scope {
  doc = "Closed clients are not evaluated.",
  fn = function(c) return c.status ~= "closed" end,
}
