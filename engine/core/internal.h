/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/internal.h: helpers shared by every module of the library:
 * the single error raise point, allocation wrappers with the test-only
 * failure hook, and small string utilities. Not installed. */
#ifndef HARMRANK_CORE_INTERNAL_H
#define HARMRANK_CORE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harmrank/status.h"

#if defined(__GNUC__)
#define HARM__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HARM__PRINTF(a, b)
#endif

/* The one place errors are raised (a debugger needs one breakpoint): fills
 * *err (if not NULL) and returns status. file may be NULL, record 0 and
 * column NULL when they do not apply. */
harm_status harm__fail(harm_error *err, harm_status status, const char *stage,
                       const char *file, size_t record, const char *column,
                       const char *fmt, ...) HARM__PRINTF(7, 8);

/* Allocation wrappers. Under HARMRANK_FAULT_INJECTION the Nth call (see
 * harm__fault_fail_after) returns NULL, so tests can prove every
 * constructor cleans up. Sizes overflow-checked where they multiply. */
void *harm__malloc(size_t size);
void *harm__calloc(size_t n, size_t size);
void *harm__realloc(void *p, size_t size);
void *harm__reallocarray(void *p, size_t n, size_t size);
void harm__free(void *p);
char *harm__strdup(const char *s);
char *harm__strndup(const char *s, size_t len);

/* Test hook: make allocation number n (1-based, counted from this call)
 * fail, or disarm with n = 0. Returns how many allocations happened since
 * the previous call. Process-wide on purpose: it exists only in
 * HARMRANK_FAULT_INJECTION builds and only tests call it. */
uint64_t harm__fault_fail_after(uint64_t n);

/* Trims ASCII blanks (space, tab) from both ends of [*s, *s + *len).
 * Inline: ingest calls it for every field of every row. */
static inline void harm__trim(const char **s, size_t *len) {
  const char *p = *s;
  size_t n = *len;
  while (n && (p[0] == ' ' || p[0] == '\t')) {
    p++;
    n--;
  }
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
    n--;
  }
  *s = p;
  *len = n;
}

/* ASCII case-insensitive equality of a counted string and a C string. */
bool harm__ieq(const char *s, size_t len, const char *z);

/* Parses a boolean word: 1/0, y/n, yes/no, true/false (any case). */
bool harm__parse_bool(const char *s, size_t len, bool *out);

/* Parses a finite double from the whole counted string (blanks trimmed). */
bool harm__parse_double(const char *s, size_t len, double *out);

/* Parses an unsigned decimal integer from the whole counted string. */
bool harm__parse_u64(const char *s, size_t len, uint64_t *out);

/* Asks the kernel to back a large block with huge pages (a hint: big
 * hash tables probed at random spend much of their time in TLB misses). */
void harm__hint_huge_pages(void *p, size_t len);
/* Tells the kernel that the bytes [p, p + len) of a live allocation will
 * not be read again before it is freed, so their memory can go now: only
 * the whole pages inside the range, which may come back as zeros (the
 * allocator's own bytes at the block's ends are never in a whole page of
 * the range the caller passes, which lies inside its block). A no-op
 * where madvise is missing. For a big array consumed front to back on
 * its way into another, so the two are not both resident. */
void harm__discard(void *p, size_t len);
/* Elements a consuming pass reads between two harm__discard calls on
 * what it has read (32,768; tests lower it so that small inputs hand
 * pages back too, and a read after a hand-back shows as zeros). */
extern size_t harm__shed_step;
/* For a pass that reads an array front to back and reads nothing behind
 * it again: once base's elements [*done, upto) (elem bytes each) are at
 * least harm__shed_step, their whole pages go (harm__discard) and *done
 * moves to upto. True when they went. */
static inline bool harm__shed(void *base, size_t elem, size_t *done,
                              size_t upto) {
  if (upto <= *done || upto - *done < harm__shed_step) {
    return false;
  }
  harm__discard((char *)base + *done * elem, (upto - *done) * elem);
  *done = upto;
  return true;
}

/* For a pass that owns elements [lo, ...) of an array (other passes may
 * own and still read the ones before lo) and reads them front to back:
 * hands back the pages of [lo, upto) it has not yet, once at least
 * `step` elements lie between *shed and upto, starting each time at
 * the page where the last hand-back stopped (*shed, then upto), so a
 * page straddling two calls goes too. Never a page holding elements
 * before lo. */
void harm__shed_owned(void *base, size_t elem, size_t lo, size_t *shed,
                      size_t upto, size_t step);

