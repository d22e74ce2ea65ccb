/* test_diag.c: messages from several threads (the workers of --jobs N) come
 * out as whole lines, each one line, and reach the tee one at a time. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag.h"
#include "unit.h"

#define THREADS 4
#define LINES 2000

static unsigned long teed;   /* counted without a lock: the tee is called under stderr's */

static void count_line(void *ctx, const char *line)
{
  (void)ctx;
  if (strncmp(line, "crmpolicy: warning: worker ", 27) == 0)
    teed++;
}

static void *warn_lines(void *arg)
{
  int w = (int)(long)arg;
  for (int i = 0; i < LINES; i++)
    cp_diag_warn("worker %d: line %d of a message long enough to be written in %s", w, i,
                 "more than one piece by a writer that prints its prefix apart");
  return NULL;
}

TEST(diag_lines_of_threads_are_whole)
{
  char path[512];
  snprintf(path, sizeof path, "%s/stderr", unit_tmpdir());
  fflush(stderr);
  int saved = dup(2);
  FILE *f = fopen(path, "w+");
  CHECK(saved >= 0 && f != NULL);
  if (saved < 0 || !f)
    return;
  dup2(fileno(f), 2);
  teed = 0;
  cp_diag_set_tee(count_line, NULL);
  pthread_t t[THREADS];
  for (long w = 0; w < THREADS; w++)
    pthread_create(&t[w], NULL, warn_lines, (void *)w);
  for (int w = 0; w < THREADS; w++)
    pthread_join(t[w], NULL);
  cp_diag_set_tee(NULL, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(f);
  char line[512];
  int whole = 0, broken = 0, next[THREADS] = {0};
  while (fgets(line, sizeof line, f)) {
    int w, i;
    char rest[256];
    if (sscanf(line, "crmpolicy: warning: worker %d: line %d of a message long enough to be "
                     "written in more than one piece by a writer that prints its prefix %255[a-z]\n",
               &w, &i, rest) == 3 &&
        strcmp(rest, "apart") == 0 && w >= 0 && w < THREADS && i == next[w]) {
      next[w]++;
      whole++;
    } else {
      broken++;
    }
  }
  fclose(f);
  CHECK_INT(THREADS * LINES, whole);
  CHECK_INT(0, broken);
  CHECK_INT(THREADS * LINES, teed);
}
