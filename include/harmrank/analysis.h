/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/analysis.h: the analyst's statistics: how concentrated
 * harm is (Lorenz curve, Gini, power few), how two weightings agree (rank
 * correlation, top-K overlap, who moves) and how robust a cohort is to the
 * weights (a seeded perturbation sweep scored from one matrix). Pure
 * computation: nothing here prints or writes files (see report.h). */
#ifndef HARMRANK_ANALYSIS_H
#define HARMRANK_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cohort.h"
#include "rank.h"
#include "score.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Concentration --------------------------------------------------- */

/* Gini coefficient of n harms (all >= 0):
 * G = sum_i (2i - n - 1) x_(i) / (n sum x), x sorted ascending, i = 1..n.
 * All equal gives 0; one subject holding everything gives (n - 1) / n.
 * Returns HARM_OK; HARM_ERR_USAGE (NULL argument, n = 0); HARM_ERR_DATA (a
 * negative or non-finite harm); HARM_ERR_NOMEM. A population whose total
 * is 0 has *gini = 0. */
harm_status harm_analysis_gini(const double *harm, size_t n, double *gini,
                               harm_error *err);

/* The Lorenz curve of n harms at n_points evenly spaced population shares
 * p_k = k / (n_points - 1), k = 0..n_points-1 (101 points = every
 * percentile): OUT share[k] = share of the total held by the least harmful
 * p_k of subjects. Between whole subjects the curve is linear (a fraction
 * of a subject holds that fraction of their harm), which is the standard
 * piecewise-linear Lorenz curve; share[0] = 0 and share[last] = 1. A zero
 * total gives the diagonal (everyone equal).
 * Returns HARM_OK; HARM_ERR_USAGE (NULL, n = 0 or n_points < 2);
 * HARM_ERR_DATA (negative or non-finite harm); HARM_ERR_NOMEM. */
harm_status harm_analysis_lorenz(const double *harm, size_t n, size_t n_points,
                                 double *share, harm_error *err);

/* Fractions of the population in the power-few table: the top 1%, 2%, 5%
 * and 10% of subjects. */
#define HARM_POWER_FEW_N_TOP 4
/* Fractions of the harm in the power-few table: 50%, 80%, 90%. */
#define HARM_POWER_FEW_N_HARM 3

/* The "power few" table (Sherman's phrase for the few who cause most of
 * the harm). Whole subjects throughout: the top q of n subjects is the
 * ceil(q n) most harmful (at least 1). */
typedef struct harm_power_few {
  size_t n;                                    /* subjects */
  double total;                                /* total harm, days */
  double top_fraction[HARM_POWER_FEW_N_TOP];   /* 0.01, 0.02, 0.05, 0.10 */
  size_t top_count[HARM_POWER_FEW_N_TOP];      /* ceil(q n), at least 1 */
  double top_share[HARM_POWER_FEW_N_TOP];      /* their share of the harm */
  double harm_fraction[HARM_POWER_FEW_N_HARM]; /* 0.50, 0.80, 0.90 */
  size_t harm_count[HARM_POWER_FEW_N_HARM];    /* fewest subjects (most
                                                  harmful first) whose harm
                                                  reaches that share; 0 when
                                                  the total is 0 */
  double harm_offender_share[HARM_POWER_FEW_N_HARM]; /* harm_count / n */
} harm_power_few;

/* Fills *out for n harms. Returns as harm_analysis_gini. */
harm_status harm_analysis_power_few(const double *harm, size_t n,
                                    harm_power_few *out, harm_error *err);

/* Everything above for one population, computed once from one sorted copy
 * of the harms. Opaque. */
typedef struct harm_analysis_concentration harm_analysis_concentration;

/* Builds the concentration of n harms: Gini, the Lorenz curve at every
 * percentile (101 points), harm by decile and the power-few table.
 * Returns as harm_analysis_gini.
 * Ownership: *out is new (harm_analysis_concentration_free); harm is
 * copied. Determinism: the harms are summed in sorted order, so the result
 * does not depend on the order they were given in. */
harm_status harm_analysis_concentration_new(const double *harm, size_t n,
                                            harm_analysis_concentration **out,
                                            harm_error *err);

/* Frees a concentration; NULL is a no-op. */
void harm_analysis_concentration_free(harm_analysis_concentration *c);

/* Number of subjects, total harm (days) and Gini. */
size_t harm_analysis_concentration_count(const harm_analysis_concentration *c);
double harm_analysis_concentration_total(const harm_analysis_concentration *c);
double harm_analysis_concentration_gini(const harm_analysis_concentration *c);

/* Lorenz harm share at percentile p (0..100), as harm_analysis_lorenz. */
double harm_analysis_concentration_lorenz(const harm_analysis_concentration *c,
                                          size_t p);

