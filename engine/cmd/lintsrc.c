/* lintsrc.c: a static pass over the rule files' text for `check`: a small
 * Lua tokenizer (names, punctuation; strings, numbers and comments skipped)
 * and its patterns: `params.a.b` (or a local alias of params, `local P =
 * params.visits`, also several in one statement: `local A, B = params.a,
 * params.b`) followed through the config's params tree, `labels.a.b`
 * through its labels (no alias followed), `lookup.name`, and `c.field`
 * where c is the parameter of a `fn = function(c)` (or report{}'s `row =` and
 * `scope =`). What it cannot see (a
 * key built at run time, a client handed to a helper function) the fixtures
 * show; the client's name is taken for the whole file, so a local that
 * shadows it is read as the client too. */
#include "lintsrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "words.h"

/* A token: a name, or one punctuation character. */
typedef struct tok {
  const char *s;            /* its text in the file */
  size_t len;               /* its length */
  unsigned line;            /* 1-based line */
  int name;                 /* a name (else punctuation s[0]) */
} tok;

/* Tokens of one file. */
typedef struct toks {
  tok *v;                   /* tokens */
  size_t n, cap;            /* count, capacity */
} toks;

/* Returns the length of the long bracket "[==[" at p (its level + 2), or 0. */
static size_t long_open(const char *p)
{
  size_t k = 1;
  if (*p != '[')
    return 0;
  while (p[k] == '=')
    k++;
  return p[k] == '[' ? k + 1 : 0;
}

/* Skips a long string or comment opened by a bracket of length open at p;
 * returns the end, counting lines. */
static const char *skip_long(const char *p, size_t open, unsigned *line)
{
  size_t level = open - 2;
  for (p += open; *p; p++) {
    if (*p == '\n')
      (*line)++;
    if (*p == ']' && strspn(p + 1, "=") == level && p[1 + level] == ']')
      return p + level + 2;
  }
  return p;
}

/* Returns 1 for a character Lua's lexer takes as white space (lisspace). */
static int lua_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skips a quoted string at p; returns the end, counting lines. Escapes that
 * span lines are inside the string, as Lua reads them: a backslash before a
 * line break (\n, \r, \r\n or \n\r: one break) and \z, which skips the
 * white space after it, line breaks too. An unescaped line break ends an
 * unfinished string. */
static const char *skip_quoted(const char *p, unsigned *line)
{
  char q = *p++;
  while (*p && *p != q && *p != '\n' && *p != '\r') {
    if (*p == '\\' && p[1] == 'z') {
      for (p += 2; lua_space(*p); p++)
        if (*p == '\n')
          (*line)++;
    } else if (*p == '\\' && (p[1] == '\n' || p[1] == '\r')) {
      char first = p[1];
      p += 2;
      if ((*p == '\n' || *p == '\r') && *p != first)   /* \r\n or \n\r: one break */
        p++;
      (*line)++;
    } else {
      p += *p == '\\' && p[1] ? 2 : 1;
    }
  }
  return *p == q ? p + 1 : p;
}

/* Returns 1 for a character of a Lua name (after the first). */
static int name_char(char c)
{
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Splits text into t. Returns 0, or -1 when out of memory. */
static int tokenize(const char *p, toks *t)
{
  unsigned line = 1;
  while (*p) {
    size_t open;
    if (*p == '\n') {
      line++, p++;
    } else if (p[0] == '-' && p[1] == '-') {
      if ((open = long_open(p + 2)))
        p = skip_long(p + 2, open, &line);
      else
        p += strcspn(p, "\n");
    } else if ((open = long_open(p))) {
      p = skip_long(p, open, &line);
    } else if (*p == '"' || *p == '\'') {
      p = skip_quoted(p, &line);
    } else if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
      while (name_char(*p) || *p == '.' || ((*p == '+' || *p == '-') && strchr("eEpP", p[-1])))
        p++;
    } else if ((unsigned char)*p <= ' ') {
      p++;
    } else {
      if (cp_arena_grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) < 0)
        return -1;
      size_t len = 1;
      int name = name_char(*p);
      while (name && name_char(p[len]))
        len++;
      while (!name && (*p == '.' || *p == ':') && p[len] == *p)   /* .., ..., :: */
        len++;
      t->v[t->n++] = (tok){p, len, line, name};
      p += len;
    }
  }
  return 0;
}

/* Returns 1 when token i is the name s. */
static int is_name(const toks *t, size_t i, const char *s)
{
  return i < t->n && t->v[i].name && t->v[i].len == strlen(s) && !memcmp(t->v[i].s, s, t->v[i].len);
}

