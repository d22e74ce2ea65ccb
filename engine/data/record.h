/* record.h: an alert or assignment as stored, and its JSON form (the field
 * names of the results contract, used by the feed and the CLI alike). */
#ifndef CP_RECORD_H
#define CP_RECORD_H

#include "config.h"
#include "sbuf.h"

/* One alert or assignment row. Strings are borrowed from the caller. */
typedef struct cp_record {
  int is_alert;              /* 1: alert, 0: assignment */
  const char *fingerprint;   /* stable hash of (rule, client_id, key) */
  const char *rule;          /* rule id */
  const char *client_id;     /* client */
  const char *key;           /* key, "" when none */
  const char *kind;          /* assignments: kind */
  const char *severity;      /* alerts: info | warning | critical */
  int level;                 /* alerts: escalation step */
  const char *assignee;      /* staff id or NULL */
  const char *title;         /* alerts: title */
  const char *data;          /* JSON object text */
  const char *status;        /* open/resolved; proposed/fulfilled/withdrawn */
  const char *opened_at;     /* as-of time it was opened */
  const char *updated_at;    /* as-of time of its last change */
  const char *rule_label;    /* alerts: what people read for the rule (config labels), or NULL */
} cp_record;

/* Writes the fingerprint of (rule, client_id, key), 16 hex digits and a NUL,
 * into out (17 bytes): FNV-1a 64 over the three strings with NUL separators. */
void cp_record_fingerprint(const char *rule, const char *client_id, const char *key, char *out);

/* Appends the record as one JSON object (no newline). */
void cp_record_json(sbuf *b, const cp_record *r);

/* Appends the Alertmanager labels of an alert as one JSON object: alertname
 * (the rule), rule, client_id, key, severity and assignee, empty ones left
 * out. The level is not a label, so that an escalation is the same alert. */
void cp_record_am_labels(sbuf *b, const cp_record *r);

/* Appends an alert as one Alertmanager v2 postable alert: the labels above,
 * annotations summary (the title), level, data (JSON text), opened_at and
 * fingerprint (no times, no newline). */
void cp_record_alertmanager(sbuf *b, const cp_record *r);

/* Returns the salt of the feed's masks: the variable salt_env names, else
 * salt, else "" (not owned by the caller). */
const char *cp_record_feed_salt(const cp_feed_cfg *f);

/* Returns a copy of r as the feed's privacy settings f (NULL: none) let it
 * be seen: dropped fields NULL ("{}" for data), masked ids "~" and 15 hex
 * digits of a salted hash, written into m. A masked id also changes the
 * fingerprint, which would otherwise lead back. Strings stay borrowed. */
cp_record cp_record_private(const cp_feed_cfg *f, const cp_record *r, char m[4][17]);

#endif
