/* sblib.h: the standard library as rules get it: functions whose work grows
 * with their arguments charge the budget for it first (or refuse beyond a
 * bound), and the functions that catch errors cannot swallow the budget. */
#ifndef CP_SBLIB_H
#define CP_SBLIB_H

#include <lua.h>

/* Most values a library function may return at once (table.unpack,
 * string.byte, utf8.codepoint, string.unpack): each later copy of a long
 * list of values is one VM instruction that no count would see. */
#define CP_SBLIB_MAX_RESULTS 8000

/* Replaces, in the rules' copy of library lib (a plain table at idx:
 * "_G" for the base functions, "string", "table", "utf8", "coroutine", or
 * "string metatable"), the functions that do work proportional to their
 * arguments with ones that charge the budget for it first, and pcall,
 * xpcall and the coroutine functions with ones that re-raise a spent budget
 * and give coroutines the budget hook. Errors the wrapped functions raise
 * still name the rule's line. Raises a memory error on failure. */
void cp_sblib_wrap(lua_State *L, const char *lib, int idx);

#endif
