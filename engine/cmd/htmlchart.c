/* htmlchart.c: the two inline SVG charts of the report page (html.c): the
 * monthly series by group, and the open alerts of the table's clients by
 * rule and severity. Texts come in the config's locale, rule ids and
 * severities under the config's labels; money axes in 万/亿 yuan (zh-CN) or
 * thousand/million yuan (en). A month in progress is a hollow point off the
 * line, so a month-to-date figure never reads as a plunge. */
#include <math.h>
#include <string.h>

#include "cplocale.h"
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

/* The value axis of a chart: lo..hi in steps, with round ticks. */
typedef struct axis {
  double lo, hi, step;      /* range and tick step, in value units */
  double scale;             /* tick labels show value / scale */
  cp_msg unit;              /* the unit of the labels (money), else CP_MSG_COUNT */
} axis;

/* Returns an axis from min(lo, 0) to max(hi, 0) with about 5 round steps
 * (1, 2 or 5 times a power of ten), none smaller than unit. */
static axis nice_axis(double lo, double hi, double unit)
{
  axis a = {fmin(lo, 0), fmax(hi, 0), unit, 1, CP_MSG_COUNT};
  double span = a.hi - a.lo;
  if (span <= 0)
    return (axis){0, 5 * unit, unit, 1, CP_MSG_COUNT};
  double raw = span / 5, p = pow(10, floor(log10(raw))), f = raw / p;
  a.step = fmax(unit, (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p);
  a.lo = floor(a.lo / a.step) * a.step;
  a.hi = ceil(a.hi / a.step) * a.step;
  return a;
}

/* Sets the unit of a money axis (values in cents) from its largest value:
 * 亿元 or 万元 in zh-CN, million or thousand yuan in en, else yuan. */
static void money_unit(axis *a, cp_locale l)
{
  double top = fmax(fabs(a->lo), fabs(a->hi)) / 100;
  double big = l == CP_LOCALE_ZH_CN ? 1e8 : 1e6, small = l == CP_LOCALE_ZH_CN ? 1e4 : 1e3;
  a->scale = top >= big ? big * 100 : top >= small ? small * 100 : 100;
  a->unit = top >= big ? CP_MSG_SERIES_UNIT_YI : top >= small ? CP_MSG_SERIES_UNIT_WAN
                                                              : CP_MSG_SERIES_UNIT_YUAN;
}

/* Writes tick value v of axis a: v / scale, with separators and at most two
 * decimals (trailing zeros dropped). */
static void tick_label(FILE *f, sbuf *t, const axis *a, double v)
{
  double x = v / a->scale;
  long long cents = llround(x * 100);
  cp_sbuf_clear(t);
  cp_report_number(t, cents, 1);
  while (t->len && cents % 100 != 0 && t->s[t->len - 1] == '0')
    t->s[--t->len] = '\0';
  if (cents % 100 == 0)
    t->len -= 3, t->s[t->len] = '\0';
  cp_html_esc(f, t->s ? t->s : "", t->len);
}

/* Returns the columns text s takes on screen: a character from U+1100 on
 * (CJK and the like) two, others one. */
static size_t columns_of(const char *s)
{
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xC0) != 0x80)
      n += *p >= 0xE1 ? 2 : 1;
  return n;
}

/* Writes the opening of a chart's SVG, with its accessible name. */
static void svg_open(FILE *f, int height, const char *name)
{
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
          "role=\"img\" aria-label=\"", W, height);
  cp_html_esc(f, name, strlen(name));
  fputs("\">\n", f);
}

/* Draws the horizontal value grid of the series chart, and its unit. */
static void series_grid(FILE *f, const cp_report_page *p, sbuf *t, const axis *a, double left,
                        double top, double ph)
{
  for (double v = a->lo; v <= a->hi + a->step / 2; v += a->step) {
    double y = top + ph - (v - a->lo) / (a->hi - a->lo) * ph;
    fprintf(f, "<line x1=\"%.1f\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
            left, W - 32, y, y, fabs(v) < a->step / 2 ? "#868e96" : "#e9ecef", left - 6, y + 4);
    tick_label(f, t, a, v);
    fputs("</text>\n", f);
  }
  if (a->unit != CP_MSG_COUNT) {
    /* the config's currency (escaped: it is the config's text), else the locale's */
    cp_locale l = cp_locale_of(p->cfg);
    const char *cur = p->cfg && p->cfg->file && p->cfg->file->currency
                          ? p->cfg->file->currency : cp_locale_msg(l, CP_MSG_CURRENCY);
    cp_sbuf_clear(t);
    cp_sbuf_printf(t, cp_locale_msg(l, a->unit), cur);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
            left - 6, top - 12);
    cp_html_esc(f, t->s ? t->s : "", t->len);
    fputs("</text>\n", f);
  }
}

/* Draws the month labels under the series chart: the month, and under it the
 * year (first point, January) or, for a month in progress, how far it goes. */
