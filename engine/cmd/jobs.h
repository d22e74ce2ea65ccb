/* jobs.h: evaluating clients, in one thread or in several workers, and
 * handing the outcomes to one writer in client order. */
#ifndef CP_JOBS_H
#define CP_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"
#include "outcome.h"
#include "rules.h"
#include "store.h"

/* Receives each outcome, in ascending client order, in the calling thread.
 * It may change the outcome (resolve picks, sort); returns CP_OK to go on. */
typedef cp_err (*cp_writer_fn)(void *ctx, cp_outcome *o);

/* Evaluates every client of facts with rules, whose run values are computed
 * (cp_rules_prepare()). jobs = 1 streams client by client in this thread;
 * jobs > 1 starts that many workers, each with its own facts connection and
 * sandbox (sharing the run values of rules), over chunks of clients, and
 * writes their outcomes in order here: the results do not depend on jobs.
 * Outcomes that carry only data problems (found between clients) are written
 * too. Returns the first error. */
cp_err cp_jobs_evaluate(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                        int jobs, cp_writer_fn write, void *ctx);

/* cp_rules_prepare() then cp_jobs_evaluate(); with jobs > 1 the workers
 * start meanwhile: each opens its facts and sandbox and may compute the
 * aggregates of one table whose aggregates are numeric, which this thread
 * copies in table order, so that the run values are those of jobs = 1. */
cp_err cp_jobs_run(const cp_config *cfg, int64_t as_of, cp_facts *facts, cp_rules *rules,
                   int jobs, cp_writer_fn write, void *ctx);

#endif
