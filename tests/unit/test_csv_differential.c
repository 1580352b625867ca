/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_csv_differential.c: differential test of the CSV
 * reader's two paths. A seeded generator makes thousands of awkward CSV
 * byte strings (commas, quotes, CR, LF, CRLF, blanks, tabs, NUL, BOM,
 * long fields, blank lines); each is read with the quote-free fast path
 * on and off, fed in random blocks, and the record sequences must match
 * (DESIGN.md §9: the fast path is allowed only on that condition). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/csv_diff.h"

/* xorshift64*: small, seeded, the same sequence on every machine. */
typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 2685821657736338717ULL;
}

static size_t below(rng *r, size_t n) { return (size_t)(next(r) % n); }

typedef struct gen {
  char *p;
  size_t len, cap;
} gen;

static void put(gen *g, const char *s, size_t n) {
  if (g->len + n > g->cap) {
    while (g->len + n > g->cap) {
      g->cap = g->cap ? g->cap * 2 : 256;
    }
    g->p = realloc(g->p, g->cap);
    cr_assert_not_null(g->p);
  }
  memcpy(g->p + g->len, s, n);
  g->len += n;
}

static void puts_(gen *g, const char *s) { put(g, s, strlen(s)); }

/* One random CSV-ish input: mostly pieces that matter to a CSV parser. */
static void generate(rng *r, gen *g, bool lone_cr) {
  g->len = 0;
  if (below(r, 8) == 0) {
    puts_(g, "\xEF\xBB\xBF");
  }
  size_t pieces = below(r, 60);
  for (size_t i = 0; i < pieces; i++) {
    switch (below(r, 22)) {
    case 0:
    case 1:
    case 2:
      puts_(g, ",");
      break;
    case 3:
    case 4:
      puts_(g, "\"");
      break;
    case 5:
      puts_(g, "\"\"");
      break;
    case 6:
    case 7:
      puts_(g, "\n");
      break;
    case 8:
      puts_(g, "\r\n");
      break;
    case 9:
      puts_(g, lone_cr ? "\r" : "\r\n");
      break;
    case 10:
      puts_(g, " ");
      break;
    case 11:
      puts_(g, "\t");
      break;
    case 12:
      put(g, "\0", 1);
      break;
    case 13:
      puts_(g, lone_cr ? "\xEF\xBB\xBF" : "\xEF\xBB");
      break;
    case 14: { /* a long field, around the small field limit */
      size_t n = 40 + below(r, 200);
      for (size_t k = 0; k < n; k++) {
        put(g, "x", 1);
      }
      break;
    }
    case 15: /* an all-blank line */
      puts_(g, below(r, 2) ? "   \n" : " \t \r\n");
      break;
    case 16: /* a well-formed quoted field */
      puts_(g, below(r, 2) ? "\"a,b\"" : "\"l1\nl2\"");
      break;
    case 17:
      puts_(g, "\n\n");
      break;
    default: { /* a short word */
      static const char *const words[] = {
          "a", "bc", "N1", "008/06", "2024-05-02", "x y", "\xff\xfe"};
      puts_(g, words[below(r, 7)]);
      break;
    }
    }
  }
}

/* Random ascending cut points >= lo; often none, sometimes at every
 * byte. */
static size_t make_cuts(rng *r, size_t len, size_t lo, size_t *cuts,
                        size_t cap) {
  if (lo < 1) {
    lo = 1;
  }
  if (len < lo + 1) {
    return 0;
  }
  size_t mode = below(r, 6);
  size_t n = 0;
  if (mode == 0) {
    return 0;
  }
  if (mode == 1) {
    for (size_t i = lo; i < len && n < cap; i++) {
      cuts[n++] = i;
    }
    return n;
  }
  size_t want = 1 + below(r, 8);
  for (size_t k = 0; k < want && n < cap; k++) {
    cuts[n++] = lo + below(r, len - lo);
  }
  /* sort (tiny n) */
  for (size_t i = 1; i < n; i++) {
    for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
      size_t t = cuts[j];
      cuts[j] = cuts[j - 1];
      cuts[j - 1] = t;
    }
  }
  return n;
}