/* Returns 1 when token i is punctuation c. */
static int is_punct(const toks *t, size_t i, char c)
{
  return i < t->n && !t->v[i].name && t->v[i].len == 1 && t->v[i].s[0] == c;
}

/* Copies the text of token i into buf (of size len). */
static const char *text(const toks *t, size_t i, char *buf, size_t len)
{
  snprintf(buf, len, "%.*s", (int)t->v[i].len, t->v[i].s);
  return buf;
}

/* Returns 1 when token i starts an expression (not a field: no '.' or ':'
 * before it). */
static int starts(const toks *t, size_t i)
{
  return i == 0 || !(is_punct(t, i - 1, '.') || is_punct(t, i - 1, ':'));
}

/* State of one file's pass. */
typedef struct pass {
  cp_lint *l;               /* where params reads go */
  const cp_config *cfg;     /* the config */
  const char *file;         /* the file as shown */
  toks t;                   /* its tokens */
  char alias[32][64];       /* local names of params tables */
  const yt_node *alias_node[32]; /* the node each names */
  char alias_path[32][256]; /* and its path */
  int n_alias;              /* their number */
  char client[8][64];       /* names of the client parameter */
  int n_client;             /* their number */
  char month[8][64];        /* names of report{}'s row(c, month, alerts) second parameter */
  int n_month;
  char alerts[8][64];       /* and of its third */
  int n_alerts;
} pass;

/* Follows the chain of .name after token i from node (at path); records a
 * key the config lacks. Returns the node reached (NULL: left the tree) and
 * its path in path. */
static const yt_node *follow(pass *p, size_t *i, const yt_node *node, char *path, size_t len)
{
  char key[128], where[300];
  while (node && node->kind == YT_MAP && is_punct(&p->t, *i + 1, '.') && *i + 2 < p->t.n &&
         p->t.v[*i + 2].name) {
    text(&p->t, *i + 2, key, sizeof key);
    const yt_node *child = cp_ytree_get(node, key);
    if (!child) {
      snprintf(where, sizeof where, "%s:%u", p->file, p->t.v[*i + 2].line);
      cp_lint_note(p->l, path, key, where);
      return NULL;
    }
    size_t used = strlen(path);
    snprintf(path + used, len - used, ".%s", key);
    node = child;
    *i += 2;
  }
  return node;
}

/* Returns the index of alias name at token i, or -1 (also when the file
 * ends before token i: `local x = 1` at its end, whose number is skipped). */
static int alias_of(const pass *p, size_t i)
{
  char name[64];
  if (i >= p->t.n || !p->t.v[i].name)
    return -1;
  text(&p->t, i, name, sizeof name);
  for (int k = 0; k < p->n_alias; k++)
    if (!strcmp(p->alias[k], name))
      return k;
  return -1;
}

/* Skips a Lua 5.4 attribute (`<const>`, `<close>`) after the name at token
 * j; returns the index of the last token of the name and its attribute. */
static size_t skip_attrib(const pass *p, size_t j)
{
  if (is_punct(&p->t, j + 1, '<') && j + 2 < p->t.n && p->t.v[j + 2].name &&
      is_punct(&p->t, j + 3, '>'))
    return j + 3;
  return j;
}

/* Reads `local N1, N2 = params.a, params.b.c` at token i (a `local`) into the
 * aliases: each name whose value is a params table alone (a chain of .names
 * from params or from an alias, followed by ',' or the end of the statement,
 * not by `[`) becomes an alias.
 * The values are read in order as long as each is such a chain, so `local
 * H, now = params.health, dt.today` makes H one; a name whose value is
 * anything else is no alias. Returns the last token read, so that the
 * caller goes on at the first value it did not read (i: nothing read). */
static size_t note_aliases(pass *p, size_t i)
{
  size_t names[32];
  int n = 0;
  size_t j = i + 1;
  while (j < p->t.n && p->t.v[j].name && n < 32) {
    names[n++] = j;
    j = skip_attrib(p, j);
    if (!is_punct(&p->t, j + 1, ','))
      break;
    j += 2;
  }
  if (n == 0 || !is_punct(&p->t, j + 1, '='))
    return i;
  j += 2;   /* the first value */
  for (int k = 0; k < n; k++) {
    char path[256] = "params";
    const yt_node *node = p->cfg->params;
    int a = -1;
    if (!is_name(&p->t, j, "params") && (a = alias_of(p, j)) < 0)
      return j - 1;
    if (a >= 0) {   /* an alias of an alias: local W = H.weights */
      snprintf(path, sizeof path, "%s", p->alias_path[a]);
      node = p->alias_node[a];
    }
    node = follow(p, &j, node, path, sizeof path);
    int more = is_punct(&p->t, j + 1, ',');
    if (node && node->kind == YT_MAP && p->n_alias < 32 && !is_punct(&p->t, j + 1, '[')) {
      text(&p->t, names[k], p->alias[p->n_alias], sizeof p->alias[0]);
      snprintf(p->alias_path[p->n_alias], sizeof p->alias_path[0], "%s", path);
      p->alias_node[p->n_alias++] = node;
    }
    if (!more || !node)
      return j;
    j += 2;
  }
  return j - 1;
}

