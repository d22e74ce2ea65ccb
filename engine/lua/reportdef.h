/* reportdef.h: the report a policy declares with report{}: its columns, the
 * rows its row function returns, checked against them, and the months it
 * compares. The rules' side of `crmpolicy report` (cmd/report.h). */
#ifndef CP_REPORTDEF_H
#define CP_REPORTDEF_H

#include <lauxlib.h>
#include <stdint.h>

#include "facts.h"
#include "outcome.h"
#include "rules.h"
#include "sbuf.h"

#define CP_REPORT_MONTHS 12   /* points of the monthly series: the months ending with M */
#define CP_REPORT_GROUPS 8    /* series groups (chart lines) at most */
/* A series value, and a group's sum for a month, at most this in size: the
 * chart's labels stay exact (a double holds integers to 2^53). */
#define CP_REPORT_SERIES_MAX 1e15
/* A percent or ratio-change cell (a fraction) at most this in size: shown
 * as at most 10^15 %, as many digits as a series value (1e300 printed a
 * 300-digit percent). */
#define CP_REPORT_FRACTION_MAX 1e13
/* How a column's values are checked and shown. */
typedef enum cp_rtype {
  CP_RT_TEXT,       /* a string, as it is */
  CP_RT_MONEY,      /* integer cents, shown in yuan: 1,234,567.89 */
  CP_RT_INTEGER,    /* an integer */
  CP_RT_PERCENT,    /* a ratio, shown as 3.21% */
  CP_RT_DATE,       /* an epoch day, shown as YYYY-MM-DD */
  CP_RT_CHANGE,     /* a relative change, shown as +12.50%; nil shows as a dash */
  CP_RT_COUNT       /* number of types */
} cp_rtype;

/* Type names as report{} spells them, indexed by cp_rtype. */
extern const char *const cp_reportdef_type_names[CP_RT_COUNT];

/* What a column shows in a subtotal or total row. */
typedef enum cp_rtotal {
  CP_RTOTAL_NONE,           /* nothing (the default of text, date, percent, ratio-change) */
  CP_RTOTAL_SUM,            /* the sum (money and integer; their default) */
  CP_RTOTAL_MIN,            /* the smallest value */
  CP_RTOTAL_MAX,            /* the largest value */
  CP_RTOTAL_COUNT,          /* how many rows have a value, shown as an integer */
  CP_RTOTAL_KINDS           /* number of kinds */
} cp_rtotal;

/* Total kinds as report{} spells them, indexed by cp_rtotal ("none" is false). */
extern const char *const cp_reportdef_total_names[CP_RTOTAL_KINDS];

/* One declared column. */
typedef struct cp_rcolumn {
  char *id;                 /* key in the row table */
  char *label;              /* header text */
  char *group;              /* header of the columns it groups with, or NULL */
  cp_rtype type;            /* how values are checked and shown */
  cp_rtotal total;          /* what subtotal and total rows show in it */
} cp_rcolumn;

/* What report{} declared, copied out of Lua. */
typedef struct cp_report_def {
  char *id;                 /* report id ("monthly") */
  char *title;              /* page title */
  char *doc;                /* what the report is, for people */
  char *where;              /* "rules/report.lua:12", where it is declared */
  cp_rcolumn *columns;      /* columns, in order */
  size_t n_columns;         /* number of columns */
  char *series_title;       /* title of the series chart; NULL: the report has no series */
  cp_rtype series_type;     /* CP_RT_MONEY or CP_RT_INTEGER */
  char **groups;            /* series groups declared, in legend order */
  size_t n_groups;          /* number of declared groups */
  long group_by;            /* index of the column whose values group the rows, or -1 */
  int totals;               /* the table ends with a total row */
  int detail;               /* the clients' rows are shown (else subtotals and total only) */
} cp_report_def;

/* One value of a row. */
typedef struct cp_rcell {
  int nil;                  /* no value */
  int64_t i;                /* money, integer and date values */
  double r;                 /* percent and ratio-change values */
  sbuf s;                   /* text values (the buffer is kept from row to row) */
} cp_rcell;

/* One row as the row function returned it, checked against the columns. */
typedef struct cp_rrow {
  cp_rcell *cells;                  /* one per column */
  size_t n_cells;                   /* number of cells */
  int has_series;                   /* the row gave series = {group=, values=} */
  sbuf group;                       /* its series group */
  double values[CP_REPORT_MONTHS];  /* its series values, oldest month first */
} cp_rrow;

/* A calendar month. */
typedef struct cp_rmonth {
  char name[16];            /* "YYYY-MM" */
  int64_t first;            /* epoch day of its first day */
  int64_t last;             /* epoch day of its last day */
} cp_rmonth;

/* Fills *m with the month `shift` months after the month of day (negative:
 * before). */
void cp_reportdef_month(int64_t day, int shift, cp_rmonth *m);

/* report{}, for the rule API's namespace (rules.c). */
extern const luaL_Reg cp_reportdef_functions[];

/* Copies the declared report into a new *out, freed with
 * cp_reportdef_free(). Returns CP_ERULES, with a message naming the config,
 * when no rule file declares one. */
cp_err cp_reportdef_load(cp_rules *r, const char *config, cp_report_def **out);

/* Frees a report definition; accepts NULL. */
void cp_reportdef_free(cp_report_def *d);

/* Sets the `month` table that row functions get: M, prev, year_ago and the
 * series' months, each {name=, first=, last=, through=}; through is the
 * as-of day in M while M is in progress (M.in_progress), and the same day
 * of the month in prev, year_ago and M's series point, so that they compare
 * like for like. Returns CP_ENOMEM on failure. */
cp_err cp_reportdef_set_month(cp_rules *r, const cp_rmonth *m, int64_t as_of);

/* Open alerts of one rule, by severity. */
typedef struct cp_ralerts {
  char *rule;                       /* rule id (owned) */
  uint64_t n[CP_SEVERITIES];        /* counts, by severity */
} cp_ralerts;

/* Computes client c's row, under the rules' budget: 1 with *row filled, 0
 * when the client is out of the policy's or the report's scope, -1 when it
 * failed, with "file:line: message (report ID, client ID)" in err, -2 when
 * that failure ends a streak of 100 clients in a row out of budget or
 * memory (err says so: a notice), after which every row fails at once,
 * -1, err saying why. alerts:
 * the client's open alerts, by severity; by_rule[0..n_rules): by rule and
 * severity (rules with none are skipped). */
int cp_reportdef_row(cp_rules *r, const cp_report_def *d, const cp_client *c,
                  const uint64_t alerts[CP_SEVERITIES], const cp_ralerts *by_rule,
                  size_t n_rules, cp_rrow *row, sbuf *err);

/* Frees the buffers of a row; the row may be reused. */
void cp_reportdef_row_free(cp_rrow *row);

#endif
