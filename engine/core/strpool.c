/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/strpool.c: string interning with XXH3 hashes and linear
 * probing; see strpool.h. */
#include "core/strpool.h"

#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static uint32_t meta_of(uint64_t hash, size_t len) {
  return ((uint32_t)(hash >> 32) & ~31u) | (len < 31 ? (uint32_t)len : 31u);
}

static uint64_t word_of(const char *s, size_t len, uint64_t offset) {
  uint64_t w = 0;
  if (len <= 8) {
    memcpy(&w, s, len);
    return w;
  }
  return offset;
}

/* Where string idx starts in sp->bytes (see harm__strpool.stride). */
static size_t str_at(const harm__strpool *sp, uint32_t idx) {
  return sp->stride ? (size_t)idx * sp->stride : (size_t)sp->offset[idx];
}

static size_t str_len(const harm__strpool *sp, uint32_t idx) {
  if (sp->stride) {
    return (size_t)sp->stride - 1;
  }
  size_t next = idx + 1 < sp->n ? (size_t)sp->offset[idx + 1] : sp->bytes_len;
  return next - (size_t)sp->offset[idx] - 1;
}

static void put_slot(harm__slot *slots, size_t mask, uint64_t hash,
                     uint32_t idx, const char *s, size_t len, uint64_t offset) {
  size_t h = (size_t)hash & mask;
  while (slots[h].idx1) {
    h = (h + 1) & mask;
  }
  slots[h].idx1 = idx + 1;
  slots[h].meta = meta_of(hash, len);
  slots[h].word = word_of(s, len, offset);
}

static bool grow_slots(harm__strpool *sp) {
  size_t n_slots = sp->n_slots ? sp->n_slots * 2 : 64;
  harm__slot *slots = harm__reallocarray(NULL, n_slots, sizeof *slots);
  if (!slots) {
    return false;
  }
  /* Only tables far beyond the caches gain from huge pages (at 100M rows
   * ingest ran a third faster); smaller ones would only grow in RSS. */
  if (n_slots * sizeof *slots >= ((size_t)128 << 20)) {
    harm__hint_huge_pages(slots, n_slots * sizeof *slots);
  }
  /* Zeroed by writing, not by calloc: a calloc'd table is mapped to the
   * shared zero page, so the probe that first reads a page and the insert
   * that then writes it cost a copy-on-write fault whose TLB flush
   * interrupts every other core (15% of a 2-thread 10M run was these
   * shootdowns). Every page is written at half load anyway. */
  memset(slots, 0, n_slots * sizeof *slots);
  for (uint32_t i = 0; i < sp->n; i++) {
    size_t len = str_len(sp, i);
    put_slot(slots, n_slots - 1, sp->hash[i], i, sp->bytes + sp->offset[i], len,
             sp->offset[i]);
  }
  harm__free(sp->slots);
  sp->slots = slots;
  sp->n_slots = n_slots;
  return true;
}

static uint32_t lookup(const harm__strpool *sp, const char *s, size_t len,
                       uint64_t h, size_t *slot) {
  if (!sp->n_slots) {
    *slot = 0;
    return HARM__STRPOOL_FAIL;
  }
  size_t mask = sp->n_slots - 1;
  size_t i = (size_t)h & mask;
  uint32_t meta = meta_of(h, len);
  uint64_t word = word_of(s, len, 0);
  const harm__slot *t;
  while ((t = &sp->slots[i])->idx1 != 0) {
    if (t->meta == meta) {
      uint32_t idx = t->idx1 - 1;
      if (len <= 8) {
        if (t->word == word) {
          *slot = i;
          return idx;
        }
      } else if ((len < 31 || str_len(sp, idx) == len) &&
                 memcmp(sp->bytes + t->word, s, len) == 0) {
        *slot = i;
        return idx;
      }
    }
    i = (i + 1) & mask;
  }
  *slot = i;
  return HARM__STRPOOL_FAIL;
}

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb) {
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la < lb ? -1 : la > lb);
}

