/* version.c: the version string, which the Makefile passes as CP_VERSION
 * (`git describe` of the checkout) to this file alone. */
#include "version.h"

#ifndef CP_VERSION
#define CP_VERSION "0.1.0"
#endif

const char cp_version[] = CP_VERSION;
