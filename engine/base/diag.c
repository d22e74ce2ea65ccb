/* diag.c: error names and message output for crmpolicy. */
#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sbuf.h"

static int quiet;   /* set by --quiet: suppress notes */
static _Atomic unsigned long warnings;   /* printed so far, by any thread */
static _Atomic int oom_said;   /* cp_diag_oom_said() */
static _Thread_local cp_err last_fail;   /* cp_diag_last_fail() */
static void (*tee)(void *ctx, const char *line);   /* cp_diag_set_tee() */
static void *tee_ctx;

const char *cp_diag_strerror(cp_err e)
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

/* Writes one prefixed line to stderr. Control characters and bytes that are
 * not UTF-8 that the message carries from its input (a name or value with a
 * newline or an escape sequence, say) are written as cp_sbuf_term_str() does,
 * so that one message stays one line and cannot drive the terminal. */
static int vline(const char *prefix, const char *fmt, va_list ap)
{
  static const char oom[] = "out of memory";
  int says_oom = 0;
  char *msg = NULL;
  sbuf b = {0};
  va_list again;
  va_copy(again, ap);
  int n = vasprintf(&msg, fmt, ap);
  says_oom = n < 0 || (n >= (int)sizeof oom - 1 && !strcmp(msg + n - (sizeof oom - 1), oom));
  cp_sbuf_add(&b, "crmpolicy: ");
  cp_sbuf_add(&b, prefix);
  if (n >= 0)
    cp_sbuf_term_str(&b, msg, (size_t)n);
  /* the line is written whole, under stderr's lock: the workers of --jobs N
   * warn from their threads, and pieces of two lines once made one line */
  flockfile(stderr);
  if (n < 0 || b.oom) {
    /* out of memory: the message is kept, cut to a buffer on the stack,
     * its control bytes as '?' (it still says where, which a bare "out of
     * memory" did not) */
    char line[1024];
    int k = vsnprintf(line, sizeof line, fmt, again);
    for (int i = 0; k > 0 && i < k && i < (int)sizeof line - 1; i++)
      if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
        line[i] = '?';
    fprintf(stderr, "crmpolicy: %s%s%s\n", prefix, k >= 0 ? line : "(a message)",
            k >= (int)sizeof line ? "..." : "");
  } else {
    fwrite(b.s, 1, b.len, stderr);
    fputc('\n', stderr);
    if (tee)
      tee(tee_ctx, b.s);
  }
  funlockfile(stderr);
  va_end(again);
  cp_sbuf_free(&b);
  free(msg);
  return says_oom;
}

cp_err cp_diag_fail(cp_err code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (vline("", fmt, ap) || code == CP_ENOMEM)
    oom_said = 1;
  last_fail = code;
  va_end(ap);
  return code;
}

void cp_diag_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vline("warning: ", fmt, ap);
  va_end(ap);
  warnings++;
}

int cp_diag_oom_said(void)
{
  return oom_said;
}

cp_err cp_diag_last_fail(void)
{
  return last_fail;
}

unsigned long cp_diag_warnings(void)
{
  return warnings;
}

void cp_diag_note(const char *fmt, ...)
{
  va_list ap;
  if (quiet)
    return;
  va_start(ap, fmt);
  vline("", fmt, ap);
  va_end(ap);
}

void cp_diag_set_tee(void (*fn)(void *ctx, const char *line), void *ctx)
{
  tee = fn;
  tee_ctx = ctx;
}

void cp_diag_set_quiet(int q)
{
  quiet = q;
}

int cp_diag_fd_limit(int err, char *buf, unsigned long n)
{
  struct rlimit rl;
  if (n)
    buf[0] = '\0';
  if (err == ENFILE) {
    snprintf(buf, n, "Too many open files in system: the system's table of open files is "
             "full (fs.file-max)");
    return 1;
  }
  if (err != EMFILE)
    return 0;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    snprintf(buf, n, "Too many open files: this process may have %llu open at most, as ulimit -n "
             "or systemd's LimitNOFILE says, and each worker of --jobs N opens the facts "
             "once more",
             (unsigned long long)rl.rlim_cur);
  else
    snprintf(buf, n, "Too many open files, as ulimit -n or systemd's LimitNOFILE says");
  return 1;
}
