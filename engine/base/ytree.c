/* ytree.c: builds a yt_node tree from libyaml's event stream. */
#include "ytree.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_DEPTH 64   /* deeper nesting is refused: the builder recurses */

/* Parser state shared by the recursive builder. */
typedef struct builder {
  yaml_parser_t parser;   /* libyaml parser over the file */
  FILE *file;             /* the file it reads, to place a reader error */
  unsigned depth;         /* containers open around the node being built */
  const char *path;       /* file name for messages */
  char *err;              /* message buffer */
  size_t errlen;          /* its size */
} builder;

void cp_ytree_free(yt_node *n)
{
  if (!n)
    return;
  for (size_t i = 0; i < n->n; i++)
    cp_ytree_free(n->items[i]);
  free(n->items);
  free(n->value);
  free(n);
}

/* Appends child to a container node; returns -1 when out of memory. */
static int push(yt_node *parent, yt_node *child)
{
  if ((parent->n & (parent->n - 1)) == 0) {   /* grow at powers of two */
    size_t cap = parent->n ? parent->n * 2 : 4;
    yt_node **items = realloc(parent->items, cap * sizeof *items);
    if (!items)
      return -1;
    parent->items = items;
  }
  parent->items[parent->n++] = child;
  return 0;
}

/* Returns the line (from 1) of byte offset off of the file: libyaml gives a
 * reader error (a byte that is not UTF-8, a control character) as an offset
 * only, its mark left at the start of the file. */
static size_t line_of_offset(FILE *f, size_t off)
{
  size_t line = 1, done = 0;
  char buf[8192];
  int fd = fileno(f);
  while (done < off) {
    size_t want = off - done < sizeof buf ? off - done : sizeof buf;
    ssize_t got = pread(fd, buf, want, (off_t)done);
    if (got <= 0)
      break;
    for (ssize_t i = 0; i < got; i++)
      line += buf[i] == '\n';
    done += (size_t)got;
  }
  return line;
}

/* Writes a parser error into the builder's buffer. */
static void parse_error(builder *b)
{
  size_t line = b->parser.problem_mark.line + 1;
  if (b->parser.error == YAML_READER_ERROR && b->file)
    line = line_of_offset(b->file, b->parser.problem_offset);
  size_t begun = b->parser.context_mark.line + 1;
  if (b->parser.context && b->parser.error != YAML_READER_ERROR && begun < line)
    /* a [ or { left open is found lines later: say where it began */
    snprintf(b->err, b->errlen, "%s:%zu: %s (%s that begins at line %zu)", b->path, line,
             b->parser.problem ? b->parser.problem : "invalid YAML", b->parser.context, begun);
  else
    snprintf(b->err, b->errlen, "%s:%zu: %s", b->path, line,
             b->parser.problem ? b->parser.problem : "invalid YAML");
}

static yt_node *build(builder *b, yaml_event_t *ev);

/* qsort comparator of mapping key nodes (by text, then line): equal keys
 * end up side by side, the first written first. */
