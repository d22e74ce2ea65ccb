/* textwidth.h: how wide text shows on a terminal (a CJK character takes two
 * columns, a combining mark none), for tables padded for people. */
#ifndef CP_TEXTWIDTH_H
#define CP_TEXTWIDTH_H

#include <stdint.h>

#include "sbuf.h"

/* Returns the columns that the code point cp takes on a terminal: 0 for
 * combining marks and zero-width characters, 2 for CJK ideographs, kana,
 * Hangul, fullwidth forms and wide emoji, 1 for anything else. */
int cp_textwidth_char(uint32_t cp);

/* Returns the columns that the UTF-8 text s takes (a byte that is not valid
 * UTF-8 counts as one column). */
int cp_textwidth_of(const char *s);

/* Appends s (NULL: "") to b in exactly width columns: padded with spaces on
 * the right (on the left with right_align), or, when wider, cut at a
 * character boundary and ended with "…" (one column). */
void cp_textwidth_cell(sbuf *b, const char *s, int width, int right_align);

#endif
