/* stateread.h: opening the state database to read it, leaving its folder
 * as it was found. */
#ifndef CP_STATEREAD_H
#define CP_STATEREAD_H

#include <stddef.h>
#include <sqlite3.h>

#include "diag.h"

/* Opens the existing state database at path for reading only, into *db
 * (close it with sqlite3_close; NULL on failure): read-write to SQLite but
 * with query_only set, so that the last connection to close checkpoints
 * and removes the -wal and -shm files that opening a WAL database makes (a
 * read-only connection would leave them behind, empty); read-only when the
 * file cannot be written. Waits up to 10 s for a lock. Returns an SQLite
 * result code. */
int cp_stateread_open(const char *path, sqlite3 **db);

/* Says why a state that opened could not be read, when the cause is the
 * common one that SQLite's "unable to open database file" (or "attempt to
 * write a readonly database") hides: a WAL database is read through
 * PATH-shm, which its reader must make when no writer has, and the folder
 * cannot take it (a read-only file system, a snapshot mounted read-only, a
 * folder the reader may not write). Prints nothing otherwise. */
void cp_stateread_explain(const char *path);

/* Writes into buf (n bytes) why a writer of the state at path meets
 * SQLite's "attempt to write a readonly database" or "unable to open
 * database file", beginning with "; ": the file, its -wal or -shm, or its
 * folder cannot be written, and why (an -shm that SQLite made while the
 * file was read-only keeps that mode after the file is mended); "" when
 * none of them is the cause. */
void cp_stateread_unwritable(const char *path, char *buf, size_t n);

/* Writes into buf (n bytes), when db's last error is SQLite's "disk I/O
 * error" and this process may write files only up to a size (ulimit -f,
 * systemd's LimitFSIZE: a write past it fails with EFBIG, which SQLite does
 * not name), " (a file of this process may grow to N bytes at most: ...)";
 * "" otherwise. */
void cp_stateread_size_limit(sqlite3 *db, char *buf, size_t n);

/* Refuses, with code and a message, a PATH-journal, -wal or -shm that is
 * there but is no regular file: SQLite opens a -journal to see whether it
 * is hot, and a FIFO there blocks every command for good. CP_OK else. */
cp_err cp_stateread_sides(const char *path, cp_err code);

#endif