static void report(const char *what, uint64_t seed, size_t iter, const gen *g,
                   const size_t *cuts_a, size_t na, const size_t *cuts_b,
                   size_t nb, const csvd_log *a, const csvd_log *b) {
  fprintf(stderr, "%s: seed %llu case %zu\ninput: ", what,
          (unsigned long long)seed, iter);
  csvd_print_input(stderr, g->p, g->len);
  fprintf(stderr, "cuts A:");
  for (size_t i = 0; i < na; i++) {
    fprintf(stderr, " %zu", cuts_a[i]);
  }
  fprintf(stderr, "\ncuts B:");
  for (size_t i = 0; i < nb; i++) {
    fprintf(stderr, " %zu", cuts_b[i]);
  }
  fputc('\n', stderr);
  csvd_dump(stderr, "A", a);
  csvd_dump(stderr, "B", b);
}

enum { CASES = 6000, MAX_CUTS = 4096 };

/* True when any record of a log is malformed. */
static bool any_error(const csvd_log *l) {
  size_t at = 0;
  uint64_t v[5], nf, fl;
  while (at + sizeof v <= l->len) {
    memcpy(v, l->p + at, sizeof v);
    if (v[1]) {
      return true;
    }
    at += sizeof v + (size_t)v[4];
    memcpy(&nf, l->p + at, sizeof nf);
    at += sizeof nf;
    for (uint64_t f = 0; f < nf; f++) {
      memcpy(&fl, l->p + at, sizeof fl);
      at += sizeof fl + (size_t)fl;
    }
  }
  return false;
}

/* Runs CASES generated inputs. Reader A has the fast path on and is fed in
 * random blocks; reader B has it off and gets the same blocks, or the
 * whole input in one piece when `b_whole`. With `well_formed_only`, inputs
 * that B reads with a malformed record are skipped. Returns the number of
 * cases compared; stops at the first mismatch and reports it. */
static size_t run_cases(uint64_t seed, bool lone_cr, bool b_whole,
                        bool well_formed_only, bool no_raw, size_t *failures) {
  rng r = {seed};
  gen g = {NULL, 0, 0};
  size_t *cuts = malloc(MAX_CUTS * sizeof *cuts);
  cr_assert_not_null(cuts);
  size_t compared = 0;
  *failures = 0;
  for (size_t iter = 0; iter < CASES && *failures == 0; iter++) {
    generate(&r, &g, lone_cr);
    /* Against one piece, the first block keeps at least 3 bytes so a BOM
     * is never split: every file reader's first block is full, and a
     * split BOM is a separate, internal-API-only fault. */
    size_t n = make_cuts(&r, g.len, b_whole ? 3 : 1, cuts, MAX_CUTS);
    size_t max_field = below(&r, 3) == 0 ? 0 : 64 + below(&r, 64);
    csvd_log a, b;
    int ra = csvd_read(g.p, g.len, true, max_field, cuts, n, no_raw, &a);
    int rb = csvd_read(g.p, g.len, false, max_field, b_whole ? NULL : cuts,
                       b_whole ? 0 : n, no_raw, &b);
    cr_assert_eq(ra, 0);
    cr_assert_eq(rb, 0);
    if (!well_formed_only || !any_error(&b)) {
      compared++;
      if (csvd_diff(&a, &b) != SIZE_MAX) {
        report(b_whole ? "fast path in blocks (A) and libcsv in one piece (B) "
                         "differ"
                       : "fast path (A) and libcsv (B) differ",
               seed, iter, &g, cuts, n, cuts, b_whole ? 0 : n, &a, &b);
        (*failures)++;
      }
    }
    csvd_log_free(&a);
    csvd_log_free(&b);
  }
  free(cuts);
  free(g.p);
  return compared;
}

/* The design's condition: on the same input fed the same way, the fast
 * path and libcsv give identical records. */
Test(csv_differential, fast_path_and_libcsv_agree_on_the_same_blocks,
     .timeout = 30) {
  size_t failures;
  run_cases(0x9e3779b97f4a7c15ULL, true, false, false, false, &failures);
  cr_expect_eq(failures, 0, "the two CSV paths disagree (see stderr)");
}

