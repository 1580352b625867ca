/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/keyed.c: subject ids kept as keys in the records while
 * reading (harm_dataset.subjects_split), and the subjects' dictionary
 * made from them by sorting the records themselves: the keys cut into
 * ranges at sampled bounds, each block of a part's records put in range
 * order in place, then each range's records (a run in every block)
 * sorted together, its ids added to the dictionary in order and each
 * record's key replaced by its id's number. No array of 8 bytes a row is
 * made on top of the records, as the pool of rows and its sort need:
 * what a range sorts is a range's worth, and the keys' high halves go
 * back as the ranges pass. */
#include <string.h>

#include "ingest/loader.h"

size_t harm__ingest_key_block = (size_t)1 << 16;
size_t harm__ingest_key_range = (size_t)1 << 14;

/* Record i's key (see harm_dataset.subjects_split). */
static inline uint64_t rec_key(const harm__rec *r, const uint32_t *hi,
                               size_t i) {
  return (uint64_t)hi[i] << 32 | r[i].subject;
}

bool harm__ingest_unsplit(harm_dataset *ds) {
  if (!ds->subjects_split) {
    return true;
  }
  harm__strpool *sp = &ds->subjects;
  /* Room for as many rows as the records have, as a pool of rows gets
   * from the reader (the rows keep coming). */
  bool ok = ds->cap_recs < UINT32_MAX - 1 &&
            (!ds->cap_recs ||
             harm__strpool_reserve_rows(sp, (uint32_t)ds->cap_recs, 0));
  for (size_t i = 0; ok && i < ds->n_recs; i++) {
    uint64_t k = rec_key(ds->recs, ds->subject_hi, i);
    uint64_t w = __builtin_bswap64(k);
    char id[8];
    memcpy(id, &w, sizeof id);
    ok = harm__strpool_append(sp, id, harm__strpool_key_len(k)) == i;
  }
  if (!ok) {
    /* The keys are still in the records: the pool goes back to empty. */
    harm__strpool_free(sp);
    return false;
  }
  for (size_t i = 0; i < ds->n_recs; i++) {
    ds->recs[i].subject = (uint32_t)i;
  }
  harm__free(ds->subject_hi);
  ds->subject_hi = NULL;
  ds->subjects_split = false;
  return true;
}

/* A run of one part's records, [0, n) of r and hi, put in key-range
 * order on its own: range q's records are [start[q], start[q + 1]). */
typedef struct key_block {
  harm__rec *r;
  uint32_t *hi;
  size_t n;
  uint32_t *start; /* R + 1 */
} key_block;

/* The ranges the keys are cut into: range q holds the keys at or above
 * its lower bound cut[q - 1] (range 0: none) and below cut[q]; about
 * harm__ingest_key_range records each (but at most MAX_RANGES ranges, so
 * the blocks' range starts, 4 bytes a block and range, stay small beside
 * the records: 1 MiB at 33 million), the bounds picked from SAMPLES keys
 * of each block. Equal keys are always in one range. */
enum { SAMPLES = 64, MAX_RANGES = 1024, CELLS = 1 << 16 };

/* The ranges, and a table to find a key's range fast: the sampled keys'
 * span [kmin, kmin + (CELLS << shift)) cut into CELLS cells, lut[c] the
 * bounds below cell c's first key (lut[CELLS]: all of them). */
typedef struct key_ranges {
  const uint64_t *cut; /* R - 1 bounds, ascending (repeats allowed) */
  size_t R;
  uint64_t kmin, kmax;
  unsigned shift;
  uint32_t *lut; /* CELLS + 1 */
} key_ranges;

/* The range of key k: the number of bounds at or below it. The bounds
 * below its cell's first key are lut[c]; the few (most often none) in
 * the cell are counted one by one. */
static size_t range_of(const key_ranges *kr, uint64_t k) {
  if (kr->R == 1 || k < kr->kmin) {
    return 0; /* (every bound is a sampled key: none below kmin) */
  }
  if (k > kr->kmax) {
    return kr->R - 1;
  }
  size_t c = (size_t)((k - kr->kmin) >> kr->shift);
  size_t r = kr->lut[c], end = kr->lut[c + 1];
  while (r < end && kr->cut[r] <= k) {
    r++;
  }
  return r;
}

