/* explain.c: `crmpolicy explain CLIENT`: evaluates one client as of a date
 * with the trace on, and shows for every rule what it read (the derived
 * values in the order computed, the client's fields and rows), the reasons
 * it gave with why(), and what it reported, or its error. */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dates.h"
#include "eval.h"
#include "pool.h"
#include "rules.h"
#include "sbuf.h"
#include "stateread.h"
#include "trace.h"

/* Everything an explanation holds open. */
typedef struct explain {
  cp_config *cfg;           /* the config */
  cp_facts *facts;          /* facts reader */
  cp_rules *rules;          /* loaded rules */
  int64_t as_of;            /* the as-of day */
  cp_trace *trace;          /* the record of the client */
  cp_outcome out;           /* what the client's evaluation reported */
  const cp_client *client;  /* the client */
  long only;                /* --rule: index of the one rule shown, or -1 */
  int json;                 /* --format json */
  char *shown;              /* shown[i]: derived value i is in a rule's reads */
  char not_run[160];        /* the status of a rule not run */
  sqlite3 *state;           /* the state database, read for the assignees of picks; or NULL */
  sqlite3_stmt *picked;     /* a proposal's assignee in it, by rule, client and key */
} explain;

/* Opens the state database, when there is one, to show whom the last run
 * picked for each pick of the client (explain runs no pool). */
static void open_state(explain *e)
{
  struct stat st;
  if (stat(e->cfg->state, &st) != 0 || !S_ISREG(st.st_mode) ||
      cp_stateread_open(e->cfg->state, &e->state) != SQLITE_OK ||
      sqlite3_prepare_v2(e->state, "SELECT assignee, opened_at FROM assignments WHERE rule = ?1 "
                         "AND client_id = ?2 AND key = ?3 AND status = 'proposed'", -1,
                         &e->picked, NULL) != SQLITE_OK) {
    sqlite3_close(e->state);   /* no state, or one of another shape: nothing to add */
    e->state = NULL;
  }
}

/* Whether the state holds an open (proposed) assignment of the client for
 * item it (its rule and key): 1, 0, or -1 without a state to read (or when
 * it cannot be read). On 1 the row stays under the cursor and since gets
 * the day it was proposed (11 bytes). */
