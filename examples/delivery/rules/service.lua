-- examples/delivery/rules/service.lua: contact, complaints, surveys and
-- greetings (三、2 to 4; care of important customers).
local P = params

derive {
  id = "last_contact",
  doc = "The day of the latest contact, else the day the customer was created.",
  type = "date",
  fn = function(c) return c.contacts:max("day") or c.created_on end,
}

rule {
  id = "contact.due",
  doc = "Each category is contacted within its interval (contact_days).",
  fn = function(c)
    local days = P.contact_days[c.category]
    why("%s customer, last contact %s, every %d days", c.category, dt.format(c.last_contact), days)
    if dt.age_days(c.last_contact) >= days then
      alert { severity = "warning", level = 1, assignee = c.manager,
              title = "no contact since " .. dt.format(c.last_contact),
              data = { last = dt.format(c.last_contact), every_days = days } }
    end
  end,
}

rule {
  id = "complaint.open",
  doc = "A complaint is resolved within complaint_days of its category; an important customer's is critical.",
  needs = "complaints",
  fn = function(c)
    local days = P.complaint_days[c.category]
    for k in c.complaints:filter({ resolved_on = null }):each() do
      local age = dt.age_days(k.opened_on)
      if age >= days then
        alert { key = k.id, severity = c.category == "important" and "critical" or "warning",
                level = 1, assignee = c.manager,
                title = "complaint " .. k.id .. " open for " .. age .. " days" }
      end
    end
  end,
}

rule {
  id = "survey.due",
  doc = "Customers that ship are surveyed every survey_months months; a low score is followed up.",
  fn = function(c)
    if c.category == "potential" then return end
    local last, row = c.surveys:max("answered_on")
    local due = dt.add_months(last or c.created_on, P.survey_months)
    if due <= dt.today then
      alert { key = "due", severity = "info", level = 1, assignee = c.manager,
              title = "satisfaction survey due since " .. dt.format(due) }
    end
    if row and row.score <= P.low_score then
      alert { key = "low", severity = "warning", level = 1, assignee = c.manager,
              title = "survey of " .. dt.format(last) .. " scored " .. row.score }
    end
  end,
}

rule {
  id = "holiday.greeting",
  doc = "Important customers are greeted in the greet_days_before days before each holiday.",
  fn = function(c)
    if c.category ~= "important" then return end
    for name, dates in pairs(P.holidays) do
      local day = dt.next_of(dates)
      if day and day - dt.today < P.greet_days_before then
        alert { key = name, severity = "info", level = 1, assignee = c.manager,
                title = name .. " greeting, " .. dt.format(day) }
      end
    end
  end,
}
