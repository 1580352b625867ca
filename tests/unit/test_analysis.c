/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_analysis.c: the analysis module (Gini, Lorenz, power
 * few, rank correlation, top-K overlap, comparisons, the perturbation
 * sweep) against answers worked by hand in the comments or by slow,
 * obviously correct references in this file, plus runs of the compare,
 * concentration and sweep commands on the sample force. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/cli.h"
#include "core/internal.h"
#include "support.h"

#define EPS 1e-12

/* ---- Gini, Lorenz, power few ----------------------------------------- */

Test(analysis, gini_of_an_equal_population_is_zero) {
  const double x[] = {2.385, 2.385, 2.385, 2.385, 2.385};
  double g = -1;
  cr_assert_eq(harm_analysis_gini(x, 5, &g, NULL), HARM_OK);
  cr_expect_float_eq(g, 0.0, EPS);
}

Test(analysis, gini_when_one_person_holds_all_harm_is_n_minus_1_over_n) {
  const double x[] = {0, 17.25, 0, 0};
  double g = -1;
  cr_assert_eq(harm_analysis_gini(x, 4, &g, NULL), HARM_OK);
  cr_expect_float_eq(g, 3.0 / 4.0, EPS);
  double y[1000] = {0};
  y[517] = 5475;
  cr_assert_eq(harm_analysis_gini(y, 1000, &g, NULL), HARM_OK);
  cr_expect_float_eq(g, 999.0 / 1000.0, EPS);
}

Test(analysis, gini_of_a_small_population_matches_the_mean_difference) {
  /* {1, 2, 3, 4} in any order: sum of |xi - xj| over ordered pairs = 20,
   * G = 20 / (2 n^2 mean) = 20 / (2 * 16 * 2.5) = 0.25. */
  const double x[] = {3, 1, 4, 2};
  double g = -1;
  cr_assert_eq(harm_analysis_gini(x, 4, &g, NULL), HARM_OK);
  cr_expect_float_eq(g, 0.25, EPS);
}

Test(analysis, gini_rejects_negative_harm_and_empty_input) {
  const double x[] = {1.5, -0.25};
  double g;
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_analysis_gini(x, 2, &g, &err), HARM_ERR_DATA);
  cr_expect_eq(err.status, HARM_ERR_DATA);
  cr_expect_eq(harm_analysis_gini(x, 0, &g, &err), HARM_ERR_USAGE);
  cr_expect_eq(harm_analysis_gini(NULL, 2, &g, &err), HARM_ERR_USAGE);
  const double nan_x[] = {1.5, NAN};
  cr_expect_eq(harm_analysis_gini(nan_x, 2, &g, &err), HARM_ERR_DATA);
}

Test(analysis, lorenz_points_are_cumulative_shares_interpolated_within_people) {
  /* {1, 2, 3, 4}, total 10. Quartiles: 1 person 0.1, 2 people 0.3, 3
   * people 0.6. Eighths: half of person 1 = 0.05, 1 + half of 2 = 0.2,
   * 3 + half of 3 = 0.45, 6 + half of 4 = 0.8. */
  const double x[] = {4, 2, 3, 1};
  double q[5], e[9];
  cr_assert_eq(harm_analysis_lorenz(x, 4, 5, q, NULL), HARM_OK);
  const double want_q[] = {0, 0.1, 0.3, 0.6, 1.0};
  for (int i = 0; i < 5; i++) {
    cr_expect_float_eq(q[i], want_q[i], EPS, "quartile %d", i);
  }
  cr_assert_eq(harm_analysis_lorenz(x, 4, 9, e, NULL), HARM_OK);
  const double want_e[] = {0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0};
  for (int i = 0; i < 9; i++) {
    cr_expect_float_eq(e[i], want_e[i], EPS, "eighth %d", i);
  }
  cr_expect_eq(harm_analysis_lorenz(x, 4, 1, e, NULL), HARM_ERR_USAGE);
}

Test(analysis, concentration_gives_every_percentile_of_the_lorenz_curve) {
  /* Harms 1..100: the bottom p% are persons 1..p, holding p(p+1)/2 of
   * 5050. */
  double x[100];
  for (int i = 0; i < 100; i++) {
    x[i] = 100 - i;
  }
  harm_analysis_concentration *c = NULL;
  cr_assert_eq(harm_analysis_concentration_new(x, 100, &c, NULL), HARM_OK);
  for (size_t p = 0; p <= 100; p++) {
    cr_expect_float_eq(harm_analysis_concentration_lorenz(c, p),
                       (double)(p * (p + 1) / 2) / 5050.0, EPS, "p %zu", p);
  }
  cr_expect_float_eq(harm_analysis_concentration_total(c), 5050.0, EPS);
  /* Gini of 1..n is (n - 1) / (3n) = 99 / 300. */
  cr_expect_float_eq(harm_analysis_concentration_gini(c), 99.0 / 300.0, EPS);
  harm_analysis_concentration_free(c);
}

/* 20 people: 500, 200, 100, 50 and sixteen of 9.375 (150): total 1000. */
static void power_few_population(double *x) {
  for (int i = 0; i < 16; i++) {
    x[i] = 9.375;
  }
  x[16] = 200;
  x[17] = 50;
  x[18] = 500;
  x[19] = 100;
}

