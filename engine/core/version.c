/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/version.c: harm_version(), the release number from
 * project(VERSION) plus, in a build from a git checkout, the commit. */
#include "harmrank/version.h"

/* CMake writes harm_git.h on every build (CMakeLists.txt, script mode);
 * it defines HARM__GIT_COMMIT only when the source is a git checkout.
 * Builds without CMake (.ci/fuzz) leave HARMRANK_HAVE_GIT_H undefined. */
#ifdef HARMRANK_HAVE_GIT_H
#include "harm_git.h"
#endif

const char *harm_version(void) {
#ifdef HARM__GIT_COMMIT
  return HARMRANK_VERSION_STRING " (git " HARM__GIT_COMMIT ")";
#else
  return HARMRANK_VERSION_STRING;
#endif
}
