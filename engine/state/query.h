/* query.h: reading results back out of the state database for people and
 * other systems: open alerts and assignments, the event feed, a summary. */
#ifndef CP_QUERY_H
#define CP_QUERY_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "diag.h"
#include "sbuf.h"

struct sqlite3;
struct sqlite3_stmt;

/* Output formats of alerts and assignments. */
typedef enum cp_format { CP_FMT_TABLE, CP_FMT_JSONL, CP_FMT_CSV, CP_FMT_ALERTMANAGER } cp_format;

/* Parses "table", "jsonl", "csv" or "alertmanager"; returns -1 when unknown. */
int cp_query_format_parse(const char *s);

/* Opens the state database at path for reading (cp_stateread_open) into
 * *db, once it is one that a run has written and this crmpolicy reads
 * (not missing, not newer, not an empty file). Says why not, *db NULL. */
cp_err cp_query_open(const char *path, struct sqlite3 **db);

/* Prints the open alerts (alerts = 1) or proposed assignments (alerts = 0) of
 * the state database at path, in (client_id, rule, key) order. The
 * alertmanager format (alerts only) is one JSON array for Alertmanager's
 * POST /api/v2/alerts. The table, for people, has its head in the locale of
 * cfg and rule ids and severities under cfg's labels; cfg may be NULL
 * (English, ids as they are). With bom, CSV begins with a UTF-8 byte order
 * mark (for spreadsheets that read CSV in the system's code page). */
cp_err cp_query_results(const char *path, int alerts, cp_format fmt, const cp_config *cfg,
                        int bom, FILE *out);

/* The SQL of the feed: events with seq > ?1, oldest first, at most ?2 (-1:
 * all); the columns cp_query_event() reads. */
extern const char cp_query_feed_sql[];

/* SQL of a JSON column as stored, or, when it is not JSON (the state edited
 * by hand), as a JSON string: every line printed or posted stays JSON. A
 * BLOB (SQLite's JSONB, or bytes written by hand) is read as its text:
 * json_quote() of a BLOB failed the whole command ("JSON cannot hold BLOB
 * values", no row named), and a sink stayed stuck at that event. */
#define CP_QUERY_AS_JSON(col) \
  "CASE WHEN json_valid(CAST(" col " AS TEXT)) THEN CAST(" col " AS TEXT) " \
  "ELSE json_quote(CAST(" col " AS TEXT)) END"

/* Appends the event at the current row of a feed_sql statement as one JSON
 * object (no newline) carrying the state's epoch. */
void cp_query_event(sbuf *b, struct sqlite3_stmt *st, const char *epoch);

/* Prints the events of db (path, for messages) with seq > since, oldest
 * first, as JSON lines; at most limit lines (-1: all). */
cp_err cp_query_feed(struct sqlite3 *db, const char *path, const char *epoch, int64_t since,
                     int64_t limit, FILE *out);

/* Prints open alerts by rule and severity and proposed assignments by kind,
 * in the locale of cfg, rule ids and severities under its labels (cfg may
 * be NULL). */
cp_err cp_query_summary(const char *path, const cp_config *cfg, FILE *out);

#endif
