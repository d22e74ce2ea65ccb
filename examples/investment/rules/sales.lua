-- examples/investment/rules/sales.lua: every recent sale was suitable on
-- the day of sale (适当性), its risk disclosure was signed before it
-- (风险揭示), and the investor was revisited after it (回访).
local S = params.sales
local R = params.revisit

rule {
  id = "sale.suitable",
  doc = "A sale within review_days matched the risk profile valid on the day of sale, and the investor's age then.",
  needs = "sales",
  fn = function(c)
    for s in c.sales:filter({ sold_on = { gt = dt.today - S.review_days } }):each() do
      local _, profile = c.assessments:max("assessed_on", { assessed_on = { le = s.sold_on } })
      local age = c.birth_on and dt.age_years(c.birth_on, s.sold_on)
      local why_not
      if not profile then
        why_not = "no risk profile on " .. dt.format(s.sold_on)
      elseif s.product_risk > profile.risk_level then
        why_not = "product risk " .. s.product_risk .. " above the profile's " .. profile.risk_level
      elseif age and age >= S.senior_age and s.product_risk > S.senior_max_risk then
        why_not = "product risk " .. s.product_risk .. " sold at age " .. age
      end
      if why_not then
        alert { key = tostring(s.id), severity = "critical", level = 1, assignee = c.advisor,
                title = "sale " .. s.id .. ": " .. why_not }
      end
    end
  end,
}

rule {
  id = "sale.disclosure",
  doc = "A sale within review_days has a risk disclosure signed on or before its day.",
  needs = "sales",
  fn = function(c)
    local signed = c.disclosures:by("sale_id")
    for s in c.sales:filter({ sold_on = { gt = dt.today - S.review_days } }):each() do
      local d = signed[s.id]
      if not (d and d:any({ signed_on = { le = s.sold_on } })) then
        alert { key = tostring(s.id), severity = "critical", level = 1, assignee = c.advisor,
                title = "sale " .. s.id .. ": no risk disclosure signed by " .. dt.format(s.sold_on) }
      end
    end
  end,
}

rule {
  id = "sale.revisit",
  doc = "An investor is revisited within within_days of a sale (sales of the last recent_days).",
  needs = "sales",
  fn = function(c)
    for s in c.sales:filter({ sold_on = { gt = dt.today - R.recent_days } }):each() do
      local window = { kind = "revisit", day = { ge = s.sold_on, le = s.sold_on + R.within_days } }
      if dt.age_days(s.sold_on) >= R.within_days and not c.contacts:any(window) then
        alert { key = tostring(s.id), severity = "warning", level = 1, assignee = c.advisor,
                title = "no revisit within " .. R.within_days .. " days of sale " .. s.id }
      end
    end
  end,
}
