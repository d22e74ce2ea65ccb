-- examples/delivery/rules/money.lua: credit, rewards and agreements
-- (三、6 to 8). Amounts are cents.
local P = params

rule {
  id = "credit.overdue",
  doc = "Invoices unpaid more than overdue_days after their due date; over the limit, critical.",
  needs = "invoices",
  fn = function(c)
    local overdue = { paid_on = null, due_on = { lt = dt.today - P.credit.overdue_days } }
    local cents = c.invoices:sum("amount", overdue)
    why("%d cents overdue, limit %d", cents, P.credit.limit)
    if cents > 0 then
      alert { severity = cents > P.credit.limit and "critical" or "warning", level = 1,
              assignee = c.manager, title = "overdue invoices",
              data = { cents = cents, invoices = c.invoices:count(overdue) } }
    end
  end,
}

rule {
  id = "reward.review",
  doc = "A customer shipping over reward_parcels with nothing unpaid past its due date is reviewed for a reward.",
  fn = function(c)
    if c.parcels > P.reward_parcels and not c.invoices:any({ paid_on = null, due_on = { lt = dt.today } }) then
      alert { severity = "info", level = 1, assignee = c.manager, title = "reward review",
              data = { parcels = c.parcels } }
    end
  end,
}

rule {
  id = "agreement.review",
  doc = "An agreement is reviewed every review_months months, and its expiry announced expiry_notice_days before.",
  needs = "agreements",
  fn = function(c)
    local notice = P.agreement.expiry_notice_days
    for a in c.agreements:each() do
      local review = dt.add_months(a.reviewed_on or a.signed_on, P.agreement.review_months)
      if review <= dt.today then
        alert { key = a.id .. "/review", severity = "warning", level = 1, assignee = c.manager,
                title = "agreement " .. a.id .. " review due since " .. dt.format(review) }
      end
      local left = a.expires_on and a.expires_on - dt.today
      if left and left >= 0 and left <= notice then
        alert { key = a.id .. "/expiry", severity = "warning", level = 1, assignee = c.manager,
                title = "agreement " .. a.id .. " expires " .. dt.format(a.expires_on) }
      end
    end
  end,
}