static int state_open(const explain *e, const cp_item *it, char since[11])
{
  if (!e->picked)
    return -1;
  sqlite3_reset(e->picked);
  sqlite3_bind_text(e->picked, 1, it->rule, -1, SQLITE_STATIC);
  sqlite3_bind_text(e->picked, 2, e->client->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(e->picked, 3, it->key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(e->picked);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? 0 : -1;
  const unsigned char *at = sqlite3_column_text(e->picked, 1);
  snprintf(since, 11, "%s", at ? (const char *)at : "");
  return 1;
}

/* The assignee the state holds for pick it of the client (NULL: none),
 * with the day it was proposed into since (11 bytes). */
static const char *state_assignee(const explain *e, const cp_item *it, char since[11])
{
  return state_open(e, it, since) == 1 ? (const char *)sqlite3_column_text(e->picked, 0) : NULL;
}

/* Marks derived value id, and the derived values it read, recursively. */
static void mark(explain *e, const char *id, int depth)
{
  const cp_trace *t = e->trace;
  for (size_t i = 0; i < t->n_derived && depth < 64; i++)
    if (!strcmp(t->derived[i].name, id) && !e->shown[i]) {
      e->shown[i] = 1;
      for (size_t j = 0; j < t->derived[i].n_reads; j++)
        if (t->derived[i].reads[j].kind == CP_TRACE_DERIVED)
          mark(e, t->derived[i].reads[j].name, depth + 1);
    }
}

/* Marks the derived values a context read, directly or through others. */
static void mark_reads(explain *e, const cp_tctx *c)
{
  memset(e->shown, 0, e->trace->n_derived + 1);
  for (size_t j = 0; j < c->n_reads; j++)
    if (c->reads[j].kind == CP_TRACE_DERIVED)
      mark(e, c->reads[j].name, 0);
}

/* Returns the index of the derived value completed seq-th, or -1. */
static long by_seq(const cp_trace *t, unsigned seq)
{
  for (size_t i = 0; i < t->n_derived; i++)
    if (t->derived[i].seq == seq)
      return (long)i;
  return -1;
}

/* Returns 1 when value, as explain shows it, is a JSON literal: a finite
 * number, true or false (not nan, inf or -inf). */
static int json_literal(const char *value)
{
  char *end;
  if (!strcmp(value, "true") || !strcmp(value, "false"))
    return 1;
  double x = strtod(value, &end);
  return *value && !*end && isfinite(x);
}

/* Appends a value as JSON: text quoted, nil as null, a number or boolean as
 * it is, what JSON has no literal for (nan, inf) quoted. */
static void json_value(sbuf *b, const char *value, int text)
{
  if (!text && !strcmp(value, "nil"))
    cp_sbuf_add(b, "null");
  else if (!text && json_literal(value))
    cp_sbuf_add(b, value);
  else
    cp_sbuf_json_str(b, value, strlen(value));
}

#define SHOWN_MAX 1000   /* bytes of a value explain's text shows; the JSON has it whole */

/* Appends "name = value" to b for the terminal, a value longer than
 * SHOWN_MAX bytes cut there (before a UTF-8 character that would be split)
 * and marked with its length: a derived text of several MB made output as
 * large, under every rule that read it. */
static void term_value(sbuf *b, const char *name, const char *sep, const char *value)
{
  size_t len = strlen(value), cut = SHOWN_MAX;
  if (len <= SHOWN_MAX) {
    cp_sbuf_term_printf(b, "%s%s%s", name, sep, value);
    return;
  }
  while (cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80)
    cut--;
  cp_sbuf_term_printf(b, "%s%s", name, sep);
  cp_sbuf_term_str(b, value, cut);
  cp_sbuf_printf(b, "... (cut: %zu bytes in all; --format json shows it whole)", len);
}

/* Appends "name = value" pairs (text) or {"name":..,"value":..} (JSON) of
 * reads of a context; derived: the marked derived values in the order
 * computed, else the context's other reads. */
static void list_reads(explain *e, sbuf *b, const cp_tctx *c, int derived)
{
  const cp_trace *t = e->trace;
  size_t n = 0;
  for (unsigned s = 1; derived && s <= t->seq; s++) {
    long i = by_seq(t, s);
    if (i < 0 || !e->shown[i])
      continue;
    if (e->json) {
      cp_sbuf_printf(b, "%s{\"name\":", n++ ? "," : "");
      cp_sbuf_json_str(b, t->derived[i].name, strlen(t->derived[i].name));
      cp_sbuf_add(b, ",\"value\":");
      json_value(b, t->derived[i].value, t->derived[i].text);
      cp_sbuf_add(b, "}");
    } else {
      cp_sbuf_add(b, n++ ? ", " : "");
      term_value(b, t->derived[i].name, " = ", t->derived[i].value);
    }
  }
  for (size_t j = 0; !derived && j < c->n_reads; j++) {
    const cp_tread *r = &c->reads[j];
    if (r->kind == CP_TRACE_DERIVED)
      continue;
    if (e->json) {
      cp_sbuf_printf(b, "%s{\"name\":", n++ ? "," : "");
      cp_sbuf_json_str(b, r->name, strlen(r->name));
      cp_sbuf_add(b, ",\"value\":");
      json_value(b, r->value, r->text);
      cp_sbuf_add(b, "}");
    } else {
      cp_sbuf_add(b, n++ ? ", " : "");
      term_value(b, r->name, " = ", r->value);
    }
  }
}

/* Returns the status of rule i: error, fired, fulfilled (it reported only
 * fulfilled{}), no result, out of scope. */
static const char *status(explain *e, size_t i, const char **error)
{
  const char *const *ids = cp_rules_ids(e->rules, i);
  *error = NULL;
  if (e->out.skipped)
    return "skipped: the client is out of scope";
  if (e->trace->rules[i].not_run) {
    snprintf(e->not_run, sizeof e->not_run, "not run: the client has no %s rows",
             cp_rules_needs(e->rules, i));
    return e->not_run;
  }
  for (size_t k = 0; k < e->out.n_failures; k++)
    if (!strcmp(e->out.failures[k].rule, ids[0]))
      *error = e->out.failures[k].message;
  if (*error)
    return "error";
  int fulfilled = 0;
  for (size_t k = 0; k < e->out.n; k++)
    for (const char *const *id = ids; *id; id++)
      if (e->out.items[k].what != CP_DROPPED && !strcmp(e->out.items[k].rule, *id)) {
        if (e->out.items[k].what != CP_FULFILLED)
          return "fired";
        fulfilled = 1;
      }
  return fulfilled ? "fulfilled" : "no result";
}

/* Appends one reported item (text: a line; JSON: an object). */
static void item(const explain *e, sbuf *b, const cp_item *it)
{
  static const char *const what[] = {"alert", "assignment", "fulfilled", "dropped"};
  if (e->json) {
    cp_sbuf_printf(b, "{\"what\":\"%s\",\"rule\":", what[it->what]);
    cp_sbuf_json_str(b, it->rule, strlen(it->rule));
    cp_sbuf_add(b, ",\"key\":");
    cp_sbuf_json_str(b, it->key, strlen(it->key));
    if (it->what == CP_ALERT)
      cp_sbuf_printf(b, ",\"severity\":\"%s\",\"level\":%d", cp_outcome_severity_name(it->severity),
                  it->level);
    const char *fields[] = {"kind", it->kind, "assignee", it->assignee, "title", it->title,
                            "pool", it->pool, "group", it->group};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f += 2)
      if (fields[f + 1] || !strcmp(fields[f], "assignee")) {
        cp_sbuf_printf(b, ",\"%s\":", fields[f]);
        json_value(b, fields[f + 1] ? fields[f + 1] : "nil", fields[f + 1] != NULL);
      }
    if (it->fallback) {   /* the groups a pick falls back to, in order */
      cp_sbuf_add(b, ",\"fallback\":[");
      for (const char *g = it->fallback; *g; g += strlen(g) + 1) {
        if (g != it->fallback)
          cp_sbuf_add(b, ",");
        cp_sbuf_json_str(b, g, strlen(g));
      }
      cp_sbuf_add(b, "]");
    }
    if (it->if_unfilled)   /* raised only when the run's pick finds nobody */
      cp_sbuf_add(b, ",\"only_when_unfilled\":true");
    char since[11];
    int open = it->what == CP_FULFILLED ? state_open(e, it, since) : -1;
    if (open >= 0)   /* whether the run would close an assignment the state holds */
      cp_sbuf_printf(b, ",\"closes\":%s", open ? "true" : "false");
    const char *had = it->pool && it->what == CP_ASSIGN ? state_assignee(e, it, since) : NULL;
    if (had) {   /* the assignee the state holds for this pick */
      cp_sbuf_add(b, ",\"state_assignee\":");
      cp_sbuf_json_str(b, had, strlen(had));
    }
    cp_sbuf_printf(b, ",\"data\":%s}", it->data ? it->data : "{}");
    return;
  }
  cp_sbuf_term_printf(b, "    %s %s: key \"%s\"", what[it->what], it->rule, it->key);
  if (it->what == CP_ALERT)
    cp_sbuf_printf(b, ", %s, level %d", cp_outcome_severity_name(it->severity), it->level);
  if (it->kind)
    cp_sbuf_term_printf(b, ", kind %s", it->kind);
  if (it->pool) {   /* explain runs no pool: the run picks, with every client before it */
    cp_sbuf_term_printf(b, ", assignee picked in the run (from pool %s, group %s", it->pool,
                        it->group);
    for (const char *g = it->fallback; g && *g; g += strlen(g) + 1)
      cp_sbuf_term_printf(b, ", then %s", g);
    cp_sbuf_add(b, ")");
    char since[11];
    const char *had = it->what == CP_ASSIGN ? state_assignee(e, it, since) : NULL;
    if (had)   /* what the last run picked, which the next keeps (pick.keep) */
      cp_sbuf_term_printf(b, " (the state: %s, proposed %s)", had, since);
  } else if (it->what != CP_FULFILLED) {
    cp_sbuf_term_printf(b, ", assignee %s", it->assignee ? it->assignee : "nobody");
  }
  if (it->if_unfilled)
    cp_sbuf_add(b, " (only when nobody can be picked, instead of the assignment)");
  char open_since[11];
  int open = it->what == CP_FULFILLED ? state_open(e, it, open_since) : -1;
  if (open == 1)
    cp_sbuf_printf(b, " (closes the assignment the state holds, proposed %s)", open_since);
  else if (open == 0)
    cp_sbuf_add(b, " (the state holds no open assignment of this key: nothing to close)");
  if (it->title)
    cp_sbuf_term_printf(b, ", title \"%s\"", it->title);
  if (it->what != CP_FULFILLED)
    cp_sbuf_term_printf(b, ", data %s", it->data ? it->data : "{}");
  cp_sbuf_add(b, "\n");
}

/* Appends the why() lines of a context (text), or a JSON array of them. */
static void whys(const explain *e, sbuf *b, const cp_tctx *c, const char *indent)
{
  for (size_t k = 0; k < c->n_why; k++) {
    if (e->json) {
      cp_sbuf_add(b, k ? "," : "");
      cp_sbuf_json_str(b, c->why[k], strlen(c->why[k]));
    } else {
      cp_sbuf_term_printf(b, "%swhy: %s\n", indent, c->why[k]);
    }
  }
  if (c->why_dropped) {   /* said as one more reason, in text and JSON alike */
    sbuf more = {0};
    cp_sbuf_printf(&more, "(%zu more reasons not kept: the reasons of a client hold at most "
                   "limits.memory_mb, %u MiB)", c->why_dropped, e->cfg->file->limits.memory_mb);
    if (e->json) {
      cp_sbuf_add(b, c->n_why ? "," : "");
      cp_sbuf_json_str(b, more.s ? more.s : "", more.len);
    } else {
      cp_sbuf_term_printf(b, "%swhy: %s\n", indent, more.s ? more.s : "");
    }
    b->oom |= more.oom;
    cp_sbuf_free(&more);
  }
}

/* Appends a context's reads ("reads:" derived values in the order computed,
 * "looked at:" the rest) and reasons, as text lines or JSON members. */
static void context(explain *e, sbuf *b, const cp_tctx *c, const char *indent)
{
  sbuf d = {0}, f = {0};
  mark_reads(e, c);
  list_reads(e, &d, c, 1);
  list_reads(e, &f, c, 0);
  if (e->json) {
    cp_sbuf_printf(b, "\"reads\":[%s],\"looked_at\":[%s],\"why\":[", d.s ? d.s : "",
                f.s ? f.s : "");
    whys(e, b, c, indent);
    cp_sbuf_add(b, "]");
  } else {
    if (d.s)
      cp_sbuf_printf(b, "%sreads: %s\n", indent, d.s);
    if (f.s)
      cp_sbuf_printf(b, "%slooked at: %s\n", indent, f.s);
    whys(e, b, c, indent);
  }
  b->oom |= d.oom | f.oom;   /* a line left out would explain less, and say nothing */
  cp_sbuf_free(&d);
  cp_sbuf_free(&f);
}

/* Appends rule i: where, status, context, results and error. */
static void rule(explain *e, sbuf *b, size_t i)
{
  const char *error, *st = status(e, i, &error), *id = cp_rules_id(e->rules, i);
  const char *const *ids = cp_rules_ids(e->rules, i);
  size_t n = 0;
  if (e->json) {
    cp_sbuf_add(b, "{\"id\":");
    cp_sbuf_json_str(b, id, strlen(id));
    const char *where = cp_rules_where(e->rules, i);
    cp_sbuf_add(b, ",\"where\":");
    cp_sbuf_json_str(b, where, strlen(where));
    cp_sbuf_add(b, ",\"status\":");
    cp_sbuf_json_str(b, st, strlen(st));
    cp_sbuf_add(b, ",");
  } else {
    cp_sbuf_term_printf(b, "\nrule %s (%s): %s\n", id, cp_rules_where(e->rules, i), st);
  }
  context(e, b, &e->trace->rules[i], "  ");
  if (e->json)
    cp_sbuf_add(b, ",\"results\":[");
  for (size_t k = 0; k < e->out.n; k++)
    for (const char *const *p = ids; *p; p++)
      if (e->out.items[k].what != CP_DROPPED && !strcmp(e->out.items[k].rule, *p)) {
        cp_sbuf_add(b, e->json && n++ ? "," : "");
        item(e, b, &e->out.items[k]);
      }
  if (e->json) {
    cp_sbuf_add(b, "],\"error\":");
    json_value(b, error ? error : "nil", error != NULL);
    cp_sbuf_add(b, "}");
  } else if (error) {
    cp_sbuf_term_printf(b, "  error: %s\n", error);
  }
}

/* Appends the derived values that the shown rules read (all of them when
 * every rule is shown), in the order computed, with what each read. */
static void derived(explain *e, sbuf *b)
{
  const cp_trace *t = e->trace;
  size_t n = 0;
  if (e->only >= 0)
    mark_reads(e, &t->rules[e->only]);
  cp_sbuf_add(b, e->json ? ",\"derived\":[" : "\nderived values, in the order computed:\n");
  for (unsigned s = 1; s <= t->seq; s++) {
    long i = by_seq(t, s);
    const cp_tctx *c = i >= 0 ? &t->derived[i] : NULL;
    if (!c || (e->only >= 0 && !e->shown[i]))
      continue;
    if (e->json) {
      cp_sbuf_printf(b, "%s{\"id\":", n++ ? "," : "");
      cp_sbuf_json_str(b, c->name, strlen(c->name));
      cp_sbuf_add(b, c->failed ? ",\"error\":" : ",\"value\":");
      json_value(b, c->value, c->text || c->failed);
      cp_sbuf_add(b, ",\"from\":[");
    } else {
      cp_sbuf_add(b, "  ");
      term_value(b, c->name, c->failed ? " failed: " : " = ", c->value);
      cp_sbuf_add(b, "\n");
      n++;
    }
    for (size_t j = 0; j < c->n_reads; j++) {
      const cp_tread *r = &c->reads[j];
      if (e->json) {
        cp_sbuf_printf(b, "%s{\"name\":", j ? "," : "");
        cp_sbuf_json_str(b, r->name, strlen(r->name));
        cp_sbuf_add(b, ",\"value\":");
        json_value(b, r->value, r->text);
        cp_sbuf_add(b, "}");
      } else {
        cp_sbuf_printf(b, "%s", j ? ", " : "      from: ");
        term_value(b, r->name, " = ", r->value);
        cp_sbuf_add(b, j + 1 == c->n_reads ? "\n" : "");
      }
    }
    if (e->json) {
      cp_sbuf_add(b, "],\"why\":[");
      whys(e, b, c, "");
      cp_sbuf_add(b, "]}");
    } else {
      whys(e, b, c, "      ");
    }
  }
  cp_sbuf_add(b, e->json ? "]" : n ? "" : "  (none)\n");
}

/* Appends the whole explanation. */
static void render(explain *e, sbuf *b, int has_scope)
{
  char day[16];
  const char *scope = !has_scope ? "every client (no scope{})"
                      : e->out.skipped ? "out of scope"
                      : e->out.scope_failed ? "error (every rule fails for the client)" : "in scope";
  cp_dates_format_date(e->as_of, day);
  if (e->json) {
    cp_sbuf_add(b, "{\"client\":");
    cp_sbuf_json_str(b, e->client->id, strlen(e->client->id));
    cp_sbuf_printf(b, ",\"as_of\":\"%s\",\"in_scope\":%s,\"scope\":{", day,
                e->out.skipped ? "false" : e->out.scope_failed ? "null" : "true");
  } else {
    cp_sbuf_term_printf(b, "client %s as of %s\n", e->client->id, day);
    cp_sbuf_printf(b, "scope: %s\n", scope);
  }
  context(e, b, &e->trace->scope, "  ");
  cp_sbuf_add(b, e->json ? "}" : "");
  derived(e, b);
  cp_sbuf_add(b, e->json ? ",\"rules\":[" : "");
  for (size_t i = 0, n = 0; i < cp_rules_count(e->rules); i++)
    if (e->only < 0 || (size_t)e->only == i) {
      cp_sbuf_add(b, e->json && n++ ? "," : "");
      rule(e, b, i);
    }
  cp_sbuf_add(b, e->json ? "]}\n" : "");
}

/* Finds --rule among the checks (by id or an id it emits): its index. */
static cp_err find_rule(explain *e, const char *id)
{
  e->only = -1;
  for (size_t i = 0; id && e->only < 0 && i < cp_rules_count(e->rules); i++)
    for (const char *const *p = cp_rules_ids(e->rules, i); *p; p++)
      if (!strcmp(*p, id))
        e->only = (long)i;
  if (id && e->only < 0)
    return cp_diag_fail(CP_EUSAGE, "explain: --rule: no rule '%s' is declared", id);
  return CP_OK;
}

/* Reads the client named id as of the as-of date into e->client. */
static cp_err find_client(explain *e, const char *id, int64_t as_of)
{
  cp_client *c;
  char day[16];
  cp_err rc = cp_facts_begin(e->facts, id, NULL);
  int more = rc == CP_OK ? cp_facts_next(e->facts, &c) : 0;
  if (rc != CP_OK || more < 0)
    return rc != CP_OK ? rc : cp_facts_error(e->facts);
  cp_dates_format_date(as_of, day);
  if (more == 0 || strcmp(c->id, id)) {
    const char *from = e->cfg->file->clients->exists_from;
    return cp_diag_fail(CP_EUSAGE, "explain: no client '%s' in %s as of %s%s%s%s", id,
                        e->cfg->facts, day, from ? " (or its " : "", from ? from : "",
                        from ? " is after that day: give a later --as-of)" : "");
  }
  e->client = c;
  return CP_OK;
}

/* Evaluates the client with the trace on. */
static cp_err evaluate(explain *e)
{
  if (!(e->trace = cp_trace_new(e->cfg, e->rules)))
    return cp_diag_fail(CP_ENOMEM, "explain: out of memory");
  cp_rules_set_tracer(e->rules, cp_trace_tracer(e->trace));
  cp_err rc = cp_eval_client(e->rules, e->client, &e->out);
  cp_rules_set_tracer(e->rules, NULL);
  if (rc == CP_OK)   /* a pick from a pool that failed fails its rule, as in a run */
    rc = cp_pool_fail_pickers(e->rules, &e->out);
  if (rc == CP_OK && !(e->shown = calloc(e->trace->n_derived + 1, 1)))
    rc = CP_ENOMEM;
  if (rc == CP_OK && e->trace->oom)
    rc = CP_ENOMEM;
  return rc == CP_ENOMEM ? cp_diag_fail(rc, "explain: out of memory") : rc;
}

/* Loads the rules; a rule error about a nil names a misspelt param from
 * the first one (an author's command: params.h, cp_params_watch()). */
static cp_err load_rules(explain *e, int64_t as_of)
{
  cp_err rc = cp_rules_load(e->cfg, e->facts, as_of, &e->rules);
  if (rc == CP_OK)
    cp_rules_watch_params(e->rules);
  return rc;
}

cp_exit cp_cmd_explain(const cp_opts *o)
{
  explain e = {.json = o->format_name && !strcmp(o->format_name, "json"), .as_of = o->as_of};
  sbuf b = {0};
  cp_err rc = CP_OK;
  if (o->nargs != 1)
    rc = cp_diag_fail(CP_EUSAGE, "explain: name one client (crmpolicy explain CLIENT)");
  else if (o->format_name && !e.json && strcmp(o->format_name, "text"))
    rc = cp_diag_fail(CP_EUSAGE, "--format: '%s' is not one of text, json", o->format_name);
  if (rc == CP_OK && (rc = cp_cli_config(o, &e.cfg)) == CP_OK &&
      (rc = cp_facts_open(e.cfg, o->as_of, &e.facts)) == CP_OK &&
      (rc = load_rules(&e, o->as_of)) == CP_OK &&
      (rc = find_rule(&e, o->rule)) == CP_OK && (rc = cp_rules_prepare(e.rules)) == CP_OK &&
      (rc = find_client(&e, o->args[0], o->as_of)) == CP_OK && (rc = evaluate(&e)) == CP_OK) {
    for (size_t k = 0; k < e.out.n; k++)
      if (e.out.items[k].pool || e.out.items[k].what == CP_FULFILLED) {
        /* once: picks show whom the state holds, fulfilled{} whether one is open */
        open_state(&e);
        break;
      }
    render(&e, &b, cp_rules_has_scope(e.rules));
    if (b.oom)
      rc = cp_diag_fail(CP_ENOMEM, "explain: out of memory");
    else
      fputs(b.s, stdout);
  }
  int failed = rc == CP_OK && e.out.n_failures > 0;
  cp_sbuf_free(&b);
  sqlite3_finalize(e.picked);
  sqlite3_close(e.state);
  free(e.shown);
  cp_trace_free(e.trace);
  cp_outcome_free(&e.out);
  cp_rules_close(e.rules);
  cp_facts_close(e.facts);
  cp_config_free(e.cfg);
  return rc != CP_OK ? cp_cli_exit_for(rc) : failed ? CP_EXIT_INCOMPLETE : CP_EXIT_OK;
}
