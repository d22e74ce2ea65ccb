-- complaints.lua: complaint handling times (rules/POLICY.md §7 "Complaints";
-- 客户维护规章制度 七.1, 制度 4.2.4.3, 4.2.5.3).
local C = params.complaints
local list = require("lib.list")
local people = require("lib.people")

rule {
  id = "complaint.response",
  needs = "complaints",
  doc = "A complaint without a first response nor a resolution is answered within "
     .. "T hours (12 for strategic clients, 24 otherwise); it escalates at T+24 and T+48.",
  fn = function(c)
    local T = C.response_hours[c.tier] or C.response_hours.default
    local up1, up2 = C.response_escalation_hours[1], C.response_escalation_hours[2]
    for _, k in ipairs(c.complaints) do
      if k.opened_at == nil then   -- not a timestamp: a finding; no age to judge by
        why("complaint %s has no readable opened_at; left out", k.id)
      elseif k.first_response_at == nil and k.resolved_at == nil then
        local h = dt.hours_since(k.opened_at)
        why("complaint %s unanswered for %.2f hours; due in %d (tier %s), then %d and %d",
            k.id, h, T, c.tier, T + up1, T + up2)
        local owner = people.owner(c, k)
        local data = { opened_at = dt.format_time(k.opened_at), due_hours = T,
                       category = k.category }
        local title = string.format("投诉 %s 自 %s 起未响应", k.id,
                                    dt.format_time(k.opened_at))
        if h >= T + up2 then
          alert { key = k.id, severity = "critical", level = 3, assignee = run.vp,
                  title = title, data = data }
        elseif h >= T + up1 then
          alert { key = k.id, severity = "warning", level = 2, assignee = people.mgr(owner),
                  title = title, data = data }
        elseif h >= T then
          alert { key = k.id, severity = "warning", level = 1, assignee = owner,
                  title = title, data = data }
        end
      else
        why("complaint %s is answered or resolved", k.id)
      end
    end
  end,
}

rule {
  id = "complaint.resolution",
  needs = "complaints",
  doc = "An answered complaint is resolved within 7 days (168 hours from its opening); "
     .. "at 14 days (336 hours) it is critical and goes to the owner's manager.",
  fn = function(c)
    local up1, up2 = C.resolution_hours[1], C.resolution_hours[2]
    for _, k in ipairs(c.complaints) do
      if k.opened_at == nil then   -- not a timestamp: a finding; no age to judge by
        why("complaint %s has no readable opened_at; left out", k.id)
      elseif k.first_response_at ~= nil and k.resolved_at == nil then
        local h = dt.hours_since(k.opened_at)
        if h >= up1 then
          local owner = people.owner(c, k)
          local data = { opened_at = dt.format_time(k.opened_at),
                         first_response_at = dt.format_time(k.first_response_at),
                         category = k.category }
          local title = string.format("投诉 %s 自 %s 起未解决", k.id,
                                      dt.format_time(k.opened_at))
          if h >= up2 then
            alert { key = k.id, severity = "critical", level = 2, assignee = people.mgr(owner),
                    title = title, data = data }
          else
            alert { key = k.id, severity = "warning", level = 1, assignee = owner,
                    title = title, data = data }
          end
        end
      end
    end
  end,
}

rule {
  id = "complaint.callback",
  needs = "complaints",
  doc = "A strategic or key client is called back (a service-level contact) within "
     .. "168 hours of a complaint's resolution; checked from 168 to 720 hours after it.",
  fn = function(c)
    local B = C.callback
    if not list.holds(B.tiers, c.tier) then return end
    local window = B.window_hours * dt.HOUR
    for _, k in ipairs(c.complaints) do
      local done = k.resolved_at
      if done ~= nil then
        local h = dt.hours_since(done)
        if h >= B.from_hours and h <= B.until_hours
            and not c.contacts:any(function(x)
              local t = x.happened_at
              return x.level == B.level and t ~= nil and t >= done and t <= done + window
            end) then
          alert { key = k.id, severity = "warning", level = 1,
                  assignee = people.staff_for(c, "service_engineer") or people.owner(c, k),
                  title = string.format("投诉 %s 于 %s 解决后未回访", k.id,
                                        dt.format_time(done)),
                  data = { resolved_at = dt.format_time(done),
                           due_by = dt.format_time(done + window), category = k.category } }
        end
      end
    end
  end,
}
