-- receivables.lua: overdue receivables (应收账款) by ageing bucket, and the
-- credit hold (examples/pharma/POLICY.md §4). Amounts are in 分 (cents).
local A = params.receivables

-- The invoices still owed as of today, each with its outstanding amount.
derive {
  id = "open_invoices",
  doc = "Invoices with an amount still owed (amount less the payments so far).",
  fn = function(c)
    local paid = c.payments:by("invoice_id")
    local open = {}
    for _, inv in ipairs(c.invoices) do
      local p = paid[inv.id]
      local owed = inv.amount - (p and p:sum("amount") or 0)
      if owed > 0 then
        open[#open + 1] = { id = inv.id, due_on = inv.due_on, owed = owed }
      end
    end
    return open
  end,
}

derive {
  id = "outstanding",
  doc = "All that the account owes, due or not (分).",
  fn = function(c)
    local total = 0
    for _, inv in ipairs(c.open_invoices) do total = total + inv.owed end
    return total
  end,
}

rule {
  id = "receivables.overdue",
  doc = "Receivables overdue 30 / 60 / 90 days: levels 1 / 2 / 3; 90 days also "
     .. "puts the account on credit hold, as does owing more than its credit limit.",
  needs = "invoices",
  emits = { "receivables.credit_hold" },
  fn = function(c)
    local buckets = {}
    for i = 1, #A.buckets do buckets[i] = 0 end
    local level, held = 0, 0
    for _, inv in ipairs(c.open_invoices) do
      local days = dt.age_days(inv.due_on)
      why("invoice %s due %s, %d days overdue, owed %d", inv.id or "?", dt.format(inv.due_on), days, inv.owed)
      for i = #A.buckets, 1, -1 do
        if days >= A.buckets[i] then
          buckets[i] = buckets[i] + inv.owed
          if i > level then level = i end
          break
        end
      end
      if days >= A.hold_days then held = held + inv.owed end
    end
    local overdue = 0
    local data = {}
    for i, d in ipairs(A.buckets) do
      overdue = overdue + buckets[i]
      data["over_" .. d] = buckets[i]
    end
    if level > 0 and overdue >= A.min_overdue then
      alert { severity = level == #A.buckets and "critical" or "warning", level = level,
              assignee = level == #A.buckets and c.manager or c.responsible,
              title = "应收账款逾期 " .. A.buckets[level] .. " 天以上", data = data }
    end
    local over_limit = c.credit_limit ~= nil and c.outstanding > c.credit_limit
    if held > 0 or over_limit then
      alert { rule = "receivables.credit_hold", severity = "critical", assignee = c.manager,
              title = held > 0 and ("逾期 " .. A.hold_days .. " 天以上：信用冻结")
                               or "应收余额超过信用额度：信用冻结",
              data = { overdue_held = held, outstanding = c.outstanding,
                       credit_limit = c.credit_limit } }
    end
  end,
}
