/* consumer.h: named consumers of the feed: the last seq each acknowledged,
 * kept in the state database's consumers table. */
#ifndef CP_CONSUMER_H
#define CP_CONSUMER_H

#include <sqlite3.h>
#include <stdint.h>

#include "diag.h"

/* Reads the cursor of consumer name into *seq (0 for a consumer never seen). */
cp_err cp_consumer_get(sqlite3 *db, const char *path, const char *name, int64_t *seq);

/* Sets the cursor of consumer name to seq (in the caller's transaction, if any). */
cp_err cp_consumer_set(sqlite3 *db, const char *path, const char *name, int64_t seq);

/* Reads the last seq of the feed into *seq (0 when empty). */
cp_err cp_consumer_last_seq(sqlite3 *db, const char *path, int64_t *seq);

#endif
