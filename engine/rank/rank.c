/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/rank/rank.c: the total ranking order of DESIGN.md §4. */
#include "harmrank/rank.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "score/matrix.h"

struct harm_ranking {
  const harm_scores *s;
  uint32_t *order; /* order[r - 1] = score index at rank r */
  uint32_t *rank;  /* rank[i] = rank of score index i (every score), or
                      NULL for a top ranking found by selection */
  uint32_t *held;  /* a top ranking's 0-based ranks 0..n-1 in the order of
                      their score indices (rank_of's binary search), or
                      NULL */
  size_t n;        /* ranks held: every score (at most UINT32_MAX - 1,
                      checked in compute), or the first n of a top
                      ranking */
};

int harm_rank_key_compare(const harm_rank_key *a, const harm_rank_key *b) {
  if (a->harm != b->harm) {
    return a->harm > b->harm ? -1 : 1;
  }
  if (a->last != b->last) {
    return a->last > b->last ? -1 : 1;
  }
  if (a->offences != b->offences) {
    return a->offences > b->offences ? -1 : 1;
  }
  /* Subjects are numbered in ascending bytewise id order, so comparing
   * indices compares ids. */
  return a->subject < b->subject ? -1 : a->subject > b->subject;
}

int harm_rank_compare(const harm_scores *s, const harm_score *a,
                      const harm_score *b) {
  if (a->harm != b->harm) {
    return a->harm > b->harm ? -1 : 1; /* the facts only break ties */
  }
  harm_subject_facts fa = harm_score_facts(s, a), fb = harm_score_facts(s, b);
  harm_rank_key ka = {a->harm, fa.last, fa.offences, a->subject};
  harm_rank_key kb = {b->harm, fb.last, fb.offences, b->subject};
  return harm_rank_key_compare(&ka, &kb);
}

/* Keys for the stable radix passes; smaller keys rank first. The second
 * and third keys of the order (later last offence, more offences) share
 * one 64-bit key, so they take one sort. */
static uint64_t date_offences_key(const harm_subject_facts *f) {
  uint64_t later = UINT32_MAX - (uint32_t)((int64_t)f->last - INT32_MIN);
  return later << 32 | (uint64_t)(UINT32_MAX - f->offences);
}

static uint64_t harm_key(const harm_score *sc) {
  /* More harm first: harm >= 0, so its IEEE bits order it. */
  uint64_t bits;
  memcpy(&bits, &sc->harm, sizeof bits);
  return ~bits;
}

/* One thread's share of the ranking's linear passes: indices [i0, i1). */
typedef struct rank_job {
  const harm_scores *s;
  const double *key;
  uint32_t *idx;
  uint64_t *keys, *hk;
  uint32_t *rank;
  size_t i0, i1;
  int step;
} rank_job;

static int rank_step(void *arg) {
  rank_job *j = arg;
  switch (j->step) {
  case 0: /* both keys, read in score order (sequentially; the facts in
             subject order, which is the same) */
    for (size_t i = j->i0; i < j->i1; i++) {
      const harm_score *sc = harm_scores_at(j->s, i);
      harm_subject_facts f = harm_score_facts(j->s, sc);
      j->idx[i] = (uint32_t)i;
      j->keys[i] = date_offences_key(&f);
      j->hk[i] = harm_key(sc);
    }
    break;
  case 1: /* the harm keys, gathered in the order so far */
    for (size_t i = j->i0; i < j->i1; i++) {
      j->keys[i] = j->hk[j->idx[i]];
    }
    break;
  case 2: /* the model's key: key >= 0, so its IEEE bits order it */
    for (size_t i = j->i0; i < j->i1; i++) {
      uint64_t bits;
      memcpy(&bits, &j->key[j->idx[i]], sizeof bits);
      j->keys[i] = ~bits;
    }
    break;
  default: /* the order's inverse: distinct slots per index */
    for (size_t i = j->i0; i < j->i1; i++) {
      j->rank[j->idx[i]] = (uint32_t)(i + 1);
    }
    break;
  }
  return 0;
}

static void rank_pass(rank_job *jobs, unsigned T, int step) {
  for (unsigned t = 0; t < T; t++) {
    jobs[t].step = step;
  }
  harm__par_run(rank_step, jobs, sizeof *jobs, T);
}

