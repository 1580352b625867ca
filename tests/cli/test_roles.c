/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_roles.c: offender, victim or both (issue 13). Runs
 * `harmrank score` and `harmrank cohort` in-process on the hand-worked
 * cases of fixtures/roles/ (fixtures/roles/README.md has the arithmetic)
 * and compares scores.csv, or cohort.csv and notes.csv, byte for byte;
 * then checks the people file's errors, ages, pseudonymised victims and
 * that explain's offence lines add up to harm_caused and harm_suffered. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

#define ROLES_DIR HARM_FIXTURES "/roles"

enum { MAX_ARGS = 64, NAME_CAP = 96 };

typedef struct roles_case {
  char name[NAME_CAP];
} roles_case;

static const roles_case cases[] = {
    {"each_role_caused_suffered_balance"},
    {"rank_by_caused"},
    {"rank_by_suffered"},
    {"roles_victim_only"},
    {"both_one_crime_and_several_victims"},
    {"merges_and_age_limits"},
    {"people_file_dates_of_birth_conflict"},
    {"people_file_same_as_cycle"},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

/* Runs fixtures/roles/<name>/args from the case folder: score writes
 * scores.csv, cohort its output set, into a temporary folder. */
static void run_case(const char *name) {
  char dir[512], path[700];
  snprintf(dir, sizeof dir, "%s/%s", ROLES_DIR, name);
  snprintf(path, sizeof path, "%s/args", dir);
  size_t len;
  char *args = test_slurp(path, &len);
  cr_assert_not_null(args, "missing %s", path);
  char tmp[64] = "/tmp/harmrank-roles-XXXXXX";
  test_mkdtemp(tmp);
  char *argv[MAX_ARGS + 1];
  int argc = 0;
  argv[argc++] = "harmrank";
  cr_assert(args_file_split(args, len, argv, &argc, MAX_ARGS, 6));
  bool score = strcmp(argv[1], "score") == 0;
  char out[128];
  snprintf(out, sizeof out, "%s/scores.csv", tmp);
  argv[argc++] = score ? "-o" : "--out";
  argv[argc++] = score ? out : tmp;
  argv[argc++] = "--threads";
  argv[argc++] = "1";
  argv[argc++] = "-q";
  argv[argc] = NULL;
  cr_assert_eq(chdir(dir), 0);
  int rc = harm_cli_main(argc, argv);
  snprintf(path, sizeof path, "%s/expected/exit", dir);
  char *exit_text = test_slurp_must(path);
  cr_expect_eq(rc, atoi(exit_text), "%s: exit %d", name, rc);
  free(exit_text);
  static const char *const files[] = {"scores.csv", "cohort.csv", "notes.csv"};
  for (size_t k = 0; k < 3; k++) {
    char want[700], got[128];
    snprintf(want, sizeof want, "%s/expected/%s", dir, files[k]);
    snprintf(got, sizeof got, "%s/%s", tmp, files[k]);
    struct stat st;
    if (stat(want, &st) == 0) {
      test_expect_same_file(name, got, want);
    }
  }
  free(args);
}

ParameterizedTestParameters(roles, golden) {
  return cr_make_param_array(roles_case, cases, N_CASES);
}

ParameterizedTest(roles_case *c, roles, golden) { run_case(c->name); }

/* ---- The people file -------------------------------------------------- */

static harm_status load(const char *text, harm_people_register **g,
                        harm_error *err) {
  return harm_people_register_load_buffer("people.csv", text, strlen(text),
                                          NULL, 0, g, err);
}

Test(roles, same_as_chains_end_at_their_master) {
  harm_people_register *g = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load("person_id,date_of_birth,same_as\n"
                    "C,,B\nB,,A\nA,2009-02-14,\nD,,\n",
                    &g, &err),
               HARM_OK);
  cr_expect_str_eq(harm_people_register_master(g, "C"), "A");
  cr_expect_str_eq(harm_people_register_master(g, "B"), "A");
  cr_expect_str_eq(harm_people_register_master(g, "D"), "D");
  cr_expect_str_eq(harm_people_register_master(g, "nobody"), "nobody");
  cr_expect_eq(harm_people_register_count(g), 4);
  cr_expect_eq(harm_people_register_merged(g), 2);
  harm_people_register_free(g);
}

Test(roles, two_dates_of_birth_for_one_merged_person_name_the_line) {
  harm_people_register *g = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load("person_id,date_of_birth,same_as\n"
                    "A,2009-02-14,\nB,,A\nC,2009-02-15,B\n",
                    &g, &err),
               HARM_ERR_DATA);
  cr_expect_null(g);
  cr_expect_eq(err.record, 4);
  cr_expect_str_eq(err.column, "date_of_birth");
}

