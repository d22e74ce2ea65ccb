-- report.lua: the monthly report by region, with subtotals and a total
-- (examples/pharma/POLICY.md §7). Run by `crmpolicy report`, not by the fixtures.
local function bought(c, first, through)
  return c.orders:sum("amount", { ordered_on = { ge = first, le = through } })
end

report {
  id = "monthly_by_region",
  title = "月度采购与应收（按大区）",
  doc = "One row per active account, grouped by region, with the month's purchases "
     .. "against last month and the same month a year ago, what it owes and its alerts.",
  group_by = "region",
  totals = true,
  columns = {
    { id = "name", label = "客户", type = "text" },
    { id = "region", label = "大区", type = "text" },
    { id = "tier", label = "等级", type = "text", total = "count" },
    { id = "rep", label = "销售代表", type = "text" },
    { id = "month", label = "本月", type = "money", group = "采购额" },
    { id = "prev", label = "上月", type = "money", group = "采购额" },
    { id = "change", label = "同比", type = "ratio-change", group = "采购额" },
    { id = "outstanding", label = "应收余额", type = "money" },
    { id = "license", label = "证照最早到期", type = "date", total = "min" },
    { id = "critical", label = "严重警报", type = "integer" },
  },
  series = { title = "各大区月度采购额", type = "money", groups = params.staffing.regions },
  row = function(c, month, alerts)
    local this = bought(c, month.first, month.through)
    local ago = bought(c, month.year_ago.first, month.year_ago.through)
    local values = {}
    for i, m in ipairs(month.series) do values[i] = bought(c, m.first, m.through) end
    local staff = c.rep and lookup.staff:get(c.rep)
    return {
      name = c.name,
      region = labels.regions[c.region] or c.region,
      tier = labels.grades[c.tier] or c.tier,
      rep = staff and staff.name or "（未配备）",
      month = this,
      prev = bought(c, month.prev.first, month.prev.through),
      change = ago > 0 and (this - ago) / ago or nil,
      outstanding = c.outstanding,
      license = c.licenses:min("expires_on"),
      critical = alerts.critical,
      series = { group = c.region, values = values },
    }
  end,
}
