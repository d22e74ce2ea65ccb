/* diag.c: error names and message output for crmpolicy. */
#include "diag.h"

#include <stdio.h>

static int quiet;   /* set by --quiet: suppress notes */

const char *cp_strerror(cp_err e)
{
  static const char *const names[] = {
    [CP_OK] = "success",
    [CP_EUSAGE] = "usage error",
    [CP_ECONFIG] = "config error",
    [CP_ERULES] = "rule file error",
    [CP_EFACTS] = "facts error",
    [CP_ESTATE] = "state database error",
    [CP_EBUSY] = "state database busy",
    [CP_ENOMEM] = "out of memory",
    [CP_EEVAL] = "evaluation error",
    [CP_EIO] = "I/O error",
  };
  if ((unsigned)e < sizeof names / sizeof names[0] && names[e])
    return names[e];
  return "unknown error";
}

/* Writes one prefixed line to stderr. */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
  fputs("crmpolicy: ", stderr);
  fputs(prefix, stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

cp_err diag_fail(cp_err code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vline("", fmt, ap);
  va_end(ap);
  return code;
}

void diag_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vline("warning: ", fmt, ap);
  va_end(ap);
}

void diag_note(const char *fmt, ...)
{
  va_list ap;
  if (quiet)
    return;
  va_start(ap, fmt);
  vline("", fmt, ap);
  va_end(ap);
}

void diag_set_quiet(int q)
{
  quiet = q;
}