Test(analysis, power_few_of_a_hand_made_population) {
  double x[20];
  power_few_population(x);
  harm_power_few pf;
  cr_assert_eq(harm_analysis_power_few(x, 20, &pf, NULL), HARM_OK);
  cr_expect_eq(pf.n, 20);
  cr_expect_float_eq(pf.total, 1000.0, EPS);
  /* Top 1%, 2%, 5% of 20 = ceil(0.2), ceil(0.4), ceil(1) = 1 person: 500;
   * top 10% = 2 people: 700. */
  const size_t want_k[] = {1, 1, 1, 2};
  const double want_s[] = {0.5, 0.5, 0.5, 0.7};
  for (int t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
    cr_expect_eq(pf.top_count[t], want_k[t], "top %d", t);
    cr_expect_float_eq(pf.top_share[t], want_s[t], EPS, "top %d", t);
  }
  /* 50%: 500 (1 person). 80%: 500 + 200 + 100 (3). 90%: 850 + 9.375 k >=
   * 900 needs k = 6, so 4 + 6 = 10 people, half of them. */
  const size_t want_h[] = {1, 3, 10};
  const double want_f[] = {0.05, 0.15, 0.5};
  for (int h = 0; h < HARM_POWER_FEW_N_HARM; h++) {
    cr_expect_eq(pf.harm_count[h], want_h[h], "harm %d", h);
    cr_expect_float_eq(pf.harm_offender_share[h], want_f[h], EPS, "harm %d", h);
  }
}

Test(analysis, deciles_of_a_hand_made_population) {
  /* 20 people, 2 per decile: D1 = 500 + 200, D2 = 100 + 50, D3..D10 =
   * 2 x 9.375 = 18.75 each, of 1000. */
  double x[20];
  power_few_population(x);
  harm_analysis_concentration *c = NULL;
  cr_assert_eq(harm_analysis_concentration_new(x, 20, &c, NULL), HARM_OK);
  cr_expect_float_eq(harm_analysis_concentration_decile(c, 1), 0.7, EPS);
  cr_expect_float_eq(harm_analysis_concentration_decile(c, 2), 0.15, EPS);
  for (size_t d = 3; d <= 10; d++) {
    cr_expect_float_eq(harm_analysis_concentration_decile(c, d), 0.01875, EPS,
                       "decile %zu", d);
  }
  harm_analysis_concentration_free(c);
}

Test(analysis, a_population_without_harm_is_equal) {
  const double x[] = {0, 0, 0};
  harm_analysis_concentration *c = NULL;
  cr_assert_eq(harm_analysis_concentration_new(x, 3, &c, NULL), HARM_OK);
  cr_expect_float_eq(harm_analysis_concentration_gini(c), 0.0, EPS);
  cr_expect_float_eq(harm_analysis_concentration_lorenz(c, 40), 0.4, EPS);
  cr_expect_eq(harm_analysis_concentration_power_few(c)->harm_count[0], 0);
  harm_analysis_concentration_free(c);
}

/* ---- Rank correlation ------------------------------------------------ */

Test(analysis, rank_correlation_without_ties) {
  /* Ranks a 1 2 3 4, b 2 1 4 3: sum d^2 = 4, rho = 1 - 6*4/(4*15) = 0.6.
   * Pairs: (1,2) and (3,4) discordant, 4 concordant: tau = 2/6. */
  const double a[] = {1.5, 2.385, 3.0, 17.25};
  const double b[] = {2.0, 1.0, 4.0, 3.0};
  harm_rank_correlation rc;
  cr_assert_eq(harm_analysis_rank_correlation(a, b, 4, &rc, NULL), HARM_OK);
  cr_expect_eq(rc.n, 4);
  cr_expect_float_eq(rc.spearman, 0.6, EPS);
  cr_expect_float_eq(rc.kendall, 1.0 / 3.0, EPS);
}

Test(analysis, rank_correlation_with_ties) {
  /* a = 1 2 2 3 -> average ranks 1 2.5 2.5 4; b = 1 3 2 3 -> 1 3.5 2 3.5.
   * Deviations from 2.5: a -1.5 0 0 1.5, b -1.5 1 -0.5 1; covariance sum
   * 3.75, variance sums 4.5 and 4.5: rho = 3.75 / 4.5 = 5/6.
   * Pairs: 4 concordant, 0 discordant, (2,3) tied in a, (2,4) tied in b:
   * tau-b = 4 / sqrt((6 - 1)(6 - 1)) = 0.8. */
  const double a[] = {1, 2, 2, 3};
  const double b[] = {1, 3, 2, 3};
  harm_rank_correlation rc;
  cr_assert_eq(harm_analysis_rank_correlation(a, b, 4, &rc, NULL), HARM_OK);
  cr_expect_float_eq(rc.spearman, 5.0 / 6.0, EPS);
  cr_expect_float_eq(rc.kendall, 0.8, EPS);
}

