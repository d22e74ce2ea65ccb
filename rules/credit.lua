-- credit.lua: credit risk (rules/POLICY.md §10 "Credit"; 配送公司客户管理制度 三.6).
local K = params.credit
local list = require("lib.list")

rule {
  id = "credit.risk",
  needs = "credit",
  doc = "A client rated C, or with payments overdue more than 90 days, is a credit "
     .. "risk: critical for strategic and key clients, a warning otherwise.",
  fn = function(c)
    local r = c.credit[1]          -- at most one row per client
    if not r then return end
    local rated = r.rating ~= nil and r.rating == K.risk_rating
    local overdue = r.overdue_days ~= nil and r.overdue_days > K.overdue_days_above
    if not (rated or overdue) then return end
    local why = {}
    if rated then why[#why + 1] = "信用评级 " .. r.rating end
    if overdue then
      why[#why + 1] = string.format("付款逾期超过 %d 天", K.overdue_days_above)
    end
    alert { severity = list.holds(K.critical_tiers, c.tier) and "critical" or "warning", level = 1,
            assignee = c.responsible,
            title = "信用风险：" .. table.concat(why, "，"),
            data = { rating = r.rating or null, overdue_days = r.overdue_days or null,
                     overdue_amount = r.overdue_amount or null,
                     assessed_on = r.assessed_on and dt.format(r.assessed_on) or null } }
  end,
}