/* The ranking, ordered first by key[] (descending) when key is given. */
static harm_status compute(const harm_scores *s, const double *key,
                           harm_ranking **out, harm_error *err) {
  *out = NULL;
  if (!s) {
    return harm__fail(err, HARM_ERR_USAGE, "rank", NULL, 0, NULL,
                      "NULL scores");
  }
  for (size_t i = 0; key && i < harm_scores_count(s); i++) {
    if (!(key[i] >= 0) || key[i] > 1e300) {
      return harm__fail(err, HARM_ERR_USAGE, "rank", NULL, 0, NULL,
                        "ranking key %zu is negative or not finite", i);
    }
  }
  size_t n = harm_scores_count(s);
  if (n >= UINT32_MAX) {
    return harm__fail(err, HARM_ERR_LIMIT, "rank", NULL, 0, NULL,
                      "%zu subjects: a ranking holds at most %" PRIu32, n,
                      UINT32_MAX - 1);
  }
  harm_ranking *r = harm__calloc(1, sizeof *r);
  if (r) {
    /* The sorts' values are the order itself. */
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
  /* Scores come in subject order, which is id order, the last key. LSD
   * radix sorts, each stable, on the keys from least to most significant
   * give the total order of harm_rank_compare in O(n). The linear passes
   * and the sorts run on the aggregate's threads over fixed index
   * slices; a stable sort's result is unique, so the order is the same
   * at any thread count. */
  const harm_matrix *m = harm_scores_matrix(s);
  unsigned threads = m ? m->threads : 1;
  unsigned T = harm__par_threads(threads, n);
  uint32_t *idx = r->order;
  /* From the matrix's spare pages where it has them. The sorts' scratch:
   * the first sort's keys get their own; the later ones reuse hk, which
   * is read no more once its keys are gathered. */
  uint64_t *keys = harm__matrix_alloc(m, (n + 1) * sizeof *keys);
  uint64_t *hk = harm__matrix_alloc(m, (n + 1) * sizeof *hk);
  uint64_t *kbuf = harm__matrix_alloc(m, (n + 1) * sizeof *kbuf);
  uint32_t *vbuf = harm__matrix_alloc(m, (n + 1) * sizeof *vbuf);
  bool ok = keys && hk && kbuf && vbuf;
  rank_job jobs[HARM__PAR_MAX];
  for (unsigned t = 0; t < T; t++) {
    jobs[t] = (rank_job){.s = s,
                         .key = key,
                         .idx = idx,
                         .keys = keys,
                         .hk = hk,
                         .rank = r->rank,
                         .i0 = n * t / T,
                         .i1 = n * (t + 1) / T};
  }
  if (ok) {
    rank_pass(jobs, T, 0);
  }
  ok = ok && harm__radix_order_buf(keys, idx, n, threads, kbuf, vbuf);
  if (ok) {
    rank_pass(jobs, T, 1);
  }
  harm__free(kbuf);
  kbuf = NULL;
  ok = ok && harm__radix_order_buf(keys, idx, n, threads, hk, vbuf);
  /* The model's key last, most significant: a stable pass keeps the
   * harm order among equal keys. */
  if (ok && key) {
    rank_pass(jobs, T, 2);
    ok = harm__radix_order_buf(keys, idx, n, threads, hk, vbuf);
  }
  if (ok) {
    rank_pass(jobs, T, 3);
  }
  harm__free(keys);
  harm__free(hk);
  harm__free(kbuf);
  harm__free(vbuf);
  if (!ok) {
    harm_ranking_free(r);
    return harm__fail(err, HARM_ERR_NOMEM, "rank", NULL, 0, NULL,
                      "out of memory");
  }
  *out = r;
  return HARM_OK;
}

harm_status harm_rank_compute(const harm_scores *s, harm_ranking **out,
                              harm_error *err) {
  return compute(s, NULL, out, err);
}

/* ---- The first k ranks only ------------------------------------------
 * A list of the top k (scores.csv with [output] top) needs k ranks, not
 * n: each thread keeps the k best of its slice of the scores in a heap
 * whose root is the lowest of them, and the T * k candidates are sorted
 * by the same comparison. The order is total (the subject breaks every
 * tie), so the k best are one set whatever the slices, and the result is
 * the first k of harm_rank_compute's order at any thread count. */

/* Beyond this many ranks (or n / harm__top_select_div, a sixteenth of
 * the scores) the whole ranking is computed and cut: the heaps would
 * cost more than the sorts. */
enum { TOP_SELECT_MAX = 1 << 16 };
size_t harm__top_select_div = 16;

static int cmp_index(const harm_scores *s, uint32_t a, uint32_t b) {
  return harm_rank_compare(s, harm_scores_at(s, a), harm_scores_at(s, b));
}

typedef struct top_job {
  const harm_scores *s;
  size_t i0, i1, k;
  uint32_t *heap; /* k slots; the root ranks lowest */
  size_t n;
} top_job;

static void heap_down(const harm_scores *s, uint32_t *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, low = i;
    if (l < n && cmp_index(s, h[l], h[low]) > 0) {
      low = l;
    }
    if (l + 1 < n && cmp_index(s, h[l + 1], h[low]) > 0) {
      low = l + 1;
    }
    if (low == i) {
      return;
    }
    uint32_t t = h[i];
    h[i] = h[low];
    h[low] = t;
    i = low;
  }
}

