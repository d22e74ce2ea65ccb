/* html.c: the report as one self-contained HTML page that works offline:
 * inline CSS, the table, and two inline SVG charts (htmlchart.c: the monthly
 * series by group, and the open alerts by rule and severity). No script, no
 * font or image from elsewhere; readable on screen (1400 px wide without
 * scrolling) and printed (A4 landscape). Texts in the config's locale. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "cplocale.h"
#include "progress.h"
#include "report.h"

static const char css[] =
  "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Zen Hei\","
  "\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:16px;"
  "color:#212529;background:#fff}\n"
  "h1{font-size:22px;margin:0 0 4px}\n"
  "h2{font-size:15px;margin:16px 0 6px}\n"
  ".meta{color:#495057;font-size:13px;margin:0 0 4px}\n"
  ".meta strong{color:#c92a2a}\n"
  ".doc{font-size:13px;margin:0 0 16px;max-width:70em}\n"
  ".charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}\n"
  "figure{margin:0;flex:1 1 520px;border:1px solid #dee2e6;border-radius:4px;"
  "padding:10px 12px}\n"
  "figcaption{font-weight:bold;font-size:14px;margin-bottom:6px}\n"
  "figcaption span{font-weight:normal;color:#495057;font-size:12px}\n"
  "svg{display:block;width:100%;height:auto}\n"
  "svg text{font-family:inherit;fill:#343a40}\n"
  ".rows{overflow-x:auto}\n"
  "table{border-collapse:separate;border-spacing:0;font-size:11.5px}\n"
  "th,td{border:solid #ced4da;border-width:0 1px 1px 0;padding:2px 3px;vertical-align:top}\n"
  "tr>:first-child{border-left-width:1px}\n"
  "thead tr:first-child th{border-top-width:1px}\n"
  "th{background:#f1f3f5;font-weight:600;text-align:center;vertical-align:bottom}\n"
  "th.g{vertical-align:middle}\n"
  "thead tr+tr th{white-space:nowrap}\n"
  "td{white-space:nowrap;background:#fff}\n"
  "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
  "td.t{white-space:normal;min-width:4em;max-width:11em}\n"
  "td.t:nth-child(2){min-width:8em}\n"
  "tbody tr:nth-child(even) td{background:#f8f9fa}\n"
  "tbody tr.sub td{background:#f1f3f5;font-weight:600;border-bottom-width:2px}\n"
  "tbody tr.total td{background:#e9ecef;font-weight:700;border-top:3px double #868e96}\n"
  "tr>:first-child{position:sticky;left:0;z-index:1}\n"
  "thead th:first-child{z-index:2}\n"
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
  "tr>:first-child{position:static}\n"
  "th,tbody tr:nth-child(even) td{background:none}\n"
  "thead{display:table-header-group}\n"
  "tr{break-inside:avoid}\n"
  "}\n";

void cp_html_esc(FILE *f, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)s[i] >= 0x80) {   /* the page is UTF-8: a stray byte is U+FFFD */
      size_t len = cp_sbuf_utf8_len(s + i, n - i);
      /* a C1 control (U+0080 to U+009F) is no more allowed than a C0 one */
      if (len == 0 || (len == 2 && (unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] < 0xa0))
        fputs("\xef\xbf\xbd", f);
      else
        fwrite(s + i, 1, len, f);
      i += len ? len - 1 : 0;
      continue;
    }
    /* a control character but tab, line feed, form feed and carriage return
     * is not allowed in a page (even as &#1;): U+FFFD, as a stray byte */
    if (s[i] != '\0' && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) &&
        s[i] != '\t' && s[i] != '\n' && s[i] != '\f' && s[i] != '\r') {
      fputs("\xef\xbf\xbd", f);
      continue;
    }
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
  cp_html_esc(f, s, strlen(s));
}

/* Writes the text in sbuf t escaped for HTML. */
static void esc_sbuf(FILE *f, const sbuf *t)
{
  cp_html_esc(f, t->s ? t->s : "", t->len);
}

/* Writes the head of the page and its title block: the month, its days,
 * the as-of day, and whether the month is still in progress. */
static void page_head(FILE *f, const cp_report_page *p)
{
  cp_locale l = cp_locale_of(p->cfg);
  sbuf month = {0}, first = {0}, last = {0}, as_of = {0};
  cp_locale_month(l, p->month.name, &month);
  cp_locale_date(l, p->month.first, &first);
  cp_locale_date(l, p->month.last, &last);
  cp_locale_date(l, p->as_of, &as_of);
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          cp_locale_lang(l));
  esc_str(f, p->def->title);
  fputs(" ", f);
  esc_sbuf(f, &month);
  fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
  esc_str(f, p->def->title);
  fputs(" ", f);
  esc_sbuf(f, &month);
  fputs("</h1>\n<p class=\"meta\">", f);
  char rows[32];
  cp_progress_format_count(rows, p->rows);   /* 49,044 rows */
  fprintf(f, cp_locale_msg(l, CP_MSG_META), month.s, first.s, last.s, as_of.s, rows);
  if (p->in_progress)
    fprintf(f, cp_locale_msg(l, CP_MSG_META_PARTIAL), as_of.s);
  if (p->failed) {
    char failed[32];
    cp_progress_format_count(failed, p->failed);
    fprintf(f, cp_locale_msg(l, CP_MSG_META_FAILED), failed);
  }
  fputs("</p>\n<p class=\"doc\">", f);
  esc_str(f, p->def->doc);
  fputs("</p>\n</header>\n", f);
  cp_sbuf_free(&month), cp_sbuf_free(&first), cp_sbuf_free(&last), cp_sbuf_free(&as_of);
}

