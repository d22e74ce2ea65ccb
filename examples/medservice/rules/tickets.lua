-- tickets.lua: P1 tickets open past their response deadline (examples/medservice/POLICY.md §4.2).
local P1 = params.p1

rule {
  id = "ticket.p1_response",
  needs = "tickets",
  doc = "A P1 ticket is closed within the tier's response deadline; escalates at 2x and 4x.",
  fn = function(c)
    local deadline = P1.response_hours[c.tier]
    if not deadline then return end
    for _, t in ipairs(c.tickets:filter({ priority = "P1", closed_at = null, opened_at = { not_nil = true } })) do
      local hours = dt.hours_since(t.opened_at)
      local level = 0
      for n, factor in ipairs(P1.escalation_factors) do
        if hours >= factor * deadline then level = n end
      end
      why("ticket %s open %.2f hours, deadline %d: level %d", t.id, hours, deadline, level)
      if level > 0 then
        alert { key = t.id, severity = level >= 2 and "critical" or "warning", level = level,
                assignee = c.account_manager_id,
                title = string.format("P1 ticket %s open past the %d-hour response deadline",
                                      t.id, deadline),
                data = { ticket = t.id, machine = t.machine_id, deadline_hours = deadline,
                         opened_at = dt.format_time(t.opened_at) } }
      end
    end
  end,
}
