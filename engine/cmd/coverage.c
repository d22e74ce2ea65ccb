/* coverage.c: line coverage of rule files. A file's executable lines are the
 * active lines of every function in it: lua_getinfo('L') gives them for a
 * function at hand, and nested functions are reached through the chunk's
 * own dump (lua_dump), whose line information is read as Lua 5.4 writes it;
 * the main function's lines are checked against lua_getinfo, so that a dump
 * format this reader does not know turns coverage off instead of lying. */
#include "arena.h"
#include "coverage.h"
#include "diag.h"

#include <fnmatch.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

#define ABSLINEINFO (-0x80)   /* lineinfo entry: the line is in abslineinfo */

/* One rule file: which lines can run, and how often each ran. */
typedef struct cfile {
  char *name;               /* chunk name ("rules/visits.lua") */
  unsigned char *exec;      /* exec[line]: the line has code */
  unsigned long *hits;      /* hits[line]: times it ran */
  int size;                 /* entries of exec and hits */
} cfile;

/* A set of line numbers. */
typedef struct lineset {
  unsigned char *on;        /* on[line] */
  int size;                 /* entries */
  int oom;                  /* a line could not be added */
} lineset;

struct cp_coverage {
  cfile *files;             /* files, in the order first loaded */
  size_t n, cap;
  char **rules;             /* rule ids loaded */
  size_t n_rules, cap_rules;
  char **fired;             /* rule ids that reported something */
  size_t n_fired, cap_fired;
  char **skip;              /* globs of files left out of the total */
  size_t n_skip, cap_skip;
  size_t last;              /* file of the last line run (a cache) */
  int unreadable;           /* a chunk's line information could not be read */
  int oom;                  /* something could not be recorded */
};

cp_coverage *cp_coverage_new(void)
{
  return calloc(1, sizeof(cp_coverage));
}

void cp_coverage_free(cp_coverage *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    free(c->files[i].name);
    free(c->files[i].exec);
    free(c->files[i].hits);
  }
  for (size_t i = 0; i < c->n_rules; i++)
    free(c->rules[i]);
  for (size_t i = 0; i < c->n_fired; i++)
    free(c->fired[i]);
  for (size_t i = 0; i < c->n_skip; i++)
    free(c->skip[i]);
  free(c->skip);
  free(c->files);
  free(c->rules);
  free(c->fired);
  free(c);
}

/* Makes room for line in a file's arrays; -1 when out of memory. */
static int fit(cfile *f, int line)
{
  if (line < f->size)
    return 0;
  int size = line + 64;
  unsigned char *e = realloc(f->exec, (size_t)size);
  unsigned long *h = e ? realloc(f->hits, (size_t)size * sizeof *h) : NULL;
  if (e)
    f->exec = e;
  if (!h)
    return -1;
  f->hits = h;
  memset(f->exec + f->size, 0, (size_t)(size - f->size));
  memset(f->hits + f->size, 0, (size_t)(size - f->size) * sizeof *h);
  f->size = size;
  return 0;
}

/* Returns the file called name, added when create is set; NULL if none. */
static cfile *find_file(cp_coverage *c, const char *name, int create)
{
  if (c->last < c->n && !strcmp(c->files[c->last].name, name))
    return &c->files[c->last];
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->files[i].name, name))
      return &c->files[c->last = i];
  if (!create || cp_arena_grow((void **)&c->files, &c->cap, c->n, sizeof *c->files))
    return NULL;
  c->files[c->n] = (cfile){.name = strdup(name)};
  if (!c->files[c->n].name)
    return NULL;
  return &c->files[c->last = c->n++];
}

/* Line hook: counts a line of a rule file. */
static void on_line(void *ctx, const char *source, int line)
{
  cp_coverage *c = ctx;
  cfile *f = source[0] == '@' && line > 0 ? find_file(c, source + 1, 0) : NULL;
  if (f && fit(f, line) == 0)
    f->hits[line]++;
}

/* Adds a line to a set. */
static void set_add(lineset *s, int line)
{
  if (line <= 0 || s->oom)
    return;
  if (line >= s->size) {
    int size = line + 64;
    unsigned char *on = realloc(s->on, (size_t)size);
    if (!on) {
      s->oom = 1;
      return;
    }
    memset(on + s->size, 0, (size_t)(size - s->size));
    s->on = on;
    s->size = size;
  }
  s->on[line] = 1;
}

