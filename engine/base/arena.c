/* arena.c: chunked bump allocation, reset per client so memory stays flat;
 * and strings stored once. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 65536

struct cp_block {
  cp_block *next;     /* older block */
  size_t size;        /* usable bytes in data */
  char data[];        /* the memory handed out */
};

/* Returns size bytes at a multiple of align (1 or 8) in the arena, a new
 * block made when the head has no room; NULL when out of memory. */
static void *take(cp_arena *a, size_t size, size_t align)
{
  size_t at = a->head ? (a->used + align - 1) & ~(align - 1) : 0;
  if (!a->head || at > a->head->size || size > a->head->size - at) {
    size_t block = a->block ? a->block : BLOCK_SIZE;
    size_t want = size > block ? size : block;
    cp_block *b = malloc(sizeof *b + want);
    if (!b)
      return NULL;
    b->size = want;
    a->held += sizeof *b + want;
    if (a->head && a->used == 0) {   /* an unused head block: replace, keep order */
      b->next = a->head->next;
      a->held -= sizeof *a->head + a->head->size;
      free(a->head);
    } else {
      b->next = a->head;
    }
    a->head = b;
    at = 0;
  }
  a->used = at + size;
  return a->head->data + at;
}

void *cp_arena_alloc(cp_arena *a, size_t size)
{
  return take(a, size, 8);
}

char *cp_arena_strndup(cp_arena *a, const char *s, size_t len)
{
  char *p;
  if (a->head && len < a->head->size - a->used) {   /* the common case: room in the head */
    p = a->head->data + a->used;
    a->used += len + 1;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
  }
  p = take(a, len + 1, 1);   /* text needs no alignment: no padding between strings */
  if (p) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

void cp_arena_reset(cp_arena *a)
{
  if (!a->head)
    return;
  cp_block *keep = a->head;
  while (keep->next) {   /* the oldest block is the first, standard-sized one */
    cp_block *b = keep;
    keep = keep->next;
    free(b);
  }
  a->head = keep;
  a->used = 0;
  a->held = sizeof *keep + keep->size;
}

size_t cp_arena_bytes(const cp_arena *a)
{
  return a->held;
}

int cp_arena_grow(void **arr, size_t *cap, size_t n, size_t size)
{
  if (n < *cap)
    return 0;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, c * size);
  if (!p)
    return -1;
  *arr = p;
  *cap = c;
  return 0;
}

void cp_arena_free(cp_arena *a)
{
  while (a->head) {
    cp_block *b = a->head;
    a->head = b->next;
    free(b);
  }
  a->used = 0;
  a->held = 0;
}

size_t cp_arena_hash(const char *s, size_t len)
{
  uint64_t h = 14695981039346656037u;   /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return (size_t)(h ^ (h >> 32));
}

/* Returns the slot of s in a table of cap slots: where it is, or the empty
 * slot where it goes. */
static cp_interned *intern_slot(cp_interned *slot, size_t cap, const char *s, size_t len)
{
  size_t i = cp_arena_hash(s, len) & (cap - 1);
  while (slot[i].s && (slot[i].len != len || memcmp(slot[i].s, s, len) != 0))
    i = (i + 1) & (cap - 1);
  return &slot[i];
}

/* Doubles the slots of the set (64 at first). Returns 0, or -1 when out of memory. */
static int intern_grow(cp_intern *in)
{
  size_t cap = in->cap ? in->cap * 2 : 64;
  cp_interned *slot = calloc(cap, sizeof *slot);
  if (!slot)
    return -1;
  for (size_t i = 0; i < in->cap; i++)
    if (in->slot[i].s)
      *intern_slot(slot, cap, in->slot[i].s, in->slot[i].len) = in->slot[i];
  free(in->slot);
  in->slot = slot;
  in->cap = cap;
  return 0;
}

const char *cp_arena_intern_str(cp_intern *in, const char *s, size_t len)
{
  if (in->n + 1 > in->cap / 2 && intern_grow(in) < 0)
    return NULL;
  cp_interned *x = intern_slot(in->slot, in->cap, s, len);
  if (!x->s) {
    if (!(x->s = cp_arena_strndup(in->arena, s, len)))
      return NULL;
    x->len = len;
    in->n++;
  }
  return x->s;
}

void cp_arena_intern_free(cp_intern *in)
{
  free(in->slot);
  in->slot = NULL;
  in->n = in->cap = 0;
}