static void series_months(FILE *f, const cp_report_page *p, double left, double y, double pw)
{
  cp_locale l = cp_locale_of(p->cfg);
  char name[16];
  for (int i = 0; i < CP_REPORT_MONTHS; i++) {
    const char *m = p->months[i].name;
    double x = left + i * pw / (CP_REPORT_MONTHS - 1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\">%s"
            "</text>\n", x, y, cp_locale_month_short(l, m, name));
    if (i == CP_REPORT_MONTHS - 1 && p->in_progress) {
      unsigned day = (unsigned)(p->as_of - p->month.first) + 1;
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" "
              "style=\"fill:#c92a2a\">", x, y + 13);
      fprintf(f, cp_locale_msg(l, CP_MSG_MTD), day);
      fputs("</text>\n", f);
    } else if (i == 0 || strcmp(m + 5, "01") == 0) {
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%.4s%s"
              "</text>\n", x, y + 13, m, l == CP_LOCALE_ZH_CN ? "年" : "");
    }
  }
}

/* Returns the name people read for series group g: its label in the
 * config's labels.series, else the group itself; the line of the other
 * groups once groups past the chart's lines folded into it. */
static const char *group_name(const cp_report_page *p, size_t g)
{
  return p->folded && g == CP_REPORT_GROUPS - 1
             ? cp_locale_msg(cp_locale_of(p->cfg), CP_MSG_SERIES_OTHER)
             : cp_locale_label(p->cfg, "series", p->groups[g]);
}

#define LEGEND_NAME_COLS 40   /* a longer group name is cut, with an ellipsis */
#define LEGEND_ROW 20.0       /* the height of a row of the legend */

/* Returns the width of group g's legend entry. */
static double legend_width(const cp_report_page *p, size_t g)
{
  size_t cols = columns_of(group_name(p, g));
  return 48 + 7.5 * (double)(cols < LEGEND_NAME_COLS ? cols : LEGEND_NAME_COLS + 1);
}

/* Writes group name s, cut after LEGEND_NAME_COLS columns with an ellipsis. */
static void legend_name(FILE *f, const char *s)
{
  size_t cols = 0, len = 0;
  for (; s[len]; len++)
    if (((unsigned char)s[len] & 0xC0) != 0x80) {
      size_t w = (unsigned char)s[len] >= 0xE1 ? 2 : 1;
      if (cols + w > LEGEND_NAME_COLS)
        break;
      cols += w;
    }
  cp_html_esc(f, s, len);
  if (s[len])
    fputs("\xE2\x80\xA6", f);
}

/* Draws the legend of the series chart: one sample line and name per group,
 * in rows that wrap at the chart's width; with f NULL, draws nothing. Returns
 * the rows it takes. */
static int series_legend(FILE *f, const cp_report_page *p)
{
  double x = 96, y = 16;
  int rows = 1;
  for (size_t g = 0; g < p->n_groups; g++) {
    double w = legend_width(p, g);
    if (x > 96 && x + w > W - 8)
      x = 96, y += LEGEND_ROW, rows++;
    if (f) {
      fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
              "stroke-width=\"3\" stroke-dasharray=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" "
              "r=\"3.5\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
              x, x + 26, y, y, group_colours[g], group_dashes[g], x + 13, y, group_colours[g],
              x + 32, y + 4);
      legend_name(f, group_name(p, g));
      fputs("</text>\n", f);
    }
    x += w;
  }
  return rows;
}

/* Draws one point of group g at month i, hollow when it is a month to
 * date, with its value as a tooltip. */
static void series_point(FILE *f, const cp_report_page *p, sbuf *t, size_t g, int i, double x,
                         double y)
{
  int hollow = p->in_progress && i == CP_REPORT_MONTHS - 1;
  cp_locale l = cp_locale_of(p->cfg);
  cp_rcell cell = {.i = llround(p->series[g][i])};
  fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"%s\" "
          "stroke-width=\"2\"><title>", x, y, hollow ? "5" : "3.5",
          hollow ? "#fff" : group_colours[g], group_colours[g]);
  cp_html_esc(f, group_name(p, g), strlen(group_name(p, g)));
  cp_sbuf_clear(t);
  cp_sbuf_add(t, " ");
  cp_locale_month(l, p->months[i].name, t);
  cp_sbuf_add(t, l == CP_LOCALE_ZH_CN ? "：" : ": ");
  cp_html_esc(f, t->s ? t->s : "", t->len);
  cp_report_cell(p->def->series_type, &cell, t);
  cp_html_esc(f, t->s ? t->s : "", t->len);
  fputs("</title></circle>\n", f);
}

/* Draws the monthly series chart: one line per group, months along x; a
 * month in progress is a hollow point, off the line. */
