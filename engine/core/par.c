/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/par.c: the small fork-join helper the serial tail of a run
 * (aggregate, scores, ranking) shares, and a parallel LSD radix sort.
 * Every parallel path here splits work so that its result is the same as
 * the one-thread result, bit for bit, whatever the thread count. */
#include <string.h>
#include <threads.h>

#include "core/internal.h"

size_t harm__par_min = 65536;

unsigned harm__par_threads(unsigned threads, size_t n) {
  unsigned t = threads ? threads : harm__cpu_count();
  if (t > HARM__PAR_MAX) {
    t = HARM__PAR_MAX;
  }
  if (t < 1 || n < harm__par_min) {
    t = 1;
  }
  return t;
}

void harm__par_run(int (*fn)(void *), void *args, size_t size, unsigned n) {
  thrd_t tid[HARM__PAR_MAX];
  bool started[HARM__PAR_MAX] = {false};
  char *a = args;
  for (unsigned t = 1; t < n && t < HARM__PAR_MAX; t++) {
    started[t] = thrd_create(&tid[t], fn, a + t * size) == thrd_success;
  }
  if (n) {
    fn(a);
  }
  for (unsigned t = 1; t < n && t < HARM__PAR_MAX; t++) {
    if (started[t]) {
      thrd_join(tid[t], NULL);
    } else {
      fn(a + t * size); /* could not start: run it here */
    }
  }
}

/* One thread's slice [i0, i1) of a radix pass: the digit is the bits
 * (key >> shift) & mask, at most RADIX_DIGITS values. */
enum { RADIX_DIGITS = 2048 };

typedef struct radix_job {
  uint64_t *ks, *kd;
  uint32_t *vs, *vd;
  size_t i0, i1;
  unsigned shift;
  uint64_t mask;
  bool all_bytes; /* count all eight bytes (the first read) */
  bool shed;      /* the values ride in the keys (vs NULL) and ks is read no
                     more after this pass: its pages go back behind the read */
  const struct pack_plan *plan; /* pack_keys, unpack_keys */
  /* All eight bytes' counts (hist[b][v]), or one pass's counts of its
   * RADIX_DIGITS digits (the same memory, flat); then write positions. */
  size_t hist[8][256];
} radix_job;

/* Counts word w's 8 bytes into hist[0..8). */
static inline void count_bytes(size_t (*hist)[256], uint64_t w) {
  for (unsigned b = 0; b < 8; b++) {
    hist[b][(w >> (8 * b)) & 0xff]++;
  }
}

static int radix_count(void *arg) {
  radix_job *j = arg;
  if (j->all_bytes) {
    memset(j->hist, 0, sizeof j->hist);
    for (size_t i = j->i0; i < j->i1; i++) {
      count_bytes(j->hist, j->ks[i]);
    }
  } else {
    size_t *c = &j->hist[0][0];
    memset(c, 0, (j->mask + 1) * sizeof *c);
    for (size_t i = j->i0; i < j->i1; i++) {
      c[(j->ks[i] >> j->shift) & j->mask]++;
    }
  }
  return 0;
}

static int radix_scatter(void *arg) {
  radix_job *j = arg;
  size_t *at = &j->hist[0][0];
  if (!j->vs) {
    /* The values ride in the keys' low bits (see radix_sort). */
    const uint64_t *ks = j->ks;
    uint64_t *kd = j->kd;
    const unsigned shift = j->shift;
    const uint64_t mask = j->mask;
    size_t done = j->i0;
    for (size_t b = j->i0; b < j->i1;) {
      size_t e = j->i1 - b > harm__shed_step ? b + harm__shed_step : j->i1;
      for (size_t i = b; i < e; i++) {
        kd[at[(ks[i] >> shift) & mask]++] = ks[i];
      }
      if (j->shed) {
        harm__shed((void *)ks, sizeof *ks, &done, e);
      }
      b = e;
    }
    return 0;
  }
  for (size_t i = j->i0; i < j->i1; i++) {
    size_t p = at[(j->ks[i] >> j->shift) & j->mask]++;
    j->kd[p] = j->ks[i];
    j->vd[p] = j->vs[i];
  }
  return 0;
}

