#!/usr/bin/env bash
# tests/author/test_run_junit.sh: `crmpolicy test --run REGEX` (the fixtures
# whose name or path matches) and `--junit FILE` (the results as JUnit XML,
# as CI systems read them): counts, a failure's differences, an invalid
# fixture's message, the fixtures --run leaves out, escaping, and the
# output paths refused.
. "$(dirname "$0")/common.sh"

# xml FILE EXPR: evaluates a Python expression over the parsed report (r:
# the root element); fails the test when the file is not well-formed XML.
xml() {
  python3 - "$1" "$2" <<'PY' || fail "not well-formed XML: $1"
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(eval(sys.argv[2]))
PY
}

# three fixtures: a.yaml passes, b.yaml fails, c.yaml is invalid
three() {
  policy
  mkdir fx
  passing_fixture fx/a.yaml
  sed -e 's/severity: warning/severity: critical/' \
      -e 's/^name: .*/name: "bronze \& <gold> \\u0007 clients"/' fx/a.yaml > fx/b.yaml
  sed 's/^  visits:/  vistis:/' fx/a.yaml > fx/c.yaml
}

test_run_selects_fixtures_by_name_or_path() {
  policy
  mkdir fx
  passing_fixture fx/visits.yaml
  sed 's/^name: .*/name: overdue calls/' fx/visits.yaml > fx/calls.yaml
  cp_run test --config c.yaml --run 'overdue' fx
  expect_eq "by name" "0|ok   fx/calls.yaml: overdue calls
1 passed, 0 failed (1 left out by --run)" "$RC|$OUT"
  cp_run test --config c.yaml --run '^fx/vis.*\.yaml$' fx
  expect_eq "by path" "0|ok   fx/visits.yaml: gold clients are visited every 30 days
1 passed, 0 failed (1 left out by --run)" "$RC|$OUT"
  cp_run test --config c.yaml --run 'calls|gold' fx
  expect_eq "alternation" "0|2 passed, 0 failed (0 left out by --run)" "$RC|$(printf '%s\n' "$OUT" | tail -n 1)"
}

test_run_matches_characters_not_bytes() {
  # '.' is one Chinese character (three bytes in UTF-8), in any locale
  policy
  passing_fixture fx.yaml
  sed -i 's/^name: .*/name: 批次召回 recall/' fx.yaml
  cp_run test --config c.yaml --quiet --run '^批.召回 ' fx.yaml
  expect_eq "one dot, one character" "0|1 passed, 0 failed (0 left out by --run)" "$RC|$OUT"
  LC_ALL=C cp_run test --config c.yaml --quiet --run '^批..召回' fx.yaml
  expect_eq "two dots are two characters" "1|0 passed, 0 failed (1 left out by --run)" "$RC|$OUT"
}

test_min_coverage_below_with_fixtures_left_out_says_so() {
  # what only the left-out fixtures run counts as not run: the message said
  # only 'below --min-coverage', as if the fixtures lacked it
  policy
  passing_fixture a.yaml
  sed 's/^name: .*/name: other/' a.yaml > b.yaml
  cp_run test --config c.yaml --quiet --coverage --min-coverage 100 --run other a.yaml b.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "the last two lines" "coverage 95.2% is below --min-coverage 100% (of the fixtures --run selected: the lines and rules of those it left out count as not run)
1 passed, 0 failed (1 left out by --run)" "$(printf '%s\n' "$OUT" | tail -n 2)"
  cp_run test --config c.yaml --quiet --coverage --min-coverage 100 b.yaml
  expect_eq "without --run" "1|coverage 95.2% is below --min-coverage 100%" "$RC|$(printf '%s\n' "$OUT" | tail -n 2 | head -n 1)"
}

test_a_run_that_matches_nothing_fails() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml --run 'vists' ok.yaml
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "0 passed, 0 failed (1 left out by --run)" "$OUT"
  expect_eq "stderr" "crmpolicy: test: no fixture ran: --run 'vists' matches no fixture's name or path (of 1)" "$ERR"
}

test_a_run_that_is_no_regex_is_a_usage_error() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml --run 'visit(' ok.yaml
  expect_eq "exit" 2 "$RC"
  expect_contains "stderr" "crmpolicy: --run: 'visit(' is not an extended regular expression: " "$ERR"
  expect_eq "stdout" "" "$OUT"
}

