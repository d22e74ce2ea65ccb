/* version.h: the version of crmpolicy (--version, and the writer recorded in
 * the state database). */
#ifndef CP_VERSION_H
#define CP_VERSION_H

#ifndef CP_VERSION
#define CP_VERSION "0.1.0"
#endif

#endif
