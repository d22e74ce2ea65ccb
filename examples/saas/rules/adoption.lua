-- adoption.lua: adoption against peers and NPS detractors (examples/saas/POLICY.md §6, §7).
local A = params.adoption
local N = params.nps

local watched = {}
for _, t in ipairs(A.tiers) do watched[t] = true end

local function pct(x) return math.floor(x * 100 + 0.5) end

rule {
  id = "adoption.low",
  doc = "A key or strategic account uses fewer than half the seats, proportionally, "
     .. "that the company's median account does.",
  fn = function(c)
    if not watched[c.tier] then return end
    local median, u = run.median_utilization, c.utilization
    if median == nil or u == nil then return end
    why("utilization %d%% against a median of %d%%", pct(u), pct(median))
    if u < median * A.below_median_factor then
      alert { severity = "info", assignee = c.owner,
              title = "seat utilization far below the company median",
              data = { utilization_pct = pct(u), median_pct = pct(median) } }
    end
  end,
}

rule {
  id = "nps.detractor",
  needs = "nps",
  doc = "An NPS answer of 6 or less in the last 30 days is called back by the CSM.",
  fn = function(c)
    local recent = c.nps:filter({ score = { le = N.detractor_max },
                                  answered_on = { gt = dt.today - N.recent_days } })
    for _, r in ipairs(recent) do
      alert { key = r.id, severity = "warning", assignee = c.owner,
              title = "NPS " .. r.score .. " on " .. dt.format(r.answered_on),
              data = { score = r.score, answered_on = dt.format(r.answered_on) } }
    end
  end,
}
