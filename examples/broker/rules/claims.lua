-- examples/broker/rules/claims.lua: open claims that age, and rejected claims
-- as a churn risk.
local CL = params.claims
local CH = params.churn

rule {
  id = "claim.aging",
  needs = "claims",
  doc = "An open claim older than claims.team_lead_days days goes to the broker's team lead; "
     .. "older than claims.head_days days, to the head of claims.",
  fn = function(c)
    for _, cl in ipairs(c.claims:filter({ status = "open" })) do
      local age = dt.age_days(cl.claimed_on)
      why("claim %s open since %s, %d days", cl.id or "?", dt.format(cl.claimed_on), age)
      local key = cl.id or dt.format(cl.claimed_on)
      if age > CL.head_days then
        alert { severity = "critical", level = 2, key = key, assignee = run.head_of_claims,
                title = "claim open since " .. dt.format(cl.claimed_on),
                data = { claimed_on = dt.format(cl.claimed_on), amount = cl.amount or null } }
      elseif age > CL.team_lead_days then
        alert { severity = "warning", level = 1, key = key, assignee = c.team_lead,
                title = "claim open since " .. dt.format(cl.claimed_on),
                data = { claimed_on = dt.format(cl.claimed_on), amount = cl.amount or null } }
      end
    end
  end,
}

rule {
  id = "churn.risk",
  needs = "claims",
  doc = "churn.rejected_min or more rejected claims in the last churn.window_days days flag a churn risk.",
  fn = function(c)
    local n = c.claims:count({ status = "rejected",
                               claimed_on = { gt = dt.today - CH.window_days, le = dt.today } })
    why("%d rejected claims in %d days", n, CH.window_days)
    if n >= CH.rejected_min then
      alert { severity = "warning", assignee = c.broker,
              title = "churn risk: rejected claims", data = { rejected = n } }
    end
  end,
}
