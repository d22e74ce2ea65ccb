/* packed.c: lookup rows by column (packed.h). Texts live in one buffer,
 * each as its length (one byte under 128, else four: a flag bit and 31
 * bits, big end first), its bytes and a NUL, found again while loading
 * through a hash of offsets so that a repeated text (a role, a manager's
 * id) is kept once. */
#include "packed.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "facts.h"

/* One column: its values' type, payload width, and arrays of n values. */
typedef struct pcol {
  cp_vtype type;            /* the type of its non-nil values */
  unsigned width;           /* payload bytes a value: 4 (text offset), 1 (boolean), 8 */
  uint8_t *nil;             /* a bit a row: set for nil */
  uint8_t *pay;             /* width bytes a row */
} pcol;

struct cp_packed {
  unsigned ncols;           /* columns */
  uint32_t n, cap;          /* rows, and room for */
  pcol *col;                /* one per column */
  char *texts;              /* the texts */
  size_t tlen, tcap;        /* bytes used, and room */
  uint32_t *seen;           /* while loading: text offsets + 1, open addressing */
  size_t seen_cap, seen_n;  /* slots (a power of 2), and texts held */
};

/* Returns the type of a column's non-nil values (facts.c: convert()). */
static cp_vtype type_of(cp_coltype t)
{
  switch (t) {
  case CP_COL_TEXT:
    return CP_V_TEXT;
  case CP_COL_REAL:
    return CP_V_REAL;
  case CP_COL_BOOLEAN:
    return CP_V_BOOL;
  default:
    return CP_V_INT;
  }
}

cp_packed *cp_packed_new(const cp_table_cfg *t)
{
  cp_packed *p = calloc(1, sizeof *p);
  if (!p || !(p->col = calloc(t->columns_count + 1, sizeof *p->col))) {
    free(p);
    return NULL;
  }
  p->ncols = t->columns_count;
  for (unsigned j = 0; j < p->ncols; j++) {
    p->col[j].type = type_of(t->columns[j].type);
    p->col[j].width = p->col[j].type == CP_V_TEXT ? 4 : p->col[j].type == CP_V_BOOL ? 1 : 8;
  }
  return p;
}

/* Reads the length of the text at offset o into *len; returns the offset
 * of its bytes. */
static uint32_t text_at(const cp_packed *p, uint32_t o, uint32_t *len)
{
  const unsigned char *t = (const unsigned char *)p->texts + o;
  if (t[0] < 0x80) {
    *len = t[0];
    return o + 1;
  }
  *len = ((uint32_t)(t[0] & 0x7f) << 24) | ((uint32_t)t[1] << 16) | ((uint32_t)t[2] << 8) | t[3];
  return o + 4;
}

/* Returns the slot of len bytes of s in the seen set: the one holding its
 * offset, or the empty one where it goes. */
static size_t seen_slot(const cp_packed *p, const char *s, size_t len)
{
  for (size_t i = cp_arena_hash(s, len) & (p->seen_cap - 1);; i = (i + 1) & (p->seen_cap - 1)) {
    uint32_t o = p->seen[i], n;
    if (!o)
      return i;
    uint32_t at = text_at(p, o - 1, &n);
    if (n == len && !memcmp(p->texts + at, s, len))
      return i;
  }
}

/* Doubles the seen set (or makes its first slots). Returns 0 or -1. */
static int grow_seen(cp_packed *p)
{
  size_t cap = p->seen_cap ? p->seen_cap * 2 : 256;
  uint32_t *old = p->seen;
  size_t old_cap = p->seen_cap;
  if (!(p->seen = calloc(cap, sizeof *p->seen))) {
    p->seen = old;
    return -1;
  }
  p->seen_cap = cap;
  for (size_t i = 0; i < old_cap; i++) {
    uint32_t n;
    if (old[i]) {
      uint32_t at = text_at(p, old[i] - 1, &n);
      p->seen[seen_slot(p, p->texts + at, n)] = old[i];
    }
  }
  free(old);
  return 0;
}

/* Sets *o to the offset of a copy of len bytes of s, made on first sight.
 * Returns 0, -1 when out of memory, -2 past 4 GiB of texts. */
