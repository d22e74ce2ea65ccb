/* sensitive.h: columns the config marks `sensitive: true` (personal data: a
 * phone number, a guardian's name) stay out of results: a title, key, data
 * or assignee that holds the current client's value of such a column is an
 * error of the rule that reported it, so it never reaches the state or the
 * feed. explain masks them (show.c, trace.c). */
#ifndef CP_SENSITIVE_H
#define CP_SENSITIVE_H

#include <lua.h>

#include "api.h"
#include "outcome.h"

/* The shortest value looked for: shorter ones (a 1, "F") occur anywhere. */
#define CP_SENSITIVE_MIN 4

/* Raises a Lua error naming the column when a text field of item it holds
 * a text value of 4 bytes or more of a sensitive column of the client (its
 * columns and its rows); returns otherwise. For C functions called by Lua. */
void cp_sensitive_check(lua_State *L, const cp_rules *api, const cp_item *it);

/* Returns a malloc'd copy of text in which every such value of the current
 * client reads <sensitive> (explain's reasons and derived values); NULL
 * when memory ran out. */
char *cp_sensitive_mask(const cp_rules *api, const char *text);

#endif
