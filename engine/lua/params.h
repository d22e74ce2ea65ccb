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

/* Pushes the config's labels as read-only Lua tables of strings
 * (labels.rules["contact.dormant"]); an empty table when there are none.
 * Runs in protected mode (may raise a memory error). */
void cp_params_labels_push(lua_State *L, const cp_config *c);

#endif
