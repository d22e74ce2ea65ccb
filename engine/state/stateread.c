/* stateread.c: opening the state database to read it, leaving its folder
 * as it was found (no -wal or -shm file left behind by a reader). */
#include "stateread.h"

#include <stddef.h>

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
  return rc;
}
