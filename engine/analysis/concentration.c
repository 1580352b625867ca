/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/analysis/concentration.c: how concentrated harm is among
 * subjects: Gini coefficient, Lorenz curve, harm by decile and the
 * power-few table, all from one ascending-sorted copy of the harms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/analysis.h"

enum { N_PERCENTILES = 101 };

static const unsigned top_pct[HARM_POWER_FEW_N_TOP] = {1, 2, 5, 10};
static const unsigned harm_pct[HARM_POWER_FEW_N_HARM] = {50, 80, 90};

struct harm_analysis_concentration {
  size_t n;
  double *x;   /* harms, ascending */
  double *cum; /* cum[i] = sum of the i smallest, n + 1 entries */
  double total;
  double gini;
  double lorenz[N_PERCENTILES];
  harm_power_few pf;
};

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return a < b ? -1 : a > b;
}

static harm_status check(const double *harm, size_t n, harm_error *err) {
  if (!harm || n == 0) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "no harms to measure");
  }
  for (size_t i = 0; i < n; i++) {
    if (!(harm[i] >= 0) || !isfinite(harm[i])) {
      return harm__fail(err, HARM_ERR_DATA, "analysis", NULL, 0, NULL,
                        "harm %zu is negative or not a number (%g)", i,
                        harm[i]);
    }
  }
  return HARM_OK;
}

/* Lorenz share at population position k*n/d (exact integer arithmetic for
 * the whole part, so percentiles of round populations hit subjects
 * exactly). */
static double lorenz_at(const harm_analysis_concentration *c, size_t k,
                        size_t d) {
  if (c->total <= 0) {
    return (double)k / (double)d;
  }
  /* k <= d, and callers use small d (101 points), so k * n fits in 64
   * bits for any population that fits in memory. */
  size_t whole = (size_t)(((unsigned long long)k * c->n) / d);
  size_t rem = (size_t)(((unsigned long long)k * c->n) % d);
  double v = c->cum[whole];
  if (whole < c->n && rem) {
    v += c->x[whole] * ((double)rem / (double)d);
  }
  double s = v / c->total;
  return s > 1.0 ? 1.0 : s;
}

static void fill(harm_analysis_concentration *c) {
  size_t n = c->n;
  c->cum[0] = 0;
  for (size_t i = 0; i < n; i++) {
    c->cum[i + 1] = c->cum[i] + c->x[i];
  }
  c->total = c->cum[n];
  /* Gini: sum_i (2i - n - 1) x_(i) / (n total), i = 1..n ascending. */
  double g = 0;
  for (size_t i = 0; i < n; i++) {
    g += (2.0 * (double)(i + 1) - (double)n - 1.0) * c->x[i];
  }
  c->gini = c->total > 0 ? g / ((double)n * c->total) : 0.0;
  for (size_t p = 0; p < N_PERCENTILES; p++) {
    c->lorenz[p] = lorenz_at(c, p, N_PERCENTILES - 1);
  }
  c->lorenz[N_PERCENTILES - 1] = 1.0;
  /* Power few, most harmful first, in whole subjects. */
  harm_power_few *pf = &c->pf;
  memset(pf, 0, sizeof *pf);
  pf->n = n;
  pf->total = c->total;
  for (size_t t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
    size_t k = (top_pct[t] * n + 99) / 100;
    k = k ? k : 1;
    double sum = 0;
    for (size_t i = 0; i < k; i++) {
      sum += c->x[n - 1 - i];
    }
    pf->top_fraction[t] = top_pct[t] / 100.0;
    pf->top_count[t] = k;
    pf->top_share[t] = c->total > 0 ? sum / c->total : 0.0;
  }
  for (size_t h = 0; h < HARM_POWER_FEW_N_HARM; h++) {
    pf->harm_fraction[h] = harm_pct[h] / 100.0;
    if (c->total <= 0) {
      continue;
    }
    /* The descending running sum may differ from the ascending total by
     * rounding, hence the relative tolerance. */
    double want = pf->harm_fraction[h] * c->total * (1.0 - 1e-12), sum = 0;
    size_t k = 0;
    while (k < n && sum < want) {
      sum += c->x[n - 1 - k];
      k++;
    }
    pf->harm_count[h] = k;
    pf->harm_offender_share[h] = (double)k / (double)n;
  }
}

