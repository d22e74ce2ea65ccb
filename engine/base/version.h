/* version.h: the version of crmpolicy (--version, and the writer recorded in
 * the state database). */
#ifndef CP_VERSION_H
#define CP_VERSION_H

/* "0.1.0", or what `git describe` said when the Makefile built version.c. */
extern const char cp_version[];

#endif
