/* test_dates.c: the calendar and the fact formats. */
#include "dates.h"
#include "unit.h"

/* Parses a date literal; returns the epoch day or -999999 when refused. */
static int64_t day(const char *s)
{
  int64_t d;
  return cp_dates_parse_date(s, strlen(s), &d) == 0 ? d : -999999;
}

/* Parses a timestamp literal; returns seconds or -1 when refused. */
static int64_t ts(const char *s)
{
  int64_t t;
  return cp_dates_parse_timestamp(s, strlen(s), &t) == 0 ? t : -1;
}

TEST(epoch_and_known_dates)
{
  CHECK_INT(0, day("1970-01-01"));
  CHECK_INT(20772, day("2026-11-15"));
  CHECK_INT(-1, day("1969-12-31"));
  CHECK_INT(11016, day("2000-02-29"));
}

TEST(invalid_dates_are_refused)
{
  const char *bad[] = {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01",
                       "2026/01/01", "2026-01-01x", "", "20260101", "1900-02-29"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (day(bad[i]) != -999999)
      unit_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
  CHECK(day("2024-02-29") != -999999);
  CHECK(day("2000-02-29") != -999999);
}

TEST(civil_roundtrip_every_day_1900_to_2100)
{
  int64_t from = cp_dates_days_from_civil(1900, 1, 1), to = cp_dates_days_from_civil(2100, 12, 31);
  int64_t y;
  unsigned m, d;
  for (int64_t z = from; z <= to; z++) {
    cp_dates_civil_from_days(z, &y, &m, &d);
    if (cp_dates_days_from_civil(y, m, d) != z) {
      unit_fail(__FILE__, __LINE__, "day %lld does not round-trip", (long long)z);
      return;
    }
  }
}

TEST(timestamps_accept_T_space_fraction_and_bare_date)
{
  int64_t base = day("2026-11-15") * 86400;
  CHECK_INT(base + 13 * 3600 + 5 * 60 + 9, ts("2026-11-15T13:05:09"));
  CHECK_INT(base + 13 * 3600 + 5 * 60 + 9, ts("2026-11-15 13:05:09"));
  CHECK_INT(base + 13 * 3600 + 5 * 60 + 9, ts("2026-11-15T13:05:09.999"));
  CHECK_INT(base, ts("2026-11-15"));
}

TEST(malformed_timestamps_are_refused)
{
  const char *bad[] = {"2026-11-15T24:00:00", "2026-11-15T12:60:00", "2026-11-15T12:00",
                       "2026-11-15X12:00:00", "2026-11-15T12:00:00.", "2026-11-15T12:00:00Z",
                       "2026-11-31T12:00:00"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (ts(bad[i]) != -1)
      unit_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
}

TEST(formatting)
{
  char buf[24];
  cp_dates_format_date(day("2026-03-01"), buf);
  CHECK_STR("2026-03-01", buf);
  cp_dates_format_timestamp(day("2026-11-15") * 86400 + 86399, buf);
  CHECK_STR("2026-11-15T23:59:59", buf);
  cp_dates_format_timestamp(-1, buf);
  CHECK_STR("1969-12-31T23:59:59", buf);
}

/* Dates and times are written by hand; they must read as printf would write them. */
TEST(days_and_times_at_the_integer_limits_are_defined)
{
  char buf[64];
  CHECK(cp_dates_day_of(INT64_MIN) == INT64_MIN / 86400 - 1);
  CHECK(cp_dates_day_of(INT64_MAX) == INT64_MAX / 86400);
  CHECK(cp_dates_day_of(-1) == -1 && cp_dates_day_of(-86400) == -1 && cp_dates_day_of(-86401) == -2);
  cp_dates_format_date(INT64_MAX, buf);   /* no overflow: checked by the sanitizer build */
  cp_dates_format_date(INT64_MIN, buf);
  cp_dates_format_timestamp(INT64_MAX, buf);
  cp_dates_format_timestamp(INT64_MIN, buf);
  CHECK(cp_dates_day_ok(CP_DAY_MIN) && cp_dates_day_ok(CP_DAY_MAX));
  CHECK(!cp_dates_day_ok(CP_DAY_MIN - 1) && !cp_dates_day_ok(CP_DAY_MAX + 1));
  CHECK(cp_dates_time_ok(CP_DAY_MAX * 86400 + 86399) && !cp_dates_time_ok(CP_DAY_MAX * 86400 + 86400));
  CHECK(cp_dates_time_ok(CP_DAY_MIN * 86400) && !cp_dates_time_ok(CP_DAY_MIN * 86400 - 1));
  cp_dates_format_date(CP_DAY_MIN, buf);
  CHECK_STR("0000-01-01", buf);
  cp_dates_format_date(CP_DAY_MAX, buf);
  CHECK_STR("9999-12-31", buf);
}

TEST(formatting_matches_printf_over_every_year)
{
  char buf[24], want[40];
  for (int64_t d = cp_dates_days_from_civil(0, 1, 1); d <= cp_dates_days_from_civil(9999, 12, 31);
       d += 97) {
    int64_t y;
    unsigned m, dd;
    cp_dates_civil_from_days(d, &y, &m, &dd);
    snprintf(want, sizeof want, "%04d-%02u-%02u", (int)y, m, dd);
    cp_dates_format_date(d, buf);
    if (strcmp(buf, want) != 0) {
      unit_fail(__FILE__, __LINE__, "day %lld: %s, not %s", (long long)d, buf, want);
      return;
    }
    unsigned r = (unsigned)(((d * 7919) % 86400 + 86400) % 86400);   /* a time of day d */
    int64_t secs = d * 86400 + r;
    snprintf(want + 10, sizeof want - 10, "T%02u:%02u:%02u", r / 3600, r / 60 % 60, r % 60);
    cp_dates_format_timestamp(secs, buf);
    if (strcmp(buf, want) != 0) {
      unit_fail(__FILE__, __LINE__, "time %lld: %s, not %s", (long long)secs, buf, want);
      return;
    }
  }
  cp_dates_format_timestamp(cp_dates_days_from_civil(-1, 12, 31) * 86400 + 3661, buf);
  CHECK_STR("-001-12-31T01:01:01", buf);
}

TEST(add_months_clamps_to_month_ends)
{
  CHECK_INT(day("2026-02-28"), cp_dates_add_months(day("2026-01-31"), 1));
  CHECK_INT(day("2024-02-29"), cp_dates_add_months(day("2024-01-31"), 1));
  CHECK_INT(day("2026-04-30"), cp_dates_add_months(day("2026-03-31"), 1));
  CHECK_INT(day("2027-02-28"), cp_dates_add_months(day("2026-12-31"), 2));
  CHECK_INT(day("2025-02-28"), cp_dates_add_months(day("2026-03-31"), -13));
  CHECK_INT(day("2027-01-15"), cp_dates_add_months(day("2026-12-15"), 1));
  CHECK_INT(day("2025-12-15"), cp_dates_add_months(day("2026-01-15"), -1));
  CHECK_INT(day("2025-02-28"), cp_dates_add_months(day("2024-02-29"), 12));
  CHECK_INT(day("2028-02-29"), cp_dates_add_months(day("2024-02-29"), 48));
  CHECK_INT(day("1969-12-31"), cp_dates_add_months(day("1970-01-31"), -1));
}

TEST(weekday_is_iso)
{
  CHECK_INT(4, cp_dates_weekday(day("1970-01-01")));
  CHECK_INT(1, cp_dates_weekday(day("1969-12-29")));
  CHECK_INT(5, cp_dates_weekday(day("2026-12-04")));
  CHECK_INT(7, cp_dates_weekday(day("2026-12-06")));
  CHECK_INT(4, cp_dates_weekday(day("2024-02-29")));
}

TEST(age_years_counts_a_29_february_birthday_on_28_february)
{
  CHECK_INT(26, cp_dates_age_years(day("2000-02-29"), day("2026-02-28")));
  CHECK_INT(25, cp_dates_age_years(day("2000-02-29"), day("2026-02-27")));
  CHECK_INT(24, cp_dates_age_years(day("2000-02-29"), day("2024-02-29")));
  CHECK_INT(23, cp_dates_age_years(day("2000-02-29"), day("2024-02-28")));
  CHECK_INT(23, cp_dates_age_years(day("2000-03-01"), day("2024-02-29")));
  CHECK_INT(0, cp_dates_age_years(day("2026-12-31"), day("2027-12-30")));
  CHECK_INT(1, cp_dates_age_years(day("2026-12-31"), day("2027-12-31")));
  CHECK_INT(-1, cp_dates_age_years(day("2026-06-01"), day("2026-05-31")));
}

TEST(next_anniversary_is_on_or_after_from)
{
  CHECK_INT(day("2027-02-28"), cp_dates_next_anniversary(day("2000-02-29"), day("2026-03-01")));
  CHECK_INT(day("2026-02-28"), cp_dates_next_anniversary(day("2000-02-29"), day("2026-02-28")));
  CHECK_INT(day("2028-02-29"), cp_dates_next_anniversary(day("2000-02-29"), day("2027-12-31")));
  CHECK_INT(day("2027-01-01"), cp_dates_next_anniversary(day("2000-01-01"), day("2026-01-02")));
  CHECK_INT(day("2026-12-31"), cp_dates_next_anniversary(day("1999-12-31"), day("2026-12-31")));
  CHECK_INT(day("2030-05-01"), cp_dates_next_anniversary(day("2030-05-01"), day("2026-01-01")));
  CHECK_INT(day("2027-02-28"), cp_dates_anniversary_in(day("2024-02-29"), 2027));
  CHECK_INT(day("2100-02-28"), cp_dates_anniversary_in(day("2024-02-29"), 2100));
  CHECK_INT(day("2000-02-29"), cp_dates_anniversary_in(day("2024-02-29"), 2000));
}

TEST(month_days_know_leap_years)
{
  CHECK_INT(29, cp_dates_month_days(2024, 2));
  CHECK_INT(28, cp_dates_month_days(2100, 2));
  CHECK_INT(29, cp_dates_month_days(2000, 2));
  CHECK_INT(31, cp_dates_month_days(2026, 12));
  CHECK_INT(30, cp_dates_month_days(2026, 4));
}
