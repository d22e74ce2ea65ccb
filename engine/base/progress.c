/* progress.c: the progress line of a long run: clients done, rate and time
 * left, redrawn in place on a terminal (stderr), silent anywhere else. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR 20             /* characters of the bar */
#define REDRAW_EVERY 0.1   /* seconds between two drawings */

double cp_progress_monotonic(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

uint64_t cp_progress_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void cp_progress_format_count(char *buf, uint64_t v)
{
  char digits[24];
  int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
}

void cp_progress_format_duration(char *buf, double seconds)
{
  unsigned long long s = seconds > 0 ? (unsigned long long)(seconds + 0.5) : 0;
  if (s >= 3600)
    snprintf(buf, 32, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, 32, "%llu:%02llu", s / 60, s % 60);
}

void cp_progress_format(char *buf, size_t n, uint64_t done, uint64_t total, double elapsed,
                        int final)
{
  char d[32], t[32], r[32], when[32], bar[BAR + 1];
  uint64_t whole = total > done ? total : done;   /* clients added since the count */
  double rate = elapsed > 0 ? (double)done / elapsed : 0;
  int pct = whole ? (int)(done * 100 / whole) : 100;
  int fill = whole ? (int)(done * BAR / whole) : BAR;
  memset(bar, '#', (size_t)fill);
  memset(bar + fill, '.', (size_t)(BAR - fill));
  bar[BAR] = '\0';
  cp_progress_format_count(d, done);
  cp_progress_format_count(t, whole);
  cp_progress_format_count(r, (uint64_t)(rate + 0.5));
  if (final)
    cp_progress_format_duration(when, elapsed);
  else if (rate > 0)
    cp_progress_format_duration(when, (double)(whole - done) / rate);
  else
    strcpy(when, "?");
  snprintf(buf, n, "  %s of %s clients %3d%% [%s] %s clients/s  %s %s", d, t, pct, bar, r,
           when, final ? "in all" : "left");
}

/* Returns the environment variable name as seconds when it holds a whole
 * number of milliseconds (0 to 3,600,000), else fallback. For the tests:
 * a test sets the delay and redraw interval rather than racing the clock. */
static double env_ms(const char *name, double fallback)
{
  const char *v = getenv(name);
  if (!v || !*v)
    return fallback;
  char *end;
  long ms = strtol(v, &end, 10);
  if (*end || ms < 0 || ms > 3600000)
    return fallback;
  return (double)ms / 1000.0;
}

void cp_progress_start(cp_progress *p, FILE *out, int quiet, uint64_t total, double delay)
{
  double t = cp_progress_monotonic();
  *p = (cp_progress){.total = total, .begun = t, .start = t,
                     .delay = env_ms("CRMPOLICY_PROGRESS_DELAY_MS", delay),
                     .every = env_ms("CRMPOLICY_PROGRESS_EVERY_MS", REDRAW_EVERY)};
  p->out = !quiet && out && isatty(fileno(out)) ? out : NULL;
}

/* Draws the line over the last one. */
static void draw(cp_progress *p, double t, int final)
{
  char line[160];
  cp_progress_format(line, sizeof line, p->done, p->total, t - p->start, final);
  int w = (int)strlen(line);
  fprintf(p->out, "\r%s%*s", line, p->width > w ? p->width - w : 0, "");
  fflush(p->out);
  p->width = w;
  p->drawn = t;
  p->shown = 1;
}

void cp_progress_tick(cp_progress *p)
{
  if (!p->out) {
    p->done++;
    return;
  }
  double t = cp_progress_monotonic();
  if (p->done++ == 0)
    p->start = t;   /* the rate is of the client pass, not of what came before */
  if (t - p->begun >= p->delay && t - p->drawn >= p->every)
    draw(p, t, 0);
}

void cp_progress_clear(cp_progress *p)
{
  if (!p->out || !p->width)
    return;
  fprintf(p->out, "\r%*s\r", p->width, "");
  fflush(p->out);
  p->width = 0;
  p->drawn = 0;   /* the next tick draws it again */
}

void cp_progress_end(cp_progress *p)
{
  if (!p->out || !p->shown)
    return;
  p->total = p->done;   /* clients not evaluated (not yet created) are not waited for */
  draw(p, cp_progress_monotonic(), 1);
  fputc('\n', p->out);
  p->width = 0;
}
