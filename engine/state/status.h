/* status.h: what `crmpolicy status` says of a state database, for people,
 * for scripts (JSON) and for Prometheus (the text format that node
 * exporter's textfile collector reads): its last run, the open alerts by
 * severity, the proposed assignments, the feed's end and how far behind
 * each named consumer and sink is. */
#ifndef CP_STATUS_H
#define CP_STATUS_H

#include <stdio.h>

#include "diag.h"

/* The forms of `status --format`. */
typedef enum cp_status_format { CP_STATUS_TEXT, CP_STATUS_JSON, CP_STATUS_PROMETHEUS } cp_status_format;

/* Returns the form named name (text, json, prometheus), or -1. */
int cp_status_format_parse(const char *name);

/* Prints the status of the state database at path to out in form fmt.
 * Returns CP_ESTATE (said) for a state that is missing, newer, or that no
 * run has written. */
cp_err cp_status_print(const char *path, cp_status_format fmt, FILE *out);

#endif
