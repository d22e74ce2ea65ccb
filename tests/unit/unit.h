/* unit.h: a very small test harness: TEST(name) registers a test; CHECK*
 * macros record failures with file and line; main() runs every test. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);

/* Registers a test (called by TEST before main). */
void unit_register(const char *name, unit_fn fn);

/* Records a failed check of the running test. */
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns a fresh scratch folder for the running test (removed afterwards). */
const char *unit_tmpdir(void);

#define TEST(name)                                                   \
  static void name(void);                                            \
  __attribute__((constructor)) static void reg_##name(void)          \
  {                                                                  \
    unit_register(#name, name);                                      \
  }                                                                  \
  static void name(void)

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond))                                                     \
      unit_fail(__FILE__, __LINE__, "%s", #cond);                    \
  } while (0)

#define CHECK_INT(expected, actual)                                  \
  do {                                                               \
    long long e_ = (long long)(expected), a_ = (long long)(actual);  \
    if (e_ != a_)                                                    \
      unit_fail(__FILE__, __LINE__, "%s: expected %lld, found %lld", \
                #actual, e_, a_);                                    \
  } while (0)

#define CHECK_STR(expected, actual)                                  \
  do {                                                               \
    const char *e_ = (expected), *a_ = (actual);                     \
    if (!a_ || strcmp(e_, a_) != 0)                                  \
      unit_fail(__FILE__, __LINE__, "%s: expected \"%s\", found \"%s\"", \
                #actual, e_, a_ ? a_ : "(null)");                    \
  } while (0)

#endif