Test(analysis, rank_correlation_of_reversed_and_constant_samples) {
  const double a[] = {17.25, 2.385, 365, 5475};
  const double b[] = {-17.25, -2.385, -365, -5475};
  const double c[] = {4.5, 4.5, 4.5, 4.5};
  harm_rank_correlation rc;
  cr_assert_eq(harm_analysis_rank_correlation(a, b, 4, &rc, NULL), HARM_OK);
  cr_expect_float_eq(rc.spearman, -1.0, EPS);
  cr_expect_float_eq(rc.kendall, -1.0, EPS);
  cr_assert_eq(harm_analysis_rank_correlation(a, c, 4, &rc, NULL), HARM_OK);
  cr_expect(isnan(rc.spearman));
  cr_expect(isnan(rc.kendall));
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_analysis_rank_correlation(a, b, 1, &rc, &err),
               HARM_ERR_USAGE);
  const double n[] = {1, NAN, 2, 3};
  cr_expect_eq(harm_analysis_rank_correlation(a, n, 4, &rc, &err),
               HARM_ERR_DATA);
  cr_expect_eq(err.status, HARM_ERR_DATA);
}

/* Slow references: tau-b by counting all pairs; rho as the Pearson
 * correlation of average ranks found by counting. */
static double ref_kendall(const double *a, const double *b, size_t n) {
  double c = 0, d = 0, ta = 0, tb = 0, n0 = (double)n * (double)(n - 1) / 2;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i + 1; j < n; j++) {
      double s = (a[i] - a[j]) * (b[i] - b[j]);
      c += s > 0;
      d += s < 0;
      ta += a[i] == a[j];
      tb += b[i] == b[j];
    }
  }
  return (c - d) / sqrt((n0 - ta) * (n0 - tb));
}

static void avg_ranks(const double *x, size_t n, double *r) {
  for (size_t i = 0; i < n; i++) {
    double less = 0, eq = 0;
    for (size_t j = 0; j < n; j++) {
      less += x[j] < x[i];
      eq += x[j] == x[i];
    }
    r[i] = less + (eq + 1) / 2;
  }
}

static double ref_spearman(const double *a, const double *b, size_t n) {
  double ra[400], rb[400], ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  avg_ranks(a, n, ra);
  avg_ranks(b, n, rb);
  for (size_t i = 0; i < n; i++) {
    ma += ra[i] / (double)n;
    mb += rb[i] / (double)n;
  }
  for (size_t i = 0; i < n; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return sab / sqrt(saa * sbb);
}

Test(analysis, rank_correlation_matches_slow_references_on_tied_data) {
  double a[400], b[400];
  unsigned s = 12345;
  for (size_t i = 0; i < 400; i++) {
    s = s * 1103515245u + 12345u;
    a[i] = (double)((s >> 16) % 23) * 2.385; /* many ties */
    s = s * 1103515245u + 12345u;
    b[i] = a[i] * 0.5 + (double)((s >> 16) % 11) * 17.25;
  }
  harm_rank_correlation rc;
  cr_assert_eq(harm_analysis_rank_correlation(a, b, 400, &rc, NULL), HARM_OK);
  cr_expect_float_eq(rc.kendall, ref_kendall(a, b, 400), 1e-12);
  cr_expect_float_eq(rc.spearman, ref_spearman(a, b, 400), 1e-9);
}

/* ---- Top-K overlap and comparisons ------------------------------------ */

Test(analysis, topk_overlap_counts_and_jaccard) {
  /* A = {3, 7, 11, 20}, B = {7, 20, 5, 9}: common {7, 20} = 2, union 6. */
  const size_t a[] = {3, 7, 11, 20}, b[] = {7, 20, 5, 9};
  size_t common = 99;
  double j = -1;
  cr_assert_eq(harm_analysis_topk_overlap(a, 4, b, 4, &common, &j, NULL),
               HARM_OK);
  cr_expect_eq(common, 2);
  cr_expect_float_eq(j, 1.0 / 3.0, EPS);
  cr_assert_eq(harm_analysis_topk_overlap(a, 4, a, 4, &common, &j, NULL),
               HARM_OK);
  cr_expect_eq(common, 4);
  cr_expect_float_eq(j, 1.0, EPS);
  cr_assert_eq(harm_analysis_topk_overlap(NULL, 0, NULL, 0, &common, &j, NULL),
               HARM_OK);
  cr_expect_float_eq(j, 1.0, EPS);
  const size_t rep[] = {3, 7, 3};
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_analysis_topk_overlap(rep, 3, b, 4, &common, &j, &err),
               HARM_ERR_USAGE);
  cr_expect_eq(err.status, HARM_ERR_USAGE);
}

/* Five offenders under two tables that swap the weights of X and Y:
 * N1 X x3, N2 Y x3, N3 X + Y, N4 X x2, N5 Y x2. */
static const char CMP_CSV[] =
    "offence_id,offender_id,offence_code,offence_date,victim_id,area\n"
    "C01,N1,X,2024-03-01,V1,North\n"
    "C02,N1,X,2024-03-02,V1,North\n"
    "C03,N1,X,2024-03-03,V1,North\n"
    "C04,N2,Y,2024-03-01,V2,South\n"
    "C05,N2,Y,2024-03-02,V2,South\n"
    "C06,N2,Y,2024-03-03,V2,South\n"
    "C07,N3,X,2024-03-04,V3,North\n"
    "C08,N3,Y,2024-03-05,V3,North\n"
    "C09,N4,X,2024-03-06,V4,South\n"
    "C10,N4,X,2024-03-07,V4,South\n"
    "C11,N5,Y,2024-03-08,V5,North\n"
    "C12,N5,Y,2024-03-09,V5,North\n";
