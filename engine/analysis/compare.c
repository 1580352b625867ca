/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/analysis/compare.c: how two weightings of the same offenders
 * agree: Spearman's rho (GSL), Kendall's tau-b (Knight's O(n log n)
 * algorithm), the overlap of their top K and who enters, leaves or stays
 * in it. */
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/analysis.h"

struct harm_analysis_comparison {
  const harm_ranking *a, *b;
  harm_rank_correlation corr;
  size_t k;
  size_t common;
  double jaccard;
  harm_topk_move *moves;
  size_t n_moves;
};

/* ---- Kendall's tau-b ------------------------------------------------- */

typedef struct pair {
  double a, b;
} pair;

static int cmp_pair(const void *pa, const void *pb) {
  const pair *x = pa, *y = pb;
  if (x->a != y->a) {
    return x->a < y->a ? -1 : 1;
  }
  return x->b < y->b ? -1 : x->b > y->b;
}

/* Sorts v[0..n) ascending with a merge sort through tmp and returns the
 * number of inversions (pairs i < j with v[i] > v[j]; ties are not
 * inversions). */
static uint64_t merge_count(double *v, double *tmp, size_t n) {
  if (n < 2) {
    return 0;
  }
  size_t mid = n / 2;
  uint64_t inv = merge_count(v, tmp, mid) + merge_count(v + mid, tmp, n - mid);
  size_t i = 0, j = mid, o = 0;
  while (i < mid && j < n) {
    if (v[i] <= v[j]) {
      tmp[o++] = v[i++];
    } else {
      inv += mid - i;
      tmp[o++] = v[j++];
    }
  }
  while (i < mid) {
    tmp[o++] = v[i++];
  }
  while (j < n) {
    tmp[o++] = v[j++];
  }
  memcpy(v, tmp, n * sizeof *v);
  return inv;
}

/* Pairs tied within runs of equal values of a sorted sequence. */
static uint64_t tied_pairs(const double *v, size_t n) {
  uint64_t t = 0;
  size_t run = 1;
  for (size_t i = 1; i <= n; i++) {
    if (i < n && v[i] == v[i - 1]) {
      run++;
    } else {
      t += (uint64_t)run * (run - 1) / 2;
      run = 1;
    }
  }
  return t;
}

/* Knight (1966): sort by (a, b); n1 = ties in a, n3 = joint ties; the
 * swaps a merge sort by b makes are the discordant pairs; n2 = ties in b.
 * S = n0 - n1 - n2 + n3 - 2 swaps. */
static double kendall_tau_b(pair *p, double *v, double *tmp, size_t n) {
  qsort(p, n, sizeof *p, cmp_pair);
  uint64_t n0 = (uint64_t)n * (n - 1) / 2;
  for (size_t i = 0; i < n; i++) {
    v[i] = p[i].a;
  }
  uint64_t n1 = tied_pairs(v, n);
  uint64_t n3 = 0;
  size_t run = 1;
  for (size_t i = 1; i <= n; i++) {
    if (i < n && p[i].a == p[i - 1].a && p[i].b == p[i - 1].b) {
      run++;
    } else {
      n3 += (uint64_t)run * (run - 1) / 2;
      run = 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    v[i] = p[i].b;
  }
  uint64_t swaps = merge_count(v, tmp, n);
  uint64_t n2 = tied_pairs(v, n);
  if (n0 == n1 || n0 == n2) {
    return NAN;
  }
  double s =
      (double)n0 - (double)n1 - (double)n2 + (double)n3 - 2.0 * (double)swaps;
  return s / sqrt(((double)n0 - (double)n1) * ((double)n0 - (double)n2));
}

harm_status harm_analysis_rank_correlation(const double *a, const double *b,
                                           size_t n, harm_rank_correlation *out,
                                           harm_error *err) {
  if (!a || !b || !out || n < 2) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "rank correlation needs two samples of at least 2");
  }
  for (size_t i = 0; i < n; i++) {
    if (isnan(a[i]) || isnan(b[i])) {
      return harm__fail(err, HARM_ERR_DATA, "analysis", NULL, 0, NULL,
                        "value %zu is not a number", i);
    }
  }
  pair *p = harm__reallocarray(NULL, n, sizeof *p);
  double *work = harm__reallocarray(NULL, 2 * n, sizeof *work);
  if (!p || !work) {
    harm__free(p);
    harm__free(work);
    return harm__fail(err, HARM_ERR_NOMEM, "analysis", NULL, 0, NULL,
                      "out of memory");
  }
  out->n = n;
  bool a_const = true, b_const = true;
  for (size_t i = 1; i < n; i++) {
    a_const = a_const && a[i] == a[0];
    b_const = b_const && b[i] == b[0];
  }
  if (a_const || b_const) {
    out->spearman = NAN;
    out->kendall = NAN;
  } else {
    out->spearman = gsl_stats_spearman(a, 1, b, 1, n, work);
    for (size_t i = 0; i < n; i++) {
      p[i].a = a[i];
      p[i].b = b[i];
    }
    out->kendall = kendall_tau_b(p, work, work + n, n);
  }
  harm__free(p);
  harm__free(work);
  return HARM_OK;
}

