/* report.h: the report a policy declares with report{} (reportdef.c) and
 * `crmpolicy report` (report.c), which writes its rows as CSV or as one
 * self-contained HTML page with SVG charts (html.c). The engine knows no
 * report content: the scope, the columns and every value come from Lua. */
#ifndef CP_REPORT_H
#define CP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "facts.h"
#include "rules.h"
#include "sbuf.h"

#define CP_REPORT_MONTHS 12   /* points of the monthly series: the months ending with M */
#define CP_REPORT_GROUPS 8    /* series groups (chart lines) at most */
#define CP_SEVERITIES 3       /* info, warning, critical */

/* Severity names, least severe first: the order of alert counts. */
extern const char *const cp_severity_names[CP_SEVERITIES];

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
extern const char *const cp_rtype_names[CP_RT_COUNT];

/* One declared column. */
typedef struct cp_rcolumn {
  char *id;                 /* key in the row table */
  char *label;              /* header text */
  char *group;              /* header of the columns it groups with, or NULL */
  cp_rtype type;            /* how values are checked and shown */
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

/* Open alerts of one rule, by severity. */
typedef struct cp_ralerts {
  char *rule;                       /* rule id (owned) */
  uint64_t n[CP_SEVERITIES];        /* counts, by severity */
} cp_ralerts;

/* Everything the HTML page shows besides the rows. */
typedef struct cp_report_page {
  const cp_report_def *def;                        /* the report (not owned) */
  const cp_config *cfg;                            /* the config: locale, labels (not owned) */
  cp_rmonth month;                                 /* the month M */
  cp_rmonth months[CP_REPORT_MONTHS];              /* the series' months, oldest first */
  int64_t as_of;                                   /* the as-of day of the facts */
  int in_progress;                                 /* as_of is before the month's last day */
  char *groups[CP_REPORT_GROUPS];                  /* series groups, legend order (owned) */
  size_t n_groups;                                 /* number of groups */
  double series[CP_REPORT_GROUPS][CP_REPORT_MONTHS];  /* group sums over the rows */
  cp_ralerts *alerts;                              /* open alerts of the rows' clients (owned) */
  size_t n_alerts, cap_alerts;                     /* used and allocated */
  uint64_t all_alerts;                             /* open alerts of all clients */
  int64_t alerts_run;                              /* run whose state is shown; 0: none */
  char alerts_as_of[11];                           /* its as-of date */
  uint64_t rows;                                   /* rows written */
  uint64_t failed;                                 /* rows that failed */
  sbuf failures;                                   /* the first failures' messages, a line each */
} cp_report_page;

/* --- report.c --- */

/* `crmpolicy report`: writes the declared report for a month to -o FILE. */
cp_exit cp_cmd_report(const cp_opts *o);

/* Parses "YYYY-MM" into the epoch day of that month's first day. Returns 0,
 * or -1 when the text is not a month. */
int cp_report_parse_month(const char *s, int64_t *first);

/* Fills *m with the month `shift` months after the month of day (negative:
 * before). */
void cp_report_month(int64_t day, int shift, cp_rmonth *m);

/* Writes value v of a column of type `type` as people read it into out
 * (cleared first); nil is empty, or a dash for a ratio-change. */
void cp_report_cell(cp_rtype type, const cp_rcell *v, sbuf *out);

/* Writes value v as CSV carries it into out (cleared first): as
 * cp_report_cell() does, but money as a plain number (1234567.89) and nil
 * as nothing, so that a spreadsheet reads numbers. */
void cp_report_cell_plain(cp_rtype type, const cp_rcell *v, sbuf *out);

/* Appends n with thousands separators; with cents, n is in cents and shown
 * with two decimals. */
void cp_report_number(sbuf *out, int64_t n, int cents);

/* --- reportdef.c --- */

/* Registers report{} in the rules' environment (rules.c calls it). */
void cp_report_register(cp_rules *api);

/* Copies the declared report into a new *out, freed with
 * cp_report_def_free(). Returns CP_ERULES, with a message naming the config,
 * when no rule file declares one. */
cp_err cp_report_def_load(cp_rules *r, const char *config, cp_report_def **out);

/* Frees a report definition; accepts NULL. */
void cp_report_def_free(cp_report_def *d);

/* Sets the `month` table that row functions get: M, prev, year_ago and the
 * series' months, each {name=, first=, last=, through=}; through is the
 * as-of day in M while M is in progress (M.in_progress), and the same day
 * of the month in prev, year_ago and M's series point, so that they compare
 * like for like. Returns CP_ENOMEM on failure. */
cp_err cp_report_set_month(cp_rules *r, const cp_rmonth *m, int64_t as_of);

/* Computes client c's row, under the rules' budget: 1 with *row filled, 0
 * when the client is out of the policy's or the report's scope, -1 when it
 * failed, with "file:line: message (report ID, client ID)" in err. alerts:
 * the client's open alerts, by severity. */
int cp_report_row(cp_rules *r, const cp_report_def *d, const cp_client *c,
                  const uint64_t alerts[CP_SEVERITIES], cp_rrow *row, sbuf *err);

/* Frees the buffers of a row; the row may be reused. */
void cp_rrow_free(cp_rrow *row);

/* --- html.c --- */

typedef struct cp_html cp_html;

/* Starts an HTML page: the table rows go to a temporary file until the page
 * is written. Close with cp_html_close(). */
cp_err cp_html_open(cp_html **out);

/* Adds one row of the table. */
cp_err cp_html_row(cp_html *h, const cp_report_def *d, const cp_rrow *row);

/* Writes the whole page to out: title, charts, table and failures. */
cp_err cp_html_write(cp_html *h, const cp_report_page *p, FILE *out);

/* Frees the page's buffers; accepts NULL. */
void cp_html_close(cp_html *h);

/* Writes n bytes of s escaped for HTML text and attribute values. */
void cp_html_esc(FILE *f, const char *s, size_t n);

/* --- htmlchart.c --- */

/* Draws the monthly series chart of the page as inline SVG; t: scratch. */
void cp_html_series_chart(FILE *f, const cp_report_page *p, sbuf *t);

/* Draws the open alerts of the page by rule and severity as inline SVG. */
void cp_html_alerts_chart(FILE *f, const cp_report_page *p, sbuf *t);

#endif