harm_status harm_analysis_concentration_new(const double *harm, size_t n,
                                            harm_analysis_concentration **out,
                                            harm_error *err) {
  if (out) {
    *out = NULL;
  }
  if (!out) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  harm_status st = check(harm, n, err);
  if (st != HARM_OK) {
    return st;
  }
  harm_analysis_concentration *c = harm__calloc(1, sizeof *c);
  if (c) {
    c->x = harm__reallocarray(NULL, n, sizeof *c->x);
    c->cum = harm__reallocarray(NULL, n + 1, sizeof *c->cum);
  }
  if (!c || !c->x || !c->cum) {
    harm_analysis_concentration_free(c);
    return harm__fail(err, HARM_ERR_NOMEM, "analysis", NULL, 0, NULL,
                      "out of memory");
  }
  c->n = n;
  memcpy(c->x, harm, n * sizeof *c->x);
  qsort(c->x, n, sizeof *c->x, cmp_double);
  fill(c);
  *out = c;
  return HARM_OK;
}

void harm_analysis_concentration_free(harm_analysis_concentration *c) {
  if (!c) {
    return;
  }
  harm__free(c->x);
  harm__free(c->cum);
  harm__free(c);
}

size_t harm_analysis_concentration_count(const harm_analysis_concentration *c) {
  return c->n;
}

double harm_analysis_concentration_total(const harm_analysis_concentration *c) {
  return c->total;
}

double harm_analysis_concentration_gini(const harm_analysis_concentration *c) {
  return c->gini;
}

double harm_analysis_concentration_lorenz(const harm_analysis_concentration *c,
                                          size_t p) {
  return p < N_PERCENTILES ? c->lorenz[p] : 1.0;
}

double harm_analysis_concentration_decile(const harm_analysis_concentration *c,
                                          size_t d) {
  if (d < 1 || d > 10) {
    return 0.0;
  }
  return c->lorenz[100 - 10 * (d - 1)] - c->lorenz[100 - 10 * d];
}

const harm_power_few *
harm_analysis_concentration_power_few(const harm_analysis_concentration *c) {
  return &c->pf;
}

harm_status harm_analysis_gini(const double *harm, size_t n, double *gini,
                               harm_error *err) {
  if (!gini) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  harm_analysis_concentration *c;
  harm_status st = harm_analysis_concentration_new(harm, n, &c, err);
  if (st == HARM_OK) {
    *gini = c->gini;
    harm_analysis_concentration_free(c);
  }
  return st;
}

harm_status harm_analysis_lorenz(const double *harm, size_t n, size_t n_points,
                                 double *share, harm_error *err) {
  if (!share || n_points < 2) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "the Lorenz curve needs at least 2 points");
  }
  harm_analysis_concentration *c;
  harm_status st = harm_analysis_concentration_new(harm, n, &c, err);
  if (st == HARM_OK) {
    for (size_t k = 0; k < n_points; k++) {
      share[k] = lorenz_at(c, k, n_points - 1);
    }
    share[n_points - 1] = 1.0;
    harm_analysis_concentration_free(c);
  }
  return st;
}

harm_status harm_analysis_power_few(const double *harm, size_t n,
                                    harm_power_few *out, harm_error *err) {
  if (!out) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  harm_analysis_concentration *c;
  harm_status st = harm_analysis_concentration_new(harm, n, &c, err);
  if (st == HARM_OK) {
    *out = c->pf;
    harm_analysis_concentration_free(c);
  }
  return st;
}
