/* test_locale.c: the config's locale and labels (locale.c): dates and months
 * as each language writes them, labels with their fallbacks, the checks. */
#include <stdio.h>

#include "dates.h"
#include "cplocale.h"
#include "unit.h"

/* Writes a config with the extra lines `more` to the scratch folder and
 * loads it; *c is NULL when it does not load. Returns the load's result. */
static cp_err load(const char *more, cp_config **c)
{
  static char path[300];
  snprintf(path, sizeof path, "%s/c.yaml", unit_tmpdir());
  FILE *f = fopen(path, "w");
  fprintf(f, "facts: f\nstate: s\nrules: [r]\nclients: {name: c, id: id, columns: []}\n%s",
          more);
  fclose(f);
  FILE *saved = stderr;
  stderr = fopen("/dev/null", "w");
  cp_err rc = cp_config_load(path, c);
  fclose(stderr);
  stderr = saved;
  return rc;
}

TEST(locale_defaults_to_english_and_zh_cn_writes_chinese_dates)
{
  cp_config *c;
  sbuf b = {0};
  int64_t day;
  char buf[16];
  CHECK_INT(CP_OK, load("", &c));
  CHECK_INT(CP_LOCALE_EN, cp_locale_of(c));
  cp_config_free(c);
  CHECK_INT(CP_OK, load("locale: zh-CN\n", &c));
  CHECK_INT(CP_LOCALE_ZH_CN, cp_locale_of(c));
  cp_config_free(c);
  cp_dates_parse_date("2026-01-05", 10, &day);
  cp_locale_date(CP_LOCALE_ZH_CN, day, &b);
  CHECK_STR("2026年1月5日", b.s);
  cp_sbuf_clear(&b);
  cp_locale_date(CP_LOCALE_EN, day, &b);
  CHECK_STR("2026-01-05", b.s);
  cp_sbuf_clear(&b);
  cp_locale_month(CP_LOCALE_ZH_CN, "2026-01", &b);
  CHECK_STR("2026年1月", b.s);
  CHECK_STR("1月", cp_locale_month_short(CP_LOCALE_ZH_CN, "2026-01", buf));
  CHECK_STR("Oct", cp_locale_month_short(CP_LOCALE_EN, "2026-10", buf));
  cp_sbuf_free(&b);
}

TEST(labels_replace_ids_and_fall_back_to_them)
{
  cp_config *c;
  CHECK_INT(CP_OK, load("locale: zh-CN\nlabels:\n  rules: {contact.dormant: 长期未联络}\n"
                        "  severities: {info: 知悉}\n", &c));
  if (!c)
    return;
  CHECK_STR("长期未联络", cp_locale_label(c, "rules", "contact.dormant"));
  CHECK_STR("visit.account", cp_locale_label(c, "rules", "visit.account"));
  CHECK_STR("strategic", cp_locale_label(c, "tiers", "strategic"));
  CHECK_STR("知悉", cp_locale_severity(c, 0));
  CHECK_STR("严重", cp_locale_severity(c, 2));
  CHECK_STR("x", cp_locale_label(NULL, "rules", "x"));
  CHECK_STR("warning", cp_locale_severity(NULL, 1));
  cp_config_free(c);
}

TEST(bad_locale_and_labels_are_refused)
{
  const char *bad[] = {
    "locale: fr\n",
    "labels: [a]\n",
    "labels: {rules: [a, b]}\n",
    "labels: {rules: {a: {b: c}}}\n",
    "labels: {rules: {a: ''}}\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cp_config *c;
    CHECK_INT(CP_ECONFIG, load(bad[i], &c));
    CHECK(c == NULL);
  }
}
