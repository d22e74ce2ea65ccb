/* trace.h: explain's record of one client's evaluation: for the scope, each
 * rule and each derived value, what it read (derived values, client columns
 * and tables, in the order first read) and the reasons it gave with why().
 * The rule API fills it through the cp_tracer hooks of cp_trace_tracer(). */
#ifndef CP_TRACE_H
#define CP_TRACE_H

#include <stddef.h>

#include "config.h"
#include "rules.h"

/* Kinds of things read, beside the CP_NAME_* codes of client fields. */
enum { CP_TRACE_DERIVED = CP_NAME_DERIVED };

/* One thing read, with its value as text. */
typedef struct cp_tread {
  int kind;                 /* CP_NAME_ID, _COLUMN, _TABLE, _DERIVED or _RUN */
  char *name;               /* field or derived id */
  char *value;              /* the value, as text ("nil", "<3 rows>") */
  int text;                 /* the value is a string (JSON quotes it) */
} cp_tread;

/* What one rule, the scope, or one derived value read and said. */
typedef struct cp_tctx {
  char *name;               /* rule id, derived id, or "scope" */
  cp_tread *reads;          /* first reads, in order */
  size_t n_reads, cap_reads;
  char **why;               /* reasons given with why(), in order */
  size_t n_why, cap_why;
  size_t why_dropped;       /* reasons not kept: the client's reasons were full */
  char *value;              /* derived values: the value as text, or the error */
  int text;                 /* derived values: the value is a string */
  int failed;               /* derived values: the derivation failed */
  unsigned seq;             /* derived values: order of completion, from 1 */
  int not_run;              /* rules: not run, the client having no rows it needs */
} cp_tctx;

/* The record of one client. */
typedef struct cp_trace {
  cp_tctx scope;            /* the scope function */
  cp_tctx *rules;           /* one per check, in the rules' order */
  size_t n_rules;           /* number of checks */
  cp_tctx *derived;         /* derived values, in the order they started */
  size_t n_derived, cap_derived;
  size_t stack[64];         /* derived values being computed (indices) */
  int depth;                /* how many */
  unsigned seq;             /* completions so far */
  int oom;                  /* something could not be recorded */
  size_t why_bytes;         /* bytes of the reasons kept, at most limits.memory_mb */
  const cp_config *cfg;     /* the config (column types) */
  const cp_rules *loaded;   /* the rules evaluated (which check is current) */
  cp_tracer hooks;          /* what the rule API calls: cp_trace_tracer() */
} cp_trace;

/* Returns a new, empty record for the checks of rules, loaded from cfg (NULL
 * when out of memory). Free with cp_trace_free(). */
cp_trace *cp_trace_new(const cp_config *cfg, const cp_rules *rules);

/* The hooks that fill t, for cp_rules_set_tracer(); owned by t. */
const cp_tracer *cp_trace_tracer(cp_trace *t);

/* Frees a record; accepts NULL. */
void cp_trace_free(cp_trace *t);

/* Returns the derived value called id, or NULL when it was not computed. */
const cp_tctx *cp_trace_derived(const cp_trace *t, const char *id);

#endif
