/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_explain.c: `explain` for people the window does not
 * hold: an id that is in no row, and a person whose rows were all left
 * out, each row listed with what left it out; and a pseudonym given to a
 * pseudonymised explain is recognised, not hashed again. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "support.h"
#include <harmrank.h>

static void put(const char *name, const char *text) {
  FILE *fp = fopen(name, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static char *run(char **argv) {
  int argc = 0;
  while (argv[argc]) {
    argc++;
  }
  fflush(stdout);
  int saved = dup(1);
  cr_assert_not_null(freopen("out.txt", "w", stdout));
  int rc = harm_cli_main(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  cr_assert_eq(rc, 0);
  return test_slurp_must("out.txt");
}

static void scenario(void) {
  char dir[] = "/tmp/harm-explain-XXXXXX";
  test_mkdtemp(dir);
  cr_assert_eq(chdir(dir), 0);
  FILE *f = freopen("/dev/null", "w", stderr);
  (void)f;
  /* as_of 2026-10-31, 90 days: the window is 2026-08-03 .. 2026-10-31.
   * X: C1 on 2026-05-01 is before it; C2 (2026-09-10) and C3 (2026-10-01)
   * are in it but not domestic, so the domestic filter removes them; C4
   * on 2026-11-05 is after as_of. Y has one domestic offence in it. */
  put("offences.csv", "offence_id,offender_id,offence_code,offence_date,"
                      "domestic\n"
                      "C1,X,8N,2026-05-01,Y\nC2,X,8N,2026-09-10,N\n"
                      "C3,X,34B,2026-10-01,N\nC4,X,8N,2026-11-05,Y\n"
                      "C5,Y,8N,2026-09-01,Y\n");
  put("weights.csv", "offence_code,description,harm,category,proactive,"
                     "source\n8N,assault,10,violence,0,estimate: t\n"
                     "34B,robbery,365,robbery,0,anchor: t\n");
  put("panel.ini", "[scoring]\nas_of = 2026-10-31\nlookback_days = 90\n"
                   "[filter]\ndomestic = yes\n");
}

Test(explain, an_id_in_no_row_is_said_to_be_absent) {
  scenario();
  char *argv[] = {
      "harmrank",     "explain",   "-c",          "panel.ini", "--offences",
      "offences.csv", "--weights", "weights.csv", "NOBODY",    NULL};
  char *out = run(argv);
  cr_expect_not_null(strstr(out, "NOBODY\n  not in offences.csv: no row has "
                                 "this offender id"),
                     "%s", out);
  free(out);
}

Test(explain, rows_left_out_are_listed_with_the_reason) {
  scenario();
  char *argv[] = {
      "harmrank",     "explain",   "-c",          "panel.ini", "--offences",
      "offences.csv", "--weights", "weights.csv", "X",         NULL};
  char *out = run(argv);
  cr_expect_not_null(strstr(out, "Its 4 rows in the file:"), "%s", out);
  cr_expect_not_null(strstr(out, "2026-05-01 C1"), "%s", out);
  cr_expect_not_null(strstr(out, "8N       before the window\n"), "%s", out);
  cr_expect_not_null(strstr(out, "2026-09-10 C2                 8N       "
                                 "filtered out by the filter on domestic"),
                     "%s", out);
  cr_expect_not_null(strstr(out, "2026-10-01 C3                 34B      "
                                 "filtered out by the filter on domestic"),
                     "%s", out);
  cr_expect_not_null(strstr(out, "2026-11-05 C4                 8N       "
                                 "after as_of"),
                     "%s", out);
  free(out);
}

Test(explain, a_pseudonym_is_not_hashed_again) {
  scenario();
  put("key", "0123456789abcdef0123456789abcdef");
  char ps[HARM_PSEUDONYM_LEN + 1];
  cr_assert_eq(
      harm_pseudonym((const unsigned char *)"0123456789abcdef0123456789abcdef",
                     32, "Y", 1, ps),
      HARM_OK);
  /* By the raw id and by its pseudonym: the same person, rank 1. */
  char *a[] = {"harmrank",       "explain",      "-c",        "panel.ini",
               "--offences",     "offences.csv", "--weights", "weights.csv",
               "--pseudonymise", "key",          "Y",         NULL};
  char *by_id = run(a);
  char *b[] = {"harmrank",       "explain",      "-c",        "panel.ini",
               "--offences",     "offences.csv", "--weights", "weights.csv",
               "--pseudonymise", "key",          ps,          NULL};
  char *by_ps = run(b);
  cr_expect_not_null(strstr(by_id, "rank 1 of 1; harm 10.0000"), "%s", by_id);
  cr_expect_str_eq(by_id, by_ps);
  free(by_id);
  free(by_ps);
}
