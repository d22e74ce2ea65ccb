/* progress.h: the progress line of a long run on a terminal. */
#ifndef CP_PROGRESS_H
#define CP_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* A run's progress: clients done of a total, drawn on a terminal. */
typedef struct cp_progress {
  FILE *out;            /* where it is drawn; NULL: silent */
  uint64_t total;       /* clients in the clients table */
  uint64_t done;        /* clients written so far */
  double begun;         /* monotonic seconds at the start, for the delay */
  double start;         /* monotonic seconds at the first client, for the rate */
  double drawn;         /* when it was last drawn; 0: to draw at the next tick */
  int shown;            /* drawn at least once */
  double delay;         /* seconds before the first drawing */
  double every;         /* seconds between two drawings */
  int width;            /* characters on the line now */
} cp_progress;

/* Starts progress over total clients, drawn on out (stderr) only when out is
 * a terminal and quiet is 0, and only once the run has lasted delay seconds.
 * For the tests, CRMPOLICY_PROGRESS_DELAY_MS overrides the delay and
 * CRMPOLICY_PROGRESS_EVERY_MS the tenth of a second between two drawings. */
void cp_progress_start(cp_progress *p, FILE *out, int quiet, uint64_t total, double delay);

/* Counts one client done; redraws at most ten times a second (by default). */
void cp_progress_tick(cp_progress *p);

/* Blanks the drawn line, for a message to take its place; the next tick
 * draws it again below. */
void cp_progress_clear(cp_progress *p);

/* Ends the progress: a last drawing with the whole run, then a new line,
 * when anything was drawn. */
void cp_progress_end(cp_progress *p);

/* Writes into buf (size n) the progress line for done of total clients after
 * elapsed seconds: "  1,234 of 10,000 clients  12% [###...]  2,345 clients/s  0:04 left";
 * with final set, the time taken instead of the time left. */
void cp_progress_format(char *buf, size_t n, uint64_t done, uint64_t total, double elapsed,
                        int final);

/* Seconds on the monotonic clock. */
double cp_progress_monotonic(void);

/* Nanoseconds on the monotonic clock (`run --profile`'s timers). */
uint64_t cp_progress_ns(void);

/* Writes v with thousands separators ("1,234,567") into buf (32 bytes). */
void cp_progress_format_count(char *buf, uint64_t v);

/* Writes seconds as "m:ss" or "h:mm:ss" into buf (32 bytes). */
void cp_progress_format_duration(char *buf, double seconds);

#endif
