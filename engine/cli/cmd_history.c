/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_history.c: `harmrank history`. */
#include "cli_internal.h"

int cli_cmd_history(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return HARM_EXIT_INTERNAL;
}
