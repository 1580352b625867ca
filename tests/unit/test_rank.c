/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_rank.c: the ranking's total order (harm, then last date,
 * then offences, then id bytewise), its 1..n ranks and the inverse pair
 * harm_ranking_at / harm_ranking_rank_of, on hand-made inputs. */
#include <criterion/criterion.h>
#include <string.h>

#include <harmrank.h>

static const char WEIGHTS[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,assault with injury,17.25,violence,0,estimate: test\n"
    "028/01,burglary residential,2.385,property,0,estimate: test\n"
    "120/00,stalking,34.5,violence,0,estimate: test\n";

typedef struct ranked {
  harm_weights *w;
  harm_dataset *ds;
  harm_matrix *m;
  harm_scores *s;
  harm_ranking *r;
} ranked;

static ranked rank_csv(const char *csv) {
  ranked k = {NULL, NULL, NULL, NULL, NULL};
  harm_error err = HARM_ERROR_INIT;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  cr_assert_eq(harm_weights_load_buffer("weights.csv", WEIGHTS, strlen(WEIGHTS),
                                        &wo, &k.w, &err),
               HARM_OK, "%s", err.message);
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  cr_assert(harm_date_parse("2024-06-30", 10, HARM_DATE_YMD, &io.as_of));
  cr_assert_eq(
      harm_ingest_buffer("offences.csv", csv, strlen(csv), &io, &k.ds, &err),
      HARM_OK, "%s", err.message);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = k.w;
  cr_assert_eq(harm_matrix_build(k.ds, &mo, &k.m, &err), HARM_OK);
  cr_assert_eq(harm_score_compute(k.m, k.w, NULL, &k.s, &err), HARM_OK);
  cr_assert_eq(harm_rank_compute(k.s, &k.r, &err), HARM_OK);
  return k;
}

static void ranked_free(ranked *k) {
  harm_ranking_free(k->r);
  harm_scores_free(k->s);
  harm_matrix_free(k->m);
  harm_dataset_free(k->ds);
  harm_weights_free(k->w);
}

static const char *id_at(const ranked *k, size_t rank) {
  const harm_score *sc = harm_ranking_at(k->r, rank);
  cr_assert_not_null(sc, "no score at rank %zu", rank);
  return harm_dataset_subject_id(k->ds, sc->subject, NULL);
}

static void expect_order(const ranked *k, const char *const *ids, size_t n) {
  cr_assert_eq(harm_ranking_count(k->r), n);
  for (size_t i = 0; i < n; i++) {
    cr_expect_str_eq(id_at(k, i + 1), ids[i], "rank %zu", i + 1);
  }
}

#define HDR "offence_id,offender_id,offence_code,offence_date,victim_id\n"

/* Worked by hand (as_of 2024-06-30, lookback 365, weights above):
 *   A0  120/00 + 028/01             = 36.885, last 2024-01-15
 *   C1  2 x 008/06                  = 34.5,   last 2024-05-20, 2 offences
 *   N10 2 x 008/06                  = 34.5,   last 2024-05-01, 2 offences
 *   N9  2 x 008/06                  = 34.5,   last 2024-05-01, 2 offences
 *   B1  1 x 120/00                  = 34.5,   last 2024-05-01, 1 offence
 *   Z1  1 x 028/01                  = 2.385,  last 2024-06-01
 *   M4  2 x XQ99 (unknown)          = 0,      last 2024-06-01, 2 offences
 *   M5  1 x XQ99 (unknown)          = 0,      last 2024-06-01, 1 offence
 * Harm ties: C1 beats the others on the later last date; N10 and N9 beat
 * B1 on offences; N10 beats N9 bytewise ('1' < '9'). */
static const char TIES[] = HDR "CR01,N9,008/06,2024-04-01,V1\n"
                               "CR02,N9,008/06,2024-05-01,V2\n"
                               "CR03,N10,008/06,2024-04-02,V1\n"
                               "CR04,N10,008/06,2024-05-01,V3\n"
                               "CR05,B1,120/00,2024-05-01,V4\n"
                               "CR06,C1,008/06,2024-03-01,V5\n"
                               "CR07,C1,008/06,2024-05-20,V5\n"
                               "CR08,A0,120/00,2024-01-15,V6\n"
                               "CR09,A0,028/01,2023-11-30,V6\n"
                               "CR10,Z1,028/01,2024-06-01,\n"
                               "CR11,M5,XQ99,2024-06-01,\n"
                               "CR12,M4,XQ99,2024-06-01,\n"
                               "CR13,M4,XQ99,2024-05-01,\n";

static const char *const TIES_ORDER[] = {"A0", "C1", "N10", "N9",
                                         "B1", "Z1", "M4",  "M5"};

Test(rank, ties_break_on_last_date_then_offences_then_id) {
  ranked k = rank_csv(TIES);
  expect_order(&k, TIES_ORDER, 8);
  ranked_free(&k);
}

Test(rank, order_does_not_depend_on_input_row_order) {
  /* The same rows as TIES, in reverse order. */
  static const char rev[] = HDR "CR13,M4,XQ99,2024-05-01,\n"
                                "CR12,M4,XQ99,2024-06-01,\n"
                                "CR11,M5,XQ99,2024-06-01,\n"
                                "CR10,Z1,028/01,2024-06-01,\n"
                                "CR09,A0,028/01,2023-11-30,V6\n"
                                "CR08,A0,120/00,2024-01-15,V6\n"
                                "CR07,C1,008/06,2024-05-20,V5\n"
                                "CR06,C1,008/06,2024-03-01,V5\n"
                                "CR05,B1,120/00,2024-05-01,V4\n"
                                "CR04,N10,008/06,2024-05-01,V3\n"
                                "CR03,N10,008/06,2024-04-02,V1\n"
                                "CR02,N9,008/06,2024-05-01,V2\n"
                                "CR01,N9,008/06,2024-04-01,V1\n";
  ranked k = rank_csv(rev);
  expect_order(&k, TIES_ORDER, 8);
  ranked_free(&k);
}

Test(rank, full_ties_are_broken_bytewise_on_the_id) {
  /* Five offenders with identical histories: bytewise "N1" < "N10" <
   * "N2" < "N9" < "n1" (uppercase before lowercase). */
  static const char csv[] = HDR "C1,n1,028/01,2024-06-01,\n"
                                "C2,N9,028/01,2024-06-01,\n"
                                "C3,N2,028/01,2024-06-01,\n"
                                "C4,N10,028/01,2024-06-01,\n"
                                "C5,N1,028/01,2024-06-01,\n";
  ranked k = rank_csv(csv);
  static const char *const want[] = {"N1", "N10", "N2", "N9", "n1"};
  expect_order(&k, want, 5);
  ranked_free(&k);
}

Test(rank, ranks_run_from_one_to_n_without_shared_ranks) {
  ranked k = rank_csv(TIES);
  size_t n = harm_ranking_count(k.r);
  cr_assert_eq(n, harm_scores_count(k.s));
  bool seen[9] = {false};
  for (size_t i = 0; i < n; i++) {
    size_t rank = harm_ranking_rank_of(k.r, i);
    cr_assert(rank >= 1 && rank <= n, "rank %zu out of 1..%zu", rank, n);
    cr_expect(!seen[rank], "rank %zu shared", rank);
    seen[rank] = true;
  }
  cr_expect_null(harm_ranking_at(k.r, 0));
  cr_expect_null(harm_ranking_at(k.r, n + 1));
  cr_expect_eq(harm_ranking_rank_of(k.r, n), 0);
  cr_expect_eq(harm_ranking_scores(k.r), k.s);
  ranked_free(&k);
}

Test(rank, rank_of_is_the_inverse_of_at) {
  ranked k = rank_csv(TIES);
  size_t n = harm_ranking_count(k.r);
  for (size_t rank = 1; rank <= n; rank++) {
    const harm_score *sc = harm_ranking_at(k.r, rank);
    size_t i = (size_t)(sc - harm_scores_at(k.s, 0));
    cr_assert_eq(harm_scores_at(k.s, i), sc);
    cr_expect_eq(harm_ranking_rank_of(k.r, i), rank);
  }
  for (size_t i = 0; i < n; i++) {
    cr_expect_eq(harm_ranking_at(k.r, harm_ranking_rank_of(k.r, i)),
                 harm_scores_at(k.s, i));
  }
  ranked_free(&k);
}

Test(rank, compare_agrees_with_the_ranking) {
  ranked k = rank_csv(TIES);
  size_t n = harm_ranking_count(k.r);
  for (size_t a = 1; a <= n; a++) {
    for (size_t b = 1; b <= n; b++) {
      int c = harm_rank_compare(k.s, harm_ranking_at(k.r, a),
                                harm_ranking_at(k.r, b));
      if (a < b) {
        cr_expect_lt(c, 0, "ranks %zu vs %zu", a, b);
      } else if (a > b) {
        cr_expect_gt(c, 0, "ranks %zu vs %zu", a, b);
      } else {
        cr_expect_eq(c, 0);
      }
    }
  }
  ranked_free(&k);
}

Test(rank, empty_scores_give_an_empty_ranking) {
  /* Every row is outside the window (as_of 2024-06-30, lookback 365). */
  ranked k = rank_csv(HDR "CR1,N1,008/06,2020-01-01,V1\n");
  cr_expect_eq(harm_ranking_count(k.r), 0);
  cr_expect_null(harm_ranking_at(k.r, 1));
  ranked_free(&k);
}

Test(rank, null_scores_are_a_usage_error) {
  harm_ranking *r = (harm_ranking *)&r;
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_rank_compute(NULL, &r, &err), HARM_ERR_USAGE);
  cr_expect_null(r);
  cr_expect_eq(err.status, HARM_ERR_USAGE);
}
