-- lib/months.lua: month arithmetic shared by the rule files.
local M = {}

-- The first day of the month `n` months before the as-of date's month
-- (n = 0: this month; 1: the last complete month).
function M.start(n)
  local y, m = dt.ymd(dt.today)
  return dt.add_months(dt.make(y, m, 1), -n)
end

return M
