/* idindex.c: finding a lookup row by its id in C, so that the Lua heap does
 * not hold a table of every id of a lookup. */
#include "idindex.h"

#include <string.h>

cp_value cp_idindex_key_of(const cp_value *v)
{
  cp_value k = *v;
  double r = v->u.r;
  if (v->type == CP_V_REAL && r >= -0x1p63 && r < 0x1p63 && (double)(int64_t)r == r)
    k = (cp_value){.type = CP_V_INT, .u.i = (int64_t)r};
  else if (v->type == CP_V_REAL && r != r)
    k.type = CP_V_NIL;
  return k;
}

int cp_idindex_key_eq(const cp_value *a, const cp_value *b)
{
  if (a->type != b->type)
    return 0;
  if (a->type == CP_V_TEXT)
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
  return a->type == CP_V_REAL ? a->u.r == b->u.r : a->u.i == b->u.i;
}

/* FNV-1a over text, a multiply otherwise. */
uint32_t cp_idindex_key_hash(const cp_value *k)
{
  uint64_t h = 14695981039346656037u ^ k->type;
  if (k->type == CP_V_TEXT) {
    for (uint32_t i = 0; i < k->len; i++)
      h = (h ^ (unsigned char)k->u.s[i]) * 1099511628211u;
  } else {
    uint64_t x;
    memcpy(&x, &k->u, sizeof x);
    h = (h ^ x) * 0x9e3779b97f4a7c15u;
  }
  return (uint32_t)(h ^ (h >> 32));
}

/* Returns the number of slots for n rows: a power of 2, at most 2/3 full. */
static uint32_t slots(uint32_t n)
{
  uint32_t size = 8;
  while (size < n + n / 2)
    size *= 2;
  return size;
}

/* Returns the index of the slot of key (from cp_idindex_key_of()) in x: the one
 * holding it, or the empty one where it goes. */
static uint32_t find_slot(const cp_id_index *x, const cp_rows *rows, size_t ncols,
                          const cp_value *key)
{
  for (uint32_t i = cp_idindex_key_hash(key) & x->mask;; i = (i + 1) & x->mask) {
    if (!x->slot[i])
      return i;
    cp_value v;
    cp_facts_value(rows, ncols, x->slot[i] - 1, x->col, &v);
    cp_value id = cp_idindex_key_of(&v);
    if (cp_idindex_key_eq(&id, key))
      return i;
  }
}

size_t cp_idindex_size(uint32_t n)
{
  return sizeof(cp_id_index) + (size_t)slots(n) * sizeof(uint32_t);
}

void cp_idindex_build(cp_id_index *x, const cp_rows *rows, size_t ncols, uint32_t col)
{
  uint32_t size = slots(rows->n);
  x->col = col;
  x->mask = size - 1;
  memset(x->slot, 0, (size_t)size * sizeof x->slot[0]);
  for (uint32_t r = 0; r < rows->n; r++) {
    cp_value v;
    cp_facts_value(rows, ncols, r, col, &v);
    cp_value id = cp_idindex_key_of(&v);
    if (id.type != CP_V_NIL)
      x->slot[find_slot(x, rows, ncols, &id)] = r + 1;
  }
}

int64_t cp_idindex_find(const cp_id_index *x, const cp_rows *rows, size_t ncols,
                         const cp_value *key)
{
  cp_value k = cp_idindex_key_of(key);
  if (k.type == CP_V_NIL)
    return -1;
  return (int64_t)x->slot[find_slot(x, rows, ncols, &k)] - 1;
}
