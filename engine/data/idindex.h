/* idindex.h: finding a lookup row by its id, as get() does: a hash table of
 * row numbers whose ids compare as the keys of a Lua table do. */
#ifndef CP_IDINDEX_H
#define CP_IDINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "facts.h"

/* The index of some rows by the values of one column. */
typedef struct cp_id_index {
  uint32_t col;             /* the id column */
  uint32_t mask;            /* number of slots - 1 (a power of 2) */
  uint32_t slot[];          /* 1 + the row with an id, or 0 for an empty slot */
} cp_id_index;

/* Returns v as a key of a Lua table: a float with an integer value is that
 * integer; nil and NaN are not keys (CP_V_NIL). */
cp_value cp_idindex_key_of(const cp_value *v);

/* Returns 1 when keys a and b (from cp_idindex_key_of()) are equal, as Lua compares them. */
int cp_idindex_key_eq(const cp_value *a, const cp_value *b);

/* Returns the hash of a key from cp_idindex_key_of(). */
uint32_t cp_idindex_key_hash(const cp_value *k);

/* Returns the size in bytes of the index of n rows. */
size_t cp_idindex_size(uint32_t n);

/* Builds in x, of cp_idindex_size(rows->n) bytes, the index of rows (ncols
 * values each) by column col. Rows whose id is nil cannot be found; of rows
 * with one id, the last is found. */
void cp_idindex_build(cp_id_index *x, const cp_rows *rows, size_t ncols, uint32_t col);

/* Returns the row whose id is key (a float with an integer value finds that
 * integer), or -1. rows and ncols are those x was built from. */
int64_t cp_idindex_find(const cp_id_index *x, const cp_rows *rows, size_t ncols,
                         const cp_value *key);

#endif
