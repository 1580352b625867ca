/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cohort_golden.c: runs `harmrank cohort` in-process on the
 * hand-worked cases in fixtures/cohort/ and compares cohort.csv, movers.csv,
 * notes.csv and the exit code byte for byte, and checks that manifest.json's
 * row accounting adds up. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/args_file.h"
#include "cli/cli.h"
#include "support.h"

#define COHORT_DIR HARM_FIXTURES "/cohort"

enum { MAX_ARGS = 64, NAME_CAP = 96 };

/* One case folder. By value: Criterion runs each case in a fresh process. */
typedef struct cohort_case {
  char name[NAME_CAP];
} cohort_case;

/* Every folder of fixtures/cohort/; the README there works each one out. */
static const cohort_case cases[] = {
    {"referrals_fewer_than_slots_leave_slots_empty"},
    {"referrals_more_than_slots_ordered_by_priority_harm_date_id"},
    {"referral_by_two_agencies_merged_into_one_slot"},
    {"referral_of_excluded_person_not_used"},
    {"referral_of_core_member_shows_agencies"},
    {"tie_at_cut_decided_by_last_offence_date"},
    {"empty_pool_referrals_still_fill_slots"},
    {"partitioned_by_area_size_per_area"},
    {"tenure_keeps_previous_member_and_moves_cut_up"},
    {"tenure_month1_of_three"},
    {"tenure_month2_of_three"},
    {"tenure_month3_of_three"},
    {"tenure_month3_capped_by_max_tenure_places"},
    {"cap_and_sqrt_breakdown_adds_up_to_harm"},
    {"rfgv_tie_at_cut_decided_by_harm"},
    {"movers_new_retained_and_every_exit_reason"},
    {"backfill_fills_empty_referral_slot"},
    {"min_harm_and_min_offences_shrink_pool"},
    {"excluded_person_who_would_qualify_noted"},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

static const char *const out_names[] = {"cohort.csv",  "movers.csv",
                                        "notes.csv",   "manifest.json",
                                        "cohort.xlsx", "rejects.csv"};

/* Reads a whole file; returns NULL (and *len 0) when it does not exist. The
 * buffer is NUL-terminated. */
static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void remove_outputs(const char *dir) {
  char path[512];
  for (size_t i = 0; i < sizeof out_names / sizeof out_names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, out_names[i]);
    remove(path);
  }
  rmdir(dir);
}

/* Compares an output file with the expected one, byte for byte. */
/* The number after `"key":` inside text[0..end), or -1. */
static long json_number(const char *text, const char *end, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char *p = strstr(text, pat);
  if (!p || p >= end) {
    return -1;
  }
  p += strlen(pat);
  while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t')) {
    p++;
  }
  char *stop;
  long v = strtol(p, &stop, 10);
  return stop == p ? -1 : v;
}

/* manifest.json exists and its "rows" object adds up: read equals the sum
 * of the six buckets, and the manifest says "adds_up": true. */
static void expect_manifest_adds_up(const char *name, const char *path) {
  size_t len;
  char *man = test_slurp(path, &len);
  cr_assert_not_null(man, "%s: manifest.json was not written", name);
  const char *rows = strstr(man, "\"rows\"");
  cr_assert_not_null(rows, "%s: manifest.json has no \"rows\" block", name);
  const char *end = strchr(rows, '}');
  cr_assert_not_null(end, "%s: \"rows\" block is not closed", name);
  long read = json_number(rows, end, "read");
  long parts[6];
  static const char *const keys[6] = {"scored",       "outside_window",
                                      "future_dated", "filtered",
                                      "duplicates",   "rejected"};
  long sum = 0;
  for (int k = 0; k < 6; k++) {
    parts[k] = json_number(rows, end, keys[k]);
    cr_expect_geq(parts[k], 0, "%s: rows.%s missing", name, keys[k]);
    sum += parts[k];
  }
  cr_expect_gt(read, 0, "%s: rows.read missing or 0", name);
  cr_expect_eq(read, sum, "%s: rows.read %ld != sum of buckets %ld", name, read,
               sum);
  const char *adds = strstr(rows, "\"adds_up\"");
  cr_expect(adds && adds < end, "%s: rows.adds_up missing", name);
  if (adds && adds < end) {
    adds += strlen("\"adds_up\"");
    while (*adds == ' ' || *adds == ':') {
      adds++;
    }
    cr_expect(strncmp(adds, "true", 4) == 0, "%s: rows.adds_up is not true",
              name);
  }
  free(man);
}

