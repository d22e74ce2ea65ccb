/* guard.h: the guards of `crmpolicy run` against a bad export and a rewind:
 * each refuses the run, before anything is written, with the numbers. */
#ifndef CP_GUARD_H
#define CP_GUARD_H

#include <stdint.h>

#include "cli.h"
#include "facts.h"
#include "rules.h"
#include "store.h"
#include "tally.h"

/* Before the state is opened: refuses a run whose clients table is empty.
 * Returns 0 to go on, 1 when refused (message printed), -1 on an error. */
int cp_guard_facts(const cp_config *cfg, cp_facts *facts, const cp_opts *o);

/* After the run began: refuses an as-of date earlier than the last run's
 * unless --replay. Returns 0 or 1 (refused, message printed). */
int cp_guard_as_of(const cp_store *s, const cp_opts *o);

/* After the run began: counts the rows of each per-client and lookup table
 * of the facts (up to guard.table_empty_min); refuses, unless --force or
 * guard.allow_empty, a run where one has none and had table_empty_min or
 * more in the last run (fewer: a warning). Returns 0, or 1 (refused, a
 * message printed for each table refused; the run still evaluates, so that
 * cp_guard_commit and cp_guard_table_rows say the other reasons). */
int cp_guard_tables(const cp_config *cfg, cp_facts *facts, const cp_store *s, const cp_opts *o);

/* After the run began, before any result is applied: refuses, unless
 * --force or guard.allow_removed names it, a run whose rules no longer
 * report under an id of which the state holds open alerts or proposed
 * assignments (a rule file left out of the config, a rule renamed): the
 * run would resolve and withdraw them all. Returns 0, 1 (refused, a
 * message for each id; the run still evaluates, so that the other reasons
 * are said), or -1 on an error (said). */
int cp_guard_rules(const cp_config *cfg, const cp_rules *rules, cp_store *s, const cp_opts *o);

/* Before the commit: refuses a run whose evaluated clients fell, or that
 * resolves, more than the config's shares allow, unless --force. Returns 0,
 * 1 (refused, a message printed for each share passed) or 2 (refused: no
 * client was evaluated at all, so no other count says more; number_ids:
 * the facts' client ids are numbers, which --force would not mend). */
int cp_guard_commit(const cp_config *cfg, const cp_store *s, const cp_opts *o, int number_ids);

/* Before the commit: records the rows the run read of each per-client and
 * lookup table (for the next run), and refuses, unless --force or a replay,
 * a run where one of them fell by more than guard.table_drop_percent from
 * the last run's, once that had guard.min_count or more (not for a table
 * of guard.allow_empty; not for one come empty, which cp_guard_tables
 * said). Returns 0, or 1 (refused, a message printed for each table
 * refused); *rc is set on an error. */
int cp_guard_table_rows(const cp_config *cfg, const cp_facts *facts, cp_store *s,
                        const cp_opts *o, cp_err *rc);

/* Before the commit: refuses, unless --force or a replay, a run where the
 * share of a table's rows with a data problem in one column (the counts of
 * tally) rose by more than guard.column_problem_percent points from the
 * last run's (an export whose date or number format changed), once both
 * runs read guard.table_min_count rows or more of it. Returns 0, 1
 * (refused, a message for each column), or -1 on an error (said). */
int cp_guard_columns(const cp_config *cfg, const cp_facts *facts, cp_store *s, const cp_opts *o,
                     const cp_tally *tally);

#endif
