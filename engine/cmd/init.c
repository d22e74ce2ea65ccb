/* init.c: `crmpolicy init DIR`: writes a policy project of one's own (the
 * config, the reference policy or one example rule, its fixtures, the facts
 * schema and an empty facts database, the editor files, a README) from the
 * installed share/crmpolicy folder, or from the source tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sbuf.h"

/* Writes a "/" b into out (PATH_MAX bytes); returns -1 when too long. */
static int join(char *out, const char *a, const char *b)
{
  return snprintf(out, PATH_MAX, "%s/%s", a, b) < PATH_MAX ? 0 : -1;
}

/* Whether path/rel is an existing regular file. */
static int has_file(const char *path, const char *rel)
{
  char p[PATH_MAX];
  struct stat st;
  return join(p, path, rel) == 0 && stat(p, &st) == 0 &&
         S_ISREG(st.st_mode);
}

/* Finds the folder init copies from, into out (PATH_MAX bytes): beside the
 * binary's folder, ../share/crmpolicy when installed, else ../.. (the source
 * tree, from build/release/crmpolicy). Returns CP_OK or CP_EIO. */
static cp_err find_share(char *out)
{
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return cp_diag_fail(CP_EIO, "init: cannot find the crmpolicy binary: %s", strerror(errno));
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash)
    *slash = '\0';
  static const char *const tries[] = {"../share/crmpolicy", "../.."};
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    char p[PATH_MAX];
    if (join(p, exe, tries[i]) < 0 || !realpath(p, out))
      continue;
    if (has_file(out, "rules/POLICY.md") && has_file(out, "examples/init/README.md"))
      return CP_OK;
  }
  return cp_diag_fail(CP_EIO, "init: no share/crmpolicy beside %s (nor a source tree): "
                   "reinstall crmpolicy", exe);
}

/* Reads the whole file path into b. Returns CP_OK, CP_EIO or CP_ENOMEM. */
static cp_err read_file(const char *path, sbuf *b)
{
  if (cp_sbuf_read_file(b, path, SIZE_MAX) == 0)
    return CP_OK;
  return cp_diag_fail(errno == ENOMEM ? CP_ENOMEM : CP_EIO, "init: %s: %s", path, strerror(errno));
}

/* Writes n bytes of text to a new file path (never over an existing one).
 * Returns CP_OK or CP_EIO. */
static cp_err write_new(const char *path, const char *text, size_t n)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return cp_diag_fail(CP_EIO, "init: %s: %s", path, strerror(errno));
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fd, text + off, n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  int bad = off < n || close(fd) != 0;
  return bad ? cp_diag_fail(CP_EIO, "init: cannot write %s", path) : CP_OK;
}

/* Copies the file src to the new file dst. */
static cp_err copy_file(const char *src, const char *dst)
{
  sbuf b = {0};
  cp_err rc = read_file(src, &b);
  if (rc == CP_OK)
    rc = write_new(dst, b.s ? b.s : "", b.len);
  cp_sbuf_free(&b);
  return rc;
}

/* Makes the folder path (its parent exists); an existing folder is fine. */
static cp_err make_dir(const char *path)
{
  if (mkdir(path, 0755) == 0 || errno == EEXIST)
    return CP_OK;
  return cp_diag_fail(CP_EIO, "init: cannot make the folder %s: %s", path, strerror(errno));
}

/* Whether name ends with one of the suffixes in the space-separated list. */
static int has_suffix(const char *name, const char *suffixes)
{
  size_t n = strlen(name);
  for (const char *s = suffixes; *s;) {
    size_t k = strcspn(s, " ");
    if (k && n >= k && !memcmp(name + n - k, s, k))
      return 1;
    s += k + (s[k] == ' ');
  }
  return 0;
}

/* Copies the files of the folder src whose names end with one of suffixes
 * (and its subfolders, recursively) into dst, which it makes. */