/* kr's table, from its bounds (sorted) and the sampled keys' span. */
static bool build_lut(key_ranges *kr, uint64_t kmin, uint64_t kmax) {
  kr->kmin = kmin;
  kr->kmax = kmax;
  kr->shift = 0;
  while (((kmax - kmin) >> kr->shift) >= CELLS) {
    kr->shift++;
  }
  kr->lut = harm__malloc((CELLS + 1) * sizeof *kr->lut);
  if (!kr->lut) {
    return false;
  }
  size_t q = 0;
  for (size_t c = 0; c < CELLS; c++) {
    /* The cell's first key (past kmax once the span is covered). */
    uint64_t first = (uint64_t)c << kr->shift;
    first = first > kmax - kmin ? UINT64_MAX : kmin + first;
    while (q < kr->R - 1 && kr->cut[q] < first) {
      q++;
    }
    kr->lut[c] = (uint32_t)q;
  }
  kr->lut[CELLS] = (uint32_t)(kr->R - 1);
  return true;
}

/* One worker of the block pass: blocks first, first + step, ... with its
 * own scratch; the shortest and longest id it saw. */
typedef struct block_job {
  key_block *b;
  size_t nb, first, step;
  const key_ranges *kr;
  size_t min_len, max_len;
  bool ok;
} block_job;

/* Puts block b's records (and their keys' high halves) in range order, a
 * counting pass then the records moved along the permutation's cycles,
 * each once. to: scratch for b->n positions. */
static void bucket_block(const key_block *b, const key_ranges *kr,
                         uint32_t *to) {
  uint32_t *at = b->start; /* counts, then write positions */
  memset(at, 0, (kr->R + 1) * sizeof *at);
  for (size_t i = 0; i < b->n; i++) {
    to[i] = (uint32_t)range_of(kr, rec_key(b->r, b->hi, i));
    at[to[i] + 1]++;
  }
  for (size_t q = 0; q < kr->R; q++) {
    at[q + 1] += at[q];
  }
  /* to[i]: where record i goes (at[q] runs to range q's end, then back). */
  for (size_t i = 0; i < b->n; i++) {
    to[i] = at[to[i]]++;
  }
  for (size_t q = kr->R; q > 0; q--) {
    at[q] = at[q - 1];
  }
  at[0] = 0;
  for (size_t i = 0; i < b->n; i++) {
    while (to[i] != i) {
      size_t d = to[i];
      harm__rec tr = b->r[d];
      uint32_t th = b->hi[d];
      b->r[d] = b->r[i];
      b->hi[d] = b->hi[i];
      b->r[i] = tr;
      b->hi[i] = th;
      to[i] = to[d];
      to[d] = (uint32_t)d;
    }
  }
}

static int block_worker(void *arg) {
  block_job *j = arg;
  uint32_t *to = harm__malloc((harm__ingest_key_block + 1) * sizeof *to);
  j->ok = to != NULL;
  j->min_len = SIZE_MAX;
  j->max_len = 0;
  for (size_t k = j->first; j->ok && k < j->nb; k += j->step) {
    const key_block *b = &j->b[k];
    for (size_t i = 0; i < b->n; i++) {
      size_t len = harm__strpool_key_len(rec_key(b->r, b->hi, i));
      j->min_len = len < j->min_len ? len : j->min_len;
      j->max_len = len > j->max_len ? len : j->max_len;
    }
    bucket_block(b, j->kr, to);
  }
  harm__free(to);
  return 0;
}

static int cmp_key(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  uint64_t a = *(const uint64_t *)pa, c = *(const uint64_t *)pb;
  return (a > c) - (a < c);
}

/* A merge job's scratch, for the records of one range. */
typedef struct range_buf {
  size_t cap;
  uint64_t *keys, *kbuf;
  uint32_t *ord, *vbuf;
  uint64_t *pos; /* block k's record i: k * B + i */
} range_buf;

static bool range_room(range_buf *rb, size_t n) {
  if (n <= rb->cap) {
    return true;
  }
  size_t cap = n > 2 * rb->cap ? n : 2 * rb->cap;
  harm__free(rb->keys);
  harm__free(rb->kbuf);
  harm__free(rb->ord);
  harm__free(rb->vbuf);
  harm__free(rb->pos);
  rb->keys = harm__malloc(cap * sizeof *rb->keys);
  rb->kbuf = harm__malloc(cap * sizeof *rb->kbuf);
  rb->ord = harm__malloc(cap * sizeof *rb->ord);
  rb->vbuf = harm__malloc(cap * sizeof *rb->vbuf);
  rb->pos = harm__malloc(cap * sizeof *rb->pos);
  rb->cap = rb->keys && rb->kbuf && rb->ord && rb->vbuf && rb->pos ? cap : 0;
  return rb->cap != 0;
}

/* One merge job: ranges [r0, r1), the only records it reads or writes
 * (the others' keys give way to numbers as it runs). Its ids go to its
 * own dictionary, numbered from 0 (the jobs before it add theirs after:
 * `first`). */
typedef struct merge_job {
  key_block *b;
  size_t nb, B, r0, r1;
  size_t *shed; /* nb: where each block's keys were last handed back */
  harm__strpool dict;
  size_t first;
  bool ok;
} merge_job;