static const char CMP_WA[] =
    "offence_code,description,harm,category,proactive\n"
    "X,x,10,violence,0\nY,y,1,violence,0\n";
static const char CMP_WB[] =
    "offence_code,description,harm,category,proactive\n"
    "X,x,1,violence,0\nY,y,10,violence,0\n";

typedef struct cmp_run {
  harm_weights *wa, *wb;
  harm_dataset *ds;
  harm_matrix *m;
  harm_scores *sa, *sb;
  harm_ranking *ra, *rb;
} cmp_run;

static harm_weights *weights_from(const char *text) {
  harm_weights *w = NULL;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(
      harm_weights_load_buffer("w.csv", text, strlen(text), &wo, &w, &err),
      HARM_OK, "%s", err.message);
  return w;
}

static cmp_run cmp_setup(void) {
  cmp_run r;
  memset(&r, 0, sizeof r);
  harm_error err = HARM_ERROR_INIT;
  r.wa = weights_from(CMP_WA);
  r.wb = weights_from(CMP_WB);
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  cr_assert_eq(
      harm_ingest_buffer("o.csv", CMP_CSV, strlen(CMP_CSV), &io, &r.ds, &err),
      HARM_OK, "%s", err.message);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = r.wa;
  cr_assert_eq(harm_matrix_build(r.ds, &mo, &r.m, &err), HARM_OK);
  cr_assert_eq(harm_score_compute(r.m, r.wa, NULL, &r.sa, &err), HARM_OK);
  cr_assert_eq(harm_score_compute(r.m, r.wb, NULL, &r.sb, &err), HARM_OK);
  cr_assert_eq(harm_rank_compute(r.sa, &r.ra, &err), HARM_OK);
  cr_assert_eq(harm_rank_compute(r.sb, &r.rb, &err), HARM_OK);
  return r;
}

static void cmp_free(cmp_run *r) {
  harm_ranking_free(r->ra);
  harm_ranking_free(r->rb);
  harm_scores_free(r->sa);
  harm_scores_free(r->sb);
  harm_matrix_free(r->m);
  harm_dataset_free(r->ds);
  harm_weights_free(r->wa);
  harm_weights_free(r->wb);
}

static const char *id_of(const cmp_run *r, size_t subject) {
  return harm_dataset_subject_id(r->ds, subject, NULL);
}

Test(analysis, comparison_of_two_weightings_by_hand) {
  /* Harm under A (X = 10, Y = 1): N1 30, N2 3, N3 11, N4 20, N5 2.
   * Under B (X = 1, Y = 10):       N1 3, N2 30, N3 11, N4 2, N5 20.
   * Ranks A: N1 1, N4 2, N3 3, N2 4, N5 5; B: N2 1, N5 2, N3 3, N1 4,
   * N4 5. rho = 1 - 6 * 36 / (5 * 24) = -0.8. In A order, B reads
   * 20 30 11 2 3: 2 concordant pairs, 8 discordant: tau = -0.6.
   * Top 3: only N3 stays; N2 (4 -> 1) and N5 (5 -> 2) enter; N1 (1 -> 4)
   * and N4 (2 -> 5) leave. Jaccard 1 / 5. */
  cmp_run r = cmp_setup();
  harm_analysis_comparison *c = NULL;
  cr_assert_eq(harm_analysis_comparison_new(r.ra, r.rb, 3, &c, NULL), HARM_OK);
  harm_rank_correlation rc = harm_analysis_comparison_correlation(c);
  cr_expect_eq(rc.n, 5);
  cr_expect_float_eq(rc.spearman, -0.8, EPS);
  cr_expect_float_eq(rc.kendall, -0.6, EPS);
  cr_expect_eq(harm_analysis_comparison_k(c), 3);
  cr_expect_eq(harm_analysis_comparison_common(c), 1);
  cr_expect_float_eq(harm_analysis_comparison_jaccard(c), 0.2, EPS);
  cr_assert_eq(harm_analysis_comparison_n_moves(c), 5);
  static const struct {
    harm_topk_status st;
    const char *id;
    size_t ra, rb;
    long change;
    double ha, hb;
  } want[] = {{HARM_TOPK_STAYED, "N3", 3, 3, 0, 11, 11},
              {HARM_TOPK_ENTERED, "N2", 4, 1, 3, 3, 30},
              {HARM_TOPK_ENTERED, "N5", 5, 2, 3, 2, 20},
              {HARM_TOPK_LEFT, "N1", 1, 4, -3, 30, 3},
              {HARM_TOPK_LEFT, "N4", 2, 5, -3, 20, 2}};
  for (size_t i = 0; i < 5; i++) {
    const harm_topk_move *m = harm_analysis_comparison_move(c, i);
    cr_expect_eq(m->status, want[i].st, "row %zu", i);
    cr_expect_str_eq(id_of(&r, m->subject), want[i].id, "row %zu", i);
    cr_expect_eq(m->rank_a, want[i].ra, "row %zu", i);
    cr_expect_eq(m->rank_b, want[i].rb, "row %zu", i);
    cr_expect_eq(m->rank_change, want[i].change, "row %zu", i);
    cr_expect_float_eq(m->harm_a, want[i].ha, EPS);
    cr_expect_float_eq(m->harm_b, want[i].hb, EPS);
  }
  harm_analysis_comparison_free(c);
  /* k beyond the population is cut to it: everyone stays. */
  cr_assert_eq(harm_analysis_comparison_new(r.ra, r.rb, 15, &c, NULL), HARM_OK);
  cr_expect_eq(harm_analysis_comparison_k(c), 5);
  cr_expect_float_eq(harm_analysis_comparison_jaccard(c), 1.0, EPS);
  harm_analysis_comparison_free(c);
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_analysis_comparison_new(r.ra, r.rb, 0, &c, &err),
               HARM_ERR_USAGE);
  cr_expect_null(c);
  cmp_free(&r);
}