/* Packed keys: byte b of every key takes bits[b] bits, enough for the
 * rank of its value among the values that occur at b (none when one
 * value occurs), placed at shift[b], the more significant bytes higher.
 * Ranks keep the order of the values, so packed keys order and tie
 * exactly as the keys do (a stable sort of either gives one order), and
 * unpacking gives the keys back. Ids of a fixed shape (N0012345: ten
 * digits a byte) pack 7 varying bytes into 28 bits, three passes of
 * 10 bits instead of seven of 8. */
typedef struct pack_plan {
  /* Byte positions: 8 for a key (position b is byte b, b = 0 least
   * significant), 16 for a pair (0-7 the low key's bytes, 8-15 the high
   * key's; see harm__radix_sort_pairs). */
  unsigned bits[16], shift[16], total;
  uint16_t rank[16][256];
  uint8_t value[16][256]; /* value[b][rank], the inverse of rank[b] */
} pack_plan;

/* The ranks of word w's 8 bytes, plan positions first .. first + 7,
 * each at its shift. */
static inline uint64_t pack_word(const pack_plan *p, uint64_t w,
                                 unsigned first) {
  uint64_t q = 0;
  for (unsigned b = 0; b < 8; b++) {
    q |= (uint64_t)p->rank[first + b][(w >> (8 * b)) & 0xff]
         << p->shift[first + b];
  }
  return q;
}

/* The word whose bytes are plan positions first .. first + 7 of q. */
static inline uint64_t unpack_word(const pack_plan *p, uint64_t q,
                                   unsigned first) {
  uint64_t w = 0;
  for (unsigned b = 0; b < 8; b++) {
    unsigned pos = first + b;
    uint64_t r = (q >> p->shift[pos]) & (((uint64_t)1 << p->bits[pos]) - 1);
    w |= (uint64_t)p->value[pos][r] << (8 * b);
  }
  return w;
}

static int pack_keys(void *arg) {
  radix_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    j->ks[i] = pack_word(j->plan, j->ks[i], 0);
  }
  return 0;
}

static int unpack_keys(void *arg) {
  radix_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    j->ks[i] = unpack_word(j->plan, j->ks[i], 0);
  }
  return 0;
}

/* The values in the keys' low `shift` bits: each key packed above its
 * index i (its value before the sort). */
static int pack_keys_index(void *arg) {
  radix_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    j->ks[i] = pack_word(j->plan, j->ks[i], 0) << j->shift | i;
  }
  return 0;
}

/* Back from pack_keys_index: the value to vd, the key to kd. When ks is
 * the scratch (not kd), its pages behind go back as it is read: the
 * scratch, the keys and the values are not all resident at once. */
static int unpack_keys_index(void *arg) {
  radix_job *j = arg;
  const uint64_t low = ((uint64_t)1 << j->shift) - 1;
  size_t done = j->i0;
  for (size_t i = j->i0; i < j->i1; i++) {
    uint64_t q = j->ks[i];
    j->vd[i] = (uint32_t)(q & low);
    j->kd[i] = unpack_word(j->plan, q >> j->shift, 0);
    if (j->ks != j->kd) {
      harm__shed(j->ks, sizeof *j->ks, &done, i + 1);
    }
  }
  return 0;
}

/* The plan from the counts of every byte (total[b][v], npos positions);
 * its passes of at most 11 bits, or 0 when packing would not save two
 * passes over the `byte_passes` of the plain sort. */
