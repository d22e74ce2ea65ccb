/* params.h: the config's free `params` tree as the rules see it. */
#ifndef CP_PARAMS_H
#define CP_PARAMS_H

#include <lua.h>

#include "ytree.h"

/* Pushes the params tree as nested read-only tables (params.c). */
void cp_params_push(lua_State *L, const yt_node *params);

#endif
