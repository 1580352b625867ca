/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_tail_threads.c: the parallel paths after the reader
 * (the aggregate's scatter and bucket sort, the scores, the ranking's
 * passes and its parallel radix sort) give the same result at any thread
 * count. harm__par_min is lowered so that they run on test-sized data;
 * the ranking is also checked against a plain sort by harm_rank_compare. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

#include "core/internal.h"
#include "core/strpool.h"

static uint64_t state = 20261202;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Key shapes for the radix sorts: random bits under a mask (0-3), ids
 * of a fixed shape as sort keys ("N" and seven digits, big-endian: seven
 * bytes of ten values, which the parallel sort packs into 28 bits), and
 * three values in every byte (16 bits packed). */
static uint64_t shaped_key(size_t shape) {
  static const uint64_t masks[] = {0xffffffffffffffffu, 0x00ff00000000ff0fu,
                                   0x7u, 0};
  if (shape < 4) {
    return next() & masks[shape];
  }
  uint64_t k = shape == 4 ? (uint64_t)'N' : 0;
  for (int b = 0; b < (shape == 4 ? 7 : 8); b++) {
    k = k << 8 | (shape == 4 ? (uint64_t)('0' + next() % 10)
                             : (uint64_t)(0x10 * (1 + next() % 3)));
  }
  return k;
}

/* The parallel radix sort, and its order-only form, against the
 * one-thread sort: keys with few distinct values (stability shows), bytes
 * that never vary, packed and plain passes, sizes below and above the
 * thread count. */
Test(tail, radix_sort_mt_is_the_serial_sort) {
  harm__par_min = 1;
  static const size_t sizes[] = {0, 1, 2, 3, 7, 100, 4099, 70000};
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    for (size_t mi = 0; mi < 6; mi++) {
      size_t n = sizes[si];
      uint64_t *k0 = malloc((n + 1) * sizeof *k0);
      uint32_t *v0 = malloc((n + 1) * sizeof *v0);
      for (size_t i = 0; i < n; i++) {
        k0[i] = shaped_key(mi);
        v0[i] = (uint32_t)i;
      }
      uint64_t *k1 = malloc((n + 1) * sizeof *k1);
      uint32_t *v1 = malloc((n + 1) * sizeof *v1);
      memcpy(k1, k0, n * sizeof *k1);
      memcpy(v1, v0, n * sizeof *v1);
      cr_assert(harm__radix_sort(k1, v1, n));
      for (size_t i = 1; i < n; i++) {
        cr_assert(k1[i - 1] < k1[i] ||
                      (k1[i - 1] == k1[i] && v1[i - 1] < v1[i]),
                  "serial sort not stable at %zu", i);
      }
      for (unsigned t = 1; t <= 5; t++) {
        uint64_t *k2 = malloc((n + 1) * sizeof *k2);
        uint32_t *v2 = malloc((n + 1) * sizeof *v2);
        memcpy(k2, k0, n * sizeof *k2);
        memcpy(v2, v0, n * sizeof *v2);
        cr_assert(harm__radix_sort_mt(k2, v2, n, t));
        cr_assert(memcmp(k1, k2, n * sizeof *k1) == 0, "n %zu, %u threads", n,
                  t);
        cr_assert(memcmp(v1, v2, n * sizeof *v1) == 0, "n %zu, %u threads", n,
                  t);
        /* The order alone (keys not rebuilt): the same values' order. */
        memcpy(k2, k0, n * sizeof *k2);
        memcpy(v2, v0, n * sizeof *v2);
        cr_assert(harm__radix_order_mt(k2, v2, n, t));
        cr_assert(memcmp(v1, v2, n * sizeof *v1) == 0,
                  "order only: n %zu, %u threads", n, t);
        /* The order with the caller's scratch, which holds garbage. */
        uint64_t *kb = malloc((n + 1) * sizeof *kb);
        uint32_t *vb = malloc((n + 1) * sizeof *vb);
        memset(kb, 0xa5, (n + 1) * sizeof *kb);
        memset(vb, 0x5a, (n + 1) * sizeof *vb);
        memcpy(k2, k0, n * sizeof *k2);
        memcpy(v2, v0, n * sizeof *v2);
        cr_assert(harm__radix_order_buf(k2, v2, n, t, kb, vb));
        cr_assert(memcmp(v1, v2, n * sizeof *v1) == 0,
                  "order with scratch: n %zu, %u threads", n, t);
        cr_assert_not(harm__radix_order_buf(k2, v2, n, t, NULL, vb));
        free(kb);
        free(vb);
        free(k2);
        free(v2);
      }
      free(k0);
      free(v0);
      free(k1);
      free(v1);
    }
  }
}