static unsigned plan_pack(pack_plan *p, size_t (*total)[256], unsigned npos,
                          unsigned byte_passes) {
  unsigned shift = 0;
  for (unsigned b = 0; b < npos; b++) {
    unsigned d = 0;
    for (unsigned v = 0; v < 256; v++) {
      if (total[b][v]) {
        p->rank[b][v] = (uint16_t)d;
        p->value[b][d] = (uint8_t)v;
        d++;
      } else {
        p->rank[b][v] = 0;
      }
    }
    unsigned bits = 0;
    while (((unsigned)1 << bits) < d) {
      bits++;
    }
    p->bits[b] = bits;
    /* A position of one value takes no bits and sits at 0 (never at a
     * shift of 64): its rank is 0, and so is the field read back. */
    p->shift[b] = bits ? shift : 0;
    shift += bits;
  }
  p->total = shift;
  unsigned passes = (shift + 10) / 11;
  return passes + 2 <= byte_passes ? passes : 0;
}

/* Write positions of one pass: by digit, then by slice, so equal digits
 * keep their order (stable) exactly as one thread would place them. */
static void radix_positions(radix_job *jobs, unsigned T, uint64_t mask) {
  size_t pos = 0;
  for (uint64_t v = 0; v <= mask; v++) {
    for (unsigned t = 0; t < T; t++) {
      size_t *c = &jobs[t].hist[0][0];
      size_t n = c[v];
      c[v] = pos;
      pos += n;
    }
  }
}

/* The arrays a pass reads (ks, vs) and writes (kd, vd); swapped after
 * each pass. */
typedef struct radix_bufs {
  uint64_t *ks, *kd;
  uint32_t *vs, *vd;
} radix_bufs;

/* One stable pass on the digit (key >> shift) & mask: counted (unless
 * the slices' counts are already in hist[0]), placed, scattered. */
static void radix_pass(radix_job *jobs, unsigned T, radix_bufs *b,
                       unsigned shift, uint64_t mask, bool counted, bool shed) {
  for (unsigned t = 0; t < T; t++) {
    jobs[t].ks = b->ks;
    jobs[t].kd = b->kd;
    jobs[t].vs = b->vs;
    jobs[t].vd = b->vd;
    jobs[t].shift = shift;
    jobs[t].mask = mask;
    jobs[t].all_bytes = false;
    jobs[t].shed = shed;
  }
  if (!counted) {
    harm__par_run(radix_count, jobs, sizeof *jobs, T);
  }
  radix_positions(jobs, T, mask);
  harm__par_run(radix_scatter, jobs, sizeof *jobs, T);
  *b = (radix_bufs){b->kd, b->ks, b->vd, b->vs};
}

/* The passes of a sort whose keys carry their index in the low `ibits`
 * bits, over the `total` bits above it (the ranks of a pack plan): as
 * many passes of at most 11 bits as `passes` says (0: the fewest), keys
 * and k2 taking turns. Each pass hands back the pages of the array it
 * reads behind the read (the next pass writes all of it again), so the
 * two arrays hold about one array's pages between them, not two: more
 * page faults, a third less memory at the sort's peak. Returns the array
 * that holds the sorted keys; when that is keys, k2's pages go back (it
 * is read no more). */
static uint64_t *index_passes(radix_job *jobs, unsigned T, uint64_t *keys,
                              uint64_t *k2, size_t n, unsigned total,
                              unsigned passes, unsigned ibits) {
  passes = passes ? passes : (total + 10) / 11;
  radix_bufs bufs = {keys, k2, NULL, NULL};
  /* (No pass at all when every key is equal: total is 0.) */
  unsigned width = passes ? (total + passes - 1) / passes : 1;
  for (unsigned shift = 0; shift < total; shift += width) {
    radix_pass(jobs, T, &bufs, ibits + shift, ((uint64_t)1 << width) - 1, false,
               true);
  }
  if (bufs.ks == keys) {
    harm__discard(k2, n * sizeof *k2);
  }
  return bufs.ks;
}

