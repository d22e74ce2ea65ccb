/* assignees.h: which lookup an assignee belongs to, per kind of result,
 * from the config's optional `assignees` section:
 *
 *   assignees:
 *     default: staff        # alerts and assignment kinds not named below
 *                           # (default: staff, when declared; "": unchecked)
 *     alerts: staff         # alerts (default: `default`)
 *     kinds: {depot: depots}  # assign{kind = "depot"}: ids of lookup.depots
 *
 * Without the section, every assignee is a staff id when the config
 * declares a lookup `staff` (as before the section existed). `crmpolicy
 * test` (and `check --fixtures`) check the assignees of the rules a fixture
 * selects; every command checks the section itself. */
#ifndef CP_ASSIGNEES_H
#define CP_ASSIGNEES_H

#include "config.h"
#include "diag.h"

/* Checks the section: known keys, and lookups the config declares. Prints
 * a message with the config's file:line and returns CP_ECONFIG otherwise. */
cp_err cp_assignees_check(const cp_config *cfg);

/* Returns the index of the lookup that the assignee of an alert (kind
 * NULL) or of an assignment of kind must be an id of, or -1 when it is not
 * checked. base, when not NULL, replaces the section's `default` (and
 * `alerts`): --assignees LOOKUP; "" checks nothing. */
int cp_assignees_lookup(const cp_config *cfg, const char *base, const char *kind);

#endif
