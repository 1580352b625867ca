/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_bad_inputs.c: runs every malformed-input case in
 * fixtures/bad/ through harm_cli_main and checks the exit code, the error
 * location on stderr, the rejects count, the row accounting identity and
 * that a failed run leaves no output or temporary file; plus huge inputs
 * (a 100 MB cell, a 10 MB line, a bad line across a read block) generated
 * in a temporary folder. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/args_file.h"
#include "cli/cli.h"
#include "support.h"

#define BAD_DIR HARM_FIXTURES "/bad"

enum { MAX_ARGS = 64, PATH_CAP = 1024 };

/* ---- small helpers ------------------------------------------------------ */

/* Reads a whole file; NULL (and *len 0) when it does not exist. */
static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static bool contains(const char *hay, size_t hay_len, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0) {
    return true;
  }
  for (size_t i = 0; i + n <= hay_len; i++) {
    if (memcmp(hay + i, needle, n) == 0) {
      return true;
    }
  }
  return false;
}

/* Data records in a rejects.csv: line breaks outside quotes, minus the
 * header. Raw copies of multi-line records are quoted, so they count once. */
static long count_csv_rows(const char *path) {
  size_t len;
  char *s = test_slurp(path, &len);
  if (!s) {
    return -1;
  }
  long rows = 0;
  bool quoted = false;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == '\n' && !quoted) {
      rows++;
    }
  }
  if (len && s[len - 1] != '\n') {
    rows++;
  }
  free(s);
  return rows > 0 ? rows - 1 : 0;
}

/* Names any leftover temporary output (".name.tmp-XXXXXX") in dir. */
static bool tmp_leftover(const char *dir, char *found, size_t cap) {
  DIR *d = opendir(dir);
  if (!d) {
    return false;
  }
  bool any = false;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strstr(e->d_name, ".tmp-")) {
      snprintf(found, cap, "%s/%s", dir, e->d_name);
      any = true;
    }
  }
  closedir(d);
  return any;
}

/* Removes a folder tree (only the shallow trees these tests create). */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    return;
  }
  struct dirent *e;
  char path[PATH_CAP];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      remove_tree(path);
    } else {
      unlink(path);
    }
  }
  closedir(d);
  rmdir(dir);
}

static void make_tmpdir(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/harmrank-bad-XXXXXX");
  test_mkdtemp(buf);
}

/* The row accounting printed on stderr by a completed run. */
typedef struct accounting {
  bool found;
  uint64_t read, scored, outside, future, filtered, duplicates, rejected;
} accounting;

static accounting parse_accounting(const char *err_text) {
  accounting a;
  memset(&a, 0, sizeof a);
  const char *p = err_text ? strstr(err_text, "rows: read ") : NULL;
  if (p && sscanf(p,
                  "rows: read %" SCNu64 " = scored %" SCNu64
                  " + outside window %" SCNu64 " + future-dated %" SCNu64
                  " + filtered %" SCNu64 " + duplicates %" SCNu64
                  " + rejected %" SCNu64,
                  &a.read, &a.scored, &a.outside, &a.future, &a.filtered,
                  &a.duplicates, &a.rejected) == 7) {
    a.found = true;
  }
  return a;
}

/* Runs harm_cli_main with stdout and stderr sent to files in `tmp`;
 * returns the exit code and the stderr text (caller frees). */
static int run_cli(int argc, char **argv, const char *tmp, char **err_text) {
  char out_path[PATH_CAP], err_path[PATH_CAP];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", tmp);
  snprintf(err_path, sizeof err_path, "%s/stderr.txt", tmp);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert(saved_out >= 0 && saved_err >= 0 && fo >= 0 && fe >= 0);
  dup2(fo, 1);
  dup2(fe, 2);
  close(fo);
  close(fe);
  int rc = harm_cli_main(argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  size_t len;
  *err_text = test_slurp(err_path, &len);
  unlink(out_path);
  unlink(err_path);
  if (!*err_text) {
    *err_text = calloc(1, 1);
  }
  return rc;
}

static void check_identity(const accounting *a, const char *what) {
  cr_expect(a->read == a->scored + a->outside + a->future + a->filtered +
                           a->duplicates + a->rejected,
            "%s: accounting does not add up: read %" PRIu64 " != %" PRIu64
            " + %" PRIu64 " + %" PRIu64 " + %" PRIu64 " + %" PRIu64
            " + %" PRIu64,
            what, a->read, a->scored, a->outside, a->future, a->filtered,
            a->duplicates, a->rejected);
}

/* ---- the fixture cases -------------------------------------------------- */

typedef struct bad_case {
  char name[128];
} bad_case;

/* Every folder of fixtures/bad that holds an `expect` file. */
ParameterizedTestParameters(bad_inputs, fixture) {
  static bad_case none[1];
  DIR *d = opendir(BAD_DIR);
  if (!d) {
    return cr_make_param_array(bad_case, none, 0);
  }
  size_t n = 0, cap = 256;
  bad_case *cases = cr_malloc(cap * sizeof *cases);
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s/expect", BAD_DIR, e->d_name);
    if (e->d_name[0] != '.' && exists(path) &&
        strlen(e->d_name) < sizeof cases[n].name) {
      memset(&cases[n], 0, sizeof cases[n]);
      memcpy(cases[n].name, e->d_name, strlen(e->d_name));
      n++;
    }
  }
  closedir(d);
  return cr_make_param_array(bad_case, cases, n);
}