/* Writes the caption of the series chart: its months, and how far a month
 * in progress goes. */
static void series_caption(FILE *f, const cp_report_page *p, sbuf *t)
{
  cp_locale l = cp_locale_of(p->cfg);
  sbuf from = {0}, to = {0};
  cp_locale_month(l, p->months[0].name, &from);
  cp_locale_month(l, p->month.name, &to);
  cp_sbuf_clear(t);
  cp_sbuf_printf(t, cp_locale_msg(l, CP_MSG_SERIES_CAPTION), from.s, to.s);
  if (p->in_progress) {
    cp_sbuf_clear(&from);
    cp_locale_date(l, p->as_of, &from);
    cp_sbuf_printf(t, cp_locale_msg(l, CP_MSG_SERIES_PARTIAL), from.s);
  }
  esc_sbuf(f, t);
  cp_sbuf_free(&from);
  cp_sbuf_free(&to);
}

/* Writes the two charts with their captions; the alerts chart says whose
 * alerts it counts (the table's clients) and how many all clients have. */
static void page_charts(FILE *f, const cp_report_page *p, sbuf *t)
{
  cp_locale l = cp_locale_of(p->cfg);
  fputs("<section class=\"charts\">\n", f);
  if (p->def->series_title) {
    fputs("<figure id=\"chart-series\">\n<figcaption>", f);
    esc_str(f, p->def->series_title);
    fputs(" <span>", f);
    series_caption(f, p, t);
    fputs("</span></figcaption>\n", f);
    cp_htmlchart_series(f, p, t);
    fputs("</figure>\n", f);
  }
  fprintf(f, "<figure id=\"chart-alerts\">\n<figcaption>%s <span>",
          cp_locale_msg(l, CP_MSG_ALERTS_TITLE));
  sbuf day = {0};
  int64_t d;
  char rows[32], all[32];
  cp_progress_format_count(rows, p->rows);
  cp_progress_format_count(all, p->all_alerts);
  if (cp_dates_parse_date(p->alerts_as_of, strlen(p->alerts_as_of), &d) == 0)
    cp_locale_date(l, d, &day);
  cp_sbuf_clear(t);
  if (p->alerts_run)
    cp_sbuf_printf(t, cp_locale_msg(l, CP_MSG_ALERTS_CAPTION), rows,
                (long long)p->alerts_run, day.s ? day.s : p->alerts_as_of, all);
  else
    cp_sbuf_add(t, cp_locale_msg(l, CP_MSG_ALERTS_NO_RUN));
  cp_sbuf_free(&day);
  esc_sbuf(f, t);
  fputs("</span></figcaption>\n", f);
  cp_htmlchart_alerts(f, p, t);
  fputs("</figure>\n</section>\n", f);
}

/* Returns how many columns from j on share column j's group (1 when it has
 * none). */
static size_t group_span(const cp_report_def *d, size_t j)
{
  size_t k = j + 1;
  while (d->columns[j].group && k < d->n_columns && d->columns[k].group &&
         strcmp(d->columns[k].group, d->columns[j].group) == 0)
    k++;
  return k - j;
}

/* Writes the table's head: one row of labels, or, when columns declare
 * groups, a row of groups over a row of their columns' labels (a column
 * without a group spans both). */
static void table_head(FILE *f, const cp_report_def *d)
{
  int grouped = 0;
  for (size_t j = 0; j < d->n_columns; j++)
    grouped |= d->columns[j].group != NULL;
  fputs("<thead><tr>", f);
  for (size_t j = 0, n; j < d->n_columns; j += n) {
    n = group_span(d, j);
    if (d->columns[j].group)
      fprintf(f, "<th class=\"g\" colspan=\"%zu\">", n);
    else
      fputs(grouped ? "<th rowspan=\"2\">" : "<th>", f);
    esc_str(f, d->columns[j].group ? d->columns[j].group : d->columns[j].label);
    fputs("</th>", f);
  }
  if (grouped) {
    fputs("</tr>\n<tr>", f);
    for (size_t j = 0; j < d->n_columns; j++)
      if (d->columns[j].group) {
        fputs("<th>", f);
        esc_str(f, d->columns[j].label);
        fputs("</th>", f);
      }
  }
  fputs("</tr></thead>\n", f);
}

cp_err cp_html_write(const cp_report_page *p, cp_rtable *t, FILE *out)
{
  sbuf text = {0};
  page_head(out, p);
  page_charts(out, p, &text);
  fputs("<h2 class=\"rows\">", out);
  esc_str(out, p->def->title);
  fputs("</h2>\n<div class=\"rows\">\n<table>\n", out);
  table_head(out, p->def);
  fputs("<tbody>\n", out);
  cp_err rc = cp_rtable_write(t, out);
  fputs("</tbody>\n</table>\n</div>\n", out);
  if (p->failed) {
    fputs("<section class=\"errors\">\n<h2>", out);
    char failed[32];
    cp_progress_format_count(failed, p->failed);
    fprintf(out, cp_locale_msg(cp_locale_of(p->cfg), CP_MSG_FAILED_TITLE), failed);
    fputs("</h2>\n<pre>", out);
    cp_html_esc(out, p->failures.s ? p->failures.s : "", p->failures.len);
    fputs("</pre>\n</section>\n", out);
  }
  fputs("</body>\n</html>\n", out);
  int oom = text.oom;
  cp_sbuf_free(&text);
  if (rc != CP_OK)
    return rc;
  if (oom)
    return cp_diag_fail(CP_ENOMEM, "report: out of memory");
  if (ferror(out))
    return cp_diag_fail(CP_EIO, "report: writing the page: %s", strerror(errno));
  return CP_OK;
}
