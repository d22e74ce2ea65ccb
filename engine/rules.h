/* rules.h: the policy as loaded: rule files in a sandbox, their checks,
 * derived values, run-wide values, and per-client evaluation. */
#ifndef CP_RULES_H
#define CP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"
#include "outcome.h"

typedef struct cp_api cp_rules;

/* A check as declared with rule{...}. */
typedef struct cp_rule cp_rule;

/* Loads every rule file of the config into a new sandbox, with the rule API,
 * params and the lookup tables of facts, then locks the globals. as_of is the
 * as-of day. Prints "file:line: message" and returns CP_ERULES when a file
 * does not compile or its top level fails. Close with cp_rules_close(). */
cp_err cp_rules_load(const cp_config *cfg, cp_facts *facts, int64_t as_of, cp_rules **out);

/* Computes the run-wide values: aggregates (one pass over their tables),
 * globals in declaration order, then pools. Prints and returns CP_EEVAL on an
 * error. */
cp_err cp_rules_prepare(cp_rules *r);

/* Evaluates every check for client c into out (reset by the caller). A check
 * that fails is recorded in out; only running out of host memory fails the
 * call. */
cp_err cp_rules_eval(cp_rules *r, const cp_client *c, cp_outcome *out);

/* Looks up the assignee of a client's open assignment (rule, key) from an
 * earlier run; NULL when none. */
typedef const char *(*cp_prior_fn)(void *ctx, const char *rule, const char *key);

/* Resolves the picks of an outcome (in reporting order, before sorting): an
 * assignment still open from an earlier run keeps its assignee; otherwise the
 * pool member of the group with the smallest load below its capacity, then
 * the smallest id, is chosen and its load grows. When nobody qualifies, the
 * assignment is dropped and its `unfilled` alert stands. Clients must come in
 * ascending id order for the result to be the policy's. */
cp_err cp_rules_resolve(cp_rules *r, cp_outcome *o, cp_prior_fn prior, void *ctx);

/* Number of checks, and the id, doc and place of check i. */
size_t cp_rules_count(const cp_rules *r);
const char *cp_rules_id(const cp_rules *r, size_t i);
const char *cp_rules_doc(const cp_rules *r, size_t i);
const char *cp_rules_where(const cp_rules *r, size_t i);

/* Frees the rules and their sandbox; accepts NULL. */
void cp_rules_close(cp_rules *r);

#endif