static cp_err copy_tree(const char *src, const char *dst, const char *suffixes)
{
  cp_err rc = make_dir(dst);
  DIR *d = rc == CP_OK ? opendir(src) : NULL;
  if (rc == CP_OK && !d)
    return cp_diag_fail(CP_EIO, "init: %s: %s", src, strerror(errno));
  struct dirent *e;
  while (rc == CP_OK && (e = readdir(d))) {
    char s[PATH_MAX], t[PATH_MAX];
    struct stat st;
    if (e->d_name[0] == '.')
      continue;
    if (join(s, src, e->d_name) < 0 || join(t, dst, e->d_name) < 0 || stat(s, &st) != 0)
      rc = cp_diag_fail(CP_EIO, "init: %s/%s: cannot read it", src, e->d_name);
    else if (S_ISDIR(st.st_mode))
      rc = copy_tree(s, t, suffixes);
    else if (S_ISREG(st.st_mode) && has_suffix(e->d_name, suffixes))
      rc = copy_file(s, t);
  }
  if (d)
    closedir(d);
  return rc;
}

/* Appends to out the line (n bytes, without its line end) of the reference
 * config, rewritten for a project folder: facts.db and state.db beside the
 * config, rule files under rules/. */
static void config_line(sbuf *out, const char *line, size_t n)
{
  if (n >= 6 && !memcmp(line, "facts:", 6)) {
    cp_sbuf_add(out, "facts: facts.db             # your CRM's export: point this at it\n");
    return;
  }
  if (n >= 6 && !memcmp(line, "state:", 6)) {
    cp_sbuf_add(out, "state: state.db\n");
    return;
  }
  static const char from[] = "../../rules/";
  for (size_t i = 0; i < n;) {
    if (n - i >= sizeof from - 1 && !memcmp(line + i, from, sizeof from - 1)) {
      cp_sbuf_add(out, "rules/");
      i += sizeof from - 1;
    } else {
      cp_sbuf_addn(out, line + i, 1);
      i++;
    }
  }
  cp_sbuf_add(out, "\n");
}

/* Writes DIR/crmpolicy.yaml from the reference config at share: its header
 * comment replaced, paths rewritten; with bare, the rules list, params and
 * labels replaced by the example rule's (examples/init/params.yaml holds
 * its params, labels-LOCALE.yaml its labels: the reference labels name
 * rules a bare project lacks, which check would warn about); with locale,
 * the config's locale is that one. */
static cp_err write_config(const char *share, const char *dir, int bare, const char *locale)
{
  char p[PATH_MAX], labels[64];
  sbuf in = {0}, params = {0}, out = {0};
  cp_err rc = join(p, share, "examples/demo/crmpolicy.yaml") < 0 ? CP_EIO : read_file(p, &in);
  snprintf(labels, sizeof labels, "examples/init/labels-%s.yaml", locale ? locale : "zh-CN");
  if (rc == CP_OK && bare)
    rc = join(p, share, "examples/init/params.yaml") < 0 ? CP_EIO : read_file(p, &params);
  if (rc == CP_OK && bare)
    rc = join(p, share, labels) < 0 ? CP_EIO : read_file(p, &params);
  cp_sbuf_add(&out, "# crmpolicy.yaml: the config of this policy project, written by `crmpolicy\n"
                 "# init` from the reference policy's. Paths are relative to this file.\n");
  int header = 1, skip = 0;
  sbuf pending = {0};   /* comment and blank lines, kept until what they precede */
  for (const char *s = in.s ? in.s : ""; rc == CP_OK && *s; s += strcspn(s, "\n") + 1) {
    size_t n = strcspn(s, "\n");
    int top = n && s[0] != ' ' && s[0] != '#';   /* a top-level key */
    if (n == 0 || s[0] == '#') {
      if (!header)
        config_line(&pending, s, n);
      if (!s[n])
        break;
      continue;
    }
    header = 0;
    if (top)
      skip = 0;
    if (bare && top && n >= 7 && !memcmp(s, "labels:", 7)) {
      skip = 1;   /* the example's come with its params */
    } else if (bare && top && ((n >= 6 && !memcmp(s, "rules:", 6)) ||
                               (n >= 7 && !memcmp(s, "params:", 7)))) {
      if (s[0] == 'r')
        cp_sbuf_add(&out, "\nrules:                       # loaded in this order; checks run in this order\n"
                       "  - rules/example.lua\n");
      else {
        cp_sbuf_add(&out, "\n");
        cp_sbuf_addn(&out, params.s ? params.s : "", params.len);
      }
      skip = 1;   /* the comments before it go with it */
    } else if (!skip) {
      cp_sbuf_addn(&out, pending.s ? pending.s : "", pending.len);
      if (locale && top && n >= 7 && !memcmp(s, "locale:", 7))
        cp_sbuf_printf(&out, "locale: %s\n", locale);
      else
        config_line(&out, s, n);
    }
    cp_sbuf_clear(&pending);
    if (!s[n])
      break;
  }
  if (!skip)
    cp_sbuf_addn(&out, pending.s ? pending.s : "", pending.len);
  cp_sbuf_free(&pending);
  if (rc == CP_OK && join(p, dir, "crmpolicy.yaml") < 0)
    rc = cp_diag_fail(CP_EUSAGE, "init: %s: the path is too long", dir);
  if (rc == CP_OK)
    rc = out.oom ? cp_diag_fail(CP_ENOMEM, "init: out of memory") : write_new(p, out.s, out.len);
  cp_sbuf_free(&in);
  cp_sbuf_free(&params);
  cp_sbuf_free(&out);
  return rc;
}

