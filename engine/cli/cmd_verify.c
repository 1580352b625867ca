/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_verify.c: `harmrank verify`. */
#include "cli_internal.h"

int cli_cmd_verify(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return HARM_EXIT_INTERNAL;
}