/* Share of the harm held by decile d (1 = the most harmful 10% of
 * subjects, 10 = the least), from the Lorenz curve. Deciles sum to 1. */
double harm_analysis_concentration_decile(const harm_analysis_concentration *c,
                                          size_t d);

/* The power-few table. Borrowed. */
const harm_power_few *
harm_analysis_concentration_power_few(const harm_analysis_concentration *c);

/* ---- Comparing weightings -------------------------------------------- */

/* Rank correlation of two paired samples. */
typedef struct harm_rank_correlation {
  size_t n;        /* pairs */
  double spearman; /* Spearman's rho (GSL gsl_stats_spearman: Pearson
                      correlation of average ranks, so ties are handled);
                      NaN when either sample is constant */
  double kendall;  /* Kendall's tau-b (ties in either sample corrected);
                      NaN when either sample is constant */
} harm_rank_correlation;

/* Spearman's rho and Kendall's tau-b of a[i] against b[i], i < n.
 * Kendall tau-b = (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2)) with n_0 =
 * n(n-1)/2 and n_1, n_2 the pairs tied in a and in b, computed in
 * O(n log n) by Knight's algorithm (sort by a then b; count the swaps a
 * merge sort by b makes).
 * Returns HARM_OK; HARM_ERR_USAGE (NULL or n < 2); HARM_ERR_DATA (NaN in
 * the data); HARM_ERR_NOMEM. */
harm_status harm_analysis_rank_correlation(const double *a, const double *b,
                                           size_t n, harm_rank_correlation *out,
                                           harm_error *err);

/* Overlap of two top-K lists of subject indices (each without repeats):
 * OUT *common = |A n B|, *jaccard = |A n B| / |A u B| (1 when both are
 * empty). Returns HARM_OK; HARM_ERR_USAGE (NULL, or a repeat in a list);
 * HARM_ERR_NOMEM. */
harm_status harm_analysis_topk_overlap(const size_t *top_a, size_t n_a,
                                       const size_t *top_b, size_t n_b,
                                       size_t *common, double *jaccard,
                                       harm_error *err);

/* How a subject in either top K fares between weighting A and B. */
typedef enum harm_topk_status {
  HARM_TOPK_STAYED = 0,  /* in both top K */
  HARM_TOPK_ENTERED = 1, /* in B's top K only */
  HARM_TOPK_LEFT = 2     /* in A's top K only */
} harm_topk_status;

/* One row of the who-moves table. */
typedef struct harm_topk_move {
  harm_topk_status status;
  size_t subject;   /* dataset subject index */
  size_t rank_a;    /* rank under A (1-based) */
  size_t rank_b;    /* rank under B */
  long rank_change; /* rank_a - rank_b: positive = moved up under B */
  double harm_a;    /* days */
  double harm_b;
} harm_topk_move;

/* Two rankings of the same matrix compared. Opaque. */
typedef struct harm_analysis_comparison harm_analysis_comparison;

/* Compares rankings a and b, which must rank scores of the same matrix
 * (so the same scored subjects): rank correlation of their harms over all
 * scored subjects, the overlap and Jaccard index of their top k (k is cut
 * to the number of subjects), and who enters, leaves or stays in the top
 * k with their rank under each. Rows are ordered stayed, entered, left;
 * within each by rank under B (entered, stayed) or A (left).
 * Returns HARM_OK; HARM_ERR_USAGE (NULL, k = 0, rankings of different
 * matrices); HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_analysis_comparison_free); it borrows a
 * and b (and what they borrow), which must outlive it. */
harm_status harm_analysis_comparison_new(const harm_ranking *a,
                                         const harm_ranking *b, size_t k,
                                         harm_analysis_comparison **out,
                                         harm_error *err);

/* Frees a comparison; NULL is a no-op. */
void harm_analysis_comparison_free(harm_analysis_comparison *c);

/* The rankings compared (borrowed). */
const harm_ranking *
harm_analysis_comparison_a(const harm_analysis_comparison *c);
const harm_ranking *
harm_analysis_comparison_b(const harm_analysis_comparison *c);

/* Rank correlation over all scored subjects. */
harm_rank_correlation
harm_analysis_comparison_correlation(const harm_analysis_comparison *c);

/* k used, subjects in both top k, and the Jaccard index. */
size_t harm_analysis_comparison_k(const harm_analysis_comparison *c);
size_t harm_analysis_comparison_common(const harm_analysis_comparison *c);
double harm_analysis_comparison_jaccard(const harm_analysis_comparison *c);

/* The who-moves table: n rows (= 2k - common). */
size_t harm_analysis_comparison_n_moves(const harm_analysis_comparison *c);
const harm_topk_move *
harm_analysis_comparison_move(const harm_analysis_comparison *c, size_t i);

/* ---- Robustness sweep ------------------------------------------------ */

