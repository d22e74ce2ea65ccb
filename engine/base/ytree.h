/* ytree.h: a YAML document as a plain tree with line numbers (via libyaml).
 *
 * libcyaml loads the typed part of the config; this tree serves what has no
 * fixed schema (the free `params` tree) and locates keys for error messages. */
#ifndef CP_YTREE_H
#define CP_YTREE_H

#include <stddef.h>

typedef enum yt_kind { YT_SCALAR, YT_SEQ, YT_MAP } yt_kind;

typedef struct yt_node {
  yt_kind kind;             /* scalar, sequence or mapping */
  unsigned line;            /* 1-based line where the node starts */
  int plain;                /* scalar written without quotes */
  char *value;              /* scalar text (NUL-terminated), NULL otherwise */
  struct yt_node **items;   /* sequence items, or mapping key,value,key,value... */
  size_t n;                 /* number of entries in items */
} yt_node;

/* What a plain (unquoted) scalar denotes, by its form; params and fixture
 * data read plain scalars alike. A quoted scalar is always text. */
typedef enum yt_plain {
  YT_PLAIN_TEXT,            /* anything else */
  YT_PLAIN_NULL,            /* "", ~, null, Null, NULL */
  YT_PLAIN_BOOL,            /* true, True, TRUE, yes (1); false, False, FALSE, no (0) */
  YT_PLAIN_INT,             /* a decimal integer that fits in 64 bits */
  YT_PLAIN_REAL             /* another number: digits, sign, '.', 'e', '_' */
} yt_plain;

/* Returns what the plain scalar s denotes; sets *b, *i or *d (each may be
 * NULL) for a boolean, an integer or a real. */
yt_plain cp_ytree_plain(const char *s, int *b, long long *i, double *d);

/* Parses the one document of a YAML file into a tree that the caller frees
 * with cp_ytree_free(). On a syntax error writes "PATH:LINE: MESSAGE" into err
 * (errlen bytes) and returns NULL; *root is NULL for an empty file. Returns 0
 * on success, -1 on failure, -2 when memory ran out ("PATH: out of memory"). */
int cp_ytree_load(const char *path, yt_node **root, char *err, size_t errlen);

/* Frees a tree; accepts NULL. */
void cp_ytree_free(yt_node *n);

/* Returns the value node for key in a mapping, or NULL. */
yt_node *cp_ytree_get(const yt_node *map, const char *key);

/* Returns the key node for key in a mapping (for its line), or NULL. */
yt_node *cp_ytree_key(const yt_node *map, const char *key);

#endif