void cp_htmlchart_series(FILE *f, const cp_report_page *p, sbuf *t)
{
  const int legend = series_legend(NULL, p) - 1;   /* rows past the first push the chart down */
  const double left = 96, top = 40 + LEGEND_ROW * legend, ph = 250, pw = W - left - 32;
  const int height = 340 + (int)LEGEND_ROW * legend, solid = CP_REPORT_MONTHS - (p->in_progress ? 1 : 0);
  cp_rtype type = p->def->series_type;
  double lo = 0, hi = 0;
  for (size_t g = 0; g < p->n_groups; g++)
    for (int i = 0; i < CP_REPORT_MONTHS; i++)
      lo = fmin(lo, p->series[g][i]), hi = fmax(hi, p->series[g][i]);
  axis a = nice_axis(lo, hi, type == CP_RT_MONEY ? 100 : 1);
  if (type == CP_RT_MONEY)
    money_unit(&a, cp_locale_of(p->cfg));
  svg_open(f, height, p->def->series_title);
  series_grid(f, p, t, &a, left, top, ph);
  series_months(f, p, left, top + ph + 20, pw);
  for (size_t g = 0; g < p->n_groups; g++) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" "
            "stroke-dasharray=\"%s\" points=\"", group_colours[g], group_dashes[g]);
    for (int i = 0; i < solid; i++)
      fprintf(f, "%.1f,%.1f ", left + i * pw / (CP_REPORT_MONTHS - 1),
              top + ph - (p->series[g][i] - a.lo) / (a.hi - a.lo) * ph);
    fputs("\"/>\n", f);
    for (int i = 0; i < CP_REPORT_MONTHS; i++)
      series_point(f, p, t, g, i, left + i * pw / (CP_REPORT_MONTHS - 1),
                   top + ph - (p->series[g][i] - a.lo) / (a.hi - a.lo) * ph);
  }
  series_legend(f, p);
  if (p->n_groups == 0)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">%s"
            "</text>\n", left + pw / 2, top + ph / 2,
            cp_locale_msg(cp_locale_of(p->cfg), CP_MSG_NO_ROWS));
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
static void alerts_legend(FILE *f, const cp_report_page *p, double left)
{
  for (int s = CP_SEVERITIES - 1; s >= 0; s--, left += 100) {
    const char *name = cp_locale_severity(p->cfg, s);
    fprintf(f, "<rect x=\"%.1f\" y=\"9\" width=\"14\" height=\"14\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"20\" font-size=\"12\">", left, severity_colours[s], left + 20);
    cp_html_esc(f, name, strlen(name));
    fputs("</text>\n", f);
  }
}

/* Draws one rule's bar: its severities stacked, most severe first, and the
 * total after it; the rule under its label. */
static void alerts_bar(FILE *f, const cp_report_page *p, const cp_ralerts *r, double left,
                       double y, double scale)
{
  const char *name = cp_locale_label(p->cfg, "rules", r->rule);
  double x = left;
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" text-anchor=\"end\">",
          left - 8, y + 13);
  cp_html_esc(f, name, strlen(name));
  fputs("</text>\n", f);
  for (int s = CP_SEVERITIES - 1; s >= 0; s--) {
    double w = (double)r->n[s] * scale;
    const char *sev = cp_locale_severity(p->cfg, s);
    if (!r->n[s])
      continue;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\">"
            "<title>", x, y, w, severity_colours[s]);
    cp_html_esc(f, name, strlen(name));
    fputs(" ", f);
    cp_html_esc(f, sev, strlen(sev));
    fprintf(f, "%s%llu</title></rect>\n", cp_locale_of(p->cfg) == CP_LOCALE_ZH_CN ? "：" : ": ",
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
void cp_htmlchart_alerts(FILE *f, const cp_report_page *p, sbuf *t)
{
  size_t longest = 0;
  uint64_t most = 0;
  for (size_t i = 0; i < p->n_alerts; i++) {
    size_t cols = columns_of(cp_locale_label(p->cfg, "rules", p->alerts[i].rule));
    longest = cols > longest ? cols : longest;
    most = total(&p->alerts[i]) > most ? total(&p->alerts[i]) : most;
  }
  const double left = fmin(260, fmax(80, 14 + 6.6 * (double)longest)), top = 40;
  const double pw = W - left - 48;
  const int height = (int)top + 26 * (int)(p->n_alerts ? p->n_alerts : 1) + 30;
  cp_locale l = cp_locale_of(p->cfg);
  axis a = nice_axis(0, (double)most, 1);
  svg_open(f, height, cp_locale_msg(l, CP_MSG_ALERTS_TITLE));
  for (double v = 0; v <= a.hi + a.step / 2; v += a.step) {
    double x = left + v / a.hi * pw;
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
            x, x, top - 6, height - 24, v == 0 ? "#868e96" : "#e9ecef", x, height - 8);
    tick_label(f, t, &a, v);
    fputs("</text>\n", f);
  }
  for (size_t i = 0; i < p->n_alerts; i++)
    alerts_bar(f, p, &p->alerts[i], left, top + 26 * (double)i, pw / a.hi);
  if (p->n_alerts == 0)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">%s</text>\n", left + 8, top + 14,
            cp_locale_msg(l, CP_MSG_NO_ALERTS));
  alerts_legend(f, p, left);
  fputs("</svg>\n", f);
}
