/* show.h: values as `crmpolicy explain` shows them: rows by their table and
 * fields, a table's rows by count, lists and maps by their items, dates and
 * timestamps as text, sensitive columns masked. */
#ifndef CP_SHOW_H
#define CP_SHOW_H

#include <lua.h>

#include "sbuf.h"

/* What a masked value shows as. */
#define CP_SHOW_MASKED "<sensitive>"

/* Appends to b the value at idx; type is the column type it was read from
 * (a cp_coltype), or -1. Strings inside tables are quoted, a string at the
 * top is not. Raises only memory errors: call it where Lua may raise. */
void cp_show(lua_State *L, int idx, int type, sbuf *b);

/* As cp_show(), for a value inside a table or row at depth (1 and more):
 * strings quoted, tables deeper than 2 elided. */
void cp_show_item(lua_State *L, int idx, int type, sbuf *b, int depth);

/* Appends len bytes of s, each NUL byte as \x00: what is shown is kept as
 * C text, which a NUL would cut (hiding the rest of the value). */
void cp_show_text(sbuf *b, const char *s, size_t len);

/* Appends a row, or a set of rows, at idx to b; returns 0 when the value is
 * neither (rowset.c). depth is as for cp_show_item(). */
int cp_rowsby_show(lua_State *L, int idx, sbuf *b, int depth);

#endif
