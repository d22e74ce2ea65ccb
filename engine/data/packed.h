/* packed.h: a lookup table's rows kept by column, compactly: per value a
 * 4-byte text offset, a byte (boolean) or 8 bytes (numbers, dates), and a
 * nil bit, instead of a 16-byte cp_value; each distinct text once. A staff
 * lookup of 6 columns takes about 26 bytes a row instead of 96 (DESIGN:
 * lookups are read whole and kept for the run, so they are what grows with
 * the data). */
#ifndef CP_PACKED_H
#define CP_PACKED_H

#include <stdint.h>

#include "config.h"

typedef struct cp_value cp_value;
typedef struct cp_packed cp_packed;

/* Makes an empty store for rows of table t; NULL when out of memory. */
cp_packed *cp_packed_new(const cp_table_cfg *t);

/* Appends a row (one value per column of t, each nil or of its column's
 * type; texts are copied). Returns 0, -1 when out of memory, -2 when the
 * texts would pass 4 GiB, -3 for a value of another type than its column's. */
int cp_packed_add(cp_packed *p, const cp_value *row);

/* Returns the number of rows added. */
uint32_t cp_packed_rows(const cp_packed *p);

/* The bytes p holds (its columns' room, its texts' and, while loading, the
 * table of texts seen): what limits.lookup_memory_mb bounds. */
size_t cp_packed_bytes(const cp_packed *p);

/* Ends loading: frees what only adding needed. */
void cp_packed_done(cp_packed *p);

/* Reads value j of row i into *out (a text points into the store). */
void cp_packed_get(const cp_packed *p, uint32_t i, unsigned j, cp_value *out);

/* Frees the store; accepts NULL. */
void cp_packed_free(cp_packed *p);

#endif
