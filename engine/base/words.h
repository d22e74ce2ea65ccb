/* words.h: lists of words in one string, separated by single spaces ("id doc
 * fn"): the sandbox's allow-list, the fields a declaration accepts, the
 * options a command takes. One matcher for all of them. */
#ifndef CP_WORDS_H
#define CP_WORDS_H

#include <stddef.h>

/* Returns 1 when the n bytes at word are one of the words of list, else 0. */
int cp_words_has_n(const char *list, const char *word, size_t n);

/* Returns 1 when word (NUL-terminated) is one of the words of list, else 0. */
int cp_words_has(const char *list, const char *word);

/* Steps through a list: returns the next word of *p and its length in *n,
 * and moves *p past it; NULL when no word is left. */
const char *cp_words_next(const char **p, size_t *n);

#endif
