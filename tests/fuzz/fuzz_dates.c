/* fuzz_dates.c: libFuzzer harness of the fact date and timestamp parsers.
 * Whatever they accept formats back to the same text (a timestamp with 'T',
 * no fraction); a timestamp's day is the date of its first ten bytes; and
 * every day and second of years 0000-9999 formats to text that parses back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

/* Stops the run with a message: libFuzzer keeps the input as a crash. */
static void broken(const char *what, const char *text, size_t len)
{
  fprintf(stderr, "fuzz_dates: %s: [%.*s]\n", what, (int)len, text);
  abort();
}

/* A parsed date formats back to exactly its text; as a timestamp it is the
 * start of that day. */
static void check_date(const char *s, size_t len)
{
  int64_t day, secs;
  char buf[32];
  if (cp_dates_parse_date(s, len, &day) != 0)
    return;
  cp_dates_format_date(day, buf);
  if (len != 10 || memcmp(buf, s, 10) != 0)
    broken("a date does not format back to its text", s, len);
  if (cp_dates_parse_timestamp(s, len, &secs) != 0 || secs != day * CP_DAY_SECONDS)
    broken("a date is not the timestamp of its 00:00:00", s, len);
}

/* A parsed timestamp formats back to its first 19 bytes (with 'T'), or to
 * its date at 00:00:00; its day is the date of its first ten bytes. */
static void check_timestamp(const char *s, size_t len)
{
  int64_t secs, day = 0;
  char buf[32], want[20];
  if (cp_dates_parse_timestamp(s, len, &secs) != 0)
    return;
  if (len < 10 || cp_dates_parse_date(s, 10, &day) != 0)
    broken("a timestamp without a valid date part was accepted", s, len);
  if (len == 10) {
    memcpy(want, s, 10);
    memcpy(want + 10, "T00:00:00", 9);
  } else {
    if (len < 19)
      broken("a timestamp shorter than 19 bytes was accepted", s, len);
    memcpy(want, s, 19);
    want[10] = 'T';
  }
  cp_dates_format_timestamp(secs, buf);
  if (memcmp(buf, want, 19) != 0 || buf[19] != '\0')
    broken("a timestamp does not format back to its text", s, len);
  if (cp_dates_day_of(secs) != day)
    broken("a timestamp's day is not its date", s, len);
}

/* Every day and second of years 0000-9999 formats to text that parses back
 * to the same value. */
static void check_roundtrip(const uint8_t *data, size_t size)
{
  static int64_t lo, hi;
  uint64_t v = 0;
  char buf[32];
  int64_t back;
  if (!hi) {
    lo = cp_dates_days_from_civil(0, 1, 1);
    hi = cp_dates_days_from_civil(9999, 12, 31);
  }
  memcpy(&v, data, size < 8 ? size : 8);
  int64_t day = lo + (int64_t)(v % (uint64_t)(hi - lo + 1));
  cp_dates_format_date(day, buf);
  if (cp_dates_parse_date(buf, strlen(buf), &back) != 0 || back != day)
    broken("a day does not format to a date that parses back", buf, strlen(buf));
  int64_t secs = lo * CP_DAY_SECONDS + (int64_t)(v % (uint64_t)((hi - lo + 1) * CP_DAY_SECONDS));
  cp_dates_format_timestamp(secs, buf);
  if (cp_dates_parse_timestamp(buf, strlen(buf), &back) != 0 || back != secs)
    broken("a second does not format to a timestamp that parses back", buf, strlen(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size ? size : 1);   /* exactly size bytes: ASan sees any overread */
  if (!s)
    return 0;
  memcpy(s, data, size);
  check_date(s, size);
  check_timestamp(s, size);
  check_roundtrip(data, size);
  free(s);
  return 0;
}