/* A pair (hi, lo) with its index, for the slow references below (a
 * single key is hi, with lo 0). */
typedef struct pair_ref {
  uint64_t hi, lo;
  uint32_t v;
} pair_ref;

static int cmp_pair_ref(const void *pa, const void *pb) {
  const pair_ref *a = pa, *b = pb;
  if (a->hi != b->hi) {
    return a->hi < b->hi ? -1 : 1;
  }
  if (a->lo != b->lo) {
    return a->lo < b->lo ? -1 : 1;
  }
  return a->v < b->v ? -1 : a->v > b->v; /* stable: by first position */
}

/* One case of the index sorts' tests: n keys of one shape, their
 * reference order (qsort of (key, position)), and the arrays a sort
 * takes, refilled before each run: the keys, and garbage in the order
 * and the two scratch arrays. */
typedef struct index_case {
  size_t n;
  uint64_t *k0, *k, *kb;
  uint32_t *ord, *vb;
  pair_ref *ref;
} index_case;

static index_case index_case_new(size_t n, size_t shape) {
  index_case c = {.n = n,
                  .k0 = malloc((n + 1) * sizeof *c.k0),
                  .k = malloc((n + 1) * sizeof *c.k),
                  .kb = malloc((n + 1) * sizeof *c.kb),
                  .ord = malloc((n + 1) * sizeof *c.ord),
                  .vb = malloc((n + 1) * sizeof *c.vb),
                  .ref = malloc((n + 1) * sizeof *c.ref)};
  for (size_t i = 0; i < n; i++) {
    c.k0[i] = shaped_key(shape);
    c.ref[i] = (pair_ref){c.k0[i], 0, (uint32_t)i};
  }
  qsort(c.ref, n, sizeof *c.ref, cmp_pair_ref);
  return c;
}

static void index_case_reset(index_case *c) {
  memcpy(c->k, c->k0, c->n * sizeof *c->k);
  memset(c->ord, 0xee, (c->n + 1) * sizeof *c->ord);
  memset(c->kb, 0xa5, (c->n + 1) * sizeof *c->kb);
  memset(c->vb, 0x5a, (c->n + 1) * sizeof *c->vb);
}

/* Whether the sort left the keys and order as the reference has them. */
static bool index_case_sorted(const index_case *c) {
  for (size_t r = 0; r < c->n; r++) {
    if (c->k[r] != c->ref[r].hi || c->ord[r] != c->ref[r].v) {
      return false;
    }
  }
  return true;
}

static void index_case_free(index_case *c) {
  free(c->k0);
  free(c->k);
  free(c->kb);
  free(c->ord);
  free(c->vb);
  free(c->ref);
}

static const size_t index_sizes[] = {0, 1, 2, 3, 100, 4099, 70000};

/* harm__radix_sort_index (the order written, not read) against qsort of
 * (key, position), at 1 to 4 threads, with garbage in the order and the
 * scratch: every key shape. Wherever the varying bits and the position
 * fit 64 bits (every shape but the random one), packed or not (shapes
 * 1-3 save no pass by packing; shape 3 has no varying bit at all), the
 * position rides in the keys' low bits and the value scratch is not
 * touched at all. (Criterion runs each test in a process of its own:
 * the knobs set here stay here.) */
