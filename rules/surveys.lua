-- surveys.lua: satisfaction surveys (rules/POLICY.md §9 "Surveys": survey.due,
-- survey.low_score; 配送公司客户管理制度 三.4).
local S = params.surveys
local list = require("lib.list")
local people = require("lib.people")

--- Whether survey a comes after survey b: the later surveyed_on, then the
--- larger id (byte order; a missing id is the smallest).
local function later(a, b)
  if a.surveyed_on ~= b.surveyed_on then return a.surveyed_on > b.surveyed_on end
  return (a.id or "") > (b.id or "")
end

--- The latest survey in the window, or nil.
local function latest_recent(c)
  local best
  for _, s in ipairs(c.surveys) do
    if dt.in_last_days(s.surveyed_on, S.window_days) and (best == nil or later(s, best)) then
      best = s
    end
  end
  return best
end

rule {
  id = "survey.due",
  doc = "A strategic or key client has a satisfaction survey in the last 365 days.",
  fn = function(c)
    if not list.holds(S.due_tiers, c.tier) then return end
    if latest_recent(c) then return end
    local last = c.surveys:max("surveyed_on")
    alert { severity = "info", level = 1, assignee = c.responsible,
            title = string.format("近 %d 天未做满意度调查", S.window_days),
            data = { last = last and dt.format(last) or null } }
  end,
}

rule {
  id = "survey.low_score",
  needs = "surveys",
  doc = "The latest survey of the last 365 days scored 6 or less (of 10); "
     .. "the key account manager's manager follows it up.",
  fn = function(c)
    local s = latest_recent(c)
    -- a score that is not a number (a finding) is not judged
    if s and s.score and s.score <= S.low_score_at_most then
      alert { key = s.id, severity = "warning", level = 1, assignee = people.mgr(c.kam),
              title = string.format("满意度调查 %s 评分 %d（满分 10）", s.id, s.score),
              data = { surveyed_on = dt.format(s.surveyed_on), score = s.score } }
    end
  end,
}
