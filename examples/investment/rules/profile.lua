-- examples/investment/rules/profile.lua: the risk profile (风险承受能力) and
-- its re-assessment.
local P = params.profile

derive {
  id = "assessed_on",
  doc = "The day of the latest risk assessment, or nil.",
  type = "date",
  fn = function(c) return c.assessments:max("assessed_on") end,
}

rule {
  id = "profile.reassess",
  doc = "Every investor has a risk profile, re-assessed every reassess_months months.",
  fn = function(c)
    if not c.assessed_on then
      alert { severity = "critical", level = 1, assignee = c.advisor, title = "no risk profile" }
      return
    end
    local due = dt.add_months(c.assessed_on, P.reassess_months)
    why("assessed %s, due %s", dt.format(c.assessed_on), dt.format(due))
    if due <= dt.today then
      alert { severity = "warning", level = 1, assignee = c.advisor,
              title = "risk profile re-assessment due since " .. dt.format(due) }
    end
  end,
}
