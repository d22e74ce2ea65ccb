/* assignees.c: the config's `assignees` section, read from the config's
 * tree when asked (it is small): the lookup of each kind's assignees. */
#include "assignees.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"

/* Returns the index of lookup name, or -1. */
static int lookup_index(const cp_config *cfg, const char *name)
{
  for (unsigned i = 0; name && i < cfg->file->lookups_count; i++)
    if (!strcmp(cfg->file->lookups[i].name, name))
      return (int)i;
  return -1;
}

/* Checks that scalar node v names a declared lookup. */
static cp_err named_lookup(const cp_config *cfg, const yt_node *v, const char *what)
{
  if (!v || v->kind != YT_SCALAR)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: assignees: %s names a lookup", cfg->path,
                     v ? v->line : 0, what);
  if (*v->value && lookup_index(cfg, v->value) < 0)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: assignees: %s: the config declares no lookup '%s'",
                     cfg->path, v->line, what, v->value);
  return CP_OK;
}

cp_err cp_assignees_check(const cp_config *cfg)
{
  const yt_node *a = cfg->doc ? cp_ytree_get(cfg->doc, "assignees") : NULL;
  if (!a)
    return CP_OK;
  if (a->kind != YT_MAP)
    return cp_diag_fail(CP_ECONFIG, "%s:%u: assignees: a mapping of default, alerts and kinds",
                     cfg->path, a->line);
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i + 1 < a->n; i += 2) {
    const yt_node *k = a->items[i], *v = a->items[i + 1];
    if (!strcmp(k->value, "default") || !strcmp(k->value, "alerts")) {
      rc = named_lookup(cfg, v, k->value);
    } else if (!strcmp(k->value, "kinds") || !strcmp(k->value, "rules")) {
      if (v->kind != YT_MAP)   /* `rules: leads` is no unknown key: say what goes there */
        rc = cp_diag_fail(CP_ECONFIG, "%s:%u: assignees: %s: a mapping of %s to lookup "
                          "({%s: LOOKUP})", cfg->path, v->line, k->value,
                          k->value[0] == 'k' ? "assignment kind" : "rule id",
                          k->value[0] == 'k' ? "KIND" : "RULE_ID");
      for (size_t j = 0; rc == CP_OK && j + 1 < v->n; j += 2)
        rc = named_lookup(cfg, v->items[j + 1], v->items[j]->value);
    } else {
      rc = cp_diag_fail(CP_ECONFIG, "%s:%u: assignees: unknown key '%s' (default, alerts, kinds: "
                     "a mapping of assignment kind to lookup, rules: a mapping of rule id to "
                     "the lookup of its alerts)", cfg->path, k->line, k->value);
    }
  }
  return rc;
}

/* Returns the scalar text of key in map, or NULL. */
static const char *text_of(const yt_node *map, const char *key)
{
  const yt_node *v = map && map->kind == YT_MAP ? cp_ytree_get(map, key) : NULL;
  return v && v->kind == YT_SCALAR ? v->value : NULL;
}

int cp_assignees_lookup(const cp_config *cfg, const char *base, const char *kind,
                        const char *rule)
{
  const yt_node *a = cfg->doc ? cp_ytree_get(cfg->doc, "assignees") : NULL;
  const char *name = kind ? text_of(a ? cp_ytree_get(a, "kinds") : NULL, kind)
                   : rule ? text_of(a ? cp_ytree_get(a, "rules") : NULL, rule)
                          : NULL;   /* --assignees LOOKUP, checked alone */
  if (base && !*base)
    return -1;
  if (!name && !kind && !base)
    name = text_of(a, "alerts");
  if (!name)
    name = base ? base : text_of(a, "default");
  if (!name)
    name = "staff";
  return name && *name ? lookup_index(cfg, name) : -1;
}

cp_err cp_assignees_option(const cp_config *cfg, const char *base)
{
  if (!base || !*base || cp_assignees_lookup(cfg, base, NULL, NULL) >= 0)
    return CP_OK;
  return cp_diag_fail(CP_EUSAGE, "--assignees: the config declares no lookup '%s'", base);
}

void cp_assignees_say(const cp_config *cfg, const cp_item *it, const char *client, int li,
                      char *buf, size_t size)
{
  snprintf(buf, size, "%s %s for client %s%s%s: assignee '%s' is not an id of lookup.%s%s%s%s",
           it->what == CP_ALERT ? "alert" : it->kind ? it->kind : "assignment", it->rule, client,
           it->key && *it->key ? ", key " : "", it->key && *it->key ? it->key : "", it->assignee,
           cfg->file->lookups[li].name,
           it->what == CP_ALERT ? " (assignees: rules: {" : "",
           it->what == CP_ALERT ? it->rule : "",
           it->what == CP_ALERT ? ": LOOKUP} checks this rule's alerts against another)" : "");
}

cp_err cp_assignees_start(cp_assignee_check *a, const cp_config *cfg, cp_facts *facts)
{
  *a = (cp_assignee_check){.cfg = cfg, .facts = facts};
  if (!cfg->doc || !cp_ytree_get(cfg->doc, "assignees") || !cfg->file->lookups_count)
    return CP_OK;
  a->index = calloc(cfg->file->lookups_count, sizeof *a->index);
  return a->index ? CP_OK : cp_diag_fail(CP_ENOMEM, "run: out of memory");
}

/* Returns the id index of lookup li (made now if need be), or NULL when the
 * lookup has no id column among its columns or memory ran out. */
static const cp_id_index *index_of(cp_assignee_check *a, int li)
{
  const cp_table_cfg *t = &a->cfg->file->lookups[li];
  const cp_rows *rows;
  unsigned col = 0;
  if (a->index[li])
    return a->index[li];
  while (col < t->columns_count && strcmp(t->columns[col].name, t->id))
    col++;
  if (col == t->columns_count || cp_facts_lookup(a->facts, (unsigned)li, &rows) != CP_OK ||
      !(a->index[li] = malloc(cp_idindex_size(rows->n))))
    return NULL;
  cp_idindex_build(a->index[li], rows, t->columns_count, col);
  return a->index[li];
}

void cp_assignees_outcome(cp_assignee_check *a, const cp_outcome *o)
{
  for (size_t i = 0; a->index && i < o->n; i++) {
    const cp_item *it = &o->items[i];
    if ((it->what != CP_ALERT && it->what != CP_ASSIGN) || !it->assignee)
      continue;
    int li = cp_assignees_lookup(a->cfg, NULL, it->what == CP_ALERT ? NULL : it->kind ? it->kind : "",
                                 it->rule);
    const cp_id_index *x = li >= 0 ? index_of(a, li) : NULL;
    const cp_rows *rows;
    cp_value key = {.type = CP_V_TEXT, .len = (uint32_t)strlen(it->assignee), .u.s = it->assignee};
    if (!x || cp_facts_lookup(a->facts, (unsigned)li, &rows) != CP_OK ||
        cp_idindex_find(x, rows, a->cfg->file->lookups[li].columns_count, &key) >= 0)
      continue;
    if (a->wrong < 10) {
      char said[512];
      cp_assignees_say(a->cfg, it, o->client_id, li, said, sizeof said);
      cp_diag_warn("%s", said);
    }
    else if (a->wrong == 10)
      cp_diag_warn("more assignees that are no id of their lookup follow; they are not printed");
    a->wrong++;
  }
}

void cp_assignees_end(cp_assignee_check *a)
{
  for (unsigned i = 0; a->index && i < a->cfg->file->lookups_count; i++)
    free(a->index[i]);
  free(a->index);
  a->index = NULL;
}
