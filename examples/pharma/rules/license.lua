-- license.lua: GSP and other licenses expiring (examples/pharma/POLICY.md §2).
local L = params.license

rule {
  id = "license.expiring",
  doc = "The latest license of each kind is renewed before it expires: 60 / 30 / 7 "
     .. "days before, levels 1 / 2 / 3; expired, license.expired.",
  needs = "licenses",
  emits = { "license.expired" },
  fn = function(c)
    local by_kind = c.licenses:by("kind")
    local kinds = {}
    for k in pairs(by_kind) do kinds[#kinds + 1] = k end
    table.sort(kinds)
    for _, kind in ipairs(kinds) do
      local expires, lic = by_kind[kind]:max("expires_on")
      local left = expires - dt.today
      why("%s %s expires %s, %d days from now", kind, lic.id or "?", dt.format(expires), left)
      local data = { license = lic.id, license_no = lic.license_no, expires_on = dt.format(expires) }
      if left < 0 then
        alert { rule = "license.expired", key = kind, severity = "critical", level = 1,
                assignee = c.manager,
                title = kind .. " 已于 " .. dt.format(expires) .. " 过期：停止发货", data = data }
      else
        local level = 0
        for i, d in ipairs(L.warn_days) do
          if left <= d then level = i end
        end
        if level > 0 then
          local severity = level == 1 and "info" or level == 2 and "warning" or "critical"
          alert { key = kind, severity = severity, level = level,
                  assignee = level >= 3 and c.manager or c.responsible,
                  title = kind .. " 将于 " .. dt.format(expires) .. " 到期", data = data }
        end
      end
    end
  end,
}
