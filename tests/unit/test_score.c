/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_score.c: the aggregate (harm_matrix_build) and scoring
 * (harm_score_compute, harm_score_many, harm_score_vector) on small
 * hand-made inputs whose answers are worked out by hand in the comments. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include <harmrank.h>

#include "core/internal.h"

/* One weight table for most tests. Values have texture so a missing factor
 * shows: 17.25, 2.385, 365, 5475, 4.5 (proactive), 4.77. */
static const char WEIGHTS[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,assault with injury,17.25,violence,0,estimate: test\n"
    "028/01,burglary residential,2.385,property,0,estimate: test\n"
    "034/01,robbery of personal property,365,Violence,0,anchor: robbery\n"
    "092/07,possession of cannabis,4.5,drugs,1,estimate: test\n"
    "105/01,murder,5475,violence,0,anchor: murder\n"
    "111/01,threats to kill,4.77,violence,0,estimate: test\n";

/* Everything one scoring run needs, freed by run_free. */
typedef struct run {
  harm_weights *w;
  harm_dataset *ds;
  harm_matrix *m;
  harm_scores *s;
} run;

static harm_date day(const char *iso) {
  harm_date d = 0;
  cr_assert(harm_date_parse(iso, strlen(iso), HARM_DATE_YMD, &d), "%s", iso);
  return d;
}

static harm_weights *load_weights(const char *text) {
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  cr_assert_eq(harm_weights_load_buffer("weights.csv", text, strlen(text), &wo,
                                        &w, &err),
               HARM_OK, "%s", err.message);
  return w;
}

/* Ingests csv, builds the matrix with *mo (weights filled in) and scores
 * it with *so. Expects every stage to succeed. */
static run run_all(const char *csv, const harm_ingest_opts *io,
                   harm_matrix_opts *mo, const harm_score_opts *so) {
  run r = {NULL, NULL, NULL, NULL};
  harm_error err = HARM_ERROR_INIT;
  harm_ingest_opts dio = HARM_INGEST_OPTS_INIT;
  harm_matrix_opts dmo = HARM_MATRIX_OPTS_INIT;
  harm_score_opts dso = HARM_SCORE_OPTS_INIT;
  r.w = load_weights(WEIGHTS);
  cr_assert_eq(harm_ingest_buffer("offences.csv", csv, strlen(csv),
                                  io ? io : &dio, &r.ds, &err),
               HARM_OK, "%s", err.message);
  if (!mo) {
    mo = &dmo;
  }
  mo->weights = r.w;
  cr_assert_eq(harm_matrix_build(r.ds, mo, &r.m, &err), HARM_OK, "%s",
               err.message);
  cr_assert_eq(harm_score_compute(r.m, r.w, so ? so : &dso, &r.s, &err),
               HARM_OK, "%s", err.message);
  return r;
}

static void run_free(run *r) {
  harm_scores_free(r->s);
  harm_matrix_free(r->m);
  harm_dataset_free(r->ds);
  harm_weights_free(r->w);
}

/* The score of subject `id`, or NULL when it has none. */
static const harm_score *score_of(const run *r, const char *id) {
  size_t idx;
  if (!harm_dataset_find_subject(r->ds, id, &idx)) {
    return NULL;
  }
  for (size_t i = 0; i < harm_scores_count(r->s); i++) {
    const harm_score *sc = harm_scores_at(r->s, i);
    if (sc->subject == idx) {
      return sc;
    }
  }
  return NULL;
}

static const harm_score *must_score(const run *r, const char *id) {
  const harm_score *sc = score_of(r, id);
  cr_assert_not_null(sc, "no score for %s", id);
  return sc;
}

static const char *top_code(const run *r, const harm_score *sc) {
  return sc->top_code < 0 ? "" : harm_matrix_code(r->m, (size_t)sc->top_code);
}

/* Each offence's harm is rounded to the millionth of a day
 * (HARM_UNITS_PER_DAY) before it is summed, so a total of a few offences is
 * within a few millionths of the exact value worked out by hand. */
static void expect_near(double got, double want, const char *what) {
  double tol = 5e-6 + 1e-12 * fabs(want);
  cr_expect(fabs(got - want) <= tol, "%s: got %.17g, want %.17g", what, got,
            want);
}

static void expect_identity(harm_accounting a) {
  cr_expect_eq(a.read,
               a.scored + a.outside_window + a.future_dated + a.filtered +
                   a.duplicates + a.rejected,
               "read %llu != sum of parts", (unsigned long long)a.read);
}

#define HDR "offence_id,offender_id,offence_code,offence_date,victim_id\n"

Test(score, duplicate_rows_count_once_and_are_reported) {
  /* CR1/N1/008/06 three times (once with blanks round the code): one kept,
   * two duplicates. CR1/N1/028/01 is another code and CR1/N2 another
   * offender, so neither is a duplicate.
   * N1 = 17.25 (CR1) + 2.385 (CR1 burglary) + 17.25 (CR2) = 36.885. */
  const char *csv = HDR "CR1,N1,008/06,2024-03-01,V1\n"
                        "CR1,N1,008/06,2024-03-01,V1\n"
                        "CR1,N1, 008/06 ,2024-03-01,V1\n"
                        "CR1,N1,028/01,2024-03-01,V1\n"
                        "CR1,N2,008/06,2024-03-01,V1\n"
                        "CR2,N1,008/06,2024-03-04,V2\n";
  run r = run_all(csv, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 36.885, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 3);
  const harm_score *n2 = must_score(&r, "N2");
  expect_near(n2->harm, 17.25, "N2 harm");
  cr_expect_eq(harm_score_facts(r.s, n2).offences, 1);
  harm_accounting a = harm_matrix_accounting(r.m);
  cr_expect_eq(a.read, 6);
  cr_expect_eq(a.duplicates, 2);
  cr_expect_eq(a.scored, 4);
  expect_identity(a);
  run_free(&r);
}

Test(score, unknown_codes_score_zero_count_as_offences_and_are_listed) {
  /* XQ99 (3 rows) and AB12 (1 row) are not in the table. N1 = 17.25 plus
   * one XQ99 at 0; N2 has only unknown codes: harm 0, 3 offences, no top
   * code. */
  const char *csv = HDR "CR1,N1,008/06,2024-03-01,V1\n"
                        "CR2,N1,XQ99,2024-03-02,V1\n"
                        "CR3,N2,XQ99,2024-03-03,V2\n"
                        "CR4,N2,XQ99,2024-03-04,V3\n"
                        "CR5,N2,AB12,2024-03-05,V3\n";
  run r = run_all(csv, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 17.25, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 2);
  const harm_score *n2 = must_score(&r, "N2");
  cr_expect_eq(n2->harm, 0.0);
  cr_expect_eq(harm_score_facts(r.s, n2).offences, 3);
  cr_expect_eq(n2->top_code, -1);
  cr_expect_eq(n2->max_offence_harm, 0.0);
  size_t n_unknown = 0;
  const harm_unknown_code *u = harm_scores_unknown(r.s, &n_unknown);
  cr_assert_eq(n_unknown, 2);
  cr_expect_str_eq(u[0].code, "AB12");
  cr_expect_eq(u[0].count, 1);
  cr_expect_str_eq(u[1].code, "XQ99");
  cr_expect_eq(u[1].count, 3);
  cr_expect_eq(harm_matrix_accounting(r.m).scored, 5);
  run_free(&r);
}

Test(score, strict_codes_makes_an_unknown_code_a_data_error) {
  const char *csv = HDR "CR1,N1,008/06,2024-03-01,V1\n"
                        "CR2,N1,XQ99,2024-03-02,V1\n";
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  harm_score_opts lax = HARM_SCORE_OPTS_INIT;
  so.strict_codes = true;
  run r = run_all(csv, NULL, NULL, &lax);
  harm_scores *s = (harm_scores *)&r; /* poisoned: must be reset to NULL */
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_score_compute(r.m, r.w, &so, &s, &err), HARM_ERR_DATA);
  cr_expect_null(s);
  cr_expect_eq(err.status, HARM_ERR_DATA);
  cr_expect_str_eq(err.column, "offence_code");
  run_free(&r);
}

