-- recall.lua: batch recalls (批次召回), examples/pharma/POLICY.md §3.
local R = params.recall

rule {
  id = "recall.contact",
  doc = "Every account that received a recalled batch is contacted within 24 hours "
     .. "of the recall's announcement; 48 hours without, the regional manager.",
  needs = "recall_receipts",
  fn = function(c)
    local seen = {}
    for _, rc in ipairs(c.recall_receipts) do
      local r = lookup.recalls:get(rc.recall_id)
      if r and not seen[r.id] then
        seen[r.id] = true
        local contacted = c.visits:any({ recall_id = r.id, kind = R.contact_kinds,
                                         happened_at = { ge = r.announced_at } })
        local hours = dt.hours_since(r.announced_at)
        why("recall %s announced %s, %.1f hours ago, contacted: %s", r.id,
            dt.format_time(r.announced_at), hours, tostring(contacted))
        if contacted then
          fulfilled { key = r.id }
        else
          assign { kind = "recall_notice", key = r.id, assignee = c.responsible,
                   data = { recall = r.id, drug = r.drug, batch_no = r.batch_no,
                            announced_at = dt.format_time(r.announced_at) } }
          if hours >= R.contact_hours then
            local late = hours >= R.manager_after_hours
            alert { key = r.id, severity = "critical", level = late and 2 or 1,
                    assignee = late and c.manager or c.responsible,
                    title = "召回 " .. r.drug .. "（批号 " .. r.batch_no .. "）："
                         .. R.contact_hours .. " 小时内未通知客户",
                    data = { recall = r.id, level = r.level,
                             announced_at = dt.format_time(r.announced_at) } }
          end
        end
      end
    end
  end,
}