Test(tail, radix_sort_index_is_the_sorted_reference) {
  harm__shed_step = 700; /* the scratch handed back as it is unpacked */
  for (size_t si = 0; si < sizeof index_sizes / sizeof *index_sizes; si++) {
    for (size_t shape = 0; shape < 6; shape++) {
      index_case c = index_case_new(index_sizes[si], shape);
      for (unsigned t = 1; t <= 4; t++) {
        harm__par_min = t == 1 ? SIZE_MAX : 1;
        index_case_reset(&c);
        cr_assert(harm__radix_sort_index(c.k, c.ord, c.n, t, c.kb, c.vb));
        cr_assert(index_case_sorted(&c), "n %zu, shape %zu, %u threads", c.n,
                  shape, t);
        bool vb_untouched = true;
        for (size_t i = 0; i < c.n; i++) {
          vb_untouched = vb_untouched && c.vb[i] == 0x5a5a5a5au;
        }
        if (shape >= 1 && c.n >= 2) {
          cr_assert(vb_untouched,
                    "shape %zu: the order was not carried in the keys", shape);
        }
      }
      index_case_free(&c);
    }
  }
}

/* harm__radix_sort_index_packed against the same reference: where the
 * index fits beside the keys' ranks (every shape but the random one) the
 * words are left packed, in the keys or the scratch, each giving back
 * its key and its first position, and neither the order nor the value
 * scratch is written; elsewhere keys and order are as
 * harm__radix_sort_index leaves them. */
Test(tail, radix_sort_index_packed_is_the_sorted_reference) {
  harm__shed_step = 700;
  for (size_t si = 0; si < sizeof index_sizes / sizeof *index_sizes; si++) {
    for (size_t shape = 0; shape < 6; shape++) {
      index_case c = index_case_new(index_sizes[si], shape);
      size_t n = c.n;
      for (unsigned t = 1; t <= 4; t++) {
        harm__par_min = t == 1 ? SIZE_MAX : 1;
        index_case_reset(&c);
        harm__radix_packed pk;
        cr_assert(
            harm__radix_sort_index_packed(c.k, c.ord, n, t, c.kb, c.vb, &pk));
        if (shape >= 1 && n >= 2) {
          cr_assert_not_null(pk.words, "n %zu, shape %zu: not packed", n,
                             shape);
        }
        if (pk.words) {
          cr_assert(pk.words == c.k || pk.words == c.kb);
          uint64_t low = ((uint64_t)1 << pk.ibits) - 1;
          for (size_t r = 0; r < n; r++) {
            cr_assert(harm__radix_packed_key(&pk, pk.words[r]) == c.ref[r].hi &&
                          (pk.words[r] & low) == c.ref[r].v,
                      "n %zu, shape %zu, %u threads: word %zu", n, shape, t, r);
          }
          for (size_t i = 0; i < n; i++) {
            cr_assert(c.ord[i] == 0xeeeeeeeeu && c.vb[i] == 0x5a5a5a5au,
                      "n %zu, shape %zu: order or value scratch written", n,
                      shape);
          }
        } else {
          cr_assert(index_case_sorted(&c), "n %zu, shape %zu, %u threads", n,
                    shape, t);
        }
        harm__radix_packed_free(&pk);
        cr_assert_null(pk.plan);
      }
      index_case_free(&c);
    }
  }
}

/* Pairs sorted as one packed 64-bit key (harm__radix_sort_pairs) against
 * qsort of (hi, lo, position): ids of 9-16 bytes whose varying bytes fit
 * 64 bits (digits in 8-13 positions, a constant prefix), and bytes that
 * vary too much to fit (then nothing moves and *done is false). */
