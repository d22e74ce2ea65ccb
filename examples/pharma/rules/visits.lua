-- visits.lua: visit cadence by hospital grade (examples/pharma/POLICY.md §5).
local V = params.visits

rule {
  id = "visit.cadence",
  doc = "An in-person visit within the tier's interval (三甲 14, 二甲 30, 社区 60, "
     .. "pharmacy 45 days); twice the interval, the regional manager.",
  fn = function(c)
    local interval = V.interval_days[c.tier]
    if not interval then
      why("no visit interval for tier %s", tostring(c.tier))
      return
    end
    local last_at = c.visits:max("happened_at", { kind = V.count_kinds })
    local last = last_at and dt.day(last_at) or c.created_on
    local age = dt.age_days(last)
    why("last visit %s, %d days ago; interval %d", dt.format(last), age, interval)
    if age >= interval then
      local late = age >= interval * V.manager_factor
      alert { severity = late and "critical" or "warning", level = late and 2 or 1,
              assignee = late and c.manager or c.responsible,
              title = (last_at and ("上次面访 " .. dt.format(last)) or "从未面访")
                   .. "，超过 " .. interval .. " 天拜访周期",
              data = { last = dt.format(last), interval_days = interval } }
    end
  end,
}
