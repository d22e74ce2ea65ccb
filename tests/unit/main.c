/* main.c: runs the registered unit tests; one result line per test is
 * appended to $RESULTS, and a count is printed. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#define MAX_TESTS 256

static struct {
  const char *name;     /* test name */
  unit_fn fn;           /* test function */
} tests[MAX_TESTS];
static int n_tests;
static int failed;      /* the running test failed a check */
static char tmp[256];   /* the running test's scratch folder */

void unit_register(const char *name, unit_fn fn)
{
  if (n_tests < MAX_TESTS) {
    tests[n_tests].name = name;
    tests[n_tests++].fn = fn;
  }
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "    %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  failed = 1;
}

const char *unit_tmpdir(void)
{
  if (!tmp[0]) {
    snprintf(tmp, sizeof tmp, "/tmp/crmpolicy-unit-XXXXXX");
    if (!mkdtemp(tmp))
      unit_fail(__FILE__, __LINE__, "mkdtemp failed");
  }
  return tmp;
}

int main(void)
{
  const char *results = getenv("RESULTS");
  FILE *out = results ? fopen(results, "a") : NULL;
  int passed = 0;
  for (int i = 0; i < n_tests; i++) {
    failed = 0;
    tmp[0] = '\0';
    tests[i].fn();
    if (tmp[0]) {
      char cmd[300];
      snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
      if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    }
    if (failed)
      fprintf(stderr, "FAIL unit:%s\n", tests[i].name);
    else
      passed++;
    if (out)
      fprintf(out, "%s unit:%s\n", failed ? "fail" : "pass", tests[i].name);
  }
  if (out)
    fclose(out);
  printf("unit: %d of %d passed\n", passed, n_tests);
  return passed == n_tests ? 0 : 1;
}