Test(tail, radix_sort_pairs_is_the_sorted_reference) {
  harm__par_min = 1;
  harm__shed_step = 700; /* the passes and the unpack hand pages back */
  static const size_t sizes[] = {0, 1, 2, 5, 100, 4099, 20000, 70000};
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    for (int fits = 0; fits < 2; fits++) {
      size_t n = sizes[si];
      pair_ref *ref = malloc((n + 1) * sizeof *ref);
      for (size_t i = 0; i < n; i++) {
        /* "N" and 8-13 digits big-endian (fits: at most 13 x 4 bits), or
         * 16 bytes of 64 values each (96 bits). */
        char id[17] = {0};
        size_t len = fits ? 9 + next() % 5 : 16;
        id[0] = 'N';
        for (size_t b = 1; b < len; b++) {
          id[b] = fits ? (char)('0' + next() % 10) : (char)(' ' + next() % 64);
        }
        uint64_t hi = 0, lo = 0;
        for (int b = 0; b < 8; b++) {
          hi = hi << 8 | (unsigned char)id[b];
          lo = lo << 8 | (unsigned char)id[8 + b];
        }
        ref[i] = (pair_ref){hi, lo, (uint32_t)i};
        if (i % 7 == 6) {
          /* Repeated ids (many rows of one offender): equal pairs must
           * come out in index order. */
          size_t from = next() % i;
          ref[i].hi = ref[from].hi;
          ref[i].lo = ref[from].lo;
        }
      }
      for (unsigned t = 1; t <= 4; t++) {
        uint64_t *hi = malloc((n + 1) * sizeof *hi);
        uint64_t *lo = malloc((n + 1) * sizeof *lo);
        uint32_t *v = malloc((n + 1) * sizeof *v);
        uint64_t *kb = malloc((n + 1) * sizeof *kb);
        uint32_t *vb = malloc((n + 1) * sizeof *vb);
        for (size_t i = 0; i < n; i++) {
          hi[i] = ref[i].hi;
          lo[i] = ref[i].lo;
          v[i] = 0xA5A5A5A5u; /* the order is written, not read */
        }
        memset(kb, 0xa5, (n + 1) * sizeof *kb);
        memset(vb, 0x5a, (n + 1) * sizeof *vb);
        bool done = false;
        cr_assert(harm__radix_sort_pairs(hi, lo, v, n, t, kb, vb, &done));
        /* The digits' ranks take at most 12 x 4 bits: with the index
         * beside them in 64 bits, the index rides in the keys and the
         * value scratch is never touched. */
        unsigned ibits = 1;
        while (((size_t)1 << ibits) < n) {
          ibits++;
        }
        bool untouched = true;
        for (size_t i = 0; i < n; i++) {
          untouched = untouched && vb[i] == 0x5a5a5a5au;
        }
        if (fits && n >= 2 && 48 + ibits <= 64) {
          cr_assert(untouched, "n %zu: the order was not carried in the keys",
                    n);
        }
        /* (A few pairs fit whatever their bytes: 1 bit a position.) */
        if (n >= 4099 || (fits && n >= 2)) {
          cr_assert_eq(done, fits == 1, "n %zu: packed only when it fits", n);
        }
        if (!done) {
          for (size_t i = 0; i < n; i++) {
            cr_assert(hi[i] == ref[i].hi && lo[i] == ref[i].lo &&
                          v[i] == 0xA5A5A5A5u,
                      "n %zu: moved without sorting", n);
          }
        } else {
          pair_ref *want = malloc((n + 1) * sizeof *want);
          memcpy(want, ref, n * sizeof *want);
          qsort(want, n, sizeof *want, cmp_pair_ref);
          for (size_t i = 0; i < n; i++) {
            cr_assert(hi[i] == want[i].hi && lo[i] == want[i].lo &&
                          v[i] == want[i].v,
                      "n %zu, %u threads: position %zu", n, t, i);
          }
          /* The packed form, from the same pairs: where the index rides
           * in the words, each word gives back its pair and its first
           * position, and lo and the order are not written. */
          for (size_t i = 0; i < n; i++) {
            hi[i] = ref[i].hi;
            lo[i] = ref[i].lo;
            v[i] = 0xA5A5A5A5u;
          }
          harm__radix_packed pk;
          bool pdone = false;
          cr_assert(harm__radix_sort_pairs_packed(hi, lo, v, n, t, kb, vb,
                                                  &pdone, &pk));
          cr_assert(pdone);
          if (n >= 2 && 48 + ibits <= 64) {
            cr_assert_not_null(pk.words, "n %zu: not left packed", n);
          }
          uint64_t low = ((uint64_t)1 << pk.ibits) - 1;
          for (size_t i = 0; pk.words && i < n; i++) {
            uint64_t q = pk.words[i];
            cr_assert(harm__radix_packed_key(&pk, q) == want[i].hi &&
                          harm__radix_packed_key2(&pk, q) == want[i].lo &&
                          (q & low) == want[i].v,
                      "n %zu, %u threads: packed position %zu", n, t, i);
            cr_assert(lo[i] == ref[i].lo && v[i] == 0xA5A5A5A5u,
                      "n %zu: lo or the order written", n);
          }
          for (size_t i = 0; !pk.words && i < n; i++) {
            cr_assert(hi[i] == want[i].hi && lo[i] == want[i].lo &&
                          v[i] == want[i].v,
                      "n %zu, %u threads: position %zu", n, t, i);
          }
          harm__radix_packed_free(&pk);
          free(want);
        }
        free(hi);
        free(lo);
        free(v);
        free(kb);
        free(vb);
      }
      free(ref);
    }
  }
}