/* What a case's `expect` file says. */
typedef struct expectation {
  int exit_code;
  char stderr_contains[256];
  long rejects;  /* -1 = not checked */
  long read;     /* -1 = not checked */
  long outside;  /* rows outside the window; -1 = not checked */
  long filtered; /* rows filtered out (filters, categories); -1 = not */
  int outputs;   /* -1 not checked, 0 none, 1 present */
  char cohort_contains[128];
} expectation;

static expectation read_expect(const char *dir) {
  expectation x = {-1, "", -1, -1, -1, -1, -1, ""};
  char path[PATH_CAP];
  snprintf(path, sizeof path, "%.*s/expect", PATH_CAP - 16, dir);
  size_t len;
  char *text = test_slurp(path, &len);
  cr_assert_not_null(text, "missing %s", path);
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (!eq) {
      continue;
    }
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    if (strcmp(k, "exit") == 0) {
      x.exit_code = atoi(v);
    } else if (strcmp(k, "stderr_contains") == 0) {
      snprintf(x.stderr_contains, sizeof x.stderr_contains, "%s", v);
    } else if (strcmp(k, "rejects") == 0) {
      x.rejects = atol(v);
    } else if (strcmp(k, "read") == 0) {
      x.read = atol(v);
    } else if (strcmp(k, "outside") == 0) {
      x.outside = atol(v);
    } else if (strcmp(k, "filtered") == 0) {
      x.filtered = atol(v);
    } else if (strcmp(k, "outputs") == 0) {
      x.outputs = strcmp(v, "present") == 0 ? 1 : 0;
    } else if (strcmp(k, "cohort_contains") == 0) {
      snprintf(x.cohort_contains, sizeof x.cohort_contains, "%s", v);
    } else {
      cr_assert_fail("%s: unknown expect key \"%s\"", path, k);
    }
  }
  free(text);
  cr_assert_geq(x.exit_code, 0, "%s: no exit= line", path);
  return x;
}

static const char *const cohort_outputs[] = {
    "cohort.csv", "movers.csv", "notes.csv", "manifest.json", "cohort.xlsx"};
enum { N_COHORT_OUTPUTS = 5 };