/* A reader over a dumped chunk. */
typedef struct rd {
  const unsigned char *p, *end;   /* next byte, end */
  int bad;                        /* read past the end or met the unknown */
} rd;

static unsigned rd_byte(rd *r)
{
  if (r->p >= r->end) {
    r->bad = 1;
    return 0;
  }
  return *r->p++;
}

/* Reads a size as ldump.c writes it: 7 bits a byte, most significant first,
 * the last byte marked with 0x80. */
static size_t rd_size(rd *r)
{
  size_t x = 0;
  unsigned b;
  do {
    b = rd_byte(r);
    x = (x << 7) | (b & 0x7f);
  } while (!(b & 0x80) && !r->bad);
  return x;
}

static void rd_skip(rd *r, size_t n)
{
  if ((size_t)(r->end - r->p) < n) {
    r->bad = 1;
    r->p = r->end;
  } else {
    r->p += n;
  }
}

static void rd_string(rd *r)
{
  size_t n = rd_size(r);
  if (n)
    rd_skip(r, n - 1);
}

/* Skips a function's constants and upvalues. */
static void skip_constants(rd *r)
{
  size_t n = rd_size(r);
  for (size_t i = 0; i < n && !r->bad; i++) {
    unsigned tag = rd_byte(r);
    if (tag == 0x03 || tag == 0x13)        /* integer, float */
      rd_skip(r, 8);
    else if (tag == 0x04 || tag == 0x14)   /* short, long string */
      rd_string(r);
    else if (tag != 0x00 && tag != 0x01 && tag != 0x11)   /* nil, false, true */
      r->bad = 1;
  }
  rd_skip(r, rd_size(r) * 3);   /* upvalues: instack, idx, kind */
}

/* Reads the debug part of a function and adds the line of each instruction
 * to s, as lua_getinfo('L') does (skipping a vararg function's first). */
static void read_lines(rd *r, int linedefined, int vararg, lineset *s)
{
  size_t n = rd_size(r);
  const signed char *li = (const signed char *)r->p;
  rd_skip(r, n);
  size_t nabs = rd_size(r);
  const unsigned char *abs = r->p;
  for (size_t i = 0; i < 2 * nabs && !r->bad; i++)
    rd_size(r);
  int line = linedefined;
  for (size_t pc = 0; pc < n && !r->bad; pc++) {
    if (li[pc] != ABSLINEINFO) {
      line += li[pc];
    } else {   /* the pair (pc, line) of abslineinfo that names this pc */
      rd a = {abs, r->end, 0};
      for (size_t k = 0; k < nabs; k++) {
        size_t at = rd_size(&a), l = rd_size(&a);
        if (at == pc)
          line = (int)l;
      }
    }
    if (pc > 0 || !vararg)
      set_add(s, line);
  }
  size_t nloc = rd_size(r);
  for (size_t i = 0; i < nloc && !r->bad; i++) {
    rd_string(r);
    rd_size(r);
    rd_size(r);
  }
  size_t nup = rd_size(r);
  for (size_t i = 0; i < nup && !r->bad; i++)
    rd_string(r);
}

/* Reads one dumped function: its own lines go to own, its nested
 * functions' lines to nested. */
static void read_function(rd *r, lineset *own, lineset *nested, int depth)
{
  rd_string(r);                    /* source */
  int linedefined = (int)rd_size(r);
  rd_size(r);                      /* lastlinedefined */
  rd_byte(r);                      /* numparams */
  int vararg = (int)rd_byte(r);
  rd_byte(r);                      /* maxstacksize */
  rd_skip(r, rd_size(r) * 4);      /* code */
  skip_constants(r);
  size_t np = rd_size(r);
  for (size_t i = 0; i < np && !r->bad && depth < 200; i++)
    read_function(r, nested, nested, depth + 1);
  if (depth >= 200)
    r->bad = 1;
  read_lines(r, linedefined, vararg, own);
}

/* lua_dump writer into an sbuf. */
static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
  (void)L;
  cp_sbuf_addn(ud, p, n);
  return ((sbuf *)ud)->oom;
}

/* Returns 1 when the active lines lua_getinfo gives for the function on
 * top of the stack are exactly the set s. */
