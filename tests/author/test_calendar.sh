#!/usr/bin/env bash
# tests/author/test_calendar.sh: the calendar functions of `dt` as rules
# call them (dtlib.c): month arithmetic clamped to month ends, 29 February
# anniversaries, ISO weekdays, recurring "MM-DD" dates and per-year date
# lists in params; wrong input is an error naming the rule's line.
. "$(dirname "$0")/common.sh"

# why_of EXPR: explains client B1 of the small policy as of 2026-06-30
# with a rule that says tostring() of each value EXPR gives (after local
# f = dt.format, d = dt.date); prints the why line.
why_of() {
  rm -f f.db s.db
  policy
  cat > r.lua <<LUA
local function all(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  return table.concat(t, " ")
end
local f, d = dt.format, dt.date
rule { id = "cal", doc = "Calendar.", fn = function(c) why("%s", all($1)) end }
LUA
  cp_run explain B1 --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  printf '%s\n' "$OUT" | sed -n 's/^  why: //p'
}

test_date_takes_the_forms_a_date_column_takes() {
  expect_eq "dates" "2020-01-01 2020-01-01 2020-01-01 nil nil nil" \
    "$(why_of 'f(d("2020-01-01")), f(d("2020-01-01T10:00:00")), f(d("2020-01-01 23:59:59")), d("2020-01-01T25:00:00"), d("2020-02-30"), d("2020-01-01x")')"
}

test_ymd_and_make_split_and_build_dates() {
  expect_eq "ymd" "2024-02-29 2024 2 29" "$(why_of 'f(dt.make(2024, 2, 29)), dt.ymd(d("2024-02-29"))')"
}

test_add_months_clamps_to_the_month_end() {
  expect_eq "add_months" "2026-02-28 2024-02-29 2027-02-28 2025-02-28 2025-02-28" \
    "$(why_of 'f(dt.add_months(d("2026-01-31"), 1)), f(dt.add_months(d("2024-01-31"), 1)),
      f(dt.add_months(d("2026-12-31"), 2)), f(dt.add_months(d("2026-03-31"), -13)),
      f(dt.add_years(d("2024-02-29"), 1))')"
}

test_weekday_is_iso_monday_first() {
  expect_eq "weekday" "5 7 1" "$(why_of 'dt.weekday(d("2026-12-04")), dt.weekday(d("2026-12-06")), dt.weekday(d("2026-06-29"))')"
}

test_age_and_anniversary_of_29_february_fall_on_28_february() {
  expect_eq "age" "26 25 26" "$(why_of 'dt.age_years(d("2000-02-29"), d("2026-02-28")),
    dt.age_years(d("2000-02-29"), d("2026-02-27")), dt.age_years(d("2000-02-29"))')"
  expect_eq "anniversary" "2027-02-28 2028-02-29 2027-02-28" "$(why_of 'f(dt.next_anniversary(d("2000-02-29"), d("2026-03-01"))),
    f(dt.next_anniversary(d("2000-02-29"), d("2027-12-31"))), f(dt.next_anniversary(d("2000-02-29")))')"
}

test_recurring_dates_cross_the_year_end() {
  expect_eq "recurring" "2026-12-31 2027-01-01 2027-01-01" "$(why_of 'f(dt.recurring("12-31", d("2026-12-31"))),
    f(dt.recurring("01-01", d("2026-12-31"))), f(dt.recurring("01-01"))')"
}

test_next_of_reads_recurring_dates_and_per_year_lists_from_params() {
  policy
  cat >> c.yaml <<'YAML'
  holidays:
    元旦: "01-01"
    春节: ["2026-02-17", "2027-02-06"]
    中秋: ["2026-09-25", "2027-09-15"]
YAML
  cat > r.lua <<'LUA'
local H = params.holidays
rule { id = "cal", doc = "Holidays.", fn = function(c)
  local f, d = dt.format, dt.date
  why("%s %s %s %s", f(dt.next_of(H["春节"])), f(dt.next_of(H["元旦"])),
      tostring(dt.next_of(H["春节"], d("2027-02-07"))), f(dt.next_of({H["中秋"][1], H["元旦"]}, d("2026-10-01"))))
end }
LUA
  cp_run explain B1 --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 0 "$RC"
  expect_contains "why" "why: 2027-02-06 2027-01-01 nil 2027-01-01" "$OUT"
}

# expect_dt_error EXPR MESSAGE: a rule computing EXPR fails at r.lua:2.
expect_dt_error() {
  rm -f f.db s.db
  policy
  printf 'rule { id = "cal", doc = "Calendar.", fn = function(c)\n  local x = %s\nend }\n' "$1" > r.lua
  cp_run run --config c.yaml --as-of 2026-06-30
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "crmpolicy: r.lua:2: $2 (rule cal, client B1)" "$ERR"
}

test_impossible_dates_are_errors() {
  expect_dt_error 'dt.make(2026, 2, 29)' "dt.make(2026, 2, 29): no such date"
  expect_dt_error 'dt.recurring("2-29")' "dt.recurring: '2-29' is not \"MM-DD\""
  expect_dt_error 'dt.next_of({"2026-02-30"})' "dt.next_of: '2026-02-30' is not a date: write \"MM-DD\" (every year), \"YYYY-MM-DD\" or a day number"
  expect_dt_error 'dt.add_months(dt.date("9999-12-01"), 1)' "the date is out of range (0000-01-01 to 9999-12-31)"
  expect_dt_error 'dt.hours_since(nil)' "bad argument #1 to 'hours_since' (a timestamp (epoch seconds) expected, got nil)"
  expect_dt_error 'dt.in_last_days(dt.today, 1e12)' "bad argument #2 to 'in_last_days' (1000000000000 days is out of range)"
}

# A day where a time is meant read as January 1970 (495,000 hours ago), a
# time where a day is meant as out of range: each says which it is.
test_a_day_for_a_time_or_a_time_for_a_day_says_so() {
  expect_dt_error 'dt.hours_since(dt.today)' "bad argument #1 to 'hours_since' (20634 is a day number, not a time (epoch seconds; of a day d, dt.start(d) is its first second))"
  expect_dt_error 'dt.format_time(dt.date("2026-06-01"))' "bad argument #1 to 'format_time' (20605 is a day number, not a time (epoch seconds; of a day d, dt.start(d) is its first second))"
  expect_dt_error 'dt.day(-3)' "bad argument #1 to 'day' (-3 is a day number, not a time (epoch seconds; of a day d, dt.start(d) is its first second))"
  expect_dt_error 'dt.age_days(dt.now)' "bad argument #1 to 'age_days' (day 1782863999 is out of range (0000-01-01 to 9999-12-31): a time (epoch seconds)? of a time t, dt.day(t) is its day)"
  expect_dt_error 'dt.format(dt.start(dt.today))' "bad argument #1 to 'format' (day 1782777600 is out of range (0000-01-01 to 9999-12-31): a time (epoch seconds)? of a time t, dt.day(t) is its day)"
  expect_eq "0 and a day's first second, as times" "1970-01-01T00:00:00 2026-06-30T00:00:00 2026-06-30" \
    "$(why_of 'dt.format_time(0), dt.format_time(dt.start(dt.today)), f(dt.day(dt.now))')"
}

run_tests
