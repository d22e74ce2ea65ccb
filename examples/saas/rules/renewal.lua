-- renewal.lua: renewals at risk (examples/saas/POLICY.md §3).
local R = params.renewal
local month_start = require("lib.months").start

derive {
  id = "usage_change",
  doc = "Last month's active seats and the baseline months' before it: "
     .. "{last, base_sum, months}, or nil without a full baseline.",
  fn = function(c)
    local last = c.last_month
    if last == nil then return nil end
    local base = c.usage:filter({ month = { ge = month_start(1 + R.baseline_months),
                                            lt = month_start(1) } })
    if #base < R.baseline_months then
      why("only %d of %d baseline months", #base, R.baseline_months)
      return nil
    end
    return { last = last.seats_active, base_sum = base:sum("seats_active"), months = #base }
  end,
}

rule {
  id = "renewal.risk",
  needs = "renewals",
  doc = "An open renewal within 90 days with usage down more than 30% or a "
     .. "severity-1 ticket open.",
  fn = function(c)
    local due = c.renewals:filter({ status = "open",
                                    renewal_on = { ge = dt.today, le = dt.today + R.window_days } })
    if #due == 0 then return end
    local reasons, drop_pct = {}, nil
    local u = c.usage_change
    if u ~= nil and u.base_sum > 0 then
      -- in whole seats: last < average * (100 - pct) / 100
      drop_pct = math.floor(100 - u.last * u.months * 100 / u.base_sum + 0.5)
      if u.last * u.months * 100 < u.base_sum * (100 - R.usage_drop_pct) then
        reasons[#reasons + 1] = "usage_drop"
      end
    end
    local sev1 = c.tickets:count({ severity = 1, resolved_at = null })
    if sev1 > 0 then reasons[#reasons + 1] = "sev1_open" end
    why("usage drop %s%%, %d open severity-1 tickets", drop_pct or "unknown", sev1)
    if #reasons == 0 then return end
    for _, r in ipairs(due) do
      alert { key = r.id, severity = #reasons == 2 and "critical" or "warning",
              assignee = c.owner,
              title = "renewal on " .. dt.format(r.renewal_on) .. " at risk",
              data = { renewal_on = dt.format(r.renewal_on), arr = r.arr, reasons = reasons,
                       usage_drop_pct = drop_pct or null } }
    end
  end,
}
