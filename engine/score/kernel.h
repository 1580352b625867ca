/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/kernel.h: the one per-offence rule. Every place that turns
 * an offence into harm (the aggregate, scoring, many-vector sweeps,
 * explain, breakdowns, the workbook) calls these and nothing else, so a
 * score is always the exact sum of the offence harms it is explained by.
 * Not installed. */
#ifndef HARMRANK_SCORE_KERNEL_H
#define HARMRANK_SCORE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "harmrank/score.h"

/* Base harm of one offence under a table weight: transform(min(days,
 * cap)) (README "How a score is made", steps 1-2). */
double harm__offence_base(double days, const harm_score_opts *o);

/* An offence's factor: decay 0.5^(age_days / half_life) (1 when
 * half_life_days is 0) divided by the number of distinct offenders on the
 * offence id under split attribution (pass 1 otherwise). */
double harm__offence_factor(int64_t age_days, double half_life_days,
                            uint32_t n_offenders);

/* An offence's harm in fixed point: base x factor rounded to the nearest
 * HARM_UNITS_PER_DAY-th of a day (halves away from zero). Totals are sums
 * of these integers, so they do not depend on order or grouping. */
int64_t harm__offence_units(double base, double factor);

/* count x units, added to *acc; false on 64-bit overflow (the caller
 * reports HARM_ERR_LIMIT). Inline: the scores call it once per entry. */
static inline bool harm__units_add(int64_t *acc, uint32_t count,
                                   int64_t units) {
  int64_t part;
  if (__builtin_mul_overflow((int64_t)count, units, &part)) {
    return false;
  }
  return !__builtin_add_overflow(*acc, part, acc);
}

/* Days of a fixed-point harm. Exact for totals below 2^53 units. */
static inline double harm__units_days(int64_t units) {
  return (double)units / (double)HARM_UNITS_PER_DAY;
}

#endif /* HARMRANK_SCORE_KERNEL_H */
