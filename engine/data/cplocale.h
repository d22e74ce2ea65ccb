/* cplocale.h: the language of what the engine writes for people (config key
 * `locale`: en or zh-CN) and the labels a policy gives its ids (config key
 * `labels`). Machine formats (jsonl, feed, CSV of alerts, Alertmanager
 * labels) never change with the locale. */
#ifndef CP_LOCALE_H
#define CP_LOCALE_H

#include <stdint.h>

#include "config.h"
#include "sbuf.h"

/* The languages the engine writes. */
typedef enum cp_locale {
  CP_LOCALE_EN,       /* English (the engine's default) */
  CP_LOCALE_ZH_CN,    /* Simplified Chinese */
  CP_LOCALE_COUNT     /* number of locales */
} cp_locale;

/* Texts the engine writes for people; each is a printf format. */
typedef enum cp_msg {
  CP_MSG_RUN_SUMMARY,       /* run id, day, clients, plural s, took, rate, rule errors, plural
                               s, data problems, plural s */
  CP_MSG_RUN_EVENTS,        /* "events:" */
  CP_MSG_RUN_NO_EVENTS,     /* " none": a run that changed nothing */
  CP_MSG_RUN_OPEN_NOW,      /* state path */
  CP_MSG_RUN_NO_ASSIGNEE,   /* proposed assignments of a kind without an assignee */
  CP_MSG_REPORT_SUMMARY,    /* path, report id, month, day, rows, failed */
  CP_MSG_META,              /* month, first day, last day, as-of day, rows */
  CP_MSG_META_PARTIAL,      /* as-of day: the month is in progress */
  CP_MSG_META_FAILED,       /* rows not computed */
  CP_MSG_SERIES_CAPTION,    /* first month, last month */
  CP_MSG_SERIES_PARTIAL,    /* as-of day: the last point is month-to-date */
  CP_MSG_SERIES_UNIT_YUAN,  /* the axis unit, a format of the currency: yuan */
  CP_MSG_SERIES_UNIT_WAN,   /* the axis unit: 万元 (zh-CN), thousand yuan (en) */
  CP_MSG_SERIES_UNIT_YI,    /* the axis unit: 亿元 (zh-CN), million yuan (en) */
  CP_MSG_CURRENCY,          /* the currency when the config names none: yuan, 元 */
  CP_MSG_NO_ROWS,           /* no rows */
  CP_MSG_SERIES_OTHER,      /* the series line of the groups past the chart's lines */
  CP_MSG_ALERTS_TITLE,      /* the alerts chart's title */
  CP_MSG_ALERTS_CAPTION,    /* clients, run, as-of, all open alerts */
  CP_MSG_ALERTS_NO_RUN,     /* no run as of the day */
  CP_MSG_NO_ALERTS,         /* no open alerts */
  CP_MSG_FAILED_TITLE,      /* rows not computed: n */
  CP_MSG_MTD,               /* the x label of a month in progress: as-of day of month */
  CP_MSG_SUBTOTAL,          /* a report group's subtotal row: group, rows */
  CP_MSG_TOTAL,             /* the report's total row: rows */
  CP_MSG_NO_GROUP,          /* the group of rows without a value in group_by */
  CP_MSG_COUNT              /* number of texts */
} cp_msg;

/* Returns the format of text m in locale l. */
const char *cp_locale_msg(cp_locale l, cp_msg m);


/* Returns the config's locale. */
cp_locale cp_locale_of(const cp_config *c);

/* Returns the HTML lang value of locale l ("en", "zh-CN"). */
const char *cp_locale_lang(cp_locale l);

/* Appends day as people read it: 2026-10-31 (en), 2026年10月31日 (zh-CN). */
void cp_locale_date(cp_locale l, int64_t day, sbuf *out);

/* Appends the month "YYYY-MM" as people read it: 2026-10 (en), 2026年10月
 * (zh-CN). */
void cp_locale_month(cp_locale l, const char *month, sbuf *out);

/* Returns the short name of month "YYYY-MM" for an axis: Oct, 10月; into
 * buf (16 bytes). */
const char *cp_locale_month_short(cp_locale l, const char *month, char *buf);

/* Returns the name people read for severity index s (0 info .. 2 critical):
 * labels.severities, else the locale's word. */
const char *cp_locale_severity(const cp_config *c, int s);

/* Returns the label that the config's `labels` gives id in section (rules,
 * tiers, ...), or id itself when it gives none. c may be NULL. */
const char *cp_locale_label(const cp_config *c, const char *section, const char *id);


/* Returns the display width of the widest label of section (a CJK
 * character is two columns), at least least and at most most: the width
 * of a table's column of labels, so that two labels that differ near
 * their end do not read the same once cut. */
int cp_locale_label_width(const cp_config *c, const char *section, int least, int most);

/* Checks the `labels` tree: a mapping of sections, each a mapping of ids to
 * texts. Returns CP_ECONFIG with "FILE:LINE: message" otherwise. */
cp_err cp_locale_labels_check(const cp_config *c);

#endif
