/* sbuf.h: a growable string buffer, and JSON string quoting into it. */
#ifndef CP_SBUF_H
#define CP_SBUF_H

#include <stddef.h>

/* A NUL-terminated growing string; zero-initialise, free with sbuf_free(). */
typedef struct sbuf {
  char *s;        /* text (NULL until the first append) */
  size_t len;     /* bytes used, without the NUL */
  size_t cap;     /* bytes allocated */
  int oom;        /* an append failed: the text is incomplete */
} sbuf;

/* Appends n bytes. On failure sets oom and leaves the text as it was. */
void sbuf_addn(sbuf *b, const char *s, size_t n);

/* Appends a NUL-terminated string. */
void sbuf_add(sbuf *b, const char *s);

/* Appends printf-formatted text. */
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends n bytes of s as a JSON string literal, with quotes. */
void sbuf_json_str(sbuf *b, const char *s, size_t n);

/* Appends name as an SQL identifier in double quotes. */
void sbuf_sql_ident(sbuf *b, const char *name);

/* Empties the buffer, keeping its memory. */
void sbuf_clear(sbuf *b);

/* Appends the whole file at path. Returns 0, or -1 with errno set (ENOMEM
 * when an append failed); what was read stays appended. */
int sbuf_read_file(sbuf *b, const char *path);

/* Frees the text; the buffer may be reused. */
void sbuf_free(sbuf *b);

#endif
