/* coverage.h: which lines of the rule files the fixtures ran, and which
 * rules never reported anything (`crmpolicy test --coverage`). */
#ifndef CP_COVERAGE_H
#define CP_COVERAGE_H

#include <stdio.h>

#include "outcome.h"
#include "rules.h"
#include "sandbox.h"

typedef struct cp_coverage cp_coverage;

/* Returns a new, empty coverage record (NULL when out of memory). Free with
 * cp_coverage_free(). */
cp_coverage *cp_coverage_new(void);

/* Frees a record; accepts NULL. */
void cp_coverage_free(cp_coverage *c);

/* Watches a sandbox: each rule file it loads adds its executable lines (the
 * active lines of every function in it), each line it runs counts. ctx is
 * the cp_coverage: the `sandbox` hook of a cp_rules_watch. */
void cp_coverage_attach(void *ctx, cp_sandbox *sb);

/* Notes the rule ids of loaded rules (those a fixture could make fire). */
void cp_coverage_rules(cp_coverage *c, const cp_rules *r);

/* Notes the rules that reported an alert or an assignment in an outcome. */
void cp_coverage_fired(cp_coverage *c, const cp_outcome *o);

/* Leaves the rule files whose names match glob (fnmatch, no flags: '*'
 * matches '/') out of the total that cp_coverage_report returns. */
void cp_coverage_skip(cp_coverage *c, const char *glob);

/* Prints, per rule file, the lines run of the executable lines and their
 * share, the total, and the rules that never fired; warns of a skip glob
 * that matches no file. Returns the total share in percent, or -1 when no
 * line counts in it (every file skipped, or no line information). */
double cp_coverage_report(const cp_coverage *c, FILE *out);

#endif
