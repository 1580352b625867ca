/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/util.c: allocation wrappers (with the test-only failure
 * hook), string trimming and the small parsers every module shares. */
/* _DEFAULT_SOURCE: POSIX 2008 plus madvise's MADV_HUGEPAGE on Linux. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#ifdef HARMRANK_FAULT_INJECTION
/* Countdown to the failing allocation (0 = disarmed) and a call counter.
 * Atomic so worker threads may allocate while a test has it armed. */
static _Atomic uint64_t fault_countdown;
static _Atomic uint64_t fault_calls;

uint64_t harm__fault_fail_after(uint64_t n) {
  uint64_t calls = atomic_exchange(&fault_calls, 0);
  atomic_store(&fault_countdown, n);
  return calls;
}

static bool fault_trips(void) {
  atomic_fetch_add(&fault_calls, 1);
  uint64_t c = atomic_load(&fault_countdown);
  while (c != 0) {
    if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1)) {
      return c == 1;
    }
  }
  return false;
}
#else
uint64_t harm__fault_fail_after(uint64_t n) {
  (void)n;
  return 0;
}
static bool fault_trips(void) { return false; }
#endif

void *harm__malloc(size_t size) {
  if (fault_trips()) {
    return NULL;
  }
  return malloc(size ? size : 1);
}

void *harm__calloc(size_t n, size_t size) {
  if (fault_trips()) {
    return NULL;
  }
  return calloc(n ? n : 1, size ? size : 1);
}

void *harm__realloc(void *p, size_t size) {
  if (fault_trips()) {
    return NULL;
  }
  return realloc(p, size ? size : 1);
}

void *harm__reallocarray(void *p, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    return NULL;
  }
  return harm__realloc(p, n * size);
}

void harm__free(void *p) { free(p); }

char *harm__strndup(const char *s, size_t len) {
  char *d = harm__malloc(len + 1);
  if (d) {
    memcpy(d, s, len);
    d[len] = '\0';
  }
  return d;
}

char *harm__strdup(const char *s) { return harm__strndup(s, strlen(s)); }

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool harm__ieq(const char *s, size_t len, const char *z) {
  size_t i = 0;
  for (; i < len; i++) {
    if (z[i] == '\0' ||
        lower((unsigned char)s[i]) != lower((unsigned char)z[i])) {
      return false;
    }
  }
  return z[i] == '\0';
}