static int cmp_keys(const void *x, const void *y)
{
  const yt_node *a = *(const yt_node *const *)x, *b = *(const yt_node *const *)y;
  int c = strcmp(a->value, b->value);
  return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* Refuses a mapping that gives a key twice (a later one would silently win
 * or be ignored): writes "PATH:LINE: duplicate key 'k' (first at line N)"
 * for the repeat that comes first in the file, and returns -1. Sorting a
 * copy of the keys keeps this O(n log n) for big params mappings. */
static int check_keys(builder *b, const yt_node *map)
{
  size_t n = 0;
  for (size_t i = 0; i + 1 < map->n; i += 2)
    if (map->items[i]->kind != YT_SCALAR) {   /* `? [x] : y`: every reader wants a name */
      snprintf(b->err, b->errlen, "%s:%u: a key must be a plain name, not a %s", b->path,
               map->items[i]->line, map->items[i]->kind == YT_SEQ ? "list" : "mapping");
      return -1;
    }
  for (size_t i = 0; i + 1 < map->n; i += 2)
    if (map->items[i]->plain && !strcmp(map->items[i]->value, "<<")) {
      /* YAML 1.1 merges the mapping in; read as a key "<<", params.d.x was nil */
      snprintf(b->err, b->errlen, "%s:%u: a YAML merge key ('<<') is not supported: write the "
               "keys out (or quote '<<' to make it text)", b->path, map->items[i]->line);
      return -1;
    }
  const yt_node **keys = malloc((map->n / 2 + 1) * sizeof *keys);
  if (!keys)
    return -1;
  for (size_t i = 0; i + 1 < map->n; i += 2)
    keys[n++] = map->items[i];
  qsort(keys, n, sizeof *keys, cmp_keys);
  const yt_node *first = NULL, *repeat = NULL;
  for (size_t i = 1; i < n; i++)
    if (strcmp(keys[i - 1]->value, keys[i]->value) == 0 &&
        (!repeat || keys[i]->line < repeat->line)) {
      repeat = keys[i];
      first = keys[i - 1];
    }
  if (repeat)
    snprintf(b->err, b->errlen, "%s:%u: duplicate key '%s' (first at line %u)", b->path,
             repeat->line, repeat->value, first->line);
  free(keys);
  return repeat ? -1 : 0;
}

/* Builds the children of a sequence or mapping until its end event. */
static int build_children(builder *b, yt_node *n, yaml_event_type_t end)
{
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&b->parser, &ev)) {
      parse_error(b);
      return -1;
    }
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return 0;
    }
    yt_node *child = build(b, &ev);
    yaml_event_delete(&ev);
    if (!child || push(n, child) < 0) {
      cp_ytree_free(child);
      return -1;
    }
  }
}

/* Builds the node that starts with event ev (which the caller deletes). */
static yt_node *build(builder *b, yaml_event_t *ev)
{
  yt_node *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->line = (unsigned)ev->start_mark.line + 1;
  const yaml_char_t *tag = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.tag
                           : ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
                           : ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.tag
                                                                  : NULL;
  if (tag) {   /* `!!str 12` would be read as the number 12, `!!binary` as its base64 */
    static const char core[] = "tag:yaml.org,2002:";   /* what libyaml makes of `!!` */
    const char *t = (const char *)tag;
    int short_form = !strncmp(t, core, sizeof core - 1);
    snprintf(b->err, b->errlen, "%s:%u: a YAML tag ('%s%.40s') is not supported: quote a value "
             "to make it text", b->path, n->line, short_form ? "!!" : "",
             short_form ? t + sizeof core - 1 : t);
    cp_ytree_free(n);
    return NULL;
  }
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    n->kind = YT_SCALAR;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {   /* it would be cut */
      snprintf(b->err, b->errlen, "%s:%u: a NUL byte in a value or key is not allowed",
               b->path, n->line);
      break;
    }
    n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (n->value)
      return n;
    break;
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT:
    n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? YT_SEQ : YT_MAP;
    if (++b->depth > MAX_DEPTH) {
      snprintf(b->err, b->errlen, "%s:%u: nested deeper than %d levels", b->path, n->line,
               MAX_DEPTH);
      break;
    }
    if (build_children(b, n, n->kind == YT_SEQ ? YAML_SEQUENCE_END_EVENT
                                               : YAML_MAPPING_END_EVENT) == 0 &&
        (n->kind == YT_SEQ || check_keys(b, n) == 0)) {
      b->depth--;
      return n;
    }
    break;
  default:   /* aliases: the config has no use for them */
    snprintf(b->err, b->errlen, "%s:%u: aliases are not supported", b->path, n->line);
    break;
  }
  cp_ytree_free(n);
  return NULL;
}

/* Reads what follows the first document: the stream's end, or an error in
 * b->err for a second document (what libcyaml and the loaders would never
 * read: a key there would be silently ignored) or a syntax error. */
static int rest_is_empty(builder *b)
{
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&b->parser, &ev)) {
      parse_error(b);
      return 0;
    }
    yaml_event_type_t t = ev.type;
    size_t line = ev.start_mark.line + 1;
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT)
      return 1;
    if (t == YAML_DOCUMENT_START_EVENT) {
      snprintf(b->err, b->errlen, "%s:%zu: a second YAML document ('---'): the file must "
               "hold just one", b->path, line);
      return 0;
    }
  }
}

