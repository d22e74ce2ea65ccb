/* rowset.h: what rowset.c shares with rowsby.c: the userdata of rows and
 * sets of rows, and the helpers that read them. Not for other modules:
 * they use api.h's cp_rowset_push(). */
#ifndef CP_ROWSET_H
#define CP_ROWSET_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

#define ROWSET_MT "crmpolicy.rowset"
#define ROW_MT "crmpolicy.row"
#define LIST_MT "crmpolicy.list"
#define ROWSET_MAGIC 0x52534554u
#define ROW_MAGIC 0x524f5721u

/* A set of rows: a client's table or a lookup table. Rows in user value 1. */
typedef struct rowset_ud {
  uint32_t magic;     /* ROWSET_MAGIC: tells our userdata apart cheaply */
  cp_rules *api;        /* the API context */
  uint32_t gen;       /* client generation; 0 for lookup tables */
  uint32_t source;    /* table index; lookups follow the per-client tables */
} rowset_ud;

/* One row of a rowset. */
typedef struct row_ud {
  uint32_t magic;     /* ROW_MAGIC */
  cp_rules *api;        /* the API context */
  uint32_t gen;       /* as for its rowset */
  uint32_t source;    /* as for its rowset */
  uint32_t row;       /* index in the rows */
} row_ud;

/* Returns the userdata at idx when it is one of ours of this kind (magic
 * and size match), else NULL. Faster than comparing metatables by name. */
void *cp_rowset_udata(lua_State *L, int idx, uint32_t magic, size_t size);

/* Returns the table declaration of a source. */
const cp_table_cfg *cp_rowset_cfg(const cp_rules *api, uint32_t source);

/* Returns the rows of a source, raising an error for rows of a client whose
 * evaluation is over (a rule kept them in a global or upvalue). */
const cp_rows *cp_rowset_rows(lua_State *L, cp_rules *api, uint32_t gen, uint32_t source);

/* Pushes a new object for row i (0-based) of lookup source (gen 0). */
void cp_rowset_push_lookup_row(lua_State *L, cp_rules *api, uint32_t source, uint32_t i);

/* Pushes row i (0-based) of the rowset s at idx (see rowset.c). */
void cp_rowset_push_row(lua_State *L, int idx, const rowset_ud *s, uint32_t i);

/* rows:by(field) (rowsby.c). */
int cp_rowsby_by(lua_State *L);

#endif
