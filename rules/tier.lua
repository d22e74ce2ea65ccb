-- tier.lua: the yearly tier approval (rules/POLICY.md §4 "Tier review"; 制度 4.1).
local P = params
local list = require("lib.list")

--- share in basis points: the integer nearest to sales12 / total12 * 10000,
--- halves rounded up (rules/POLICY.md §4), in integers when they fit, since
--- the float share * 10000 + 0.5 rounds some exact halves down (3 cents of
--- 20,000 cents: 1.5 basis points, floor(1.4999999999999998 + 0.5) = 1).
local function basis_points(c)
  local s, t = c.sales12, run.total12
  if t == 0 then return 0 end
  if math.type(s) == "integer" and math.type(t) == "integer"
      and math.abs(s) < 2 ^ 48 and math.abs(t) < 2 ^ 61 then
    -- floor(s * 10000 / t + 1/2) = floor((20000 s + t) / 2t), for either sign of t
    return (20000 * s + t) // (2 * t)
  end
  return math.floor(c.share * 10000 + 0.5)
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
    if approved == nil and not list.holds(P.review_tiers, computed) then return end
    -- share in basis points (an integer: 512 is 5.12%), so that the total's
    -- daily drift does not update every proposal each night
    assign {
      kind = "tier_approval",
      assignee = run.gm,
      data = { from = approved or null, to = computed, sales12 = c.sales12,
               share = basis_points(c) },
    }
  end,
}
