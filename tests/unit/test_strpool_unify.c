/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_strpool_unify.c: building one sorted dictionary from
 * several pools (ingest's final step), against a slow reference: every
 * used string once, in strcmp order, and every map pointing at its own
 * string, with ids that share 8- and 16-byte prefixes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/strpool.h"

static uint64_t st = 7;
static uint64_t rnd(void) {
  st = st * 6364136223846793005u + 1442695040888963407u;
  return st >> 33;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The slow reference dictionary: ref[0..n) sorted by strcmp, each string
 * once; returns how many remain. */
static size_t sorted_unique(char **ref, size_t n) {
  qsort(ref, n, sizeof *ref, cmp_str);
  size_t n_unique = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(ref[i], ref[i - 1]) != 0) {
      ref[n_unique++] = ref[i];
    }
  }
  return n_unique;
}

Test(strpool, unify_matches_a_sorted_reference) {
  enum { POOLS = 3, PER = 400 };
  static const char *const stems[] = {"N", "N0012345", "N00123456789ABCD",
                                      "CR/2026/0000001", "x"};
  harm__strpool pools[POOLS];
  bool *used[POOLS];
  uint32_t *maps[POOLS];
  char *ref[POOLS * PER];
  size_t n_ref = 0;
  for (int k = 0; k < POOLS; k++) {
    memset(&pools[k], 0, sizeof pools[k]);
    used[k] = calloc(PER, sizeof **used);
    maps[k] = calloc(PER, sizeof **maps);
    for (int i = 0; i < PER; i++) {
      char s[64];
      /* A stem, then 0-3 random characters: many shared prefixes of
       * exactly 8 and 16 bytes, lengths on both sides of 8 and 16. */
      int len = snprintf(s, sizeof s, "%s", stems[rnd() % 5]);
      int extra = (int)(rnd() % 4);
      for (int e = 0; e < extra; e++) {
        s[len++] = (char)('0' + rnd() % 3);
      }
      s[len] = '\0';
      uint32_t idx = harm__strpool_intern(&pools[k], s, (size_t)len, NULL);
      cr_assert_neq(idx, HARM__STRPOOL_FAIL);
    }
    for (uint32_t i = 0; i < pools[k].n; i++) {
      used[k][i] = rnd() % 4 != 0;
      if (used[k][i]) {
        ref[n_ref++] = (char *)harm__strpool_get(&pools[k], i, NULL);
      }
    }
  }
  size_t n_unique = sorted_unique(ref, n_ref);
  const harm__strpool *pp[POOLS] = {&pools[0], &pools[1], &pools[2]};
  harm__strpool out;
  memset(&out, 0, sizeof out);
  cr_assert(
      harm__strpool_unify(&out, pp, (const bool *const *)used, maps, POOLS));
  cr_assert_eq(out.n, n_unique);
  for (uint32_t i = 0; i < out.n; i++) {
    cr_assert_str_eq(harm__strpool_get(&out, i, NULL), ref[i], "entry %u", i);
    /* Unified pools are looked up by binary search. */
    cr_assert_eq(harm__strpool_find(&out, ref[i], strlen(ref[i])), i);
  }
  for (int k = 0; k < POOLS; k++) {
    for (uint32_t i = 0; i < pools[k].n; i++) {
      if (used[k][i]) {
        cr_assert_str_eq(harm__strpool_get(&out, maps[k][i], NULL),
                         harm__strpool_get(&pools[k], i, NULL));
      } else {
        cr_assert_eq(maps[k][i], UINT32_MAX);
      }
    }
  }
  cr_assert_eq(harm__strpool_find(&out, "not there", 9), HARM__STRPOOL_FAIL);
  harm__strpool_free(&out);
  for (int k = 0; k < POOLS; k++) {
    harm__strpool_free(&pools[k]);
    free(used[k]);
    free(maps[k]);
  }
}

/* Ingest's way: one string per row appended with duplicates in several
 * pools (the chunks), a quarter of the rows unused (dropped), all pools
 * sorted and deduplicated together by harm__strpool_unify_pools. Same
 * reference: every used string once in strcmp order, maps exact, unused
 * rows unmapped. (The same at 1 to 4 threads: test_tail_threads.) */
