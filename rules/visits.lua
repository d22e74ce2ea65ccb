-- visits.lua: contact obligations by tier and level (rules/POLICY.md §6 "Visits";
-- 制度 4.2.1.3, 4.2.2.2, 4.2.4.2).
local V = params.visits
local people = require("lib.people")

--- The text people read for a contact level (the config's labels.levels), or its id.
local function level_label(level)
  return labels.levels and labels.levels[level] or level
end

for _, level in ipairs(V.levels) do
  rule {
    id = "visit." .. level,
    doc = "A client of a tier with a " .. level .. " interval has had a " .. level
       .. "-level contact within it; twice the interval is critical.",
    fn = function(c)
      local intervals = V.interval_days[c.tier]
      local interval = intervals and intervals[level]
      if not interval then
        why("tier %s has no %s interval", c.tier, level)
        return
      end
      local last_at = c.contacts:max("happened_at", { level = level })
      local last = last_at and dt.day(last_at) or c.created_on
      if last == nil then   -- created_on not a date (a finding): nothing to count from
        why("no %s contact, and created_on is not a date", level)
        return
      end
      local days = dt.age_days(last)
      why("%s %s, %d days ago; interval %d days, critical from %d",
          last_at and "last " .. level .. " contact" or "no " .. level .. " contact; created",
          dt.format(last), days, interval, V.critical_factor * interval)
      local data = { last = dt.format(last), interval_days = interval, contacted = last_at ~= nil }
      local title = string.format("自 %s 起无%s联络（应每 %d 天一次）", dt.format(last),
                                  level_label(level), interval)
      if days >= V.critical_factor * interval then
        alert { severity = "critical", level = 2, assignee = people.mgr(c.kam),
                title = title, data = data }
      elseif days >= interval then
        alert { severity = "warning", level = 1, assignee = c.responsible,
                title = title, data = data }
      end
    end,
  }
end