/* Range r's records, sorted by key across the blocks: each distinct key
 * once into the job's dictionary, each record's subject its number. */
static bool merge_range(merge_job *j, size_t r, range_buf *rb) {
  size_t m = 0;
  for (size_t k = 0; k < j->nb; k++) {
    m += j->b[k].start[r + 1] - j->b[k].start[r];
  }
  if (m == 0) {
    return true;
  }
  if (!range_room(rb, m)) {
    return false;
  }
  m = 0;
  for (size_t k = 0; k < j->nb; k++) {
    const key_block *bk = &j->b[k];
    for (size_t i = bk->start[r]; i < bk->start[r + 1]; i++) {
      rb->keys[m] = rec_key(bk->r, bk->hi, i);
      rb->pos[m++] = (uint64_t)k * j->B + i;
    }
  }
  /* Sorted words left packed (a key's ranks above its index): equal
   * ranks are equal keys, and only a new id's key is unpacked. */
  harm__radix_packed pk;
  if (!harm__radix_sort_index_packed(rb->keys, rb->ord, m, 1, rb->kbuf,
                                     rb->vbuf, &pk)) {
    return false;
  }
  harm__strpool *out = &j->dict;
  const uint64_t low = pk.words ? ((uint64_t)1 << pk.ibits) - 1 : 0;
  for (size_t q = 0; q < m; q++) {
    bool fresh;
    uint64_t g;
    if (pk.words) {
      uint64_t w = pk.words[q];
      fresh = q == 0 || w >> pk.ibits != pk.words[q - 1] >> pk.ibits;
      if (fresh) {
        harm__strpool_ordered_add(out, harm__radix_packed_key(&pk, w));
      }
      g = rb->pos[w & low];
    } else {
      fresh = q == 0 || rb->keys[q] != rb->keys[q - 1];
      if (fresh) {
        harm__strpool_ordered_add(out, rb->keys[q]);
      }
      g = rb->pos[rb->ord[q]];
    }
    j->b[g / j->B].r[g % j->B].subject = out->n - 1;
  }
  harm__radix_packed_free(&pk);
  return true;
}

static int merge_worker(void *arg) {
  merge_job *j = arg;
  range_buf rb = {0};
  j->ok = true;
  for (size_t k = 0; k < j->nb; k++) {
    j->shed[k] = j->b[k].start[j->r0];
  }
  for (size_t r = j->r0; j->ok && r < j->r1; r++) {
    j->ok = merge_range(j, r, &rb);
    for (size_t k = 0; j->ok && k < j->nb; k++) {
      /* Each range passes a few hundred of a block's keys: their pages
       * go once the ranges have passed all of each. */
      harm__shed_owned(j->b[k].hi, sizeof *j->b[k].hi, j->b[k].start[j->r0],
                       &j->shed[k], j->b[k].start[r + 1], 1);
    }
  }
  harm__free(rb.keys);
  harm__free(rb.kbuf);
  harm__free(rb.ord);
  harm__free(rb.vbuf);
  harm__free(rb.pos);
  return 0;
}

/* A later job's records take the numbers of the ids before its own. */
static int renumber_worker(void *arg) {
  merge_job *j = arg;
  for (size_t k = 0; j->first && k < j->nb; k++) {
    const key_block *bk = &j->b[k];
    for (size_t i = bk->start[j->r0]; i < bk->start[j->r1]; i++) {
      bk->r[i].subject += (uint32_t)j->first;
    }
  }
  return 0;
}

/* The range bounds from samples of every block (kr->cut: R - 1 of them;
 * NULL with one range). */
static bool pick_ranges(const key_block *b, size_t nb, size_t total,
                        key_ranges *kr, uint64_t **cut) {
  size_t step = harm__ingest_key_range ? harm__ingest_key_range : 1;
  kr->R = total / step + 1;
  kr->R = kr->R < MAX_RANGES ? kr->R : MAX_RANGES;
  size_t ns = 0;
  uint64_t *samp = harm__malloc((nb * SAMPLES + 1) * sizeof *samp);
  *cut = harm__malloc(kr->R * sizeof **cut);
  bool ok = samp && *cut;
  for (size_t k = 0; ok && k < nb; k++) {
    for (size_t s = 0; s < SAMPLES && b[k].n; s++) {
      samp[ns++] = rec_key(b[k].r, b[k].hi, b[k].n * s / SAMPLES);
    }
  }
  ok = ok && harm__sort(samp, ns, sizeof *samp, cmp_key, NULL);
  kr->R = ns ? kr->R : 1;
  for (size_t q = 1; ok && q < kr->R; q++) {
    (*cut)[q - 1] = samp[ns * q / kr->R];
  }
  kr->cut = *cut;
  ok = ok && (kr->R == 1 || build_lut(kr, samp[0], samp[ns - 1]));
  harm__free(samp);
  return ok;
}

