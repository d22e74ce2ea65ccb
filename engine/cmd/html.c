/* html.c: the report as one self-contained HTML page that works offline:
 * inline CSS, the table, and two inline SVG charts drawn here (the monthly
 * series by group, and the open alerts by rule and severity). No script, no
 * font or image from elsewhere; readable on screen and printed. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "report.h"

#define W 640                 /* width of a chart's drawing, in SVG units */

/* Colours and dash patterns of the series groups, in legend order (distinct
 * in print too); tests/report looks for the first two in a screenshot. */
static const char *const group_colours[CP_REPORT_GROUPS] = {
  "#1f4e9c", "#e8590c", "#2b8a3e", "#862e9c", "#0b7285", "#c2255c", "#5c940d", "#495057"};
static const char *const group_dashes[CP_REPORT_GROUPS] = {
  "none", "8 4", "2 3", "10 3 2 3", "none", "8 4", "2 3", "10 3 2 3"};

/* Colours of the severities, least severe first. */
static const char *const severity_colours[CP_SEVERITIES] = {"#74c0fc", "#f59f00", "#c92a2a"};

static const char css[] =
  "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Zen Hei\","
  "\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:24px;"
  "color:#212529;background:#fff}\n"
  "h1{font-size:22px;margin:0 0 4px}\n"
  "h2{font-size:15px;margin:16px 0 6px}\n"
  ".meta{color:#495057;font-size:13px;margin:0 0 4px}\n"
  ".doc{font-size:13px;margin:0 0 16px;max-width:70em}\n"
  ".charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}\n"
  "figure{margin:0;flex:1 1 520px;border:1px solid #dee2e6;border-radius:4px;"
  "padding:10px 12px}\n"
  "figcaption{font-weight:bold;font-size:14px;margin-bottom:6px}\n"
  "figcaption span{font-weight:normal;color:#495057;font-size:12px}\n"
  "svg{display:block;width:100%;height:auto}\n"
  "svg text{font-family:inherit;fill:#343a40}\n"
  ".rows{overflow-x:auto}\n"
  "table{border-collapse:collapse;font-size:12px}\n"
  "th,td{border:1px solid #ced4da;padding:3px 5px;vertical-align:top}\n"
  "th{background:#f1f3f5;text-align:left;font-weight:600;min-width:3em}\n"
  "td{white-space:nowrap}\n"
  "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
  "td.t{white-space:normal;word-break:keep-all;min-width:7em}\n"
  "tbody tr:nth-child(even){background:#f8f9fa}\n"
  ".errors pre{font-size:12px;white-space:pre-wrap;color:#a61e4d}\n"
  "@page{size:A4 landscape;margin:10mm}\n"
  "@media print{\n"
  "body{margin:0;font-size:9pt}\n"
  ".charts{flex-wrap:nowrap;gap:6mm}\n"
  "figure{flex:1 1 0;border:none;padding:0;break-inside:avoid}\n"
  "svg{max-height:150mm}\n"
  "h2.rows{break-before:page}\n"
  ".rows{overflow:visible}\n"
  "table{width:100%;font-size:6pt}\n"
  "th,td{padding:1px 2px}\n"
  "th{min-width:0}\n"
  "td.t{word-break:normal;min-width:0}\n"
  "th,tbody tr:nth-child(even){background:none}\n"
  "thead{display:table-header-group}\n"
  "tr{break-inside:avoid}\n"
  "}\n";

/* The page under construction. */
struct cp_html {
  FILE *rows;               /* the table's rows, until the page is written */
  sbuf text;                /* scratch for one value */
};

/* Writes n bytes of s escaped for HTML text and attribute values. */
static void esc(FILE *f, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    case '\0': break;   /* not allowed in a page */
    default: fputc(s[i], f);
    }
  }
}

/* Writes a NUL-terminated string escaped for HTML. */
static void esc_str(FILE *f, const char *s)
{
  esc(f, s, strlen(s));
}

cp_err cp_html_open(cp_html **out)
{
  cp_html *h = calloc(1, sizeof *h);
  *out = NULL;
  if (!h)
    return diag_fail(CP_ENOMEM, "report: out of memory");
  if (!(h->rows = tmpfile())) {
    free(h);
    return diag_fail(CP_EIO, "report: cannot create a temporary file: %s", strerror(errno));
  }
  *out = h;
  return CP_OK;
}

void cp_html_close(cp_html *h)
{
  if (!h)
    return;
  if (h->rows)
    fclose(h->rows);
  sbuf_free(&h->text);
  free(h);
}

