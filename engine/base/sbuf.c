/* sbuf.c: growable strings for SQL, JSON and messages. */
#include "sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void cp_sbuf_addn(sbuf *b, const char *s, size_t n)
{
  if (reserve(b, n) < 0)
    return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void cp_sbuf_add(sbuf *b, const char *s)
{
  cp_sbuf_addn(b, s, strlen(s));
}

void cp_sbuf_int(sbuf *b, long long v)
{
  char buf[24], *p = buf + sizeof buf;
  unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0)
    *--p = '-';
  cp_sbuf_addn(b, p, (size_t)(buf + sizeof buf - p));
}

void cp_sbuf_printf(sbuf *b, const char *fmt, ...)
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

size_t cp_sbuf_utf8_len(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  if (n == 0)
    return 0;
  if (p[0] < 0x80)
    return 1;
  size_t len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
             : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
  if (len == 0 || len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  /* the second byte's range rules out overlong forms, surrogates and
   * code points above U+10FFFF */
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
      (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
    return 0;
  return len;
}

void cp_sbuf_json_str(sbuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  cp_sbuf_addn(b, "\"", 1);
  size_t run = 0;   /* bytes copied as they are, flushed before each escape */
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    for (; i < n; i++) {   /* the common case first: printable ASCII, and CJK */
      unsigned char a = u[i];
      if (a >= 0x20 && a < 0x7f && a != '"' && a != '\\')
        continue;
      if (a >= 0xe1 && a <= 0xef && a != 0xed && i + 2 < n &&
          (u[i + 1] & 0xc0) == 0x80 && (u[i + 2] & 0xc0) == 0x80 &&
          !(a == 0xe2 && u[i + 1] == 0x80 && (u[i + 2] | 1) == 0xa9)) {
        i += 2;   /* a three-byte sequence that needs no range check (not U+2028/9) */
        continue;
      }
      break;
    }
    if (i == n)
      break;
    unsigned char c = (unsigned char)s[i];
    size_t len = c >= 0x80 ? cp_sbuf_utf8_len(s + i, n - i) : 1;
    int c1 = len == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0;   /* U+0080..U+009F */
    /* U+2028 and U+2029, line and paragraph separators: valid JSON, but a
     * line splitter (Python's splitlines, JavaScript before ES2019) breaks
     * a JSON line there */
    int sep = len == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
              ((unsigned char)s[i + 2] | 1) == 0xa9;
    if ((len > 1 && !c1 && !sep) || (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')) {
      i += len;
      continue;
    }
    cp_sbuf_addn(b, s + run, i - run);
    if (sep) {
      cp_sbuf_add(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
      run = i += 3;
      continue;
    }
    if (c1) {   /* a C1 control (CSI ...), as \u0080..\u009f */
      unsigned char u = (unsigned char)s[i + 1];
      cp_sbuf_add(b, (char[]){'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15], 0});
      run = i += 2;
      continue;
    }
    run = ++i;
    char esc[7] = {'\\', (char)c, 0};
    if (len == 0) {   /* not UTF-8: U+FFFD, as its three bytes */
      cp_sbuf_addn(b, "\xef\xbf\xbd", 3);
      continue;
    }
    if (c == '\n')
      esc[1] = 'n';
    else if (c == '\t')
      esc[1] = 't';
    else if (c == '\r')
      esc[1] = 'r';
    else if (c < 0x20 || c == 0x7f)
      memcpy(esc + 1, (char[]){'u', '0', '0', hex[c >> 4], hex[c & 15]}, 5);
    cp_sbuf_add(b, esc);
  }
  cp_sbuf_addn(b, s + run, n - run);
  cp_sbuf_addn(b, "\"", 1);
}

size_t cp_sbuf_plain_len(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t len = !n ? 0 : *p >= 0x80 ? cp_sbuf_utf8_len(s, n) : 1;
  int c1 = len == 2 && p[0] == 0xc2 && p[1] < 0xa0;   /* U+0080..U+009F */
  return len && !c1 && *p >= 0x20 && *p != 0x7f ? len : 0;
}

int cp_sbuf_is_utf8(const char *s, size_t n)
{
  size_t i = 0, len;
  while (i < n && !((unsigned char)s[i] & 0x80))   /* ASCII, the common case */
    i++;
  for (; i < n; i += len)
    if (!(len = cp_sbuf_utf8_len(s + i, n - i)))
      return 0;
  return 1;
}

void cp_sbuf_add_json_text(sbuf *b, const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t run = 0;   /* bytes copied as they are, flushed before each escape */
  for (size_t i = 0; i + 1 < n; i++) {
    unsigned code;
    size_t len;
    if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
      code = u[i + 1], len = 2;
    else if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] | 1) == 0xa9)
      code = 0x2000u | (u[i + 2] - 0x80u), len = 3;
    else
      continue;
    cp_sbuf_addn(b, s + run, i - run);
    cp_sbuf_printf(b, "\\u%04x", code);
    i += len - 1;
    run = i + 1;
  }
  cp_sbuf_addn(b, s + run, n - run);
}

void cp_sbuf_add_utf8(sbuf *b, const char *s, size_t n)
{
  size_t len;
  for (size_t i = 0; i < n; i += len)
    if (!(len = cp_sbuf_utf8_len(s + i, n - i))) {
      cp_sbuf_addn(b, "\xef\xbf\xbd", 3);   /* U+FFFD for the byte */
      len = 1;
    } else {
      cp_sbuf_addn(b, s + i, len);
    }
}

int cp_sbuf_is_plain(const char *s, size_t n)
{
  for (size_t i = 0, len; i < n; i += len)
    if (!(len = cp_sbuf_plain_len(s + i, n - i)))
      return 0;
  return 1;
}

void cp_sbuf_term_str(sbuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;   /* bytes copied as they are, flushed before each escape */
  for (size_t i = 0; i < n;) {
    size_t len = cp_sbuf_plain_len(s + i, n - i);
    if (len) {
      i += len;
      continue;
    }
    cp_sbuf_addn(b, s + run, i - run);   /* a byte of what is not plain text, escaped */
    unsigned char c = (unsigned char)s[i++];
    if (c == '\n' || c == '\t' || c == '\r')
      cp_sbuf_addn(b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2);
    else
      cp_sbuf_addn(b, (char[]){'\\', 'x', hex[c >> 4], hex[c & 15]}, 4);
    run = i;
  }
  cp_sbuf_addn(b, s + run, n - run);
}

void cp_sbuf_term_printf(sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      cp_sbuf_addn(b, p, 1);
      continue;
    }
    int left = *++p == '-';
    p += left;
    int width = 0;
    for (; *p >= '0' && *p <= '9' && width < 1000; p++)
      width = width * 10 + (*p - '0');
    if (!*p)   /* a format that ends in '%' */
      break;
    size_t start = b->len;
    if (*p == 's') {
      const char *v = va_arg(ap, const char *);
      v = v ? v : "(null)";
      cp_sbuf_term_str(b, v, strlen(v));
    } else if (*p == 'd') {
      cp_sbuf_printf(b, "%d", va_arg(ap, int));
    } else {   /* "%%" and anything unknown: the character itself */
      cp_sbuf_addn(b, p, 1);
    }
    size_t used = b->len - start;
    for (; !b->oom && (size_t)width > used; used++) {
      if (left) {
        cp_sbuf_addn(b, " ", 1);
        continue;
      }
      cp_sbuf_addn(b, " ", 1);
      memmove(b->s + start + 1, b->s + start, b->len - start - 1);
      b->s[start] = ' ';
    }
  }
  va_end(ap);
}