ParameterizedTest(bad_case *c, bad_inputs, fixture, .timeout = 30) {
  char dir[PATH_CAP], path[2 * PATH_CAP];
  snprintf(dir, sizeof dir, "%s/%s", BAD_DIR, c->name);
  expectation x = read_expect(dir);
  snprintf(path, sizeof path, "%.*s/args", PATH_CAP - 16, dir);
  size_t len;
  char *args = test_slurp(path, &len);
  cr_assert_not_null(args, "missing %s", path);

  char tmp[64];
  make_tmpdir(tmp, sizeof tmp);
  char out_dir[PATH_CAP], scores[PATH_CAP], rejects[2 * PATH_CAP];
  snprintf(out_dir, sizeof out_dir, "%s/out", tmp);
  snprintf(scores, sizeof scores, "%s/scores.csv", tmp);

  char *argv[MAX_ARGS + 1];
  int argc = 0;
  argv[argc++] = "harmrank";
  cr_assert(args_file_split(args, len, argv, &argc, MAX_ARGS, 6),
            "%s: too many args", c->name);
  cr_assert_gt(argc, 1, "%s: empty args", c->name);
  bool cohort = strcmp(argv[1], "cohort") == 0;
  if (cohort) {
    argv[argc++] = "--out";
    argv[argc++] = out_dir;
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", out_dir);
  } else {
    /* -o belongs to score; the analysis commands print their tables and
     * take --rejects. */
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", tmp);
    if (strcmp(argv[1], "score") == 0) {
      argv[argc++] = "-o";
      argv[argc++] = scores;
    }
    argv[argc++] = "--rejects";
    argv[argc++] = rejects;
  }
  argv[argc] = NULL;

  /* Criterion runs each test in its own process, so chdir is private. */
  cr_assert_eq(chdir(dir), 0, "chdir %s: %s", dir, strerror(errno));
  char *err_text = NULL;
  int rc = run_cli(argc, argv, tmp, &err_text);

  cr_expect_eq(rc, x.exit_code, "%s: exit %d, want %d; stderr:\n%s", c->name,
               rc, x.exit_code, err_text);
  if (x.stderr_contains[0]) {
    cr_expect(strstr(err_text, x.stderr_contains) != NULL,
              "%s: stderr lacks \"%s\":\n%s", c->name, x.stderr_contains,
              err_text);
  }
  accounting a = parse_accounting(err_text);
  if (rc == 0) {
    cr_expect(a.found, "%s: no accounting line on stderr:\n%s", c->name,
              err_text);
  }
  if (a.found) {
    check_identity(&a, c->name);
    if (x.read >= 0) {
      cr_expect_eq(a.read, (uint64_t)x.read, "%s: read %" PRIu64 ", want %ld",
                   c->name, a.read, x.read);
    }
    if (x.rejects >= 0) {
      cr_expect_eq(a.rejected, (uint64_t)x.rejects,
                   "%s: accounting rejected %" PRIu64 ", want %ld", c->name,
                   a.rejected, x.rejects);
    }
    if (x.outside >= 0) {
      cr_expect_eq(a.outside, (uint64_t)x.outside,
                   "%s: outside window %" PRIu64 ", want %ld", c->name,
                   a.outside, x.outside);
    }
    if (x.filtered >= 0) {
      cr_expect_eq(a.filtered, (uint64_t)x.filtered,
                   "%s: filtered %" PRIu64 ", want %ld", c->name, a.filtered,
                   x.filtered);
    }
  } else if ((x.read >= 0 || x.outside >= 0 || x.filtered >= 0) && rc == 0) {
    cr_expect_fail("%s: accounting expected but no accounting line", c->name);
  }
  if (x.rejects >= 0) {
    long got = count_csv_rows(rejects);
    cr_expect_eq(got, x.rejects, "%s: rejects.csv has %ld rows, want %ld",
                 c->name, got, x.rejects);
  }
  /* Outputs: the final names exist only after a successful run. */
  if (x.outputs >= 0 || rc != 0) {
    bool want = x.outputs == 1 && rc == 0;
    if (cohort) {
      for (int k = 0; k < N_COHORT_OUTPUTS; k++) {
        snprintf(path, sizeof path, "%s/%s", out_dir, cohort_outputs[k]);
        cr_expect_eq(exists(path), want, "%s: %s %s", c->name,
                     cohort_outputs[k],
                     want ? "was not written" : "exists after a failed run");
      }
    } else {
      cr_expect_eq(exists(scores), want, "%s: scores.csv %s", c->name,
                   want ? "was not written" : "exists after a failed run");
    }
  }
  /* rejects.csv may survive a failed run only when ingest stopped on bad
   * data (exit 1): it then shows the row that stopped the run. */
  if (rc != 0 && rc != 1) {
    cr_expect(!exists(rejects), "%s: rejects.csv left after exit %d", c->name,
              rc);
  }
  char found[PATH_CAP];
  cr_expect(!tmp_leftover(tmp, found, sizeof found),
            "%s: temporary file left: %s", c->name, found);
  cr_expect(!tmp_leftover(out_dir, found, sizeof found),
            "%s: temporary file left: %s", c->name, found);
  if (x.cohort_contains[0]) {
    snprintf(path, sizeof path, "%s/cohort.csv", out_dir);
    char *text = test_slurp(path, &len);
    char needle[160];
    snprintf(needle, sizeof needle, ",%s,", x.cohort_contains);
    cr_expect(text && contains(text, len, needle),
              "%s: cohort.csv lacks %s:\n%s", c->name, x.cohort_contains,
              text ? text : "(missing)");
    free(text);
  }
  free(err_text);
  free(args);
  remove_tree(tmp);
}

/* ---- generated huge inputs ---------------------------------------------- */