Test(score, strict_codes_passes_when_every_code_is_known) {
  const char *csv = HDR "CR1,N1,008/06,2024-03-01,V1\n";
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.strict_codes = true;
  run r = run_all(csv, NULL, NULL, &so);
  expect_near(must_score(&r, "N1")->harm, 17.25, "N1 harm");
  run_free(&r);
}

#define PROACTIVE_CSV                                                          \
  HDR "CR1,N1,008/06,2024-03-01,V1\n"                                          \
      "CR2,N1,092/07,2024-03-02,\n"                                            \
      "CR3,N3,092/07,2024-03-03,\n"                                            \
      "CR4,N3,092/07,2024-03-04,\n"

Test(score, proactive_codes_are_left_out_by_default_and_counted_filtered) {
  run r = run_all(PROACTIVE_CSV, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 17.25, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 1);
  cr_expect_eq(harm_score_facts(r.s, n1).last, day("2024-03-01"));
  cr_expect_null(score_of(&r, "N3"), "N3 has only proactive offences");
  cr_expect_eq(harm_scores_count(r.s), 1);
  harm_accounting a = harm_matrix_accounting(r.m);
  cr_expect_eq(a.filtered, 3);
  cr_expect_eq(a.proactive, 3);
  cr_expect_eq(a.scored, 1);
  expect_identity(a);
  run_free(&r);
}

Test(score, proactive_codes_are_scored_when_not_excluded) {
  /* N1 = 17.25 + 4.5 = 21.75; N3 = 2 x 4.5 = 9. */
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.exclude_proactive = false;
  run r = run_all(PROACTIVE_CSV, NULL, &mo, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 21.75, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 2);
  cr_expect_eq(harm_score_facts(r.s, n1).last, day("2024-03-02"));
  const harm_score *n3 = must_score(&r, "N3");
  expect_near(n3->harm, 9.0, "N3 harm");
  cr_expect_str_eq(top_code(&r, n3), "092/07");
  harm_accounting a = harm_matrix_accounting(r.m);
  cr_expect_eq(a.filtered, 0);
  cr_expect_eq(a.proactive, 0);
  cr_expect_eq(a.scored, 4);
  run_free(&r);
}

