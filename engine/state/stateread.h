/* stateread.h: opening the state database to read it, leaving its folder
 * as it was found. */
#ifndef CP_STATEREAD_H
#define CP_STATEREAD_H

#include <sqlite3.h>

/* Opens the existing state database at path for reading only, into *db
 * (close it with sqlite3_close; NULL on failure): read-write to SQLite but
 * with query_only set, so that the last connection to close checkpoints
 * and removes the -wal and -shm files that opening a WAL database makes (a
 * read-only connection would leave them behind, empty); read-only when the
 * file cannot be written. Waits up to 10 s for a lock. Returns an SQLite
 * result code. */
int cp_stateread_open(const char *path, sqlite3 **db);

#endif