static int same_as_getinfo(lua_State *L, const lineset *s)
{
  lua_Debug ar;
  int n = 0, same = 1;
  lua_pushvalue(L, -1);
  if (!lua_getinfo(L, ">L", &ar))
    return 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_Integer line = lua_tointeger(L, -2);
    same = same && line > 0 && line < s->size && s->on[line];
    n++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  for (int i = 0; i < s->size; i++)
    n -= s->on[i];
  return same && n == 0;
}

/* The header that Lua 5.4 on this machine writes: signature, version,
 * format, LUAC_DATA, sizes of Instruction, lua_Integer and lua_Number. */
static const unsigned char header[] = {0x1b, 'L', 'u', 'a', 0x54, 0, 0x19, 0x93, '\r', '\n',
                                       0x1a, '\n', 4, 8, 8};

/* Returns 1 when a line's text is a block's `end` alone (with closing
 * brackets, a comma or a comment after it): its code is a loop's jump back
 * or a function's implicit return, which a loop or function that always
 * returns from within never reaches, though every line of it ran. */
static int end_alone(const char *s, const char *e)
{
  while (s < e && (*s == ' ' || *s == '\t'))
    s++;
  if (e - s < 3 || memcmp(s, "end", 3) != 0)
    return 0;
  for (s += 3; s < e && *s != '\r'; s++) {
    if (*s == '-' && s + 1 < e && s[1] == '-')
      return 1;
    if (!strchr(" \t)]},;", *s))
      return 0;
  }
  return 1;
}

/* Takes the lines that are a block's `end` alone out of f's executable
 * lines (end_alone()). */
static void drop_end_lines(cfile *f, const char *text, size_t len)
{
  const char *p = text, *e = text + len;
  for (int line = 1; p < e; line++) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    const char *stop = nl ? nl : e;
    if (line < f->size && f->exec[line] && end_alone(p, stop))
      f->exec[line] = 0;
    p = nl ? nl + 1 : e;
  }
}

/* Load hook: adds a rule file's executable lines. */
static void on_loaded(void *ctx, lua_State *L, const char *name, const char *text, size_t len)
{
  cp_coverage *c = ctx;
  sbuf dump = {0};
  lineset own = {0}, nested = {0};
  cfile *f = find_file(c, name, 1);
  lua_dump(L, writer, &dump, 0);
  rd r = {(const unsigned char *)dump.s, (const unsigned char *)dump.s + dump.len, 0};
  if (!f || dump.oom || dump.len < sizeof header + 17 || memcmp(dump.s, header, sizeof header)) {
    c->unreadable = 1;
    goto done;
  }
  rd_skip(&r, sizeof header + 16 + 1);   /* LUAC_INT, LUAC_NUM, upvalue count */
  read_function(&r, &own, &nested, 0);
  if (r.bad || r.p != r.end || own.oom || nested.oom || !same_as_getinfo(L, &own)) {
    c->unreadable = 1;
    goto done;
  }
  for (int i = 0; i < own.size || i < nested.size; i++)
    if (((i < own.size && own.on[i]) || (i < nested.size && nested.on[i])) && fit(f, i) == 0)
      f->exec[i] = 1;
  drop_end_lines(f, text, len);
done:
  free(own.on);
  free(nested.on);
  cp_sbuf_free(&dump);
}

void cp_coverage_attach(void *ctx, cp_sandbox *sb)
{
  cp_sandbox_watch w = {on_line, on_loaded, ctx};
  cp_sandbox_set_watch(sb, &w);
}

/* Adds id to a list of ids unless it is there. */
static void add_id(cp_coverage *c, char ***list, size_t *n, size_t *cap, const char *id)
{
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*list)[i], id))
      return;
  char *copy = strdup(id);
  if (!copy || cp_arena_grow((void **)list, cap, *n, sizeof **list)) {
    free(copy);
    c->oom = 1;
    return;
  }
  (*list)[(*n)++] = copy;
}

void cp_coverage_rules(cp_coverage *c, const cp_rules *r)
{
  for (size_t i = 0; i < cp_rules_count(r); i++)
    for (const char *const *id = cp_rules_ids(r, i); *id; id++)
      add_id(c, &c->rules, &c->n_rules, &c->cap_rules, *id);
}

void cp_coverage_fired(cp_coverage *c, const cp_outcome *o)
{
  for (size_t i = 0; i < o->n; i++)
    if (o->items[i].what == CP_ALERT || o->items[i].what == CP_ASSIGN)
      add_id(c, &c->fired, &c->n_fired, &c->cap_fired, o->items[i].rule);
}

