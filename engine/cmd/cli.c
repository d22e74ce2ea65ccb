/* cli.c: what the commands share: the config named by the options, the
 * exit code of an error, and the refusal of an output path that names a
 * file of the run. */
#include "cli.h"
#include "assignees.h"
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

cp_exit cp_cli_exit_for(cp_err e)
{
  if (e == CP_ENOMEM && !cp_diag_oom_said())   /* met where nothing could say it */
    cp_diag_fail(e, "out of memory");
  switch (e) {
  case CP_OK: return CP_EXIT_OK;
  case CP_EUSAGE: case CP_ECONFIG: case CP_ERULES: case CP_EFACTS: return CP_EXIT_INVALID;
  case CP_EBUSY: return CP_EXIT_BUSY;
  default: return CP_EXIT_FAILED;
  }
}

cp_err cp_cli_config(const cp_opts *o, cp_config **cfg)
{
  struct stat st;
  if (strcmp(o->config, "crmpolicy.yaml") == 0 && stat(o->config, &st) < 0 && errno == ENOENT)
    return cp_diag_fail(CP_ECONFIG, "crmpolicy.yaml: No such file or directory (a command reads "
                        "the crmpolicy.yaml of the folder it runs in: run it in the policy's "
                        "folder, or give --config PATH)");
  cp_err rc = cp_config_load(o->config, cfg);
  if (rc == CP_OK)
    rc = cp_assignees_check(*cfg);
  if (rc == CP_OK && o->facts)
    rc = cp_config_set_path(&(*cfg)->facts, o->facts);
  if (rc == CP_OK && o->state)
    rc = cp_config_set_path(&(*cfg)->state, o->state);
  return rc;
}

/* Returns the identity of path: its device and inode when it exists (1),
 * else (0) its folder resolved, then its last part, in buf. */
static int file_identity(const char *path, struct stat *st, char *buf, size_t size)
{
  if (stat(path, st) == 0)
    return 1;
  const char *slash = strrchr(path, '/');
  char *dir = cp_config_path_folder(path);
  char *real = dir ? realpath(dir, NULL) : NULL;
  snprintf(buf, size, "%s/%s", real ? real : (dir ? dir : ""), slash ? slash + 1 : path);
  free(real);
  free(dir);
  return 0;
}

int cp_cli_same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  char pa[PATH_MAX + 256], pb[PATH_MAX + 256];
  int ea = file_identity(a, &sa, pa, sizeof pa), eb = file_identity(b, &sb, pb, sizeof pb);
  if (ea != eb)
    return 0;
  return ea ? sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino : !strcmp(pa, pb);
}

const char *const cp_cli_sides[] = {"-wal", "-shm", "-journal", NULL};

cp_err cp_cli_feed_salt(const cp_config *cfg)
{
  const cp_feed_cfg *f = &cfg->file->feed;
  if (f->salt_env && !*cp_record_feed_salt(f))
    return cp_diag_fail(CP_ECONFIG, "%s: feed.salt_env: the environment variable %s is %s: "
                        "export it with the feed's salt (masked ids are hashed with it), "
                        "as every run and push must",
                        cfg->path, f->salt_env, getenv(f->salt_env) ? "empty" : "not set");
  if (f->mask && !f->salt && !f->salt_env)   /* as unsafe as an unset salt_env, but asked for */
    cp_diag_warn("%s: feed.mask without salt or salt_env: a masked id can be found again by "
                 "hashing every likely id (C0001, C0002, ...); give feed.salt_env", cfg->path);
  return CP_OK;
}

/* Returns 1 when path names a .lua file inside the rules folder (the
 * folder of the first rule file, where require reads), whichever way it is
 * spelled: its folder's real path is compared. */
static int in_rules_folder(const cp_config *cfg, const char *named)
{
  char *real = realpath(named, NULL);   /* a link is written through: its file counts */
  const char *path = real ? real : named;
  size_t len = strlen(path);
  if (len < 4 || strcmp(path + len - 4, ".lua") != 0 || !cfg->file->rules_count) {
    free(real);
    return 0;
  }
  char *rule = cp_config_resolve(cfg, cfg->file->rules[0]);
  char *rdir = rule ? cp_config_path_folder(rule) : NULL, *pdir = cp_config_path_folder(path);
  char *rreal = rdir ? realpath(rdir, NULL) : NULL, *preal = pdir ? realpath(pdir, NULL) : NULL;
  size_t n = rreal ? strlen(rreal) : 0;
  int inside = rreal && preal && !strncmp(preal, rreal, n) && (preal[n] == '/' || !preal[n]);
  free(rule);
  free(rdir);
  free(pdir);
  free(rreal);
  free(preal);
  free(real);
  return inside;
}

cp_err cp_cli_own_file(const cp_config *cfg, const char *path, const char *option,
                       const char *what)
{
  static const char *const side_names[] = {"'s WAL", "'s shared memory", "'s journal"};
  char buf[PATH_MAX], *facts = realpath(cfg->facts, NULL);
  /* the config's own facts and state too, when --facts or --state stand in
   * for them this once: they are the nightly run's */
  char *cfg_facts = cp_config_resolve(cfg, cfg->file->facts);
  char *cfg_facts_real = cfg_facts ? realpath(cfg_facts, NULL) : NULL;
  char *cfg_state = cp_config_resolve(cfg, cfg->file->state);
  const struct { const char *what, *path, *shown; int db; } run_files[] = {
    {"the config", cfg->path, cfg->path, 0},
    {"the facts database", facts ? facts : cfg->facts, cfg->facts, 1},   /* SQLite names its */
    {"the state database", cfg->state, cfg->state, 1},                    /* side files so */
    {"the config's facts database", cfg_facts_real ? cfg_facts_real : cfg_facts, cfg_facts, 1},
    {"the config's state database", cfg_state, cfg_state, 1},
  };
  cp_err rc = CP_OK;
  for (size_t i = 0; rc == CP_OK && i < sizeof run_files / sizeof run_files[0]; i++)
    for (int k = -1; rc == CP_OK && run_files[i].path && k < (run_files[i].db ? 3 : 0); k++) {
      const char *suffix = k < 0 ? "" : cp_cli_sides[k];   /* the file, then its side files */
      snprintf(buf, sizeof buf, "%s%s", run_files[i].path, suffix);
      if (!cp_cli_same_file(path, buf))
        continue;
      snprintf(buf, sizeof buf, "%s%s", run_files[i].shown, suffix);   /* as the config names it */
      rc = cp_diag_fail(CP_EUSAGE, "%s: %s is %s%s (%s); %s needs a file of its own", option,
                        path, run_files[i].what, k < 0 ? "" : side_names[k], buf, what);
    }
  free(facts);
  free(cfg_facts);
  free(cfg_facts_real);
  free(cfg_state);
  if (rc != CP_OK)
    return rc;
  if (in_rules_folder(cfg, path))
    return cp_diag_fail(CP_EUSAGE, "%s: %s is a Lua file in the rules folder (a module the "
                        "rules may require); %s needs a file of its own", option, path, what);
  for (unsigned i = 0; i < cfg->file->rules_count; i++) {
    char *rule = cp_config_resolve(cfg, cfg->file->rules[i]);
    int same = rule && cp_cli_same_file(path, rule);
    free(rule);
    if (same)
      return cp_diag_fail(CP_EUSAGE, "%s: %s is the rule file %s; %s needs a file of its own",
                          option, path, cfg->file->rules[i], what);
  }
  return CP_OK;
}