/* ---- Top-K overlap --------------------------------------------------- */

static int cmp_size(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  return a < b ? -1 : a > b;
}

harm_status harm_analysis_topk_overlap(const size_t *top_a, size_t n_a,
                                       const size_t *top_b, size_t n_b,
                                       size_t *common, double *jaccard,
                                       harm_error *err) {
  if ((!top_a && n_a) || (!top_b && n_b) || !common || !jaccard) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  size_t *sa = harm__reallocarray(NULL, n_a + 1, sizeof *sa);
  size_t *sb = harm__reallocarray(NULL, n_b + 1, sizeof *sb);
  if (!sa || !sb) {
    harm__free(sa);
    harm__free(sb);
    return harm__fail(err, HARM_ERR_NOMEM, "analysis", NULL, 0, NULL,
                      "out of memory");
  }
  if (n_a) {
    memcpy(sa, top_a, n_a * sizeof *sa);
  }
  if (n_b) {
    memcpy(sb, top_b, n_b * sizeof *sb);
  }
  qsort(sa, n_a, sizeof *sa, cmp_size);
  qsort(sb, n_b, sizeof *sb, cmp_size);
  harm_status st = HARM_OK;
  for (size_t i = 1; i < n_a || i < n_b; i++) {
    if ((i < n_a && sa[i] == sa[i - 1]) || (i < n_b && sb[i] == sb[i - 1])) {
      st = harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "a top-K list names subject %zu twice",
                      i < n_a && sa[i] == sa[i - 1] ? sa[i] : sb[i]);
      break;
    }
  }
  if (st == HARM_OK) {
    size_t i = 0, j = 0, c = 0;
    while (i < n_a && j < n_b) {
      if (sa[i] == sb[j]) {
        c++;
        i++;
        j++;
      } else if (sa[i] < sb[j]) {
        i++;
      } else {
        j++;
      }
    }
    size_t uni = n_a + n_b - c;
    *common = c;
    *jaccard = uni ? (double)c / (double)uni : 1.0;
  }
  harm__free(sa);
  harm__free(sb);
  return st;
}

/* ---- Comparison of two rankings -------------------------------------- */

/* The top-k moves of c (stayed and entered in B's order, then left in
 * A's order), the common count and the Jaccard index; ha and hb hold each
 * score's harm under A and B. */
static void topk_moves(harm_analysis_comparison *c, const harm_scores *sa,
                       const double *ha, const double *hb) {
  const harm_ranking *a = c->a, *b = c->b;
  for (int pass = 0; pass < 3; pass++) {
    const harm_ranking *by = pass == 2 ? a : b;
    for (size_t r = 1; r <= c->k; r++) {
      size_t i = harm_ranking_index(by, r);
      size_t ra = harm_ranking_rank_of(a, i), rb = harm_ranking_rank_of(b, i);
      harm_topk_status status = ra <= c->k && rb <= c->k ? HARM_TOPK_STAYED
                                : rb <= c->k             ? HARM_TOPK_ENTERED
                                                         : HARM_TOPK_LEFT;
      if ((int)status != pass) {
        continue;
      }
      harm_topk_move *mv = &c->moves[c->n_moves++];
      mv->status = status;
      mv->subject = harm_scores_at(sa, i)->subject;
      mv->rank_a = ra;
      mv->rank_b = rb;
      mv->rank_change = (long)ra - (long)rb;
      mv->harm_a = ha[i];
      mv->harm_b = hb[i];
      c->common += status == HARM_TOPK_STAYED;
    }
  }
  size_t uni = 2 * c->k - c->common;
  c->jaccard = uni ? (double)c->common / (double)uni : 1.0;
}

