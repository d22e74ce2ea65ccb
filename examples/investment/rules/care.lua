-- examples/investment/rules/care.lua: periodic contact by assets and
-- birthday greetings (客户关系维护).
local P = params

derive {
  id = "assets",
  doc = "What the investor has bought, in cents.",
  fn = function(c) return c.sales:sum("amount") end,
}

rule {
  id = "contact.periodic",
  doc = "Investors are contacted every every_days of the first tier their assets reach.",
  fn = function(c)
    local every
    for _, tier in ipairs(P.contact.tiers) do
      if c.assets >= tier.assets_at_least then every = tier.every_days break end
    end
    local last = c.contacts:max("day") or c.created_on
    why("assets %d cents, every %d days, last contact %s", c.assets, every, dt.format(last))
    if dt.age_days(last) >= every then
      alert { severity = "warning", level = 1, assignee = c.advisor,
              title = "no contact since " .. dt.format(last), data = { every_days = every } }
    end
  end,
}

rule {
  id = "birthday.greeting",
  doc = "An investor is greeted in the birthday_days_before days before a birthday (29 February: on 28 February in common years).",
  fn = function(c)
    if not c.birth_on then return end
    local day = dt.next_anniversary(c.birth_on)
    if day - dt.today < P.birthday_days_before then
      local y = dt.ymd(day)
      alert { key = tostring(y), severity = "info", level = 1, assignee = c.advisor,
              title = "birthday on " .. dt.format(day) .. ", age " .. dt.age_years(c.birth_on, day) }
    end
  end,
}
