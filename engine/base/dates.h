/* dates.h: calendar arithmetic and the fact formats for dates and timestamps.
 *
 * A date is a count of days since 1970-01-01 (the "epoch day"); a timestamp is
 * a count of seconds since 1970-01-01T00:00:00. Both are civil (local) time
 * without offsets or daylight saving, as the facts hold them. */
#ifndef CP_DATES_H
#define CP_DATES_H

#include <stddef.h>
#include <stdint.h>

#define CP_DAY_SECONDS 86400
#define CP_DAY_MIN INT64_C(-719528)   /* 0000-01-01: the dates shown and formatted */
#define CP_DAY_MAX INT64_C(2932896)   /* 9999-12-31 */

/* Returns 1 when day (an epoch day) is from 0000-01-01 to 9999-12-31, or
 * secs (epoch seconds) falls on such a day. */
int cp_dates_day_ok(int64_t day);
int cp_dates_time_ok(int64_t secs);

/* Returns the epoch day of year-month-day (no range check). */
int64_t cp_dates_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Splits an epoch day into year, month (1-12) and day (1-31); a day more
 * than 2^60 days from the epoch is taken as 2^60 days (no overflow). */
void cp_dates_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Parses "YYYY-MM-DD" (exactly len bytes) into an epoch day.
 * Returns 0 on success, -1 when the text is not a valid date. */
int cp_dates_parse_date(const char *s, size_t len, int64_t *days);

/* Parses "YYYY-MM-DDTHH:MM:SS", with a space instead of T accepted, an
 * optional fraction of seconds ignored, or a bare date meaning 00:00:00.
 * Returns 0 on success, -1 when the text is not a valid timestamp. */
int cp_dates_parse_timestamp(const char *s, size_t len, int64_t *secs);

/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void cp_dates_format_date(int64_t days, char *buf);

/* Writes "YYYY-MM-DDTHH:MM:SS" and a NUL into buf (at least 20 bytes). */
void cp_dates_format_timestamp(int64_t secs, char *buf);

/* Floor division of a timestamp into its epoch day. */
int64_t cp_dates_day_of(int64_t secs);

/* Returns the number of days in month m (1-12) of year y. */
unsigned cp_dates_month_days(int64_t y, unsigned m);

/* Returns day moved by n months (negative: back), its day of the month
 * clamped to the new month's length: 31 January + 1 month is 28 or 29
 * February. */
int64_t cp_dates_add_months(int64_t day, int64_t n);

/* Returns the ISO weekday of day: 1 Monday ... 7 Sunday. */
unsigned cp_dates_weekday(int64_t day);

/* Returns the anniversary of day in year: same month and day, 29 February
 * falling on 28 February in a common year. */
int64_t cp_dates_anniversary_in(int64_t day, int64_t year);

/* Returns whole years from birth to on (negative before birth); a 29
 * February birthday counts on 28 February in common years. */
int64_t cp_dates_age_years(int64_t birth, int64_t on);

/* Returns the first anniversary of day on or after from (day itself when
 * from is not after it), as cp_dates_anniversary_in() places them. */
int64_t cp_dates_next_anniversary(int64_t day, int64_t from);

#endif
