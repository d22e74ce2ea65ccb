-- contacts.lua: keeping in touch at all (rules/POLICY.md §8 "Keeping in touch":
-- contact.dormant, client.onboarding; 客户维护规章制度 七.3, 七.4).
local P = params.contacts

rule {
  id = "contact.dormant",
  doc = "A client has had a contact of any level within 180 days (counted from "
     .. "created_on when it has had none).",
  fn = function(c)
    local last_at = c.contacts:max("happened_at")
    local last = last_at and dt.day(last_at) or c.created_on
    if last == nil then return end   -- no contact, created_on not a date (a finding)
    if dt.age_days(last) >= P.dormant_days then
      alert { severity = "warning", level = 1, assignee = c.responsible,
              title = "自 " .. dt.format(last) .. " 起未联络",
              data = { last = dt.format(last), contacted = last_at ~= nil,
                       dormant_days = P.dormant_days } }
    end
  end,
}

rule {
  id = "client.onboarding",
  doc = "A new client is contacted within 7 days of its creation; checked until "
     .. "it is 30 days old.",
  fn = function(c)
    if c.created_on == nil then return end   -- not a date (a finding): no age
    local age = dt.age_days(c.created_on)
    if age >= P.onboarding_from_days and age <= P.onboarding_until_days
        and #c.contacts == 0 then
      alert { severity = "warning", level = 1, assignee = c.responsible,
              title = "新客户自 " .. dt.format(c.created_on) .. " 建档以来未联络",
              data = { created_on = dt.format(c.created_on) } }
    end
  end,
}
