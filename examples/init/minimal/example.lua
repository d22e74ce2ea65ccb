-- example.lua: a rule to start from, written by `crmpolicy init --minimal`:
-- a client with no contact for params.example.quiet_days days is an alert.
-- Replace it with the policy's own rules.
local P = params.example

rule {
  id = "example.quiet",
  doc = "A client has had a contact within quiet_days days (counted from "
     .. "created_on when it has had none).",
  fn = function(c)
    local last_at = c.contacts:max("happened_at")
    local last = last_at and dt.day(last_at) or c.created_on
    local days = dt.age_days(last)
    why("last contact on %s, %d days ago", dt.format(last), days)
    if days >= P.quiet_days then
      alert { severity = "warning", level = 1,
              title = "no contact since " .. dt.format(last),
              data = { last = dt.format(last) } }
    end
  end,
}
