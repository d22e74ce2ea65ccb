/* lintsrc.h: `crmpolicy check`'s reading of the rule files' text, without
 * running them: params paths written with dots that the config lacks, and
 * fields of a rule's client (the parameter of `fn = function(c)`) that are
 * not a column, per-client table or derived value. */
#ifndef CP_LINTSRC_H
#define CP_LINTSRC_H

#include "config.h"
#include "lint.h"
#include "rules.h"

/* Reads every rule file of cfg: records in l each params key read with a
 * dot that the config lacks (reported with the other params reads), and
 * warns about each unknown client field. Returns the number of client
 * field warnings. Files that cannot be read are left to the loader. Sets
 * *rc to CP_ENOMEM (said) when memory ran out, else CP_OK. */
unsigned cp_lintsrc_check(cp_lint *l, const cp_config *cfg, cp_rules *rules, cp_err *rc);

#endif
