/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/main.c: the harmrank executable. */
#include "cli.h"

int main(int argc, char **argv) { return harm_cli_main(argc, argv); }