/* Returns the class of a table cell of type t: text wraps between words,
 * numbers align right, dates neither. */
static const char *cell_class(cp_rtype t)
{
  if (t == CP_RT_DATE)
    return "";
  return t == CP_RT_TEXT ? " class=\"t\"" : " class=\"n\"";
}

cp_err cp_html_row(cp_html *h, const cp_report_def *d, const cp_rrow *row)
{
  fputs("<tr>", h->rows);
  for (size_t j = 0; j < d->n_columns; j++) {
    cp_report_cell(d->columns[j].type, &row->cells[j], &h->text);
    fprintf(h->rows, "<td%s>", cell_class(d->columns[j].type));
    esc(h->rows, h->text.s ? h->text.s : "", h->text.len);
    fputs("</td>", h->rows);
  }
  fputs("</tr>\n", h->rows);
  if (h->text.oom)
    return diag_fail(CP_ENOMEM, "report: out of memory");
  if (ferror(h->rows))
    return diag_fail(CP_EIO, "report: writing a temporary file: %s", strerror(errno));
  return CP_OK;
}

/* The value axis of a chart: lo..hi in steps, with round ticks. */
typedef struct axis {
  double lo, hi, step;      /* range and tick step, in value units */
} axis;

/* Returns an axis from min(lo, 0) to max(hi, 0) with about 5 round steps
 * (1, 2 or 5 times a power of ten), none smaller than unit. */
static axis nice_axis(double lo, double hi, double unit)
{
  axis a = {fmin(lo, 0), fmax(hi, 0), unit};
  double span = a.hi - a.lo;
  if (span <= 0)
    return (axis){0, 5 * unit, unit};
  double raw = span / 5, p = pow(10, floor(log10(raw))), f = raw / p;
  a.step = fmax(unit, (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p);
  a.lo = floor(a.lo / a.step) * a.step;
  a.hi = ceil(a.hi / a.step) * a.step;
  return a;
}

/* Writes tick value v: money in whole yuan, anything else as a whole number. */
static void tick_label(FILE *f, sbuf *t, cp_rtype type, double v)
{
  sbuf_clear(t);
  cp_report_number(t, llround(type == CP_RT_MONEY ? v / 100 : v), 0);
  esc(f, t->s ? t->s : "", t->len);
}

/* Writes a value for a tooltip: as its column type shows it. */
static void value_label(FILE *f, sbuf *t, cp_rtype type, double v)
{
  cp_rcell cell = {.i = llround(v)};
  cp_report_cell(type, &cell, t);
  esc(f, t->s ? t->s : "", t->len);
}

/* Writes the opening of a chart's SVG, with its accessible name. */
static void svg_open(FILE *f, int height, const char *name)
{
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
          "role=\"img\" aria-label=\"", W, height);
  esc_str(f, name);
  fputs("\">\n", f);
}

/* Draws the horizontal value grid of the series chart: lines and labels. */
static void series_grid(FILE *f, sbuf *t, cp_rtype type, axis a, double left, double top,
                       double ph)
{
  for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {
    double y = top + ph - (v - a.lo) / (a.hi - a.lo) * ph;
    fprintf(f, "<line x1=\"%.1f\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
            left, W - 32, y, y, fabs(v) < a.step / 2 ? "#868e96" : "#e9ecef", left - 6, y + 4);
    tick_label(f, t, type, v);
    fputs("</text>\n", f);
  }
}

/* Draws the legend of the series chart: one sample line and name per group. */
static void series_legend(FILE *f, const cp_report_page *p)
{
  double x = 96;
  for (size_t g = 0; g < p->n_groups; g++) {
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"16\" y2=\"16\" stroke=\"%s\" "
            "stroke-width=\"3\" stroke-dasharray=\"%s\"/><circle cx=\"%.1f\" cy=\"16\" "
            "r=\"3.5\" fill=\"%s\"/><text x=\"%.1f\" y=\"20\" font-size=\"12\">",
            x, x + 26, group_colours[g], group_dashes[g], x + 13, group_colours[g], x + 32);
    esc_str(f, p->groups[g]);
    fputs("</text>\n", f);
    x += 48 + 7.5 * (double)strlen(p->groups[g]);
  }
}

