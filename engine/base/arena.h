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
  size_t held;        /* bytes of its blocks (cp_arena_bytes) */
} cp_arena;

/* Returns size bytes aligned to 8, owned by the arena; NULL when out of memory. */
void *cp_arena_alloc(cp_arena *a, size_t size);

/* Returns a NUL-terminated copy of len bytes of s, owned by the arena, packed
 * against the previous one (a string needs no alignment). */
char *cp_arena_strndup(cp_arena *a, const char *s, size_t len);

/* Frees everything but the first block, which is kept for reuse. */
void cp_arena_reset(cp_arena *a);

/* Returns the bytes the arena holds from malloc (its blocks), at once. */
size_t cp_arena_bytes(const cp_arena *a);

/* Frees all blocks. */
void cp_arena_free(cp_arena *a);

/* Makes room for one more element in a growing array of size-byte elements
 * at *arr holding n with room for *cap: when full, doubles it (16 at first).
 * Returns 0, or -1 when out of memory (the array is left as it was). */
int cp_arena_grow(void **arr, size_t *cap, size_t n, size_t size);

/* Returns a hash (FNV-1a) of len bytes of s, for tables of strings. */
size_t cp_arena_hash(const char *s, size_t len);

/* A string of an intern set. */
typedef struct cp_interned {
  const char *s;      /* the copy in the arena; NULL: an empty slot */
  size_t len;         /* its length */
} cp_interned;

/* A set of strings copied once into an arena: equal strings share one copy.
 * Zeroed, then arena set, it is empty. */
typedef struct cp_intern {
  cp_arena *arena;    /* where the strings go (not owned) */
  cp_interned *slot;  /* open addressing, a power of 2 of them */
  size_t n, cap;      /* strings held, and slots */
} cp_intern;

/* Returns the copy of len bytes of s (NUL-terminated) held by the set, made
 * on the first call; NULL when out of memory. */
const char *cp_arena_intern_str(cp_intern *in, const char *s, size_t len);

/* Frees the set; the strings stay in the arena. */
void cp_arena_intern_free(cp_intern *in);

#endif
