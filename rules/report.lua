-- report.lua: the monthly report for the review meeting (rules/POLICY.md §13
-- "The monthly report"; 制度 4.2.1.4, 4.3.3 and 附件一): one row per strategic or
-- key client with its sales, deliveries, complaints, contacts and open alerts.
local P = params

--- The tiers the report covers.
local REPORT_TIERS = { strategic = true, key = true }

--- The text people read for id in a section of the config's labels, or id.
local function label(section, id)
  local l = labels[section]
  return l and l[id] or id
end

--- Contact levels with a "latest contact" column, and their labels.
local LEVELS = {
  { level = "executive", label = "高层" },
  { level = "account", label = "商务" },
  { level = "technical", label = "技术" },
  { level = "quality", label = "质量" },
  { level = "service", label = "服务" },
}

--- Whether day d falls in month m ({first=, last=}); false for nil.
local function within(d, m)
  return d ~= nil and m.first <= d and d <= m.last
end

--- The client's sales in each of the months given, in cents, as far into
--- each as its `through` day goes: a month in progress is compared with the
--- same days of the months before it.
local function sales_in(c, months)
  local sums = {}
  for i = 1, #months do sums[i] = 0 end
  for _, o in ipairs(c.orders) do
    if o.amount and o.ordered_on then   -- a date that is a data problem reads as nil
      for i, m in ipairs(months) do
        if m.first <= o.ordered_on and o.ordered_on <= m.through then
          sums[i] = sums[i] + o.amount
        end
      end
    end
  end
  return sums
end

--- (now - before) / before, or nil when there was nothing before.
local function change(now, before)
  if before == 0 then return nil end
  return (now - before) / before
end

--- Complaints opened in month m by category, most first: "质量 2、交付 1".
local function complaints_by_category(c, m)
  local n, names = {}, {}
  for _, k in ipairs(c.complaints) do
    if k.opened_at and within(dt.day(k.opened_at), m) then
      local cat = k.category and label("categories", k.category) or "未分类"
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
  return table.concat(names, "、")
end

--- The date of the client's latest contact of a level, or nil.
local function latest_contact(c, level)
  local at = c.contacts:max("happened_at", function(x) return x.level == level end)
  return at and dt.day(at)
end

local SALES, ORDERS, COMPLAINTS = "销售额", "本月订单", "投诉"
local columns = {
  { id = "id", label = "客户编号", type = "text" },
  { id = "name", label = "客户名称", type = "text" },
  { id = "tier", label = "级别", type = "text" },
  { id = "kam", label = "客户经理", type = "text" },
  { id = "sales", group = SALES, label = "本月", type = "money" },
  { id = "sales_prev", group = SALES, label = "上月", type = "money" },
  { id = "sales_year_ago", group = SALES, label = "去年同月", type = "money" },
  { id = "mom", group = SALES, label = "环比", type = "ratio-change" },
  { id = "yoy", group = SALES, label = "同比", type = "ratio-change" },
  { id = "sales12", group = SALES, label = "近" .. P.sales_window_days .. "天", type = "money" },
  { id = "share", group = SALES, label = "占比", type = "percent" },
  { id = "orders_due", group = ORDERS, label = "到期", type = "integer" },
  { id = "orders_on_time", group = ORDERS, label = "按期交付", type = "integer" },
  { id = "complaints", group = COMPLAINTS, label = "本月", type = "text" },
  { id = "complaints_open", group = COMPLAINTS, label = "未结", type = "integer" },
}
for _, l in ipairs(LEVELS) do
  columns[#columns + 1] = { id = "last_" .. l.level, group = "最近联络", label = l.label,
                            type = "date" }
end
for _, s in ipairs({ { "info", "提示" }, { "warning", "警告" }, { "critical", "严重" } }) do
  columns[#columns + 1] = { id = "alerts_" .. s[1], group = "未关闭预警",
                            label = labels.severities and labels.severities[s[1]] or s[2],
                            type = "integer" }
end

report {
  id = "monthly",
  title = "战略及重点客户月报",
  doc = "每个战略客户和重点客户一行：本月、上月和去年同月的销售额及环比、同比（本月未结束时，"
     .. "各月均只计到与本月相同的日期），近一年销售额及占比，本月到期订单及按期交付数，"
     .. "本月投诉（按类别）和未结投诉，各层级最近一次联络日期，以及未关闭的预警"
     .. "（制度 4.2.1.4、4.3.3，附件一）。",
  scope = function(c) return REPORT_TIERS[c.tier] == true end,
  columns = columns,
  series = { title = "月度销售额，按客户级别", type = "money",
             groups = { label("tiers", "strategic"), label("tiers", "key") } },
  row = function(c, month, alerts)
    local months = { month, month.prev, month.year_ago }
    for _, m in ipairs(month.series) do months[#months + 1] = m end
    local sums = sales_in(c, months)
    local sales, prev, year_ago = sums[1], sums[2], sums[3]
    local kam = c.kam and lookup.staff:get(c.kam)
    local due = c.orders:filter(function(o) return within(o.due_on, month) end)
    local values = {}
    for i = 1, #month.series do values[i] = sums[3 + i] end
    local row = {
      id = c.id, name = c.name, tier = label("tiers", c.tier), kam = kam and kam.name,
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
      series = { group = label("tiers", c.tier), values = values },
    }
    for _, l in ipairs(LEVELS) do row["last_" .. l.level] = latest_contact(c, l.level) end
    return row
  end,
}