Test(strpool, rows_of_several_pools_unified_match_a_sorted_reference) {
  enum { POOLS = 3, PER = 500 };
  static const char *const stems[] = {
      "N", "N0012345", "N00123456789ABCD", "CR/2026/0000001", "x", "N001234"};
  harm__strpool rows[POOLS];
  bool *used[POOLS];
  uint32_t *maps[POOLS];
  char *copy[POOLS][PER];
  char *ref[POOLS * PER];
  size_t n_ref = 0;
  for (int k = 0; k < POOLS; k++) {
    memset(&rows[k], 0, sizeof rows[k]);
    used[k] = calloc(PER, sizeof **used);
    maps[k] = calloc(PER, sizeof **maps);
    for (int i = 0; i < PER; i++) {
      char s[64];
      int len = snprintf(s, sizeof s, "%s", stems[rnd() % 6]);
      int extra = (int)(rnd() % 3);
      for (int e = 0; e < extra; e++) {
        s[len++] = (char)('0' + rnd() % 3);
      }
      s[len] = '\0';
      cr_assert_eq(harm__strpool_append(&rows[k], s, (size_t)len), (uint32_t)i);
      copy[k][i] = strdup(s);
      used[k][i] = rnd() % 4 != 0;
      if (used[k][i]) {
        ref[n_ref++] = copy[k][i];
      }
    }
  }
  size_t n_unique = sorted_unique(ref, n_ref);
  harm__strpool *pp[POOLS] = {&rows[0], &rows[1], &rows[2]};
  harm__strpool out;
  memset(&out, 0, sizeof out);
  cr_assert(harm__strpool_unify_pools(&out, pp, (const bool *const *)used, maps,
                                      POOLS, sizeof(uint32_t), 1, NULL));
  cr_assert_eq(out.n, n_unique);
  for (uint32_t i = 0; i < out.n; i++) {
    cr_assert_str_eq(harm__strpool_get(&out, i, NULL), ref[i], "entry %u", i);
  }
  for (int k = 0; k < POOLS; k++) {
    for (int i = 0; i < PER; i++) {
      if (used[k][i]) {
        cr_assert_str_eq(harm__strpool_get(&out, maps[k][i], NULL), copy[k][i]);
      } else {
        cr_assert_eq(maps[k][i], UINT32_MAX);
      }
      free(copy[k][i]);
    }
    harm__strpool_free(&rows[k]);
    free(used[k]);
    free(maps[k]);
  }
  harm__strpool_free(&out);
}

/* The consuming form ingest uses per chunk: the same dictionary as the
 * reference (strings copied before the call, since the pool's bytes may
 * go), and the pool's bytes freed early exactly when every used string
 * fits the 16-byte sort keys. */
Test(strpool, unify_rows_consumes_the_pool_only_when_keys_hold_every_byte) {
  enum { ROWS = 800 };
  static const char *const stems[] = {"N", "N0012345", "N00123456789AB",
                                      "x", "N001234",  "N00123456789ABCDE"};
  for (int long_ones = 0; long_ones < 2; long_ones++) {
    harm__strpool rows;
    memset(&rows, 0, sizeof rows);
    char *copy[ROWS];
    bool used[ROWS];
    uint32_t map[ROWS];
    char *ref[ROWS];
    size_t n_ref = 0;
    for (int i = 0; i < ROWS; i++) {
      char s[64];
      /* Stem 5 is 17 bytes: only in the second round. */
      int len = snprintf(s, sizeof s, "%s", stems[rnd() % (5 + long_ones)]);
      int extra = (int)(rnd() % 3);
      for (int e = 0; e < extra && len < 16; e++) {
        s[len++] = (char)('0' + rnd() % 3);
      }
      s[len] = '\0';
      cr_assert_eq(harm__strpool_append(&rows, s, (size_t)len), (uint32_t)i);
      copy[i] = strdup(s);
      used[i] = rnd() % 5 != 0;
      if (used[i]) {
        ref[n_ref++] = copy[i];
      }
    }
    bool any_long = false;
    for (int i = 0; i < ROWS; i++) {
      any_long = any_long || (used[i] && strlen(copy[i]) > 16);
    }
    cr_assert_eq(any_long, long_ones == 1, "the rounds differ as meant");
    size_t n_unique = sorted_unique(ref, n_ref);
    harm__strpool out;
    memset(&out, 0, sizeof out);
    cr_assert(harm__strpool_unify_rows(&out, &rows, used, map));
    cr_assert_eq(rows.bytes == NULL, !any_long);
    cr_assert_eq(rows.n, (uint32_t)ROWS, "the pool keeps its count");
    cr_assert_eq(out.n, (uint32_t)n_unique);
    for (uint32_t i = 0; i < out.n; i++) {
      cr_assert_str_eq(harm__strpool_get(&out, i, NULL), ref[i]);
    }
    for (int i = 0; i < ROWS; i++) {
      if (used[i]) {
        cr_assert_str_eq(harm__strpool_get(&out, map[i], NULL), copy[i]);
      } else {
        cr_assert_eq(map[i], UINT32_MAX);
      }
      free(copy[i]);
    }
    harm__strpool_free(&rows);
    harm__strpool_free(&out);
  }
}

