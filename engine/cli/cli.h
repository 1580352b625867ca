/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli.h: the harmrank command as a function, so tests can run
 * it in-process on fixtures. */
#ifndef HARMRANK_CLI_H
#define HARMRANK_CLI_H

/* Exit codes (README "Exit codes"). */
enum {
  HARM_EXIT_OK = 0,
  HARM_EXIT_DATA = 1,    /* bad data in strict mode, or a limit exceeded */
  HARM_EXIT_USAGE = 2,   /* bad arguments or configuration */
  HARM_EXIT_IO = 3,      /* cannot read an input or write an output */
  HARM_EXIT_INTERNAL = 4 /* out of memory or a bug */
};

/* Runs `harmrank argv[1] ...`; returns the exit code. Prints only to
 * stdout and stderr. */
int harm_cli_main(int argc, char **argv);

#endif /* HARMRANK_CLI_H */
