/* settle.c: the writer's first step for each outcome (settle.h). */
#include "settle.h"

#include "pool.h"

/* Prior-assignment lookup for the pick resolver: the store's buffer. */
static const char *prior_assignee(void *ctx, const char *rule, const char *key,
                                  const char **pool, const char **group, int *held)
{
  return cp_store_prior_assignee(ctx, rule, key, pool, group, held);
}

/* An assignment open before the run: its member's load, from the start,
 * in a pool that holds across runs. */
static void open_pick(void *ctx, const char *pool, const char *group, const char *assignee)
{
  cp_pool_hold_open(ctx, pool, group, assignee);
}

/* A kept pick of a rule that failed for the client: its member's load. */
static void kept_pick(void *ctx, const char *pool, const char *group, const char *assignee)
{
  cp_pool_hold(ctx, pool, group, assignee);
}

cp_err cp_settle(cp_rules *rules, cp_store *store, cp_outcome *o)
{
  cp_err rc = CP_OK;
  if (cp_pools_across_runs(rules) &&   /* the first time: the loads held from the start */
      (rc = cp_store_open_picks(store, open_pick, rules)) != CP_OK)
    return rc;
  if (o->evaluated) {
    rc = cp_store_seek(store, o->client_id);
    if (rc != CP_OK)
      return rc;
    cp_store_kept_picks(store, o, kept_pick, rules);   /* they stay: so do their loads */
    if ((rc = cp_pool_resolve(rules, o, prior_assignee, store)) != CP_OK)
      return rc;
  }
  cp_outcome_sort(o);
  return CP_OK;
}