/* Few subjects and codes, so harms tie (equal harms must stay equal and
 * rank by the later keys), some rows repeated and some crimes shared. */
static char *make_csv(size_t rows, size_t *len) {
  size_t cap = rows * 64 + 128, n = 0;
  char *buf = malloc(cap);
  n += (size_t)snprintf(buf, cap,
                        "offence_id,offender_id,offence_code,offence_date,"
                        "victim_id,area\n");
  static const char *const codes[] = {"34B", "8N", "19C", "105A", "28E", "ZZ9"};
  for (size_t i = 0; i < rows; i++) {
    uint64_t crime = next() % (rows * 3 / 4);
    size_t at = n;
    n += (size_t)snprintf(
        buf + n, cap - n, "C%llu,N%llu,%s,2026-%02d-%02d,V%llu,A%d\n",
        (unsigned long long)crime, (unsigned long long)(next() % 700),
        codes[next() % 6], (int)(next() % 3) + 1, (int)(next() % 28) + 1,
        (unsigned long long)(next() % 900), (int)(next() % 5));
    if (next() % 8 == 0) { /* the same row again: a duplicate */
      size_t line = n - at;
      memcpy(buf + n, buf + at, line);
      n += line;
      i++;
    }
  }
  *len = n;
  return buf;
}

static const char weights[] =
    "offence_code,description,harm,category,proactive,source\n"
    "34B,Robbery,365,Robbery,0,anchor: t\n"
    "8N,Assault,10.25,Violence,0,estimate: t\n"
    "19C,Rape,1825,Rape,0,estimate: t\n"
    "105A,Common assault,1,Violence,0,estimate: t\n"
    "28E,Burglary,273.5,Burglary,1,estimate: t\n";

/* Everything a run derives after reading, at one thread count. */
typedef struct result {
  size_t n;
  harm_score *items;
  harm_subject_facts *facts; /* of each item */
  size_t *order, *order_by;
  harm_accounting acct;
  size_t nnz;
} result;

/* qsort's comparison has no context: the scores the items came from. */
static const harm_scores *ref_scores;

static int cmp_ref(const void *a, const void *b) {
  return harm_rank_compare(ref_scores, a, b);
}

