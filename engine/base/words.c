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
  for (const char *p = list; *p;) {   /* by hand: it runs for every field of every alert */
    while (*p == ' ')
      p++;
    const char *w = p;
    while (*p && *p != ' ')
      p++;
    if (n && (size_t)(p - w) == n && memcmp(w, word, n) == 0)
      return 1;
  }
  return 0;
}

int cp_words_has(const char *list, const char *word)
{
  return cp_words_has_n(list, word, strlen(word));
}
