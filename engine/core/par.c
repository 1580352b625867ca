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

/* One thread's slice [i0, i1) of a radix pass. */
typedef struct radix_job {
  uint64_t *ks, *kd;
  uint32_t *vs, *vd;
  size_t i0, i1;
  unsigned shift;
  bool all_bytes;      /* count all eight bytes (the first read) */
  size_t hist[8][256]; /* this slice's counts; then its write positions */
} radix_job;

static int radix_count(void *arg) {
  radix_job *j = arg;
  if (j->all_bytes) {
    memset(j->hist, 0, sizeof j->hist);
    for (size_t i = j->i0; i < j->i1; i++) {
      uint64_t k = j->ks[i];
      for (unsigned b = 0; b < 8; b++) {
        j->hist[b][(k >> (8 * b)) & 0xff]++;
      }
    }
  } else {
    size_t *c = j->hist[0];
    memset(c, 0, 256 * sizeof *c);
    for (size_t i = j->i0; i < j->i1; i++) {
      c[(j->ks[i] >> j->shift) & 0xff]++;
    }
  }
  return 0;
}

static int radix_scatter(void *arg) {
  radix_job *j = arg;
  size_t *at = j->hist[0];
  for (size_t i = j->i0; i < j->i1; i++) {
    size_t p = at[(j->ks[i] >> j->shift) & 0xff]++;
    j->kd[p] = j->ks[i];
    j->vd[p] = j->vs[i];
  }
  return 0;
}

bool harm__radix_sort_mt(uint64_t *keys, uint32_t *vals, size_t n,
                         unsigned threads) {
  unsigned T = harm__par_threads(threads, n);
  if (T < 2 || n < 2) {
    return harm__radix_sort(keys, vals, n);
  }
  uint64_t *k2 = harm__malloc(n * sizeof *k2);
  uint32_t *v2 = harm__malloc(n * sizeof *v2);
  radix_job *jobs = harm__malloc(T * sizeof *jobs);
  if (!k2 || !v2 || !jobs) {
    harm__free(k2);
    harm__free(v2);
    harm__free(jobs);
    return false;
  }
  for (unsigned t = 0; t < T; t++) {
    jobs[t].ks = keys;
    jobs[t].i0 = n * t / T;
    jobs[t].i1 = n * (t + 1) / T;
    jobs[t].all_bytes = true;
  }
  harm__par_run(radix_count, jobs, sizeof *jobs, T);
  /* Which bytes vary: from the counts of the whole array, which do not
   * change as the keys move. */
  bool pass[8];
  for (unsigned b = 0; b < 8; b++) {
    size_t same = 0, v = (keys[0] >> (8 * b)) & 0xff;
    for (unsigned t = 0; t < T; t++) {
      same += jobs[t].hist[b][v];
    }
    pass[b] = same != n;
  }
  uint64_t *ks = keys, *kd = k2;
  uint32_t *vs = vals, *vd = v2;
  bool first = true;
  for (unsigned b = 0; b < 8; b++) {
    if (!pass[b]) {
      continue;
    }
    for (unsigned t = 0; t < T; t++) {
      jobs[t].ks = ks;
      jobs[t].kd = kd;
      jobs[t].vs = vs;
      jobs[t].vd = vd;
      jobs[t].shift = 8 * b;
      jobs[t].all_bytes = false;
      if (first && b) {
        /* The first pass's slices are the ones the first read counted. */
        memcpy(jobs[t].hist[0], jobs[t].hist[b], sizeof jobs[t].hist[0]);
      }
    }
    if (!first) {
      harm__par_run(radix_count, jobs, sizeof *jobs, T);
    }
    first = false;
    /* Write positions: by byte value, then by slice, so equal bytes keep
     * their order (stable) exactly as one thread would place them. */
    size_t pos = 0;
    for (unsigned v = 0; v < 256; v++) {
      for (unsigned t = 0; t < T; t++) {
        size_t c = jobs[t].hist[0][v];
        jobs[t].hist[0][v] = pos;
        pos += c;
      }
    }
    harm__par_run(radix_scatter, jobs, sizeof *jobs, T);
    uint64_t *kt = ks;
    ks = kd;
    kd = kt;
    uint32_t *vt = vs;
    vs = vd;
    vd = vt;
  }
  if (ks != keys) {
    memcpy(keys, ks, n * sizeof *keys);
    memcpy(vals, vs, n * sizeof *vals);
  }
  harm__free(jobs);
  harm__free(k2);
  harm__free(v2);
  return true;
}