/* Spare blocks: arrays a stage is done with, kept for a later stage
 * instead of being freed. Pages still resident are reused as they are (a
 * fresh page costs a fault and its zeroing, about 2 us on the test
 * machines: bench/pagecost.c); a stage that handed its pages back first
 * (harm__discard, to keep the peak down) passes on address space only.
 * A zeroed struct holds none. harm__spares_put and harm__spares_free are
 * for one thread at a time; harm__spares_take may race with itself
 * (each block is taken once, by an atomic exchange). */
enum { HARM__SPARES = 4 };
typedef struct harm__spares {
  _Atomic(void *) p[HARM__SPARES];
  size_t bytes[HARM__SPARES];
} harm__spares;
/* Keeps block p (from harm__malloc, `bytes` long, now owned by s) in a
 * free slot, or frees it when there is none. NULL p is ignored. */
void harm__spares_put(harm__spares *s, void *p, size_t bytes);
/* `bytes` bytes (contents undefined) from the smallest block that holds
 * them, resized (realloc: the first pages stay, the rest go back); with
 * `grow`, when none holds them, from the largest, grown (its pages move
 * with it, the rest are new). NULL when there is no block to take or
 * resizing fails (the block is then freed): allocate as usual. */
void *harm__spares_take(harm__spares *s, size_t bytes, bool grow);
/* Frees the blocks left. */
void harm__spares_free(harm__spares *s);

/* Number of online cores (at least 1, at most 64). */
unsigned harm__cpu_count(void);

/* Decimal digits of v at out (at most 20, no NUL); their count. */
size_t harm__fmt_u64(char *out, uint64_t v);

/* x as printf's "%.4f" writes it (the exact binary value rounded to 4
 * decimals, ties to even), NUL-terminated at out (cap bytes, as
 * snprintf: cut short when too small); its length. Integer arithmetic
 * for 0 <= x < 4e11 (at most 17 characters), snprintf for any other x,
 * which needs HARM__FIXED4_MAX bytes to be whole (DBL_MAX has 309
 * digits). */
enum { HARM__FIXED4_MAX = 320 };
size_t harm__fmt_fixed4(char *out, size_t cap, double x);

/* Comparison with a context pointer (C11 qsort has none). */
typedef int (*harm__cmp_fn)(const void *a, const void *b, void *ctx);

/* Stable merge sort of n elements of `size` bytes with a context. Returns
 * false on allocation failure (the array is then unchanged). */
bool harm__sort(void *base, size_t n, size_t size, harm__cmp_fn cmp, void *ctx);

/* LSD radix sort of keys[0..n) ascending, carrying vals along (stable).
 * Returns false on allocation failure (arrays then unchanged). */
bool harm__radix_sort(uint64_t *keys, uint32_t *vals, size_t n);

/* Fork-join for the serial tail of a run (aggregate, scores, ranking).
 * harm__par_threads: the threads to use for n items of work: `threads`
 * (0 = the online cores, at most HARM__PAR_MAX), or 1 below
 * harm__par_min items (65,536; tests lower it so the parallel paths run
 * on small inputs). harm__par_run: fn on each of the n job structs of
 * `size` bytes at args, job 0 in this thread, the others on new threads
 * (run here if one cannot start). */
enum { HARM__PAR_MAX = 64 };
extern size_t harm__par_min;
/* harm_rank_compute_top selects by heaps up to n / harm__top_select_div
 * ranks (16; and 65,536 at most), beyond that it cuts the whole ranking.
 * Tests set it to 1 so the heaps select every k below n. */
extern size_t harm__top_select_div;
/* Most rows inside the window one ingest keeps (4,294,967,294: the
 * subjects sort numbers one entry per kept row in 32 bits); more stop
 * the read with HARM_ERR_LIMIT. Tests lower it. */
extern size_t harm__ingest_max_kept;
/* Kept rows up to which the subjects' new numbers are written straight
 * into the records (4,194,304: 112 MiB of them, whose page tables stay
 * in cache); beyond, a map of 4 bytes a row takes them in (written at
 * random in a seventh of the memory) and a pass copies them over: at
 * 100M rows the direct writes into 1 GB cost 10-15% of the run. Tests
 * lower it to take both paths. */
extern size_t harm__ingest_direct_max;
unsigned harm__par_threads(unsigned threads, size_t n);
void harm__par_run(int (*fn)(void *), void *args, size_t size, unsigned n);

/* harm__radix_sort on up to `threads` threads (0 = all cores): each pass
 * counts and scatters slices in parallel; the result is the same stable
 * order as harm__radix_sort's. */
bool harm__radix_sort_mt(uint64_t *keys, uint32_t *vals, size_t n,
                         unsigned threads);
