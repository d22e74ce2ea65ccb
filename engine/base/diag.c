/* diag.c: error names and message output for crmpolicy. */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>

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

/* Writes one prefixed line to stderr. Control characters that the message
 * carries from its input (a name or value with a newline, say) are written
 * as \n or \xNN, so that one message stays one line. */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
  char *msg = NULL;
  fputs("crmpolicy: ", stderr);
  fputs(prefix, stderr);
  if (vasprintf(&msg, fmt, ap) < 0) {
    fputs("(out of memory)\n", stderr);
    return;
  }
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    if (*p == '\n')
      fputs("\\n", stderr);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(stderr, "\\x%02x", *p);
    else
      fputc(*p, stderr);
  }
  fputc('\n', stderr);
  free(msg);
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