/* Runs fixtures/cohort/<name>: args (one per line, paths relative to the
 * case folder, which is the working directory of the run) plus --out into
 * a temporary folder, --threads 1 and -q, then checks expected/. */
static void run_case(const char *name) {
  char dir[512], path[700];
  snprintf(dir, sizeof dir, "%s/%s", COHORT_DIR, name);
  snprintf(path, sizeof path, "%s/args", dir);
  size_t len;
  char *args = test_slurp(path, &len);
  cr_assert_not_null(args, "missing %s", path);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/harmrank-cohort-XXXXXX");
  test_mkdtemp(tmp);

  char *argv[MAX_ARGS + 1];
  int argc = 0;
  argv[argc++] = "harmrank";
  cr_assert(args_file_split(args, len, argv, &argc, MAX_ARGS, 6),
            "too many args");
  argv[argc++] = "--out";
  argv[argc++] = tmp;
  argv[argc++] = "--threads";
  argv[argc++] = "1";
  argv[argc++] = "-q";
  argv[argc] = NULL;

  /* Criterion runs each case in its own process, so chdir is private. */
  cr_assert_eq(chdir(dir), 0, "chdir %s: %s", dir, strerror(errno));
  int rc = harm_cli_main(argc, argv);

  snprintf(path, sizeof path, "%s/expected/exit", dir);
  char *exit_text = test_slurp(path, &len);
  cr_assert_not_null(exit_text, "missing %s", path);
  int want_rc = atoi(exit_text);
  free(exit_text);
  cr_expect_eq(rc, want_rc, "%s: exit %d, want %d", name, rc, want_rc);

  static const char *const compared[] = {"cohort.csv", "movers.csv",
                                         "notes.csv"};
  char got[128], want[700];
  for (size_t k = 0; k < 3; k++) {
    snprintf(got, sizeof got, "%s/%s", tmp, compared[k]);
    snprintf(want, sizeof want, "%s/expected/%s", dir, compared[k]);
    if (exists(want)) {
      test_expect_same_file(name, got, want);
    } else {
      cr_expect(!exists(got), "%s: %s was created", name, compared[k]);
    }
  }
  if (want_rc == 0) {
    snprintf(got, sizeof got, "%s/manifest.json", tmp);
    expect_manifest_adds_up(name, got);
  }
  remove_outputs(tmp);
  free(args);
}

ParameterizedTestParameters(cohort_golden, case_folder_matches_expected) {
  return cr_make_param_array(cohort_case, (cohort_case *)cases, N_CASES);
}

ParameterizedTest(cohort_case *c, cohort_golden, case_folder_matches_expected) {
  run_case(c->name);
}

/* A folder added to fixtures/cohort/ without an entry above would never
 * run: every folder with an args file must be listed. */
Test(cohort_golden, every_case_folder_is_listed) {
  DIR *d = opendir(COHORT_DIR);
  cr_assert_not_null(d, "opendir %s: %s", COHORT_DIR, strerror(errno));
  size_t folders = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s/args", COHORT_DIR, e->d_name);
    if (e->d_name[0] == '.' || !exists(path)) {
      continue;
    }
    folders++;
    bool listed = false;
    for (size_t k = 0; k < N_CASES; k++) {
      listed = listed || strcmp(cases[k].name, e->d_name) == 0;
    }
    cr_expect(listed, "fixtures/cohort/%s is not in the case list", e->d_name);
  }
  closedir(d);
  cr_expect_eq(folders, (size_t)N_CASES, "%zu case folders, %d listed", folders,
               (int)N_CASES);
}
