/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_oversight.c: the oversight commands on the hand-worked
 * cases in fixtures/oversight/ (the README there works each one out):
 * evaluate (cohort 900 -> 200, near miss 500 -> 400, difference-in-
 * differences -600), verify (untouched, one byte changed, an input
 * missing), history over three months, monitor counts, and transparency. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/cli.h"
#include "support.h"

#define OV HARM_FIXTURES "/oversight"
#define EVAL OV "/evaluate_cohort_falls_more_than_near_miss"
#define HIST OV "/history_three_months"
#define MON OV "/monitor_counts_by_area"

/* Runs harmrank with the NULL-terminated arguments after "harmrank". */
static int run(const char *first, ...) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "harmrank";
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *)) {
    argv[argc++] = (char *)a;
  }
  va_end(ap);
  argv[argc] = NULL;
  fflush(stdout);
  return harm_cli_main(argc, argv);
}

static char tmp[256];

static void make_tmp(void) {
  snprintf(tmp, sizeof tmp, "/tmp/harm-oversight-XXXXXX");
  test_mkdtemp(tmp);
}

static const char *in_tmp(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", tmp, name);
  return buf;
}

static void copy_file(const char *from, const char *to) {
  size_t len;
  char *text = test_slurp(from, &len);
  cr_assert_not_null(text, "cannot read %s", from);
  FILE *fp = fopen(to, "wb");
  cr_assert_not_null(fp);
  cr_assert_eq(fwrite(text, 1, len, fp), len);
  fclose(fp);
  free(text);
}

/* Standard output of the next commands goes to `path`. */
static void capture_stdout(const char *path) {
  fflush(stdout);
  cr_assert_not_null(freopen(path, "w", stdout));
}

Test(oversight,
     evaluate_cohort_900_to_200_near_miss_500_to_400_gives_minus_600) {
  make_tmp();
  char past[512], eval[512], got[600];
  in_tmp(past, sizeof past, "run");
  in_tmp(eval, sizeof eval, "eval");
  cr_assert_eq(run("cohort", "-q", "-c", EVAL "/panel.ini", "--offences",
                   EVAL "/then.csv", "--out", past, NULL),
               0);
  cr_assert_eq(run("evaluate", "-q", "--run", past, "--offences",
                   EVAL "/now.csv", "--seed", "17", "--out", eval, NULL),
               0);
  snprintf(got, sizeof got, "%s/evaluate.csv", eval);
  test_expect_same_file("oversight", got, EVAL "/expected/evaluate.csv");
  snprintf(got, sizeof got, "%s/evaluate_people.csv", eval);
  test_expect_same_file("oversight", got, EVAL "/expected/evaluate_people.csv");
  snprintf(got, sizeof got, "%s/evaluate.xlsx", eval);
  cr_expect_eq(access(got, R_OK), 0);
  snprintf(got, sizeof got, "%s/manifest.json", eval);
  cr_expect_eq(access(got, R_OK), 0);
}

Test(oversight, evaluate_pools_two_runs_and_counts_each_person_month) {
  make_tmp();
  char past[512], eval[512], got[600];
  in_tmp(past, sizeof past, "run");
  in_tmp(eval, sizeof eval, "eval");
  cr_assert_eq(run("cohort", "-q", "-c", EVAL "/panel.ini", "--offences",
                   EVAL "/then.csv", "--out", past, NULL),
               0);
  cr_assert_eq(run("evaluate", "-q", "--run", past, "--run", past, "--offences",
                   EVAL "/now.csv", "--out", eval, NULL),
               0);
  snprintf(got, sizeof got, "%s/evaluate.csv", eval);
  char *text = test_slurp_must(got);
  /* The same month twice: twice the people, the same means. */
  cr_expect_not_null(strstr(text, "cohort,4,900.0000,200.0000,-700.0000"));
  cr_expect_not_null(
      strstr(text, "difference-in-differences,8,400.0000,-200.0000,-600.0000"));
  free(text);
}

Test(oversight, evaluate_refuses_offences_that_end_before_the_after_window) {
  make_tmp();
  char past[512], eval[512];
  in_tmp(past, sizeof past, "run");
  in_tmp(eval, sizeof eval, "eval");
  cr_assert_eq(run("cohort", "-q", "-c", EVAL "/panel.ini", "--offences",
                   EVAL "/then.csv", "--out", past, NULL),
               0);
  cr_expect_eq(run("evaluate", "-q", "--run", past, "--offences",
                   EVAL "/then.csv", "--out", eval, NULL),
               1);
  /* An after window that ends before it starts is a usage error. */
  cr_expect_eq(run("evaluate", "-q", "--run", past, "--offences",
                   EVAL "/then.csv", "--as-of", "2025-06-25", "--out", eval,
                   NULL),
               2); /* not after the run's as_of */
}