Test(roles, a_same_as_cycle_is_a_data_error) {
  harm_people_register *g = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(
      load("person_id,date_of_birth,same_as\nA,,B\nB,,C\nC,,A\n", &g, &err),
      HARM_ERR_DATA);
  cr_expect_str_eq(err.column, "same_as");
  cr_expect_eq(err.record, 2);
  cr_assert_eq(load("person_id,date_of_birth,same_as\nA,,A\n", &g, &err),
               HARM_ERR_DATA);
  cr_expect_eq(err.record, 2);
}

Test(roles, a_person_twice_or_a_bad_date_is_a_data_error) {
  harm_people_register *g = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(
      load("person_id,date_of_birth\nA,2001-01-01\nA,2001-01-01\n", &g, &err),
      HARM_ERR_DATA);
  cr_expect_eq(err.record, 3);
  cr_expect_str_eq(err.column, "person_id");
  cr_assert_eq(load("person_id,date_of_birth\nA,31/02/2001\n", &g, &err),
               HARM_ERR_DATA);
  cr_expect_str_eq(err.column, "date_of_birth");
  cr_assert_eq(load("person_id,same_as\nA,\n", &g, &err), HARM_ERR_DATA);
  cr_expect_str_eq(err.column, "date_of_birth");
}

static harm_date d(const char *s) {
  harm_date out;
  cr_assert(harm_date_parse(s, strlen(s), HARM_DATE_YMD, &out));
  return out;
}

Test(roles, age_counts_whole_years_and_the_birthday_itself) {
  cr_expect_eq(harm_people_age(d("2010-06-30"), d("2026-06-30")), 16);
  cr_expect_eq(harm_people_age(d("2010-07-01"), d("2026-06-30")), 15);
  cr_expect_eq(harm_people_age(d("2008-02-29"), d("2026-02-28")), 17);
  cr_expect_eq(harm_people_age(d("2008-02-29"), d("2026-03-01")), 18);
  cr_expect_eq(harm_people_age(HARM_DATE_NONE, d("2026-03-01")), -1);
  cr_expect_eq(harm_people_age(d("2027-01-01"), d("2026-03-01")), -1);
  harm_cohort_rules r = HARM_COHORT_RULES_INIT;
  cr_expect(harm_cohort_age_ok(&r, -1));
  r.min_age = 10;
  r.max_age = 24;
  cr_expect(harm_cohort_age_ok(&r, 10));
  cr_expect(harm_cohort_age_ok(&r, 24));
  cr_expect_not(harm_cohort_age_ok(&r, 25));
  cr_expect_not(harm_cohort_age_ok(&r, 9));
  cr_expect_not(harm_cohort_age_ok(&r, -1));
}

Test(roles, an_age_limit_without_a_people_file_is_a_config_error) {
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "cohort", "max_age", "24", &err), HARM_OK);
  cr_expect_eq(harm_config_validate(cfg, &err), HARM_ERR_CONFIG);
  cr_expect_str_eq(err.column, "max_age");
  cr_assert_eq(harm_config_set(cfg, "people", "file", "p.csv", &err), HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "cohort", "min_age", "25", &err), HARM_OK);
  cr_expect_eq(harm_config_validate(cfg, &err), HARM_ERR_CONFIG);
  cr_expect_str_eq(err.column, "min_age");
  cr_assert_eq(harm_config_set(cfg, "cohort", "min_age", "10", &err), HARM_OK);
  cr_expect_eq(harm_config_validate(cfg, &err), HARM_OK);
  cr_expect_eq(harm_config_set(cfg, "scoring", "roles", "bystander", &err),
               HARM_ERR_CONFIG);
  cr_assert_eq(harm_config_set(cfg, "scoring", "roles", "victim", &err),
               HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "scoring", "rank_by", "caused", &err),
               HARM_OK);
  cr_expect_eq(harm_config_validate(cfg, &err), HARM_ERR_CONFIG);
  cr_expect_str_eq(err.column, "rank_by");
  cr_expect_eq(harm_config_set(cfg, "people", "balance_ratio", "1", &err),
               HARM_ERR_CONFIG);
  harm_config_free(cfg);
}

/* ---- Runs through the library ---------------------------------------- */