/* A row pool given room for n ids takes them without moving (no copy at
 * a doubling), reads them back, and grows as usual past the room. */
Test(strpool, reserved_rows_fill_the_room_without_moving) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  enum { N = 5000 };
  cr_assert(harm__strpool_reserve_rows(&sp, N, (size_t)N * 18));
  const char *bytes = sp.bytes;
  const uint64_t *offset = sp.offset;
  char id[32];
  for (unsigned i = 0; i < N; i++) {
    int len = snprintf(id, sizeof id, "N%016u", i); /* 17 bytes + NUL */
    cr_assert_eq(harm__strpool_append(&sp, id, (size_t)len), i);
  }
  cr_assert(!sp.keyed, "17-byte ids are kept as strings");
  cr_assert_eq(sp.bytes, bytes, "the bytes moved inside their room");
  cr_assert_eq(sp.offset, offset, "the offsets moved inside their room");
  cr_assert_eq(harm__strpool_append(&sp, "longer-than-the-room", 20), N);
  for (unsigned i = 0; i < N; i++) {
    size_t len;
    const char *s = harm__strpool_get(&sp, i, &len);
    snprintf(id, sizeof id, "N%016u", i);
    cr_assert_eq(len, 17);
    cr_assert_str_eq(s, id);
  }
  size_t len;
  cr_assert_str_eq(harm__strpool_get(&sp, N, &len), "longer-than-the-room");
  cr_assert_eq(len, 20);
  harm__strpool_free(&sp);
}

/* A row pool whose ids have at most 16 bytes keeps them as keys (no
 * bytes; a second key per row from the first id of more than 8 bytes
 * on, zero for the rows before it); the first longer id turns it into
 * strings, every earlier id written out whole (1 to 16 bytes), and the
 * later ones appended after. */
Test(strpool, keyed_rows_turn_into_strings_at_the_first_long_id) {
  for (int first_long = 0; first_long < 2; first_long++) {
    harm__strpool sp = HARM__STRPOOL_INIT;
    enum { N = 3000 };
    char id[32];
    /* Widths 1-16: from the first row (first_long) or after 8 rows of
     * at most 8 bytes (the second keys then start late). */
    for (unsigned i = 0; i < N; i++) {
      unsigned w = first_long ? 16 - i % 16 : 1 + i % 16;
      int len = snprintf(id, sizeof id, "%.*u", (int)w, i % 9973);
      cr_assert_eq(harm__strpool_append(&sp, id, (size_t)len), i);
      cr_assert_eq(sp.key2 != NULL, first_long || i >= 8, "row %u", i);
    }
    cr_assert(sp.keyed);
    cr_assert_eq(sp.bytes_len, 0, "no bytes while keyed");
    cr_assert_eq(harm__strpool_append(&sp, "P1234567890123456", 17), N);
    cr_assert_eq(harm__strpool_append(&sp, "Q1", 2), N + 1);
    cr_assert(!sp.keyed);
    cr_assert_null(sp.key2);
    for (unsigned i = 0; i < N; i++) {
      size_t len;
      const char *s = harm__strpool_get(&sp, i, &len);
      unsigned w = first_long ? 16 - i % 16 : 1 + i % 16;
      int want = snprintf(id, sizeof id, "%.*u", (int)w, i % 9973);
      cr_assert_eq(len, (size_t)want, "row %u", i);
      cr_assert_str_eq(s, id, "row %u", i);
    }
    cr_assert_str_eq(harm__strpool_get(&sp, N, NULL), "P1234567890123456");
    cr_assert_str_eq(harm__strpool_get(&sp, N + 1, NULL), "Q1");
    harm__strpool_free(&sp);
  }
}

/* A record-like struct whose `map` field is a unify's map entry (the
 * ingest's records take their new subject numbers so); the fields around
 * it must come out untouched. */
typedef struct map_rec {
  uint64_t before;
  uint32_t map;
  uint32_t after;
  uint64_t tail;
} map_rec;

