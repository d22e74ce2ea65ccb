/* sbuf.h: a growable string buffer, and JSON string quoting into it. */
#ifndef CP_SBUF_H
#define CP_SBUF_H

#include <stddef.h>

/* A NUL-terminated growing string; zero-initialise, free with cp_sbuf_free(). */
typedef struct sbuf {
  char *s;        /* text (NULL until the first append) */
  size_t len;     /* bytes used, without the NUL */
  size_t cap;     /* bytes allocated */
  int oom;        /* an append failed: the text is incomplete */
} sbuf;

/* Appends n bytes. On failure sets oom and leaves the text as it was. */
void cp_sbuf_addn(sbuf *b, const char *s, size_t n);

/* Appends a NUL-terminated string. */
void cp_sbuf_add(sbuf *b, const char *s);

/* Appends an integer in decimal (printf's %lld, without printf's cost: once
 * for every number in every result's data). */
void cp_sbuf_int(sbuf *b, long long v);

/* Appends printf-formatted text. */
void cp_sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns the length (1 to 4) of the valid UTF-8 character at s, of at most
 * n bytes, or 0 when s does not start one (n == 0 included). */
size_t cp_sbuf_utf8_len(const char *s, size_t n);

/* Returns the length of the character at s (of at most n bytes) when it is
 * plain text: valid UTF-8 and no control character (C0, DEL, C1); else 0. */
size_t cp_sbuf_plain_len(const char *s, size_t n);

/* Returns 1 when the n bytes of s are valid UTF-8. */
int cp_sbuf_is_utf8(const char *s, size_t n);

/* Appends n bytes of s, each byte that is not part of a valid UTF-8
 * character as U+FFFD. */
void cp_sbuf_add_utf8(sbuf *b, const char *s, size_t n);

/* Appends n bytes of s, JSON text that is valid UTF-8 (a stored body or
 * data), with each C1 control (U+0080 to U+009F) and U+2028 and U+2029 as
 * a \u escape, as cp_sbuf_json_str writes them: in valid JSON they can
 * only be inside strings, so the value is the same. */
void cp_sbuf_add_json_text(sbuf *b, const char *s, size_t n);

/* Returns 1 when the n bytes of s are all plain text (cp_sbuf_plain_len). */
int cp_sbuf_is_plain(const char *s, size_t n);

/* Appends n bytes of s as a JSON string literal, with quotes. The result is
 * always valid UTF-8: each byte that is not part of a valid UTF-8 character
 * is written as U+FFFD; control characters as \n, \t, \r or \u00XX. */
void cp_sbuf_json_str(sbuf *b, const char *s, size_t n);

/* Appends n bytes of s for a terminal: control characters (C0, DEL, C1) and
 * bytes that are not part of valid UTF-8 are written as \xNN, one per byte
 * (\n, \t, \r for those three), so that no value can move the cursor,
 * change colours or break a line. */
void cp_sbuf_term_str(sbuf *b, const char *s, size_t n);

/* Appends fmt with each %s argument escaped as cp_sbuf_term_str() does.
 * Understands %s, %d, %% and a width with an optional '-' (%-10s, %3d),
 * counted in bytes; NULL strings read "(null)". */
void cp_sbuf_term_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends name as an SQL identifier in double quotes. */
void cp_sbuf_sql_ident(sbuf *b, const char *name);

/* Empties the buffer, keeping its memory. */
void cp_sbuf_clear(sbuf *b);

/* Appends the whole file at path, a regular file of at most max bytes.
 * Returns 0, or -1 with errno set: EINVAL (EISDIR) for a path that is no
 * regular file (a FIFO is not waited on), EFBIG past max, ENOMEM when an
 * append failed; what was read stays appended. */
int cp_sbuf_read_file(sbuf *b, const char *path, size_t max);

/* Frees the text; the buffer may be reused. */
void cp_sbuf_free(sbuf *b);

#endif