/* Reads `fn = function(NAME` (or `row =`, `scope =`) at token i into the
 * client names. */
static void note_client(pass *p, size_t i)
{
  if (p->n_client < 8 && is_punct(&p->t, i + 1, '=') && is_name(&p->t, i + 2, "function") &&
      is_punct(&p->t, i + 3, '(') && i + 4 < p->t.n && p->t.v[i + 4].name)
    text(&p->t, i + 4, p->client[p->n_client++], sizeof p->client[0]);
  else
    return;
  if (!is_name(&p->t, i, "row"))   /* report{}'s row(c, month, alerts): its other two */
    return;
  if (p->n_month < 8 && is_punct(&p->t, i + 5, ',') && i + 6 < p->t.n && p->t.v[i + 6].name)
    text(&p->t, i + 6, p->month[p->n_month++], sizeof p->month[0]);
  if (p->n_alerts < 8 && is_punct(&p->t, i + 7, ',') && i + 8 < p->t.n && p->t.v[i + 8].name)
    text(&p->t, i + 8, p->alerts[p->n_alerts++], sizeof p->alerts[0]);
}

/* Returns 1 when token i is one of the n names. */
static int is_one_of(const pass *p, size_t i, char (*names)[64], int n)
{
  char name[64];
  text(&p->t, i, name, sizeof name);
  for (int k = 0; k < n; k++)
    if (!strcmp(names[k], name))
      return 1;
  return 0;
}

/* Returns 1 when name is a field of the client: id, a column, a per-client
 * table or a derived value of rules. */
static int client_field(const cp_rules *rules, const cp_config *cfg, const char *name)
{
  const cp_config_file *f = cfg->file;
  if (!strcmp(name, "id"))
    return 1;
  for (unsigned j = 0; j < f->clients->columns_count; j++)
    if (!strcmp(f->clients->columns[j].name, name))
      return 1;
  for (unsigned j = 0; j < f->tables_count; j++)
    if (!strcmp(f->tables[j].name, name))
      return 1;
  return cp_rules_is_derived(rules, name);
}

/* Returns 1 when name is a lookup table of the config. */
static int is_lookup(const cp_config *cfg, const char *name)
{
  for (unsigned j = 0; j < cfg->file->lookups_count; j++)
    if (!strcmp(cfg->file->lookups[j].name, name))
      return 1;
  return 0;
}

/* Returns 1 when token i is one of the client's names. */
static int is_client(const pass *p, size_t i)
{
  char name[64];
  text(&p->t, i, name, sizeof name);
  for (int k = 0; k < p->n_client; k++)
    if (!strcmp(p->client[k], name))
      return 1;
  return 0;
}

/* Follows `labels.a.b` at token i (the name labels) through the config's
 * labels; warns about the first key a section of it lacks (which reads as
 * nil, and reaches people as a missing title). A section it lacks is not
 * warned about: the config may leave one out on purpose (`labels.tiers and
 * labels.tiers.gold`), and reading into a missing one fails at once, in
 * the fixtures. Returns the warnings (0 or 1). */
static unsigned check_labels(pass *p, size_t *i)
{
  char key[128], path[256] = "labels";
  const yt_node *node = p->cfg->labels;
  while (is_punct(&p->t, *i + 1, '.') && *i + 2 < p->t.n && p->t.v[*i + 2].name) {
    if (!node || node->kind != YT_MAP)
      return 0;   /* past a label's text, or its own methods (labels.x:upper()) */
    text(&p->t, *i + 2, key, sizeof key);
    const yt_node *child = cp_ytree_get(node, key);
    if (!child && node == p->cfg->labels)
      return 0;   /* a section the config may lack: `labels.tiers and labels.tiers.gold` */
    if (!child) {
      cp_diag_warn("%s:%u: %s.%s: the config's %s has no '%s' (it reads as nil)", p->file,
                   p->t.v[*i + 2].line, path, key, path, key);
      return 1;
    }
    size_t used = strlen(path);
    snprintf(path + used, sizeof path - used, ".%s", key);
    node = child;
    *i += 2;
  }
  return 0;
}