/* Ingest's subjects: the maps as one block, part after part, or as the
 * `map` field of an array of structs per pool (map_stride). With every
 * row used the new indices are written straight into them from the
 * sorted entries (one pool's used array NULL: all used); with a row
 * unused the usual per-pool maps are written.
 * Either way the dictionary and every map entry equal a sorted
 * reference, for ids of up to 8 bytes (one packed sort), 9-16 bytes,
 * longer, and all of one length (the dictionary then keeps no offsets:
 * harm__strpool.stride), at 1 and 3 threads, with an empty pool among
 * the others. */
Test(strpool, unify_pools_maps_match_a_sorted_reference) {
  enum { POOLS = 4, MAXROWS = 3000, REGIMES = 4 };
  harm__shed_step = 700; /* the sorted keys handed back as they are read */
  static const char *const stems[REGIMES][3] = {
      {"N", "P0", "Q12"},
      {"N0012345", "P0000000000", "x"},
      {"N00123456789ABCDEF", "P", "Q1"},
      {"AB", "CD", "EF"}}; /* with %03u: every id 5 bytes */
  for (int regime = 0; regime < REGIMES; regime++) {
    for (int all_used = 0; all_used < 2; all_used++) {
      for (int in_structs = 0; in_structs < 2; in_structs++) {
        for (unsigned threads = 1; threads <= 3; threads += 2) {
          harm__par_min = threads == 1 ? SIZE_MAX : 1;
          harm__strpool rows[POOLS];
          bool *used[POOLS];
          uint32_t *maps[POOLS];
          map_rec *recs[POOLS];
          char **row_str[POOLS];
          size_t n_rows[POOLS], total = 0;
          char **ref = calloc(POOLS * MAXROWS, sizeof *ref);
          size_t n_ref = 0;
          for (int k = 0; k < POOLS; k++) {
            memset(&rows[k], 0, sizeof rows[k]);
            /* Empty pools: between others, and first or last. */
            bool empty = k == 1 || (k == 0 && in_structs) ||
                         (k == POOLS - 1 && all_used && !in_structs);
            n_rows[k] = empty ? 0 : MAXROWS - rnd() % 700;
            total += n_rows[k];
            used[k] = calloc(n_rows[k] + 1, sizeof **used);
            row_str[k] = calloc(n_rows[k] + 1, sizeof *row_str[k]);
            for (size_t i = 0; i < n_rows[k]; i++) {
              char s[64];
              int len =
                  snprintf(s, sizeof s, regime == 3 ? "%s%03u" : "%s%u",
                           stems[regime][rnd() % 3], (unsigned)(rnd() % 900));
              cr_assert_eq(harm__strpool_append(&rows[k], s, (size_t)len),
                           (uint32_t)i);
              row_str[k][i] = strdup(s);
              used[k][i] = all_used || rnd() % 5 != 0;
              if (used[k][i]) {
                ref[n_ref++] = row_str[k][i];
              }
            }
          }
          size_t n_unique = sorted_unique(ref, n_ref);
          uint32_t *block = malloc((total + 1) * sizeof *block);
          memset(block, 0xee, (total + 1) * sizeof *block);
          for (int k = 0, at = 0; k < POOLS; at += (int)n_rows[k], k++) {
            recs[k] = calloc(n_rows[k] + 1, sizeof *recs[k]);
            for (size_t i = 0; i < n_rows[k]; i++) {
              recs[k][i] = (map_rec){.before = i * 3 + 1,
                                     .map = 0xeeeeeeee,
                                     .after = (uint32_t)i ^ 0x5555u,
                                     .tail = ~(uint64_t)i};
            }
            maps[k] = in_structs ? &recs[k]->map : block + at;
          }
          harm__strpool *pp[POOLS] = {&rows[0], &rows[1], &rows[2], &rows[3]};
          harm__strpool out;
          memset(&out, 0, sizeof out);
          /* With every row used, pool 2 says so by a NULL used array. */
          const bool *uarg[POOLS];
          for (int k = 0; k < POOLS; k++) {
            uarg[k] = all_used && k == 2 ? NULL : used[k];
          }
          cr_assert(harm__strpool_unify_pools(
              &out, pp, uarg, maps, POOLS,
              in_structs ? sizeof(map_rec) : sizeof(uint32_t), threads, NULL));
          cr_assert_eq(out.n, n_unique, "regime %d, all used %d", regime,
                       all_used);
          /* Ids of one length: no offsets, string i at i * (length + 1). */
          cr_assert_eq(out.stride, regime == 3 ? 6u : 0u, "regime %d", regime);
          cr_assert_eq(out.offset == NULL, regime == 3);
          for (uint32_t i = 0; i < out.n; i++) {
            size_t len;
            cr_assert_str_eq(harm__strpool_get(&out, i, &len), ref[i]);
            cr_assert_eq(len, strlen(ref[i]));
            cr_assert_eq(harm__strpool_find(&out, ref[i], len), i);
          }
          cr_assert_eq(harm__strpool_find(&out, "AB9999", 6),
                       HARM__STRPOOL_FAIL);
          for (int k = 0; k < POOLS; k++) {
            for (size_t i = 0; i < n_rows[k]; i++) {
              uint32_t got = in_structs ? recs[k][i].map : maps[k][i];
              if (used[k][i]) {
                cr_assert_str_eq(harm__strpool_get(&out, got, NULL),
                                 row_str[k][i], "regime %d, pool %d, row %zu",
                                 regime, k, i);
              } else {
                cr_assert_eq(got, UINT32_MAX);
              }
              cr_assert_eq(recs[k][i].before, i * 3 + 1);
              cr_assert_eq(recs[k][i].after, (uint32_t)i ^ 0x5555u);
              cr_assert_eq(recs[k][i].tail, ~(uint64_t)i);
              if (!in_structs) {
                cr_assert_eq(recs[k][i].map, 0xeeeeeeee);
              }
              free(row_str[k][i]);
            }
            free(row_str[k]);
            free(used[k]);
            free(recs[k]);
            harm__strpool_free(&rows[k]);
          }
          harm__strpool_free(&out);
          free(block);
          free(ref);
        }
      }
    }
  }
}

