-- examples/broker/rules/report.lua: the monthly report, one row per active
-- client, grouped by segment, with a subtotal per segment and a total.

report {
  id = "monthly",
  title = "Policyholders by segment",
  doc = "Every active client, by segment, with a subtotal per segment and a total.",
  group_by = "segment",
  totals = true,
  columns = {
    { id = "name", label = "Client", type = "text" },
    { id = "segment", label = "Segment", type = "text" },
    { id = "key", label = "Key account", type = "text", total = "count" },
    { id = "premium", label = "Premium", type = "money" },
    { id = "renewal", label = "Next renewal", type = "date", total = "min" },
    { id = "open_claims", label = "Open", type = "integer", group = "Claims" },
    { id = "claimed", label = "Claimed this month", type = "money", group = "Claims" },
    { id = "claimed_prev", label = "Same month last year", type = "money", group = "Claims" },
    { id = "change", label = "Change", type = "ratio-change", group = "Claims" },
    { id = "loss_ratio", label = "Loss ratio (12 months)", type = "percent", total = "max" },
    { id = "calls", label = "Calls this month", type = "integer" },
    { id = "critical", label = "Critical alerts", type = "integer" },
    { id = "alerts", label = "Open alerts", type = "integer" },
  },
  series = { title = "Claims by segment", type = "money", groups = { "corporate", "SME", "retail" } },
  row = function(c, month, alerts)
    local in_month = { ge = month.first, le = month.through }
    local values = {}
    for i, m in ipairs(month.series) do
      values[i] = c.claims:sum("amount", { claimed_on = { ge = m.first, le = m.through } })
    end
    local claimed = c.claims:sum("amount", { claimed_on = in_month })
    local ya = month.year_ago
    local prev = c.claims:sum("amount", { claimed_on = { ge = ya.first, le = ya.through } })
    local year = c.claims:sum("amount", { claimed_on = { gt = month.through - 365, le = month.through },
                                          status = { ne = "rejected" } })
    return {
      name = c.name,
      segment = c.segment and labels.segments[c.segment] or c.segment,
      key = c.key_account and "yes" or nil,
      premium = c.premium,
      renewal = c.renewal_date,
      open_claims = c.claims:count({ status = "open" }),
      claimed = claimed,
      claimed_prev = prev,
      change = prev > 0 and (claimed - prev) / prev or nil,
      loss_ratio = (c.premium and c.premium > 0) and year / c.premium or nil,
      calls = c.calls:count({ called_on = in_month }),
      critical = alerts.critical,
      alerts = alerts.info + alerts.warning + alerts.critical,
      series = { group = c.segment or "unknown", values = values },
    }
  end,
}