/* Bits that hold any index below n (at least 1). */
static unsigned index_bits(size_t n) {
  unsigned ibits = 1;
  while (ibits < 64 && ((uint64_t)1 << ibits) < n) {
    ibits++;
  }
  return ibits;
}

/* The sort, with k2 and v2 (n elements each) as scratch; with want_keys
 * false the keys are left packed, not in order (the caller needs only
 * the values' order). With `index`, vals are not read: each starts as
 * its index (vals[i] = i), and when the packed keys leave room for it
 * the index rides in their low bits, so the passes move 8 bytes an
 * element instead of 12 and v2 is never touched. */
static bool radix_sort(uint64_t *keys, uint32_t *vals, size_t n,
                       unsigned threads, bool want_keys, bool index,
                       uint64_t *k2, uint32_t *v2, harm__radix_packed *po) {
  if (!k2 || !v2) {
    return false; /* no scratch (a failed allocation, or none given) */
  }
  if (n < 2) {
    if (index && n) {
      vals[0] = 0;
    }
    return true;
  }
  unsigned T = harm__par_threads(threads, n);
  radix_job *jobs = harm__malloc(T * sizeof *jobs);
  pack_plan *plan = harm__malloc(sizeof *plan);
  size_t(*total)[256] = harm__calloc(8, sizeof *total);
  if (!jobs || !plan || !total) {
    harm__free(jobs);
    harm__free(plan);
    harm__free(total);
    return false;
  }
  for (unsigned t = 0; t < T; t++) {
    jobs[t].ks = keys;
    jobs[t].i0 = n * t / T;
    jobs[t].i1 = n * (t + 1) / T;
    jobs[t].all_bytes = true;
    jobs[t].plan = plan;
  }
  harm__par_run(radix_count, jobs, sizeof *jobs, T);
  /* Which bytes vary: from the counts of the whole array, which do not
   * change as the keys move. */
  bool pass[8];
  unsigned byte_passes = 0;
  for (unsigned b = 0; b < 8; b++) {
    for (unsigned t = 0; t < T; t++) {
      for (unsigned v = 0; v < 256; v++) {
        total[b][v] += jobs[t].hist[b][v];
      }
    }
    pass[b] = total[b][(keys[0] >> (8 * b)) & 0xff] != n;
    byte_passes += pass[b];
  }
  unsigned packed = plan_pack(plan, total, 8, byte_passes);
  unsigned ibits = index_bits(n);
  radix_bufs bufs = {keys, k2, vals, v2};
  /* The index rides in the keys whenever it fits beside their ranks, even
   * where packing alone would not save two byte passes: each pass then
   * moves 8 bytes an element, not 12, and v2 is never touched. */
  if (index && plan->total + ibits <= 64) {
    for (unsigned t = 0; t < T; t++) {
      jobs[t].shift = ibits;
    }
    harm__par_run(pack_keys_index, jobs, sizeof *jobs, T);
    uint64_t *sorted =
        index_passes(jobs, T, keys, k2, n, plan->total, packed, ibits);
    if (po) {
      /* Left packed for the caller, who reads each key and index from
       * its word (harm__radix_packed_key): no unpacking pass, no order
       * array. */
      *po = (harm__radix_packed){sorted, plan, ibits, false};
      harm__free(jobs);
      harm__free(total);
      return true;
    }
    for (unsigned t = 0; t < T; t++) {
      jobs[t].ks = sorted;
      jobs[t].kd = keys; /* in place when the last pass ended in keys */
      jobs[t].vd = vals;
      jobs[t].shift = ibits;
    }
    harm__par_run(unpack_keys_index, jobs, sizeof *jobs, T);
    harm__free(jobs);
    harm__free(plan);
    harm__free(total);
    return true;
  }
  for (size_t i = 0; index && i < n; i++) {
    vals[i] = (uint32_t)i;
  }
  if (packed) {
    harm__par_run(pack_keys, jobs, sizeof *jobs, T);
    unsigned width = (plan->total + packed - 1) / packed;
    for (unsigned shift = 0; shift < plan->total; shift += width) {
      radix_pass(jobs, T, &bufs, shift, ((uint64_t)1 << width) - 1, false,
                 false);
    }
    for (unsigned t = 0; t < T && want_keys; t++) {
      jobs[t].ks = bufs.ks;
    }
    if (want_keys) {
      harm__par_run(unpack_keys, jobs, sizeof *jobs, T);
    }
  } else {
    bool first = true;
    for (unsigned b = 0; b < 8; b++) {
      if (!pass[b]) {
        continue;
      }
      for (unsigned t = 0; first && b && t < T; t++) {
        /* The first pass's slices are the ones the first read counted. */
        memcpy(jobs[t].hist[0], jobs[t].hist[b], sizeof jobs[t].hist[0]);
      }
      radix_pass(jobs, T, &bufs, 8 * b, 0xff, first, false);
      first = false;
    }
  }
  uint64_t *ks = bufs.ks;
  uint32_t *vs = bufs.vs;
  if (ks != keys) {
    if (want_keys) {
      memcpy(keys, ks, n * sizeof *keys);
    }
    memcpy(vals, vs, n * sizeof *vals);
  }
  harm__free(jobs);
  harm__free(plan);
  harm__free(total);
  return true;
}