/* Creates the empty facts database DIR/facts.db from DIR/schema/facts.sql. */
static cp_err make_facts(const char *dir)
{
  char p[PATH_MAX];
  sbuf sql = {0};
  cp_err rc = join(p, dir, "schema/facts.sql") < 0 ? CP_EIO : read_file(p, &sql);
  if (rc == CP_OK && join(p, dir, "facts.db") < 0)
    rc = cp_diag_fail(CP_EUSAGE, "init: %s: the path is too long", dir);
  sqlite3 *db = NULL;
  char *err = NULL;
  if (rc == CP_OK && (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                      SQLITE_OPEN_EXCLUSIVE, NULL) != SQLITE_OK ||
                      sqlite3_exec(db, sql.s, NULL, NULL, &err) != SQLITE_OK))
    rc = cp_diag_fail(CP_EIO, "init: %s: %s", p, err ? err : sqlite3_errmsg(db));
  sqlite3_free(err);
  if (db && sqlite3_close(db) != SQLITE_OK && rc == CP_OK)
    rc = cp_diag_fail(CP_EIO, "init: %s: cannot close it", p);
  cp_sbuf_free(&sql);
  return rc;
}

/* Makes dir, or accepts it when it exists and is empty. */
static cp_err make_project_dir(const char *dir)
{
  if (mkdir(dir, 0755) == 0)
    return CP_OK;
  if (errno != EEXIST)
    return cp_diag_fail(CP_EUSAGE, "init: cannot make the folder %s: %s", dir, strerror(errno));
  DIR *d = opendir(dir);
  if (!d)
    return cp_diag_fail(CP_EUSAGE, "init: %s: %s", dir, strerror(errno));
  struct dirent *e;
  int empty = 1;
  while (empty && (e = readdir(d)))
    empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
  closedir(d);
  return empty ? CP_OK
               : cp_diag_fail(CP_EUSAGE, "init: %s is not empty; name a new or empty folder", dir);
}

/* One file or folder to copy: from share, to the project, and which names. */
typedef struct init_item {
  const char *from;      /* path under share */
  const char *to;        /* path under the project folder */
  const char *suffixes;  /* for a folder: the names copied; NULL: a file */
  int bare;              /* 0: reference policy only; 1: --bare only; 2: both; 3: --minimal
                          * only (it takes 2's too, but their facts schema) */
} init_item;

