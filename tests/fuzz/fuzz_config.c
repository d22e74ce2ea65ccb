/* fuzz_config.c: libFuzzer harness of the config loader. Any bytes, written
 * as a config file, either load into a config that keeps the loader's
 * promises or fail with CP_ECONFIG and one message naming the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];   /* the config file the loader reads */

/* Stops the run with a message: libFuzzer keeps the input as a crash. */
static void broken(const char *what, const char *msg)
{
  fprintf(stderr, "fuzz_config: %s\nmessage: [%s]\n", what, msg ? msg : "");
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc, (void)argv;
  snprintf(path, sizeof path, "/tmp/crmpolicy-fuzz-config-%d.yaml", (int)getpid());
  return 0;
}

/* Checks one table entry of a loaded config: what validate() promises. */
static void check_table(const cp_table_cfg *t, int per_client)
{
  if (!t->name || !*t->name)
    broken("a table without a name loaded", NULL);
  if (per_client ? !t->key : !t->id)
    broken("a table without its key or id column loaded", t->name);
  for (unsigned i = 0; i < t->columns_count; i++) {
    const cp_column_cfg *c = &t->columns[i];
    if (!c->name || c->type > CP_COL_BOOLEAN || c->future > CP_FUTURE_EMPTY)
      broken("a column with no name or an unknown type loaded", t->name);
    for (unsigned j = 0; j < i; j++)
      if (strcmp(t->columns[j].name, c->name) == 0)
        broken("a column declared twice loaded", c->name);
  }
}

/* Walks a yt tree: every node well formed, mappings of key/value pairs. */
static void check_tree(const yt_node *n)
{
  if (n->kind == YT_SCALAR) {
    if (!n->value || n->n)
      broken("a scalar node without text", NULL);
    return;
  }
  if (n->kind == YT_MAP && n->n % 2)
    broken("a mapping with an odd number of items", NULL);
  for (size_t i = 0; i < n->n; i++)
    check_tree(n->items[i]);
}

/* Checks a loaded config. */
static void check_loaded(const cp_config *c)
{
  const cp_config_file *f = c->file;
  if (!f || !c->facts || !c->state || !f->clients || !c->doc)
    broken("a loaded config misses a required part", NULL);
  if (!f->rules_count || f->limits.memory_mb == 0 || f->limits.instructions == 0)
    broken("a loaded config has no rules or a zero limit", NULL);
  for (unsigned i = 0; i < f->rules_count; i++) {
    if (!f->rules[i])
      broken("a NULL rule file loaded", NULL);
    char *p = cp_config_resolve(c, f->rules[i]);
    free(p);
  }
  check_table(f->clients, 0);
  for (unsigned i = 0; i < f->tables_count; i++)
    check_table(&f->tables[i], 1);
  for (unsigned i = 0; i < f->lookups_count; i++)
    check_table(&f->lookups[i], 0);
  if (c->params && c->params->kind != YT_MAP)
    broken("params that are not a mapping loaded", NULL);
  check_tree(c->doc);
}

/* Checks the message of a refused config: "crmpolicy: PATH:LINE: ..." (a
 * line from 1) or "crmpolicy: PATH: ...", on one line. */
static void check_message(const char *msg, size_t len)
{
  char want[128];
  int n = snprintf(want, sizeof want, "crmpolicy: %s:", path);
  if (len == 0)
    broken("a refused config printed no message", NULL);
  if (strncmp(msg, want, (size_t)n) != 0)
    broken("the message does not start with the program and the file", msg);
  if (msg[len - 1] != '\n' || memchr(msg, '\n', len - 1))
    broken("the message is not one line", msg);
  if (strlen(msg) != len)
    broken("the message holds a NUL byte", msg);
  if (msg[n] == '0' && msg[n + 1] == ':')
    broken("the message names line 0", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  char *msg = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&msg, &len), *saved = stderr;
  stderr = mem;   /* diag writes here: the message is checked, not printed */
  cp_config *c = (cp_config *)1;
  cp_err rc = cp_config_load(path, &c);
  stderr = saved;
  fclose(mem);
  if (rc == CP_OK) {
    if (!c || len)
      broken("a config loaded but a message was printed or no config returned", msg);
    check_loaded(c);
  } else {
    if (c)
      broken("a refused config returned a config", msg);
    if (rc != CP_ECONFIG)
      broken("a refused config did not return CP_ECONFIG", msg);
    check_message(msg, len);
  }
  cp_config_free(rc == CP_OK ? c : NULL);
  free(msg);
  return 0;
}
