/* test_progress.c: the progress line's text. */
#include "progress.h"
#include "unit.h"

TEST(progress_line_under_way)
{
  char buf[160];
  cp_progress_format(buf, sizeof buf, 123456, 1000000, 10.0, 0);
  CHECK_STR("  123,456 of 1,000,000 clients  12% [##..................] 12,346 clients/s  "
            "1:11 left", buf);
  cp_progress_format(buf, sizeof buf, 500, 1000, 1.0, 0);
  CHECK_STR("  500 of 1,000 clients  50% [##########..........] 500 clients/s  0:01 left", buf);
}

TEST(progress_line_long_runs_show_hours)
{
  char buf[160];
  cp_progress_format(buf, sizeof buf, 1000, 10000000, 1.0, 0);
  CHECK_STR("  1,000 of 10,000,000 clients   0% [....................] 1,000 clients/s  "
            "2:46:39 left", buf);
}

TEST(progress_line_at_the_end_and_past_the_count)
{
  char buf[160];
  cp_progress_format(buf, sizeof buf, 2000, 2000, 125.0, 1);
  CHECK_STR("  2,000 of 2,000 clients 100% [####################] 16 clients/s  2:05 in all",
            buf);
  /* clients added after the count: never more than 100% */
  cp_progress_format(buf, sizeof buf, 30, 20, 2.0, 0);
  CHECK_STR("  30 of 30 clients 100% [####################] 15 clients/s  0:00 left", buf);
  /* nothing done yet: no rate, no estimate */
  cp_progress_format(buf, sizeof buf, 0, 20, 0.0, 0);
  CHECK_STR("  0 of 20 clients   0% [....................] 0 clients/s  ? left", buf);
}
