/* tally.h: data problems counted by column (table.column), so that a
 * command that meets more than it prints says where they are: `run` after
 * the clients, `check` after its sample of every table. */
#ifndef CP_TALLY_H
#define CP_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "facts.h"

#define CP_TALLY_COLUMNS 64   /* columns counted apart; the rest together */

/* One column's count. */
typedef struct cp_tally_col {
  char *table, *column;
  uint64_t n;
} cp_tally_col;

/* The counts, zeroed to start. */
typedef struct cp_tally {
  cp_tally_col cols[CP_TALLY_COLUMNS];   /* in first-met order */
  size_t n;                 /* entries of cols */
  uint64_t elsewhere;       /* problems of columns past CP_TALLY_COLUMNS */
  uint64_t total;           /* every problem counted */
} cp_tally;

/* Counts data problem f under its column. */
void cp_tally_add(cp_tally *t, const cp_finding *f);

/* Warns "facts: N data problems WHERE, by column: t.c 27, ..." (the ten
 * largest counts first), when any was counted. */
void cp_tally_say(cp_tally *t, const char *where);

/* Frees what the tally holds; it may be used again, empty. */
void cp_tally_free(cp_tally *t);

#endif
