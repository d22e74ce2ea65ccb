#!/usr/bin/env bash
# tests/cli/test_readme_links.sh: every link of README.md to one of its own
# sections (#anchor) names a heading, as GitHub makes its anchor (lower
# case, spaces as hyphens, punctuation dropped): the contents table at the
# top stays true as sections are renamed.
. "$(dirname "$0")/../lib.sh"

test_every_link_to_a_section_names_a_heading() {
  python3 - "$ROOT/README.md" > "$T/missing" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
body = re.sub(r"```.*?```", "", text, flags=re.S)
anchors = set()
for h in re.findall(r"^#{1,6} (.+)$", body, flags=re.M):
    a = re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
    anchors.add(a)
links = re.findall(r"\]\(#([^)]+)\)", body)
if len(links) < 10:
    print("only %d links to sections" % len(links))
for l in links:
    if l not in anchors:
        print("no heading for #" + l)
PY
  expect_eq "links without a heading" "" "$(cat "$T/missing")"
}

run_tests