Test(analysis, comparison_refuses_rankings_of_different_matrices) {
  cmp_run r = cmp_setup();
  cmp_run s = cmp_setup();
  harm_analysis_comparison *c = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_analysis_comparison_new(r.ra, s.rb, 2, &c, &err),
               HARM_ERR_USAGE);
  cr_expect_null(c);
  cmp_free(&r);
  cmp_free(&s);
}

/* ---- Sweep ----------------------------------------------------------- */

/* A synthetic force: 240 offenders in 3 areas, 1-6 offences each from 6
 * codes, with deliberate ties (equal harm, dates and counts). */
static char *sweep_csv(void) {
  static const char *const codes[] = {"A", "B", "C", "D", "E", "F"};
  static const char *const areas[] = {"North", "South", "East"};
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  cr_assert_not_null(buf);
  len += (size_t)snprintf(buf + len, cap - len,
                          "offence_id,offender_id,offence_code,offence_date,"
                          "victim_id,area\n");
  unsigned s = 2024;
  size_t oid = 0;
  for (int p = 0; p < 240; p++) {
    s = s * 1103515245u + 12345u;
    int n = 1 + (int)((s >> 16) % 6);
    for (int k = 0; k < n; k++) {
      s = s * 1103515245u + 12345u;
      unsigned r = s >> 16;
      len += (size_t)snprintf(
          buf + len, cap - len, "C%05zu,P%03d,%s,2024-0%u-%02u,V%d,%s\n", ++oid,
          p, codes[r % 6], 1 + (r / 7) % 6, 1 + (r / 53) % 3, p, areas[p % 3]);
    }
  }
  return buf;
}

static const char SWEEP_W[] =
    "offence_code,description,harm,category,proactive\n"
    "A,a,2.385,x,0\nB,b,17.25,x,0\nC,c,365,x,0\nD,d,1,x,0\n"
    "E,e,4.77,x,0\nF,f,17.25,x,0\n";

typedef struct sweep_run {
  harm_weights *w;
  harm_dataset *ds;
  harm_matrix *m;
  harm_scores *s;
  harm_ranking *r;
  harm_list *excl;
  double base[16];
} sweep_run;

static sweep_run sweep_setup(void) {
  sweep_run r;
  memset(&r, 0, sizeof r);
  harm_error err = HARM_ERROR_INIT;
  r.w = weights_from(SWEEP_W);
  char *csv = sweep_csv();
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  cr_assert_eq(harm_ingest_buffer("o.csv", csv, strlen(csv), &io, &r.ds, &err),
               HARM_OK, "%s", err.message);
  free(csv);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = r.w;
  cr_assert_eq(harm_matrix_build(r.ds, &mo, &r.m, &err), HARM_OK);
  cr_assert_eq(harm_score_compute(r.m, r.w, NULL, &r.s, &err), HARM_OK);
  cr_assert_eq(harm_rank_compute(r.s, &r.r, &err), HARM_OK);
  cr_assert_leq(harm_matrix_n_codes(r.m), 16);
  cr_assert_eq(harm_score_vector(r.m, r.w, NULL, r.base, &err), HARM_OK);
  /* Exclude the people ranked 2 and 9. */
  char ex[256];
  snprintf(
      ex, sizeof ex, "offender_id,reason\n%s,in custody\n%s,deceased\n",
      harm_dataset_subject_id(r.ds, harm_ranking_at(r.r, 2)->subject, NULL),
      harm_dataset_subject_id(r.ds, harm_ranking_at(r.r, 9)->subject, NULL));
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_EXCLUSIONS, "x.csv", ex,
                                     strlen(ex), &r.excl, &err),
               HARM_OK, "%s", err.message);
  return r;
}

static void sweep_teardown(sweep_run *r) {
  harm_list_free(r->excl);
  harm_ranking_free(r->r);
  harm_scores_free(r->s);
  harm_matrix_free(r->m);
  harm_dataset_free(r->ds);
  harm_weights_free(r->w);
}