uint32_t harm__strpool_find(const harm__strpool *sp, const char *s,
                            size_t len) {
  if (!sp->n_slots) {
    /* A unified pool: sorted, no index. */
    uint32_t lo = 0, hi = sp->n;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      size_t ml;
      const char *m = harm__strpool_get(sp, mid, &ml);
      int c = cmp_bytes(m, ml, s, len);
      if (c == 0) {
        return mid;
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return HARM__STRPOOL_FAIL;
  }
  size_t slot;
  return lookup(sp, s, len, harm__hash(s, len), &slot);
}

/* Room for `more` bytes in the pool's text, doubling from `first`. */
static bool grow_bytes(harm__strpool *sp, size_t more, size_t first) {
  if (sp->bytes_len + more <= sp->bytes_cap) {
    return true;
  }
  size_t cap = sp->bytes_cap ? sp->bytes_cap : first;
  while (cap < sp->bytes_len + more) {
    cap *= 2;
  }
  char *b = harm__realloc(sp->bytes, cap);
  if (!b) {
    return false;
  }
  sp->bytes = b;
  sp->bytes_cap = cap;
  return true;
}

uint32_t harm__strpool_intern(harm__strpool *sp, const char *s, size_t len,
                              bool *added) {
  return harm__strpool_intern_h(sp, s, len, harm__hash(s, len), added);
}

uint32_t harm__strpool_intern_h(harm__strpool *sp, const char *s, size_t len,
                                uint64_t h, bool *added) {
  size_t slot;
  uint32_t idx = lookup(sp, s, len, h, &slot);
  if (added) {
    *added = false;
  }
  if (idx != HARM__STRPOOL_FAIL) {
    return idx;
  }
  if (sp->n >= UINT32_MAX - 1) {
    return HARM__STRPOOL_FAIL;
  }
  /* Keep the table at most half full. */
  if ((size_t)(sp->n + 1) * 2 > sp->n_slots) {
    if (!grow_slots(sp)) {
      return HARM__STRPOOL_FAIL;
    }
    lookup(sp, s, len, h, &slot);
  }
  if (sp->n == sp->cap) {
    uint32_t cap = sp->cap ? sp->cap * 2 : 64;
    uint64_t *off = harm__reallocarray(sp->offset, cap, sizeof *off);
    if (!off) {
      return HARM__STRPOOL_FAIL;
    }
    sp->offset = off;
    uint64_t *hs = harm__reallocarray(sp->hash, cap, sizeof *hs);
    if (!hs) {
      return HARM__STRPOOL_FAIL;
    }
    sp->hash = hs;
    sp->cap = cap;
  }
  if (!grow_bytes(sp, len + 1, 4096)) {
    return HARM__STRPOOL_FAIL;
  }
  idx = sp->n++;
  sp->offset[idx] = sp->bytes_len;
  sp->hash[idx] = h;
  memcpy(sp->bytes + sp->bytes_len, s, len);
  sp->bytes[sp->bytes_len + len] = '\0';
  sp->bytes_len += len + 1;
  sp->slots[slot].idx1 = idx + 1;
  sp->slots[slot].meta = meta_of(h, len);
  sp->slots[slot].word = word_of(s, len, sp->offset[idx]);
  if (added) {
    *added = true;
  }
  return idx;
}

/* Length of a string of up to 16 bytes from its two big-endian keys:
 * ids hold no NUL, so the zero padding marks the end. 16 means "16 or
 * more". */
static size_t key_len(uint64_t k1, uint64_t k2) {
  if (k2) {
    return 16 - (size_t)__builtin_ctzll(k2) / 8;
  }
  return harm__strpool_key_len(k1);
}

/* Row i's second key in a keyed pool (0 when no id is longer than 8). */
static inline uint64_t row_key2(const harm__strpool *sp, uint32_t i) {
  return sp->key2 ? sp->key2[i] : 0;
}

/* A keyed pool of rows (its ids all of up to 16 bytes, as keys in
 * offset[] and key2[]) turned into one of strings, for an id that is
 * longer: every id written out as its bytes and a NUL. False on
 * allocation failure (the pool is unchanged). */
static bool unkey(harm__strpool *sp) {
  size_t total = 0;
  for (uint32_t i = 0; i < sp->n; i++) {
    total += key_len(sp->offset[i], row_key2(sp, i)) + 1;
  }
  /* Room for as many bytes again: the longer ids keep coming. */
  if (!grow_bytes(sp, total, 2 * total > 16384 ? 2 * total : 16384)) {
    return false;
  }
  size_t at = 0;
  for (uint32_t i = 0; i < sp->n; i++) {
    uint64_t k2 = row_key2(sp, i);
    uint64_t w[2] = {__builtin_bswap64(sp->offset[i]), __builtin_bswap64(k2)};
    size_t len = key_len(sp->offset[i], k2);
    memcpy(sp->bytes + at, w, len);
    sp->bytes[at + len] = '\0';
    sp->offset[i] = at;
    at += len + 1;
  }
  sp->bytes_len = at;
  sp->keyed = false;
  harm__free(sp->key2);
  sp->key2 = NULL;
  return true;
}

/* Room for cap rows in a pool of rows: offset[] and, when it exists,
 * key2[]. False on allocation failure (cap unchanged; an array already
 * grown only has more room). */
static bool grow_rows(harm__strpool *sp, uint32_t cap) {
  uint64_t *off = harm__reallocarray(sp->offset, cap, sizeof *off);
  if (!off) {
    return false;
  }
  sp->offset = off;
  if (sp->key2) {
    uint64_t *k2 = harm__reallocarray(sp->key2, cap, sizeof *k2);
    if (!k2) {
      return false;
    }
    sp->key2 = k2;
  }
  sp->cap = cap;
  return true;
}

bool harm__strpool_reserve_rows(harm__strpool *sp, uint32_t n, size_t bytes) {
  if (n > sp->cap && !grow_rows(sp, n)) {
    return false;
  }
  return bytes <= sp->bytes_len || grow_bytes(sp, bytes - sp->bytes_len, bytes);
}

uint32_t harm__strpool_append(harm__strpool *sp, const char *s, size_t len) {
  if (sp->n >= UINT32_MAX - 1) {
    return HARM__STRPOOL_FAIL;
  }
  if (sp->n == sp->cap) {
    uint32_t cap =
        sp->cap ? (sp->cap < UINT32_MAX / 2 ? sp->cap * 2 : UINT32_MAX - 1)
                : 1024;
    if (!grow_rows(sp, cap)) {
      return HARM__STRPOOL_FAIL;
    }
  }
  /* An empty pool is keyed when its first id has up to 16 bytes, and
   * stays so until a longer one comes; its second keys exist from its
   * first id of more than 8 bytes on (zero for the ids before). */
  if (sp->n == 0 && sp->bytes_len == 0) {
    sp->keyed = len <= 16;
  }
  if (sp->keyed && len <= 16) {
    if (len > 8 && !sp->key2) {
      sp->key2 = harm__calloc(sp->cap, sizeof *sp->key2);
      if (!sp->key2) {
        return HARM__STRPOOL_FAIL;
      }
    }
    sp->offset[sp->n] = harm__strpool_key(s, len);
    if (sp->key2) {
      sp->key2[sp->n] = len > 8 ? harm__strpool_key(s + 8, len - 8) : 0;
    }
    return sp->n++;
  }
  if (sp->keyed && !unkey(sp)) {
    return HARM__STRPOOL_FAIL;
  }
  if (!grow_bytes(sp, len + 1, 16384)) {
    return HARM__STRPOOL_FAIL;
  }
  uint32_t idx = sp->n++;
  sp->offset[idx] = sp->bytes_len;
  memcpy(sp->bytes + sp->bytes_len, s, len);
  sp->bytes[sp->bytes_len + len] = '\0';
  sp->bytes_len += len + 1;
  return idx;
}

const char *harm__strpool_get(const harm__strpool *sp, uint32_t i,
                              size_t *len) {
  if (len) {
    *len = str_len(sp, i);
  }
  return sp->bytes + str_at(sp, i);
}

/* Bytewise comparison of two pooled strings (embedded NULs cannot occur
 * in ids: ingest rejects them, so strcmp order is bytewise order). */
static int cmp_entries(const harm__strpool *sp, uint32_t a, uint32_t b) {
  size_t la, lb;
  const char *sa = harm__strpool_get(sp, a, &la);
  const char *sb = harm__strpool_get(sp, b, &lb);
  size_t n = la < lb ? la : lb;
  int c = memcmp(sa, sb, n);
  if (c) {
    return c;
  }
  return la < lb ? -1 : (la > lb ? 1 : 0);
}

static int cmp_index(const void *a, const void *b, void *ctx) {
  return cmp_entries(ctx, *(const uint32_t *)a, *(const uint32_t *)b);
}

bool harm__strpool_sorted(const harm__strpool *sp, uint32_t *order,
                          uint32_t *rank) {
  size_t n = sp->n;
  uint32_t *ord = order ? order : harm__malloc((n + 1) * sizeof *ord);
  uint64_t *keys = harm__malloc((n + 1) * sizeof *keys);
  if (!ord || !keys) {
    if (ord != order) {
      harm__free(ord);
    }
    harm__free(keys);
    return false;
  }
  for (uint32_t i = 0; i < sp->n; i++) {
    size_t len;
    const char *s = harm__strpool_get(sp, i, &len);
    keys[i] = harm__strpool_key(s, len);
    ord[i] = i;
  }
  /* Radix sort on the 8-byte prefix, then a full comparison only inside
   * runs of equal prefixes (ids longer than 8 bytes sharing them). */
  bool ok = harm__radix_sort(keys, ord, n);
  for (size_t i = 0; ok && i < n;) {
    size_t j = i + 1;
    while (j < n && keys[j] == keys[i]) {
      j++;
    }
    if (j - i > 1) {
      ok = harm__sort(ord + i, j - i, sizeof *ord, cmp_index, (void *)sp);
    }
    i = j;
  }
  harm__free(keys);
  if (ok && rank) {
    for (uint32_t i = 0; i < sp->n; i++) {
      rank[ord[i]] = i;
    }
  }
  if (ord != order) {
    harm__free(ord);
  }
  return ok;
}

bool harm__strpool_permute(harm__strpool *sp, const uint32_t *order) {
  harm__strpool np = HARM__STRPOOL_INIT;
  np.bytes = harm__malloc(sp->bytes_len ? sp->bytes_len : 1);
  np.offset = harm__malloc(((size_t)sp->n + 1) * sizeof *np.offset);
  np.hash = harm__malloc(((size_t)sp->n + 1) * sizeof *np.hash);
  size_t n_slots = 64;
  while (n_slots < (size_t)sp->n * 2 + 2) {
    n_slots *= 2;
  }
  np.slots = harm__calloc(n_slots, sizeof *np.slots);
  if (!np.bytes || !np.offset || !np.hash || !np.slots) {
    harm__strpool_free(&np);
    return false;
  }
  np.bytes_cap = sp->bytes_len ? sp->bytes_len : 1;
  np.cap = sp->n + 1;
  np.n_slots = n_slots;
  for (uint32_t i = 0; i < sp->n; i++) {
    size_t len;
    const char *s = harm__strpool_get(sp, order[i], &len);
    np.offset[i] = np.bytes_len;
    np.hash[i] = sp->hash[order[i]];
    memcpy(np.bytes + np.bytes_len, s, len + 1);
    np.bytes_len += len + 1;
    put_slot(np.slots, n_slots - 1, np.hash[i], i, s, len, np.offset[i]);
  }
  np.n = sp->n;
  harm__strpool_free(sp);
  *sp = np;
  return true;
}

typedef struct unify_entry {
  uint32_t pool;
  uint32_t idx;
} unify_entry;

typedef struct unify_ctx {
  const harm__strpool *const *pools;
  const unify_entry *e;
} unify_ctx;

static int cmp_unify(const void *a, const void *b, void *ctx) {
  const unify_ctx *u = ctx;
  const unify_entry *x = &u->e[*(const uint32_t *)a];
  const unify_entry *y = &u->e[*(const uint32_t *)b];
  size_t lx, ly;
  const char *sx = harm__strpool_get(u->pools[x->pool], x->idx, &lx);
  const char *sy = harm__strpool_get(u->pools[y->pool], y->idx, &ly);
  return cmp_bytes(sx, lx, sy, ly);
}

/* The unify state shared by its phases (see unify below). */
typedef struct unify_run {
  const harm__strpool *const *pools;
  const bool *const *used;
  uint32_t *const *maps;
  bool any_k2, any_long;
  size_t max_len;
  /* Every used string has max_len bytes: the output keeps no offsets
   * (harm__strpool.stride). */
  bool fixed;
  unify_entry *e;
  uint64_t *keys, *k2;
  uint32_t *ord, *lens, *newidx;
  /* Pool k's map entry for its string i: the uint32_t at (char *)maps[k]
   * + i * stride. `direct` (every string used): the writer puts each
   * entry's new index there itself, entry m being string m - m0[k] of
   * the pool k with m0[k] <= m < m0[k + 1]; newidx is not used. */
  size_t stride;
  bool direct;
  size_t *m0; /* n_pools + 1 */
  size_t n_pools;
  /* pool_of's start: lut[b] is the pool of entry b << lut_shift (NULL
   * with one pool). */
  uint32_t *lut;
  unsigned lut_shift;
  harm__strpool *out;
  /* The pools are consumed: the sorted keys and order hand their pages
   * back as the output is written, so the two are not both resident. */
  bool shed;
  /* Ids of up to 16 bytes sorted with the index in the keys (one key,
   * or a pair packed in one): keys holds the sorted words as the sort
   * left them (pk.words), each entry's keys and index read from its
   * word; ord and k2 are not used. */
  harm__radix_packed pk;
} unify_run;

/* One pool's share of the phases that go pool by pool: the scan (counts),
 * the gather (keys at the pool's first entry m0) and the maps. */
typedef struct unify_pool {
  const unify_run *u;
  size_t k;
  size_t n, bytes, max_len; /* used strings, their bytes with NULs */
  size_t min_len;           /* the shortest used string (SIZE_MAX: none) */
  size_t m0;                /* the pool's first entry */
} unify_pool;

/* (The map is written by pool_maps only, after the sort: its pages are
 * not resident while the sort's arrays are.) */
static void pool_scan(unify_pool *p) {
  const harm__strpool *sp = p->u->pools[p->k];
  const bool *used = p->u->used[p->k];
  size_t n = 0, bytes = 0, max_len = 0, min_len = SIZE_MAX;
  for (uint32_t i = 0; i < sp->n; i++) {
    if (!used || used[i]) {
      size_t len = sp->keyed ? key_len(sp->offset[i], row_key2(sp, i)) : 0;
      if (!sp->keyed) {
        (void)harm__strpool_get(sp, i, &len);
      }
      max_len = len > max_len ? len : max_len;
      min_len = len < min_len ? len : min_len;
      bytes += len + 1;
      n++;
    }
  }
  p->n = n;
  p->bytes = bytes;
  p->max_len = max_len;
  p->min_len = min_len;
}

static void pool_gather(unify_pool *p) {
  const unify_run *u = p->u;
  const harm__strpool *sp = u->pools[p->k];
  const bool *used = u->used[p->k];
  size_t m = p->m0;
  /* A consumed keyed pool whose strings all fit the keys (it is freed
   * right after the gather) hands its keys back as they are taken, so
   * the pool and the gathered keys are not both resident. */
  bool shed = u->shed && sp->keyed && !u->any_long;
  size_t done = 0;
  for (uint32_t i = 0; i < sp->n; i++) {
    size_t from = done;
    if (shed && harm__shed(sp->offset, sizeof *sp->offset, &done, i) &&
        sp->key2) {
      harm__discard(sp->key2 + from, (done - from) * sizeof *sp->key2);
    }
    if (used && !used[i]) {
      continue;
    }
    size_t len;
    if (sp->keyed) {
      u->keys[m] = sp->offset[i];
      len = key_len(sp->offset[i], row_key2(sp, i));
      if (u->any_k2) {
        u->k2[m] = row_key2(sp, i);
      }
    } else {
      const char *str = harm__strpool_get(sp, i, &len);
      u->keys[m] = harm__strpool_key(str, len);
      if (u->any_k2) {
        u->k2[m] = len > 8 ? harm__strpool_key(str + 8, len - 8) : 0;
      }
    }
    if (u->any_long) {
      u->e[m].pool = (uint32_t)p->k;
      u->e[m].idx = i;
      u->lens[m] = (uint32_t)(len < UINT32_MAX ? len : UINT32_MAX);
    }
    m++;
  }
}

/* Pool k's map entry for its string i (see unify_run.stride). */
static uint32_t *map_at(const unify_run *u, size_t k, size_t i) {
  return (uint32_t *)(void *)((char *)u->maps[k] + i * u->stride);
}

/* The pool of entry m: the last k with m0[k] <= m (from the pool of the
 * first entry of m's block of 2^lut_shift entries, a step or two on). */
static size_t pool_of(const unify_run *u, size_t m) {
  if (!u->lut) {
    return 0;
  }
  size_t k = u->lut[m >> u->lut_shift];
  while (k + 1 < u->n_pools && u->m0[k + 1] <= m) {
    k++;
  }
  return k;
}

/* Builds u->lut for n entries (at most 65,536 blocks). False on
 * allocation failure. */
static bool build_lut(unify_run *u, size_t n) {
  if (u->n_pools <= 1) {
    return true;
  }
  unsigned shift = 0;
  while ((n >> shift) >= 65536) {
    shift++;
  }
  size_t blocks = (n >> shift) + 1;
  u->lut = harm__malloc(blocks * sizeof *u->lut);
  if (!u->lut) {
    return false;
  }
  u->lut_shift = shift;
  size_t k = 0;
  for (size_t b = 0; b < blocks; b++) {
    while (k + 1 < u->n_pools && u->m0[k + 1] <= b << shift) {
      k++;
    }
    u->lut[b] = (uint32_t)k;
  }
  return true;
}

static void pool_maps(unify_pool *p) {
  const harm__strpool *sp = p->u->pools[p->k];
  const bool *used = p->u->used[p->k];
  size_t m = p->m0;
  for (uint32_t i = 0; i < sp->n; i++) {
    *map_at(p->u, p->k, i) = !used || used[i] ? p->u->newidx[m++] : UINT32_MAX;
  }
}

/* Runs fn over pools[0..n) on up to T threads, pool k on worker k % T. */
typedef struct pool_worker {
  unify_pool *pools;
  size_t n, first, step;
  void (*fn)(unify_pool *);
} pool_worker;

static int pool_worker_main(void *arg) {
  pool_worker *w = arg;
  for (size_t k = w->first; k < w->n; k += w->step) {
    w->fn(&w->pools[k]);
  }
  return 0;
}

static void run_pools(void (*fn)(unify_pool *), unify_pool *pools, size_t n,
                      unsigned T) {
  if (T > n) {
    T = (unsigned)n;
  }
  if (T <= 1) {
    for (size_t k = 0; k < n; k++) {
      fn(&pools[k]);
    }
    return;
  }
  pool_worker w[HARM__PAR_MAX];
  for (unsigned t = 0; t < T; t++) {
    w[t] = (pool_worker){pools, n, t, T, fn};
  }
  harm__par_run(pool_worker_main, w, sizeof *w, T);
}

/* Sorted entry r's first key (its bytes 0-7), its second (bytes 8-15)
 * and its entry index. */
static inline uint64_t sorted_key(const unify_run *u, size_t r) {
  return u->pk.words ? harm__radix_packed_key(&u->pk, u->keys[r]) : u->keys[r];
}
static inline uint64_t sorted_key2(const unify_run *u, size_t r) {
  return u->pk.words ? harm__radix_packed_key2(&u->pk, u->keys[r]) : u->k2[r];
}
static inline uint32_t sorted_entry(const unify_run *u, size_t r) {
  return u->pk.words
             ? (uint32_t)(u->keys[r] & (((uint64_t)1 << u->pk.ibits) - 1))
             : u->ord[r];
}

/* Packed words: whether sorted entry r (r > 0) has entry r - 1's key
 * (the ranks above the index are equal exactly when the keys are). */
static inline bool packed_same(const unify_run *u, size_t r) {
  return u->keys[r] >> u->pk.ibits == u->keys[r - 1] >> u->pk.ibits;
}

/* Length of sorted entry r (the keys hold it up to 16 bytes). */
static size_t sorted_len(const unify_run *u, size_t r) {
  if (u->fixed) {
    return u->max_len; /* every string has that length: nothing to read */
  }
  if (u->pk.words) {
    /* Ids of up to 16 bytes: the keys hold every byte. */
    return key_len(sorted_key(u, r), u->any_k2 ? sorted_key2(u, r) : 0);
  }
  size_t len = key_len(u->keys[r], u->any_k2 ? u->k2[r] : 0);
  if (len == 16 && u->max_len > 16) {
    len = u->lens[u->ord[r]];
  }
  return len;
}

/* Whether sorted entry r (r > 0) is the same string as entry r - 1. */
static bool same_as_previous(const unify_run *u, size_t r, size_t len) {
  if (u->keys[r] != u->keys[r - 1] || (u->any_k2 && u->k2[r] != u->k2[r - 1])) {
    return false;
  }
  if (len < 16 || u->max_len <= 16) {
    return true;
  }
  unify_ctx ctx = {u->pools, u->e};
  return len == u->lens[u->ord[r - 1]] &&
         (len <= 16 || cmp_unify(&u->ord[r], &u->ord[r - 1], &ctx) == 0);
}

/* One slice [r0, r1) of the sorted entries in the output: first its new
 * strings and their bytes are counted, then (from c0 strings and b0 bytes
 * before it) written, and each entry's new index noted. */
typedef struct unify_slice {
  const unify_run *u;
  size_t r0, r1;
  size_t count, bytes;
  size_t c0, b0;
} unify_slice;

static int slice_count(void *arg) {
  unify_slice *s = arg;
  size_t count = 0, bytes = 0;
  for (size_t r = s->r0; r < s->r1; r++) {
    if (s->u->pk.words) {
      /* The key is unpacked for new strings only. */
      if (r == 0 || !packed_same(s->u, r)) {
        count++;
        bytes += sorted_len(s->u, r) + 1;
      }
      continue;
    }
    size_t len = sorted_len(s->u, r);
    if (r == 0 || !same_as_previous(s->u, r, len)) {
      count++;
      bytes += len + 1;
    }
  }
  s->count = count;
  s->bytes = bytes;
  return 0;
}

static int slice_write(void *arg) {
  unify_slice *s = arg;
  const unify_run *u = s->u;
  harm__strpool *out = u->out;
  size_t at = s->b0, next = s->c0;
  const size_t end = s->b0 + s->bytes; /* the slice's room */
  size_t done = s->r0; /* keys and order before it are handed back */
  for (size_t r = s->r0; r < s->r1; r++) {
#if defined(__GNUC__)
    if (u->direct && r + 16 < s->r1) {
      /* The map slots are written in no memory order (a cache miss
       * each, in the records): fetched 16 entries ahead. */
      size_t m = sorted_entry(u, r + 16), k = pool_of(u, m);
      __builtin_prefetch(map_at(u, k, m - u->m0[k]), 1);
    }
#endif
    /* Read no more: the entries before r - 1 (same_as_previous reads
     * r - 1; and the next slice reads this slice's last one, never
     * handed back). */
    size_t from = done;
    if (u->shed && r > 0 &&
        harm__shed(u->keys, sizeof *u->keys, &done, r - 1)) {
      harm__discard(u->ord + from, (done - from) * sizeof *u->ord);
    }
    bool fresh;
    size_t len = 0;
    uint64_t k1 = 0, k2 = 0;
    if (u->pk.words) {
      /* Packed words: a new string's keys are unpacked once, its length
       * taken from them. */
      fresh = r == 0 || !packed_same(u, r);
      if (fresh) {
        k1 = sorted_key(u, r);
        k2 = u->any_k2 ? sorted_key2(u, r) : 0;
        len = u->fixed ? u->max_len : key_len(k1, k2);
      }
    } else {
      len = sorted_len(u, r);
      fresh = r == 0 || !same_as_previous(u, r, len);
      k1 = u->keys[r];
      k2 = u->any_k2 ? u->k2[r] : 0;
    }
    if (fresh) {
      if (!u->fixed) {
        out->offset[next] = at;
      }
      next++;
      if (len <= 16 && at + 16 <= end) {
        /* The bytes are in the keys: no read of the source pool. Both
         * keys are stored whole (their padding is overwritten by the next
         * string or the NUL), as the slice's room reaches 16 bytes on. */
        uint64_t w[2] = {__builtin_bswap64(k1), __builtin_bswap64(k2)};
        memcpy(out->bytes + at, w, sizeof w);
      } else if (len <= 16) {
        for (size_t b = 0; b < len; b++) {
          uint64_t w = b < 8 ? k1 : k2; /* b >= 8: any_k2 */
          out->bytes[at + b] = (char)(w >> (56 - 8 * (b % 8)));
        }
      } else {
        const unify_entry *x = &u->e[u->ord[r]];
        memcpy(out->bytes + at,
               harm__strpool_get(u->pools[x->pool], x->idx, NULL), len);
      }
      out->bytes[at + len] = '\0';
      at += len + 1;
    }
    /* next - 1: the string this entry starts or repeats (a slice that
     * starts inside a run of equal entries continues the previous
     * slice's last string, c0 - 1). */
    size_t m = sorted_entry(u, r);
    if (u->direct) {
      size_t k = pool_of(u, m);
      *map_at(u, k, m - u->m0[k]) = (uint32_t)(next - 1);
    } else {
      u->newidx[m] = (uint32_t)(next - 1);
    }
  }
  return 0;
}

/* harm__strpool_unify, on up to `threads` threads (0: every core; the
 * result is the same at any count): the pools are scanned, keyed and
 * mapped pool by pool and the sorted entries written slice by slice in
 * parallel, and the keys radix sorted in parallel. `consume` (NULL, or
 * the n_pools pools themselves) are freed of their bytes once the keys
 * hold them all. */
static bool unify(harm__strpool *out, const harm__strpool *const *pools,
                  const bool *const *used, uint32_t *const *maps,
                  size_t n_pools, size_t map_stride, unsigned threads,
                  harm__strpool *const *consume, harm__spares *keep) {
  size_t all = 0;
  for (size_t k = 0; k < n_pools; k++) {
    all += pools[k]->n;
  }
  unsigned T = harm__par_threads(threads, all);
  unify_run u = {.pools = pools,
                 .used = used,
                 .maps = maps,
                 .out = out,
                 .stride = map_stride,
                 .n_pools = n_pools,
                 .shed = consume != NULL};
  unify_pool *pj = harm__calloc(n_pools + 1, sizeof *pj);
  u.m0 = harm__malloc((n_pools + 1) * sizeof *u.m0);
  if (!pj || !u.m0) {
    harm__free(pj);
    harm__free(u.m0);
    return false;
  }
  for (size_t k = 0; k < n_pools; k++) {
    pj[k].u = &u;
    pj[k].k = k;
  }
  run_pools(pool_scan, pj, n_pools, T);
  /* The longest used string decides which arrays are needed at all: ids
   * of up to 8 bytes (the usual case) need only the first keys, so the
   * memory first touched here is 28 bytes per entry instead of 52. */
  size_t n = 0, bytes = 0, min_len = SIZE_MAX;
  for (size_t k = 0; k < n_pools; k++) {
    pj[k].m0 = u.m0[k] = n;
    n += pj[k].n;
    bytes += pj[k].bytes;
    u.max_len = pj[k].max_len > u.max_len ? pj[k].max_len : u.max_len;
    min_len = pj[k].min_len < min_len ? pj[k].min_len : min_len;
  }
  u.fixed = n > 0 && min_len == u.max_len && u.max_len < UINT32_MAX - 1;
  u.m0[n_pools] = n;
  if (n >= UINT32_MAX) {
    harm__free(pj);
    harm__free(u.m0);
    return false;
  }
  u.any_k2 = u.max_len > 8;
  u.any_long = u.max_len > 16;
  /* Every string used: the new indices are written into the maps
   * directly (no index array per entry, no copy into the maps). */
  u.direct = true;
  for (size_t k = 0; k < n_pools; k++) {
    u.direct = u.direct && pj[k].n == pools[k]->n;
  }
  u.e = u.any_long ? harm__malloc((n + 1) * sizeof *u.e) : NULL;
  u.keys = harm__malloc((n + 1) * sizeof *u.keys);
  u.k2 = harm__calloc(u.any_k2 ? n + 1 : 1, sizeof *u.k2);
  u.ord = harm__malloc((n + 1) * sizeof *u.ord);
  u.lens = u.any_long ? harm__malloc((n + 1) * sizeof *u.lens) : NULL;
  bool ok = (u.e || !u.any_long) && u.keys && u.k2 && u.ord &&
            (u.lens || !u.any_long);
  ok = ok && (!u.direct || build_lut(&u, n));
  if (ok) {
    run_pools(pool_gather, pj, n_pools, T);
  }
  /* Strings of up to 16 bytes are wholly in the keys (key_len and the
   * output below read nothing else): a consumed pool can go now. */
  for (size_t k = 0; ok && consume && !u.any_long && k < n_pools; k++) {
    harm__free(consume[k]->bytes);
    harm__free(consume[k]->offset);
    harm__free(consume[k]->key2);
    consume[k]->bytes = NULL;
    consume[k]->offset = NULL;
    consume[k]->key2 = NULL;
    consume[k]->bytes_len = consume[k]->bytes_cap = 0;
  }
  /* Stable radix sorts on bytes 8..15, then on bytes 0..7: the order of
   * the first 16 bytes, which is the whole string for ids up to 16 bytes
   * (they hold no NUL). Only runs equal in both keys that hold a longer
   * string need a full comparison. Equal strings from different pools end
   * up adjacent. When no string is longer than 8 bytes (most ids), the
   * second keys are all zero and one sort of the first keys, in place,
   * is the whole job. */
  /* The sorts' scratch becomes the output's offsets (kbuf) and the new
   * index per entry (vbuf) below, both written in full there: pages a
   * sort wrote and kept are not faulted in twice (the index sorts never
   * touch vbuf and may hand kbuf's pages back). */
  uint64_t *kbuf = ok ? harm__malloc((n + 1) * sizeof *kbuf) : NULL;
  uint32_t *vbuf = ok ? harm__malloc((n + 1) * sizeof *vbuf) : NULL;
  ok = ok && kbuf && vbuf;
  bool pairs = false; /* sorted as one packed key (ids of 9-16 bytes) */
  if (ok && u.any_k2) {
    /* Ids of up to 16 bytes are wholly in the pairs: their words can stay
     * packed for the writer, as single keys do. */
    ok = u.any_long
             ? harm__radix_sort_pairs(u.keys, u.k2, u.ord, n, threads, kbuf,
                                      vbuf, &pairs)
             : harm__radix_sort_pairs_packed(u.keys, u.k2, u.ord, n, threads,
                                             kbuf, vbuf, &pairs, &u.pk);
  }
  if (ok && !u.any_k2) {
    ok = harm__radix_sort_index_packed(u.keys, u.ord, n, threads, kbuf, vbuf,
                                       &u.pk);
  } else if (ok && !pairs) {
    for (size_t m = 0; m < n; m++) {
      u.ord[m] = (uint32_t)m; /* the two sorts below carry the order */
    }
    uint64_t *scratch = harm__malloc((n + 1) * sizeof *scratch);
    ok = scratch != NULL;
    if (ok) {
      /* keys and k2 stay in entry order; scratch carries the sort keys. */
      memcpy(scratch, u.k2, n * sizeof *scratch);
      ok = harm__radix_order_buf(scratch, u.ord, n, threads, kbuf, vbuf);
    }
    for (size_t r = 0; ok && r < n; r++) {
      scratch[r] = u.keys[u.ord[r]];
    }
    ok = ok && harm__radix_sort_buf(scratch, u.ord, n, threads, kbuf, vbuf);
    if (ok) {
      /* Now scratch holds the first keys in sorted order; put the second
       * keys in that order too (keys, in entry order, is free to reuse). */
      for (size_t r = 0; r < n; r++) {
        u.keys[r] = u.k2[u.ord[r]];
      }
      uint64_t *t = u.k2;
      u.k2 = u.keys;
      u.keys = scratch;
      scratch = t;
    }
    harm__free(scratch);
  }
  if (ok && u.pk.words && u.pk.words == kbuf) {
    /* The sorted words are in the scratch: the keys array, read no more,
     * takes the scratch's part below (the output's offsets). */
    kbuf = u.keys;
    u.keys = u.pk.words;
  }
  unify_ctx ctx = {pools, u.e};
  for (size_t i = 0; ok && u.max_len > 16 && i < n;) {
    size_t j = i + 1;
    bool long_one = u.lens[u.ord[i]] > 16;
    while (j < n && u.keys[j] == u.keys[i] && u.k2[j] == u.k2[i]) {
      long_one = long_one || u.lens[u.ord[j]] > 16;
      j++;
    }
    if (j - i > 1 && long_one) {
      ok = harm__sort(u.ord + i, j - i, sizeof *u.ord, cmp_unify, &ctx);
    }
    i = j;
  }
  if (ok) {
    out->bytes = harm__malloc(bytes + 1);
    out->offset = kbuf;
    out->hash = NULL;
    kbuf = NULL;
    if (u.direct) {
      harm__free(vbuf);
    } else {
      u.newidx = vbuf;
    }
    vbuf = NULL;
    ok = out->bytes != NULL;
  }
  /* New index per entry, written in sorted order and read back in entry
   * order below: one scattered write instead of gathering the entry and
   * scattering into maps. Slices of about n / T sorted entries. */
  unsigned TS = harm__par_threads(threads, n);
  unify_slice sl[HARM__PAR_MAX];
  for (unsigned t = 0; ok && t < TS; t++) {
    sl[t] = (unify_slice){.u = &u, .r0 = n * t / TS, .r1 = n * (t + 1) / TS};
  }
  if (ok) {
    harm__par_run(slice_count, sl, sizeof *sl, TS);
    size_t c = 0, b = 0;
    for (unsigned t = 0; t < TS; t++) {
      sl[t].c0 = c;
      sl[t].b0 = b;
      c += sl[t].count;
      b += sl[t].bytes;
    }
    /* The offsets block was the sorts' scratch, written in full: its
     * pages past the c + 1 offsets (all of them, for strings of one
     * length) go back before the strings' bytes are first written. */
    if (u.fixed) {
      harm__free(out->offset);
      out->offset = NULL;
      out->stride = (uint32_t)u.max_len + 1;
    } else {
      harm__discard(out->offset + c + 1, (n - c) * sizeof *out->offset);
    }
    harm__par_run(slice_write, sl, sizeof *sl, TS);
    if (!u.direct) {
      run_pools(pool_maps, pj, n_pools, T);
    }
    out->bytes_len = b;
    out->bytes_cap = bytes + 1;
    out->n = (uint32_t)c;
    out->cap = u.fixed ? 0 : (uint32_t)(n + 1);
    /* The offsets block shrinks to the c strings (a failed shrink keeps
     * the block as it is). */
    uint64_t *off =
        u.fixed ? NULL : harm__realloc(out->offset, (c + 1) * sizeof *off);
    if (off) {
      out->offset = off;
      out->cap = (uint32_t)(c + 1);
    }
  } else {
    harm__strpool_free(out);
  }
  harm__free(kbuf);
  harm__free(vbuf);
  harm__free(u.newidx);
  harm__free(u.lut);
  harm__free(u.m0);
  harm__free(u.e);
  harm__radix_packed_free(&u.pk);
  if (ok && keep) {
    harm__spares_put(keep, u.keys, (n + 1) * sizeof *u.keys);
    harm__spares_put(keep, u.ord, (n + 1) * sizeof *u.ord);
  } else {
    harm__free(u.keys);
    harm__free(u.ord);
  }
  harm__free(u.k2);
  harm__free(u.lens);
  harm__free(pj);
  return ok;
}

bool harm__strpool_unify(harm__strpool *out, const harm__strpool *const *pools,
                         const bool *const *used, uint32_t *const *maps,
                         size_t n_pools) {
  return unify(out, pools, used, maps, n_pools, sizeof **maps, 1, NULL, NULL);
}

bool harm__strpool_unify_rows(harm__strpool *out, harm__strpool *rows,
                              const bool *used, uint32_t *map) {
  const harm__strpool *pools[1] = {rows};
  harm__strpool *consume[1] = {rows};
  const bool *usedv[1] = {used};
  uint32_t *maps[1] = {map};
  return unify(out, pools, usedv, maps, 1, sizeof *map, 1, consume, NULL);
}

bool harm__strpool_unify_pools(harm__strpool *out, harm__strpool *const *pools,
                               const bool *const *used, uint32_t *const *maps,
                               size_t n_pools, size_t map_stride,
                               unsigned threads, harm__spares *keep) {
  return unify(out, (const harm__strpool *const *)pools, used, maps, n_pools,
               map_stride, threads, pools, keep);
}

bool harm__strpool_ordered_begin(harm__strpool *out, size_t cap, size_t len) {
  memset(out, 0, sizeof *out);
  size_t per = len ? len + 1 : 9;
  /* 8 bytes past the last id: each is stored as its whole key. */
  out->bytes = harm__malloc(cap * per + 8);
  out->offset = len ? NULL : harm__malloc((cap + 1) * sizeof *out->offset);
  if (!out->bytes || (!len && !out->offset) || cap >= UINT32_MAX) {
    harm__strpool_free(out);
    return false;
  }
  out->bytes_cap = cap * per + 8;
  out->stride = len ? (uint32_t)len + 1 : 0;
  out->cap = len ? 0 : (uint32_t)(cap + 1);
  return true;
}

void harm__strpool_ordered_add(harm__strpool *out, uint64_t k) {
  size_t at = out->bytes_len;
  size_t len = out->stride ? out->stride - 1u : harm__strpool_key_len(k);
  if (!out->stride) {
    out->offset[out->n] = at;
  }
  uint64_t w = __builtin_bswap64(k);
  memcpy(out->bytes + at, &w, sizeof w);
  out->bytes[at + len] = '\0';
  out->bytes_len = at + len + 1;
  out->n++;
}

void harm__strpool_ordered_join(harm__strpool *out, harm__strpool *src) {
  /* In slices, each handed back once copied: src's pages and out's new
   * ones are not all resident together. */
  enum { SLICE = 1 << 16 };
  size_t at = out->bytes_len;
  for (size_t b = 0; b < src->bytes_len; b += SLICE) {
    size_t c = src->bytes_len - b < SLICE ? src->bytes_len - b : SLICE;
    memcpy(out->bytes + at + b, src->bytes + b, c);
    harm__discard(src->bytes + b, c);
  }
  for (uint32_t i = 0; !out->stride && i < src->n; i++) {
    out->offset[out->n + i] = at + src->offset[i];
    if ((i + 1) % SLICE == 0) {
      harm__discard(src->offset + i + 1 - SLICE, SLICE * sizeof *src->offset);
    }
  }
  out->bytes_len = at + src->bytes_len;
  out->n += src->n;
}

void harm__strpool_ordered_end(harm__strpool *out) {
  char *b = harm__realloc(out->bytes, out->bytes_len + 8);
  if (b) {
    out->bytes = b;
    out->bytes_cap = out->bytes_len + 8;
  }
  if (out->offset) {
    uint64_t *o = harm__realloc(out->offset, ((size_t)out->n + 1) * sizeof *o);
    if (o) {
      out->offset = o;
      out->cap = out->n + 1;
    }
  }
}

void harm__strpool_free(harm__strpool *sp) {
  harm__free(sp->bytes);
  harm__free(sp->offset);
  harm__free(sp->key2);
  harm__free(sp->hash);
  harm__free(sp->slots);
  memset(sp, 0, sizeof *sp);
}