int cp_ytree_load(const char *path, yt_node **root, char *err, size_t errlen)
{
  builder b = {.path = path, .err = err, .errlen = errlen};
  /* opened without blocking, so that a FIFO is refused rather than waited on */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  FILE *f = NULL;
  int rc = -1;
  *root = NULL;
  if (fd < 0 || fstat(fd, &st) < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
  } else if (fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "rb"))) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
  }
  if (!f) {
    int oom = errno == ENOMEM;   /* fdopen's buffer: the machine's memory, not the file */
    if (fd >= 0)
      close(fd);
    if (oom)
      snprintf(err, errlen, "%s: out of memory", path);
    return oom ? -2 : -1;
  }
  snprintf(err, errlen, "%s: out of memory", path);
  if (!yaml_parser_initialize(&b.parser)) {   /* its buffers: a parser without them never ends */
    fclose(f);
    return -2;
  }
  yaml_parser_set_input_file(&b.parser, f);
  b.file = f;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&b.parser, &ev)) {
      parse_error(&b);
      break;
    }
    yaml_event_type_t t = ev.type;
    if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
      *root = build(&b, &ev);
      yaml_event_delete(&ev);
      rc = *root && rest_is_empty(&b) ? 0 : -1;
      if (rc < 0) {
        cp_ytree_free(*root);
        *root = NULL;
      }
      break;
    }
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT) {   /* an empty file */
      rc = 0;
      break;
    }
  }
  /* out of memory: the parser's own, or a node's (whose failure leaves the
   * message written above in place) */
  size_t plen = strlen(path);
  int untouched = plen < errlen && !strncmp(err, path, plen) &&
                  !strcmp(err + plen, ": out of memory");
  if (rc < 0 && (b.parser.error == YAML_MEMORY_ERROR || untouched)) {
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -2;
  }
  yaml_parser_delete(&b.parser);
  fclose(f);
  return rc;
}

/* Returns the index of key's key node in a mapping, or -1. */
static long find(const yt_node *map, const char *key)
{
  if (!map || map->kind != YT_MAP)
    return -1;
  for (size_t i = 0; i + 1 < map->n; i += 2)
    if (map->items[i]->kind == YT_SCALAR && strcmp(map->items[i]->value, key) == 0)
      return (long)i;
  return -1;
}

yt_node *cp_ytree_key(const yt_node *map, const char *key)
{
  long i = find(map, key);
  return i < 0 ? NULL : map->items[i];
}

/* Returns 1 when s is word (lower case) in one of YAML's three spellings:
 * word, Word or WORD. */
static int yaml_word(const char *s, const char *word)
{
  size_t n = strlen(word);
  if (strlen(s) != n || (s[0] != word[0] && s[0] != toupper((unsigned char)word[0])))
    return 0;
  if (!strcmp(s + 1, word + 1))   /* word, Word */
    return 1;
  for (size_t k = 0; k < n; k++)   /* WORD */
    if (s[k] != toupper((unsigned char)word[k]))
      return 0;
  return 1;
}

yt_plain cp_ytree_plain(const char *s, int *b, long long *i, double *d)
{
  char *end;
  /* YAML's True, FALSE, Yes, NO, on and Off too: read as text, False, No or
   * off would be true to Lua */
  int truth = yaml_word(s, "true") || yaml_word(s, "yes") || yaml_word(s, "on");
  if (truth || yaml_word(s, "false") || yaml_word(s, "no") || yaml_word(s, "off")) {
    if (b)
      *b = truth;
    return YT_PLAIN_BOOL;
  }
  if (!*s || !strcmp(s, "~") || yaml_word(s, "null"))
    return YT_PLAIN_NULL;
  errno = 0;
  long long whole = strtoll(s, &end, 10);
  if (!*end && !errno) {
    if (i)
      *i = whole;
    return YT_PLAIN_INT;
  }
  errno = 0;   /* strtoll may have set ERANGE: a 20-digit integer is still a number */
  double real = strtod(s, &end);
  int tiny = errno == ERANGE && fabs(real) <= DBL_MIN;   /* a subnormal (5e-324) is a number */
  if (!*end && (!errno || tiny) && strspn(s, "+-0123456789.eE_") == strlen(s)) {
    if (d)
      *d = real;
    return YT_PLAIN_REAL;
  }
  return YT_PLAIN_TEXT;
}

yt_node *cp_ytree_get(const yt_node *map, const char *key)
{
  long i = find(map, key);
  return i < 0 ? NULL : map->items[i + 1];
}