/* radix_sort with scratch of its own. */
static bool radix_sort_alloc(uint64_t *keys, uint32_t *vals, size_t n,
                             unsigned threads, bool want_keys) {
  if (n < 2) {
    return true;
  }
  uint64_t *k2 = harm__malloc(n * sizeof *k2);
  uint32_t *v2 = harm__malloc(n * sizeof *v2);
  bool ok = radix_sort(keys, vals, n, threads, want_keys, false, k2, v2, NULL);
  harm__free(k2);
  harm__free(v2);
  return ok;
}

bool harm__radix_sort_mt(uint64_t *keys, uint32_t *vals, size_t n,
                         unsigned threads) {
  return radix_sort_alloc(keys, vals, n, threads, true);
}

bool harm__radix_order_mt(uint64_t *keys, uint32_t *vals, size_t n,
                          unsigned threads) {
  return radix_sort_alloc(keys, vals, n, threads, false);
}

bool harm__radix_order_buf(uint64_t *keys, uint32_t *vals, size_t n,
                           unsigned threads, uint64_t *kbuf, uint32_t *vbuf) {
  return radix_sort(keys, vals, n, threads, false, false, kbuf, vbuf, NULL);
}

bool harm__radix_sort_buf(uint64_t *keys, uint32_t *vals, size_t n,
                          unsigned threads, uint64_t *kbuf, uint32_t *vbuf) {
  return radix_sort(keys, vals, n, threads, true, false, kbuf, vbuf, NULL);
}

bool harm__radix_sort_index(uint64_t *keys, uint32_t *order, size_t n,
                            unsigned threads, uint64_t *kbuf, uint32_t *vbuf) {
  return radix_sort(keys, order, n, threads, true, true, kbuf, vbuf, NULL);
}

bool harm__radix_sort_index_packed(uint64_t *keys, uint32_t *order, size_t n,
                                   unsigned threads, uint64_t *kbuf,
                                   uint32_t *vbuf, harm__radix_packed *out) {
  *out = (harm__radix_packed){NULL, NULL, 0, false};
  return radix_sort(keys, order, n, threads, true, true, kbuf, vbuf, out);
}

uint64_t harm__radix_packed_key(const harm__radix_packed *p, uint64_t word) {
  /* A pair's high key (its first 8 bytes) is at plan positions 8-15. */
  return unpack_word(p->plan, word >> p->ibits, p->pairs ? 8 : 0);
}

uint64_t harm__radix_packed_key2(const harm__radix_packed *p, uint64_t word) {
  return p->pairs ? unpack_word(p->plan, word >> p->ibits, 0) : 0;
}

