-- maintenance.lua: preventive maintenance and account reviews (examples/medservice/POLICY.md §4.1, §4.4).
local PM = params.pm
local V = params.visits

rule {
  id = "pm.overdue",
  needs = "machines",
  doc = "Each machine has had preventive maintenance within its tier's and modality's interval.",
  fn = function(c)
    local intervals = PM.interval_days[c.tier]
    if not intervals then return end
    for _, m in ipairs(c.machines) do
      local interval = intervals[m.modality]
      local last = c.last_pm[m.id]
      if interval and last then
        local since = dt.age_days(last)
        why("machine %s (%s): last PM %s, %d days ago, interval %d", m.id, m.modality,
            dt.format(last), since, interval)
        if since >= interval then
          local overdue = since - interval
          local critical = m.uptime_critical or overdue >= PM.critical_after_days
          local due = last + interval
          alert { key = m.id, severity = critical and "critical" or "warning",
                  level = critical and 2 or 1, assignee = c.account_manager_id,
                  title = string.format("preventive maintenance of %s %s overdue since %s",
                                        m.modality, m.id, dt.format(due)),
                  data = { machine = m.id, modality = m.modality, last_pm = dt.format(last),
                           due_on = dt.format(due), interval_days = interval } }
        end
      end
    end
  end,
}

rule {
  id = "visit.review",
  doc = "An account review visit every 90 days for strategic customers, 180 for others.",
  fn = function(c)
    local class = c.strategic and "strategic" or "standard"
    local interval = V.review_days[class]
    local last = c.visits:max("visited_on", { kind = "review" }) or c.created_on
    local since = dt.age_days(last)
    why("%s: last review %s, %d days ago, interval %d", class, dt.format(last), since, interval)
    if since >= interval then
      alert { severity = "warning", level = 1, assignee = c.account_manager_id,
              title = string.format("no %s account review since %s", labels.tiers[class] or class,
                                    dt.format(last)),
              data = { last = dt.format(last), interval_days = interval, strategic = c.strategic } }
    end
  end,
}