static const char weights_csv[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,assault with injury,17.25,violence,0,estimate: fixture value\n"
    "028/01,burglary residential,2.385,property,0,estimate: fixture value\n"
    "034/01,robbery of personal property,365,violence,0,anchor: robbery\n";

static void write_file(const char *path, const char *data, size_t len) {
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
  cr_assert_eq(fwrite(data, 1, len, fp), len);
  cr_assert_eq(fclose(fp), 0);
}

static void write_repeated(FILE *fp, char c, size_t n) {
  char block[65536];
  memset(block, c, sizeof block);
  while (n) {
    size_t k = n < sizeof block ? n : sizeof block;
    cr_assert_eq(fwrite(block, 1, k, fp), k);
    n -= k;
  }
}

/* Runs `score` on tmp/offences.csv (+ extra flags); returns the exit code
 * and the parsed accounting. */
static int score_generated(const char *tmp, const char *const *extra,
                           int n_extra, accounting *a, char **err_text) {
  static char off[PATH_CAP], wts[PATH_CAP], sc[PATH_CAP], rj[PATH_CAP];
  snprintf(off, sizeof off, "%s/offences.csv", tmp);
  snprintf(wts, sizeof wts, "%s/weights.csv", tmp);
  snprintf(sc, sizeof sc, "%s/scores.csv", tmp);
  snprintf(rj, sizeof rj, "%s/rejects.csv", tmp);
  write_file(wts, weights_csv, sizeof weights_csv - 1);
  char *argv[32];
  int argc = 0;
  argv[argc++] = "harmrank";
  argv[argc++] = "score";
  argv[argc++] = "--offences";
  argv[argc++] = off;
  argv[argc++] = "--weights";
  argv[argc++] = wts;
  argv[argc++] = "-o";
  argv[argc++] = sc;
  argv[argc++] = "--rejects";
  argv[argc++] = rj;
  for (int i = 0; i < n_extra; i++) {
    argv[argc++] = (char *)extra[i];
  }
  argv[argc] = NULL;
  int rc = run_cli(argc, argv, tmp, err_text);
  *a = parse_accounting(*err_text);
  return rc;
}

Test(bad_inputs, cell_of_100_megabytes_is_rejected_and_the_run_continues,
     .timeout = 60) {
  char tmp[64], path[PATH_CAP];
  make_tmpdir(tmp, sizeof tmp);
  snprintf(path, sizeof path, "%s/offences.csv", tmp);
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp);
  fputs("offence_id,offender_id,offence_code,offence_date,victim_id,note\n"
        "CR1,N1,008/06,2024-05-02,V1,short\n"
        "CR2,N2,034/01,2024-05-10,V2,\"",
        fp);
  write_repeated(fp, 'x', (size_t)100 << 20);
  fputs("\"\nCR3,N3,028/01,2024-06-01,V3,after\n", fp);
  cr_assert_eq(fclose(fp), 0);

  accounting a;
  char *err_text;
  int rc = score_generated(tmp, NULL, 0, &a, &err_text);
  cr_expect_eq(rc, 0, "exit %d:\n%s", rc, err_text);
  cr_expect(a.found, "no accounting line:\n%s", err_text);
  check_identity(&a, "100 MB cell");
  cr_expect_eq(a.read, 3);
  cr_expect_eq(a.rejected, 1);
  snprintf(path, sizeof path, "%s/rejects.csv", tmp);
  size_t len;
  char *rej = test_slurp(path, &len);
  cr_assert_not_null(rej, "rejects.csv not written");
  cr_expect(contains(rej, len, "max_field_bytes"),
            "the reject does not give the field limit as its reason");
  cr_expect(contains(rej, len, "\n3,\"note\"") ||
                contains(rej, len, "\n3,note"),
            "the reject does not name line 3, column note");
  /* The verbatim copy is cut, so a 100 MB cell cannot blow up rejects.csv. */
  cr_expect_lt(len, (size_t)8 << 20, "rejects.csv is %zu bytes", len);
  free(rej);
  snprintf(path, sizeof path, "%s/scores.csv", tmp);
  char *sc = test_slurp(path, &len);
  cr_assert_not_null(sc, "scores.csv not written");
  cr_expect(contains(sc, len, ",N1,") && contains(sc, len, ",N3,") &&
                !contains(sc, len, ",N2,"),
            "scores.csv should hold N1 and N3 only:\n%s", sc);
  free(sc);
  free(err_text);
  remove_tree(tmp);
}

