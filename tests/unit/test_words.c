/* test_words.c: the one word-list matcher. */
#include "unit.h"
#include "words.h"

TEST(words_match_whole_words_only)
{
  CHECK_INT(1, cp_words_has("id doc fn", "doc"));
  CHECK_INT(1, cp_words_has("id doc fn", "fn"));
  CHECK_INT(1, cp_words_has("id doc fn", "id"));
  CHECK_INT(0, cp_words_has("id doc fn", "do"));       /* a prefix is not a word */
  CHECK_INT(0, cp_words_has("id doc fn", "oc"));       /* nor a suffix */
  CHECK_INT(0, cp_words_has("id doc fn", "doc fn"));   /* nor two words */
  CHECK_INT(0, cp_words_has("id doc fn", ""));
  CHECK_INT(0, cp_words_has("", "id"));
  CHECK_INT(1, cp_words_has("as-of facts", "as-of"));
  CHECK_INT(1, cp_words_has_n("config state", "statement", 5));
}

TEST(words_step_through_a_list)
{
  const char *p = " alpha  beta gamma ";
  size_t n;
  const char *w = cp_words_next(&p, &n);
  CHECK(w && n == 5 && !strncmp(w, "alpha", n));
  w = cp_words_next(&p, &n);
  CHECK(w && n == 4 && !strncmp(w, "beta", n));
  w = cp_words_next(&p, &n);
  CHECK(w && n == 5 && !strncmp(w, "gamma", n));
  CHECK(cp_words_next(&p, &n) == NULL);
}
