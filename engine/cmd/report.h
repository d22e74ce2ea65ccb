/* report.h: `crmpolicy report` (report.c), which writes the rows of the
 * report a policy declares (reportdef.h) as CSV or as one self-contained
 * HTML page with SVG charts (html.c, htmlchart.c). The engine knows no
 * report content: the scope, the columns and every value come from Lua. */
#ifndef CP_REPORT_H
#define CP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "reportdef.h"

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
  int folded;                                      /* the last group sums the groups past
                                                      the others (a ninth and on) */
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

/* --- rtable.c --- */

/* The report's table: its rows as CSV or HTML, grouped and with subtotals
 * and a total row when report{} asks. */
typedef struct cp_rtable cp_rtable;

/* Starts the table of report d into *t: for CSV, writes its header to out
 * (after a UTF-8 byte order mark when bom). CSV rows in client order go
 * straight to out; HTML rows and grouped rows wait in a temporary file
 * until cp_rtable_write(). Close with cp_rtable_close() in every case. */
cp_err cp_rtable_open(const cp_report_def *d, const cp_config *cfg, int html, int bom, FILE *out,
                      cp_rtable **t);

/* Adds a row (of client `client`) to the table and to its totals. Returns
 * 1; 0 when the row cannot be added (its sum would pass 64 bits, or it
 * would make one group too many), with a message in err and nothing
 * changed; -1 when out of memory or a write failed (said already). */
int cp_rtable_add(cp_rtable *t, const cp_rrow *row, const char *client, sbuf *err);

/* Writes what waits to out: the rows (group by group, each with its
 * subtotal) and the total row. */
cp_err cp_rtable_write(cp_rtable *t, FILE *out);

/* Frees the table and its temporary file; accepts NULL. */
void cp_rtable_close(cp_rtable *t);

/* --- html.c --- */

/* Writes the whole page to out: title, charts, the table t and failures. */
cp_err cp_html_write(const cp_report_page *p, cp_rtable *t, FILE *out);

/* Writes n bytes of s escaped for HTML text and attribute values: a byte
 * that is not UTF-8, or a control character HTML does not allow, as U+FFFD;
 * a NUL byte is left out. */
void cp_html_esc(FILE *f, const char *s, size_t n);

/* --- htmlchart.c --- */

/* Draws the monthly series chart of the page as inline SVG; t: scratch. */
void cp_htmlchart_series(FILE *f, const cp_report_page *p, sbuf *t);

/* Draws the open alerts of the page by rule and severity as inline SVG. */
void cp_htmlchart_alerts(FILE *f, const cp_report_page *p, sbuf *t);

#endif
