/* record.c: fingerprints and the JSON form of alerts and assignments. */
#include "record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_record_fingerprint(const char *rule, const char *client_id, const char *key, char *out)
{
  uint64_t h = 14695981039346656037ULL;
  const char *parts[] = {rule, client_id, key};
  for (int i = 0; i < 3; i++) {
    for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
      h ^= *p;
      h *= 1099511628211ULL;
    }
    h *= 1099511628211ULL;   /* the NUL separator: xor with 0, then multiply */
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--, h >>= 4)   /* by hand: once an item, printf costs more */
    out[i] = hex[h & 15];
  out[16] = '\0';
}

/* Appends "name":"value" (or null) with a leading comma unless first. */
static void field(sbuf *b, const char *name, const char *value, int first)
{
  if (!first)
    cp_sbuf_addn(b, ",", 1);
  cp_sbuf_json_str(b, name, strlen(name));
  cp_sbuf_addn(b, ":", 1);
  if (value)
    cp_sbuf_json_str(b, value, strlen(value));
  else
    cp_sbuf_add(b, "null");
}

/* Appends a member whose name part (`,"name":`, a literal needing no
 * escape) is written as it is, then the value as a JSON string or null:
 * one copy instead of escaping the name at each record. */
#define MEMBER(b, name_part, value) member(b, name_part, sizeof name_part - 1, value)

static void member(sbuf *b, const char *name_part, size_t n, const char *value)
{
  cp_sbuf_addn(b, name_part, n);
  if (value)
    cp_sbuf_json_str(b, value, strlen(value));
  else
    cp_sbuf_addn(b, "null", 4);
}

void cp_record_json(sbuf *b, const cp_record *r)
{
  MEMBER(b, "{\"fingerprint\":", r->fingerprint);
  MEMBER(b, ",\"rule\":", r->rule);
  MEMBER(b, ",\"client_id\":", r->client_id);
  if (!r->is_alert)
    MEMBER(b, ",\"kind\":", r->kind);
  MEMBER(b, ",\"key\":", r->key);
  if (r->is_alert) {
    MEMBER(b, ",\"severity\":", r->severity);
    cp_sbuf_add(b, ",\"level\":");
    cp_sbuf_int(b, r->level);
  }
  MEMBER(b, ",\"assignee\":", r->assignee);
  if (r->is_alert)
    MEMBER(b, ",\"title\":", r->title);
  cp_sbuf_add(b, ",\"data\":");
  if (r->data && *r->data)   /* a state edited by hand: its C1 and U+2028 escaped */
    cp_sbuf_add_json_text(b, r->data, strlen(r->data));
  else
    cp_sbuf_add(b, "{}");
  MEMBER(b, ",\"status\":", r->status);
  MEMBER(b, ",\"opened_at\":", r->opened_at);
  MEMBER(b, ",\"updated_at\":", r->updated_at);
  cp_sbuf_addn(b, "}", 1);
}

/* Appends "name":"value" to an object, with a comma unless first; skips an
 * empty value (Alertmanager treats an empty label as absent). */
static void label(sbuf *b, const char *name, const char *value, int *first)
{
  if (!value || !*value)
    return;
  field(b, name, value, *first);
  *first = 0;
}

void cp_record_am_labels(sbuf *b, const cp_record *r)
{
  int first = 1;
  cp_sbuf_add(b, "{");
  label(b, "alertname", r->rule, &first);
  label(b, "rule", r->rule, &first);
  label(b, "client_id", r->client_id, &first);
  label(b, "key", r->key, &first);
  label(b, "severity", r->severity, &first);
  label(b, "assignee", r->assignee, &first);
  cp_sbuf_add(b, "}");
}

void cp_record_alertmanager(sbuf *b, const cp_record *r)
{
  char level[16];
  int first = 1;
  snprintf(level, sizeof level, "%d", r->level);
  cp_sbuf_add(b, "{\"labels\":");
  cp_record_am_labels(b, r);
  cp_sbuf_add(b, ",\"annotations\":{");
  label(b, "summary", r->title, &first);
  label(b, "level", level, &first);
  label(b, "rule_label", r->rule_label, &first);
  label(b, "data", r->data, &first);
  label(b, "opened_at", r->opened_at, &first);
  label(b, "fingerprint", r->fingerprint, &first);
  cp_sbuf_add(b, "}}");
}

const char *cp_record_feed_salt(const cp_feed_cfg *f)
{
  const char *salt = f->salt_env ? getenv(f->salt_env) : f->salt;
  return salt ? salt : "";
}

/* Writes into out (17 bytes) the mask of value: "~" and 15 hex digits of a
 * salted FNV-1a hash. */
static void mask(const cp_feed_cfg *f, const char *value, char *out)
{
  char fp[17];
  cp_record_fingerprint(cp_record_feed_salt(f), value, "", fp);
  snprintf(out, 17, "~%.15s", fp);
}

cp_record cp_record_private(const cp_feed_cfg *f, const cp_record *r, char m[4][17])
{
  cp_record p = *r;
  if (!f)
    return p;
  const char **fields[] = {&p.client_id, &p.key, &p.assignee};
  unsigned bits[] = {CP_FF_CLIENT_ID, CP_FF_KEY, CP_FF_ASSIGNEE};
  for (int i = 0; i < 3; i++)
    if ((f->mask & bits[i]) && *fields[i]) {
      mask(f, *fields[i], m[i]);
      *fields[i] = m[i];
    }
  if (f->mask & (CP_FF_CLIENT_ID | CP_FF_KEY)) {
    cp_record_fingerprint(p.rule, p.client_id, p.key, m[3]);
    p.fingerprint = m[3];
  }
  if (f->drop & CP_FF_TITLE)
    p.title = NULL;
  if (f->drop & CP_FF_DATA)
    p.data = "{}";
  if (f->drop & CP_FF_ASSIGNEE)
    p.assignee = NULL;
  return p;
}