Test(bad_inputs, line_of_10_megabytes_with_too_many_fields_is_rejected,
     .timeout = 60) {
  char tmp[64], path[PATH_CAP];
  make_tmpdir(tmp, sizeof tmp);
  snprintf(path, sizeof path, "%s/offences.csv", tmp);
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp);
  fputs("offence_id,offender_id,offence_code,offence_date,victim_id\n"
        "CR1,N1,008/06,2024-05-02,V1\n",
        fp);
  /* 5 million fields: "x,x,x,...". */
  for (size_t i = 0; i < (size_t)5 << 20; i++) {
    fputs(i ? ",x" : "x", fp);
  }
  fputs("\nCR3,N3,028/01,2024-06-01,V3\n", fp);
  cr_assert_eq(fclose(fp), 0);

  accounting a;
  char *err_text;
  int rc = score_generated(tmp, NULL, 0, &a, &err_text);
  cr_expect_eq(rc, 0, "exit %d:\n%s", rc, err_text);
  cr_expect(a.found, "no accounting line:\n%s", err_text);
  check_identity(&a, "10 MB line");
  cr_expect_eq(a.read, 3);
  cr_expect_eq(a.rejected, 1);
  free(err_text);

  /* The same file with --strict stops at line 3 with exit 1. */
  const char *strict[] = {"--strict"};
  rc = score_generated(tmp, strict, 1, &a, &err_text);
  cr_expect_eq(rc, 1, "strict exit %d:\n%s", rc, err_text);
  cr_expect(strstr(err_text, "offences.csv:3: ") != NULL, "stderr:\n%s",
            err_text);
  free(err_text);
  remove_tree(tmp);
}

Test(bad_inputs, line_of_10_megabytes_in_one_field_is_kept_under_a_raised_limit,
     .timeout = 60) {
  char tmp[64], path[PATH_CAP];
  make_tmpdir(tmp, sizeof tmp);
  snprintf(path, sizeof path, "%s/offences.csv", tmp);
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp);
  fputs("offence_id,offender_id,offence_code,offence_date,victim_id,note\n"
        "CR1,N1,008/06,2024-05-02,V1,",
        fp);
  write_repeated(fp, 'n', (size_t)10 << 20);
  fputs("\nCR3,N3,028/01,2024-06-01,V3,after\n", fp);
  cr_assert_eq(fclose(fp), 0);

  const char *extra[] = {"--set", "input.max_field_bytes=16777216", "--threads",
                         "2"};
  accounting a;
  char *err_text;
  int rc = score_generated(tmp, extra, 4, &a, &err_text);
  cr_expect_eq(rc, 0, "exit %d:\n%s", rc, err_text);
  check_identity(&a, "10 MB field");
  cr_expect_eq(a.read, 2);
  cr_expect_eq(a.rejected, 0);
  cr_expect_eq(a.scored, 2);
  free(err_text);
  remove_tree(tmp);
}

/* A malformed line that crosses the reader's 64 KiB block: the whole line
 * is one rejected record. The bytes after the block edge happen to form a
 * valid row (offender NX, robbery); they must not be read as one. */
Test(bad_inputs, malformed_line_across_a_read_block_is_one_reject,
     .timeout = 30) {
  char tmp[64], path[PATH_CAP];
  make_tmpdir(tmp, sizeof tmp);
  const char head[] =
      "offence_id,offender_id,offence_code,offence_date,victim_id,note\n"
      "CR1,N1,008/06,2024-05-02,V1,a\n"
      "CR2,N1,028/01,2024-05-10,V2,b\n"
      "CR3,N\"2,034/01,2024-01-15,V3,";
  const char tail[] = "CRX,NX,034/01,2024-06-01,VX,tail\n"
                      "CR5,N3,034/01,2024-06-10,V1,c\n";
  size_t block = 65536, pad = block - (sizeof head - 1);
  size_t len = (sizeof head - 1) + pad + (sizeof tail - 1);
  char *data = malloc(len);
  cr_assert_not_null(data);
  memcpy(data, head, sizeof head - 1);
  memset(data + sizeof head - 1, 'p', pad);
  memcpy(data + block, tail, sizeof tail - 1);
  snprintf(path, sizeof path, "%s/offences.csv", tmp);
  write_file(path, data, len);
  free(data);

  const char *extra[] = {"--threads", "1"};
  accounting a;
  char *err_text;
  int rc = score_generated(tmp, extra, 2, &a, &err_text);
  cr_expect_eq(rc, 0, "exit %d:\n%s", rc, err_text);
  check_identity(&a, "block edge");
  cr_expect_eq(a.read, 4, "read %" PRIu64 ", want 4 (lines 2, 3, 4, 5)",
               a.read);
  cr_expect_eq(a.rejected, 1);
  snprintf(path, sizeof path, "%s/scores.csv", tmp);
  size_t n;
  char *sc = test_slurp(path, &n);
  cr_assert_not_null(sc);
  cr_expect(!contains(sc, n, ",NX,"),
            "bytes after the block edge were scored as a row:\n%s", sc);
  free(sc);
  free(err_text);
  remove_tree(tmp);
}