Test(score, categories_keep_only_listed_weight_categories) {
  /* Keep "VIOLENCE" (case-insensitive: the table has violence and
   * Violence). 028/01 (property) and XQ99 (no category) are filtered.
   * N1 = 17.25 + 365 = 382.25, 2 offences; N2 has only filtered codes. */
  const char *csv = HDR "CR1,N1,008/06,2024-03-01,V1\n"
                        "CR2,N1,034/01,2024-03-02,V2\n"
                        "CR3,N1,028/01,2024-03-03,V3\n"
                        "CR4,N2,028/01,2024-03-04,V4\n"
                        "CR5,N2,XQ99,2024-03-05,V4\n";
  const char *cats[] = {"VIOLENCE"};
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.categories = cats;
  mo.n_categories = 1;
  run r = run_all(csv, NULL, &mo, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 382.25, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 2);
  cr_expect_eq(harm_score_facts(r.s, n1).last, day("2024-03-02"));
  cr_expect_null(score_of(&r, "N2"));
  harm_accounting a = harm_matrix_accounting(r.m);
  cr_expect_eq(a.filtered, 3);
  cr_expect_eq(a.proactive, 0);
  cr_expect_eq(a.scored, 2);
  expect_identity(a);
  run_free(&r);
}

Test(score, half_life_decays_by_age_in_days) {
  /* as_of 2024-03-31, half-life 30 days. Ages: 2024-03-31 -> 0,
   * 2024-03-01 -> 30, 2024-01-31 -> 60 (29 days of February 2024), so
   * factors 1, 0.5, 0.25: N1 = 17.25 x 1.75 = 30.1875, largest 17.25.
   * N2: 2024-02-15 is 45 days back: 2.385 x 0.5^1.5 = 2.385 x
   * 0.3535533905932738 = 0.843224836564958. */
  const char *csv = HDR "CR1,N1,008/06,2024-03-31,V1\n"
                        "CR2,N1,008/06,2024-03-01,V1\n"
                        "CR3,N1,008/06,2024-01-31,V1\n"
                        "CR4,N2,028/01,2024-02-15,V2\n";
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = day("2024-03-31");
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.half_life_days = 30.0;
  run r = run_all(csv, &io, &mo, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 30.1875, "N1 harm");
  expect_near(n1->max_offence_harm, 17.25, "N1 max");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 3);
  const harm_score *n2 = must_score(&r, "N2");
  /* One offence: its harm rounded to the millionth, 0.843225 exactly. */
  cr_expect_eq(n2->harm_units, 843225, "N2 harm %.17g", n2->harm);
  expect_near(n2->max_offence_harm, n2->harm, "N2 max");
  run_free(&r);
}

Test(score, half_life_uses_the_default_as_of_when_none_is_given) {
  /* as_of defaults to the latest date, 2024-05-20 (N2). N1's offence on
   * 2024-04-20 is 30 days old: 365 x 0.5 = 182.5 with half-life 30. */
  const char *csv = HDR "CR1,N1,034/01,2024-04-20,V1\n"
                        "CR2,N2,028/01,2024-05-20,V2\n";
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.half_life_days = 30.0;
  run r = run_all(csv, NULL, &mo, NULL);
  cr_expect_eq(harm_dataset_as_of(r.ds), day("2024-05-20"));
  expect_near(must_score(&r, "N1")->harm, 182.5, "N1 harm");
  expect_near(must_score(&r, "N2")->harm, 2.385, "N2 harm");
  run_free(&r);
}

#define CAP_CSV                                                                \
  HDR "CR1,N1,105/01,2024-03-01,V1\n"                                          \
      "CR2,N1,008/06,2024-03-02,V1\n"                                          \
      "CR3,N2,028/01,2024-03-03,V2\n"

Test(score, cap_limits_a_single_offence_before_the_transform) {
  /* cap 100: murder 5475 -> 100, 17.25 and 2.385 unchanged.
   * N1 = 117.25 (max 100, top 105/01). */
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.cap = 100.0;
  run r = run_all(CAP_CSV, NULL, NULL, &so);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 117.25, "N1 harm");
  expect_near(n1->max_offence_harm, 100.0, "N1 max");
  cr_expect_str_eq(top_code(&r, n1), "105/01");
  expect_near(must_score(&r, "N2")->harm, 2.385, "N2 harm");
  run_free(&r);
}

Test(score, cap_then_sqrt_applies_the_cap_first) {
  /* cap 6.25 then sqrt: 5475 -> 6.25 -> 2.5 and 17.25 -> 6.25 -> 2.5, so
   * N1 = 5; 2.385 is under the cap: sqrt(2.385) = 1.54434452114805. */
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.cap = 6.25;
  so.transform = HARM_TRANSFORM_SQRT;
  run r = run_all(CAP_CSV, NULL, NULL, &so);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 5.0, "N1 harm");
  expect_near(n1->max_offence_harm, 2.5, "N1 max");
  /* 105/01 and 008/06 tie at 2.5: the lower code wins. */
  cr_expect_str_eq(top_code(&r, n1), "008/06");
  expect_near(must_score(&r, "N2")->harm, 1.54434452114805, "N2 harm");
  run_free(&r);
}