void harm__radix_packed_free(harm__radix_packed *p) {
  harm__free(p->plan);
  *p = (harm__radix_packed){NULL, NULL, 0, false};
}

/* ---- Pairs: 128-bit keys packed into 64 bits --------------------------
 * Ids of 9 to 16 bytes are sorted on two keys (bytes 0-7, then 8-15).
 * When the bytes that vary across all of them take at most 64 bits in
 * the pack plan's ranks (N12345678: eight digits and the ninth byte's
 * eleven values, 36 bits), one 64-bit key orders and ties the pairs
 * exactly as the pairs do, and one sort replaces two and the gather
 * between them. */
typedef struct pair_job {
  uint64_t *hi, *lo;
  size_t i0, i1;
  const pack_plan *plan;
  unsigned ibits;      /* pair_pack_index, pair_unpack_index */
  const uint64_t *src; /* pair_unpack_index: the sorted keys */
  uint32_t *order;     /* pair_unpack_index */
  size_t hist[16][256];
} pair_job;

static int pair_count(void *arg) {
  pair_job *j = arg;
  memset(j->hist, 0, sizeof j->hist);
  for (size_t i = j->i0; i < j->i1; i++) {
    count_bytes(j->hist, j->lo[i]);
    count_bytes(j->hist + 8, j->hi[i]);
  }
  return 0;
}

static inline uint64_t pack_pair(const pack_plan *p, uint64_t hi, uint64_t lo) {
  return pack_word(p, lo, 0) | pack_word(p, hi, 8);
}

static int pair_pack(void *arg) {
  pair_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    j->hi[i] = pack_pair(j->plan, j->hi[i], j->lo[i]);
  }
  return 0;
}

static int pair_unpack(void *arg) {
  pair_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    uint64_t q = j->hi[i];
    j->lo[i] = unpack_word(j->plan, q, 0);
    j->hi[i] = unpack_word(j->plan, q, 8);
  }
  return 0;
}

/* Each pair packed above its index i, into hi. */
static int pair_pack_index(void *arg) {
  pair_job *j = arg;
  for (size_t i = j->i0; i < j->i1; i++) {
    j->hi[i] = pack_pair(j->plan, j->hi[i], j->lo[i]) << j->ibits | i;
  }
  return 0;
}

/* Back from pair_pack_index after the sort (the keys in src): the index
 * to order, the pair to hi and lo. When src is the scratch (not hi), its
 * pages behind go back as it is read. */
static int pair_unpack_index(void *arg) {
  pair_job *j = arg;
  const pack_plan *plan = j->plan;
  const uint64_t *src = j->src;
  uint64_t *hi = j->hi, *lo = j->lo;
  uint32_t *order = j->order;
  const unsigned ibits = j->ibits;
  const uint64_t low = ((uint64_t)1 << ibits) - 1;
  size_t done = j->i0;
  for (size_t b = j->i0; b < j->i1;) {
    /* In blocks of the hand-back step: the loop inside stores nothing
     * that the compiler must reload the step or the arrays after. */
    size_t e = j->i1 - b > harm__shed_step ? b + harm__shed_step : j->i1;
    for (size_t i = b; i < e; i++) {
      uint64_t q = src[i];
      order[i] = (uint32_t)(q & low);
      q >>= ibits;
      lo[i] = unpack_word(plan, q, 0);
      hi[i] = unpack_word(plan, q, 8);
    }
    if (src != hi) {
      harm__shed((void *)src, sizeof *src, &done, e);
    }
    b = e;
  }
  return 0;
}