/* Most draws a sweep takes. At 1,000,000 draws a share's 95% interval is
 * already narrower than +-0.001, so more only costs time (each draw
 * scores every subject) and could run for days. */
#define HARM_SWEEP_MAX_DRAWS 1000000

/* Sweep options; use HARM_SWEEP_OPTS_INIT. */
typedef struct harm_sweep_opts {
  double perturb;          /* P in [0, 1): every per-offence harm is multiplied
                              by a factor uniform in [1 - P, 1 + P], drawn
                              independently per code and draw; default 0.2 */
  size_t draws;            /* perturbed weight vectors, 1 to
                              HARM_SWEEP_MAX_DRAWS; default 1000 */
  uint64_t seed;           /* seed of GSL's gsl_rng_mt19937; default 1 */
  size_t batch;            /* vectors scored per harm_score_many call; does not
                              change results; default 32 */
  harm_cohort_rules rules; /* size, min_harm, min_offences and
                              partition_by_area are used: the core is the
                              top `size` of the pool per partition, as
                              harm_cohort_select picks it. Referral slots,
                              backfill and tenure are not perturbed and
                              are left out; rfgv must be false */
  const harm_list *exclusions; /* excluded people leave the pool, as in
                                  harm_cohort_select; default NULL */
} harm_sweep_opts;

#define HARM_SWEEP_OPTS_INIT                                                   \
  {                                                                            \
    .perturb = 0.2, .draws = 1000, .seed = 1, .batch = 32,                     \
    .rules = HARM_COHORT_RULES_INIT, .exclusions = NULL                        \
  }

/* One subject who was in the core in at least one draw (or in the
 * unperturbed core). */
typedef struct harm_sweep_row {
  size_t subject;   /* dataset subject index */
  size_t draws_in;  /* draws in which the subject was in the core */
  double share;     /* draws_in / draws */
  double wilson_lo; /* 95% Wilson score interval of share (z = 1.96) */
  double wilson_hi;
  size_t base_rank; /* rank in the unperturbed ranking (1-based) */
  bool base_core;   /* in the unperturbed core */
  int32_t area;     /* partition area index, -1 when not partitioned or no
                       area */
} harm_sweep_row;

/* The result of a sweep. Opaque. */
typedef struct harm_analysis_sweep harm_analysis_sweep;

/* Runs the sweep: base[j] (harm_matrix_n_codes entries, e.g. from
 * harm_score_vector) is the unperturbed per-offence harm of column j.
 * Each draw d multiplies every base[j] by 1 - P + 2P u (u uniform in
 * [0, 1) from one gsl_rng_mt19937 seeded with opts->seed, drawn in order
 * draw by draw, column by column), scores all subjects with
 * harm_score_many in batches (the matrix is never rebuilt), and selects
 * the core with the ranking's total order (harm desc, last offence desc,
 * offences desc, id asc). With P = 0 every factor is exactly 1, so every
 * draw reproduces the unperturbed core exactly.
 * Returns HARM_OK; HARM_ERR_USAGE (NULL, draws = 0 or above
 * HARM_SWEEP_MAX_DRAWS); HARM_ERR_CONFIG (P
 * outside [0, 1), size 0, rules.rfgv); HARM_ERR_NOMEM.
 * `ds` is the offences m was built from (subject ids and areas).
 * Ownership: *out is new (harm_analysis_sweep_free); it borrows ds and m,
 * which must outlive it.
 * Determinism: the same matrix, base, options and seed give the same
 * sweep whatever the batch size. */
harm_status harm_analysis_sweep_new(const harm_dataset *ds,
                                    const harm_matrix *m, const double *base,
                                    const harm_sweep_opts *opts,
                                    harm_analysis_sweep **out, harm_error *err);

/* Frees a sweep; NULL is a no-op. */
void harm_analysis_sweep_free(harm_analysis_sweep *s);

/* The matrix swept (borrowed). */
const harm_matrix *harm_analysis_sweep_matrix(const harm_analysis_sweep *s);

/* Draws run, and the options used (borrowed). */
size_t harm_analysis_sweep_draws(const harm_analysis_sweep *s);
const harm_sweep_opts *
harm_analysis_sweep_opts_used(const harm_analysis_sweep *s);

/* Rows: everyone who was ever in the core or is in the unperturbed core,
 * ordered by share descending, then base rank ascending. */
size_t harm_analysis_sweep_count(const harm_analysis_sweep *s);
const harm_sweep_row *harm_analysis_sweep_row(const harm_analysis_sweep *s,
                                              size_t i);

/* The 95% Wilson score interval of k successes in n trials:
 * (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.96
 * (1.959963984540054). n = 0 gives [0, 1]. */
void harm_analysis_wilson(size_t k, size_t n, double *lo, double *hi);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_ANALYSIS_H */
