/* pool.h: staffing picks: the members of pool{}s and who an assignment goes to. */
#ifndef CP_POOL_H
#define CP_POOL_H

#include "outcome.h"
#include "rules.h"

/* Looks up the assignee of a client's open assignment (rule, key) from an
 * earlier run; NULL when none. *pool and *group: the pick that row records
 * (NULL: none); *held: 1 when it was open before the run, so that a pool
 * across runs counted it from the start (0: a row a replayed day's own run
 * opened and a later one closed, kept in the replay). */
typedef const char *(*cp_prior_fn)(void *ctx, const char *rule, const char *key,
                                   const char **pool, const char **group, int *held);

/* Resolves the picks of an outcome (in reporting order, before sorting): an
 * assignment still open from an earlier run keeps its assignee; otherwise the
 * pool member of the group with the smallest load below its capacity, then
 * the smallest id, is chosen and its load grows. When nobody qualifies, the
 * assignment is dropped and its `unfilled` alert stands. Clients must come in
 * ascending id order for the result to be the policy's. */
cp_err cp_pool_resolve(cp_rules *r, cp_outcome *o, cp_prior_fn prior, void *ctx);

/* Fails, for the client of o, each rule that picks from a pool that failed
 * in this run, as cp_pool_resolve() does, without picking anyone: for
 * explain, which runs no pick but must not show such a rule as fired. */
cp_err cp_pool_fail_pickers(cp_rules *r, cp_outcome *o);

/* Adds one to the load of member id of pool's group, when there is one: a
 * proposed assignment kept as it was (its rule failed for the client) still
 * holds that member. */
void cp_pool_hold(cp_rules *r, const char *pool, const char *group, const char *id);

/* Adds one to the load of member id of pool's group when the pool holds
 * its members across runs (pool{across_runs = true}): an assignment open
 * before the run, counted before the first client. */
void cp_pool_hold_open(cp_rules *r, const char *pool, const char *group, const char *id);

/* Returns 1 when some pool holds its members across runs. */
int cp_pools_across_runs(const cp_rules *r);

#endif
