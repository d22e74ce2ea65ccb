/* words.c: the one matcher of space-separated word lists. */
#include "words.h"

#include <string.h>

const char *cp_words_next(const char **p, size_t *n)
{
  while (**p == ' ')
    (*p)++;
  if (!**p)
    return NULL;
  const char *word = *p;
  *n = strcspn(word, " ");
  *p += *n;
  return word;
}

int cp_words_has_n(const char *list, const char *word, size_t n)
{
  size_t len;
  for (const char *w; (w = cp_words_next(&list, &len));)
    if (len == n && memcmp(w, word, n) == 0)
      return 1;
  return 0;
}

int cp_words_has(const char *list, const char *word)
{
  return cp_words_has_n(list, word, strlen(word));
}