Test(oversight, evaluate_option_is_a_usage_error_elsewhere) {
  cr_expect_eq(run("score", "--comparison-ranks", "3-4", NULL), 2);
}

/* A cohort run over a copy of the offences, for verify. */
static void cohort_on_copy(char *offences, size_t cap, char *out, size_t ocap) {
  make_tmp();
  in_tmp(offences, cap, "offences.csv");
  in_tmp(out, ocap, "run");
  copy_file(EVAL "/then.csv", offences);
  cr_assert_eq(run("cohort", "-q", "-c", EVAL "/panel.ini", "--offences",
                   offences, "--out", out, NULL),
               0);
}

Test(oversight, verify_untouched_run_is_identical) {
  char off[512], out[512], man[600], log[600];
  cohort_on_copy(off, sizeof off, out, sizeof out);
  snprintf(man, sizeof man, "%s/manifest.json", out);
  in_tmp(log, sizeof log, "verify.txt");
  capture_stdout(log);
  cr_expect_eq(run("verify", man, NULL), 0);
  fflush(stdout);
  char *text = test_slurp_must(log);
  cr_expect_not_null(
      strstr(text, "output cohort.xlsx         re-run identical"), "%s", text);
  cr_expect_not_null(strstr(text, "\nidentical\n"), "%s", text);
  free(text);
}

Test(oversight, verify_names_a_one_byte_change_in_offences) {
  char off[512], out[512], log[600];
  cohort_on_copy(off, sizeof off, out, sizeof out);
  /* "D450" on the last-but-one line becomes "D451": one byte. */
  size_t len;
  char *text = test_slurp(off, &len);
  char *p = strstr(text, "D450");
  cr_assert_not_null(p);
  p[3] = '1';
  FILE *fp = fopen(off, "wb");
  fwrite(text, 1, len, fp);
  fclose(fp);
  free(text);
  in_tmp(log, sizeof log, "verify.txt");
  capture_stdout(log);
  cr_expect_eq(run("verify", out, NULL), 1);
  fflush(stdout);
  text = test_slurp_must(log);
  cr_expect_not_null(strstr(text, "input  offences"), "%s", text);
  cr_expect_not_null(strstr(text, "offences.csv: CHANGED"), "%s", text);
  cr_expect_not_null(strstr(text, "\ndiffers\n"), "%s", text);
  free(text);
}

Test(oversight, verify_an_edited_output_is_named) {
  char off[512], out[512], log[600], cohort[600];
  cohort_on_copy(off, sizeof off, out, sizeof out);
  snprintf(cohort, sizeof cohort, "%s/cohort.csv", out);
  FILE *fp = fopen(cohort, "ab");
  fputs("3,Z,core rank 3,,,,,,,,,,,,,,,1,,,,,\n", fp);
  fclose(fp);
  in_tmp(log, sizeof log, "verify.txt");
  capture_stdout(log);
  cr_expect_eq(run("verify", out, NULL), 1);
  fflush(stdout);
  char *text = test_slurp_must(log);
  cr_expect_not_null(strstr(text,
                            "output cohort.csv          re-run identical; "
                            "CHANGED in the run's folder"),
                     "%s", text);
  free(text);
}

Test(oversight, verify_missing_input_exits_3) {
  char off[512], out[512], log[600];
  cohort_on_copy(off, sizeof off, out, sizeof out);
  cr_assert_eq(unlink(off), 0);
  in_tmp(log, sizeof log, "verify.txt");
  capture_stdout(log);
  cr_expect_eq(run("verify", out, NULL), 3);
  fflush(stdout);
  char *text = test_slurp_must(log);
  cr_expect_not_null(strstr(text, "offences.csv: MISSING"), "%s", text);
  free(text);
}

Test(oversight, history_over_three_months) {
  make_tmp();
  char m[3][512], prev[600], hist[512], got[600];
  static const char *const as_of[3] = {"2025-01-31", "2025-02-28",
                                       "2025-03-31"};
  for (int k = 0; k < 3; k++) {
    char name[16];
    snprintf(name, sizeof name, "m%d", k + 1);
    in_tmp(m[k], sizeof m[k], name);
    if (k == 0) {
      cr_assert_eq(run("cohort", "-q", "-c", HIST "/panel.ini", "--offences",
                       HIST "/offences.csv", "--as-of", as_of[k], "--out", m[k],
                       NULL),
                   0);
    } else {
      snprintf(prev, sizeof prev, "%s/cohort.csv", m[k - 1]);
      cr_assert_eq(run("cohort", "-q", "-c", HIST "/panel.ini", "--offences",
                       HIST "/offences.csv", "--as-of", as_of[k], "--previous",
                       prev, "--out", m[k], NULL),
                   0);
    }
  }
  in_tmp(hist, sizeof hist, "hist");
  /* Any order on the command line: the runs are put in as_of order. */
  cr_assert_eq(run("history", "-q", m[2], m[0], m[1], "--out", hist, NULL), 0);
  snprintf(got, sizeof got, "%s/history.csv", hist);
  test_expect_same_file("oversight", got, HIST "/expected/history.csv");
  snprintf(got, sizeof got, "%s/history.xlsx", hist);
  cr_expect_eq(access(got, R_OK), 0);
  /* One person only. */
  cr_assert_eq(
      run("history", "-q", m[0], m[1], m[2], "P3", "--out", hist, NULL), 0);
  snprintf(got, sizeof got, "%s/history.csv", hist);
  char *text = test_slurp_must(got);
  cr_expect_str_eq(text, "person,as_of,status,route,rank,harm,months_served\n"
                         "P3,2025-01-31,not listed,,,,0\n"
                         "P3,2025-02-28,new,core,1,800.0000,1\n"
                         "P3,2025-03-31,retained,core,2,450.0000,2\n");
  free(text);
}