/* Draws the monthly series chart: one line per group, months along x. */
static void series_chart(FILE *f, const cp_report_page *p, sbuf *t)
{
  const double left = 96, top = 40, ph = 250, pw = W - left - 32;
  const int height = 330;
  cp_rtype type = p->def->series_type;
  double lo = 0, hi = 0;
  for (size_t g = 0; g < p->n_groups; g++)
    for (int i = 0; i < CP_REPORT_MONTHS; i++)
      lo = fmin(lo, p->series[g][i]), hi = fmax(hi, p->series[g][i]);
  axis a = nice_axis(lo, hi, type == CP_RT_MONEY ? 100 : 1);
  svg_open(f, height, p->def->series_title);
  series_grid(f, t, type, a, left, top, ph);
  for (int i = 0; i < CP_REPORT_MONTHS; i++)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\">%s"
            "</text>\n", left + i * pw / (CP_REPORT_MONTHS - 1), top + ph + 20,
            p->months[i].name);
  for (size_t g = 0; g < p->n_groups; g++) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" "
            "stroke-dasharray=\"%s\" points=\"", group_colours[g], group_dashes[g]);
    for (int i = 0; i < CP_REPORT_MONTHS; i++)
      fprintf(f, "%.1f,%.1f ", left + i * pw / (CP_REPORT_MONTHS - 1),
              top + ph - (p->series[g][i] - a.lo) / (a.hi - a.lo) * ph);
    fputs("\"/>\n", f);
    for (int i = 0; i < CP_REPORT_MONTHS; i++) {
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
              left + i * pw / (CP_REPORT_MONTHS - 1),
              top + ph - (p->series[g][i] - a.lo) / (a.hi - a.lo) * ph, group_colours[g]);
      esc_str(f, p->groups[g]);
      fprintf(f, " %s: ", p->months[i].name);
      value_label(f, t, type, p->series[g][i]);
      fputs("</title></circle>\n", f);
    }
  }
  series_legend(f, p);
  if (p->n_groups == 0)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">"
            "no rows</text>\n", left + pw / 2, top + ph / 2);
  fputs("</svg>\n", f);
}

/* Returns the total of a rule's open alerts. */
static uint64_t total(const cp_ralerts *r)
{
  uint64_t n = 0;
  for (int s = 0; s < CP_SEVERITIES; s++)
    n += r->n[s];
  return n;
}

/* Draws the legend of the alerts chart: the severities, most severe first. */
static void alerts_legend(FILE *f, double left)
{
  for (int s = CP_SEVERITIES - 1; s >= 0; s--, left += 100) {
    fprintf(f, "<rect x=\"%.1f\" y=\"9\" width=\"14\" height=\"14\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"20\" font-size=\"12\">%s</text>\n",
            left, severity_colours[s], left + 20, cp_severity_names[s]);
  }
}

/* Draws one rule's bar: its severities stacked, most severe first, and the
 * total after it. */
static void alerts_bar(FILE *f, const cp_ralerts *r, double left, double y, double scale)
{
  double x = left;
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" text-anchor=\"end\">",
          left - 8, y + 13);
  esc_str(f, r->rule);
  fputs("</text>\n", f);
  for (int s = CP_SEVERITIES - 1; s >= 0; s--) {
    double w = (double)r->n[s] * scale;
    if (!r->n[s])
      continue;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\">"
            "<title>", x, y, w, severity_colours[s]);
    esc_str(f, r->rule);
    fprintf(f, " %s: %llu</title></rect>\n", cp_severity_names[s],
            (unsigned long long)r->n[s]);
    if (w >= 22)
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\" "
              "style=\"fill:%s\">%llu</text>\n", x + w / 2, y + 13,
              s == CP_SEVERITIES - 1 ? "#fff" : "#212529", (unsigned long long)r->n[s]);
    x += w;
  }
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%llu</text>\n", x + 5, y + 13,
          (unsigned long long)total(r));
}

/* Draws the open alerts by rule (sorted by the caller) and severity as
 * horizontal stacked bars. */