/* The same property on inputs whose CRs all start a CRLF: it keeps the
 * rest of the comparison meaningful while lone-CR line counting in the
 * fast path is wrong (see the test above). */
Test(csv_differential, fast_path_and_libcsv_agree_without_lone_cr,
     .timeout = 30) {
  size_t failures;
  size_t n =
      run_cases(0x452821e638d01377ULL, false, false, false, false, &failures);
  cr_expect_eq(failures, 0, "the two CSV paths disagree (see stderr)");
  cr_expect_gt(n, CASES / 2);
}

/* Records must not depend on where the input was cut into blocks either:
 * the fast path fed in random blocks against libcsv fed in one piece. */
Test(csv_differential, records_do_not_depend_on_block_boundaries,
     .timeout = 30) {
  size_t failures;
  run_cases(0x243f6a8885a308d3ULL, true, true, false, false, &failures);
  cr_expect_eq(failures, 0, "records depend on block boundaries (see stderr)");
}

/* As above, on inputs that have no malformed record. */
Test(csv_differential, well_formed_records_do_not_depend_on_block_boundaries,
     .timeout = 30) {
  size_t failures;
  run_cases(0xbe5466cf34e90c6cULL, false, true, true, false, &failures);
  cr_expect_eq(failures, 0, "records depend on block boundaries (see stderr)");
}

/* As above comparing line numbers and fields only: raw copies lose the
 * leading blanks of a line cut by a block edge (test above), and this
 * keeps the fields' independence checked meanwhile. */
Test(csv_differential, well_formed_fields_do_not_depend_on_block_boundaries,
     .timeout = 30) {
  size_t failures;
  size_t n =
      run_cases(0x3f84d5b5b5470917ULL, false, true, true, true, &failures);
  cr_expect_eq(failures, 0, "fields depend on block boundaries (see stderr)");
  cr_expect_gt(n, CASES / 20);
}

/* Hand-picked inputs where the two paths are most likely to part. */
Test(csv_differential, hand_picked_edge_cases_agree) {
  static const struct {
    const char *s;
    size_t len;
  } cases[] = {
#define C(lit) {lit, sizeof lit - 1}
      C(""),
      C("\n"),
      C("a"),
      C("a,b\r\nc,d\r\n"),
      C("a,b\rc,d\r"),
      C("a,b\rc,d\ne,f\n"),
      C(" a , b \n"),
      C("\t\n  \n a\n"),
      C("a,\n,b\n,\n"),
      C("\xEF\xBB\xBF"
        "a,b\n"),
      C("\xEF\xBB\xBF\"a\",b\n"),
      C("a\0b,c\n"),
      C("\"a\nb\",c\nd,e\n"),
      C("\"a\"b,c\nd,e\n"),
      C("a\"b,c\nd,e\n"),
      C("\"unterminated\nx,y\n"),
      C("a,b\r\n\r\n\r\nc\r\n"),
      C("  ,  \n"),
      C("x,\"\"\n"),
      /* two fields over the 64-byte limit on one quote-free line */
      C("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ","
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "\n"),
#undef C
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t cuts[64];
    size_t len = cases[i].len;
    /* whole, then every single-cut split */
    for (size_t cut = 0; cut < len || cut == 0; cut++) {
      size_t n = 0;
      if (cut > 0) {
        cuts[n++] = cut;
      }
      csvd_log a, b;
      cr_assert_eq(csvd_read(cases[i].s, len, true, 64, cuts, n, false, &a), 0);
      cr_assert_eq(csvd_read(cases[i].s, len, false, 64, cuts, n, false, &b),
                   0);
      if (csvd_diff(&a, &b) != SIZE_MAX) {
        fprintf(stderr, "case %zu cut %zu: ", i, cut);
        csvd_print_input(stderr, cases[i].s, len);
        csvd_dump(stderr, "fast", &a);
        csvd_dump(stderr, "libcsv", &b);
      }
      cr_expect_eq(csvd_diff(&a, &b), SIZE_MAX, "case %zu cut %zu differs", i,
                   cut);
      csvd_log_free(&a);
      csvd_log_free(&b);
      if (len == 0) {
        break;
      }
    }
  }
}
