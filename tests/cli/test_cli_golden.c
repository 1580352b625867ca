/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_golden.c: runs harm_cli_main in-process on the
 * hand-worked cases in fixtures/score/ and compares scores.csv, rejects.csv
 * and the exit code byte for byte, plus the usage and I/O exit codes. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/args_file.h"
#include "cli/cli.h"
#include "support.h"

#define SCORE_DIR HARM_FIXTURES "/score"

enum { MAX_ARGS = 64 };

/* Reads a whole file; returns NULL (and *len 0) when it does not exist. */
static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* A fresh folder for one run's outputs. */
static void make_tmpdir(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/harmrank-golden-XXXXXX");
  test_mkdtemp(buf);
}

static void remove_outputs(const char *dir) {
  static const char *const names[] = {"scores.csv", "rejects.csv"};
  char path[512];
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    remove(path);
  }
  rmdir(dir);
}

/* Compares an output file with the expected one, byte for byte. */
/* Runs fixtures/score/<name>: args (one per line, paths relative to the
 * case folder, which is the working directory of the run) plus -o and
 * --rejects into a temporary folder, then checks expected/. A missing
 * expected/scores.csv means the run must not create scores.csv; a
 * missing expected/rejects.csv means rejects.csv is not checked. */
static void run_case(const char *name) {
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/%s", SCORE_DIR, name);
  snprintf(path, sizeof path, "%s/args", dir);
  size_t len;
  char *args = test_slurp(path, &len);
  cr_assert_not_null(args, "missing %s", path);
  char tmp[64];
  make_tmpdir(tmp, sizeof tmp);
  char out_scores[128], out_rejects[128];
  snprintf(out_scores, sizeof out_scores, "%s/scores.csv", tmp);
  snprintf(out_rejects, sizeof out_rejects, "%s/rejects.csv", tmp);

  char *argv[MAX_ARGS + 1];
  int argc = 0;
  argv[argc++] = "harmrank";
  cr_assert(args_file_split(args, len, argv, &argc, MAX_ARGS, 5),
            "too many args");
  argv[argc++] = "-o";
  argv[argc++] = out_scores;
  argv[argc++] = "--rejects";
  argv[argc++] = out_rejects;
  argv[argc] = NULL;

  /* Criterion runs each test in its own process, so chdir is private. */
  cr_assert_eq(chdir(dir), 0, "chdir %s: %s", dir, strerror(errno));
  int rc = harm_cli_main(argc, argv);

  snprintf(path, sizeof path, "%s/expected/exit", dir);
  char *exit_text = test_slurp(path, &len);
  cr_assert_not_null(exit_text, "missing %s", path);
  int want_rc = atoi(exit_text);
  free(exit_text);
  cr_expect_eq(rc, want_rc, "%s: exit %d, want %d", name, rc, want_rc);

  snprintf(path, sizeof path, "%s/expected/scores.csv", dir);
  if (exists(path)) {
    test_expect_same_file(name, out_scores, path);
  } else {
    cr_expect(!exists(out_scores), "%s: scores.csv was created", name);
  }
  snprintf(path, sizeof path, "%s/expected/rejects.csv", dir);
  if (exists(path)) {
    test_expect_same_file(name, out_rejects, path);
  }
  remove_outputs(tmp);
  free(args);
}

Test(cli_golden, basic_ranking) { run_case("basic_ranking"); }
Test(cli_golden, top_places_from_the_place_column) {
  run_case("top_places_from_the_place_column");
}
Test(cli_golden, rfgv_model_columns_for_everyone) {
  run_case("rfgv_model_columns_for_everyone");
}
Test(cli_golden, quoted_newline_in_field) {
  run_case("quoted_newline_in_field");
}
Test(cli_golden, window_edges) { run_case("window_edges"); }
Test(cli_golden, duplicates_and_unknown_codes) {
  run_case("duplicates_and_unknown_codes");
}
Test(cli_golden, unknown_code_strict) { run_case("unknown_code_strict"); }
Test(cli_golden, ties_at_every_level) { run_case("ties_at_every_level"); }
Test(cli_golden, bad_date_strict) { run_case("bad_date_strict"); }
Test(cli_golden, bad_rows_rejected_and_neutralised) {
  run_case("bad_rows_rejected_and_neutralised");
}
Test(cli_golden, half_life_and_cap) { run_case("half_life_and_cap"); }
Test(cli_golden, split_attribution_and_sqrt) {
  run_case("split_attribution_and_sqrt");
}

/* ---- Exit codes of the command line ----------------------------------- */

static int cli(int argc, const char *const *args) {
  char *argv[32];
  cr_assert_lt(argc, 32);
  for (int i = 0; i < argc; i++) {
    argv[i] = (char *)args[i];
  }
  argv[argc] = NULL;
  return harm_cli_main(argc, argv);
}

#define RUN(...)                                                               \
  cli((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)),      \
      (const char *const[]){__VA_ARGS__})

#define BASIC SCORE_DIR "/basic_ranking"

Test(cli, version_exits_0_and_prints_the_version, .init = cr_redirect_stdout) {
  cr_expect_eq(RUN("harmrank", "--version"), 0);
  fflush(stdout);
  char want[64];
  snprintf(want, sizeof want, "harmrank %s\n", harm_version());
  cr_expect_stdout_eq_str(want);
}

Test(cli, help_exits_0, .init = cr_redirect_stdout) {
  cr_expect_eq(RUN("harmrank", "--help"), 0);
  cr_expect_eq(RUN("harmrank", "score", "--help"), 0);
}

Test(cli, no_command_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank"), 2);
}

Test(cli, unknown_command_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank", "scour", "--offences", "x.csv"), 2);
}

Test(cli, unknown_flag_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank", "score", "--offences", BASIC "/offences.csv",
                   "--weights", BASIC "/weights.csv", "--bogus", "17.25"),
               2);
  cr_expect_eq(RUN("harmrank", "score", "--offences", BASIC "/offences.csv",
                   "--weights", BASIC "/weights.csv", "--bogus"),
               2);
}

Test(cli, missing_offences_flag_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank", "score", "--weights", BASIC "/weights.csv"), 2);
}

Test(cli, missing_offences_file_exits_3, .init = cr_redirect_stderr) {
  char tmp[64], out[128], rej[128];
  make_tmpdir(tmp, sizeof tmp);
  snprintf(out, sizeof out, "%s/scores.csv", tmp);
  snprintf(rej, sizeof rej, "%s/rejects.csv", tmp);
  cr_expect_eq(RUN("harmrank", "score", "--offences",
                   BASIC "/no-such-offences.csv", "--weights",
                   BASIC "/weights.csv", "-o", out, "--rejects", rej),
               3);
  cr_expect(!exists(out), "scores.csv written after an I/O error");
  remove_outputs(tmp);
}

Test(cli, bad_config_key_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank", "score", "--offences", BASIC "/offences.csv",
                   "--weights", BASIC "/weights.csv", "--set",
                   "scoring.nonsense=1"),
               2);
}

Test(cli, bad_config_value_exits_2, .init = cr_redirect_stderr) {
  cr_expect_eq(RUN("harmrank", "score", "--offences", BASIC "/offences.csv",
                   "--weights", BASIC "/weights.csv", "--transform", "cube"),
               2);
  cr_expect_eq(RUN("harmrank", "score", "--offences", BASIC "/offences.csv",
                   "--weights", BASIC "/weights.csv", "--as-of", "2019-02-30"),
               2);
}
