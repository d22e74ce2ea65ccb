-- report.lua: the monthly service overview (examples/medservice/POLICY.md §5).
local D = params.dispatch

report {
  id = "service_overview",
  title = "Service overview by region",
  doc = "One row per active customer, grouped by region, with a total.",
  group_by = "region",
  totals = true,
  columns = {
    { id = "name", label = "Customer", type = "text" },
    { id = "region", label = "Region", type = "text" },
    { id = "tier", label = "Tier", type = "text" },
    { id = "strategic", label = "Strategic", type = "text", total = "count" },
    { id = "machines", label = "All", type = "integer", group = "Machines" },
    { id = "critical", label = "Critical", type = "integer", group = "Machines" },
    { id = "open_tickets", label = "Open P1/P2", type = "integer" },
    { id = "contract_end", label = "Contract end", type = "date", total = "min" },
    { id = "critical_alerts", label = "Critical", type = "integer", group = "Open alerts" },
    { id = "warning_alerts", label = "Warning", type = "integer", group = "Open alerts" },
  },
  series = { title = "Tickets opened per month, by region", type = "integer", groups = D.regions },
  row = function(c, month, alerts)
    local values = {}
    for i, m in ipairs(month.series) do
      values[i] = c.tickets:count({ opened_at = { ge = dt.start(m.first), lt = dt.start(m.through + 1) } })
    end
    return {
      name = c.name, region = c.region, tier = c.tier,
      strategic = c.strategic and "yes" or nil,
      machines = #c.machines, critical = c.critical_machines,
      open_tickets = c.tickets:count({ priority = D.priorities, closed_at = null }),
      contract_end = c.contract_end_on,
      critical_alerts = alerts.critical, warning_alerts = alerts.warning,
      series = { group = c.region, values = values },
    }
  end,
}
