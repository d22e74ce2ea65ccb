/* diag.h: error codes and the one place where crmpolicy writes messages. */
#ifndef CP_DIAG_H
#define CP_DIAG_H

#include <stdarg.h>

/* Error codes returned by every module; cp_diag_strerror() names them. */
typedef enum cp_err {
  CP_OK = 0,      /* success */
  CP_EUSAGE,      /* bad command line */
  CP_ECONFIG,     /* config file missing, unreadable or invalid */
  CP_ERULES,      /* a rule file does not load or compile */
  CP_EFACTS,      /* facts database missing, corrupt, or not the declared shape */
  CP_ESTATE,      /* state database error */
  CP_EBUSY,       /* another run holds the state database */
  CP_ENOMEM,      /* out of memory */
  CP_EEVAL,       /* evaluation failed for a whole run (not one client) */
  CP_EIO          /* reading or writing a file failed */
} cp_err;

/* Returns a static, human-readable name for an error code. */
const char *cp_diag_strerror(cp_err e);

/* Prints "crmpolicy: MESSAGE" to stderr and returns code, so that callers
 * write `return cp_diag_fail(CP_ECONFIG, "...")`. */
cp_err cp_diag_fail(cp_err code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether a failure printed so far was for want of memory: its code was
 * CP_ENOMEM, or its message ends in "out of memory" (SQLite's words for
 * SQLITE_NOMEM, which the state's and the facts' messages carry). A run that
 * then fails says so rather than naming the layer that met it. */
int cp_diag_oom_said(void);

/* The code of the last failure this thread printed (CP_OK: none), for a
 * function that says "-1 after printing an error" to pass its code on. */
cp_err cp_diag_last_fail(void);

/* Prints "crmpolicy: warning: MESSAGE" to stderr. */
void cp_diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The number of warnings printed so far (`check` says how many it printed). */
unsigned long cp_diag_warnings(void);

/* Prints "crmpolicy: MESSAGE" to stderr (informational, no prefix). */
void cp_diag_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While fn is set (not NULL), each message printed to stderr is also given
 * to fn, as one line with its "crmpolicy: " prefix and no newline (`test
 * --junit` keeps a fixture's messages in its report). Set while no other
 * thread prints. */
void cp_diag_set_tee(void (*fn)(void *ctx, const char *line), void *ctx);

/* When err (an errno) says the process or the system ran out of file
 * descriptors (EMFILE, ENFILE), writes into buf (n bytes) why, with the
 * limit and where it is set, and returns 1; else writes "" and returns 0. */
int cp_diag_fd_limit(int err, char *buf, unsigned long n);

/* When quiet is set, cp_diag_note() prints nothing; failures and warnings still do. */
void cp_diag_set_quiet(int quiet);

#endif
