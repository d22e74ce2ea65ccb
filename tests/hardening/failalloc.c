/* tests/hardening/failalloc.c: a preloaded library (LD_PRELOAD) that makes
 * the process's memory run out at a chosen allocation, so that a test can
 * check what crmpolicy does when malloc fails anywhere: a message and exit
 * 3, nothing written, never a crash, a hang or a wrong exit code.
 *
 * FAILALLOC_AFTER=N   allocations 1..N succeed; later ones fail (unset or
 *                     negative: none fails)
 * FAILALLOC_ONCE=1    only allocation N + 1 fails (a transient shortage)
 * FAILALLOC_COUNT=F   at exit, the number of allocations made is written to F
 * FAILALLOC_TRACE=F   the stack of each allocation refused is written to F
 *                     (addresses: addr2line -f -e BINARY names them)
 * FAILALLOC_UNDER=A:S only allocations made by the main program's function
 *                     at offset A (hex), S bytes long (`nm -S`), are counted
 *                     for AFTER and ONCE (from the library's constructor on),
 *                     from any thread: its own, or a library's on its behalf
 *                     (the innermost frame of the main program is within
 *                     it). A test aims at one place in the program, whatever
 *                     the threads do elsewhere. In a program whose code does
 *                     not hold A:S (timeout(1), which runs the one aimed at,
 *                     preloaded too), no allocation counts
 * FAILALLOC_DEPTH=D   with UNDER: one of the D innermost frames of the main
 *                     program (1 unless set) is within it: the function's
 *                     calls to helpers of its own count too
 *
 * It counts malloc, calloc, realloc (to a size above 0), posix_memalign and
 * aligned_alloc made after it was initialized, from any thread, and hands
 * them to glibc's own allocator (__libc_malloc and friends: no dlsym, which
 * itself allocates). glibc routes its internal allocations (strdup, stdio
 * buffers, vasprintf) through these symbols too. */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long long after = -1;      /* allocations that succeed; -1: all */
static int once;                  /* only the next one fails */
static atomic_llong made;         /* allocations counted so far */
static atomic_int priming;        /* the constructor's own allocations: not counted */
static const char *count_path;
static int trace_fd = -1;
static uintptr_t under_lo, under_hi; /* FAILALLOC_UNDER's addresses; 0: all counted */
static uintptr_t main_lo, main_hi;   /* the main program's code */
static uintptr_t main_base;          /* and its load address */
static int depth = 1;                /* FAILALLOC_DEPTH */
static __thread int walking;          /* in backtrace(): its own allocations pass */

/* dl_iterate_phdr() callback: the main program (the first object): its
 * load address and the span of its executable segments. */
static int main_code(struct dl_phdr_info *info, size_t size, void *out)
{
  (void)size;
  (void)out;
  main_base = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (!main_lo || lo < main_lo)
      main_lo = lo;
    if (hi > main_hi)
      main_hi = hi;
  }
  return 1;
}

__attribute__((constructor)) static void init(void)
{
  const char *a = getenv("FAILALLOC_AFTER");
  const char *o = getenv("FAILALLOC_ONCE");
  count_path = getenv("FAILALLOC_COUNT");
  once = o && *o == '1';
  if (a && *a)
    after = atoll(a);
  const char *u = getenv("FAILALLOC_UNDER");
  if (u && *u) {
    char *colon;
    unsigned long long at = strtoull(u, &colon, 16), len = *colon == ':' ? strtoull(colon + 1, NULL, 0) : 0;
    dl_iterate_phdr(main_code, NULL);
    under_lo = main_base + (uintptr_t)at;   /* nm's offsets are from the load address */
    under_hi = under_lo + (uintptr_t)len;
    if (!len || under_lo < main_lo || under_hi > main_hi)
      under_lo = under_hi = 1;   /* another program (timeout(1) running it): none counted */
    atomic_store(&made, 0);   /* the other libraries' constructors ran before */
    const char *d = getenv("FAILALLOC_DEPTH");
    if (d && atoi(d) > 0)
      depth = atoi(d);
  }
  const char *t = getenv("FAILALLOC_TRACE");
  if ((t && *t) || under_lo) {
    void *frames[2];
    atomic_store(&priming, 1);   /* not counted: the counts are those of a run without */
    backtrace(frames, 2);        /* loads what backtrace() needs now, while memory is there */
    atomic_store(&priming, 0);
    if (t && *t)
      trace_fd = open(t, O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
}

__attribute__((destructor)) static void fini(void)
{
  if (!count_path)
    return;
  char line[32];
  int n = snprintf(line, sizeof line, "%lld\n", (long long)atomic_load(&made));
  int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (write(fd, line, (size_t)n) != n)
      n = -1;
    close(fd);
  }
}

/* Whether one of the FAILALLOC_DEPTH innermost frames of the main program
 * on the caller's stack is within FAILALLOC_UNDER's function (always,
 * without it). */
static int under(void)
{
  if (!under_lo)
    return 1;
  if (walking)
    return 0;
  void *frames[64];
  walking = 1;
  int n = backtrace(frames, 64);
  walking = 0;
  for (int i = 0, seen = 0; i < n && seen < depth; i++) {
    uintptr_t f = (uintptr_t)frames[i];
    if (f < main_lo || f >= main_hi)
      continue;
    if (f >= under_lo && f < under_hi)
      return 1;
    seen++;
  }
  return 0;
}

/* Called for each allocation refused: a debugger's breakpoint
 * (`break failalloc_refused`) shows who asked. */
__attribute__((noinline)) void failalloc_refused(void)
{
  if (trace_fd >= 0) {
    void *frames[32];
    int n = backtrace(frames, 32);
    backtrace_symbols_fd(frames, n, trace_fd);
    if (write(trace_fd, "--\n", 3) != 3)
      n = 0;
  }
  errno = ENOMEM;
}

/* Whether this allocation is to fail. */
static int refuse(void)
{
  if (atomic_load(&priming) || !under())
    return 0;
  long long k = atomic_fetch_add(&made, 1) + 1;
  if (after < 0 || k <= after || (once && k != after + 1))
    return 0;
  failalloc_refused();
  return 1;
}

void *malloc(size_t n)
{
  return refuse() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
  return refuse() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
  if (p && n == 0)
    return __libc_realloc(p, n);
  return refuse() ? NULL : __libc_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
  if (refuse())
    return ENOMEM;
  void *p = __libc_memalign(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
  return refuse() ? NULL : __libc_memalign(align, n);
}