void cp_sbuf_sql_ident(sbuf *b, const char *name)
{
  cp_sbuf_addn(b, "\"", 1);
  for (const char *p = name; *p; p++) {
    cp_sbuf_addn(b, p, 1);
    if (*p == '"')   /* a quote inside an identifier is doubled */
      cp_sbuf_addn(b, p, 1);
  }
  cp_sbuf_addn(b, "\"", 1);
}

void cp_sbuf_clear(sbuf *b)
{
  b->len = 0;
  b->oom = 0;
  if (b->s)
    b->s[0] = '\0';
}

void cp_sbuf_free(sbuf *b)
{
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

int cp_sbuf_read_file(sbuf *b, const char *path, size_t max)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK);   /* a FIFO opens without a writer */
  struct stat st;
  FILE *f = NULL;
  int err = fd < 0 ? errno : fstat(fd, &st) != 0 ? errno
            : !S_ISREG(st.st_mode) ? (S_ISDIR(st.st_mode) ? EISDIR : EINVAL)
            : (uint64_t)st.st_size > max ? EFBIG : !(f = fdopen(fd, "rb")) ? errno : 0;
  if (err) {
    if (fd >= 0)
      close(fd);
    errno = err;
    return -1;
  }
  char buf[8192];
  size_t n, start = b->len;
  while (b->len - start <= max && (n = fread(buf, 1, sizeof buf, f)) > 0)   /* it may grow */
    cp_sbuf_addn(b, buf, n);
  err = ferror(f) ? EIO : b->oom ? ENOMEM : b->len - start > max ? EFBIG : 0;
  fclose(f);
  errno = err ? err : errno;
  return err ? -1 : 0;
}