bool harm__ingest_sort_keyed(harm_dataset *const *all, size_t np,
                             unsigned threads, harm__strpool *out) {
  memset(out, 0, sizeof *out);
  size_t B = harm__ingest_key_block ? harm__ingest_key_block : 1;
  size_t nb = 0, total = 0;
  for (size_t k = 0; k < np; k++) {
    nb += (all[k]->n_recs + B - 1) / B;
    total += all[k]->n_recs;
  }
  key_block *b = harm__calloc(nb + 1, sizeof *b);
  bool ok = b && total < UINT32_MAX;
  for (size_t k = 0, m = 0; ok && k < np; k++) {
    for (size_t i = 0; i < all[k]->n_recs; i += B) {
      size_t n = all[k]->n_recs - i < B ? all[k]->n_recs - i : B;
      b[m++] = (key_block){all[k]->recs + i, all[k]->subject_hi + i, n, NULL};
    }
  }
  key_ranges kr = {NULL, 1, 0, 0, 0, NULL};
  uint64_t *cut = NULL;
  ok = ok && pick_ranges(b, nb, total, &kr, &cut);
  uint32_t *starts =
      ok ? harm__malloc((nb * (kr.R + 1) + 1) * sizeof *starts) : NULL;
  size_t *shed = ok ? harm__calloc(HARM__PAR_MAX * nb + 1, sizeof *shed) : NULL;
  ok = ok && starts && shed;
  for (size_t k = 0; ok && k < nb; k++) {
    b[k].start = starts + k * (kr.R + 1);
  }
  /* Each block in range order, on up to `threads` threads. */
  unsigned T = ok ? harm__par_threads(threads, total) : 1;
  T = nb < T ? (unsigned)(nb ? nb : 1) : T;
  block_job bj[HARM__PAR_MAX];
  for (unsigned t = 0; ok && t < T; t++) {
    bj[t] = (block_job){.b = b, .nb = nb, .first = t, .step = T, .kr = &kr};
  }
  if (ok && nb) {
    harm__par_run(block_worker, bj, sizeof *bj, T);
  }
  size_t min_len = SIZE_MAX, max_len = 0;
  for (unsigned t = 0; ok && nb && t < T; t++) {
    ok = bj[t].ok;
    min_len = bj[t].min_len < min_len ? bj[t].min_len : min_len;
    max_len = bj[t].max_len > max_len ? bj[t].max_len : max_len;
  }
  /* Ids of one length (the usual case) keep no offsets. The first job's
   * dictionary is the output, with room for all. */
  size_t fixed = total && min_len == max_len ? max_len : 0;
  ok = ok && harm__strpool_ordered_begin(out, total, fixed);
  unsigned TM = ok ? harm__par_threads(threads, total) : 0;
  TM = kr.R < TM ? (unsigned)kr.R : TM;
  merge_job mj[HARM__PAR_MAX];
  unsigned begun = 0;
  for (unsigned t = 0; ok && t < TM; t++, begun++) {
    mj[t] = (merge_job){.b = b,
                        .nb = nb,
                        .B = B,
                        .r0 = kr.R * t / TM,
                        .r1 = kr.R * (t + 1) / TM,
                        .shed = shed + (size_t)t * nb};
    size_t mine = 0;
    for (size_t k = 0; k < nb; k++) {
      mine += b[k].start[mj[t].r1] - b[k].start[mj[t].r0];
    }
    ok = t == 0 ? (mj[0].dict = *out, true)
                : harm__strpool_ordered_begin(&mj[t].dict, mine, fixed);
  }
  if (ok) {
    harm__par_run(merge_worker, mj, sizeof *mj, TM);
  }
  size_t first = 0;
  for (unsigned t = 0; t < begun; t++) {
    ok = ok && mj[t].ok;
    mj[t].first = first;
    first += mj[t].dict.n;
  }
  if (ok && TM > 1) {
    harm__par_run(renumber_worker, mj, sizeof *mj, TM);
  }
  for (unsigned t = 0; t < begun; t++) {
    if (t == 0) {
      *out = mj[0].dict;
    } else {
      if (ok) {
        harm__strpool_ordered_join(out, &mj[t].dict);
      }
      harm__strpool_free(&mj[t].dict);
    }
  }
  if (ok) {
    harm__strpool_ordered_end(out);
    for (size_t k = 0; k < np; k++) {
      harm__free(all[k]->subject_hi);
      all[k]->subject_hi = NULL;
      all[k]->subjects_split = false;
    }
  } else {
    harm__strpool_free(out);
  }
  harm__free(b);
  harm__free(cut);
  harm__free(kr.lut);
  harm__free(starts);
  harm__free(shed);
  return ok;
}
