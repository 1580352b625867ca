/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/rank/rank.c: the total ranking order of DESIGN.md §4. */
#include "harmrank/rank.h"

#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

struct harm_ranking {
  const harm_scores *s;
  size_t *order; /* order[r - 1] = score index at rank r */
  size_t *rank;  /* rank[i] = rank of score index i */
  size_t n;
};

int harm_rank_compare(const harm_scores *s, const harm_score *a,
                      const harm_score *b) {
  (void)s;
  if (a->harm != b->harm) {
    return a->harm > b->harm ? -1 : 1;
  }
  if (a->facts.last != b->facts.last) {
    return a->facts.last > b->facts.last ? -1 : 1;
  }
  if (a->facts.offences != b->facts.offences) {
    return a->facts.offences > b->facts.offences ? -1 : 1;
  }
  /* Subjects are numbered in ascending bytewise id order, so comparing
   * indices compares ids. */
  return a->subject < b->subject ? -1 : a->subject > b->subject;
}

static int cmp_index(const void *pa, const void *pb, void *ctx) {
  const harm_scores *s = ctx;
  return harm_rank_compare(s, harm_scores_at(s, *(const size_t *)pa),
                           harm_scores_at(s, *(const size_t *)pb));
}

harm_status harm_rank_compute(const harm_scores *s, harm_ranking **out,
                              harm_error *err) {
  *out = NULL;
  if (!s) {
    return harm__fail(err, HARM_ERR_USAGE, "rank", NULL, 0, NULL,
                      "NULL scores");
  }
  size_t n = harm_scores_count(s);
  harm_ranking *r = harm__calloc(1, sizeof *r);
  if (r) {
    r->order = harm__malloc((n + 1) * sizeof *r->order);
    r->rank = harm__malloc((n + 1) * sizeof *r->rank);
  }
  if (!r || !r->order || !r->rank) {
    harm_ranking_free(r);
    return harm__fail(err, HARM_ERR_NOMEM, "rank", NULL, 0, NULL,
                      "out of memory");
  }
  r->s = s;
  r->n = n;
  for (size_t i = 0; i < n; i++) {
    r->order[i] = i;
  }
  if (!harm__sort(r->order, n, sizeof *r->order, cmp_index, (void *)s)) {
    harm_ranking_free(r);
    return harm__fail(err, HARM_ERR_NOMEM, "rank", NULL, 0, NULL,
                      "out of memory");
  }
  for (size_t k = 0; k < n; k++) {
    r->rank[r->order[k]] = k + 1;
  }
  *out = r;
  return HARM_OK;
}

void harm_ranking_free(harm_ranking *r) {
  if (!r) {
    return;
  }
  harm__free(r->order);
  harm__free(r->rank);
  harm__free(r);
}

size_t harm_ranking_count(const harm_ranking *r) { return r->n; }

const harm_score *harm_ranking_at(const harm_ranking *r, size_t rank) {
  if (rank < 1 || rank > r->n) {
    return NULL;
  }
  return harm_scores_at(r->s, r->order[rank - 1]);
}

size_t harm_ranking_rank_of(const harm_ranking *r, size_t i) {
  return i < r->n ? r->rank[i] : 0;
}

const harm_scores *harm_ranking_scores(const harm_ranking *r) { return r->s; }