static result run_at(const char *csv, size_t len, const harm_weights *w,
                     unsigned threads, double half_life, harm_attribution at) {
  harm_error err = HARM_ERROR_INIT;
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.threads = 1; /* the reader is tested elsewhere: same input here */
  io.lookback_days = 0;
  harm_dataset *ds = NULL;
  cr_assert_eq(harm_ingest_buffer("t.csv", csv, len, &io, &ds, &err), HARM_OK);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  mo.threads = threads;
  mo.half_life_days = half_life;
  mo.attribution = at;
  harm_matrix *m = NULL;
  cr_assert_eq(harm_matrix_build_release(ds, &mo, &m, &err), HARM_OK);
  harm_scores *s = NULL;
  cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
  harm_ranking *r = NULL, *rb = NULL;
  cr_assert_eq(harm_rank_compute(s, &r, &err), HARM_OK);
  result res = {.n = harm_scores_count(s),
                .acct = harm_matrix_accounting(m),
                .nnz = harm_matrix_nnz(m)};
  cr_assert_gt(res.n, 100);
  /* A model key with ties: harm rounded to whole hundreds of days. */
  double *key = malloc(res.n * sizeof *key);
  res.items = malloc(res.n * sizeof *res.items);
  res.facts = malloc(res.n * sizeof *res.facts);
  res.order = malloc(res.n * sizeof *res.order);
  res.order_by = malloc(res.n * sizeof *res.order_by);
  for (size_t i = 0; i < res.n; i++) {
    res.items[i] = *harm_scores_at(s, i);
    res.facts[i] = harm_score_facts(s, harm_scores_at(s, i));
    key[i] = (double)(int64_t)(res.items[i].harm / 100);
  }
  cr_assert_eq(harm_rank_compute_by(s, key, &rb, &err), HARM_OK);
  for (size_t k = 0; k < res.n; k++) {
    res.order[k] = harm_ranking_index(r, k + 1);
    res.order_by[k] = harm_ranking_index(rb, k + 1);
    cr_assert_eq(harm_ranking_rank_of(r, res.order[k]), k + 1);
  }
  /* The slow reference: every score sorted by the comparison itself. */
  harm_score *ref = malloc(res.n * sizeof *ref);
  memcpy(ref, res.items, res.n * sizeof *ref);
  ref_scores = s;
  qsort(ref, res.n, sizeof *ref, cmp_ref);
  for (size_t k = 0; k < res.n; k++) {
    cr_assert_eq(ref[k].subject, res.items[res.order[k]].subject,
                 "rank %zu differs from the comparison's order", k + 1);
  }
  /* The first k ranks alone (harm_rank_compute_top): by the heaps (k up
   * to n / 16; every k below n when harm__top_select_div is 1), by the
   * whole ranking cut (larger k), or all of them (0, n and more): each
   * is the reference's first k, and rank_of knows only those. */
  const size_t tops[] = {
      1,         2,         3,     7,         20, res.n / 16, res.n / 16 + 1,
      res.n / 2, res.n - 1, res.n, res.n + 5, 0};
  for (size_t t = 0; t < 2 * sizeof tops / sizeof *tops; t++) {
    harm__top_select_div = t % 2 ? 1 : 16;
    size_t k = tops[t / 2], held = k && k < res.n ? k : res.n;
    harm_ranking *top = NULL;
    cr_assert_eq(harm_rank_compute_top(s, k, &top, &err), HARM_OK);
    cr_assert_eq(harm_ranking_count(top), held, "top %zu", k);
    cr_assert_eq(harm_ranking_is_whole(top), held == res.n);
    for (size_t q = 0; q < held; q++) {
      const harm_score *sc = harm_ranking_at(top, q + 1);
      cr_assert_eq(sc->subject, ref[q].subject, "top %zu: rank %zu differs", k,
                   q + 1);
      cr_assert_eq(harm_ranking_rank_of(top, harm_ranking_index(top, q + 1)),
                   q + 1);
    }
    cr_assert_null(harm_ranking_at(top, held + 1));
    if (held < res.n) {
      /* The score at the reference's rank held + 1 is not held. */
      size_t out = 0;
      while (res.items[out].subject != ref[held].subject) {
        out++;
      }
      cr_assert_eq(harm_ranking_rank_of(top, out), 0, "top %zu", k);
    }
    harm_ranking_free(top);
  }
  harm__top_select_div = 16;
  free(ref);
  free(key);
  harm_ranking_free(rb);
  harm_ranking_free(r);
  harm_scores_free(s);
  harm_matrix_free(m);
  harm_dataset_free(ds);
  return res;
}