static int keep_text(cp_packed *p, const char *s, size_t len, uint32_t *o)
{
  if ((p->seen_n + 1) * 2 > p->seen_cap && grow_seen(p) < 0)
    return -1;
  size_t slot = seen_slot(p, s, len);
  if (p->seen[slot]) {
    *o = p->seen[slot] - 1;
    return 0;
  }
  size_t head = len < 0x80 ? 1 : 4;
  size_t need = p->tlen + head + len + 1;
  if (need >= UINT32_MAX || len > 0x7fffffff)
    return -2;
  if (need > p->tcap) {
    size_t cap = p->tcap ? p->tcap : 4096;
    while (cap < need)
      cap *= 2;
    char *t = realloc(p->texts, cap);
    if (!t)
      return -1;
    p->texts = t;
    p->tcap = cap;
  }
  unsigned char *t = (unsigned char *)p->texts + p->tlen;
  if (head == 1) {
    t[0] = (unsigned char)len;
  } else {
    t[0] = (unsigned char)(0x80 | (len >> 24));
    t[1] = (unsigned char)(len >> 16);
    t[2] = (unsigned char)(len >> 8);
    t[3] = (unsigned char)len;
  }
  memcpy(t + head, s, len);
  t[head + len] = '\0';
  *o = (uint32_t)p->tlen;
  p->tlen = need;
  p->seen[slot] = *o + 1;
  p->seen_n++;
  return 0;
}

/* Makes room for one more row in every column. Returns 0 or -1. */
static int grow_rows(cp_packed *p)
{
  uint32_t cap = p->cap ? p->cap * 2 : 64;
  if (cap <= p->cap)
    return -1;
  for (unsigned j = 0; j < p->ncols; j++) {
    pcol *c = &p->col[j];
    uint8_t *nil = realloc(c->nil, (cap + 7) / 8);
    if (!nil)
      return -1;
    c->nil = nil;
    uint8_t *pay = realloc(c->pay, (size_t)cap * c->width);
    if (!pay)
      return -1;
    c->pay = pay;
  }
  p->cap = cap;
  return 0;
}

int cp_packed_add(cp_packed *p, const cp_value *row)
{
  if (p->n == p->cap && grow_rows(p) < 0)
    return -1;
  uint32_t i = p->n;
  for (unsigned j = 0; j < p->ncols; j++) {
    pcol *c = &p->col[j];
    const cp_value *v = &row[j];
    uint8_t bit = (uint8_t)(1u << (i % 8));
    uint8_t *pay = c->pay + (size_t)i * c->width;
    if (v->type != c->type && v->type != CP_V_NIL)
      return -3;   /* convert() gives no other type */
    if (v->type == CP_V_NIL) {
      c->nil[i / 8] |= bit;
      memset(pay, 0, c->width);
      continue;
    }
    c->nil[i / 8] &= (uint8_t)~bit;
    if (c->type == CP_V_TEXT) {
      uint32_t o;
      int rc = keep_text(p, v->u.s, v->len, &o);
      if (rc < 0)
        return rc;
      memcpy(pay, &o, 4);
    } else if (c->type == CP_V_BOOL) {
      *pay = v->u.i != 0;
    } else {
      memcpy(pay, &v->u, 8);
    }
  }
  p->n++;
  return 0;
}

size_t cp_packed_bytes(const cp_packed *p)
{
  size_t row = 0;
  for (unsigned j = 0; j < p->ncols; j++)
    row += p->col[j].width;
  return (size_t)p->cap * row + (size_t)p->cap / 8 * p->ncols + p->tcap +
         p->seen_cap * sizeof *p->seen;
}

uint32_t cp_packed_rows(const cp_packed *p)
{
  return p->n;
}

void cp_packed_done(cp_packed *p)
{
  free(p->seen);
  p->seen = NULL;
  p->seen_cap = p->seen_n = 0;
}

void cp_packed_get(const cp_packed *p, uint32_t i, unsigned j, cp_value *out)
{
  const pcol *c = &p->col[j];
  const uint8_t *pay = c->pay + (size_t)i * c->width;
  out->len = 0;
  if (c->nil[i / 8] & (1u << (i % 8))) {
    out->type = CP_V_NIL;
    out->u.i = 0;
    return;
  }
  out->type = c->type;
  if (c->type == CP_V_TEXT) {
    uint32_t o, len;
    memcpy(&o, pay, 4);
    out->u.s = p->texts + text_at(p, o, &len);
    out->len = len;
  } else if (c->type == CP_V_BOOL) {
    out->u.i = *pay;
  } else {
    memcpy(&out->u, pay, 8);
  }
}

void cp_packed_free(cp_packed *p)
{
  if (!p)
    return;
  for (unsigned j = 0; j < p->ncols; j++) {
    free(p->col[j].nil);
    free(p->col[j].pay);
  }
  free(p->col);
  free(p->texts);
  free(p->seen);
  free(p);
}
