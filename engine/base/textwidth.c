/* textwidth.c: display width of UTF-8 text, for tables padded for people:
 * a small wcwidth for the ranges that matter here (CJK, Hangul, fullwidth
 * forms and wide emoji: two columns; combining marks: none), independent
 * of the locale. */
#include "textwidth.h"

#include <string.h>

/* A range of code points, first to last. */
typedef struct cp_range {
  uint32_t first;   /* first code point */
  uint32_t last;    /* last code point, included */
} cp_range;

static const cp_range zero_width[] = {
  {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
  {0x064B, 0x065F}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E},
  {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E},
  {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302F}, {0x3099, 0x309A},
  {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static const cp_range double_width[] = {
  {0x1100, 0x115F},   /* Hangul Jamo initial consonants */
  {0x2E80, 0x303E},   /* CJK radicals, Kangxi, CJK symbols and punctuation */
  {0x3041, 0x33FF},   /* Hiragana, Katakana, Bopomofo, Hangul compatibility, CJK compatibility */
  {0x3400, 0x4DBF},   /* CJK extension A */
  {0x4E00, 0x9FFF},   /* CJK unified ideographs */
  {0xA000, 0xA4CF},   /* Yi */
  {0xA960, 0xA97F},   /* Hangul Jamo extended A */
  {0xAC00, 0xD7A3},   /* Hangul syllables */
  {0xF900, 0xFAFF},   /* CJK compatibility ideographs */
  {0xFE10, 0xFE19},   /* vertical forms */
  {0xFE30, 0xFE6F},   /* CJK compatibility forms, small form variants */
  {0xFF00, 0xFF60},   /* fullwidth forms */
  {0xFFE0, 0xFFE6},   /* fullwidth signs */
  {0x1F300, 0x1F64F}, /* pictographs, emoticons */
  {0x1F900, 0x1F9FF}, /* supplemental pictographs */
  {0x20000, 0x3FFFD}, /* CJK extensions B and later */
};

/* Whether cp is in one of the n sorted ranges r. */
static int in_ranges(uint32_t cp, const cp_range *r, size_t n)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < r[mid].first)
      hi = mid;
    else if (cp > r[mid].last)
      lo = mid + 1;
    else
      return 1;
  }
  return 0;
}

int cp_textwidth_char(uint32_t cp)
{
  if (in_ranges(cp, zero_width, sizeof zero_width / sizeof zero_width[0]))
    return 0;
  return in_ranges(cp, double_width, sizeof double_width / sizeof double_width[0]) ? 2 : 1;
}

/* Decodes the UTF-8 character at s into *cp; returns its length in bytes
 * (1 for a byte that does not start a valid sequence, with *cp = the byte). */
static int decode(const unsigned char *s, uint32_t *cp)
{
  int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
        : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
  uint32_t v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      n = 0;
    else
      v = v << 6 | (s[i] & 0x3Fu);
    if (!n)
      break;
  }
  static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};   /* no overlong forms */
  if (n == 0 || v < least[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    *cp = s[0];
    return 1;
  }
  *cp = v;
  return n;
}

int cp_textwidth_of(const char *s)
{
  int w = 0;
  uint32_t cp;
  for (const unsigned char *p = (const unsigned char *)s; *p; p += decode(p, &cp))
    w += cp_textwidth_char((decode(p, &cp), cp));
  return w;
}

void cp_textwidth_cell(sbuf *b, const char *s, int width, int right_align)
{
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  int w = cp_textwidth_of((const char *)p);
  if (w <= width) {
    if (right_align)
      cp_sbuf_printf(b, "%*s", width - w, "");
    cp_sbuf_add(b, (const char *)p);
    if (!right_align)
      cp_sbuf_printf(b, "%*s", width - w, "");
    return;
  }
  int used = 0;   /* columns taken, keeping one for the ellipsis */
  uint32_t cp;
  while (*p) {
    int n = decode(p, &cp), cw = cp_textwidth_char(cp);
    if (used + cw > width - 1)
      break;
    cp_sbuf_addn(b, (const char *)p, (size_t)n);
    used += cw;
    p += n;
  }
  for (int n; *p && (n = decode(p, &cp), cp_textwidth_char(cp) == 0); p += n)
    cp_sbuf_addn(b, (const char *)p, (size_t)n);   /* marks stay with their letter */
  cp_sbuf_add(b, width > 0 ? "…" : "");
  cp_sbuf_printf(b, "%*s", width > 0 ? width - 1 - used : 0, "");
}