static void check_threads(double half_life, harm_attribution at) {
  harm__par_min = 2; /* every parallel path runs on these few rows */
  size_t len;
  char *csv = make_csv(6000, &len);
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load_buffer("w.csv", weights, sizeof weights - 1,
                                        NULL, &w, &err),
               HARM_OK);
  result one = run_at(csv, len, w, 1, half_life, at);
  cr_assert_gt(one.acct.duplicates, 0);
  cr_assert_gt(one.acct.filtered, 0); /* the proactive code */
  static const unsigned counts[] = {2, 3, 4, 7};
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
    result r = run_at(csv, len, w, counts[c], half_life, at);
    cr_assert_eq(r.n, one.n);
    cr_assert_eq(r.nnz, one.nnz);
    cr_assert(memcmp(&r.acct, &one.acct, sizeof r.acct) == 0);
    for (size_t i = 0; i < r.n; i++) {
      const harm_score *a = &one.items[i], *b = &r.items[i];
      cr_assert(a->subject == b->subject && a->harm_units == b->harm_units &&
                    memcmp(&a->harm, &b->harm, sizeof a->harm) == 0 &&
                    memcmp(&a->max_offence_harm, &b->max_offence_harm,
                           sizeof a->harm) == 0 &&
                    a->top_code == b->top_code &&
                    memcmp(&one.facts[i], &r.facts[i], sizeof *r.facts) == 0,
                "score %zu differs at %u threads", i, counts[c]);
    }
    cr_assert(memcmp(r.order, one.order, r.n * sizeof *r.order) == 0,
              "ranking differs at %u threads", counts[c]);
    cr_assert(memcmp(r.order_by, one.order_by, r.n * sizeof *r.order) == 0,
              "model ranking differs at %u threads", counts[c]);
    free(r.items);
    free(r.facts);
    free(r.order);
    free(r.order_by);
  }
  free(one.items);
  free(one.facts);
  free(one.order);
  free(one.order_by);
  harm_weights_free(w);
  free(csv);
}

Test(tail, uniform_aggregate_scores_and_ranking_identical_at_any_threads) {
  check_threads(0, HARM_ATTR_FULL);
}

Test(tail, decay_and_split_identical_at_any_threads) {
  check_threads(45.5, HARM_ATTR_SPLIT);
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ingest's one dictionary of subjects: harm__strpool_unify_pools over the
 * row pools of every chunk (duplicates within and across pools, unused
 * rows), on 1 to 4 threads with harm__par_min lowered so that the
 * pool-by-pool phases, the radix sort and the output slices all run in
 * parallel and slices start inside runs of equal ids. Each result is the
 * one-thread result byte for byte, and that is a slow reference's (every
 * used string once, in strcmp order, each map at its own string), for ids
 * of up to 8 bytes, up to 16, longer, and all of one length (no offsets:
 * harm__strpool.stride), with some rows unused or every row used (the new
 * indices then written straight into the maps, each entry's pool found
 * by pool_of). */
