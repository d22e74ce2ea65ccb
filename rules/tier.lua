-- tier.lua: the yearly tier approval (POLICY.md "tier.review").
local P = params

--- Whether a tier is one that is reviewed even without an approved tier.
local function always_reviewed(tier)
  for _, t in ipairs(P.review_tiers) do
    if t == tier then return true end
  end
  return false
end

rule {
  id = "tier.review",
  doc = "Ask the general manager to approve the computed tier when it differs "
     .. "from the approved one, or when a strategic or key client has none.",
  fn = function(c)
    local approved, computed = c.approved_tier, c.computed_tier
    if approved == computed then
      fulfilled {}
      return
    end
    if approved == nil and not always_reviewed(computed) then return end
    assign {
      kind = "tier_approval",
      assignee = run.gm,
      data = { from = approved or null, to = computed, sales12 = c.sales12, share = c.share },
    }
  end,
}
