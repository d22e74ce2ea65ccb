/* settle.c: the writer's first step for each outcome (settle.h). */
#include "settle.h"

#include "pool.h"

/* Prior-assignment lookup for the pick resolver: the store's buffer. */
static const char *prior_assignee(void *ctx, const char *rule, const char *key)
{
  return cp_store_prior_assignee(ctx, rule, key);
}

cp_err cp_settle(cp_rules *rules, cp_store *store, cp_outcome *o)
{
  cp_err rc;
  if (o->evaluated && ((rc = cp_store_seek(store, o->client_id)) != CP_OK ||
                       (rc = cp_pool_resolve(rules, o, prior_assignee, store)) != CP_OK))
    return rc;
  cp_outcome_sort(o);
  return CP_OK;
}
