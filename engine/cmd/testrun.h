/* testrun.h: running policy fixtures (`crmpolicy test`, and `check
 * --fixtures` for its lint): each fixture in a temporary folder with its own
 * facts and state databases, step by step through the run path. */
#ifndef CP_TESTRUN_H
#define CP_TESTRUN_H

#include <regex.h>

#include "config.h"
#include "fixture.h"
#include "junit.h"
#include "rules.h"

/* How fixtures are run, and who hears about them. */
typedef struct cp_test_opts {
  const cp_rules_watch *watch;  /* what watches the rules load and run (coverage's or
                                   check's hooks), or NULL */
  struct cp_coverage *coverage; /* the coverage that watch records, told which rules
                                   load and fire; or NULL */
  const char *assignees;        /* --assignees: replaces the config's default lookup of
                                   assignees ("": none checked), or NULL */
  int quiet;                    /* 0: a line per fixture; 1: failures only; 2: nothing */
  const regex_t *select;        /* --run: the fixtures whose name or path it matches, or
                                   NULL for all */
  cp_junit *junit;              /* --junit: where each fixture's testcase goes, or NULL */
  void (*on_fixture)(void *ctx, const cp_fixture *fx, const cp_rules *rules);
                                /* called for each fixture whose first step loaded */
  void *ctx;                    /* context of on_fixture */
} cp_test_opts;

/* What a fixture run counted. */
typedef struct cp_test_counts {
  unsigned passed;              /* fixtures whose every step found what it expects */
  unsigned failed;              /* fixtures with a difference, a rule error or a bad assignee */
  unsigned invalid;             /* fixtures that could not run (counted in failed too) */
  unsigned unselected;          /* fixtures --run left out (not counted above) */
} cp_test_counts;

/* Runs the fixture files of paths[0..n) (folders: their *.yaml and *.yml
 * files, in name order, recursively) against cfg, whose facts, state and
 * params it changes and restores. Prints one line per fixture and the
 * difference of each failing step (unless quiet). Returns CP_OK when every
 * fixture ran or was invalid; CP_ERULES when the rule files do not load;
 * CP_EUSAGE when a path does not exist; another code when a run failed. */
cp_err cp_testrun_fixtures(cp_config *cfg, char *const *paths, int n, const cp_test_opts *to,
                        cp_test_counts *counts);

#endif
