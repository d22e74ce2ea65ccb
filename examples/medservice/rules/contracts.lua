-- contracts.lua: contracts ending with no renewal visit (examples/medservice/POLICY.md §4.3).
local R = params.renewal

rule {
  id = "contract.renewal",
  doc = "A contract ending within 90 days has had a renewal visit in the last 120 days.",
  fn = function(c)
    local ends = c.contract_end_on
    if ends == nil then return end
    local left = ends - dt.today
    why("contract ends %s, %d days left", dt.format(ends), left)
    if left < 0 or left > R.horizon_days then return end
    local visited = c.visits:any({ kind = "renewal",
                                   visited_on = { gt = dt.today - R.visit_window_days, le = dt.today } })
    if visited then return end
    local critical = left <= R.critical_days
    alert { key = dt.format(ends), severity = critical and "critical" or "warning",
            level = critical and 2 or 1, assignee = c.account_manager_id,
            title = "contract ends " .. dt.format(ends) .. " with no renewal visit",
            data = { ends_on = dt.format(ends) } }
  end,
}
