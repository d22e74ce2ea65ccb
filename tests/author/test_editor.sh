#!/usr/bin/env bash
# tests/author/test_editor.sh: editor/crmpolicy.lua (LuaLS annotations)
# declares every name the engine gives rules, and rules/.luarc.json points
# to it. (lua-language-server itself is neither a Debian nor an npm package,
# so it is not run here.)
. "$(dirname "$0")/common.sh"

STANDARD=" _G _VERSION assert collectgarbage coroutine error getmetatable ipairs math next
  pairs pcall print rawequal rawget rawlen require select setmetatable string table tonumber
  tostring type utf8 xpcall "
STANDARD=" $(echo $STANDARD) "

# names LUA_EXPR: the sorted keys of a table as the sandbox shows it to rules.
names() {
  policy
  printf 'local n = {}\nfor k in pairs(%s) do n[#n + 1] = k end\ntable.sort(n)\nprint(table.concat(n, " "))\n' \
    "$1" > g.lua
  echo 'rule { id = "x", doc = "x", fn = function() end }' >> g.lua
  sed 's/rules: \[r.lua\]/rules: [g.lua]/' c.yaml > g.yaml
  "$CRMPOLICY" check --config g.yaml 2>&1 >/dev/null | head -n 1 | sed 's/^crmpolicy: print: //'
}

test_every_global_of_the_rule_api_is_annotated() {
  local name missing=""
  for name in $(names _G); do
    case "$STANDARD" in *" $name "*) continue ;; esac
    grep -Eq "^(function $name\(|$name = )" "$ROOT/editor/crmpolicy.lua" || missing="$missing $name"
  done
  expect_eq "globals not in editor/crmpolicy.lua" "" "$missing"
}

test_every_dt_member_is_annotated() {
  local name missing=""
  for name in $(names dt); do
    grep -Eq "^(function dt\.$name\(|---@field $name )" "$ROOT/editor/crmpolicy.lua" ||
      missing="$missing $name"
  done
  expect_eq "dt members not in editor/crmpolicy.lua" "" "$missing"
}

test_luarc_points_to_the_annotations() {
  expect_contains ".luarc.json" '"workspace.library": ["../editor"]' "$(cat "$ROOT/rules/.luarc.json")"
  [ -f "$ROOT/rules/../editor/crmpolicy.lua" ] || fail "editor/crmpolicy.lua is missing"
  expect_eq "meta" "---@meta crmpolicy" "$(head -n 1 "$ROOT/editor/crmpolicy.lua")"
}

run_tests