static const init_item items[] = {
  {"rules", "rules", ".lua POLICY.md", 0},
  {"tests/policy", "tests/policy", ".yaml .yml", 0},
  {"tests/fixtures", "tests/fixtures", ".yaml .yml", 0},
  {"examples/init/example.lua", "rules/example.lua", NULL, 1},
  {"examples/init/example.yaml", "tests/example.yaml", NULL, 1},
  {"schema/facts.sql", "schema/facts.sql", NULL, 2},
  {"examples/init/minimal/facts.sql", "schema/facts.sql", NULL, 3},
  {"examples/init/minimal/crmpolicy.yaml", "crmpolicy.yaml", NULL, 3},
  {"examples/init/minimal/example.lua", "rules/example.lua", NULL, 3},
  {"examples/init/minimal/example.yaml", "tests/example.yaml", NULL, 3},
  {"editor/crmpolicy.lua", "editor/crmpolicy.lua", NULL, 2},
  {"examples/init/luarc.json", ".luarc.json", NULL, 2},
  {"examples/init/README.md", "README.md", NULL, 2},
};

/* Copies the items for bare (or the reference policy) from share to dir. */
static cp_err copy_items(const char *share, const char *dir, int bare)
{
  static const char *const folders[] = {"rules", "tests", "schema", "editor"};
  cp_err rc = CP_OK;
  char s[PATH_MAX], t[PATH_MAX];
  for (size_t i = 0; rc == CP_OK && i < sizeof folders / sizeof folders[0]; i++) {
    rc = join(t, dir, folders[i]) < 0 ? cp_diag_fail(CP_EUSAGE, "init: %s: the path is too long", dir)
                                      : make_dir(t);
  }
  for (size_t i = 0; rc == CP_OK && i < sizeof items / sizeof items[0]; i++) {
    int mode = items[i].bare;
    if (bare == 3 ? mode != 3 && mode != 2 : mode != bare && mode != 2)
      continue;
    if (bare == 3 && mode == 2 && !strcmp(items[i].to, "schema/facts.sql"))
      continue;   /* the minimal one's instead */
    if (join(s, share, items[i].from) < 0 || join(t, dir, items[i].to) < 0)
      return cp_diag_fail(CP_EUSAGE, "init: %s: the path is too long", dir);
    rc = items[i].suffixes ? copy_tree(s, t, items[i].suffixes) : copy_file(s, t);
  }
  return rc;
}

cp_exit cp_cmd_init(const cp_opts *o)
{
  if (o->nargs != 1) {
    cp_diag_fail(CP_EUSAGE, "init: name one folder to write the policy project into "
              "(for example 'crmpolicy init my-policy')");
    return CP_EXIT_INVALID;
  }
  const char *dir = o->args[0];
  if (!*dir) {   /* mkdir("") said "cannot make the folder : No such file or directory" */
    cp_diag_fail(CP_EUSAGE, "init: the folder name is empty; name one folder to write the "
                 "policy project into (for example 'crmpolicy init my-policy')");
    return CP_EXIT_INVALID;
  }
  if (o->bare == 4) {
    cp_diag_fail(CP_EUSAGE, "init: --bare and --minimal are two different starts; give one");
    return CP_EXIT_INVALID;
  }
  if (o->locale && o->bare == 3) {
    cp_diag_fail(CP_EUSAGE, "init: --locale is for the reference policy and --bare; "
                 "--minimal writes locale: en in crmpolicy.yaml, to change there");
    return CP_EXIT_INVALID;
  }
  if (o->locale && strcmp(o->locale, "en") != 0 && strcmp(o->locale, "zh-CN") != 0) {
    cp_diag_fail(CP_EUSAGE, "init: --locale: '%s' is not one of en, zh-CN", o->locale);
    return CP_EXIT_INVALID;
  }
  char share[PATH_MAX];
  cp_err rc = find_share(share);
  if (rc == CP_OK)
    rc = make_project_dir(dir);
  if (rc == CP_OK)
    rc = copy_items(share, dir, o->bare);
  if (rc == CP_OK && o->bare != 3)   /* --minimal's is copied whole */
    rc = write_config(share, dir, o->bare, o->locale);
  if (rc == CP_OK)
    rc = make_facts(dir);
  if (rc != CP_OK)
    return cp_cli_exit_for(rc);
  if (!o->quiet)
    printf("wrote a policy project in %s (%s); next:\n  cd %s && crmpolicy check && "
           "crmpolicy test tests\n", dir,
           o->bare == 3 ? "one example rule on the smallest facts"
           : o->bare ? "one example rule" : "the reference policy",
           dir);
  return CP_EXIT_OK;
}
