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

/* Returns the epoch day of year-month-day (no range check). */
int64_t cp_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Splits an epoch day into year, month (1-12) and day (1-31). */
void cp_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Parses "YYYY-MM-DD" (exactly len bytes) into an epoch day.
 * Returns 0 on success, -1 when the text is not a valid date. */
int cp_parse_date(const char *s, size_t len, int64_t *days);

/* Parses "YYYY-MM-DDTHH:MM:SS", with a space instead of T accepted, an
 * optional fraction of seconds ignored, or a bare date meaning 00:00:00.
 * Returns 0 on success, -1 when the text is not a valid timestamp. */
int cp_parse_timestamp(const char *s, size_t len, int64_t *secs);

/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void cp_format_date(int64_t days, char *buf);

/* Writes "YYYY-MM-DDTHH:MM:SS" and a NUL into buf (at least 20 bytes). */
void cp_format_timestamp(int64_t secs, char *buf);

/* Floor division of a timestamp into its epoch day. */
int64_t cp_day_of(int64_t secs);

#endif
