/* sbuf.c: growable strings for SQL, JSON and messages. */
#include "sbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes and the NUL; returns -1 when out of memory. */
static int reserve(sbuf *b, size_t n)
{
  if (b->oom)
    return -1;
  if (b->len + n + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + n + 1)
    cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) {
    b->oom = 1;
    return -1;
  }
  b->s = s;
  b->cap = cap;
  return 0;
}

void sbuf_addn(sbuf *b, const char *s, size_t n)
{
  if (reserve(b, n) < 0)
    return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sbuf_add(sbuf *b, const char *s)
{
  sbuf_addn(b, s, strlen(s));
}

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || reserve(b, (size_t)n) < 0)
    return;
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sbuf_json_str(sbuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  sbuf_addn(b, "\"", 1);
  size_t run = 0;   /* bytes copied as they are, flushed before each escape */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    sbuf_addn(b, s + run, i - run);
    run = i + 1;
    char esc[7] = {'\\', (char)c, 0};
    if (c == '\n')
      esc[1] = 'n';
    else if (c == '\t')
      esc[1] = 't';
    else if (c == '\r')
      esc[1] = 'r';
    else if (c < 0x20)
      memcpy(esc + 1, (char[]){'u', '0', '0', hex[c >> 4], hex[c & 15]}, 5);
    sbuf_add(b, esc);
  }
  sbuf_addn(b, s + run, n - run);
  sbuf_addn(b, "\"", 1);
}

void sbuf_sql_ident(sbuf *b, const char *name)
{
  sbuf_addn(b, "\"", 1);
  for (const char *p = name; *p; p++) {
    sbuf_addn(b, p, 1);
    if (*p == '"')   /* a quote inside an identifier is doubled */
      sbuf_addn(b, p, 1);
  }
  sbuf_addn(b, "\"", 1);
}

void sbuf_clear(sbuf *b)
{
  b->len = 0;
  b->oom = 0;
  if (b->s)
    b->s[0] = '\0';
}

void sbuf_free(sbuf *b)
{
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

int sbuf_read_file(sbuf *b, const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    sbuf_addn(b, buf, n);
  int err = ferror(f) ? EIO : b->oom ? ENOMEM : 0;
  fclose(f);
  errno = err ? err : errno;
  return err ? -1 : 0;
}