bool harm__parse_bool(const char *s, size_t len, bool *out) {
  harm__trim(&s, &len);
  if (len == 1) {
    /* The usual export values, without the word table. */
    switch (s[0]) {
    case 'Y':
    case 'y':
    case '1':
      *out = true;
      return true;
    case 'N':
    case 'n':
    case '0':
      *out = false;
      return true;
    default:
      return false;
    }
  }
  static const char *const yes[] = {"1", "y", "yes", "true"};
  static const char *const no[] = {"0", "n", "no", "false"};
  for (size_t i = 0; i < 4; i++) {
    if (harm__ieq(s, len, yes[i])) {
      *out = true;
      return true;
    }
    if (harm__ieq(s, len, no[i])) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool harm__parse_double(const char *s, size_t len, double *out) {
  harm__trim(&s, &len);
  char tmp[64];
  if (len == 0 || len >= sizeof tmp) {
    return false;
  }
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  char *end = NULL;
  errno = 0;
  double v = strtod(tmp, &end);
  if (errno != 0 || end != tmp + len || !isfinite(v)) {
    return false;
  }
  *out = v;
  return true;
}

bool harm__parse_u64(const char *s, size_t len, uint64_t *out) {
  harm__trim(&s, &len);
  if (len == 0) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool harm__buf_append(harm__buf *b, const void *p, size_t n) {
  if (n > SIZE_MAX - b->len - 1) {
    return false;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
      cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
    }
    char *d = harm__realloc(b->data, cap);
    if (!d) {
      return false;
    }
    b->data = d;
    b->cap = cap;
  }
  if (n) {
    memcpy(b->data + b->len, p, n);
  }
  b->len += n;
  b->data[b->len] = '\0';
  return true;
}

void harm__buf_free(harm__buf *b) {
  harm__free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void msort_rec(char *a, char *tmp, size_t n, size_t size,
                      harm__cmp_fn cmp, void *ctx) {
  if (n < 2) {
    return;
  }
  size_t h = n / 2;
  msort_rec(a, tmp, h, size, cmp, ctx);
  msort_rec(a + h * size, tmp, n - h, size, cmp, ctx);
  /* Already in order: nothing to merge (common for sorted input). */
  if (cmp(a + (h - 1) * size, a + h * size, ctx) <= 0) {
    return;
  }
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) {
    if (cmp(a + j * size, a + i * size, ctx) < 0) {
      memcpy(tmp + k++ * size, a + j++ * size, size);
    } else {
      memcpy(tmp + k++ * size, a + i++ * size, size);
    }
  }
  while (i < h) {
    memcpy(tmp + k++ * size, a + i++ * size, size);
  }
  while (j < n) {
    memcpy(tmp + k++ * size, a + j++ * size, size);
  }
  memcpy(a, tmp, n * size);
}

bool harm__sort(void *base, size_t n, size_t size, harm__cmp_fn cmp,
                void *ctx) {
  if (n < 2) {
    return true;
  }
  if (size && n > SIZE_MAX / size) {
    return false;
  }
  char *tmp = harm__malloc(n * size);
  if (!tmp) {
    return false;
  }
  msort_rec(base, tmp, n, size, cmp, ctx);
  harm__free(tmp);
  return true;
}

bool harm__radix_sort(uint64_t *keys, uint32_t *vals, size_t n) {
  if (n < 2) {
    return true;
  }
  uint64_t *k2 = harm__malloc(n * sizeof *k2);
  uint32_t *v2 = harm__malloc(n * sizeof *v2);
  if (!k2 || !v2) {
    harm__free(k2);
    harm__free(v2);
    return false;
  }
  uint64_t *ks = keys, *kd = k2;
  uint32_t *vs = vals, *vd = v2;
  /* The counts of all eight bytes in one read of the keys. */
  size_t(*hist)[256] = harm__calloc(8, sizeof *hist);
  if (!hist) {
    harm__free(k2);
    harm__free(v2);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t k = keys[i];
    for (unsigned b = 0; b < 8; b++) {
      hist[b][(k >> (8 * b)) & 0xff]++;
    }
  }
  for (unsigned shift = 0; shift < 64; shift += 8) {
    size_t *count = hist[shift / 8];
    /* A byte that is the same in every key needs no pass. */
    if (count[(ks[0] >> shift) & 0xff] == n) {
      continue;
    }
    size_t pos = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t c = count[b];
      count[b] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) {
      size_t at = count[(ks[i] >> shift) & 0xff]++;
      kd[at] = ks[i];
      vd[at] = vs[i];
    }
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
  harm__free(hist);
  harm__free(k2);
  harm__free(v2);
  return true;
}

unsigned harm__cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1u : n > 64 ? 64u : (unsigned)n;
}

void harm__hint_huge_pages(void *p, size_t len) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  /* Only whole 2 MiB pages inside the block; failure is harmless (the
   * kernel may not offer transparent huge pages). */
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
  uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);
  if (len >= 2 * huge && b > a) {
    (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
  }
#else
  (void)p;
  (void)len;
#endif
}

size_t harm__shed_step = 1 << 15;

void harm__discard(void *p, size_t len) {
#if defined(__linux__) && defined(MADV_DONTNEED)
  /* The real page size: madvise rounds the length up to whole pages. */
  static _Atomic long page_size;
  long ps = atomic_load_explicit(&page_size, memory_order_relaxed);
  if (ps <= 0) {
    ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0 || (ps & (ps - 1)) != 0) {
      return;
    }
    atomic_store_explicit(&page_size, ps, memory_order_relaxed);
  }
  const uintptr_t page = (uintptr_t)ps;
  uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
  uintptr_t b = ((uintptr_t)p + len) & ~(page - 1);
  if (b > a) {
    (void)madvise((void *)a, b - a, MADV_DONTNEED);
  }