harm_status harm_analysis_comparison_new(const harm_ranking *a,
                                         const harm_ranking *b, size_t k,
                                         harm_analysis_comparison **out,
                                         harm_error *err) {
  if (out) {
    *out = NULL;
  }
  if (!a || !b || !out || k == 0) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "comparison needs two rankings and k >= 1");
  }
  const harm_scores *sa = harm_ranking_scores(a), *sb = harm_ranking_scores(b);
  size_t n = harm_scores_count(sa);
  if (harm_scores_matrix(sa) != harm_scores_matrix(sb) ||
      harm_scores_count(sb) != n) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "the rankings were not scored from the same matrix");
  }
  if (!harm_ranking_is_whole(a) || !harm_ranking_is_whole(b)) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "a comparison needs whole rankings, not only their "
                      "top ranks (rank_top)");
  }
  harm_analysis_comparison *c = harm__calloc(1, sizeof *c);
  double *ha = harm__reallocarray(NULL, n + 1, sizeof *ha);
  double *hb = harm__reallocarray(NULL, n + 1, sizeof *hb);
  if (c) {
    c->moves =
        harm__reallocarray(NULL, 2 * (k < n ? k : n) + 1, sizeof *c->moves);
  }
  harm_status st = HARM_OK;
  if (!c || !ha || !hb || !c->moves) {
    st = harm__fail(err, HARM_ERR_NOMEM, "analysis", NULL, 0, NULL,
                    "out of memory");
    goto done;
  }
  c->a = a;
  c->b = b;
  c->k = k < n ? k : n;
  for (size_t i = 0; i < n; i++) {
    ha[i] = harm_scores_at(sa, i)->harm;
    hb[i] = harm_scores_at(sb, i)->harm;
  }
  c->corr.n = n;
  c->corr.spearman = NAN;
  c->corr.kendall = NAN;
  if (n >= 2) {
    st = harm_analysis_rank_correlation(ha, hb, n, &c->corr, err);
    if (st != HARM_OK) {
      goto done;
    }
  }
  topk_moves(c, sa, ha, hb);
done:
  harm__free(ha);
  harm__free(hb);
  if (st != HARM_OK) {
    harm_analysis_comparison_free(c);
    return st;
  }
  *out = c;
  return HARM_OK;
}

void harm_analysis_comparison_free(harm_analysis_comparison *c) {
  if (!c) {
    return;
  }
  harm__free(c->moves);
  harm__free(c);
}

const harm_ranking *
harm_analysis_comparison_a(const harm_analysis_comparison *c) {
  return c->a;
}

const harm_ranking *
harm_analysis_comparison_b(const harm_analysis_comparison *c) {
  return c->b;
}

harm_rank_correlation
harm_analysis_comparison_correlation(const harm_analysis_comparison *c) {
  return c->corr;
}

size_t harm_analysis_comparison_k(const harm_analysis_comparison *c) {
  return c->k;
}

size_t harm_analysis_comparison_common(const harm_analysis_comparison *c) {
  return c->common;
}

double harm_analysis_comparison_jaccard(const harm_analysis_comparison *c) {
  return c->jaccard;
}

size_t harm_analysis_comparison_n_moves(const harm_analysis_comparison *c) {
  return c->n_moves;
}

const harm_topk_move *
harm_analysis_comparison_move(const harm_analysis_comparison *c, size_t i) {
  return i < c->n_moves ? &c->moves[i] : NULL;
}
