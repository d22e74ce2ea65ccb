/* assignees.h: which lookup an assignee belongs to, per kind of result,
 * from the config's optional `assignees` section:
 *
 *   assignees:
 *     default: staff        # alerts and assignment kinds not named below
 *                           # (default: staff, when declared; "": unchecked)
 *     alerts: staff         # alerts (default: `default`)
 *     kinds: {depot: depots}  # assign{kind = "depot"}: ids of lookup.depots
 *     rules: {ticket.sev1: leads}  # alerts of rule ticket.sev1: ids of lookup.leads
 *
 * Without the section, every assignee is a staff id when the config
 * declares a lookup `staff` (as before the section existed). `crmpolicy
 * test` (and `check --fixtures`) check the assignees of the rules a fixture
 * selects; every command checks the section itself. */
#ifndef CP_ASSIGNEES_H
#define CP_ASSIGNEES_H

#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "facts.h"
#include "idindex.h"
#include "outcome.h"

/* Checks the section: known keys, and lookups the config declares. Prints
 * a message with the config's file:line and returns CP_ECONFIG otherwise. */
cp_err cp_assignees_check(const cp_config *cfg);

/* Returns the index of the lookup that the assignee of an alert (kind
 * NULL) of rule or of an assignment of kind must be an id of, or -1 when
 * it is not checked. base, when not NULL, replaces the section's `default`
 * (and `alerts`): --assignees LOOKUP; "" checks nothing. */
int cp_assignees_lookup(const cp_config *cfg, const char *base, const char *kind,
                        const char *rule);

/* Writes into buf what is wrong with item it of client: its assignee is
 * not an id of lookup li (with, for an alert, how to name another). */
void cp_assignees_say(const cp_config *cfg, const cp_item *it, const char *client, int li,
                      char *buf, size_t size);

/* Checks the --assignees option (NULL: not given; "": checks nothing):
 * names a lookup the config declares, else CP_EUSAGE with a message. */
cp_err cp_assignees_option(const cp_config *cfg, const char *base);

/* What `run` checks assignees with: the lookups' ids, indexed once. */
typedef struct cp_assignee_check {
  const cp_config *cfg;     /* the config (not owned) */
  cp_facts *facts;          /* the lookups' reader (not owned) */
  cp_id_index **index;      /* per lookup: its ids, made when first needed */
  uint64_t wrong;           /* assignees found in no lookup of their kind */
} cp_assignee_check;

/* Starts checking a run's assignees; only a config with an `assignees`
 * section is checked (a run without one behaves as before). Returns
 * CP_ENOMEM or CP_OK. End with cp_assignees_end(). */
cp_err cp_assignees_start(cp_assignee_check *a, const cp_config *cfg, cp_facts *facts);

/* Warns (the first 10, then once that more follow) about each assignee of
 * the outcome's alerts and assignments that is not an id of its kind's
 * lookup. Call it after the picks are settled. */
void cp_assignees_outcome(cp_assignee_check *a, const cp_outcome *o);

/* Frees what the check holds; accepts a check never started. */
void cp_assignees_end(cp_assignee_check *a);

#endif
