/* outcome.h: what evaluating one client produced: alerts, assignments,
 * fulfilment markers, and the rules that failed (whose old results stay). */
#ifndef CP_OUTCOME_H
#define CP_OUTCOME_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "facts.h"
#include "sbuf.h"

/* What an item is. Alerts sort before assignments; markers with these. */
typedef enum cp_what {
  CP_ALERT = 0,       /* an alert that holds now */
  CP_ASSIGN = 1,      /* an assignment that is needed now */
  CP_FULFILLED = 2,   /* an assignment that the facts show done */
  CP_DROPPED = 3      /* removed while resolving picks; gone after compaction */
} cp_what;

/* Severity of an alert, in increasing order. */
typedef enum cp_severity { CP_INFO, CP_WARNING, CP_CRITICAL } cp_severity;

#define CP_SEVERITIES 3       /* info, warning, critical */

/* Severity names, least severe first (indexed by cp_severity). */
extern const char *const cp_outcome_severity_names[CP_SEVERITIES];

/* One result of one rule for one client. Strings are owned by the outcome. */
typedef struct cp_item {
  cp_what what;             /* alert, assignment or marker */
  const char *rule;         /* rule id */
  const char *key;          /* key ("" when none) */
  const char *kind;         /* assignments: kind (assign_staff, ...) */
  const char *assignee;     /* staff id, or NULL */
  const char *title;        /* alerts: one-line title */
  const char *data;         /* canonical JSON object text */
  cp_severity severity;     /* alerts: severity */
  int level;                /* alerts: escalation step from 1 */
  const char *pool;         /* assignments: pick the assignee from this pool */
  const char *group;        /* ... among its members of this group (after resolving: the
                               group the assignee was picked from) */
  const char *fallback;     /* groups tried in order when group has nobody: each text
                               ended by a NUL, the list by an empty text; or NULL */
  int keep_while_member;    /* a pick (keep = "while_member"): an assignee kept from an
                               earlier run stays only while a member of its group */
  int if_unfilled;          /* alerts: stands only when the pick with this key fails */
  const char *unfilled_of;  /* then the rule of that pick's assignment (its key is this key) */
} cp_item;

/* A rule that failed for the client: its results there stay as they were. */
typedef struct cp_failure {
  const char *rule;         /* rule id (its extra emitted ids are failed too) */
  const char *message;      /* "rules/x.lua:40: ..." */
  const char *traceback;    /* Lua traceback, possibly "" */
  int repeat;               /* a rule skipped since an earlier client: stored, not printed */
  int notice;               /* printed even past the run's first 20 errors: a rule or the
                               scope is skipped from this client on */
} cp_failure;

/* Everything evaluated for one client. Zero-initialise; reset per client. */
typedef struct cp_outcome {
  const char *client_id;    /* the client (owned by the outcome) */
  cp_item *items;           /* results, sorted by cp_outcome_sort() */
  size_t n, cap;            /* items used and allocated */
  cp_failure *failures;     /* failed rules */
  size_t n_failures, cap_failures;
  const char **failed_ids;  /* every rule id whose old results stay (with emits) */
  size_t n_failed_ids, cap_failed_ids;
  cp_finding *findings;     /* data problems met while reading this client */
  size_t n_findings, cap_findings;
  int skipped;              /* out of scope: nothing holds for this client */
  int scope_failed;         /* the scope failed: every rule failed for this client */
  int evaluated;            /* a client was evaluated (0: findings only) */
  cp_arena arena;           /* strings */
  sbuf prints;              /* what the rules print()ed for the client, when a --jobs
                               worker evaluated it (cp_sandbox_carry_prints()): whole
                               lines, escaped, each ended by '\n', for the writer to
                               write in client order under the run's print() cap */
  size_t *print_counts;     /* per line: what it counts against that cap */
  size_t n_prints, cap_prints;
  size_t print_counted;     /* what all of the client's print() calls count, those of the
                               lines not kept here included */
} cp_outcome;

/* Returns the bytes outcome o holds from malloc (its arrays and strings). */
size_t cp_outcome_bytes(const cp_outcome *o);

/* Returns a copy of s owned by the outcome, or NULL when out of memory. */
const char *cp_outcome_text(cp_outcome *o, const char *s);

/* Appends a copy of item (strings copied into the arena). Returns CP_ENOMEM
 * on failure. */
cp_err cp_outcome_add(cp_outcome *o, const cp_item *item);

/* Records that rule failed; ids lists it and the ids it emits (NULL-ended). */
cp_err cp_outcome_fail(cp_outcome *o, const char *rule, const char *const *ids,
                       const char *message, const char *traceback);

/* Appends a copy of a data problem (strings copied into the arena). */
cp_err cp_outcome_finding(cp_outcome *o, const cp_finding *f);

/* Appends a print() line: n bytes of line (escaped, ended by '\n') that count
 * counted bytes against the run's print() cap. Returns CP_ENOMEM on failure,
 * the outcome as it was. */
cp_err cp_outcome_print(cp_outcome *o, const char *line, size_t n, size_t counted);

/* Returns 1 when results of rule id must stay as they were. */
int cp_outcome_failed(const cp_outcome *o, const char *rule);

/* Drops what a rule reported, under any of its ids (NULL-ended; NULL:
 * none): its results there are then those of earlier runs. */
void cp_outcome_drop(cp_outcome *o, const char *const *ids);

/* Removes dropped items, then sorts by (what, rule, key) in byte order, the
 * order of the state. Until then items are in the order rules reported them. */
void cp_outcome_sort(cp_outcome *o);

/* Returns the item (what, rule, key) or NULL. */
const cp_item *cp_outcome_find(const cp_outcome *o, cp_what what, const char *rule,
                               const char *key);

/* Empties the outcome for the next client, keeping its memory. */
void cp_outcome_reset(cp_outcome *o);

/* Empties the outcome like cp_outcome_reset(), then frees its memory too
 * when what it keeps still holds more than keep bytes (cp_outcome_bytes()):
 * for outcomes that wait to be reused, many at a time, after one client's
 * results made them grow. */
void cp_outcome_trim(cp_outcome *o, size_t keep);

/* Frees the outcome's memory; accepts NULL. */
void cp_outcome_free(cp_outcome *o);

/* Name of a severity ("info", "warning", "critical"). */
const char *cp_outcome_severity_name(cp_severity s);

/* Parses a severity name; returns -1 when unknown. */
int cp_outcome_severity_parse(const char *s);

#endif
