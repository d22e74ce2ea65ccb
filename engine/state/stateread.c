/* stateread.c: opening the state database to read it, leaving its folder
 * as it was found (no -wal or -shm file left behind by a reader). */
#include "stateread.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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
