/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/strpool.c: string interning with XXH3 hashes and linear
 * probing; see strpool.h. */
#include "core/strpool.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/internal.h"

uint64_t harm__hash(const void *p, size_t len) { return XXH3_64bits(p, len); }

/* A slot holds the top 32 bits of the hash beside the index, so a probe
 * rejects almost every other string without reading the pool. */
static uint64_t slot_of(uint64_t hash, uint32_t idx) {
  return (hash & 0xffffffff00000000u) | ((uint64_t)idx + 1);
}

static bool grow_slots(harm__strpool *sp) {
  size_t n_slots = sp->n_slots ? sp->n_slots * 2 : 64;
  uint64_t *slots = harm__calloc(n_slots, sizeof *slots);
  if (!slots) {
    return false;
  }
  size_t mask = n_slots - 1;
  for (uint32_t i = 0; i < sp->n; i++) {
    size_t h = (size_t)sp->hash[i] & mask;
    while (slots[h]) {
      h = (h + 1) & mask;
    }
    slots[h] = slot_of(sp->hash[i], i);
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
  uint64_t tag = h & 0xffffffff00000000u;
  uint64_t v;
  while ((v = sp->slots[i]) != 0) {
    uint32_t idx = (uint32_t)(v & 0xffffffffu) - 1;
    if ((v & 0xffffffff00000000u) == tag && sp->hash[idx] == h) {
      size_t off = (size_t)sp->offset[idx];
      size_t next =
          idx + 1 < sp->n ? (size_t)sp->offset[idx + 1] : sp->bytes_len;
      if (next - off - 1 == len && memcmp(sp->bytes + off, s, len) == 0) {
        *slot = i;
        return idx;
      }
    }
    i = (i + 1) & mask;
  }
  *slot = i;
  return HARM__STRPOOL_FAIL;
}

uint32_t harm__strpool_find(const harm__strpool *sp, const char *s,
                            size_t len) {
  size_t slot;
  return lookup(sp, s, len, harm__hash(s, len), &slot);
}

uint32_t harm__strpool_intern(harm__strpool *sp, const char *s, size_t len,
                              bool *added) {
  uint64_t h = harm__hash(s, len);
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
  if (sp->bytes_len + len + 1 > sp->bytes_cap) {
    size_t cap = sp->bytes_cap ? sp->bytes_cap : 4096;
    while (cap < sp->bytes_len + len + 1) {
      cap *= 2;
    }
    char *b = harm__realloc(sp->bytes, cap);
    if (!b) {
      return HARM__STRPOOL_FAIL;
    }
    sp->bytes = b;
    sp->bytes_cap = cap;
  }
  idx = sp->n++;
  sp->offset[idx] = sp->bytes_len;
  sp->hash[idx] = h;
  memcpy(sp->bytes + sp->bytes_len, s, len);
  sp->bytes[sp->bytes_len + len] = '\0';
  sp->bytes_len += len + 1;
  sp->slots[slot] = slot_of(h, idx);
  if (added) {
    *added = true;
  }
  return idx;
}

const char *harm__strpool_get(const harm__strpool *sp, uint32_t i,
                              size_t *len) {
  size_t off = (size_t)sp->offset[i];
  if (len) {
    size_t next = i + 1 < sp->n ? (size_t)sp->offset[i + 1] : sp->bytes_len;
    *len = next - off - 1;
  }
  return sp->bytes + off;
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

/* Big-endian first 8 bytes, zero-padded: comparing these keys compares
 * the strings' first 8 bytes bytewise (ids never contain NUL). */
static uint64_t prefix_key(const char *s, size_t len) {
  uint64_t k = 0;
  for (size_t i = 0; i < 8; i++) {
    k = (k << 8) | (i < len ? (unsigned char)s[i] : 0u);
  }
  return k;
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
    keys[i] = prefix_key(s, len);
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
    size_t h = (size_t)np.hash[i] & (n_slots - 1);
    while (np.slots[h]) {
      h = (h + 1) & (n_slots - 1);
    }
    np.slots[h] = slot_of(np.hash[i], i);
  }
  np.n = sp->n;
  harm__strpool_free(sp);
  *sp = np;
  return true;
}

void harm__strpool_free(harm__strpool *sp) {
  harm__free(sp->bytes);
  harm__free(sp->offset);
  harm__free(sp->hash);
  harm__free(sp->slots);
  memset(sp, 0, sizeof *sp);
}
