-- complaints.lua: complaint handling times (POLICY.md "complaint.*").
local C = params.complaints
local people = require("lib.people")

rule {
  id = "complaint.response",
  doc = "A complaint without a first response nor a resolution is answered within "
     .. "T hours (12 for strategic clients, 24 otherwise); it escalates at T+24 and T+48.",
  fn = function(c)
    local T = C.response_hours[c.tier] or C.response_hours.default
    local up1, up2 = C.response_escalation_hours[1], C.response_escalation_hours[2]
    for _, k in ipairs(c.complaints) do
      if k.first_response_at == nil and k.resolved_at == nil then
        local h = dt.hours_since(k.opened_at)
        local owner = people.owner(c, k)
        local data = { opened_at = dt.format_time(k.opened_at), due_hours = T,
                       category = k.category }
        local title = string.format("complaint %s unanswered since %s", k.id,
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
      end
    end
  end,
}
