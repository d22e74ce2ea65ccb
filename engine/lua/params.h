/* params.h: the config's free `params` tree and its `labels`, as the rules
 * see them. */
#ifndef CP_PARAMS_H
#define CP_PARAMS_H

#include <lua.h>

#include "config.h"
#include "ytree.h"

/* Pushes the params tree as nested read-only tables (params.c). Runs in
 * protected mode: besides a memory error, raises "LINE: params: ..." for a
 * null or NaN key or two keys of one mapping that are one Lua key once
 * converted (which the loaders refuse first: cp_config_check_params). */
void cp_params_push(lua_State *L, const yt_node *params);

/* The last read of a param the config lacks (a key that a params table has
 * not), as cp_params_push()'s tables note it: the place of the Lua code that
 * read it ("rules/x.lua:12:") and the param's path ("params.visits.intervl").
 * Reads with keys that are not text (ipairs past a list's end) are not
 * noted. Empty where: none noted since it was cleared. */
typedef struct cp_params_miss {
  char where[128];
  char path[256];
} cp_params_miss;

/* The miss record of the params pushed in L, or NULL (none pushed). It lives
 * as long as L. */
cp_params_miss *cp_params_miss_record(lua_State *L);

/* Returns 1 when the table at idx is one behind a params view, whose
 * metatable only notes misses (a plain table otherwise, e.g. to copy). */
int cp_params_miss_mt(lua_State *L, int idx);

/* For the error message err of a rule: the path of the param that m noted
 * the same line reading, when err is one of that line ("rules/x.lua:12:
 * ...") about a nil; else NULL. */
const char *cp_params_explain(const cp_params_miss *m, const char *err);

/* Pushes the config's labels as read-only Lua tables of strings
 * (labels.rules["contact.dormant"]); an empty table when there are none.
 * Runs in protected mode (may raise a memory error). */
void cp_params_labels_push(lua_State *L, const cp_config *c);

#endif
