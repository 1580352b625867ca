/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/strpool.h: a string interning pool. Each distinct string
 * gets a dense uint32 index; strings live in one owned buffer, so hot
 * loops intern without malloc per string. */
#ifndef HARMRANK_CORE_STRPOOL_H
#define HARMRANK_CORE_STRPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/hash.h"

struct harm__spares;

/* Index returned when interning fails (allocation failure or limit). */
#define HARM__STRPOOL_FAIL UINT32_MAX

/* One hash-table slot: the key check needs no other memory for strings
 * up to 8 bytes (most ids), and one read of the pool for longer ones. */
typedef struct harm__slot {
  uint32_t idx1; /* string index + 1; 0 = empty */
  uint32_t meta; /* top 27 bits of the hash, and min(len, 31) */
  uint64_t word; /* len <= 8: the bytes, zero-padded; else the offset */
} harm__slot;

typedef struct harm__strpool {
  char *bytes;       /* all strings, each NUL-terminated */
  size_t bytes_len;  /* used bytes */
  size_t bytes_cap;  /* allocated bytes */
  uint64_t *offset;  /* offset[i]: start of string i in bytes */
  uint64_t *hash;    /* hash[i]: 64-bit hash of string i */
  uint32_t n;        /* number of strings */
  uint32_t cap;      /* capacity of offset/hash */
  harm__slot *slots; /* open-addressing table, linear probing */
  size_t n_slots;    /* power of two */
  /* A pool of one string per row (harm__strpool_append) whose strings
   * all have at most 16 bytes keeps each as keys, not as bytes: offset[i]
   * holds string i's bytes 0-7 big-endian, zero-padded (ids hold no NUL),
   * key2[i] its bytes 8-15 the same way once any string is longer than 8
   * (else key2 is NULL), and there are no bytes. harm__strpool_get must
   * not be called on it. */
  bool keyed;
  uint64_t *key2;
  /* A unify result (harm__strpool_unify*) whose strings all have the
   * same length L keeps no offsets: string i starts at i * stride, with
   * stride = L + 1, and offset is NULL (a dictionary of fixed-width ids
   * costs their bytes only). 0 otherwise. */
  uint32_t stride;
} harm__strpool;

/* A zeroed struct is an empty pool. */
#define HARM__STRPOOL_INIT                                                     \
  { 0 }

/* Returns the index of [s, s + len), adding it when new; *added (may be
 * NULL) says whether it was new. HARM__STRPOOL_FAIL on allocation
 * failure. */
uint32_t harm__strpool_intern(harm__strpool *sp, const char *s, size_t len,
                              bool *added);

/* As harm__strpool_intern with the hash already computed (harm__hash). */
uint32_t harm__strpool_intern_h(harm__strpool *sp, const char *s, size_t len,
                                uint64_t h, bool *added);

/* Asks the CPU to fetch the table slot of hash h ahead of an intern, so a
 * batch of lookups overlaps its cache misses. */
static inline void harm__strpool_prefetch(const harm__strpool *sp, uint64_t h) {
#if defined(__GNUC__)
  if (sp->n_slots) {
    __builtin_prefetch(&sp->slots[(size_t)h & (sp->n_slots - 1)]);
  }
#else
  (void)sp;
  (void)h;
#endif
}

/* Appends [s, s + len) as a new string without looking for an equal one
 * (no hash, no table): a pool of one string per row, to be deduplicated
 * once by harm__strpool_unify. Such a pool must not be interned into or
 * searched. While its strings have at most 8 bytes it is keyed (see
 * harm__strpool.keyed); a longer one turns it into strings. Returns its
 * index, or HARM__STRPOOL_FAIL on allocation failure. */
uint32_t harm__strpool_append(harm__strpool *sp, const char *s, size_t len);

/* Room, in an empty pool of one string per row (harm__strpool_append),
 * for n strings of `bytes` bytes in all (NULs included) before it grows:
 * a pool that grows from small copies itself at every doubling, and the
 * copies' pages are faulted in on top of the final ones. Pages of the
 * room that are never written cost no memory. False on allocation
 * failure (the pool is unchanged). */
bool harm__strpool_reserve_rows(harm__strpool *sp, uint32_t n, size_t bytes);

/* Index of an existing string, or HARM__STRPOOL_FAIL. */
uint32_t harm__strpool_find(const harm__strpool *sp, const char *s, size_t len);

/* String i (NUL-terminated) and its length. */
const char *harm__strpool_get(const harm__strpool *sp, uint32_t i, size_t *len);