static void alerts_chart(FILE *f, const cp_report_page *p, sbuf *t)
{
  size_t longest = 0;
  uint64_t most = 0;
  for (size_t i = 0; i < p->n_alerts; i++) {
    longest = strlen(p->alerts[i].rule) > longest ? strlen(p->alerts[i].rule) : longest;
    most = total(&p->alerts[i]) > most ? total(&p->alerts[i]) : most;
  }
  const double left = fmin(260, fmax(80, 14 + 6.6 * (double)longest)), top = 40;
  const double pw = W - left - 48;
  const int height = (int)top + 26 * (int)(p->n_alerts ? p->n_alerts : 1) + 30;
  axis a = nice_axis(0, (double)most, 1);
  svg_open(f, height, "open alerts by rule and severity");
  for (double v = 0; v <= a.hi + a.step / 2; v += a.step) {
    double x = left + v / a.hi * pw;
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
            x, x, top - 6, height - 24, v == 0 ? "#868e96" : "#e9ecef", x, height - 8);
    tick_label(f, t, CP_RT_INTEGER, v);
    fputs("</text>\n", f);
  }
  for (size_t i = 0; i < p->n_alerts; i++)
    alerts_bar(f, &p->alerts[i], left, top + 26 * (double)i, pw / a.hi);
  if (p->n_alerts == 0)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">no open alerts</text>\n",
            left + 8, top + 14);
  alerts_legend(f, left);
  fputs("</svg>\n", f);
}

/* Writes the head of the page and its title block. */
static void page_head(FILE *f, const cp_report_page *p)
{
  char first[11], last[11], as_of[11];
  cp_format_date(p->month.first, first);
  cp_format_date(p->month.last, last);
  cp_format_date(p->as_of, as_of);
  fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
  esc_str(f, p->def->title);
  fprintf(f, " %s</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", p->month.name,
          css);
  esc_str(f, p->def->title);
  fprintf(f, " %s</h1>\n<p class=\"meta\">Month %s (%s to %s) &middot; facts as of %s "
          "&middot; %llu rows", p->month.name, p->month.name, first, last, as_of,
          (unsigned long long)p->rows);
  if (p->failed)
    fprintf(f, " &middot; <strong>rows not computed: %llu</strong>",
            (unsigned long long)p->failed);
  fputs("</p>\n<p class=\"doc\">", f);
  esc_str(f, p->def->doc);
  fputs("</p>\n</header>\n", f);
}

/* Writes the two charts with their captions. */
static void page_charts(FILE *f, const cp_report_page *p, sbuf *t)
{
  fputs("<section class=\"charts\">\n", f);
  if (p->def->series_title) {
    fputs("<figure id=\"chart-series\">\n<figcaption>", f);
    esc_str(f, p->def->series_title);
    fprintf(f, " <span>%s to %s, summed over the rows</span></figcaption>\n",
            p->months[0].name, p->month.name);
    series_chart(f, p, t);
    fputs("</figure>\n", f);
  }
  fputs("<figure id=\"chart-alerts\">\n<figcaption>Open alerts by rule and severity <span>",
        f);
  if (p->alerts_run) {
    fprintf(f, "all clients, after run %lld as of ", (long long)p->alerts_run);
    esc_str(f, p->alerts_as_of);
  } else {
    fputs("no run of the state database is as of this date or earlier", f);
  }
  fputs("</span></figcaption>\n", f);
  alerts_chart(f, p, t);
  fputs("</figure>\n</section>\n", f);
}

/* Copies the table rows kept in the temporary file to out. */
static void copy_rows(FILE *rows, FILE *out)
{
  char buf[16384];
  size_t n;
  rewind(rows);
  while ((n = fread(buf, 1, sizeof buf, rows)) > 0)
    fwrite(buf, 1, n, out);
}

cp_err cp_html_write(cp_html *h, const cp_report_page *p, FILE *out)
{
  page_head(out, p);
  page_charts(out, p, &h->text);
  fputs("<h2 class=\"rows\">", out);
  esc_str(out, p->def->title);
  fputs("</h2>\n<div class=\"rows\">\n<table>\n<thead><tr>", out);
  for (size_t j = 0; j < p->def->n_columns; j++) {
    fputs("<th>", out);
    esc_str(out, p->def->columns[j].label);
    fputs("</th>", out);
  }
  fputs("</tr></thead>\n<tbody>\n", out);
  copy_rows(h->rows, out);
  fputs("</tbody>\n</table>\n</div>\n", out);
  if (p->failed) {
    fprintf(out, "<section class=\"errors\">\n<h2>Rows not computed: %llu</h2>\n<pre>",
            (unsigned long long)p->failed);
    esc(out, p->failures.s ? p->failures.s : "", p->failures.len);
    fputs("</pre>\n</section>\n", out);
  }
  fputs("</body>\n</html>\n", out);
  if (h->text.oom)
    return diag_fail(CP_ENOMEM, "report: out of memory");
  if (ferror(h->rows) || ferror(out))
    return diag_fail(CP_EIO, "report: writing the page: %s", strerror(errno));
  return CP_OK;
}
