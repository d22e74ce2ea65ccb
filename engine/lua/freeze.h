/* freeze.h: read-only views of Lua values, to any depth: the one helper that
 * makes what the rule API hands out (params, run values, library tables, dt,
 * lookups, the host's metatables) impossible to change from a rule. */
#ifndef CP_FREEZE_H
#define CP_FREEZE_H

#include <lua.h>

/* Pushes a frozen value for the value at idx: a table becomes a read-only
 * view of a private deep copy whose nested tables (keys and values) are
 * views too; a view is pushed as it is; other values are pushed unchanged
 * (functions keep their upvalues). Shared or cyclic tables stay shared
 * (one view each). Metatables a rule made are not copied: a frozen value
 * is data; the host's own (cp_freeze_protect) are kept.
 * Raises a Lua error (memory, nesting deeper than 200 levels): call it
 * inside a protected call. */
void cp_freeze(lua_State *L, int idx);

/* Replaces the value at the top of the stack by its frozen value (see
 * cp_freeze) in a protected call. Returns LUA_OK, or the error status with
 * the error message in place of the value. */
int cp_freeze_top(lua_State *L);

/* Pushes a live read-only view of the table at idx itself (not a copy):
 * what the host later sets in it shows through. For tables whose values the
 * host freezes as it sets them (the shared environment, `run`). The view's
 * metatable may then be given another __index or __newindex by the caller. */
void cp_freeze_view(lua_State *L, int idx);

/* Makes the metatable at idx that of a view of the table at behind:
 * reads, pairs, next, # and the JSON writer go to that table, writes fail.
 * For a table made a view after the fact (a rule file's environment). */
void cp_freeze_view_meta(lua_State *L, int idx, int behind);

/* Protects the host's own metatable at idx (of clients, rows, rowsets,
 * lists, strings, environments): getmetatable() answers "read-only" and
 * setmetatable() refuses, so no rule can reach or change what is in it.
 * A frozen copy of a table with such a metatable keeps it (a filtered list
 * stays a list). */
void cp_freeze_protect(lua_State *L, int idx);

/* Marks the metatable at idx as that of objects a frozen value holds as
 * they are, not as a copy: the client, read-only already, whose fields are
 * not in its table (a copy would read as an empty table: a derived value
 * {client = c} would give nil for c.x.client.status). */
void cp_freeze_keep(lua_State *L, int idx);

/* Returns 1 when the table at idx has a metatable of cp_freeze_keep(). */
int cp_freeze_kept(lua_State *L, int idx);

/* When the value at idx is a view, pushes the table behind it and returns
 * 1; otherwise pushes nothing and returns 0. For C code that reads tables
 * raw (the JSON writer, copies between states). */
int cp_freeze_behind(lua_State *L, int idx);

/* next(t, k) for rules: iterates a view as the table behind it. */
int cp_freeze_next(lua_State *L);

/* Sets next, rawget and rawlen in the table at idx (the sandbox's base
 * environment) to versions that see through views. */
void cp_freeze_register(lua_State *L, int idx);

#endif
