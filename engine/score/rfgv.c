/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/rfgv.c: the Recency-Frequency-Gravity-Victims model
 * (MATAC practice; bands are harmrank's documented defaults, not an
 * official matrix). Gravity bands come from harm quintiles of the scored
 * population, computed with GSL. */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "core/internal.h"
#include "harmrank/score.h"

/* Average Gregorian month in days (365.2425 / 12 rounded to the
 * 365.25-day Julian year used by most force spreadsheets: 30.4375). */
#define DAYS_PER_MONTH 30.4375

harm_status harm_rfgv_cuts(const harm_scores *s, double cuts[4],
                           harm_error *err) {
  size_t n = harm_scores_count(s);
  for (int k = 0; k < 4; k++) {
    cuts[k] = 0;
  }
  if (n == 0) {
    return HARM_OK;
  }
  double *h = harm__malloc(n * sizeof *h);
  if (!h) {
    return harm__fail(err, HARM_ERR_NOMEM, "cohort", NULL, 0, NULL,
                      "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    h[i] = harm_scores_at(s, i)->harm;
  }
  gsl_sort(h, 1, n);
  for (int k = 0; k < 4; k++) {
    cuts[k] = gsl_stats_quantile_from_sorted_data(h, 1, n, 0.2 * (k + 1));
  }
  harm__free(h);
  return HARM_OK;
}

harm_rfgv harm_rfgv_of(const harm_score *sc, harm_subject_facts f,
                       const harm_rfgv_bands *b, const double cuts[4],
                       harm_date as_of) {
  harm_rfgv out = {0, 0, 0, 0, 0};
  double months = (double)((int64_t)as_of - f.last) / DAYS_PER_MONTH;
  int band = 0;
  while (band < 5 && months >= b->recency_months[band]) {
    band++;
  }
  out.r = b->recency_points[band];
  for (int k = 4; k >= 0; k--) {
    if (f.offences >= b->frequency_min[k]) {
      out.f = b->frequency_points[k];
      break;
    }
  }
  for (int k = 2; k >= 0; k--) {
    if (f.victims >= b->victims_min[k]) {
      out.v = b->victims_points[k];
      break;
    }
  }
  /* Quintile q (0..4) = number of cut points the harm exceeds. */
  int q = 0;
  while (q < 4 && sc->harm > cuts[q]) {
    q++;
  }
  out.g = b->gravity_points[q];
  out.total = b->weight_r * out.r + b->weight_f * out.f + b->weight_g * out.g +
              b->weight_v * out.v;
  return out;
}

harm_status harm_rfgv_compute(const harm_scores *s, const harm_rfgv_bands *b,
                              harm_date as_of, harm_rfgv **out,
                              harm_error *err) {
  *out = NULL;
  size_t n = harm_scores_count(s);
  double cuts[4];
  harm_status st = harm_rfgv_cuts(s, cuts, err);
  if (st != HARM_OK) {
    return st;
  }
  harm_rfgv *r = harm__calloc(n + 1, sizeof *r);
  if (!r) {
    return harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                      "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    const harm_score *sc = harm_scores_at(s, i);
    r[i] = harm_rfgv_of(sc, harm_score_facts(s, sc), b, cuts, as_of);
  }
  *out = r;
  return HARM_OK;
}