void cp_coverage_skip(cp_coverage *c, const char *glob)
{
  add_id(c, &c->skip, &c->n_skip, &c->cap_skip, glob);
}

/* Returns 1 when a file is left out of the total. */
static int skipped(const cp_coverage *c, const char *name)
{
  for (size_t i = 0; i < c->n_skip; i++)
    if (fnmatch(c->skip[i], name, 0) == 0)
      return 1;
  return 0;
}

/* Counts a file's executable lines and those that ran. */
static void count(const cfile *f, unsigned long *exec, unsigned long *run)
{
  *exec = *run = 0;
  for (int i = 0; i < f->size; i++) {
    *exec += f->exec[i];
    *run += f->exec[i] && f->hits[i];
  }
}

/* Prints one line of the table. A total of no line has no share: "-",
 * not 100.0%. */
static void print_row(FILE *out, int width, const char *name, unsigned long run,
                      unsigned long exec, int skip, int total)
{
  if (total && !exec) {
    fprintf(out, "  %-*s %5lu of %5lu lines %7s\n", width, name, run, exec, "-");
    return;
  }
  fprintf(out, "  %-*s %5lu of %5lu lines %6.1f%%%s\n", width, name, run, exec,
          exec ? 100.0 * (double)run / (double)exec : 100.0, skip ? "  (not in the total)" : "");
}

/* Prints the lines of f that carry code and never ran, as ranges
 * ("    not run: 27, 41-43"), when there are any. */
static void print_missed(FILE *out, const cfile *f)
{
  sbuf b = {0};
  for (int i = 0; i < f->size; i++) {
    if (!f->exec[i] || f->hits[i])
      continue;
    int last = i;   /* the range goes on over lines without code */
    for (int j = i + 1; j < f->size && !(f->exec[j] && f->hits[j]); j++)
      if (f->exec[j])
        last = j;
    if (last == i)
      cp_sbuf_printf(&b, "%s%d", b.s ? ", " : "", i);
    else
      cp_sbuf_printf(&b, "%s%d-%d", b.s ? ", " : "", i, last);
    i = last;
  }
  if (b.s)
    fprintf(out, "    not run: %s\n", b.s);
  cp_sbuf_free(&b);
}

double cp_coverage_report(const cp_coverage *c, FILE *out)
{
  unsigned long exec, run, all_exec = 0, all_run = 0;
  int width = 5;
  if (c->unreadable)
    fprintf(out, "coverage: the line information of this Lua cannot be read; no figures\n");
  for (size_t i = 0; i < c->n; i++)
    if ((int)strlen(c->files[i].name) > width)
      width = (int)strlen(c->files[i].name);
  fprintf(out, "coverage of the rule files by the fixtures:\n");
  for (size_t i = 0; i < c->n && !c->unreadable; i++) {
    int skip = skipped(c, c->files[i].name);
    count(&c->files[i], &exec, &run);
    print_row(out, width, c->files[i].name, run, exec, skip, 0);
    if (!skip)
      print_missed(out, &c->files[i]);
    all_exec += skip ? 0 : exec;
    all_run += skip ? 0 : run;
  }
  print_row(out, width, "total", all_run, all_exec, 0, 1);
  for (size_t k = 0; k < c->n_skip && !c->unreadable; k++) {
    size_t i = 0;
    while (i < c->n && fnmatch(c->skip[k], c->files[i].name, 0) != 0)
      i++;
    if (i == c->n)   /* a misspelt glob would leave out nothing, silently */
      cp_diag_warn("--coverage-skip '%s' matches no rule file (it is matched against the "
                   "names above, '*' matching '/' too: '*/report.lua')", c->skip[k]);
  }
  sbuf quiet = {0};
  for (size_t i = 0; i < c->n_rules; i++) {
    size_t j = 0;
    while (j < c->n_fired && strcmp(c->fired[j], c->rules[i]))
      j++;
    if (j == c->n_fired)
      cp_sbuf_printf(&quiet, "%s%s", quiet.s ? ", " : "", c->rules[i]);
  }
  fprintf(out, "rules that never fired: %s\n", quiet.s ? quiet.s : "none");
  cp_sbuf_free(&quiet);
  return all_exec ? 100.0 * (double)all_run / (double)all_exec : -1;
}