/* Checks the tokens of one file; returns the warnings (params, client
 * fields, lookups). */
static unsigned check_tokens(pass *p, const cp_rules *rules)
{
  unsigned warnings = 0;
  char field[128], path[256];
  for (size_t i = 0; i < p->t.n; i++)
    if (is_name(&p->t, i, "fn") || is_name(&p->t, i, "row") || is_name(&p->t, i, "scope"))
      note_client(p, i);   /* a rule's, derive's or scope's fn; report{}'s row and scope */
  for (size_t i = 0; i < p->t.n; i++) {
    if (!p->t.v[i].name || !starts(&p->t, i))
      continue;
    int a;
    if (is_name(&p->t, i, "local") && i + 1 < p->t.n && p->t.v[i + 1].name &&
        !is_name(&p->t, i + 1, "function")) {
      i = note_aliases(p, i);
    } else if (is_name(&p->t, i, "params")) {
      snprintf(path, sizeof path, "params");
      follow(p, &i, p->cfg->params, path, sizeof path);
    } else if ((a = alias_of(p, i)) >= 0) {
      snprintf(path, sizeof path, "%s", p->alias_path[a]);
      follow(p, &i, p->alias_node[a], path, sizeof path);
    } else if (is_name(&p->t, i, "labels")) {
      warnings += check_labels(p, &i);
    } else if (is_name(&p->t, i, "lookup") && is_punct(&p->t, i + 1, '.') && i + 2 < p->t.n &&
               p->t.v[i + 2].name && !is_lookup(p->cfg, text(&p->t, i + 2, field, sizeof field))) {
      cp_diag_warn("%s:%u: lookup.%s: no lookup '%s' is declared (the config's lookups: "
                   "lookup.%s is nil)", p->file, p->t.v[i + 2].line, field, field, field);
      warnings++;
    } else if (is_punct(&p->t, i + 1, '.') && i + 2 < p->t.n && p->t.v[i + 2].name &&
               ((a = is_one_of(p, i, p->alerts, p->n_alerts)) ||
                is_one_of(p, i, p->month, p->n_month)) &&
               !cp_words_has(a ? "info warning critical rules"
                               : "name first last through in_progress prev year_ago series",
                             text(&p->t, i + 2, field, sizeof field))) {
      cp_diag_warn("%s:%u: %.*s.%s: a report row's %s has no field '%s' (fields: %s)", p->file,
                   p->t.v[i + 2].line, (int)p->t.v[i].len, p->t.v[i].s, field,
                   a ? "alerts" : "month", field,
                   a ? "info warning critical rules"
                     : "name first last through in_progress prev year_ago series");
      warnings++;
    } else if (is_client(p, i) && is_punct(&p->t, i + 1, '.') && i + 2 < p->t.n &&
               p->t.v[i + 2].name && !client_field(rules, p->cfg, text(&p->t, i + 2, field, sizeof field))) {
      cp_diag_warn("%s:%u: %.*s.%s: the client has no field '%s' (a column, a per-client table "
                "or a derived value)", p->file, p->t.v[i + 2].line, (int)p->t.v[i].len,
                p->t.v[i].s, field, field);
      warnings++;
    }
  }
  return warnings;
}

/* Reads the whole file at path (NUL-terminated, malloc'd), or NULL. */
static char *read_all(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long size;
  if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
    buf[size] = '\0';
  } else {
    free(buf);
    buf = NULL;
  }
  if (f)
    fclose(f);
  return buf;
}

unsigned cp_lintsrc_check(cp_lint *l, const cp_config *cfg, cp_rules *rules, cp_err *rc)
{
  unsigned warnings = 0;
  *rc = CP_OK;
  for (unsigned i = 0; *rc == CP_OK && i < cfg->file->rules_count; i++) {
    pass p = {.l = l, .cfg = cfg};
    char *shown = cp_config_shown(cfg, cfg->file->rules[i]);
    errno = 0;
    char *src = shown ? read_all(shown) : NULL;
    p.file = shown;
    /* a file the loader could not read has been said; one it read, and
     * that cannot be read or split into words now, is out of memory */
    if (!shown || (!src && errno == ENOMEM) || (src && tokenize(src, &p.t) < 0))
      *rc = cp_diag_fail(CP_ENOMEM, "check: out of memory (reading the rule files' words)");
    else if (src)
      warnings += check_tokens(&p, rules);
    free(p.t.v);
    free(src);
    free(shown);
  }
  return warnings;
}