/* A dictionary of ids of one length (no offsets) made again from the ids
 * its records still use, as the previous period's split does
 * (harm__ingest_sort_subjects): the result is the used ids in order,
 * still without offsets, each map entry at its own id, UINT32_MAX for
 * the unused. */
Test(strpool, a_strided_dictionary_unifies_again) {
  enum { N = 5000 };
  harm__strpool rows = HARM__STRPOOL_INIT, dict = HARM__STRPOOL_INIT,
                again = HARM__STRPOOL_INIT;
  static char ids[N][16];
  bool *all = malloc(N * sizeof *all);
  uint32_t *map = malloc(N * sizeof *map);
  for (uint32_t i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "K%06u", (unsigned)(rnd() % 2000));
    cr_assert_eq(harm__strpool_append(&rows, ids[i], 7), i);
    all[i] = true;
  }
  cr_assert(harm__strpool_unify_rows(&dict, &rows, all, map));
  cr_assert_eq(dict.stride, 8u);
  cr_assert_null(dict.offset);
  /* Every other dictionary entry is still used. */
  bool *used = calloc(dict.n + 1, sizeof *used);
  uint32_t *map2 = malloc((dict.n + 1) * sizeof *map2);
  char **ref = calloc(dict.n + 1, sizeof *ref);
  size_t n_ref = 0;
  for (uint32_t i = 0; i < dict.n; i++) {
    used[i] = i % 2 == 0;
    if (used[i]) {
      ref[n_ref++] = strdup(harm__strpool_get(&dict, i, NULL));
    }
  }
  char **kept = calloc(dict.n + 1, sizeof *kept);
  for (uint32_t i = 0; i < dict.n; i++) {
    kept[i] = strdup(harm__strpool_get(&dict, i, NULL));
  }
  uint32_t n_dict = dict.n;
  cr_assert(harm__strpool_unify_rows(&again, &dict, used, map2));
  cr_assert_eq(again.n, n_ref);
  cr_assert_eq(again.stride, 8u);
  for (uint32_t i = 0; i < again.n; i++) {
    cr_assert_str_eq(harm__strpool_get(&again, i, NULL), ref[i]);
  }
  for (uint32_t i = 0; i < n_dict; i++) {
    if (used[i]) {
      cr_assert_str_eq(harm__strpool_get(&again, map2[i], NULL), kept[i]);
    } else {
      cr_assert_eq(map2[i], UINT32_MAX);
    }
    free(kept[i]);
  }
  for (size_t i = 0; i < n_ref; i++) {
    free(ref[i]);
  }
  free(kept);
  free(ref);
  free(used);
  free(map2);
  free(map);
  free(all);
  harm__strpool_free(&rows);
  harm__strpool_free(&dict);
  harm__strpool_free(&again);
}
