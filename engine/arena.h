/* arena.h: a bump allocator for data that lives as long as one client, and
 * growing arrays. */
#ifndef CP_ARENA_H
#define CP_ARENA_H

#include <stddef.h>

typedef struct cp_block cp_block;

/* An arena: allocations are freed all at once by cp_arena_reset(). */
typedef struct cp_arena {
  cp_block *head;     /* current block; older ones follow */
  size_t used;        /* bytes used in head */
  size_t block;       /* block size; 0 means 64 KiB */
} cp_arena;

/* Returns size bytes aligned to 8, owned by the arena; NULL when out of memory. */
void *cp_arena_alloc(cp_arena *a, size_t size);

/* Returns a NUL-terminated copy of len bytes of s, owned by the arena. */
char *cp_arena_strndup(cp_arena *a, const char *s, size_t len);

/* Frees everything but the first block, which is kept for reuse. */
void cp_arena_reset(cp_arena *a);

/* Frees all blocks. */
void cp_arena_free(cp_arena *a);

/* Makes room for one more element in a growing array of size-byte elements
 * at *arr holding n with room for *cap: when full, doubles it (16 at first).
 * Returns 0, or -1 when out of memory (the array is left as it was). */
int cp_grow(void **arr, size_t *cap, size_t n, size_t size);

#endif