/* P = 0: exactly the core members harm_cohort_select picks, each in every
 * draw, and nobody else. */
static void expect_p0_matches_cohort(bool partition, bool exclusions) {
  sweep_run r = sweep_setup();
  harm_sweep_opts o = HARM_SWEEP_OPTS_INIT;
  o.perturb = 0;
  o.draws = 37;
  o.batch = 8;
  o.rules.size = 7;
  o.rules.min_harm = 20;
  o.rules.partition_by_area = partition;
  o.exclusions = exclusions ? r.excl : NULL;
  harm_analysis_sweep *sw = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_OK, "%s", err.message);
  harm_cohort *c = NULL;
  harm_cohort_input in = {.dataset = r.ds,
                          .matrix = r.m,
                          .scores = r.s,
                          .ranking = r.r,
                          .as_of = harm_dataset_as_of(r.ds)};
  cr_assert_eq(
      harm_cohort_select(&in, &o.rules, NULL, o.exclusions, NULL, &c, &err),
      HARM_OK, "%s", err.message);
  size_t n_core = 0;
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *m = harm_cohort_member(c, i);
    if (m->kind != HARM_MEMBER_CORE) {
      continue;
    }
    n_core++;
    bool found = false;
    for (size_t k = 0; k < harm_analysis_sweep_count(sw); k++) {
      const harm_sweep_row *row = harm_analysis_sweep_row(sw, k);
      if (row->subject == m->score->subject) {
        found = true;
        cr_expect(row->base_core);
        cr_expect_eq(row->draws_in, 37, "%s", m->offender_id);
        cr_expect_eq(row->base_rank, m->score_rank, "%s", m->offender_id);
      }
    }
    cr_expect(found, "core member %s missing from the sweep", m->offender_id);
  }
  cr_expect_eq(harm_analysis_sweep_count(sw), n_core);
  cr_expect_eq(n_core, partition ? 21 : 7);
  harm_cohort_free(c);
  harm_analysis_sweep_free(sw);
  sweep_teardown(&r);
}

Test(analysis, sweep_with_p0_reproduces_the_unperturbed_core) {
  expect_p0_matches_cohort(false, false);
}

Test(analysis, sweep_with_p0_reproduces_the_core_with_exclusions) {
  expect_p0_matches_cohort(false, true);
}

Test(analysis, sweep_with_p0_reproduces_the_core_per_area) {
  expect_p0_matches_cohort(true, true);
}

static harm_analysis_sweep *run_sweep(const sweep_run *r, uint64_t seed,
                                      size_t batch) {
  harm_sweep_opts o = HARM_SWEEP_OPTS_INIT;
  o.perturb = 0.35;
  o.draws = 300;
  o.seed = seed;
  o.batch = batch;
  o.rules.size = 10;
  harm_analysis_sweep *sw = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_analysis_sweep_new(r->ds, r->m, r->base, &o, &sw, &err),
               HARM_OK, "%s", err.message);
  return sw;
}

static bool same_sweep(const harm_analysis_sweep *a,
                       const harm_analysis_sweep *b) {
  if (harm_analysis_sweep_count(a) != harm_analysis_sweep_count(b)) {
    return false;
  }
  for (size_t i = 0; i < harm_analysis_sweep_count(a); i++) {
    const harm_sweep_row *x = harm_analysis_sweep_row(a, i);
    const harm_sweep_row *y = harm_analysis_sweep_row(b, i);
    if (x->subject != y->subject || x->draws_in != y->draws_in) {
      return false;
    }
  }
  return true;
}

Test(analysis, sweep_same_seed_same_result_whatever_the_batch) {
  sweep_run r = sweep_setup();
  harm_analysis_sweep *a = run_sweep(&r, 42, 32);
  harm_analysis_sweep *b = run_sweep(&r, 42, 32);
  harm_analysis_sweep *c = run_sweep(&r, 42, 1);
  harm_analysis_sweep *d = run_sweep(&r, 43, 32);
  cr_expect(same_sweep(a, b));
  cr_expect(same_sweep(a, c));
  cr_expect_not(same_sweep(a, d), "a different seed gave the same sweep");
  /* Perturbed: someone moves, and shares are draws_in / draws with the
   * rows in descending share. */
  size_t total_in = 0;
  bool partial = false;
  for (size_t i = 0; i < harm_analysis_sweep_count(a); i++) {
    const harm_sweep_row *x = harm_analysis_sweep_row(a, i);
    total_in += x->draws_in;
    partial = partial || (x->draws_in > 0 && x->draws_in < 300);
    cr_expect_float_eq(x->share, (double)x->draws_in / 300.0, EPS);
    cr_expect_leq(x->wilson_lo, x->share);
    cr_expect_geq(x->wilson_hi, x->share);
    if (i) {
      cr_expect_leq(x->draws_in, harm_analysis_sweep_row(a, i - 1)->draws_in);
    }
  }
  cr_expect(partial, "P = 0.35 moved nobody across the cut");
  cr_expect_eq(total_in, 300 * 10, "every draw fills the 10 core places");
  harm_analysis_sweep_free(a);
  harm_analysis_sweep_free(b);
  harm_analysis_sweep_free(c);
  harm_analysis_sweep_free(d);
  sweep_teardown(&r);
}