Test(oversight, monitor_counts_by_group_with_katz_intervals) {
  make_tmp();
  char past[512], mon[512], got[600];
  in_tmp(past, sizeof past, "run");
  in_tmp(mon, sizeof mon, "mon");
  cr_assert_eq(run("cohort", "-q", "-c", MON "/panel.ini", "--offences",
                   MON "/offences.csv", "--out", past, NULL),
               0);
  cr_assert_eq(run("monitor", "-q", "--run", past, "--groups",
                   MON "/groups.csv", "--by", "area", "--reference",
                   MON "/reference.csv", "--out", mon, NULL),
               0);
  snprintf(got, sizeof got, "%s/monitor.csv", mon);
  test_expect_same_file("oversight", got, MON "/expected/monitor.csv");
  /* A column the groups file lacks is a data error naming it. */
  cr_expect_eq(run("monitor", "-q", "--run", past, "--groups",
                   MON "/groups.csv", "--by", "ethnicity", "--out", mon, NULL),
               1);
}

Test(oversight, groups_file_never_reaches_scoring) {
  make_tmp();
  char a[512], b[512], past[512], mon[512], log[600];
  in_tmp(a, sizeof a, "scores-before.csv");
  in_tmp(b, sizeof b, "scores-after.csv");
  in_tmp(past, sizeof past, "run");
  in_tmp(mon, sizeof mon, "mon");
  /* Scoring has no way to take it ... */
  cr_expect_eq(run("score", "--groups", MON "/groups.csv", "--offences",
                   MON "/offences.csv", NULL),
               2);
  cr_expect_eq(run("cohort", "-q", "-c", MON "/panel.ini", "--offences",
                   MON "/offences.csv", "--groups", MON "/groups.csv", "--out",
                   past, NULL),
               2);
  /* ... and the scores are identical with and without monitoring. */
  cr_assert_eq(run("score", "-q", "-c", MON "/panel.ini", "--offences",
                   MON "/offences.csv", "-o", a, NULL),
               0);
  cr_assert_eq(run("cohort", "-q", "-c", MON "/panel.ini", "--offences",
                   MON "/offences.csv", "--out", past, NULL),
               0);
  cr_assert_eq(run("monitor", "-q", "--run", past, "--groups",
                   MON "/groups.csv", "--by", "age_band", "--out", mon, NULL),
               0);
  cr_assert_eq(run("score", "-q", "-c", MON "/panel.ini", "--offences",
                   MON "/offences.csv", "-o", b, NULL),
               0);
  test_expect_same_file("verify --out", b, a);
  in_tmp(log, sizeof log, "verify.txt");
  capture_stdout(log);
  cr_expect_eq(run("verify", past, NULL), 0);
}

Test(oversight, transparency_record_from_config_and_weights) {
  make_tmp();
  char out[512], md[600], js[600];
  in_tmp(out, sizeof out, "atrs");
  cr_assert_eq(
      run("transparency", "-q", "-c", EVAL "/panel.ini", "--out", out, NULL),
      0);
  snprintf(md, sizeof md, "%s/transparency.md", out);
  snprintf(js, sizeof js, "%s/transparency.json", out);
  char *text = test_slurp_must(md);
  cr_expect_not_null(strstr(text, "# Algorithmic transparency record: "
                                  "Fixture panel"));
  cr_expect_not_null(strstr(text, "9 offence codes, of which 9 are "
                                  "estimates"),
                     "%s", text);
  cr_expect_not_null(strstr(text, "- **Contact email:** *To be completed by "
                                  "the force.*"));
  cr_expect_not_null(strstr(text, "2 core places, 0 referral places"));
  free(text);
  text = test_slurp_must(js);
  cr_expect_not_null(strstr(text, "\"contact_email\": \"\""));
  cr_expect_not_null(strstr(text, "\"tier_1.contact_email\""));
  free(text);
}
