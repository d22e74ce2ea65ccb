-- examples/broker/rules/calls.lua: call intervals, a call before a renewal,
-- a key account without a renewal date.
local C = params.calls
local R = params.renewal

rule {
  id = "call.due",
  doc = "A key account has a call every calls.interval_days.key days, others every calls.interval_days.standard "
     .. "(counted from created_on for a client never called).",
  fn = function(c)
    local interval = c.key_account and C.interval_days.key or C.interval_days.standard
    local last = c.last_call or c.created_on
    local days = dt.age_days(last)
    why("last call %s, %d days ago; interval %d", dt.format(last), days, interval)
    if days >= interval then
      alert { severity = "warning", assignee = c.broker,
              title = "no call since " .. dt.format(last),
              data = { last_call = dt.format(c.last_call) or null, interval_days = interval } }
    end
  end,
}

rule {
  id = "renewal.no_call",
  doc = "A renewal within renewal.window_days days needs a call in the last renewal.recent_call_days days.",
  fn = function(c)
    local r = c.renewal_date
    if r == nil then return end
    local left = r - dt.today
    why("renewal %s in %d days", dt.format(r), left)
    if left < 0 or left > R.window_days then return end
    if c.last_call and dt.in_last_days(c.last_call, R.recent_call_days) then return end
    alert { severity = "warning", key = dt.format(r), assignee = c.broker,
            title = "renewal on " .. dt.format(r) .. " without a recent call",
            data = { renewal_date = dt.format(r), last_call = dt.format(c.last_call) or null } }
  end,
}

rule {
  id = "data.renewal_missing",
  doc = "A key account has a renewal date.",
  fn = function(c)
    if c.key_account and c.renewal_date == nil then
      alert { severity = "info", assignee = c.broker, title = "key account without a renewal date" }
    end
  end,
}
