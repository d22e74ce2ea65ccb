/* junit.h: the JUnit XML report of `crmpolicy test --junit FILE`, which CI
 * systems (GitLab, Jenkins, GitHub's test reporters) read: one testcase per
 * fixture, a failure holding its differences, an error for an invalid one,
 * and the messages printed while it ran. */
#ifndef CP_JUNIT_H
#define CP_JUNIT_H

#include "diag.h"
#include "sbuf.h"

/* The report being written: its testcases, and their counts. */
typedef struct cp_junit {
  sbuf cases;               /* the <testcase> elements so far */
  unsigned tests;           /* fixtures */
  unsigned failures;        /* with a difference, a rule error or a bad assignee */
  unsigned errors;          /* invalid fixtures */
  unsigned skipped;         /* fixtures --run left out */
  double seconds;           /* their time, summed */
} cp_junit;

/* What a fixture came to. */
typedef enum cp_junit_verdict {
  CP_JUNIT_PASSED, CP_JUNIT_FAILED, CP_JUNIT_INVALID, CP_JUNIT_SKIPPED
} cp_junit_verdict;

/* Adds the testcase of the fixture at path, named name (NULL: not known,
 * the fixture did not load), which took seconds: verdict, and for a failure
 * the text of its differences (report); output is what was printed on
 * standard error while it ran (its warnings; an invalid one's errors), or
 * NULL. */
void cp_junit_case(cp_junit *j, const char *path, const char *name, double seconds,
                   cp_junit_verdict verdict, const char *report, const char *output);

/* Writes the report to path, whole (a temporary file beside it, renamed):
 * the <testsuites> of one <testsuite> named suite. Returns CP_OK, or
 * CP_EIO after saying why. */
cp_err cp_junit_write(const cp_junit *j, const char *path, const char *suite);

/* Frees the testcases. */
void cp_junit_free(cp_junit *j);

#endif