Test(score, sqrt_transform_is_per_offence) {
  /* sqrt per offence, not of the total: N1 = sqrt(5475) + sqrt(17.25)
   * = 73.9932429347437 + 4.153311931459037 = 78.14655486620275. */
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.transform = HARM_TRANSFORM_SQRT;
  run r = run_all(CAP_CSV, NULL, NULL, &so);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 78.14655486620275, "N1 harm");
  expect_near(n1->max_offence_harm, 73.9932429347437, "N1 max");
  run_free(&r);
}

Test(score, log1p_transform_is_per_offence) {
  /* ln(1 + 5475) = 8.608130186408339, ln(18.25) = 2.9041650800285006,
   * sum 11.512295266436839; ln(3.385) = 1.2193539063642382. */
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.transform = HARM_TRANSFORM_LOG1P;
  run r = run_all(CAP_CSV, NULL, NULL, &so);
  expect_near(must_score(&r, "N1")->harm, 11.512295266436839, "N1 harm");
  expect_near(must_score(&r, "N1")->max_offence_harm, 8.608130186408339,
              "N1 max");
  expect_near(must_score(&r, "N2")->harm, 1.2193539063642382, "N2 harm");
  run_free(&r);
}

#define SPLIT_CSV                                                              \
  HDR "C1,N1,008/06,2024-03-01,V1\n"                                           \
      "C1,N2,008/06,2024-03-01,V1\n"                                           \
      "C1,N1,008/06,2024-03-01,V1\n"                                           \
      "C2,N1,028/01,2024-03-02,V2\n"                                           \
      "C2,N2,028/01,2024-03-02,V2\n"                                           \
      "C2,N3,028/01,2024-03-02,V2\n"                                           \
      "C1,N3,028/01,2024-03-01,V1\n"

Test(score, split_attribution_divides_among_distinct_offenders) {
  /* Split divides among the distinct offenders on the offence id, whatever
   * code each is recorded under (DESIGN.md section 4). C1 has N1 (008/06;
   * its second row is a duplicate), N2 (008/06) and N3 (028/01): 3
   * offenders, so N1 and N2 get 17.25 / 3 = 5.75 and N3 2.385 / 3 = 0.795.
   * C2/028/01 has N1, N2, N3: 2.385 / 3 = 0.795 each.
   * N1 = N2 = 5.75 + 0.795 = 6.545; N3 = 0.795 + 0.795 = 1.59. */
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.attribution = HARM_ATTR_SPLIT;
  run r = run_all(SPLIT_CSV, NULL, &mo, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 6.545, "N1 harm");
  expect_near(n1->max_offence_harm, 5.75, "N1 max");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 2);
  expect_near(must_score(&r, "N2")->harm, 6.545, "N2 harm");
  const harm_score *n3 = must_score(&r, "N3");
  expect_near(n3->harm, 1.59, "N3 harm");
  expect_near(n3->max_offence_harm, 0.795, "N3 max");
  cr_expect_eq(harm_matrix_accounting(r.m).duplicates, 1);
  run_free(&r);
}

Test(score, full_attribution_gives_every_offender_the_whole_harm) {
  /* N1 = N2 = 17.25 + 2.385 = 19.635; N3 = 2 x 2.385 = 4.77. */
  run r = run_all(SPLIT_CSV, NULL, NULL, NULL);
  expect_near(must_score(&r, "N1")->harm, 19.635, "N1 harm");
  expect_near(must_score(&r, "N2")->harm, 19.635, "N2 harm");
  expect_near(must_score(&r, "N3")->harm, 4.77, "N3 harm");
  run_free(&r);
}

Test(score, split_and_decay_multiply) {
  /* as_of 2024-03-31, half-life 30. C1 (2024-03-01, age 30) split 2:
   * 17.25 x 0.5 / 2 = 4.3125 for N1 and N2. */
  const char *csv = HDR "C1,N1,008/06,2024-03-01,V1\n"
                        "C1,N2,008/06,2024-03-01,V1\n";
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = day("2024-03-31");
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.attribution = HARM_ATTR_SPLIT;
  mo.half_life_days = 30.0;
  run r = run_all(csv, &io, &mo, NULL);
  expect_near(must_score(&r, "N1")->harm, 4.3125, "N1 harm");
  expect_near(must_score(&r, "N2")->max_offence_harm, 4.3125, "N2 max");
  run_free(&r);
}

