/* test_config.c: the config loader: typed settings, defaults, paths, params. */
#include <stdio.h>

#include "config.h"
#include "unit.h"

/* Writes text to dir/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
  static char path[300];
  snprintf(path, sizeof path, "%s/%s", unit_tmpdir(), name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static const char valid[] =
  "facts: data/f.db\n"
  "state: /var/lib/s.db\n"
  "rules: [rules/a.lua, rules/b.lua]\n"
  "clients:\n"
  "  name: clients\n"
  "  id: id\n"
  "  exists_from: created_on\n"
  "  columns:\n"
  "    - {name: created_on, type: date}\n"
  "tables:\n"
  "  - name: orders\n"
  "    key: client_id\n"
  "    columns:\n"
  "      - {name: amount, type: money, required: true}\n"
  "      - {name: delivered_on, type: date, future: empty}\n"
  "params:\n"
  "  window: 365\n"
  "  tiers: {key: {share_above: 0.03}}\n";

TEST(valid_config_loads_with_defaults_and_resolved_paths)
{
  cp_config *c;
  const char *path = write_file("c.yaml", valid);
  CHECK_INT(CP_OK, cp_config_load(path, &c));
  if (!c)
    return;
  char want[400];
  snprintf(want, sizeof want, "%s/data/f.db", unit_tmpdir());
  CHECK_STR(want, c->facts);
  CHECK_STR("/var/lib/s.db", c->state);
  CHECK_INT(2, c->file->rules_count);
  CHECK_INT(64, c->file->limits.memory_mb);
  CHECK_INT(1000000, c->file->limits.instructions);
  CHECK_INT(1, c->file->tables_count);
  CHECK_INT(CP_COL_MONEY, c->file->tables[0].columns[0].type);
  CHECK(c->file->tables[0].columns[0].required);
  CHECK_INT(CP_FUTURE_EMPTY, c->file->tables[0].columns[1].future);
  CHECK_INT(11, c->file->tables[0].line);
  CHECK(c->params && c->params->kind == YT_MAP);
  CHECK_STR("365", cp_ytree_get(c->params, "window")->value);
  cp_config_free(c);
}

TEST(invalid_configs_are_refused)
{
  const char *bad[] = {
    "facts: f\nstate: s\nrules: [r]\nclients: {name: c, columns: []}\n",        /* no id */
    "facts: f\nstate: s\nrules: []\nclients: {name: c, id: id, columns: []}\n", /* no rules */
    "facts: f\nstate: s\nrules: [r]\nclients: {name: c, id: id, columns: [{name: a, type: "
    "datetime}]}\n",                                                               /* type */
    "facts: f\nstate: s\nrules: [r]\nclients: {name: c, id: id, exists_from: a, columns: "
    "[{name: a, type: text}]}\n",                                  /* exists_from not a date */
    "facts: f\nstate: s\nrules: [r]\nclients: {name: c, id: id, columns: []}\nparams: 3\n",
    "facts: [f\n",                                                                  /* syntax */
    "",                                                                             /* empty */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cp_config *c;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    cp_err rc = cp_config_load(write_file("bad.yaml", bad[i]), &c);
    fclose(stderr);
    stderr = saved;
    if (rc != CP_ECONFIG || c)
      unit_fail(__FILE__, __LINE__, "bad config %zu was accepted", i);
    cp_config_free(c);
  }
}
