/* test_textwidth.c: display widths of text and table cells cut to them. */
#include "textwidth.h"
#include "unit.h"

TEST(char_width_of_cjk_hangul_fullwidth_and_marks)
{
  CHECK_INT(1, cp_textwidth_char('a'));
  CHECK_INT(2, cp_textwidth_char(0x56FD));    /* 国 */
  CHECK_INT(2, cp_textwidth_char(0x3042));    /* あ */
  CHECK_INT(2, cp_textwidth_char(0xD55C));    /* 한 */
  CHECK_INT(2, cp_textwidth_char(0xFF21));    /* Ａ, fullwidth */
  CHECK_INT(2, cp_textwidth_char(0x3001));    /* 、 */
  CHECK_INT(0, cp_textwidth_char(0x0301));    /* combining acute */
  CHECK_INT(0, cp_textwidth_char(0x200B));    /* zero-width space */
  CHECK_INT(1, cp_textwidth_char(0x00E9));    /* é */
  CHECK_INT(1, cp_textwidth_char(0x2026));    /* … */
}

TEST(text_width_counts_columns_not_bytes)
{
  CHECK_INT(6, cp_textwidth_of("国庆节"));
  CHECK_INT(6, cp_textwidth_of("Ame\xcc\x81lie"));   /* e + combining acute */
  CHECK_INT(0, cp_textwidth_of(""));
  CHECK_INT(2, cp_textwidth_of("\xff\xfe"));          /* invalid bytes: one column each */
  CHECK_INT(2, cp_textwidth_of("\xc0\xaf"));          /* an overlong "/": one column a byte */
}

TEST(cell_pads_and_cuts_by_display_width)
{
  sbuf b = {0};
  cp_textwidth_cell(&b, "国庆节", 8, 0);
  CHECK_STR("国庆节  ", b.s);
  cp_sbuf_clear(&b);
  cp_textwidth_cell(&b, "春节假期提醒事项", 10, 0);
  CHECK_STR("春节假期… ", b.s);            /* 8 + 1 columns, one space */
  cp_sbuf_clear(&b);
  cp_textwidth_cell(&b, "holiday.national_day_reminder", 12, 0);
  CHECK_STR("holiday.nat…", b.s);
  cp_sbuf_clear(&b);
  cp_textwidth_cell(&b, "7", 3, 1);
  CHECK_STR("  7", b.s);
  cp_sbuf_clear(&b);
  cp_textwidth_cell(&b, NULL, 2, 0);
  CHECK_STR("  ", b.s);
  cp_sbuf_free(&b);
}