/* As harm__radix_sort_mt for the values only: vals end in the same
 * order, and keys[] is left in no particular state (the sorted keys are
 * not rebuilt: a caller that reads only the order saves a pass). */
bool harm__radix_order_mt(uint64_t *keys, uint32_t *vals, size_t n,
                          unsigned threads);
/* As harm__radix_order_mt with the caller's scratch: kbuf and vbuf of n
 * elements each, overwritten (a caller that sorts again reuses pages it
 * already has instead of faulting in new ones). */
bool harm__radix_order_buf(uint64_t *keys, uint32_t *vals, size_t n,
                           unsigned threads, uint64_t *kbuf, uint32_t *vbuf);
/* Sorts pairs (hi[i], lo[i]) as 128-bit keys, hi the more significant,
 * when the bytes that vary across them fit one 64-bit key in the pack
 * plan's ranks: then *done is true, hi and lo are in order and order[r]
 * is the index the r-th pair had, equal pairs in index order (order is
 * written, not read, as harm__radix_sort_index's). Otherwise *done is
 * false and nothing has moved, order included (the caller sorts on lo,
 * then on hi). kbuf and vbuf: scratch as harm__radix_order_buf's.
 * Returns false on allocation failure (arrays then unchanged). */
bool harm__radix_sort_pairs(uint64_t *hi, uint64_t *lo, uint32_t *order,
                            size_t n, unsigned threads, uint64_t *kbuf,
                            uint32_t *vbuf, bool *done);
/* As harm__radix_sort_mt with the caller's scratch (see
 * harm__radix_order_buf). */
bool harm__radix_sort_buf(uint64_t *keys, uint32_t *vals, size_t n,
                          unsigned threads, uint64_t *kbuf, uint32_t *vbuf);
/* As harm__radix_sort_buf with order[i] = i on entry (order is only
 * written): on return keys are sorted and order[r] is the index the r-th
 * key had, equal keys in index order. When the keys' varying bytes and
 * the index fit 64 bits the index rides in the keys through the passes
 * and vbuf is not touched. */
bool harm__radix_sort_index(uint64_t *keys, uint32_t *order, size_t n,
                            unsigned threads, uint64_t *kbuf, uint32_t *vbuf);
/* Sorted keys left packed (harm__radix_sort_index_packed): words[r] is
 * the r-th key's ranks above its index, in the low `ibits` bits; words
 * is the keys array or kbuf, whichever the passes ended in (the other
 * is read no more and its pages have gone back). */
typedef struct harm__radix_packed {
  uint64_t *words;        /* NULL: not packed */
  struct pack_plan *plan; /* turns ranks back into keys */
  unsigned ibits;
  bool pairs; /* words of pairs (harm__radix_sort_pairs_packed) */
} harm__radix_packed;
/* As harm__radix_sort_index, except that when the index rides in the
 * keys the sorted words are left as they are, in out->words (no
 * unpacking pass, order not written); otherwise out->words is NULL and
 * keys and order are as harm__radix_sort_index leaves them. Free
 * out with harm__radix_packed_free. */
bool harm__radix_sort_index_packed(uint64_t *keys, uint32_t *order, size_t n,
                                   unsigned threads, uint64_t *kbuf,
                                   uint32_t *vbuf, harm__radix_packed *out);
/* As harm__radix_sort_pairs, except that when the pairs are sorted with
 * their index in one packed word (*done true, the index fitting), the
 * words are left as they are in out->words (hi or kbuf; lo, order and
 * the pairs' unpacking untouched); otherwise out->words is NULL and the
 * arrays are as harm__radix_sort_pairs leaves them. */
bool harm__radix_sort_pairs_packed(uint64_t *hi, uint64_t *lo, uint32_t *order,
                                   size_t n, unsigned threads, uint64_t *kbuf,
                                   uint32_t *vbuf, bool *done,
                                   harm__radix_packed *out);
/* The key of a sorted word (a pair's high key), its second key (a pair's
 * low key; 0 for single keys), and its index: word & ((1 << ibits) - 1). */
uint64_t harm__radix_packed_key(const harm__radix_packed *p, uint64_t word);
uint64_t harm__radix_packed_key2(const harm__radix_packed *p, uint64_t word);
void harm__radix_packed_free(harm__radix_packed *p);

/* Growable byte buffer. */
typedef struct harm__buf {
  char *data;
  size_t len;
  size_t cap;
} harm__buf;

/* Appends n bytes; returns false on allocation failure. */
bool harm__buf_append(harm__buf *b, const void *p, size_t n);
void harm__buf_free(harm__buf *b);

#endif /* HARMRANK_CORE_INTERNAL_H */
