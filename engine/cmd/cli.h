/* cli.h: exit codes and the options shared by the commands. */
#ifndef CP_CLI_H
#define CP_CLI_H

#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "version.h"

/* Exit codes of crmpolicy, documented in the README. */
typedef enum cp_exit {
  CP_EXIT_OK = 0,          /* success */
  CP_EXIT_INCOMPLETE = 1,  /* run committed, but some rule evaluations failed */
  CP_EXIT_INVALID = 2,     /* usage, config, rule file or facts contract error; nothing written */
  CP_EXIT_FAILED = 3,      /* runtime failure; nothing written */
  CP_EXIT_BUSY = 4,        /* another run holds the state database; nothing written */
  CP_EXIT_GUARD = 5,       /* a guard refused the run (--force, --replay); nothing written */
  CP_EXIT_EPOCH = 6,       /* feed: the state's epoch is not the one given (it was recreated) */
  CP_EXIT_SINK = 7         /* push: some sink kept failing (the others were delivered) */
} cp_exit;


/* Options after the command name. */
typedef struct cp_opts {
  const char *config;      /* --config (default crmpolicy.yaml) */
  const char *facts;       /* --facts: overrides the config */
  const char *state;       /* --state: overrides the config */
  int64_t as_of;           /* --as-of, epoch day (default: today) */
  int wait_seconds;        /* --wait: how long to wait for another run */
  int quiet;               /* --quiet */
  int jobs;                /* --jobs: evaluation workers (default 1) */
  int strict;              /* --strict: a data problem in the facts fails the run */
  int lint_fatal;          /* check --lint-fatal: a lint warning is exit 1 */
  int format;              /* --format (a cp_format) */
  int64_t since;           /* --since */
  int since_given;          /* --since was given (0 included) */
  int64_t limit;           /* --limit (-1: none) */
  int has_month;           /* --month was given */
  int64_t month;           /* --month: epoch day of the month's first day */
  const char *format_name; /* --format of report (csv or html) and explain (text or json) */
  const char *output;      /* -o/--output FILE */
  int bom;                 /* report: --bom 1, --no-bom 0, else -1 (on for zh-CN) */
  int coverage;            /* test: --coverage */
  int min_coverage;        /* test: --min-coverage N percent (-1: none) */
#define CP_MAX_COVERAGE_SKIPS 64
  const char *coverage_skip[CP_MAX_COVERAGE_SKIPS];   /* test: each --coverage-skip GLOB */
  int coverage_skips;      /* how many were given */
  const char *run;         /* test: --run REGEX, the fixtures to run (NULL: all) */
  const char *junit;       /* test: --junit FILE, the results as JUnit XML too */
  const char *rule;        /* explain: --rule ID */
  const char *fixtures;    /* check: --fixtures DIR */
  const char *assignees;   /* test, check: --assignees LOOKUP (default staff, when declared) */
  int bare;                /* init: 1 --bare, an example rule instead of the reference
                            * policy; 3 --minimal, the smallest facts; 4 both (refused) */
  const char *locale;      /* init: --locale, the config's locale (NULL: zh-CN, the reference's) */
  char **args;             /* operands after the options (test: fixtures; explain: client) */
  int nargs;               /* number of operands */
  int force;               /* run: --force: run although a guard refuses */
  int replay;              /* run: --replay: an as-of date before the last run's is a replay */
  int push;                /* run: --push: push the feed to the sinks after the commit */
  const char *profile;     /* run: --profile FILE: where the run's time went ("-": stdout) */
  const char *epoch;       /* feed: --epoch ID: the epoch the caller's seq belongs to */
  const char *consumer;    /* feed: --consumer NAME */
  int64_t ack;             /* feed: --ack SEQ (-1: none) */
} cp_opts;

/* Maps an error code to the exit code of a command that wrote nothing;
 * for CP_ENOMEM, says "out of memory" when no message said it yet. */
cp_exit cp_cli_exit_for(cp_err e);

/* Loads the config named by the options and applies --facts and --state. */
cp_err cp_cli_config(const cp_opts *o, cp_config **cfg);

/* Returns 1 when paths a and b name the same file, existing or not (the
 * same device and inode; for a file not there yet, the same resolved
 * folder and name). */
int cp_cli_same_file(const char *a, const char *b);

/* Refuses (CP_EUSAGE, with a message naming option) an output path that
 * names a file of the run, however it is spelled: the config, a rule file,
 * the facts, the state or its -wal, -shm and -journal files, which writing
 * what (the profile, the report) there would destroy. */
cp_err cp_cli_own_file(const cp_config *cfg, const char *path, const char *option,
                       const char *what);

/* The side files SQLite keeps beside a database: its WAL, shared memory
 * and journal, as suffixes of its path; NULL-ended. */
extern const char *const cp_cli_sides[];

/* Refuses (CP_ECONFIG) a config whose feed.salt_env names a variable that
 * is not set: ids would be hashed with an empty salt, which anyone can
 * reverse from a list of client ids, and differ from the salted ones. */
cp_err cp_cli_feed_salt(const cp_config *cfg);

/* Commands: each returns an exit code. */
cp_exit cp_cmd_run(const cp_opts *o);
cp_exit cp_cmd_test(const cp_opts *o);
cp_exit cp_cmd_explain(const cp_opts *o);
cp_exit cp_cmd_feed(const cp_opts *o);
cp_exit cp_cmd_push(const cp_opts *o);
cp_exit cp_cmd_init(const cp_opts *o);   /* init.c */

#endif
