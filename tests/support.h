/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/support.h: helpers the Criterion test files share (a scratch
 * folder removed when the test ends, reading a whole file, comparing two
 * files). Include after <criterion/criterion.h>. */
#ifndef HARMRANK_TESTS_SUPPORT_H
#define HARMRANK_TESTS_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Scratch folders to remove when the process that made them exits: each
 * Criterion test runs in a process of its own, so a test's files go when
 * it ends, passed or failed (children a test forks share the list but not
 * the pid, and leave the folders alone). */
enum { TEST_TMP_MAX = 16 };
static char test__tmp_dir[TEST_TMP_MAX][512];
static pid_t test__tmp_pid[TEST_TMP_MAX];
static int test__tmp_n;

static inline void test__tmp_remove(void) {
  for (int i = 0; i < test__tmp_n; i++) {
    if (test__tmp_pid[i] == getpid()) {
      char cmd[600];
      snprintf(cmd, sizeof cmd, "rm -rf '%s'", test__tmp_dir[i]);
      if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", test__tmp_dir[i]);
      }
    }
  }
}

/* mkdtemp(tmpl), asserted, and the folder removed with everything in it
 * when this process exits. tmpl ends in XXXXXX and has no quote. */
static inline char *test_mkdtemp(char *tmpl) {
  cr_assert_not_null(mkdtemp(tmpl), "mkdtemp %s", tmpl);
  cr_assert_lt(test__tmp_n, TEST_TMP_MAX, "too many scratch folders");
  cr_assert_lt(strlen(tmpl), sizeof test__tmp_dir[0]);
  cr_assert_null(strchr(tmpl, '\''));
  if (test__tmp_n == 0) {
    cr_assert_eq(atexit(test__tmp_remove), 0);
  }
  strcpy(test__tmp_dir[test__tmp_n], tmpl);
  test__tmp_pid[test__tmp_n++] = getpid();
  return tmpl;
}

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

/* Expects the file at got_path to equal the one at want_path byte for
 * byte; `what` names the case in the message, which shows the first
 * differing byte and both texts. */
static inline void test_expect_same_file(const char *what, const char *got_path,
                                         const char *want_path) {
  size_t got_len, want_len;
  char *want = test_slurp(want_path, &want_len);
  cr_assert_not_null(want, "%s: missing %s", what, want_path);
  char *got = test_slurp(got_path, &got_len);
  cr_assert_not_null(got, "%s: %s was not written", what, got_path);
  size_t i = 0;
  while (i < got_len && i < want_len && got[i] == want[i]) {
    i++;
  }
  cr_expect(i == got_len && i == want_len,
            "%s: %s differs from %s at byte %zu:\n--- got ---\n%.*s\n--- "
            "want ---\n%.*s",
            what, got_path, want_path, i, (int)got_len, got, (int)want_len,
            want);
  free(got);
  free(want);
}

#endif /* HARMRANK_TESTS_SUPPORT_H */
