-- report.lua: the monthly report for the review meeting (rules/POLICY.md §13
-- "The monthly report"; 制度 4.2.1.4, 4.3.3 and 附件一): one row per strategic or
-- key client with its sales, deliveries, complaints, contacts and open alerts.
local P = params

--- The tiers the report covers.
local REPORT_TIERS = { strategic = true, key = true }

--- Contact levels with a "latest contact" column, and their labels.
local LEVELS = {
  { level = "executive", label = "最近高层联络" },
  { level = "account", label = "最近商务联络" },
  { level = "technical", label = "最近技术联络" },
  { level = "quality", label = "最近质量联络" },
  { level = "service", label = "最近服务联络" },
}

--- Whether day d falls in month m ({first=, last=}); false for nil.
local function within(d, m)
  return d ~= nil and m.first <= d and d <= m.last
end

--- The client's sales by month name ("YYYY-MM"), in cents.
local function sales_by_month(c)
  local by = {}
  for _, o in ipairs(c.orders) do
    if o.amount then
      local m = dt.month(o.ordered_on)
      by[m] = (by[m] or 0) + o.amount
    end
  end
  return by
end

--- (now - before) / before, or nil when there was nothing before.
local function change(now, before)
  if before == 0 then return nil end
  return (now - before) / before
end

--- Complaints opened in month m by category, most first: "quality 2, delivery 1".
local function complaints_by_category(c, m)
  local n, names = {}, {}
  for _, k in ipairs(c.complaints) do
    if k.opened_at and within(dt.day(k.opened_at), m) then
      local cat = k.category or "(none)"
      if not n[cat] then
        names[#names + 1] = cat
        n[cat] = 0
      end
      n[cat] = n[cat] + 1
    end
  end
  table.sort(names, function(a, b)
    if n[a] ~= n[b] then return n[a] > n[b] end
    return a < b
  end)
  for i, cat in ipairs(names) do names[i] = cat .. " " .. n[cat] end
  return table.concat(names, ", ")
end

--- The date of the client's latest contact of a level, or nil.
local function latest_contact(c, level)
  local at = c.contacts:max("happened_at", function(x) return x.level == level end)
  return at and dt.day(at)
end

local columns = {
  { id = "id", label = "客户编号", type = "text" },
  { id = "name", label = "客户名称", type = "text" },
  { id = "tier", label = "级别", type = "text" },
  { id = "kam", label = "客户经理", type = "text" },
  { id = "sales", label = "本月销售额", type = "money" },
  { id = "sales_prev", label = "上月销售额", type = "money" },
  { id = "sales_year_ago", label = "去年同月销售额", type = "money" },
  { id = "mom", label = "环比", type = "ratio-change" },
  { id = "yoy", label = "同比", type = "ratio-change" },
  { id = "sales12", label = "近" .. P.sales_window_days .. "天销售额", type = "money" },
  { id = "share", label = "销售占比", type = "percent" },
  { id = "orders_due", label = "本月到期订单", type = "integer" },
  { id = "orders_on_time", label = "其中按期交付", type = "integer" },
  { id = "complaints", label = "本月投诉（按类别）", type = "text" },
  { id = "complaints_open", label = "未结投诉", type = "integer" },
}
for _, l in ipairs(LEVELS) do
  columns[#columns + 1] = { id = "last_" .. l.level, label = l.label, type = "date" }
end
for _, s in ipairs({ { "info", "提示" }, { "warning", "警告" }, { "critical", "严重" } }) do
  columns[#columns + 1] = { id = "alerts_" .. s[1], label = "未关闭预警（" .. s[2] .. "）",
                            type = "integer" }
end

report {
  id = "monthly",
  title = "战略及重点客户月报",
  doc = "每个战略客户和重点客户一行：本月、上月和去年同月的销售额及环比、同比，"
     .. "近一年销售额及占比，本月到期订单及按期交付数，本月投诉（按类别）和未结投诉，"
     .. "各层级最近一次联络日期，以及未关闭的预警（制度 4.2.1.4、4.3.3，附件一）。",
  scope = function(c) return REPORT_TIERS[c.tier] == true end,
  columns = columns,
  series = { title = "月度销售额（元），按客户级别", type = "money",
             groups = { "strategic", "key" } },
  row = function(c, month, alerts)
    local by = sales_by_month(c)
    local sales, prev = by[month.name] or 0, by[month.prev.name] or 0
    local year_ago = by[month.year_ago.name] or 0
    local kam = c.kam and lookup.staff:get(c.kam)
    local due = c.orders:filter(function(o) return within(o.due_on, month) end)
    local values = {}
    for i, m in ipairs(month.series) do values[i] = by[m.name] or 0 end
    local row = {
      id = c.id, name = c.name, tier = c.tier, kam = kam and kam.name,
      sales = sales, sales_prev = prev, sales_year_ago = year_ago,
      mom = change(sales, prev), yoy = change(sales, year_ago),
      sales12 = c.sales12, share = c.share,
      orders_due = #due,
      orders_on_time = due:count(function(o)
        return o.delivered_on ~= nil and o.delivered_on <= o.due_on
      end),
      complaints = complaints_by_category(c, month),
      complaints_open = c.complaints:count(function(k) return k.resolved_at == nil end),
      alerts_info = alerts.info, alerts_warning = alerts.warning,
      alerts_critical = alerts.critical,
      series = { group = c.tier, values = values },
    }
    for _, l in ipairs(LEVELS) do row["last_" .. l.level] = latest_contact(c, l.level) end
    return row
  end,
}
