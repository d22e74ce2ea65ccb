/* locale.c: the engine's texts for people in English and Chinese, dates and
 * months as each language writes them, and the labels a policy gives its
 * rule ids, severities, tiers and other ids (config key `labels`). */
#include "cplocale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "outcome.h"
#include "textwidth.h"

/* The texts, by locale then message; each a printf format. */
static const char *const texts[CP_LOCALE_COUNT][CP_MSG_COUNT] = {
  [CP_LOCALE_EN] = {
    [CP_MSG_RUN_SUMMARY] = "run %lld as of %s: %s client%s evaluated in %s (%s clients/s), "
                           "%s rule error%s, %s data problem%s\n",
    [CP_MSG_RUN_EVENTS] = "events:",
    [CP_MSG_RUN_NO_EVENTS] = " none",
    [CP_MSG_RUN_OPEN_NOW] = "\nopen now (state: %s):\n",
    [CP_MSG_RUN_NO_ASSIGNEE] = "  (%s without an assignee)",
    [CP_MSG_REPORT_SUMMARY] = "%s: report %s for %s, facts as of %s: %s rows, %s failed\n",
    [CP_MSG_META] = "Month %s (%s to %s) &middot; facts as of %s &middot; %s rows",
    [CP_MSG_META_PARTIAL] = " &middot; <strong>month in progress: figures to %s</strong>",
    [CP_MSG_META_FAILED] = " &middot; <strong>rows not computed: %s</strong>",
    [CP_MSG_SERIES_CAPTION] = "%s to %s, summed over the rows",
    [CP_MSG_SERIES_PARTIAL] = "; hollow point: month to date (to %s)",
    [CP_MSG_SERIES_UNIT_YUAN] = "%s",
    [CP_MSG_SERIES_UNIT_WAN] = "thousand %s",
    [CP_MSG_SERIES_UNIT_YI] = "million %s",
    [CP_MSG_CURRENCY] = "yuan",
    [CP_MSG_NO_ROWS] = "no rows",
    [CP_MSG_SERIES_OTHER] = "other groups",
    [CP_MSG_ALERTS_TITLE] = "Open alerts by rule and severity",
    [CP_MSG_ALERTS_CAPTION] = "the %s clients of the table, after run %lld as of %s "
                              "(all clients: %s open alerts)",
    [CP_MSG_ALERTS_NO_RUN] = "no run of the state database is as of this date or earlier",
    [CP_MSG_NO_ALERTS] = "no open alerts",
    [CP_MSG_FAILED_TITLE] = "Rows not computed: %s",
    [CP_MSG_MTD] = "to %u",
    [CP_MSG_SUBTOTAL] = "Subtotal: %s (%llu)",
    [CP_MSG_TOTAL] = "Total (%llu)",
    [CP_MSG_NO_GROUP] = "(none)",
  },
  [CP_LOCALE_ZH_CN] = {
    [CP_MSG_RUN_SUMMARY] = "第 %lld 次运行（截至 %s）：评估 %s%.0s 家客户，用时 %s（每秒 %s 家），"
                           "规则错误 %s%.0s 个，数据问题 %s%.0s 个\n",   /* %.0s: no plural */
    [CP_MSG_RUN_EVENTS] = "事件：",
    [CP_MSG_RUN_NO_EVENTS] = "无",
    [CP_MSG_RUN_OPEN_NOW] = "\n当前未关闭（状态库：%s）：\n",
    [CP_MSG_RUN_NO_ASSIGNEE] = "（其中 %s 项无负责人）",
    [CP_MSG_REPORT_SUMMARY] = "%s：报告 %s，%s，数据截至 %s：%s 行，失败 %s 行\n",
    [CP_MSG_META] = "月份 %s（%s至%s）&middot; 数据截至 %s &middot; 共 %s 行",
    [CP_MSG_META_PARTIAL] = " &middot; <strong>本月未结束：数据截至 %s</strong>",
    [CP_MSG_META_FAILED] = " &middot; <strong>未能计算的行：%s</strong>",
    [CP_MSG_SERIES_CAPTION] = "%s至%s，各行合计",
    [CP_MSG_SERIES_PARTIAL] = "；空心点为本月截至 %s 的数据",
    [CP_MSG_SERIES_UNIT_YUAN] = "%s",
    [CP_MSG_SERIES_UNIT_WAN] = "万%s",
    [CP_MSG_SERIES_UNIT_YI] = "亿%s",
    [CP_MSG_CURRENCY] = "元",
    [CP_MSG_NO_ROWS] = "无数据",
    [CP_MSG_SERIES_OTHER] = "其他分组",
    [CP_MSG_ALERTS_TITLE] = "未关闭预警（按规则和严重程度）",
    [CP_MSG_ALERTS_CAPTION] = "表中 %s 家客户，第 %lld 次运行（截至 %s）后"
                              "（全部客户共 %s 条未关闭预警）",
    [CP_MSG_ALERTS_NO_RUN] = "状态库中没有截至该日或更早的运行",
    [CP_MSG_NO_ALERTS] = "无未关闭预警",
    [CP_MSG_FAILED_TITLE] = "未能计算的行：%s",
    [CP_MSG_MTD] = "至%u日",
    [CP_MSG_SUBTOTAL] = "小计：%s（%llu）",
    [CP_MSG_TOTAL] = "合计（%llu）",
    [CP_MSG_NO_GROUP] = "（无）",
  },
};