Test(tail, unify_pools_in_parallel_is_the_sorted_reference) {
  static const char *const stems[4][3] = {{"N", "P0", "Q12"},
                                          {"N0012345", "P0000000000", "x"},
                                          {"N00123456789ABCDEF", "P", "Q1"},
                                          {"AB", "CD", "EF"}};
  enum { POOLS = 6, MAXROWS = 4000, SHAPES = 4 };
  for (int regime = 0; regime < 2 * SHAPES; regime++) {
    int shape = regime % SHAPES;
    bool all_used = regime >= SHAPES;
    uint32_t *ref_map[POOLS];
    harm__strpool ref_out;
    memset(&ref_out, 0, sizeof ref_out);
    for (unsigned threads = 1; threads <= 4; threads++) {
      harm__par_min = threads == 1 ? SIZE_MAX : 1;
      state = 20261202 + (uint64_t)regime; /* the same rows every round */
      harm__strpool rows[POOLS];
      bool *used[POOLS];
      uint32_t *maps[POOLS];
      char **copy = calloc(POOLS * MAXROWS, sizeof *copy);
      size_t n_copy = 0, n_rows[POOLS];
      /* Strings of each row, kept for the map check (the pools may be
       * consumed, and a keyed pool holds no bytes to read back). */
      char **row_str[POOLS];
      for (int k = 0; k < POOLS; k++) {
        memset(&rows[k], 0, sizeof rows[k]);
        n_rows[k] = k == 2 ? 0 : k == 4 ? 7 : MAXROWS - next() % 500;
        used[k] = calloc(n_rows[k] + 1, sizeof **used);
        maps[k] = calloc(n_rows[k] + 1, sizeof **maps);
        row_str[k] = calloc(n_rows[k] + 1, sizeof *row_str[k]);
        for (size_t i = 0; i < n_rows[k]; i++) {
          char s[64];
          int len = snprintf(s, sizeof s, shape == 3 ? "%s%03llu" : "%s%llu",
                             stems[shape][next() % 3],
                             (unsigned long long)(next() % 700));
          cr_assert_eq(harm__strpool_append(&rows[k], s, (size_t)len),
                       (uint32_t)i);
          row_str[k][i] = strdup(s);
          used[k][i] = next() % 6 != 0 || all_used;
          if (used[k][i]) {
            copy[n_copy++] = strdup(s);
          }
        }
      }
      /* Ids of up to 16 bytes are kept as keys (a second key from the
       * first one of more than 8 bytes); the regime with longer ones
       * turned its pools into strings on the first of them. */
      cr_assert_eq(rows[0].keyed, shape != 2);
      cr_assert_eq(rows[0].key2 != NULL, shape == 1);
      harm__strpool *pp[POOLS];
      for (int k = 0; k < POOLS; k++) {
        pp[k] = &rows[k];
      }
      harm__strpool out;
      memset(&out, 0, sizeof out);
      /* The sort's arrays kept as spares on odd thread counts: the
       * same dictionary, and the two blocks are there to take. */
      harm__spares keep;
      memset(&keep, 0, sizeof keep);
      cr_assert(harm__strpool_unify_pools(&out, pp, (const bool *const *)used,
                                          maps, POOLS, sizeof(uint32_t),
                                          threads, threads % 2 ? &keep : NULL));
      size_t kept = 0;
      for (int b = 0; b < HARM__SPARES; b++) {
        kept += atomic_load(&keep.p[b]) != NULL;
      }
      cr_assert_eq(kept, threads % 2 ? 2u : 0u);
      harm__spares_free(&keep);
      cr_assert_eq(rows[0].offset == NULL, shape != 2,
                   "pools consumed exactly when the keys hold every byte");
      cr_assert_eq(out.stride, shape == 3 ? 6u : 0u, "ids of one length");
      if (threads == 1) {
        /* The slow reference. */
        qsort(copy, n_copy, sizeof *copy, cmp_cstr);
        size_t u = 0;
        for (size_t i = 0; i < n_copy; i++) {
          if (u == 0 || strcmp(copy[i], copy[u - 1]) != 0) {
            copy[u++] = copy[i];
          } else {
            free(copy[i]);
          }
        }
        n_copy = u;
        cr_assert_eq(out.n, (uint32_t)u);
        for (uint32_t i = 0; i < out.n; i++) {
          cr_assert_str_eq(harm__strpool_get(&out, i, NULL), copy[i]);
        }
        ref_out = out;
        memset(&out, 0, sizeof out);
      } else {
        cr_assert_eq(out.n, ref_out.n, "%u threads", threads);
        cr_assert_eq(out.bytes_len, ref_out.bytes_len);
        cr_assert(memcmp(out.bytes, ref_out.bytes, out.bytes_len) == 0);
        cr_assert_eq(out.stride, ref_out.stride);
        cr_assert(out.stride || memcmp(out.offset, ref_out.offset,
                                       out.n * sizeof *out.offset) == 0);
      }
      for (int k = 0; k < POOLS; k++) {
        for (size_t i = 0; i < n_rows[k]; i++) {
          if (used[k][i]) {
            cr_assert_str_eq(harm__strpool_get(&ref_out, maps[k][i], NULL),
                             row_str[k][i]);
          } else {
            cr_assert_eq(maps[k][i], UINT32_MAX);
          }
          free(row_str[k][i]);
        }
        free(row_str[k]);
        if (threads == 1) {
          ref_map[k] = maps[k];
        } else {
          cr_assert(memcmp(maps[k], ref_map[k], n_rows[k] * sizeof *maps[k]) ==
                    0);
          free(maps[k]);
        }
        harm__strpool_free(&rows[k]);
        free(used[k]);
      }
      for (size_t i = 0; i < n_copy; i++) {
        free(copy[i]);
      }
      free(copy);
      harm__strpool_free(&out);
    }
    for (int k = 0; k < POOLS; k++) {
      free(ref_map[k]);
    }
    harm__strpool_free(&ref_out);
  }
  harm__par_min = 65536;
}