#else
  (void)p;
  (void)len;
#endif
}

void harm__shed_owned(void *base, size_t elem, size_t lo, size_t *shed,
                      size_t upto, size_t step) {
  if (upto <= *shed || upto - *shed < step) {
    return;
  }
  /* (4 KiB pages at least: harm__discard rounds to the real ones.) */
  const uintptr_t page = 4096;
  uintptr_t first = (uintptr_t)base + lo * elem;
  uintptr_t from = ((uintptr_t)base + *shed * elem) & ~(page - 1);
  uintptr_t to = (uintptr_t)base + upto * elem;
  from = from < first ? first : from;
  if (to >= from + page) {
    harm__discard((void *)from, to - from);
    *shed = upto;
  }
}

void harm__spares_put(harm__spares *s, void *p, size_t bytes) {
  for (int k = 0; p && k < HARM__SPARES; k++) {
    if (!atomic_load(&s->p[k])) {
      s->bytes[k] = bytes;
      atomic_store(&s->p[k], p);
      return;
    }
  }
  harm__free(p);
}

void *harm__spares_take(harm__spares *s, size_t bytes, bool grow) {
  for (;;) {
    int best = -1;
    bool fits = false;
    for (int k = 0; k < HARM__SPARES; k++) {
      if (!atomic_load(&s->p[k])) {
        continue;
      }
      bool f = s->bytes[k] >= bytes;
      if (best < 0 || (f && !fits) ||
          (f == fits &&
           (f ? s->bytes[k] < s->bytes[best] : s->bytes[k] > s->bytes[best]))) {
        best = k;
        fits = f;
      }
    }
    if (best < 0 || (!fits && !grow)) {
      return NULL;
    }
    void *p = atomic_exchange(&s->p[best], NULL);
    if (!p) {
      continue; /* another thread took it first */
    }
    void *q = harm__realloc(p, bytes ? bytes : 1);
    if (!q) {
      harm__free(p);
    }
    return q;
  }
}

void harm__spares_free(harm__spares *s) {
  for (int k = 0; k < HARM__SPARES; k++) {
    harm__free(atomic_exchange(&s->p[k], NULL));
  }
}

size_t harm__fmt_u64(char *out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) {
    out[i] = tmp[n - 1 - i];
  }
  return n;
}

size_t harm__fmt_fixed4(char *out, size_t cap, double x) {
  /* Integer arithmetic for 0 <= x < 4e11 (2q + 1 below 2^53), not -0.0;
   * printf for the rest. */
  if (cap == 0) {
    return 0;
  }
  if (!(x >= 0 && x < 4e11) || signbit(x) || cap < 18) {
    int w = snprintf(out, cap, "%.4f", x);
    return w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
  }
  /* q = floor(x * 10^4) of the exact binary value: fma rounds the exact
   * x * 10^4 - q once, which keeps its sign (and is 0 only when it is). */
  uint64_t q = (uint64_t)(x * 1e4);
  while (q > 0 && fma(x, 1e4, -(double)q) < 0) {
    q--;
  }
  while (fma(x, 1e4, -(double)(q + 1)) >= 0) {
    q++;
  }
  /* Rounded to nearest, ties (x * 2 x 10^4 = 2q + 1 exactly) to even,
   * as printf rounds in the default rounding mode. */
  double r = fma(x, 2e4, -(double)(2 * q + 1));
  if (r > 0 || (r == 0 && (q & 1))) {
    q++;
  }
  size_t n = harm__fmt_u64(out, q / 10000);
  unsigned f = (unsigned)(q % 10000);
  out[n++] = '.';
  out[n++] = (char)('0' + f / 1000);
  out[n++] = (char)('0' + f / 100 % 10);
  out[n++] = (char)('0' + f / 10 % 10);
  out[n++] = (char)('0' + f % 10);
  out[n] = '\0';
  return n;
}
