-- qbr.lua: quarterly business reviews on the tier's cadence (examples/saas/POLICY.md §2).
local Q = params.qbr

rule {
  id = "qbr.overdue",
  doc = "A strategic account holds a QBR with an executive or champion every 91 days, "
     .. "a key account every 182; late ones escalate at 30 and 60 days.",
  fn = function(c)
    local interval = Q.interval_days[c.tier]
    if interval == nil then return end
    local last = c.qbrs:max("held_on", { attendee_role = Q.count_roles })
    local from = last or c.created_on
    local due = from + interval
    local late = dt.today - due
    why("%s account, last counting QBR %s, due %s", c.tier, dt.format(last) or "never",
        dt.format(due))
    if late < 0 then return end
    local severity, level, assignee = "warning", 1, c.owner
    if late >= Q.critical_after_days then
      severity, level, assignee = "critical", 3, c.cs_manager
    elseif late >= Q.escalate_after_days then
      level = 2
    end
    alert { severity = severity, level = level, assignee = assignee,
            title = "QBR overdue since " .. dt.format(due),
            data = { tier = c.tier, last_qbr = dt.format(last) or null,
                     due_on = dt.format(due) } }
  end,
}