static int top_select(void *arg) {
  top_job *j = arg;
  uint32_t *h = j->heap;
  for (size_t i = j->i0; i < j->i1; i++) {
    if (j->n < j->k) {
      /* Sift up the new leaf. */
      size_t c = j->n++;
      h[c] = (uint32_t)i;
      while (c && cmp_index(j->s, h[(c - 1) / 2], h[c]) < 0) {
        uint32_t t = h[c];
        h[c] = h[(c - 1) / 2];
        h[(c - 1) / 2] = t;
        c = (c - 1) / 2;
      }
    } else if (cmp_index(j->s, (uint32_t)i, h[0]) < 0) {
      h[0] = (uint32_t)i;
      heap_down(j->s, h, j->n, 0);
    }
  }
  return 0;
}

static int cmp_candidates(const void *a, const void *b, void *ctx) {
  return cmp_index(ctx, *(const uint32_t *)a, *(const uint32_t *)b);
}

static int cmp_held(const void *a, const void *b, void *ctx) {
  const uint32_t *order = ctx;
  uint32_t x = order[*(const uint32_t *)a], y = order[*(const uint32_t *)b];
  return x < y ? -1 : x > y;
}

harm_status harm_rank_compute_top(const harm_scores *s, size_t k,
                                  harm_ranking **out, harm_error *err) {
  *out = NULL;
  size_t n = s ? harm_scores_count(s) : 0;
  if (!s || k == 0 || k >= n || k > TOP_SELECT_MAX ||
      k > n / harm__top_select_div) {
    harm_status st = compute(s, NULL, out, err);
    if (st == HARM_OK && k && k < n) {
      (*out)->n = k; /* ranks past k are not held */
    }
    return st;
  }
  const harm_matrix *m = harm_scores_matrix(s);
  unsigned T = harm__par_threads(m ? m->threads : 1, n);
  harm_ranking *r = harm__calloc(1, sizeof *r);
  uint32_t *cand = harm__malloc((T * k + 1) * sizeof *cand);
  bool ok = r && cand;
  if (ok) {
    top_job jobs[HARM__PAR_MAX];
    for (unsigned t = 0; t < T; t++) {
      jobs[t] = (top_job){.s = s,
                          .i0 = n * t / T,
                          .i1 = n * (t + 1) / T,
                          .k = k,
                          .heap = cand + (size_t)t * k};
    }
    harm__par_run(top_select, jobs, sizeof *jobs, T);
    /* The heaps' candidates, packed, then sorted. */
    size_t c = 0;
    for (unsigned t = 0; t < T; t++) {
      memmove(cand + c, jobs[t].heap, jobs[t].n * sizeof *cand);
      c += jobs[t].n;
    }
    ok = harm__sort(cand, c, sizeof *cand, cmp_candidates, (void *)s);
  }
  /* The ranks held by score index, for rank_of. */
  uint32_t *held = ok ? harm__malloc((k + 1) * sizeof *held) : NULL;
  ok = ok && held;
  for (size_t q = 0; ok && q < k; q++) {
    held[q] = (uint32_t)q;
  }
  ok = ok && harm__sort(held, k, sizeof *held, cmp_held, cand);
  if (!ok) {
    harm__free(held);
    harm__free(cand);
    harm__free(r);
    return harm__fail(err, HARM_ERR_NOMEM, "rank", NULL, 0, NULL,
                      "out of memory");
  }
  r->s = s;
  r->n = k;
  r->order = cand; /* its first k are the ranks held */
  r->held = held;
  *out = r;
  return HARM_OK;
}

harm_status harm_rank_compute_by(const harm_scores *s, const double *key,
                                 harm_ranking **out, harm_error *err) {
  if (!key) {
    *out = NULL;
    return harm__fail(err, HARM_ERR_USAGE, "rank", NULL, 0, NULL, "NULL key");
  }
  return compute(s, key, out, err);
}

void harm_ranking_free(harm_ranking *r) {
  if (!r) {
    return;
  }
  harm__free(r->order);
  harm__free(r->rank);
  harm__free(r->held);
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
  if (r->rank) {
    return i < harm_scores_count(r->s) && r->rank[i] <= r->n ? r->rank[i] : 0;
  }
  /* A top ranking: its ranks by score index, binary searched. */
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint32_t at = r->order[r->held[mid]];
    if (at == i) {
      return (size_t)r->held[mid] + 1;
    }
    if (at < i) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return 0;
}

bool harm_ranking_is_whole(const harm_ranking *r) {
  return r->n == harm_scores_count(r->s);
}

const harm_scores *harm_ranking_scores(const harm_ranking *r) { return r->s; }

size_t harm_ranking_index(const harm_ranking *r, size_t rank) {
  return rank >= 1 && rank <= r->n ? r->order[rank - 1] : (size_t)-1;
}