/* Fills order[0..n) with the indices sorted by bytewise string order and
 * rank[i] with the position of index i in that order (either may be NULL).
 * Returns false on allocation failure. */
bool harm__strpool_sorted(const harm__strpool *sp, uint32_t *order,
                          uint32_t *rank);

/* Rebuilds the pool so that index i holds what was order[i] (a
 * permutation from harm__strpool_sorted). Returns false on allocation
 * failure, leaving the pool unchanged. */
bool harm__strpool_permute(harm__strpool *sp, const uint32_t *order);

/* Builds `out` (which must be empty) from the used strings of several
 * pools, each distinct string once, in bytewise order, and fills
 * maps[k][i] with the new index of string i of pools[k] (UINT32_MAX when
 * unused; used[k] NULL: every string of pools[k] is used). The result has no
 * hash index: harm__strpool_find then binary-searches it, and it must not be
 * interned into. Returns false on allocation failure. */
bool harm__strpool_unify(harm__strpool *out, const harm__strpool *const *pools,
                         const bool *const *used, uint32_t *const *maps,
                         size_t n_pools);

/* As harm__strpool_unify for the one pool `rows` (one string per row
 * from harm__strpool_append, or any pool about to be replaced by its
 * sorted form), which it consumes: when no used string is
 * longer than 16 bytes (the sort keys then hold every byte), its bytes
 * and offsets are freed as soon as the keys are taken, before the sort
 * allocates, so the two are not both resident. `rows` keeps its count
 * (rows->n) and is left for the caller to free (harm__strpool_free). */
bool harm__strpool_unify_rows(harm__strpool *out, harm__strpool *rows,
                              const bool *used, uint32_t *map);

/* As harm__strpool_unify, consuming every pool as harm__strpool_unify_rows
 * consumes its one, with the sorts on up to `threads` threads (0: every
 * core); the result is the same at any count. Ingest's one dictionary
 * of subjects from the rows of every chunk. Pool k's map entry for its
 * string i is the uint32_t at (char *)maps[k] + i * map_stride:
 * sizeof(uint32_t) for arrays, or a field of an array of structs (the
 * records themselves). When every string is used (as in every unify),
 * the new indices are written there directly from the sorted entries.
 * `keep` (or NULL) receives the sort's key and order arrays instead of
 * their being freed (harm__spares_put). */
bool harm__strpool_unify_pools(harm__strpool *out, harm__strpool *const *pools,
                               const bool *const *used, uint32_t *const *maps,
                               size_t n_pools, size_t map_stride,
                               unsigned threads, struct harm__spares *keep);

/* ---- Ids of up to 8 bytes as 64-bit keys ---------------------------------
 * An id's bytes 0-7 big-endian, zero-padded: comparing two keys compares
 * the ids' first 8 bytes bytewise (ids hold no NUL, so the padding also
 * gives the length of an id of up to 8). */
static inline uint64_t harm__strpool_key(const char *s, size_t len) {
  if (len >= 8) {
    uint64_t k;
    memcpy(&k, s, 8);
    return __builtin_bswap64(k);
  }
  uint64_t k = 0;
  for (size_t i = 0; i < 8; i++) {
    k = (k << 8) | (i < len ? (unsigned char)s[i] : 0u);
  }
  return k;
}

/* The length of key k's id (0 to 8). */
static inline size_t harm__strpool_key_len(uint64_t k) {
  return k ? 8 - (size_t)__builtin_ctzll(k) / 8 : 0;
}

/* A dictionary written in order: harm__strpool_ordered_begin makes out
 * (an empty pool) ready for up to cap ids, all of `len` bytes (no offsets:
 * harm__strpool.stride), or of any length up to 8 when len is 0; its
 * memory is touched only as ids are added. False on allocation failure. */
bool harm__strpool_ordered_begin(harm__strpool *out, size_t cap, size_t len);
/* Adds the id of key k (see harm__strpool_key), greater than the last
 * one added: it is string out->n - 1. At most cap of them. */
void harm__strpool_ordered_add(harm__strpool *out, uint64_t k);
/* Adds the ids of src (written in order too, all above out's, of the
 * same kind: one length, or any) after out's, within out's room. src is
 * consumed: its memory is handed back as it is copied (harm__discard),
 * and it is only fit to be freed after. */
void harm__strpool_ordered_join(harm__strpool *out, harm__strpool *src);
/* Gives back the room no id took. */
void harm__strpool_ordered_end(harm__strpool *out);

void harm__strpool_free(harm__strpool *sp);

#endif /* HARMRANK_CORE_STRPOOL_H */
