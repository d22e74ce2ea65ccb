-- delivery.lua: on-time delivery (rules/POLICY.md §11 "Delivery"; 制度 4.2.3.2).
local P = params.delivery
local list = require("lib.list")

rule {
  id = "delivery.on_time",
  needs = "orders",
  doc = "At least 95% of a strategic client's orders due in the last 90 days and "
     .. "delivered were delivered by their due date (judged from 5 such orders).",
  fn = function(c)
    if not list.holds(P.tiers, c.tier) then return end
    local n, on_time = 0, 0
    for _, o in ipairs(c.orders) do
      if o.delivered_on ~= nil and dt.in_last_days(o.due_on, P.window_days) then
        n = n + 1
        if o.delivered_on <= o.due_on then on_time = on_time + 1 end
      end
    end
    -- exact: on_time / n < percent / 100, in integers
    if n >= P.min_orders and on_time * 100 < P.on_time_percent * n then
      alert { severity = "warning", level = 1, assignee = c.responsible,
              title = string.format("按期交付率低于 %d%%", P.on_time_percent),
              data = { rate = on_time / n, n = n } }
    end
  end,
}
