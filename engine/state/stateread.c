/* stateread.c: opening the state database to read it, leaving its folder
 * as it was found (no -wal or -shm file left behind by a reader). */
#include "stateread.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

void cp_stateread_explain(const char *path)
{
  char shm[PATH_MAX], dir[PATH_MAX];
  if (snprintf(shm, sizeof shm, "%s-shm", path) >= (int)sizeof shm ||
      snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir || access(shm, F_OK) == 0)
    return;
  const char *folder = dirname(dir);
  if (access(folder, W_OK) == 0)
    return;
  cp_diag_fail(CP_ESTATE, "state: %s is a WAL database, and SQLite reads one through %s, "
               "which it must make in %s: %s; read a copy in a folder that can be written",
               path, shm, folder, strerror(errno));
}

void cp_stateread_unwritable(const char *path, char *buf, size_t n)
{
  char side[PATH_MAX], dir[PATH_MAX], target[PATH_MAX];
  struct stat st;
  *buf = '\0';
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
    /* SQLite says only "unable to open database file" of a link that loops,
     * or that names a file in a folder that does not exist */
    ssize_t len = readlink(path, target, sizeof target - 1);
    target[len > 0 ? len : 0] = '\0';
    snprintf(buf, n, "; %s is a symbolic link to '%s': %s", path, target,
             errno == ELOOP ? "a loop of links, which names no file"
                            : errno == ENOENT ? "its folder does not exist" : strerror(errno));
    return;
  }
  if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
    snprintf(buf, n, "; %s cannot be written: %s", path, strerror(errno));
    return;
  }
  static const char *const sides[] = {"-wal", "-shm"};
  for (int i = 0; i < 2; i++) {
    if (snprintf(side, sizeof side, "%s%s", path, sides[i]) >= (int)sizeof side ||
        access(side, F_OK) != 0 || access(side, W_OK) == 0)
      continue;
    snprintf(buf, n, "; %s cannot be written: %s (SQLite gives it the mode %s has when it "
             "makes it: once no run or reader has the state open, give it the mode of %s, "
             "chmod u+w, or remove it)", side, strerror(errno), path, path);
    return;
  }
  if (snprintf(dir, sizeof dir, "%s", path) < (int)sizeof dir) {
    const char *folder = dirname(dir);
    if (access(folder, W_OK) != 0)
      snprintf(buf, n, "; its folder %s cannot be written: %s (SQLite makes %s-wal and "
               "%s-shm there)", folder, strerror(errno), path, path);
  }
}

void cp_stateread_size_limit(sqlite3 *db, char *buf, size_t n)
{
  struct rlimit fsize;
  *buf = '\0';
  if ((sqlite3_errcode(db) & 0xff) == SQLITE_IOERR && getrlimit(RLIMIT_FSIZE, &fsize) == 0 &&
      fsize.rlim_cur != RLIM_INFINITY)
    snprintf(buf, n, " (a file of this process may grow to %llu bytes at most: ulimit -f, "
             "systemd's LimitFSIZE)", (unsigned long long)fsize.rlim_cur);
}

cp_err cp_stateread_sides(const char *path, cp_err code)
{
  static const char *const sides[] = {"-journal", "-wal", "-shm"};
  char side[PATH_MAX];
  struct stat st;
  for (int i = 0; i < 3; i++)
    if (snprintf(side, sizeof side, "%s%s", path, sides[i]) < (int)sizeof side &&
        stat(side, &st) == 0 && !S_ISREG(st.st_mode))
      return cp_diag_fail(code, "state: %s: not a regular file (SQLite would open it as %s's "
                          "%s file, and a FIFO there blocks: remove it)", side, path, sides[i] + 1);
  return CP_OK;
}

int cp_stateread_open(const char *path, sqlite3 **db)
{
  int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK && sqlite3_db_readonly(*db, "main") == 1) {
    /* the file cannot be written: nothing would remove the WAL files either */
    sqlite3_close(*db);
    rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_busy_timeout(*db, 10000);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(*db, "PRAGMA query_only = ON", NULL, NULL, NULL);
  /* the first read opens the WAL: a failure to make its files shows here */
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(*db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
  if (rc == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY)
    cp_stateread_explain(path);
  return rc;
}
