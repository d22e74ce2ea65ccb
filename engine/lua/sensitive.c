/* sensitive.c: keeping sensitive columns out of results. Only configs that
 * mark a column pay for it: the check walks the sensitive columns of the
 * client's own values, which are few, at each alert{} or assign{}. */
#include "sensitive.h"

#include <lauxlib.h>
#include <string.h>

/* Returns the name of the field of it that holds text v, or NULL. */
static const char *holder(const cp_item *it, const cp_value *v)
{
  const char *names[] = {"title", "data", "key", "assignee"};
  const char *texts[] = {it->title, it->data, it->key, it->assignee};
  if (v->type != CP_V_TEXT || v->len < CP_SENSITIVE_MIN)
    return NULL;
  for (int i = 0; i < 4; i++)
    if (texts[i] && memmem(texts[i], strlen(texts[i]), v->u.s, v->len))
      return names[i];
  return NULL;
}

/* Raises the error for column col of table t found in field. */
static void refuse(lua_State *L, const cp_item *it, const cp_table_cfg *t, unsigned col,
                   const char *field)
{
  luaL_error(L, "%s{}: its %s holds the client's %s.%s, a sensitive column (config): leave "
             "it out of results", it->what == CP_ALERT ? "alert" : "assign", field, t->name,
             t->columns[col].name);
}

void cp_sensitive_check(lua_State *L, const cp_rules *api, const cp_item *it)
{
  const cp_config_file *f = api->cfg->file;
  const char *field;
  if (!api->cfg->any_sensitive)   /* most configs mark nothing: one test per report */
    return;
  for (unsigned j = 0; j < f->clients->columns_count; j++)
    if (f->clients->columns[j].sensitive && (field = holder(it, &api->client->fields[j])))
      refuse(L, it, f->clients, j, field);
  for (unsigned ti = 0; ti < f->tables_count; ti++) {
    const cp_table_cfg *t = &f->tables[ti];
    const cp_rows *rows = &api->client->tables[ti];
    for (unsigned j = 0; j < t->columns_count; j++)
      for (uint32_t r = 0; t->columns[j].sensitive && r < rows->n; r++)
        if ((field = holder(it, &rows->v[(size_t)r * t->columns_count + j])))
          refuse(L, it, t, j, field);
  }
}
