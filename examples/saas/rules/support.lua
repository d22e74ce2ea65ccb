-- support.lua: first-response SLA of support tickets (examples/saas/POLICY.md §4).
local S = params.sla

rule {
  id = "ticket.sla",
  needs = "tickets",
  doc = "An unresolved ticket gets its first response within 1/4/8/24 hours by "
     .. "severity; 4 hours past it, the agent's manager is told.",
  fn = function(c)
    for _, t in ipairs(c.tickets:filter({ first_response_at = null, resolved_at = null })) do
      local target = S.response_hours[t.severity]
      if target then
        local over = dt.hours_since(t.opened_at) - target
        why("ticket %s severity %d, %.1f hours past its %d-hour target", t.id, t.severity,
            over, target)
        if over >= 0 then
          local level, assignee = 1, t.agent_id
          if over >= S.escalate_after_hours then
            local agent = t.agent_id and lookup.staff:get(t.agent_id)
            level, assignee = 2, (agent and agent.manager_id) or run.support_head
          end
          alert { key = t.id, severity = t.severity == 1 and "critical" or "warning",
                  level = level, assignee = assignee,
                  title = string.format("severity-%d ticket %s unanswered past %d h",
                                        t.severity, t.id, target),
                  data = { ticket = t.id, severity = t.severity, target_hours = target,
                           opened_at = dt.format_time(t.opened_at) } }
        end
      end
    end
  end,
}
