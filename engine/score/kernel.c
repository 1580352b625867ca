/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/kernel.c: the per-offence rule (weight, cap, transform,
 * decay, split) and the fixed-point harm that totals are summed in. */
#include <math.h>

#include "score/kernel.h"

double harm__offence_base(double days, const harm_score_opts *o) {
  if (o->cap > 0 && days > o->cap) {
    days = o->cap;
  }
  switch (o->transform) {
  case HARM_TRANSFORM_SQRT:
    return sqrt(days);
  case HARM_TRANSFORM_LOG1P:
    return log1p(days);
  case HARM_TRANSFORM_NONE:
  default:
    return days;
  }
}

double harm__offence_factor(int64_t age_days, double half_life_days,
                            uint32_t n_offenders) {
  double decay =
      half_life_days > 0 ? pow(0.5, (double)age_days / half_life_days) : 1.0;
  return n_offenders > 1 ? decay / (double)n_offenders : decay;
}

int64_t harm__offence_units(double base, double factor) {
  /* Weights are bounded by the loader and factors are at most 1, so one
   * offence is far inside int64 (1e5 days is 1e11 units). */
  return llround(base * factor * (double)HARM_UNITS_PER_DAY);
}
