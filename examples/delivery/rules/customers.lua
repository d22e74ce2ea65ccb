-- examples/delivery/rules/customers.lua: who a customer is (二、客户分类)
-- and which depot serves it.
local P = params

aggregate {
  id = "per_depot",
  doc = "Customers per depot, counted in C over the customers table.",
  table = "customers",
  count = true,
  group = "depot",
}

derive {
  id = "parcels",
  doc = "Parcels shipped in the category window (window_days up to D).",
  fn = function(c)
    return c.shipments:sum("parcels", { shipped_on = { gt = dt.today - P.category.window_days } })
  end,
}

derive {
  id = "category",
  doc = "important (重要), ordinary (普通), or potential (潜在: nothing shipped in the window).",
  fn = function(c)
    if c.parcels >= P.category.important_parcels then return "important" end
    if c.parcels > 0 then return "ordinary" end
    return "potential"
  end,
}

derive {
  id = "manager",
  doc = "The staff id of the manager of the customer's depot, or nil.",
  fn = function(c)
    local depot = c.depot and lookup.depots:get(c.depot)
    return depot and depot.manager
  end,
}

rule {
  id = "depot.assign",
  doc = "Every customer is served by one depot; a customer without one is an error of the files.",
  fn = function(c)
    if not c.manager then
      alert { severity = "warning", level = 1, title = "no depot (or an unknown one)" }
      return
    end
    assign { kind = "depot", assignee = c.depot, data = { customers = run.per_depot[c.depot] } }
  end,
}