test_junit_reports_passed_failed_and_invalid_fixtures() {
  three
  cp_run test --config c.yaml --quiet --junit report.xml fx
  expect_eq "exit (an invalid fixture)" 2 "$RC"
  expect_eq "last line" "1 passed, 2 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
  expect_eq "counts" "3 1 1 0" "$(xml report.xml '" ".join(r.attrib[k] for k in ("tests", "failures", "errors", "skipped"))')"
  expect_eq "suite" "crmpolicy test|3" "$(xml report.xml 'r[0].attrib["name"] + "|" + r[0].attrib["tests"]')"
  expect_eq "names, in order" "gold clients are visited every 30 days|bronze & <gold> \ufffd clients|gold clients are visited every 30 days" \
    "$(xml report.xml '"|".join(c.attrib["name"] for c in r.iter("testcase"))' | sed 's/\xef\xbf\xbd/\\ufffd/')"
  expect_eq "classnames" "fx/a.yaml fx/b.yaml fx/c.yaml" "$(xml report.xml '" ".join(c.attrib["classname"] for c in r.iter("testcase"))')"
  expect_eq "the passing one is empty" "0" "$(xml report.xml 'len(list(r[0][0]))')"
  expect_eq "failure message" "fx/b.yaml:16: step 1 as of 2026-06-30 (exact)" "$(xml report.xml 'r[0][1].find("failure").attrib["message"]')"
  expect_contains "failure text" "    + {rule: visit.due, client: G2, severity: warning, level: 1, assignee: S1}" \
    "$(xml report.xml 'r[0][1].find("failure").text')"
  expect_eq "error message" "crmpolicy: fx/c.yaml:10: facts: 'vistis' is not a table of the config" \
    "$(xml report.xml 'r[0][2].find("error").attrib["message"]')"
  expect_eq "the same on stderr" "crmpolicy: fx/c.yaml:10: facts: 'vistis' is not a table of the config" "$ERR"
}

test_junit_is_well_formed_with_noncharacters_in_a_path_or_message() {
  # U+FFFE and U+FFFF are valid UTF-8 but no XML character: a fixture file
  # named with one, and an assignee with the other in a failure's
  # differences, made a report that no XML parser reads
  policy
  sed -i 's/assignee = P.owner,/assignee = P.owner .. "\\xef\\xbf\\xbf",/' r.lua
  mkdir fx
  passing_fixture "fx/a$(printf '\xef\xbf\xbe').yaml"
  cp_run test --config c.yaml --quiet --junit report.xml fx
  expect_eq "exit (the assignee differs)" 1 "$RC"
  expect_eq "the path" "fx/a\ufffd.yaml" "$(xml report.xml 'r[0][0].attrib["file"]' | sed 's/\xef\xbf\xbd/\\ufffd/')"
  expect_contains "the assignee" "assignee: S1\ufffd}" "$(xml report.xml 'r[0][0].find("failure").text' | sed 's/\xef\xbf\xbd/\\ufffd/')"
}

test_junit_lists_the_fixtures_run_left_out_as_skipped() {
  three
  rm fx/c.yaml
  cp_run test --config c.yaml --quiet --run bronze --junit report.xml fx
  expect_eq "exit" 1 "$RC"
  expect_eq "counts" "2 1 0 1" "$(xml report.xml '" ".join(r.attrib[k] for k in ("tests", "failures", "errors", "skipped"))')"
  expect_eq "skipped" "fx/a.yaml: left out by --run" \
    "$(xml report.xml '"; ".join(c.attrib["classname"] + ": " + c.find("skipped").attrib["message"] for c in r.iter("testcase") if c.find("skipped") is not None)')"
}

test_junit_keeps_a_fixtures_warnings() {
  policy
  passing_fixture ok.yaml
  sed -i 's/      - \[G2, 2026-05-31\]/      - [G2, 2026-05-31]\n      - [G1, not-a-day]/' ok.yaml
  cp_run test --config c.yaml --quiet --junit report.xml ok.yaml
  expect_eq "exit" 0 "$RC"
  expect_contains "stderr" "warning" "$ERR"
  expect_eq "system-err is stderr" "$ERR" "$(xml report.xml 'r[0][0].find("system-err").text.rstrip("\n")')"
}

test_junit_paths_that_are_refused() {
  policy
  passing_fixture ok.yaml
  cp_run test --config c.yaml --junit - ok.yaml
  expect_eq "stdout as the report" "2|crmpolicy: --junit: give a file name (the fixtures' results go to standard output as text)" "$RC|$ERR"
  cp_run test --config c.yaml --junit ok.yaml ok.yaml
  expect_eq "a fixture's name" "2|crmpolicy: --junit: ok.yaml would be taken for a fixture (and a fixture there overwritten); name the XML report .xml" "$RC|$ERR"
  cp_run test --config c.yaml --junit f.db ok.yaml
  expect_eq "the facts" "2|crmpolicy: --junit: f.db is the facts database (f.db); the JUnit report needs a file of its own" "$RC|$ERR"
  cp_run test --config c.yaml --junit no/such/dir/r.xml ok.yaml
  expect_eq "a folder that is not there" "3|crmpolicy: --junit: no/such/dir/r.xml: No such file or directory" "$RC|$ERR"
  expect_eq "the text report still printed" "1 passed, 0 failed" "$(printf '%s\n' "$OUT" | tail -n 1)"
}

run_tests
