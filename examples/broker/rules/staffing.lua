-- examples/broker/rules/staffing.lua: every key account has a broker, picked
-- from a pool of brokers with capacity when it has none.

pool {
  id = "brokers",
  doc = "Active brokers, their capacity in key accounts, their load the key accounts the CRM gives them.",
  across_runs = true,
  members = function(add)
    for _, s in ipairs(lookup.staff:filter({ role = "broker", active = true })) do
      local load = (run.corporate_by_broker[s.id] or 0) + (run.large_by_broker[s.id] or 0)
      -- a negative capacity in the CRM (a data error) takes no one, as 0: the
      -- pool would refuse it, and with it the whole run
      add { id = s.id, group = "broker", capacity = s.capacity and math.max(s.capacity, 0), load = load }
    end
  end,
}

rule {
  id = "staffing.broker",
  emits = { "staffing.unfilled" },
  doc = "A key account without an active broker gets one from the pool; none with capacity: the branch manager is alerted.",
  fn = function(c)
    if not c.key_account then return end
    if c.broker then
      fulfilled { key = "broker" }
      return
    end
    assign { kind = "assign_broker", key = "broker",
             pick = { pool = "brokers", group = "broker", keep = "while_member" },
             unfilled = { rule = "staffing.unfilled", severity = "critical", assignee = run.branch_manager,
                          title = "no broker with capacity for a key account" } }
  end,
}