Test(score, facts_count_distinct_victims_dates_and_latest_area) {
  /* N1: victims V1, V1, V2, empty, blanks -> 2 distinct. First
   * 2024-01-05, last 2024-02-10; two offences on the last day, in South
   * and East: the tie goes to the lowest area index, East (areas in
   * bytewise order East, North, South). */
  const char *csv =
      "offence_id,offender_id,offence_code,offence_date,victim_id,area\n"
      "CR1,N1,008/06,2024-01-05,V1,North\n"
      "CR2,N1,028/01,2024-02-10,V1,South\n"
      "CR3,N1,028/01,2024-02-10,V2,East\n"
      "CR4,N1,008/06,2024-01-20,,North\n"
      "CR5,N1,008/06,2024-01-21,  ,North\n"
      "CR6,N2,028/01,2024-01-07,V9,North\n";
  run r = run_all(csv, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  cr_expect_eq(harm_score_facts(r.s, n1).offences, 5);
  cr_expect_eq(harm_score_facts(r.s, n1).victims, 2);
  cr_expect_eq(harm_score_facts(r.s, n1).first, day("2024-01-05"));
  cr_expect_eq(harm_score_facts(r.s, n1).last, day("2024-02-10"));
  cr_assert_geq(harm_score_facts(r.s, n1).area, 0);
  cr_expect_str_eq(
      harm_dataset_area(r.ds, (size_t)harm_score_facts(r.s, n1).area), "East");
  /* 3 x 17.25 + 2 x 2.385 = 56.52 */
  expect_near(n1->harm, 56.52, "N1 harm");
  const harm_score *n2 = must_score(&r, "N2");
  cr_expect_eq(harm_score_facts(r.s, n2).victims, 1);
  cr_expect_str_eq(
      harm_dataset_area(r.ds, (size_t)harm_score_facts(r.s, n2).area), "North");
  harm_subject_facts f = harm_matrix_facts(r.m, n1->subject);
  cr_expect_eq(f.offences, 5);
  cr_expect_eq(f.victims, 2);
  run_free(&r);
}

Test(score, facts_area_is_minus_one_without_an_area_column) {
  run r = run_all(HDR "CR1,N1,008/06,2024-01-05,V1\n", NULL, NULL, NULL);
  cr_expect_eq(harm_score_facts(r.s, must_score(&r, "N1")).area, -1);
  run_free(&r);
}

Test(score, max_offence_harm_is_the_largest_single_offence) {
  /* N1: 3 x 17.25 + 2.385 + 365 = 419.135; the largest single offence is
   * the robbery, 365, which is also the top code (365 > 51.75). */
  const char *csv = HDR "CR1,N1,008/06,2024-01-05,V1\n"
                        "CR2,N1,008/06,2024-01-06,V1\n"
                        "CR3,N1,008/06,2024-01-07,V1\n"
                        "CR4,N1,028/01,2024-01-08,V1\n"
                        "CR5,N1,034/01,2024-01-09,V1\n";
  run r = run_all(csv, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 419.135, "N1 harm");
  expect_near(n1->max_offence_harm, 365.0, "N1 max");
  cr_expect_str_eq(top_code(&r, n1), "034/01");
  run_free(&r);
}

Test(score, top_code_is_the_code_with_most_total_harm_not_the_largest) {
  /* N1: 4 x 2.385 = 9.54 of burglary beats one 4.77 threat; the largest
   * single offence is still 4.77. */
  const char *csv = HDR "CR1,N1,028/01,2024-01-05,V1\n"
                        "CR2,N1,028/01,2024-01-06,V1\n"
                        "CR3,N1,028/01,2024-01-07,V1\n"
                        "CR4,N1,028/01,2024-01-08,V1\n"
                        "CR5,N1,111/01,2024-01-09,V1\n";
  run r = run_all(csv, NULL, NULL, NULL);
  const harm_score *n1 = must_score(&r, "N1");
  cr_expect_str_eq(top_code(&r, n1), "028/01");
  expect_near(n1->max_offence_harm, 4.77, "N1 max");
  run_free(&r);
}

Test(score, top_code_ties_go_to_the_lowest_code) {
  /* N1: 2 x 2.385 = 4.77 (028/01) ties one 4.77 (111/01): 028/01.
   * N2: the same tie with the rows in the other order: still 028/01. */
  const char *csv = HDR "CR1,N1,028/01,2024-01-05,V1\n"
                        "CR2,N1,028/01,2024-01-06,V1\n"
                        "CR3,N1,111/01,2024-01-07,V1\n"
                        "CR4,N2,111/01,2024-01-05,V1\n"
                        "CR5,N2,028/01,2024-01-06,V1\n"
                        "CR6,N2,028/01,2024-01-07,V1\n";
  run r = run_all(csv, NULL, NULL, NULL);
  cr_expect_str_eq(top_code(&r, must_score(&r, "N1")), "028/01");
  cr_expect_str_eq(top_code(&r, must_score(&r, "N2")), "028/01");
  expect_near(must_score(&r, "N1")->harm, 9.54, "N1 harm");
  run_free(&r);
}

/* A second and third table over the same codes, for the many-vector
 * tests. */
static const char WEIGHTS_B[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,a,3.125,violence,0,estimate: b\n"
    "028/01,b,11.5,property,0,estimate: b\n"
    "034/01,c,0.75,violence,0,estimate: b\n";
static const char WEIGHTS_C[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,a,1000,violence,0,estimate: c\n"
    "092/07,d,9.99,drugs,0,estimate: c\n";

#define MANY_CSV                                                               \
  HDR "C1,N1,008/06,2024-03-01,V1\n"                                           \
      "C1,N2,008/06,2024-03-01,V1\n"                                           \
      "C2,N1,028/01,2024-02-02,V2\n"                                           \
      "C3,N3,034/01,2024-01-15,V3\n"                                           \
      "C4,N3,XQ99,2024-03-20,V3\n"                                             \
      "C5,N4,092/07,2024-03-21,V4\n"                                           \
      "C6,N2,028/01,2023-12-24,V5\n"

Test(score, score_many_equals_score_compute_for_each_table) {
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = day("2024-03-31");
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.exclude_proactive = false;
  mo.half_life_days = 45.5;
  mo.attribution = HARM_ATTR_SPLIT;
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.cap = 200.0;
  so.transform = HARM_TRANSFORM_SQRT;
  run r = run_all(MANY_CSV, &io, &mo, &so);
  harm_weights *tables[3] = {r.w, load_weights(WEIGHTS_B),
                             load_weights(WEIGHTS_C)};
  size_t nc = harm_matrix_n_codes(r.m), ns = harm_matrix_n_subjects(r.m);
  cr_assert_eq(nc, 5); /* 008/06 028/01 034/01 092/07 XQ99 */
  cr_assert_eq(ns, 4);
  double vec[3 * 5], out[3 * 4];
  harm_error err = HARM_ERROR_INIT;
  for (size_t k = 0; k < 3; k++) {
    cr_assert_eq(harm_score_vector(r.m, tables[k], &so, vec + k * nc, &err),
                 HARM_OK);
  }
  cr_assert_eq(harm_score_many(r.m, vec, 3, out, &err), HARM_OK);
  for (size_t k = 0; k < 3; k++) {
    harm_scores *s = NULL;
    cr_assert_eq(harm_score_compute(r.m, tables[k], &so, &s, &err), HARM_OK);
    double got[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < harm_scores_count(s); i++) {
      got[harm_scores_at(s, i)->subject] = harm_scores_at(s, i)->harm;
    }
    for (size_t i = 0; i < ns; i++) {
      cr_expect(fabs(out[k * ns + i] - got[i]) <= 1e-12 * fmax(1, got[i]),
                "table %zu subject %zu: many %.17g, compute %.17g", k, i,
                out[k * ns + i], got[i]);
    }
    harm_scores_free(s);
  }
  /* Two values by hand under table C (cap 200, sqrt, half-life 45.5,
   * split). N1 (subject 0): 008/06 capped 1000 -> 200, sqrt 14.142...,
   * age 30 (factor 0.63316...), shared by 2: 4.477171044387285; its
   * 028/01 is not in table C and weighs 0. N4 (subject 3): 092/07 at age
   * 10: sqrt(9.99) x 0.5^(10/45.5) = 3.1606961258558215 x
   * 0.8586962402934909 = 2.714077879982596. */
  expect_near(out[2 * ns + 0], 4.477171044387285, "N1 under table C");
  expect_near(out[2 * ns + 3], 2.714077879982596, "N4 under table C");
  harm_weights_free(tables[1]);
  harm_weights_free(tables[2]);
  run_free(&r);
}

Test(score, score_many_rejects_null_arguments) {
  run r = run_all(HDR "CR1,N1,008/06,2024-01-05,V1\n", NULL, NULL, NULL);
  harm_error err = HARM_ERROR_INIT;
  double out[1];
  cr_expect_eq(harm_score_many(r.m, NULL, 1, out, &err), HARM_ERR_USAGE);
  cr_expect_eq(err.status, HARM_ERR_USAGE);
  run_free(&r);
}

Test(score, score_vector_holds_the_per_offence_harm_of_each_column) {
  /* Columns in bytewise order: 008/06, 034/01, 105/01, XQ99.
   * cap 400, log1p: ln(18.25), ln(366), ln(401), 0 (unknown). */
  const char *csv = HDR "CR1,N1,105/01,2024-01-05,V1\n"
                        "CR2,N1,XQ99,2024-01-06,V1\n"
                        "CR3,N2,034/01,2024-01-07,V1\n"
                        "CR4,N2,008/06,2024-01-08,V1\n";
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.cap = 400.0;
  so.transform = HARM_TRANSFORM_LOG1P;
  run r = run_all(csv, NULL, NULL, &so);
  cr_assert_eq(harm_matrix_n_codes(r.m), 4);
  cr_expect_str_eq(harm_matrix_code(r.m, 0), "008/06");
  cr_expect_str_eq(harm_matrix_code(r.m, 3), "XQ99");
  double vec[4];
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_score_vector(r.m, r.w, &so, vec, &err), HARM_OK);
  expect_near(vec[0], 2.9041650800285006, "008/06");
  expect_near(vec[1], 5.902633333401366, "034/01");
  expect_near(vec[2], 5.993961427306569, "105/01");
  cr_expect_eq(vec[3], 0.0);
  /* N1 = ln(401) + 0; N2 = ln(366) + ln(18.25). */
  expect_near(must_score(&r, "N1")->harm, 5.993961427306569, "N1");
  expect_near(must_score(&r, "N2")->harm, 8.806798413429867, "N2");
  run_free(&r);
}

Test(score, accounting_identity_holds_after_the_matrix) {
  /* as_of 2024-06-30, lookback 90: the window is 2024-04-01 < d <=
   * 2024-06-30. Rows: 2 scored in window (CR2, CR3), 1 exactly on the
   * lower edge (outside), 1 older (outside), 1 future, 1 proactive
   * (filtered), 1 duplicate, 2 rejected (bad date, empty offender), 1
   * unknown code (scored). read 10 = 3 + 2 + 1 + 1 + 1 + 2. */
  const char *csv = HDR "CR1,N1,008/06,2024-04-01,V1\n"
                        "CR2,N1,028/01,2024-04-02,V1\n"
                        "CR3,N1,008/06,2024-06-30,V2\n"
                        "CR3,N1,008/06,2024-06-30,V2\n"
                        "CR4,N2,008/06,2024-07-01,V3\n"
                        "CR5,N2,034/01,2023-12-31,V3\n"
                        "CR6,N2,092/07,2024-05-01,\n"
                        "CR7,N2,008/06,2019-02-30,V3\n"
                        "CR8,,008/06,2024-05-01,V3\n"
                        "CR9,N3,XQ99,2024-05-02,V4\n";
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = day("2024-06-30");
  io.lookback_days = 90;
  run r = run_all(csv, &io, NULL, NULL);
  harm_accounting a = harm_matrix_accounting(r.m);
  cr_expect_eq(a.read, 10);
  cr_expect_eq(a.scored, 3);
  cr_expect_eq(a.outside_window, 2);
  cr_expect_eq(a.future_dated, 1);
  cr_expect_eq(a.filtered, 1);
  cr_expect_eq(a.proactive, 1);
  cr_expect_eq(a.duplicates, 1);
  cr_expect_eq(a.rejected, 2);
  expect_identity(a);
  /* Straight after ingest: scored and duplicates 0, kept = 5 (CR2, CR3
   * twice, CR6, CR9). */
  harm_accounting d = harm_dataset_accounting(r.ds);
  cr_expect_eq(d.scored, 0);
  cr_expect_eq(d.duplicates, 0);
  cr_expect_eq(d.kept, 5);
  /* N1 = 2.385 + 17.25 = 19.635 over 2 offences. */
  const harm_score *n1 = must_score(&r, "N1");
  expect_near(n1->harm, 19.635, "N1 harm");
  cr_expect_eq(harm_score_facts(r.s, n1).first, day("2024-04-02"));
  cr_expect_eq(harm_score_facts(r.s, n1).last, day("2024-06-30"));
  cr_expect_null(score_of(&r, "N2"));
  run_free(&r);
}

Test(score, bad_options_are_config_errors) {
  run r = run_all(HDR "CR1,N1,008/06,2024-01-05,V1\n", NULL, NULL, NULL);
  harm_error err = HARM_ERROR_INIT;
  harm_matrix *m = (harm_matrix *)&r;
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.half_life_days = -2.5;
  cr_expect_eq(harm_matrix_build(r.ds, &mo, &m, &err), HARM_ERR_CONFIG);
  cr_expect_null(m);
  cr_expect_eq(err.status, HARM_ERR_CONFIG);
  const char *cats[] = {"violence"};
  harm_matrix_opts mo2 = HARM_MATRIX_OPTS_INIT;
  mo2.categories = cats;
  mo2.n_categories = 1; /* but no weights table */
  cr_expect_eq(harm_matrix_build(r.ds, &mo2, &m, &err), HARM_ERR_CONFIG);
  cr_expect_null(m);
  harm_scores *s = (harm_scores *)&r;
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.cap = -17.25;
  cr_expect_eq(harm_score_compute(r.m, r.w, &so, &s, &err), HARM_ERR_CONFIG);
  cr_expect_null(s);
  so.cap = 0;
  so.transform = (harm_transform)7;
  cr_expect_eq(harm_score_compute(r.m, r.w, &so, &s, &err), HARM_ERR_CONFIG);
  cr_expect_null(s);
  cr_expect_eq(harm_score_compute(r.m, NULL, NULL, &s, &err), HARM_ERR_USAGE);
  cr_expect_null(s);
  run_free(&r);
}

/* Runs `call` with the Nth allocation failing for n = 1, 2, ... until it
 * succeeds; every failure must be HARM_ERR_NOMEM with *out NULL. */
#define OOM_LOOP(out, call, free_fn)                                           \
  do {                                                                         \
    harm_status st_ = HARM_ERR_NOMEM;                                          \
    uint64_t n_ = 1;                                                           \
    for (; n_ < 100000; n_++) {                                                \
      harm_error e_ = HARM_ERROR_INIT;                                         \
      (out) = (void *)&e_; /* poison */                                        \
      harm__fault_fail_after(n_);                                              \
      st_ = (call);                                                            \
      harm__fault_fail_after(0);                                               \
      if (st_ == HARM_OK) {                                                    \
        break;                                                                 \
      }                                                                        \
      cr_assert_eq(st_, HARM_ERR_NOMEM, "allocation %llu: status %d",          \
                   (unsigned long long)n_, (int)st_);                          \
      cr_assert_eq(e_.status, HARM_ERR_NOMEM);                                 \
      cr_assert_null((out), "allocation %llu: *out not NULL",                  \
                     (unsigned long long)n_);                                  \
    }                                                                          \
    cr_assert_eq(st_, HARM_OK, "never succeeded");                             \
    cr_assert_gt(n_, 1, "no allocation was made");                             \
    free_fn(out);                                                              \
  } while (0)

#define OOM_CSV                                                                \
  "offence_id,offender_id,offence_code,offence_date,victim_id,area\n"          \
  "C1,N1,008/06,2024-03-01,V1,North\n"                                         \
  "C1,N2,008/06,2024-03-01,V2,South\n"                                         \
  "C1,N2,008/06,2024-03-01,V2,South\n"                                         \
  "C2,N1,028/01,2024-02-02,V2,North\n"                                         \
  "C3,N3,034/01,2024-01-15,V3,East\n"                                          \
  "C4,N3,XQ99,2024-03-20,V3,East\n"                                            \
  "C5,N4,092/07,2024-03-21,V4,East\n"

Test(score, matrix_build_fails_cleanly_on_every_allocation) {
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = day("2024-03-31");
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.attribution = HARM_ATTR_SPLIT;
  mo.half_life_days = 30.0;
  const char *cats[] = {"violence", "property"};
  mo.categories = cats;
  mo.n_categories = 2;
  run r = run_all(OOM_CSV, &io, &mo, NULL);
  harm_matrix *m = NULL;
  OOM_LOOP(m, harm_matrix_build(r.ds, &mo, &m, &e_), harm_matrix_free);
  run_free(&r);
}

Test(score, score_compute_fails_cleanly_on_every_allocation) {
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  so.transform = HARM_TRANSFORM_SQRT;
  run r = run_all(OOM_CSV, NULL, NULL, &so);
  harm_scores *s = NULL;
  OOM_LOOP(s, harm_score_compute(r.m, r.w, &so, &s, &e_), harm_scores_free);
  run_free(&r);
}

Test(score, rank_compute_fails_cleanly_on_every_allocation) {
  run r = run_all(OOM_CSV, NULL, NULL, NULL);
  harm_ranking *k = NULL;
  OOM_LOOP(k, harm_rank_compute(r.s, &k, &e_), harm_ranking_free);
  run_free(&r);
}

/* Equal offence harms give equal totals whatever their order: P's codes sum
 * 0.1 + 0.2 + 0.3 and Q's 0.3 + 0.2 + 0.1 (columns in code order), which
 * in doubles are 0.6000000000000001 and 0.6. In fixed point both are
 * 600000 millionths, so the tie-break decides: Q's last offence
 * (2024-03-20) is later than P's (2024-03-10), so Q ranks first (summed in
 * doubles, P's larger rounding error would put P first). */
Test(score, equal_offence_harms_sum_equal_whatever_the_order) {
  static const char weights[] =
      "offence_code,description,harm,category,proactive,source\n"
      "A1,a,0.1,x,0,estimate: test\nB1,b,0.2,x,0,estimate: test\n"
      "C1,c,0.3,x,0,estimate: test\nD1,d,0.3,x,0,estimate: test\n"
      "E1,e,0.2,x,0,estimate: test\nF1,f,0.1,x,0,estimate: test\n";
  const char *csv = HDR "O1,P,A1,2024-03-01,V1\nO2,P,B1,2024-03-02,V1\n"
                        "O3,P,C1,2024-03-10,V1\nO4,Q,D1,2024-03-01,V2\n"
                        "O5,Q,E1,2024-03-02,V2\nO6,Q,F1,2024-03-20,V2\n";
  cr_assert_neq(0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1); /* the trap is real */
  harm_error err = HARM_ERROR_INIT;
  harm_weights *w = load_weights(weights);
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  harm_dataset *ds = NULL;
  cr_assert_eq(harm_ingest_buffer("o.csv", csv, strlen(csv), &io, &ds, &err),
               HARM_OK);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  harm_matrix *m = NULL;
  cr_assert_eq(harm_matrix_build(ds, &mo, &m, &err), HARM_OK);
  harm_scores *s = NULL;
  cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
  harm_ranking *rk = NULL;
  cr_assert_eq(harm_rank_compute(s, &rk, &err), HARM_OK);
  const harm_score *first = harm_ranking_at(rk, 1);
  const harm_score *second = harm_ranking_at(rk, 2);
  cr_expect_eq(first->harm_units, 600000);
  cr_expect_eq(second->harm_units, 600000);
  cr_expect_eq(first->harm, second->harm);
  cr_expect_str_eq(harm_dataset_subject_id(ds, first->subject, NULL), "Q");
  harm_ranking_free(rk);
  harm_scores_free(s);
  harm_matrix_free(m);
  harm_dataset_free(ds);
  harm_weights_free(w);
}
