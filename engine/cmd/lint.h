/* lint.h: what `crmpolicy check` finds beyond errors: params that no rule
 * reads, params that rules read but the config lacks, rules that no fixture
 * checks, and (through the fixtures) assignees that are not staff ids. */
#ifndef CP_LINT_H
#define CP_LINT_H

#include <lua.h>

#include "cli.h"
#include "ytree.h"

typedef struct cp_lint cp_lint;

/* Returns a new, empty record of params reads (NULL when out of memory).
 * Free with cp_lint_free(). */
cp_lint *cp_lint_new(void);

/* Frees a record; accepts NULL. */
void cp_lint_free(cp_lint *l);

/* Pushes params as cp_params_push() does (nested read-only tables), whose
 * every read is recorded in ctx (the cp_lint) with the file:line that made
 * it: the `params` hook of a cp_rules_watch. */
void cp_lint_params_push(void *ctx, lua_State *L, const yt_node *params);

/* Records that path.key, which the config lacks, is read at where
 * ("rules/x.lua:12"): reported with the reads the rules made. */
void cp_lint_note(cp_lint *l, const char *path, const char *key, const char *where);

/* `crmpolicy check`: loads the config, the facts' shape and every rule file
 * once (writing nothing), then prints the lint as warnings. With --fixtures
 * DIR the fixtures run (quietly) to see which params and rules they reach.
 * Exit 0 when everything loads (warnings do not change it), else the exit
 * code of the error. */
cp_exit cp_cmd_check(const cp_opts *o);

#endif
