-- tier.lua: the yearly tier approval (rules/POLICY.md §4 "Tier review"; 制度 4.1).
local P = params
local list = require("lib.list")


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
    if approved == nil and not list.holds(P.review_tiers, computed) then return end
    -- share in basis points (an integer: 512 is 5.12%), so that the total's
    -- daily drift does not update every proposal each night
    assign {
      kind = "tier_approval",
      assignee = run.gm,
      data = { from = approved or null, to = computed, sales12 = c.sales12,
               share = math.floor(c.share * 10000 + 0.5) },
    }
  end,
}