Test(analysis, sweep_rejects_bad_options) {
  sweep_run r = sweep_setup();
  harm_analysis_sweep *sw = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_sweep_opts o = HARM_SWEEP_OPTS_INIT;
  o.perturb = 1.0;
  cr_expect_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_ERR_CONFIG);
  cr_expect_eq(err.status, HARM_ERR_CONFIG);
  o.perturb = 0.2;
  o.rules.rfgv = true;
  cr_expect_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_ERR_CONFIG);
  o.rules.rfgv = false;
  o.rules.size = 0;
  cr_expect_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_ERR_CONFIG);
  o.rules.size = 15;
  o.draws = 0;
  cr_expect_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_ERR_USAGE);
  cr_expect_null(sw);
  /* Issue 11: draws are bounded (1,000,000, analysis.h). */
  o.draws = (size_t)1000000 + 1;
  cr_expect_eq(harm_analysis_sweep_new(r.ds, r.m, r.base, &o, &sw, &err),
               HARM_ERR_USAGE);
  cr_expect_eq(err.status, HARM_ERR_USAGE);
  cr_expect_null(sw);
  sweep_teardown(&r);
}

Test(analysis, wilson_interval_by_hand) {
  /* z = 1.959964, z^2 = 3.841459. 5 of 10: centre 0.5, half-width
   * z sqrt(0.025 + 0.0096037) / 1.3841459 = 0.2634069. 0 of 10:
   * [0, 0.3841459 / 1.3841459] = [0, 0.2775328]. */
  double lo, hi;
  harm_analysis_wilson(5, 10, &lo, &hi);
  cr_expect_float_eq(lo, 0.2365931, 1e-6);
  cr_expect_float_eq(hi, 0.7634069, 1e-6);
  harm_analysis_wilson(0, 10, &lo, &hi);
  cr_expect_float_eq(lo, 0.0, EPS);
  cr_expect_float_eq(hi, 0.2775328, 1e-6);
  harm_analysis_wilson(10, 10, &lo, &hi);
  cr_expect_float_eq(lo, 1 - 0.2775328, 1e-6);
  cr_expect_float_eq(hi, 1.0, EPS);
}

/* ---- Allocation failure ---------------------------------------------- */

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

Test(analysis, constructors_fail_cleanly_on_every_allocation) {
  double x[20];
  power_few_population(x);
  harm_analysis_concentration *c;
  OOM_LOOP(c, harm_analysis_concentration_new(x, 20, &c, &e_),
           harm_analysis_concentration_free);

  cmp_run r = cmp_setup();
  harm_analysis_comparison *cmp;
  OOM_LOOP(cmp, harm_analysis_comparison_new(r.ra, r.rb, 3, &cmp, &e_),
           harm_analysis_comparison_free);
  cmp_free(&r);

  sweep_run s = sweep_setup();
  harm_sweep_opts o = HARM_SWEEP_OPTS_INIT;
  o.draws = 20;
  o.batch = 8;
  o.rules.partition_by_area = true;
  o.exclusions = s.excl;
  harm_analysis_sweep *sw;
  OOM_LOOP(sw, harm_analysis_sweep_new(s.ds, s.m, s.base, &o, &sw, &e_),
           harm_analysis_sweep_free);
  sweep_teardown(&s);
}

Test(analysis, plain_functions_report_nomem) {
  double x[20];
  power_few_population(x);
  harm_error err = HARM_ERROR_INIT;
  double g, l[5];
  harm_power_few pf;
  harm_rank_correlation rc;
  size_t common;
  double j;
  const size_t a[] = {1, 2}, b[] = {2, 3};
  harm__fault_fail_after(1);
  cr_expect_eq(harm_analysis_gini(x, 20, &g, &err), HARM_ERR_NOMEM);
  harm__fault_fail_after(1);
  cr_expect_eq(harm_analysis_lorenz(x, 20, 5, l, &err), HARM_ERR_NOMEM);
  harm__fault_fail_after(1);
  cr_expect_eq(harm_analysis_power_few(x, 20, &pf, &err), HARM_ERR_NOMEM);
  harm__fault_fail_after(1);
  cr_expect_eq(harm_analysis_rank_correlation(x, x, 20, &rc, &err),
               HARM_ERR_NOMEM);
  harm__fault_fail_after(2);
  cr_expect_eq(harm_analysis_topk_overlap(a, 2, b, 2, &common, &j, &err),
               HARM_ERR_NOMEM);
  harm__fault_fail_after(0);
  cr_expect_eq(err.status, HARM_ERR_NOMEM);
}

/* ---- The commands on the sample force --------------------------------- */

#define SAMPLE HARM_FIXTURES "/sample"
#define LETTER HARM_CONFIG_DIR "/weights/cchi-estimates-ho-letter.csv"
#define PANEL HARM_CONFIG_DIR "/cohorts/perpetrator-panel.ini"

static void make_tmpdir(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/harmrank-analysis-XXXXXX");
  test_mkdtemp(buf);
}

static bool exists_in(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0 && st.st_size > 0;
}