static harm_run *run_both(const char *rank_by, const unsigned char *key) {
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  harm_config_set(cfg, "scoring", "roles", "both", &err);
  harm_config_set(cfg, "scoring", "as_of", "2026-06-30", &err);
  harm_config_set(cfg, "scoring", "lookback_days", "730", &err);
  harm_config_set(cfg, "scoring", "rank_by", rank_by, &err);
  harm_config_set(cfg, "weights", "file", ROLES_DIR "/weights.csv", &err);
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = ROLES_DIR "/each_role_caused_suffered_balance/offences.csv";
  ro.keep_offence_ids = true;
  ro.pseudonym_key = key;
  ro.pseudonym_key_len = key ? 32 : 0;
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s", err.message);
  harm_config_free(cfg);
  return r;
}

/* Explain's scored lines, role by role, add up to the person's harm
 * caused and harm suffered, and the ranked combined harm is their sum. */
Test(roles, explain_lines_add_up_to_caused_and_suffered) {
  harm_run *r = run_both("combined", NULL);
  const harm_people *p = harm_run_people(r);
  cr_assert_not_null(p);
  cr_assert_eq(harm_people_count(p), 7);
  harm_score_opts so = harm_run_score_opts(r);
  const harm_scores *role_scores[2] = {harm_run_scores(r, 0),
                                       harm_run_victim_scores(r)};
  for (size_t i = 0; i < harm_people_count(p); i++) {
    const harm_person *ps = harm_people_at(p, i);
    int64_t sum[2] = {0, 0};
    for (int role = 0; role < 2; role++) {
      size_t n_rec;
      const size_t *rec = harm_people_records(p, i, role, &n_rec);
      for (size_t k = 0; k < n_rec; k++) {
        harm_offence_line *lines;
        size_t n;
        cr_assert_eq(harm_explain_subject(role_scores[role],
                                          harm_run_weights(r, 0), &so, rec[k],
                                          &lines, &n, NULL),
                     HARM_OK);
        for (size_t l = 0; l < n; l++) {
          sum[role] += lines[l].harm_units;
        }
        harm_offence_lines_free(lines);
      }
    }
    cr_expect_eq(sum[0], ps->caused_units, "%s caused", ps->person_id);
    cr_expect_eq(sum[1], ps->suffered_units, "%s suffered", ps->person_id);
    const harm_score *sc = NULL;
    for (size_t k = 0; k < harm_scores_count(harm_people_scores(p)); k++) {
      if (harm_scores_at(harm_people_scores(p), k)->subject == i) {
        sc = harm_scores_at(harm_people_scores(p), k);
      }
    }
    cr_assert_not_null(sc);
    cr_expect_eq(sc->harm_units, sum[0] + sum[1], "%s combined", ps->person_id);
  }
  harm_run_free(r);
}

/* A victim who has never offended can be selected: the pool counts both
 * roles whatever the ranking orders by. */
Test(roles, a_victim_only_person_is_eligible_under_rank_by_caused) {
  harm_run *r = run_both("caused", NULL);
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  rules.size = 7;
  rules.referral_slots = 0;
  rules.min_harm = 100;
  const harm_cohort *c = NULL;
  cr_assert_eq(harm_run_select(r, &rules, NULL, NULL, NULL, &c, NULL), HARM_OK);
  /* Combined harm >= 100: A1 547.5, B1 382.25, F1 365, G1 365, D1 365,
   * C1 199.75 (E1 17.25 is out), listed in rank_by = caused order. */
  static const char *const want[] = {"F1", "A1", "D1", "C1", "B1", "G1"};
  cr_assert_eq(harm_cohort_count(c), 6);
  for (size_t i = 0; i < 6; i++) {
    cr_expect_str_eq(harm_cohort_member(c, i)->offender_id, want[i]);
  }
  harm_run_free(r);
}

/* Pseudonymised, every person id is a pseudonym, victims included. */
Test(roles, pseudonymise_covers_victims) {
  static const unsigned char key[] = "KEYBYTES-0123456789abcdefghijklm";
  harm_run *r = run_both("combined", key);
  const harm_people *p = harm_run_people(r);
  cr_assert_eq(harm_people_count(p), 7);
  for (size_t i = 0; i < harm_people_count(p); i++) {
    cr_expect(harm_pseudonym_shaped(harm_people_at(p, i)->person_id), "%s",
              harm_people_at(p, i)->person_id);
  }
  char ps[HARM_PSEUDONYM_LEN + 1];
  cr_assert_eq(harm_pseudonym(key, 32, "G1", 2, ps), HARM_OK);
  size_t k;
  cr_assert(harm_people_find(p, ps, &k));
  cr_expect_eq(harm_people_at(p, k)->role, HARM_ROLE_VICTIM);
  harm_run_free(r);
}
