/* test_sbuf.c: the one JSON string writer (always valid UTF-8: U+FFFD for
 * each byte that is not UTF-8) and the one terminal escaper (\xNN for
 * control characters and bytes that are not UTF-8), and integers in decimal. */
#include "sbuf.h"
#include "unit.h"

/* Returns the JSON literal of n bytes of s (static buffer). */
static const char *json(const char *s, size_t n)
{
  static char out[256];
  sbuf b = {0};
  cp_sbuf_json_str(&b, s, n);
  snprintf(out, sizeof out, "%s", b.s ? b.s : "(oom)");
  cp_sbuf_free(&b);
  return out;
}

/* Returns the terminal form of n bytes of s (static buffer). */
static const char *term(const char *s, size_t n)
{
  static char out[256];
  sbuf b = {0};
  cp_sbuf_term_str(&b, s, n);
  snprintf(out, sizeof out, "%s", b.s ? b.s : "");
  cp_sbuf_free(&b);
  return out;
}

TEST(json_strings_keep_valid_utf8_and_escape_controls)
{
  CHECK_STR("\"plain\"", json("plain", 5));
  CHECK_STR("\"\xe7\x94\xb2\xe5\x85\xac\xe5\x8f\xb8 \xf0\x9f\x99\x82\"",
            json("\xe7\x94\xb2\xe5\x85\xac\xe5\x8f\xb8 \xf0\x9f\x99\x82", 14));
  CHECK_STR("\"a\\\"b\\\\c\\n\\u001b\\u0000d\"", json("a\"b\\c\n\x1b\0d", 9));
  /* DEL and the C1 controls (U+0080..U+009F: CSI is U+009B), which a
   * terminal also acts on; U+00A0 stays as it is */
  CHECK_STR("\"a\\u007fb\\u009bc\\u0080\xc2\xa0\"", json("a\x7f" "b\xc2\x9b" "c\xc2\x80\xc2\xa0", 10));
}

TEST(json_strings_escape_the_line_and_paragraph_separators)
{
  /* U+2028 and U+2029 break a JSON line for line splitters; U+2027 and
   * U+202A, their neighbours, and a cut-short separator are not them */
  CHECK_STR("\"a\\u2028b\\u2029c\"", json("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", 9));
  CHECK_STR("\"\xe2\x80\xa7\xe2\x80\xaa\"", json("\xe2\x80\xa7\xe2\x80\xaa", 6));
  CHECK_STR("\"\xef\xbf\xbd\xef\xbf\xbd\"", json("\xe2\x80", 2));
  CHECK_STR("\"\xe7\x94\xb2\\u2028\"", json("\xe7\x94\xb2\xe2\x80\xa8", 6));
}

TEST(json_strings_write_each_invalid_byte_as_u_fffd)
{
  CHECK_STR("\"a\xef\xbf\xbd" "b\"", json("a\xff" "b", 3));
  /* a truncated sequence, an overlong form, a surrogate, above U+10FFFF */
  CHECK_STR("\"\xef\xbf\xbd\xef\xbf\xbd\"", json("\xe7\x94", 2));
  CHECK_STR("\"\xef\xbf\xbd\xef\xbf\xbd\"", json("\xc0\xaf", 2));
  CHECK_STR("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", json("\xed\xa0\x80", 3));
  CHECK_STR("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", json("\xf4\x90\x80\x80", 4));
}

TEST(utf8_lengths_follow_the_standard)
{
  CHECK_INT(1, cp_sbuf_utf8_len("a", 1));
  CHECK_INT(2, cp_sbuf_utf8_len("\xc2\x80", 2));
  CHECK_INT(3, cp_sbuf_utf8_len("\xef\xbf\xbd", 3));
  CHECK_INT(4, cp_sbuf_utf8_len("\xf4\x8f\xbf\xbf", 4));
  CHECK_INT(0, cp_sbuf_utf8_len("\xe0\x80\x80", 3));   /* overlong */
  CHECK_INT(0, cp_sbuf_utf8_len("\xef\xbf", 2));        /* cut short */
  CHECK_INT(0, cp_sbuf_utf8_len("\x80", 1));            /* a lone continuation byte */
  CHECK_INT(0, cp_sbuf_utf8_len("", 0));
}

TEST(terminal_text_escapes_controls_and_invalid_bytes)
{
  CHECK_STR("ok \xe7\x94\xb2", term("ok \xe7\x94\xb2", 6));
  CHECK_STR("\\x1b[31mred\\x07", term("\x1b[31mred\x07", 9));
  CHECK_STR("a\\nb\\tc\\rd\\x7f", term("a\nb\tc\rd\x7f", 8));
  CHECK_STR("\\xc2\\x9b2J", term("\xc2\x9b" "2J", 4));   /* C1 CSI as UTF-8 */
  CHECK_STR("x\\xffy\\x00z", term("x\xffy\0z", 5));
}

TEST(terminal_printf_pads_the_escaped_text)
{
  sbuf b = {0};
  cp_sbuf_term_printf(&b, "[%-6s|%3d|%4s|%%]", "a\x1b", 7, "b");
  CHECK_STR("[a\\x1b |  7|   b|%]", b.s);
  cp_sbuf_free(&b);
}

/* Returns cp_sbuf_int's text of v after a prefix (static buffer). */
static const char *integer(long long v)
{
  static char out[64];
  sbuf b = {0};
  cp_sbuf_add(&b, "x=");
  cp_sbuf_int(&b, v);
  snprintf(out, sizeof out, "%s", b.s ? b.s : "(oom)");
  cp_sbuf_free(&b);
  return out;
}

TEST(integers_are_written_as_printf_writes_them)
{
  CHECK_STR("x=0", integer(0));
  CHECK_STR("x=7", integer(7));
  CHECK_STR("x=-10", integer(-10));
  CHECK_STR("x=9223372036854775807", integer(9223372036854775807LL));
  CHECK_STR("x=-9223372036854775808", integer(-9223372036854775807LL - 1));
}