static void remove_dir(const char *dir) {
  static const char *const names[] = {
      "concentration.csv", "power_few.csv",    "lorenz.csv", "deciles.csv",
      "compare.csv",       "compare_topk.csv", "sweep.csv",  "analysis.xlsx",
      "manifest.json",     "rejects.csv",      "alt.csv"};
  char path[512];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
}

static int run_cli(const char *const *args) {
  char *argv[40];
  int argc = 0;
  argv[argc++] = (char *)"harmrank";
  for (; args[argc - 1]; argc++) {
    argv[argc] = (char *)args[argc - 1];
  }
  return harm_cli_main(argc, argv);
}

static void quiet(void) {
  cr_redirect_stdout();
  cr_redirect_stderr();
}

Test(analysis_cli, concentration_by_area_writes_every_table, .init = quiet) {
  char dir[64];
  make_tmpdir(dir, sizeof dir);
  const char *args[] = {"concentration",
                        "--offences",
                        SAMPLE "/offences.csv",
                        "--weights",
                        LETTER,
                        "--by",
                        "area",
                        "--out",
                        dir,
                        NULL};
  cr_expect_eq(run_cli(args), 0);
  static const char *const want[] = {
      "concentration.csv", "power_few.csv", "lorenz.csv", "deciles.csv",
      "analysis.xlsx",     "manifest.json", "rejects.csv"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    cr_expect(exists_in(dir, want[i]), "%s missing", want[i]);
  }
  const char *bad[] = {"concentration", "--offences", SAMPLE "/offences.csv",
                       "--weights",     LETTER,       "--by",
                       "district",      NULL};
  cr_expect_eq(run_cli(bad), 2);
  remove_dir(dir);
}

Test(analysis_cli, compare_two_tables_writes_both_tables, .init = quiet) {
  char dir[64], alt[128];
  make_tmpdir(dir, sizeof dir);
  /* A second table: the shipped one with every weight below murder's
   * halved. */
  snprintf(alt, sizeof alt, "%s/alt.csv", dir);
  harm_weights *w = NULL;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  cr_assert_eq(harm_weights_load(LETTER, &wo, &w, NULL), HARM_OK);
  FILE *out = fopen(alt, "w");
  cr_assert_not_null(out);
  fputs("offence_code,description,harm,category,proactive,source\n", out);
  for (size_t i = 0; i < harm_weights_count(w); i++) {
    const harm_weight *wt = harm_weights_at(w, i);
    harm_report_csv_field(out, wt->code, strlen(wt->code), false);
    fputs(",x,", out);
    fprintf(out, "%.4f,", wt->harm < 5475 ? wt->harm / 2 : wt->harm);
    harm_report_csv_field(out, wt->category, strlen(wt->category), false);
    fprintf(out, ",%d,estimate: halved for a test\n", wt->proactive ? 1 : 0);
  }
  fclose(out);
  harm_weights_free(w);
  const char *args[] = {
      "compare",   "-c",    PANEL,       "--offences", SAMPLE "/offences.csv",
      "--weights", LETTER,  "--weights", alt,          "--top-k",
      "10",        "--out", dir,         NULL};
  cr_expect_eq(run_cli(args), 0);
  cr_expect(exists_in(dir, "compare.csv"));
  cr_expect(exists_in(dir, "compare_topk.csv"));
  cr_expect(exists_in(dir, "analysis.xlsx"));
  cr_expect(exists_in(dir, "manifest.json"));
  const char *one[] = {"compare",   "--offences", SAMPLE "/offences.csv",
                       "--weights", LETTER,       NULL};
  cr_expect_eq(run_cli(one), 2);
  remove_dir(dir);
}

Test(analysis_cli, sweep_of_the_panel_writes_sweep_csv, .init = quiet) {
  char dir[64];
  make_tmpdir(dir, sizeof dir);
  const char *args[] = {"sweep",
                        "-c",
                        PANEL,
                        "--offences",
                        SAMPLE "/offences.csv",
                        "--exclusions",
                        SAMPLE "/exclusions.csv",
                        "--perturb",
                        "0.2",
                        "--draws",
                        "200",
                        "--seed",
                        "7",
                        "--out",
                        dir,
                        NULL};
  cr_expect_eq(run_cli(args), 0);
  cr_expect(exists_in(dir, "sweep.csv"));
  cr_expect(exists_in(dir, "analysis.xlsx"));
  cr_expect(exists_in(dir, "manifest.json"));
  const char *bad[] = {
      "sweep",     "-c",  PANEL, "--offences", SAMPLE "/offences.csv",
      "--perturb", "1.5", NULL};
  cr_expect_eq(run_cli(bad), 2);
  /* The run above with one draw over the bound: a usage error. */
  const char *many[] = {"sweep",
                        "-c",
                        PANEL,
                        "--offences",
                        SAMPLE "/offences.csv",
                        "--exclusions",
                        SAMPLE "/exclusions.csv",
                        "--perturb",
                        "0.2",
                        "--draws",
                        "1000001",
                        "--seed",
                        "7",
                        "--out",
                        dir,
                        NULL};
  cr_expect_eq(run_cli(many), 2);
  remove_dir(dir);
}
