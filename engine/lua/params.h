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
 * read it and the param's path. Noted raw, as a read costs (a policy may
 * read keys from its data that params lack on purpose, several a client),
 * and formatted only for an error (cp_params_explain). Reads with keys
 * that are not text (ipairs past a list's end) are not noted. line 0:
 * none noted since it was cleared. */
typedef struct cp_params_miss {
  int on;                   /* misses are noted (cp_params_watch()) */
  char src[64];             /* the reading code's chunk, as an error names it */
  int line;                 /* its line, or 0 */
  const char *table;        /* the path of the table read ("params.visits"): a
                             * string the params' path table keeps for the run */
  char key[96];             /* the key, cut to fit */
  size_t key_len;           /* its whole length */
} cp_params_miss;

/* Starts noting the reads of params the config lacks (each such read then
 * costs a call into C: a policy may read keys from its data that params
 * lack on purpose, several a client). test, check and explain note them
 * from the start; a run from its first rule error about a nil. */
void cp_params_watch(lua_State *L);

/* The miss record of the params pushed in L, or NULL (none pushed). It lives
 * as long as L. */
cp_params_miss *cp_params_miss_record(lua_State *L);

/* Returns 1 when the table at idx is one behind a params view, whose
 * metatable only notes misses (a plain table otherwise, e.g. to copy). */
int cp_params_miss_mt(lua_State *L, int idx);

/* For the error message err of a rule: when err is one of the line that m
 * noted reading a missing param ("rules/x.lua:12: ...") and about a nil,
 * writes that param's path into buf ("params.visits.intervl") and returns
 * buf; else NULL. */
const char *cp_params_explain(const cp_params_miss *m, const char *err, char *buf, size_t cap);

/* Pushes the config's labels as read-only Lua tables of strings
 * (labels.rules["contact.dormant"]); an empty table when there are none.
 * Runs in protected mode (may raise a memory error). */
void cp_params_labels_push(lua_State *L, const cp_config *c);

#endif
