/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/args_file.h: reads a fixture's `args` file (one CLI argument
 * per line) into an argv, for the golden and bad-input CLI tests. */
#ifndef HARMRANK_TESTS_ARGS_FILE_H
#define HARMRANK_TESTS_ARGS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Splits args[0..len) in place at newlines, appending each non-empty line
 * to argv from argv[*argc]; keeps at most `room` more entries free for
 * the caller. Returns false when the file has too many lines. */
static inline bool args_file_split(char *args, size_t len, char **argv,
                                   int *argc, int max_args, int room) {
  char *end = args + len;
  for (char *line = args; line < end;) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl) {
      nl = end;
    }
    *nl = '\0';
    if (*line) {
      if (*argc >= max_args - room) {
        return false;
      }
      argv[(*argc)++] = line;
    }
    line = nl + 1;
  }
  return true;
}

#endif /* HARMRANK_TESTS_ARGS_FILE_H */
