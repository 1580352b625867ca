/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/support.h: helpers the Criterion test files share (reading a whole
 * file). Include after <criterion/criterion.h>. */
#ifndef HARMRANK_TESTS_SUPPORT_H
#define HARMRANK_TESTS_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file at `path`, NUL-terminated (the NUL is not counted in
 * *len, which may be NULL), or NULL when it cannot be opened. Free with
 * free(). */
static inline char *test_slurp(const char *path, size_t *len) {
  if (len) {
    *len = 0;
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  cr_assert_not_null(buf);
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0 || n < cap) {
      break;
    }
    cap *= 2;
    buf = realloc(buf, cap + 1);
    cr_assert_not_null(buf);
  }
  fclose(fp);
  buf[n] = '\0';
  if (len) {
    *len = n;
  }
  return buf;
}

/* As test_slurp, for a file the test expects to exist. */
static inline char *test_slurp_must(const char *path) {
  char *text = test_slurp(path, NULL);
  cr_assert_not_null(text, "cannot read %s", path);
  return text;
}

#endif /* HARMRANK_TESTS_SUPPORT_H */
