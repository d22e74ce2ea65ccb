-- lib/list.lua: helpers over the lists of names that params hold (the tier
-- lists of rules/POLICY.md §4, §7.3, §9, §10, §11).
local list = {}

--- Whether the list holds the value v.
function list.holds(l, v)
  for _, x in ipairs(l) do
    if x == v then return true end
  end
  return false
end

return list
