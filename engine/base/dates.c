/* dates.c: civil calendar conversions and strict parsing of fact dates. */
#include "dates.h"

#include <stdio.h>
#include <string.h>

/* Days from 0000-03-01 based eras: the proleptic Gregorian calendar split into
 * 400-year eras of 146097 days, with years starting in March so that the leap
 * day falls at the end of the year. */
int64_t cp_dates_days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int cp_dates_day_ok(int64_t day)
{
  return day >= CP_DAY_MIN && day <= CP_DAY_MAX;
}

int cp_dates_time_ok(int64_t secs)
{
  return secs >= CP_DAY_MIN * CP_DAY_SECONDS && secs <= CP_DAY_MAX * CP_DAY_SECONDS + CP_DAY_SECONDS - 1;
}

void cp_dates_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  const int64_t far = INT64_C(1) << 60;   /* some 3e15 years: no overflow below */
  z = z < -far ? -far : z > far ? far : z;
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads n decimal digits at s; returns -1 if any is not a digit. */
static int digits(const char *s, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

unsigned cp_dates_month_days(int64_t y, unsigned m)
{
  static const unsigned char len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return 29;
  return len[m - 1];
}

int cp_dates_parse_date(const char *s, size_t len, int64_t *days)
{
  if (len != 10 || s[4] != '-' || s[7] != '-')
    return -1;
  const unsigned char *u = (const unsigned char *)s;
  unsigned d0 = u[0] - '0', d1 = u[1] - '0', d2 = u[2] - '0', d3 = u[3] - '0',
           d5 = u[5] - '0', d6 = u[6] - '0', d8 = u[8] - '0', d9 = u[9] - '0';
  if (d0 > 9 || d1 > 9 || d2 > 9 || d3 > 9 || d5 > 9 || d6 > 9 || d8 > 9 || d9 > 9)
    return -1;   /* a byte that is no digit (unsigned: below '0' wraps above 9) */
  int y = (int)(d0 * 1000 + d1 * 100 + d2 * 10 + d3), m = (int)(d5 * 10 + d6),
      d = (int)(d8 * 10 + d9);
  if (y < 0 || m < 1 || m > 12 || d < 1 || (unsigned)d > cp_dates_month_days(y, (unsigned)m))
    return -1;
  *days = cp_dates_days_from_civil(y, (unsigned)m, (unsigned)d);
  return 0;
}

int cp_dates_parse_timestamp(const char *s, size_t len, int64_t *secs)
{
  int64_t days;
  if (len < 10 || cp_dates_parse_date(s, 10, &days) < 0)
    return -1;
  if (len == 10) {
    *secs = days * CP_DAY_SECONDS;
    return 0;
  }
  if (len < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return -1;
  int hh = digits(s + 11, 2), mm = digits(s + 14, 2), ss = digits(s + 17, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
    return -1;
  if (len > 19) {
    if (s[19] != '.' || len == 20)
      return -1;
    for (size_t i = 20; i < len; i++)
      if (s[i] < '0' || s[i] > '9')
        return -1;
  }
  *secs = days * CP_DAY_SECONDS + hh * 3600 + mm * 60 + ss;
  return 0;
}

int64_t cp_dates_day_of(int64_t secs)
{
  return secs >= 0 ? secs / CP_DAY_SECONDS : (secs + 1) / CP_DAY_SECONDS - 1;   /* floor */
}

/* Writes v (0..99) as two digits at p. */
static void two_digits(char *p, unsigned v)
{
  p[0] = (char)('0' + v / 10 % 10);
  p[1] = (char)('0' + v % 10);
}

void cp_dates_format_date(int64_t days, char *buf)
{
  int64_t y;
  unsigned m, d;
  cp_dates_civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999) {   /* rare: as printf writes them */
    snprintf(buf, 11, "%04d-%02u-%02u", (int)y, m, d);
    return;
  }
  /* by hand: rules format dates on every client, and printf costs 20x more */
  two_digits(buf, (unsigned)y / 100);
  two_digits(buf + 2, (unsigned)y % 100);
  buf[4] = '-';
  two_digits(buf + 5, m);
  buf[7] = '-';
  two_digits(buf + 8, d);
  buf[10] = '\0';
}

void cp_dates_format_timestamp(int64_t secs, char *buf)
{
  int64_t day = cp_dates_day_of(secs);
  cp_dates_format_date(day, buf);
  unsigned r = (unsigned)((secs % CP_DAY_SECONDS + CP_DAY_SECONDS) % CP_DAY_SECONDS);
  size_t n = strlen(buf);   /* 10 but for years out of 0..9999 */
  buf[n] = 'T';
  two_digits(buf + n + 1, r / 3600 % 24);
  buf[n + 3] = ':';
  two_digits(buf + n + 4, r / 60 % 60);
  buf[n + 6] = ':';
  two_digits(buf + n + 7, r % 60);
  buf[n + 9] = '\0';
}

/* Floor division by a positive divisor. */
static int64_t floor_div(int64_t a, int64_t b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t cp_dates_add_months(int64_t day, int64_t n)
{
  int64_t y;
  unsigned m, d;
  cp_dates_civil_from_days(day, &y, &m, &d);
  int64_t months = y * 12 + (m - 1) + n;
  int64_t ny = floor_div(months, 12);
  unsigned nm = (unsigned)(months - ny * 12) + 1;
  unsigned last = cp_dates_month_days(ny, nm);
  return cp_dates_days_from_civil(ny, nm, d < last ? d : last);
}

unsigned cp_dates_weekday(int64_t day)
{
  return (unsigned)((day % 7 + 7 + 3) % 7) + 1;   /* 1970-01-01 was a Thursday (4) */
}

int64_t cp_dates_anniversary_in(int64_t day, int64_t year)
{
  int64_t y;
  unsigned m, d;
  cp_dates_civil_from_days(day, &y, &m, &d);
  unsigned last = cp_dates_month_days(year, m);
  return cp_dates_days_from_civil(year, m, d < last ? d : last);
}

int64_t cp_dates_age_years(int64_t birth, int64_t on)
{
  int64_t by, oy;
  unsigned m, d;
  cp_dates_civil_from_days(birth, &by, &m, &d);
  cp_dates_civil_from_days(on, &oy, &m, &d);
  return oy - by - (on < cp_dates_anniversary_in(birth, oy));
}

int64_t cp_dates_next_anniversary(int64_t day, int64_t from)
{
  int64_t y;
  unsigned m, d;
  if (from <= day)
    return day;
  cp_dates_civil_from_days(from, &y, &m, &d);
  int64_t a = cp_dates_anniversary_in(day, y);
  return a >= from ? a : cp_dates_anniversary_in(day, y + 1);
}
