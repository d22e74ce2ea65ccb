/* arena.c: chunked bump allocation, reset per client so memory stays flat. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 65536

struct cp_block {
  cp_block *next;     /* older block */
  size_t size;        /* usable bytes in data */
  char data[];        /* the memory handed out */
};

void *cp_arena_alloc(cp_arena *a, size_t size)
{
  size = (size + 7) & ~(size_t)7;
  if (!a->head || a->used + size > a->head->size) {
    size_t block = a->block ? a->block : BLOCK_SIZE;
    size_t want = size > block ? size : block;
    cp_block *b = malloc(sizeof *b + want);
    if (!b)
      return NULL;
    b->size = want;
    if (a->head && a->used == 0) {   /* an unused head block: replace, keep order */
      b->next = a->head->next;
      free(a->head);
    } else {
      b->next = a->head;
    }
    a->head = b;
    a->used = 0;
  }
  void *p = a->head->data + a->used;
  a->used += size;
  return p;
}

char *cp_arena_strndup(cp_arena *a, const char *s, size_t len)
{
  char *p = cp_arena_alloc(a, len + 1);
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
}

int cp_grow(void **arr, size_t *cap, size_t n, size_t size)
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
}
