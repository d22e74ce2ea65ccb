/* settle.h: the writer's first step for each outcome, between the rules that
 * made it and the store that merges it: staffing picks resolved against the
 * assignments open before the run, in client order. */
#ifndef CP_SETTLE_H
#define CP_SETTLE_H

#include "outcome.h"
#include "rules.h"
#include "store.h"

/* Seeks the store to o's client (closing the results of clients skipped
 * over), resolves o's picks against the assignments open before the run, and
 * sorts o for cp_store_apply(). Call in ascending client order. */
cp_err cp_settle(cp_rules *rules, cp_store *store, cp_outcome *o);

#endif
