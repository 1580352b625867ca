/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_privacy.c: privacy properties of the outputs:
 * owner-only permissions by default, and with --pseudonymise no offender id
 * from the input (nor the key) appears in any file written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include <harmrank.h>
#include "support.h"

static char dir[256];
static const char key_text[] = "KEYBYTES-0123456789abcdefghijklm";

static void put(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void scenario(void) {
  snprintf(dir, sizeof dir, "/tmp/harm-privacy-XXXXXX");
  test_mkdtemp(dir);
  put("offences.csv", "offence_id,offender_id,offence_code,offence_date,"
                      "victim_id,domestic\n"
                      "C1,SMITHJ71,34B,2026-10-01,VIC-ONE,Y\n"
                      "C2,JONESA80,8N,2026-09-12,VIC-TWO,Y\n"
                      "C3,SMITHJ71,8N,2026-13-01,VIC-ONE,Y\n");
  put("weights.csv", "offence_code,description,harm,category,proactive,"
                     "source\n"
                     "34B,Robbery,365,Robbery,0,anchor: t\n"
                     "8N,Assault with injury,10,Violence,0,estimate: t\n");
  put("referrals.csv", "offender_id,agency,referred_on,reason\n"
                       "BROWNK66,Probation,2026-10-02,licence\n");
  put("exclusions.csv", "offender_id,reason\nJONESA80,in custody\n");
  put("key", key_text); /* 32 bytes, text so the test can look for them */
}

static int run(const char *out, bool pseudo) {
  char off[300], w[300], ref[300], exc[300], key[300], o[300];
  snprintf(off, sizeof off, "%s/offences.csv", dir);
  snprintf(w, sizeof w, "%s/weights.csv", dir);
  snprintf(ref, sizeof ref, "%s/referrals.csv", dir);
  snprintf(exc, sizeof exc, "%s/exclusions.csv", dir);
  snprintf(key, sizeof key, "%s/key", dir);
  snprintf(o, sizeof o, "%s/%s", dir, out);
  char *argv[] = {"harmrank",
                  "cohort",
                  "--offences",
                  off,
                  "--weights",
                  w,
                  "--referrals",
                  ref,
                  "--exclusions",
                  exc,
                  "--out",
                  o,
                  "--quiet",
                  pseudo ? "--pseudonymise" : "--threads",
                  pseudo ? key : "1",
                  NULL};
  return harm_cli_main((int)(sizeof argv / sizeof *argv) - 1, argv);
}

static void quiet(void) {
  FILE *f = freopen("/dev/null", "w", stderr);
  (void)f;
}

Test(privacy, outputs_are_owner_only_by_default, .init = quiet) {
  scenario();
  cr_assert_eq(run("plain", false), 0);
  static const char *const names[] = {"cohort.csv",  "movers.csv",
                                      "notes.csv",   "manifest.json",
                                      "cohort.xlsx", "rejects.csv"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    char path[600];
    snprintf(path, sizeof path, "%s/plain/%s", dir, names[k]);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", names[k]);
    cr_assert_eq(sb.st_mode & 0777, 0600, "%s has mode %o", names[k],
                 (unsigned)(sb.st_mode & 0777));
  }
}

Test(privacy, pseudonymised_outputs_hold_no_input_id_and_no_key,
     .init = quiet) {
  scenario();
  cr_assert_eq(run("pseudo", true), 0);
  static const char *const names[] = {"cohort.csv", "movers.csv", "notes.csv",
                                      "manifest.json", "rejects.csv"};
  static const char *const secrets[] = {"SMITHJ71", "JONESA80", "BROWNK66",
                                        "VIC-ONE", "KEYBYTES"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    char path[600];
    snprintf(path, sizeof path, "%s/pseudo/%s", dir, names[k]);
    char *text = test_slurp_must(path);
    for (size_t j = 0; j < sizeof secrets / sizeof *secrets; j++) {
      cr_assert_null(strstr(text, secrets[j]), "%s contains %s", names[k],
                     secrets[j]);
    }
    free(text);
  }
  char path[600];
  snprintf(path, sizeof path, "%s/pseudo/cohort.csv", dir);
  char *cohort = test_slurp_must(path);
  /* SMITHJ71 (core) and BROWNK66 (referral without offences) are on the
   * list under their pseudonyms; the excluded JONESA80 is not. */
  const unsigned char *key = (const unsigned char *)key_text;
  char ps[HARM_PSEUDONYM_LEN + 1];
  cr_assert_eq(harm_pseudonym(key, 32, "SMITHJ71", 8, ps), HARM_OK);
  cr_assert_not_null(strstr(cohort, ps));
  cr_assert_eq(harm_pseudonym(key, 32, "BROWNK66", 8, ps), HARM_OK);
  cr_assert_not_null(strstr(cohort, ps));
  cr_assert_eq(harm_pseudonym(key, 32, "JONESA80", 8, ps), HARM_OK);
  cr_assert_null(strstr(cohort, ps));
  free(cohort);
  snprintf(path, sizeof path, "%s/pseudo/manifest.json", dir);
  char *man = test_slurp_must(path);
  cr_assert_not_null(strstr(man, "\"pseudonymised\": true"));
  free(man);
}

/* Referral and exclusion reasons are free text that can identify people
 * ("child protection plan for two children in the household"): a
 * pseudonymised run withholds them from every list it writes, while a
 * plain run keeps them for the panel. */
Test(privacy, pseudonymised_run_withholds_referral_and_exclusion_reasons,
     .init = quiet) {
  scenario();
  put("referrals.csv", "offender_id,agency,referred_on,reason\n"
                       "BROWNK66,Probation,2026-10-02,Child protection plan "
                       "for two children\n"
                       "JONESA80,Probation,2026-10-03,Neighbour reports\n");
  put("exclusions.csv",
      "offender_id,reason\nJONESA80,remanded at HMP Example\n");
  static const char *const texts[] = {"Child protection", "Neighbour reports",
                                      "HMP Example"};
  static const char *const names[] = {"cohort.csv", "movers.csv", "notes.csv",
                                      "manifest.json"};
  for (int pseudo = 0; pseudo <= 1; pseudo++) {
    const char *out = pseudo ? "pseudo" : "plain";
    cr_assert_eq(run(out, pseudo), 0);
    size_t seen[3] = {0, 0, 0};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
      char path[600];
      snprintf(path, sizeof path, "%s/%s/%s", dir, out, names[k]);
      char *text = test_slurp_must(path);
      for (size_t j = 0; j < 3; j++) {
        seen[j] += strstr(text, texts[j]) != NULL;
      }
      free(text);
    }
    for (size_t j = 0; j < 3; j++) {
      if (pseudo) {
        cr_assert_eq(seen[j], 0, "pseudonymised output holds \"%s\"", texts[j]);
      } else if (j != 1) {
        /* BROWNK66's reason is on cohort.csv and JONESA80's exclusion
         * reason in notes.csv (the note on an excluded referral gives the
         * exclusion reason, not the referral's). */
        cr_assert_gt(seen[j], 0, "plain output lacks \"%s\"", texts[j]);
      }
    }
  }
}
