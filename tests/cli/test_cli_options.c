/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_options.c: every command has its own options (an
 * option of another command is a usage error naming the command it
 * belongs to), its --help lists only its own, and every option can be set
 * from a configuration file instead. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "support.h"
#include <harmrank.h>

static char dir[256];

static void put(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Five offenders: A 365, B 34.5, C 17.25, D 2.385, E 2.385. */
static void scenario(void) {
  snprintf(dir, sizeof dir, "/tmp/harm-options-XXXXXX");
  test_mkdtemp(dir);
  cr_assert_eq(chdir(dir), 0);
  put("offences.csv", "offence_id,offender_id,offence_code,offence_date\n"
                      "C1,A,034/01,2026-10-01\nC2,B,120/00,2026-09-01\n"
                      "C3,C,008/06,2026-08-01\nC4,D,028/01,2026-07-01\n"
                      "C5,E,028/01,2026-06-01\n");
  put("weights.csv", "offence_code,description,harm,category,proactive,"
                     "source\n"
                     "008/06,assault,17.25,violence,0,estimate: t\n"
                     "028/01,burglary,2.385,property,0,estimate: t\n"
                     "034/01,robbery,365,violence,0,anchor: t\n"
                     "120/00,stalking,34.5,violence,0,estimate: t\n");
}

/* Runs harmrank with argv (NULL-terminated), stdout to `out` in dir. */
static int run(const char *out, char **argv) {
  int argc = 0;
  while (argv[argc]) {
    argc++;
  }
  fflush(stdout);
  int saved = dup(1);
  FILE *f = freopen(out, "w", stdout);
  cr_assert_not_null(f);
  int rc = harm_cli_main(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  return rc;
}

static void quiet(void) {
  FILE *f = freopen("/dev/null", "w", stderr);
  (void)f;
}

Test(options, option_of_another_command_is_a_usage_error, .init = quiet) {
  scenario();
  char *a[] = {"harmrank",     "score",     "--offences",
               "offences.csv", "--weights", "weights.csv",
               "--perturb",    "0.5",       NULL};
  cr_expect_eq(run("o1", a), 2);
  char *b[] = {"harmrank",     "score",      "--offences",
               "offences.csv", "--weights",  "weights.csv",
               "--referrals",  "nosuch.csv", NULL};
  cr_expect_eq(run("o2", b), 2);
  char *c[] = {"harmrank",  "cohort",      "--offences", "offences.csv",
               "--weights", "weights.csv", "--top-k",    "3",
               "--out",     "x",           NULL};
  cr_expect_eq(run("o3", c), 2);
  cr_expect_eq(access("x", F_OK), -1, "nothing written for a usage error");
}

Test(options, help_lists_only_the_commands_own_options, .init = quiet) {
  scenario();
  char *a[] = {"harmrank", "score", "--help", NULL};
  cr_assert_eq(run("help", a), 0);
  char *text = test_slurp_must("help");
  cr_expect_null(strstr(text, "--referrals"));
  cr_expect_null(strstr(text, "--perturb"));
  cr_expect_null(strstr(text, "--out "));
  cr_expect_not_null(strstr(text, "--top N"));
  cr_expect_not_null(strstr(text, "(default 365)")); /* lookback_days */
  cr_expect_null(strstr(text, "Output:\n\n"), "an empty heading");
  free(text);
  char *b[] = {"harmrank", "sweep", "--help", NULL};
  cr_assert_eq(run("help2", b), 0);
  text = test_slurp_must("help2");
  cr_expect_not_null(strstr(text, "--perturb P"));
  cr_expect_not_null(strstr(text, "(default 0.2)"));
  cr_expect_not_null(strstr(text, "(default 1000)"));
  cr_expect_null(strstr(text, "--referrals"));
  free(text);
}

/* The same run from flags and from an INI file gives the same scores:
 * --top 2 and --lookback-days 100 (window after 2026-06-23, so E's
 * 2026-06-01 burglary falls out) leave A then B. */
Test(options, every_option_can_be_set_in_a_config_file, .init = quiet) {
  scenario();
  put("run.ini", "[input]\noffences = offences.csv\n"
                 "[weights]\nfile = weights.csv\n"
                 "[scoring]\nlookback_days = 100\n"
                 "[output]\ntop = 2\nfile = from-ini.csv\n"
                 "rejects = rejects-ini.csv\nquiet = true\n");
  char *a[] = {"harmrank", "score", "-c", "run.ini", NULL};
  cr_assert_eq(run("o1", a), 0);
  char *b[] = {"harmrank",
               "score",
               "--offences",
               "offences.csv",
               "--weights",
               "weights.csv",
               "--lookback-days",
               "100",
               "--top",
               "2",
               "-o",
               "from-flags.csv",
               "--rejects",
               "rejects-flags.csv",
               "-q",
               NULL};
  cr_assert_eq(run("o2", b), 0);
  char *x = test_slurp_must("from-ini.csv");
  char *y = test_slurp_must("from-flags.csv");
  cr_expect_str_eq(x, y);
  cr_expect_str_eq(x, "rank,offender_id,harm,offences,victims,first_offence,"
                      "last_offence,max_offence_harm,top_code\n"
                      "1,A,365.0000,1,0,2026-10-01,2026-10-01,365.0000,"
                      "034/01\n"
                      "2,B,34.5000,1,0,2026-09-01,2026-09-01,34.5000,"
                      "120/00\n");
  free(x);
  free(y);
}

/* [sweep] keys: draws and seed from the INI file reach the sweep; a bad
 * value there is the same usage error as on the command line. */
Test(options, sweep_settings_come_from_the_config, .init = quiet) {
  scenario();
  put("sweep.ini", "[weights]\nfile = weights.csv\n"
                   "[cohort]\nsize = 2\n"
                   "[sweep]\nperturb = 0.1\ndraws = 7\nseed = 3\n");
  char *a[] = {"harmrank",     "sweep", "-c",        "sweep.ini", "--offences",
               "offences.csv", "-q",    "--rejects", "rj.csv",    NULL};
  cr_assert_eq(run("sw", a), 0);
  char *text = test_slurp_must("sw");
  cr_expect_not_null(strstr(text, "sweep: 7 draws, weights x U[0.9, 1.1], "
                                  "seed 3, core = top 2"),
                     "%s", text);
  free(text);
  put("bad.ini", "[sweep]\ndraws = 0\n");
  char *b[] = {"harmrank",   "sweep",        "-c",
               "bad.ini",    "--weights",    "weights.csv",
               "--offences", "offences.csv", NULL};
  cr_expect_eq(run("sw2", b), 2);
}

/* compare takes a list of weights tables from [compare] weights: blanks
 * around the commas are dropped, and a 17th table is a usage error. */
Test(options, compare_weights_list_is_split_and_capped_at_16, .init = quiet) {
  scenario();
  char list[2048] = "compare.weights=weights.csv ,  weights.csv";
  char *a[] = {"harmrank", "compare", "--offences", "offences.csv",
               "--set",    list,      "--set",      "compare.top_k=2",
               "-q",       NULL};
  cr_expect_eq(run("two.txt", a), 0, "two tables rejected");
  char *got = test_slurp_must("two.txt");
  /* The same table twice: A 365 and B 34.5 top both lists. */
  cr_expect_not_null(strstr(got, "A = weights.csv\nB = weights.csv\n"),
                     "not two tables:\n%s", got);
  cr_expect_not_null(strstr(got, "top 2: 2 in both"), "%s", got);
  free(got);
  snprintf(list, sizeof list, "compare.weights=weights.csv");
  for (int k = 1; k < 17; k++) {
    strcat(list, ",weights.csv");
  }
  cr_expect_eq(run("many.txt", a), 2, "17 tables accepted");
}