/* harm__radix_sort_pairs, and with po (not NULL) its packed form. */
static bool sort_pairs(uint64_t *hi, uint64_t *lo, uint32_t *order, size_t n,
                       unsigned threads, uint64_t *kbuf, uint32_t *vbuf,
                       bool *done, harm__radix_packed *po) {
  *done = false;
  if (n < 2) {
    if (n) {
      order[0] = 0;
    }
    *done = true;
    return true;
  }
  unsigned T = harm__par_threads(threads, n);
  pair_job *jobs = harm__malloc(T * sizeof *jobs);
  pack_plan *plan = harm__malloc(sizeof *plan);
  size_t(*total)[256] = harm__calloc(16, sizeof *total);
  bool ok = jobs && plan && total && kbuf && vbuf;
  for (unsigned t = 0; ok && t < T; t++) {
    jobs[t].hi = hi;
    jobs[t].lo = lo;
    jobs[t].i0 = n * t / T;
    jobs[t].i1 = n * (t + 1) / T;
    jobs[t].plan = plan;
  }
  if (ok) {
    harm__par_run(pair_count, jobs, sizeof *jobs, T);
    for (unsigned b = 0; b < 16; b++) {
      for (unsigned t = 0; t < T; t++) {
        for (unsigned v = 0; v < 256; v++) {
          total[b][v] += jobs[t].hist[b][v];
        }
      }
    }
    /* Any number of passes: only whether the ranks fit 64 bits counts. */
    (void)plan_pack(plan, total, 16, 0);
  }
  unsigned ibits = index_bits(n);
  if (ok && plan->total + ibits <= 64) {
    /* Packed pairs sort (and tie) as the pairs do; with each one's index
     * in the low bits every key is distinct, so one sort of 8 bytes an
     * element gives the pairs in order and, equal pairs by index, the
     * order, which the plan turns back into the pairs. */
    radix_job *rj = harm__malloc(T * sizeof *rj);
    ok = rj != NULL;
    if (ok) {
      for (unsigned t = 0; t < T; t++) {
        jobs[t].ibits = ibits;
        rj[t] = (radix_job){.i0 = jobs[t].i0, .i1 = jobs[t].i1};
      }
      harm__par_run(pair_pack_index, jobs, sizeof *jobs, T);
      uint64_t *sorted =
          index_passes(rj, T, hi, kbuf, n, plan->total, 0, ibits);
      if (po) {
        /* Left packed for the caller (harm__radix_packed_key, _key2). */
        *po = (harm__radix_packed){sorted, plan, ibits, true};
        plan = NULL;
      } else {
        for (unsigned t = 0; t < T; t++) {
          jobs[t].src = sorted;
          jobs[t].order = order;
        }
        harm__par_run(pair_unpack_index, jobs, sizeof *jobs, T);
      }
      *done = true;
    }
    harm__free(rj);
  } else if (ok && plan->total <= 64) {
    /* No room for the index: the packed keys sort with the order
     * alongside, and the plan turns them back into the pairs. */
    harm__par_run(pair_pack, jobs, sizeof *jobs, T);
    ok = harm__radix_sort_index(hi, order, n, threads, kbuf, vbuf);
    /* (A failed sort left the packed keys as they were.) */
    harm__par_run(pair_unpack, jobs, sizeof *jobs, T);
    *done = ok;
  }
  harm__free(jobs);
  harm__free(plan);
  harm__free(total);
  return ok;
}

bool harm__radix_sort_pairs(uint64_t *hi, uint64_t *lo, uint32_t *order,
                            size_t n, unsigned threads, uint64_t *kbuf,
                            uint32_t *vbuf, bool *done) {
  return sort_pairs(hi, lo, order, n, threads, kbuf, vbuf, done, NULL);
}

bool harm__radix_sort_pairs_packed(uint64_t *hi, uint64_t *lo, uint32_t *order,
                                   size_t n, unsigned threads, uint64_t *kbuf,
                                   uint32_t *vbuf, bool *done,
                                   harm__radix_packed *out) {
  *out = (harm__radix_packed){NULL, NULL, 0, false};
  return sort_pairs(hi, lo, order, n, threads, kbuf, vbuf, done, out);
}
