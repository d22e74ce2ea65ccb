-- examples/broker/rules/clients.lua: who a client is to the policy (key
-- accounts, the last call, the broker and team lead), and run-wide values.
local K = params.key_account
local C = params.calls

scope {
  doc = "Only active policyholders are evaluated; a lapsed one's alerts resolve.",
  fn = function(c) return c.status == "active" end,
}

derive {
  id = "key_account",
  doc = "A key account: premium of at least key_account.premium_min, or a segment of key_account.segments.",
  fn = function(c)
    for _, s in ipairs(K.segments) do
      if c.segment == s then why("segment %s", s); return true end
    end
    local key = c.premium ~= nil and c.premium >= K.premium_min
    why("premium %s cents against %d", tostring(c.premium), K.premium_min)
    return key
  end,
}

derive {
  id = "last_call",
  type = "date",
  doc = "The day of the client's last call that reached someone (calls.count_outcomes), nil for none.",
  fn = function(c)
    return (c.calls:max("called_on", { outcome = C.count_outcomes }))
  end,
}

derive {
  id = "broker",
  doc = "The client's broker when the staff lookup has them active, else nil.",
  fn = function(c)
    if c.broker_id == nil then return nil end
    local s = lookup.staff:get(c.broker_id)
    if s == nil or not s.active then
      why("broker %s is not an active staff member", c.broker_id)
      return nil
    end
    return s.id
  end,
}

derive {
  id = "team_lead",
  doc = "The team lead of the client's broker, else the branch manager.",
  fn = function(c)
    local s = c.broker and lookup.staff:get(c.broker)
    if s and s.manager_id then return s.manager_id end
    return run.branch_manager
  end,
}

local function first_active(role)
  local s = lookup.staff:first({ role = role, active = true })
  return s and s.id
end

global {
  id = "head_of_claims",
  doc = "The active head of claims (the first by id).",
  fn = function() return first_active("head_of_claims") end,
}

global {
  id = "branch_manager",
  doc = "The active branch manager (the first by id).",
  fn = function() return first_active("branch_manager") end,
}

aggregate {
  id = "corporate_by_broker",
  doc = "Active corporate clients by broker (key accounts by segment).",
  table = "clients", count = true, group = "broker_id",
  where = { status = "active", segment = K.segments },
}

aggregate {
  id = "large_by_broker",
  doc = "Active non-corporate clients with a key premium, by broker.",
  table = "clients", count = true, group = "broker_id",
  where = { status = "active", segment = { not_in = K.segments }, premium = { ge = K.premium_min } },
}