/* Severity words in Chinese, least severe first (in English they are the
 * severities' names, cp_outcome_severity_names). */
static const char *const severities_zh[CP_SEVERITIES] = {"提示", "警告", "严重"};

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char *cp_locale_msg(cp_locale l, cp_msg m)
{
  return texts[l < CP_LOCALE_COUNT ? l : CP_LOCALE_EN][m];
}

cp_locale cp_locale_of(const cp_config *c)
{
  return c && c->file ? (cp_locale)c->file->locale : CP_LOCALE_EN;
}

const char *cp_locale_lang(cp_locale l)
{
  return l == CP_LOCALE_ZH_CN ? "zh-CN" : "en";
}

void cp_locale_date(cp_locale l, int64_t day, sbuf *out)
{
  int64_t y;
  unsigned m, d;
  if (l != CP_LOCALE_ZH_CN) {
    char buf[16];
    cp_dates_format_date(day, buf);
    cp_sbuf_add(out, buf);
    return;
  }
  cp_dates_civil_from_days(day, &y, &m, &d);
  cp_sbuf_printf(out, "%lld年%u月%u日", (long long)y, m, d);
}

void cp_locale_month(cp_locale l, const char *month, sbuf *out)
{
  if (l != CP_LOCALE_ZH_CN || strlen(month) != 7) {
    cp_sbuf_add(out, month);
    return;
  }
  cp_sbuf_printf(out, "%.4s年%d月", month, atoi(month + 5));
}

const char *cp_locale_month_short(cp_locale l, const char *month, char *buf)
{
  int m = strlen(month) == 7 ? atoi(month + 5) : 0;
  if (m < 1 || m > 12)
    snprintf(buf, 16, "%s", month);
  else if (l == CP_LOCALE_ZH_CN)
    snprintf(buf, 16, "%d月", m);
  else
    snprintf(buf, 16, "%s", month_abbr[m - 1]);
  return buf;
}

/* Returns the value node of id in section of the labels, or NULL. */
static const yt_node *label_node(const cp_config *c, const char *section, const char *id)
{
  const yt_node *s = c && c->labels ? cp_ytree_get(c->labels, section) : NULL;
  const yt_node *v = s && s->kind == YT_MAP && id ? cp_ytree_get(s, id) : NULL;
  return v && v->kind == YT_SCALAR && v->value && *v->value ? v : NULL;
}

const char *cp_locale_label(const cp_config *c, const char *section, const char *id)
{
  const yt_node *v = label_node(c, section, id);
  return v ? v->value : id;
}

int cp_locale_label_width(const cp_config *c, const char *section, int least, int most)
{
  const yt_node *s = c && c->labels ? cp_ytree_get(c->labels, section) : NULL;
  int w = least;
  for (size_t i = 1; s && s->kind == YT_MAP && i < s->n; i += 2)
    if (s->items[i]->kind == YT_SCALAR && s->items[i]->value) {
      int lw = cp_textwidth_of(s->items[i]->value);
      w = lw > w ? lw : w;
    }
  return w < most ? w : most;
}

const char *cp_locale_severity(const cp_config *c, int s)
{
  if (s < 0 || s >= CP_SEVERITIES)
    return "?";
  const yt_node *v = label_node(c, "severities", cp_outcome_severity_names[s]);
  if (v)
    return v->value;
  return cp_locale_of(c) == CP_LOCALE_ZH_CN ? severities_zh[s] : cp_outcome_severity_names[s];
}

cp_err cp_locale_labels_check(const cp_config *c)
{
  const yt_node *n = c->labels;
  if (!n)
    return CP_OK;
  if (n->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: labels must be a mapping of sections (rules: {...}, "
                     "tiers: {...})", c->path, n->line);
  for (size_t i = 0; i + 1 < n->n; i += 2) {
    const yt_node *k = n->items[i], *s = n->items[i + 1];
    if (k->kind != YT_SCALAR || s->kind != YT_MAP)
      return cp_diag_fail(CP_ECONFIG, "%s:%u: labels: '%s' must be a mapping of ids to labels%s",
                       c->path, s->line, k->kind == YT_SCALAR ? k->value : "?",
                       s->kind == YT_SCALAR && (!s->value || !*s->value)
                           ? " (an empty one is written {}: an empty value is null)" : "");
    for (size_t j = 0; j + 1 < s->n; j += 2)
      if (s->items[j]->kind != YT_SCALAR || s->items[j + 1]->kind != YT_SCALAR ||
          !s->items[j + 1]->value || !*s->items[j + 1]->value)
        return cp_diag_fail(CP_ECONFIG, "%s:%u: labels.%s: each label must be a non-empty text",
                         c->path, s->items[j]->line, k->value);
  }
  return CP_OK;
}
