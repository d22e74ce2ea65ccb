/* fixdb.h: the facts database of a fixture, made for one test: the tables
 * the config declares (or a schema file's), filled with the fixture's rows. */
#ifndef CP_FIXDB_H
#define CP_FIXDB_H

#include "config.h"
#include "fixture.h"

/* Creates the SQLite database path (which must not exist) for fixture fx:
 * runs the fixture's schema file, or creates every table the config declares
 * with its declared columns (and key, id and order columns), then inserts the
 * fixture's facts. Prints "FILE:LINE: message" and returns CP_ECONFIG for a
 * table or column the config does not declare, a row of the wrong length or
 * a row SQLite refuses; CP_EIO when the database cannot be written. */
cp_err cp_fixdb_create(const cp_config *cfg, const cp_fixture *fx, const char *path);

/* Replaces, in the fixture's facts database path, the rows of each table
 * that step's `facts` names with the rows it gives (from that step on: the
 * CRM changed them between two nights); other tables keep theirs. Errors
 * as for cp_fixdb_create(). */
cp_err cp_fixdb_step(const cp_config *cfg, const cp_fixture *fx, const cp_fx_step *step,
                     const char *path);

#endif
