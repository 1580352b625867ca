/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/rank.h: the total, deterministic ranking of scored
 * subjects. */
#ifndef HARMRANK_RANK_H
#define HARMRANK_RANK_H

#include <stddef.h>

#include "score.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the ranking orders by, for code that ranks harms it computed
 * itself (sweeps over perturbed weights). */
typedef struct harm_rank_key {
  double harm;       /* days */
  harm_date last;    /* last offence date */
  uint32_t offences; /* scored offences */
  size_t subject;    /* dataset subject index (subjects are numbered in
                        ascending bytewise id order) */
} harm_rank_key;

/* The ranking's total order (DESIGN.md section 4), the one rule every
 * ranking in harmrank uses: harm descending, then last offence date
 * descending, then offences descending, then subject id ascending
 * (bytewise). Negative when a ranks above b, positive when below, 0 only
 * for the same subject. */
int harm_rank_key_compare(const harm_rank_key *a, const harm_rank_key *b);

/* A ranking of scores. Opaque. */
typedef struct harm_ranking harm_ranking;

/* Ranks every scored subject: harm descending, then last offence date
 * descending, then offences descending, then subject id ascending
 * (bytewise). Ranks are 1..n with no shared ranks.
 * Returns HARM_OK or HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_ranking_free); it borrows s, which must
 * outlive it.
 * Determinism: the order is total, so it never depends on sort stability,
 * thread count or input order. */
harm_status harm_rank_compute(const harm_scores *s, harm_ranking **out,
                              harm_error *err);

/* As harm_rank_compute, ordered first by key[i] (per score index,
 * descending; e.g. an RFGV total), then by the ranking's own order.
 * Returns HARM_OK, HARM_ERR_USAGE (a key negative or not finite),
 * HARM_ERR_NOMEM. Ownership and determinism as harm_rank_compute; the
 * keys are read during the call only. */
harm_status harm_rank_compute_by(const harm_scores *s, const double *key,
                                 harm_ranking **out, harm_error *err);

/* The first k ranks of harm_rank_compute's order, and only them: what a
 * list of the top k needs (scores.csv with [output] top = k), without
 * ordering every subject. k = 0, or k at least the number of scores,
 * ranks them all. The ranks held are exactly those harm_rank_compute
 * gives, at any thread count. harm_ranking_count gives min(k, n);
 * harm_ranking_rank_of gives 0 for a score outside the first k. Code that
 * needs every rank (a cohort, a comparison of two rankings) refuses a
 * ranking that is not whole (harm_ranking_is_whole).
 * Returns HARM_OK, HARM_ERR_USAGE (NULL scores), HARM_ERR_LIMIT (as
 * harm_rank_compute) or HARM_ERR_NOMEM. Ownership as harm_rank_compute
 * (*out is NULL on failure). */
harm_status harm_rank_compute_top(const harm_scores *s, size_t k,
                                  harm_ranking **out, harm_error *err);

/* Frees a ranking; NULL is a no-op. */
void harm_ranking_free(harm_ranking *r);

/* Number of ranks held: harm_scores_count, or fewer for a ranking of
 * the first k (harm_rank_compute_top). */
size_t harm_ranking_count(const harm_ranking *r);

/* Whether the ranking holds every score's rank. */
bool harm_ranking_is_whole(const harm_ranking *r);

/* The scores that were ranked (borrowed). */
const harm_scores *harm_ranking_scores(const harm_ranking *r);

/* The score at rank `rank` (1-based). NULL when out of range. */
const harm_score *harm_ranking_at(const harm_ranking *r, size_t rank);

/* Index (for harm_scores_at) of the score at rank `rank` (1-based);
 * (size_t)-1 when out of range. */
size_t harm_ranking_index(const harm_ranking *r, size_t rank);

/* The 1-based rank of the score at index i of harm_scores_at; 0 when out
 * of range or outside the ranks held. */
size_t harm_ranking_rank_of(const harm_ranking *r, size_t i);

/* The comparison the ranking uses: negative when a ranks above b. Both
 * must come from s (not NULL): equal harms are told apart by their
 * subjects' facts, read through s (harm_score_facts). */
int harm_rank_compare(const harm_scores *s, const harm_score *a,
                      const harm_score *b);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_RANK_H */
