-- report.lua: the monthly account review (examples/saas/POLICY.md §8).
-- ARR growth against a year ago, as a fraction; nil without arr_year_ago.
local function growth(c)
  if c.arr_year_ago == nil or c.arr_year_ago <= 0 then return nil end
  return c.arr / c.arr_year_ago - 1
end

report {
  id = "accounts",
  title = "Accounts by tier",
  doc = "One row per active account, by tier, with subtotals and a total.",
  group_by = "tier",
  totals = true,
  columns = {
    { id = "name", label = "Account", type = "text" },
    { id = "tier", label = "Tier", type = "text" },
    { id = "plan", label = "Plan", type = "text" },
    { id = "arr", label = "ARR", type = "money" },
    { id = "growth", label = "Growth", type = "ratio-change" },
    { id = "utilization", label = "Seats used", type = "percent", total = "min" },
    { id = "open_tickets", label = "Open", type = "integer", group = "Tickets" },
    { id = "sev1", label = "Severity 1", type = "integer", group = "Tickets" },
    { id = "renewal", label = "Next renewal", type = "date", total = "min" },
    { id = "alerts", label = "Open alerts", type = "integer" },
  },
  series = { title = "Active seats by tier", type = "integer",
             groups = { "strategic", "key", "standard" } },
  row = function(c, month, alerts)
    local values = {}
    for i, m in ipairs(month.series) do
      local u = c.usage:first({ month = m.first })
      values[i] = u and u.seats_active or 0
    end
    local open = c.tickets:filter({ resolved_at = null })
    local next_renewal = c.renewals:min("renewal_on",
                                        { status = "open", renewal_on = { ge = dt.today } })
    return {
      name = c.name, tier = labels.tiers[c.tier] or c.tier, plan = c.plan, arr = c.arr,
      growth = growth(c), utilization = c.utilization,
      open_tickets = #open, sev1 = open:count({ severity = 1 }),
      renewal = next_renewal,
      alerts = alerts.info + alerts.warning + alerts.critical,
      series = { group = c.tier, values = values },
    }
  end,
}
