/* fixture.h: policy fixtures for `crmpolicy test`: a YAML file with facts as
 * rows, params overrides, and evaluation steps that name the alerts and
 * assignments they expect. */
#ifndef CP_FIXTURE_H
#define CP_FIXTURE_H

#include <stdint.h>

#include "config.h"
#include "ytree.h"

/* How a step's expectations meet what is found. */
typedef enum cp_fx_mode {
  CP_FX_EXACT,     /* exactly these (of the step's rules) */
  CP_FX_AT_LEAST   /* these, and maybe more */
} cp_fx_mode;

/* Which fields an expectation gives (bits of cp_fx_result.has). */
enum {
  CP_FX_KEY = 1, CP_FX_SEVERITY = 2, CP_FX_LEVEL = 4, CP_FX_ASSIGNEE = 8,
  CP_FX_KIND = 16, CP_FX_TITLE = 32, CP_FX_DATA = 64
};

/* An expected alert or assignment, or one expected absent. */
typedef struct cp_fx_result {
  char *rule;               /* rule id */
  char *client;             /* client id */
  char *key;                /* key; NULL when not given (then "") */
  char *severity;           /* alerts: info | warning | critical */
  int level;                /* alerts: escalation step; 0 when not given */
  const yt_node *level_node; /* level as written (libcyaml reads 8.5 as 8, 010 as 8) */
  char *assignee;           /* staff id (see has and assignee_null) */
  char *kind;               /* assignments: kind */
  char *title;              /* alerts: title */
  const yt_node *data;      /* the `data` mapping expected (its keys, at least), or NULL */
  unsigned has;             /* CP_FX_* bits of the fields given */
  int assignee_null;        /* `assignee: null`: expects no assignee */
  unsigned line;            /* line of the entry in the fixture */
} cp_fx_result;

/* One evaluation as of a date, and what it must find. */
typedef struct cp_fx_step {
  char *as_of;              /* YYYY-MM-DD */
  cp_fx_mode mode;          /* exact (default) or at_least */
  char **rules;             /* rule ids or globs whose results count; none: the fixture's */
  unsigned rules_count;     /* number of rules */
  cp_fx_result *alerts;     /* expected open alerts */
  unsigned alerts_count;    /* number of alerts */
  cp_fx_result *assignments;   /* expected proposed assignments */
  unsigned assignments_count;  /* number of assignments */
  cp_fx_result *absent;     /* results that must not be there (rule, client, key) */
  unsigned absent_count;    /* number of absent */
  cp_fx_result *fulfilled;  /* assignments the step's run fulfilled (rule, client, key) */
  unsigned fulfilled_count; /* number of fulfilled */
  cp_fx_result *withdrawn;  /* assignments the step's run withdrew (rule, client, key) */
  unsigned withdrawn_count; /* number of withdrawn */
  int has_fulfilled;        /* the step gives `fulfilled:` (checked only then) */
  int has_withdrawn;        /* the step gives `withdrawn:` */
  int replay;               /* `replay: true`: an earlier day than the step before, replayed */
  int64_t day;              /* as_of as an epoch day */
  unsigned line;            /* line of the step in the fixture */
  const struct yt_node *facts;   /* the step's `facts`: tables whose rows it replaces, or NULL */
  const struct yt_node *changes; /* the step's `changes`: rows changed, added or removed by
                                    id, after its facts; or NULL */
  const struct yt_node *findings;   /* `findings:`: the data problems expected, or NULL (then
                                       they are warnings) */
} cp_fx_step;

/* The typed part of a fixture file, as libcyaml loads it. */
typedef struct cp_fx_file {
  char *name;               /* what the fixture shows, for people */
  char *doc;                /* longer description, or NULL */
  char *schema;             /* SQL file creating the facts tables, or NULL: from the config */
  char **rules;             /* default rule filter of the steps (ids or globs) */
  unsigned rules_count;     /* number of rules; 0: every rule */
  cp_fx_step *steps;        /* the steps, in order, sharing one state database */
  unsigned steps_count;     /* number of steps */
} cp_fx_file;

/* A loaded fixture. */
typedef struct cp_fixture {
  char *path;               /* the file as given */
  char *dir;                /* its folder, for the schema path */
  cp_fx_file *file;         /* typed part (libcyaml owns the memory) */
  yt_node *doc;             /* the whole document, for facts, params and lines */
  const yt_node *facts;     /* the `facts` mapping in doc, or NULL */
  yt_node *params;          /* the config's params with the fixture's merged in, or NULL */
} cp_fixture;

/* Loads and checks a fixture file; params overrides are merged over the
 * config's params (a name the config lacks is an error). On failure prints
 * "FILE:LINE: message" and returns CP_ECONFIG with *out NULL. Free the result
 * with cp_fixture_free(). */
cp_err cp_fixture_load(const char *path, const cp_config *cfg, cp_fixture **out);

/* Frees a fixture; accepts NULL. */
void cp_fixture_free(cp_fixture *fx);

/* Returns a malloc'd path for rel, relative to the fixture's folder; the
 * caller frees it. NULL when out of memory. */
char *cp_fixture_resolve(const cp_fixture *fx, const char *rel);

/* The rule filter of a step: its own, else the fixture's; *n is 0 for all. */
char **cp_fixture_rules(const cp_fixture *fx, const cp_fx_step *step, unsigned *n);

/* Returns 1 when rule id passes a filter of n ids or globs (n = 0: all). */
int cp_fixture_rule_matches(char **filter, unsigned n, const char *rule);

#endif
