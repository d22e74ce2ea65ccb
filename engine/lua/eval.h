/* eval.h: evaluating one client: every check, under the budget. */
#ifndef CP_EVAL_H
#define CP_EVAL_H

#include "facts.h"
#include "outcome.h"
#include "rules.h"

/* Evaluates every check for client c into out (reset by the caller). A check
 * that fails is recorded in out; only running out of host memory fails the
 * call. */
cp_err cp_eval_client(cp_rules *r, const cp_client *c, cp_outcome *out);

#endif
