/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_matrix_threads.c: the aggregate and the scores are
 * bit-identical whatever the number of threads, on an input large enough
 * (over 65,536 kept rows) for the parallel paths of ingest and aggregation
 * to run, with decay and split attribution on. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "ingest/loader.h"
#include "score/matrix.h"

static uint64_t state = 20261123;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static char *make_csv_ids(size_t rows, size_t *len, const char *prefix) {
  size_t cap = rows * (64 + strlen(prefix)) + 128, n = 0;
  char *buf = malloc(cap);
  n += (size_t)snprintf(buf, cap,
                        "offence_id,offender_id,offence_code,offence_date,"
                        "victim_id\n");
  static const char *const codes[] = {"34B", "8N", "19C", "105A", "28E", "ZZ9"};
  for (size_t i = 0; i < rows; i++) {
    /* Some crimes are shared (co-offenders), some rows repeated. */
    uint64_t crime = next() % (rows * 3 / 4);
    n += (size_t)snprintf(
        buf + n, cap - n, "C%llu,%s%llu,%s,2026-%02d-%02d,V%llu\n",
        (unsigned long long)crime, prefix, (unsigned long long)(next() % 20000),
        codes[next() % 6], (int)(next() % 12) + 1, (int)(next() % 28) + 1,
        (unsigned long long)(next() % 30000));
  }
  *len = n;
  return buf;
}

static char *make_csv(size_t rows, size_t *len) {
  return make_csv_ids(rows, len, "N");
}

/* Spare blocks a matrix or dataset still holds. */
static unsigned spares_left(harm__spares *sp) {
  unsigned n = 0;
  for (int b = 0; b < HARM__SPARES; b++) {
    n += atomic_load(&sp->p[b]) != NULL;
  }
  return n;
}

static const char weights[] =
    "offence_code,description,harm,category,proactive,source\n"
    "34B,Robbery,365,Robbery,0,anchor: t\n"
    "8N,Assault,10.25,Violence,0,estimate: t\n"
    "19C,Rape,1825,Rape,0,estimate: t\n"
    "105A,Common assault,1,Violence,0,estimate: t\n"
    "28E,Burglary,273.5,Burglary,0,estimate: t\n";

static harm_weights *load_weights(void) {
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load_buffer("w.csv", weights, sizeof weights - 1,
                                        NULL, &w, &err),
               HARM_OK);
  return w;
}

Test(matrix, identical_at_one_two_and_four_threads) {
  size_t len;
  char *csv = make_csv(90000, &len);
  harm_weights *w = load_weights();
  harm_error err = HARM_ERROR_INIT;
  double *harm[3] = {NULL, NULL, NULL};
  size_t n_scores[3];
  unsigned counts[3] = {1, 2, 4};
  for (int k = 0; k < 3; k++) {
    harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
    io.threads = counts[k];
    io.min_chunk_bytes = 4096;
    io.lookback_days = 0;
    harm_dataset *ds = NULL;
    cr_assert_eq(harm_ingest_buffer("t.csv", csv, len, &io, &ds, &err),
                 HARM_OK);
    harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
    mo.weights = w;
    mo.threads = counts[k];
    mo.half_life_days = 45.5;
    mo.attribution = HARM_ATTR_SPLIT;
    harm_matrix *m = NULL;
    cr_assert_eq(harm_matrix_build(ds, &mo, &m, &err), HARM_OK);
    harm_accounting a = harm_matrix_accounting(m);
    cr_assert_gt(a.scored, 65536, "too few rows to exercise threads");
    cr_assert_eq(a.read, 90000);
    cr_assert_eq(a.read, a.scored + a.duplicates + a.filtered +
                             a.outside_window + a.future_dated + a.rejected);
    harm_scores *s = NULL;
    cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
    n_scores[k] = harm_scores_count(s);
    harm[k] = malloc(n_scores[k] * 4 * sizeof *harm[k]);
    for (size_t i = 0; i < n_scores[k]; i++) {
      const harm_score *sc = harm_scores_at(s, i);
      harm[k][4 * i] = sc->harm;
      harm[k][4 * i + 1] = sc->max_offence_harm;
      harm[k][4 * i + 2] = (double)harm_score_facts(s, sc).victims;
      harm[k][4 * i + 3] = (double)harm_score_facts(s, sc).offences;
    }
    harm_scores_free(s);
    harm_matrix_free(m);
    harm_dataset_free(ds);
  }
  for (int k = 1; k < 3; k++) {
    cr_assert_eq(n_scores[k], n_scores[0]);
    cr_assert(memcmp(harm[k], harm[0], n_scores[0] * 4 * sizeof **harm) == 0,
              "%u threads differ from 1", counts[k]);
  }
  for (int k = 0; k < 3; k++) {
    free(harm[k]);
  }
  harm_weights_free(w);
  free(csv);
}

/* harm_matrix_build_release frees the dataset's records once aggregated
 * (handing their memory back page by page as the scatter reads them, in
 * steps of 32,768 records per thread, which this input exceeds): same
 * scores as harm_matrix_build at one and two threads, the dictionaries
 * stay, and explain or another build on that dataset is a usage error. */
Test(matrix, build_release_scores_the_same_and_then_refuses_reuse) {
  size_t len;
  char *csv = make_csv(150000, &len);
  harm_weights *w = load_weights();
  harm_error err = HARM_ERROR_INIT;
  enum { RUNS = 3, COLS = 5 };
  double *harm[RUNS] = {NULL, NULL, NULL};
  size_t n_scores[RUNS];
  for (int k = 0; k < RUNS; k++) {
    /* k = 0: build, one thread; 1: release, one thread; 2: release, two. */
    harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
    io.lookback_days = 0;
    harm_dataset *ds = NULL;
    cr_assert_eq(harm_ingest_buffer("t.csv", csv, len, &io, &ds, &err),
                 HARM_OK);
    harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
    mo.weights = w;
    mo.half_life_days = 45.5;
    mo.attribution = HARM_ATTR_SPLIT;
    mo.threads = k == 2 ? 2 : 1;
    harm_matrix *m = NULL;
    if (k == 0) {
      cr_assert_eq(harm_matrix_build(ds, &mo, &m, &err), HARM_OK);
    } else {
      cr_assert_eq(harm_matrix_build_release(ds, &mo, &m, &err), HARM_OK);
    }
    cr_assert_gt(harm_matrix_accounting(m).scored, 2 * 32768,
                 "too few records to reach a hand-back in both slices");
    /* A release build keeps its copy of the records as a spare block
     * and the first scores take it; a plain build has none. */
    cr_assert_eq(spares_left(&m->spares), k > 0 ? 1u : 0u);
    harm_scores *s = NULL;
    cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
    cr_assert_eq(spares_left(&m->spares), 0u, "spares left after scoring");
    harm_ranking *rk = NULL;
    cr_assert_eq(harm_rank_compute(s, &rk, &err), HARM_OK);
    /* The ranking made on those pages is the order of harm_rank_compare. */
    for (size_t r = 1; r < harm_ranking_count(rk); r++) {
      cr_assert_lt(harm_rank_compare(s, harm_ranking_at(rk, r),
                                     harm_ranking_at(rk, r + 1)),
                   0, "ranks %zu and %zu out of order", r, r + 1);
    }
    harm_ranking_free(rk);
    n_scores[k] = harm_scores_count(s);
    harm[k] = malloc(n_scores[k] * COLS * sizeof *harm[k]);
    for (size_t i = 0; i < n_scores[k]; i++) {
      const harm_score *sc = harm_scores_at(s, i);
      harm[k][COLS * i] = sc->harm;
      harm[k][COLS * i + 1] = (double)harm_score_facts(s, sc).victims;
      harm[k][COLS * i + 2] = (double)sc->subject;
      harm[k][COLS * i + 3] = sc->max_offence_harm;
      harm[k][COLS * i + 4] = (double)harm_score_facts(s, sc).offences;
    }
    /* Scores again, from fresh memory now: the same numbers. */
    harm_scores *s2 = NULL;
    cr_assert_eq(harm_score_compute(m, w, NULL, &s2, &err), HARM_OK);
    cr_assert_eq(harm_scores_count(s2), n_scores[k]);
    for (size_t i = 0; i < n_scores[k]; i++) {
      const harm_score *a = harm_scores_at(s, i), *b = harm_scores_at(s2, i);
      cr_assert(a->harm == b->harm && a->subject == b->subject &&
                    a->max_offence_harm == b->max_offence_harm &&
                    a->top_code == b->top_code,
                "score %zu differs on a second scoring", i);
    }
    harm_scores_free(s2);
    if (k > 0) {
      size_t id_len;
      cr_assert_not_null(harm_dataset_subject_id(ds, 0, &id_len));
      harm_offence_line *lines = NULL;
      size_t n = 0;
      harm_error e2 = HARM_ERROR_INIT;
      cr_assert_eq(harm_explain_subject(s, w, NULL,
                                        harm_scores_at(s, 0)->subject, &lines,
                                        &n, &e2),
                   HARM_ERR_USAGE);
      cr_assert_null(lines);
      harm_matrix *m2 = NULL;
      cr_assert_eq(harm_matrix_build(ds, &mo, &m2, &e2), HARM_ERR_USAGE);
      cr_assert_null(m2);
    }
    harm_scores_free(s);
    harm_matrix_free(m);
    harm_dataset_free(ds);
  }
  for (int k = 1; k < RUNS; k++) {
    cr_assert_eq(n_scores[k], n_scores[0]);
    cr_assert(memcmp(harm[k], harm[0], n_scores[0] * COLS * sizeof **harm) == 0,
              "run %d differs from harm_matrix_build", k);
  }
  for (int k = 0; k < RUNS; k++) {
    free(harm[k]);
  }
  harm_weights_free(w);
  free(csv);
}

/* Scores of one ingest, as comparable numbers: per score its harm, most
 * harmful offence, victims, offences, first and last dates, area, and its
 * subject's id (hashed to a number, compared exactly below through the
 * ids themselves). */
enum { PCOLS = 8 };
static double *score_table(const harm_dataset *ds, const harm_scores *s,
                           char ***ids) {
  size_t n = harm_scores_count(s);
  double *t = malloc((n + 1) * PCOLS * sizeof *t);
  *ids = malloc((n + 1) * sizeof **ids);
  for (size_t i = 0; i < n; i++) {
    const harm_score *sc = harm_scores_at(s, i);
    double row[PCOLS] = {sc->harm,
                         sc->max_offence_harm,
                         (double)harm_score_facts(s, sc).victims,
                         (double)harm_score_facts(s, sc).offences,
                         (double)harm_score_facts(s, sc).first,
                         (double)harm_score_facts(s, sc).last,
                         (double)harm_score_facts(s, sc).area,
                         (double)sc->subject};
    memcpy(t + PCOLS * i, row, sizeof row);
    size_t len;
    const char *id = harm_dataset_subject_id(ds, sc->subject, &len);
    (*ids)[i] = strndup(id, len);
  }
  return t;
}

/* harm_ingest_opts.records_in_parts: a parallel read leaves its records
 * in the threads' arrays (renumbered where they are) and the release
 * build reads them there. Against one array built on one thread and
 * harm_matrix_build: the same scores, facts (area included, so areas are
 * renumbered too) and subject ids, at 2, 3 and 4 threads with many small
 * chunks, plain and pseudonymised (the pseudonyms re-sort the subjects
 * over the parts); before the release, harm_matrix_build refuses such a
 * dataset, and with keep_offence_ids the option is ignored. */
Test(matrix, records_in_parts_score_like_one_array) {
  /* Pages handed back every 700 elements (keys, order, records, working
   * copy): a read of anything handed back shows as zeros in the scores,
   * facts or ids compared below. */
  harm__shed_step = 700;
  /* Offender ids of up to 6 bytes, kept as keys in the records and
   * sorted there (small blocks and ranges: many of each), or (the second
   * round) of 10 or more, in the pools of rows. */
  harm__ingest_key_block = 5000;
  harm__ingest_key_range = 3000;
  harm_weights *w = load_weights();
  for (int long_ids = 0; long_ids < 2; long_ids++) {
    size_t len;
    char *csv = make_csv_ids(120000, &len, long_ids ? "OFFENDER-N" : "N");
    /* An area column: the parts' area numbers must be renumbered too. */
    size_t cap = len + 120000 * 4 + 16, n = 0;
    char *with_area = malloc(cap);
    const char *p = csv;
    for (size_t line = 0; p < csv + len; line++) {
      const char *nl = memchr(p, '\n', (size_t)(csv + len - p));
      n += (size_t)snprintf(
          with_area + n, cap - n, "%.*s,%s\n", (int)(nl - p), p,
          line ? (const char *[]){"N", "S", "E", "W"}[line % 4] : "area");
      p = nl + 1;
    }
    harm_error err = HARM_ERROR_INIT;
    static const unsigned char key[] = "0123456789abcdef-key";
    for (int pseudo = 0; pseudo < 2; pseudo++) {
      double *ref = NULL;
      char **ref_ids = NULL;
      size_t n_ref = 0;
      static const unsigned counts[] = {1, 2, 3, 4};
      for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
        io.threads = counts[c];
        io.min_chunk_bytes = 4096;
        /* The subjects' new numbers into the records, or (3 threads) into
         * a map first, as for more rows than harm__ingest_direct_max. */
        harm__ingest_direct_max = counts[c] == 3 ? 0 : (size_t)1 << 22;
        io.lookback_days = 120; /* as_of = latest: chunks drop rows */
        io.records_in_parts = c > 0;
        if (pseudo) {
          io.pseudonym_key = key;
          io.pseudonym_key_len = sizeof key - 1;
        }
        harm_dataset *ds = NULL;
        cr_assert_eq(harm_ingest_buffer("t.csv", with_area, n, &io, &ds, &err),
                     HARM_OK, "%s", err.message);
        /* In parts, the pools' sort's keys and order are kept for the
         * release build, which takes or frees them; records sorted on
         * their own keys leave none. */
        cr_assert_eq(spares_left(&ds->spares), c > 0 && long_ids ? 2u : 0u,
                     "%u threads", counts[c]);
        harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
        mo.weights = w;
        mo.threads = counts[c];
        mo.half_life_days = 30;
        mo.attribution = HARM_ATTR_SPLIT;
        harm_matrix *m = NULL;
        /* The reference scatters into 256 buckets at most, the others into
         * 2048 (with fewer subjects than that, a bucket each). */
        harm__agg_bucket_recs = c == 0 ? 16384 : 8;
        if (c == 0) {
          cr_assert_eq(harm_matrix_build(ds, &mo, &m, &err), HARM_OK);
        } else {
          harm_error e2 = HARM_ERROR_INIT;
          cr_assert_eq(harm_matrix_build(ds, &mo, &m, &e2), HARM_ERR_USAGE,
                       "%u threads: the records were not left in parts",
                       counts[c]);
          cr_assert_null(m);
          cr_assert_eq(harm_matrix_build_release(ds, &mo, &m, &err), HARM_OK);
          cr_assert_eq(spares_left(&ds->spares), 0u);
        }
        harm_accounting a = harm_matrix_accounting(m);
        cr_assert_eq(a.read, 120000);
        cr_assert_eq(a.read, a.scored + a.duplicates + a.filtered +
                                 a.outside_window + a.future_dated +
                                 a.rejected);
        cr_assert_gt(a.scored, 20000);
        harm_scores *s = NULL;
        cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
        char **ids = NULL;
        double *t = score_table(ds, s, &ids);
        size_t k = harm_scores_count(s);
        if (c == 0) {
          ref = t;
          ref_ids = ids;
          n_ref = k;
        } else {
          cr_assert_eq(k, n_ref, "%u threads, pseudonyms %d", counts[c],
                       pseudo);
          cr_assert(memcmp(t, ref, k * PCOLS * sizeof *t) == 0,
                    "%u threads, pseudonyms %d: scores differ", counts[c],
                    pseudo);
          for (size_t i = 0; i < k; i++) {
            cr_assert_str_eq(ids[i], ref_ids[i]);
            free(ids[i]);
          }
          free(ids);
          free(t);
        }
        harm_scores_free(s);
        harm_matrix_free(m);
        harm_dataset_free(ds);
      }
      for (size_t i = 0; i < n_ref; i++) {
        free(ref_ids[i]);
      }
      free(ref_ids);
      free(ref);
    }
    /* Offence ids, and places read from a place column (here the area
     * column), need the one array: the option is ignored. */
    for (int need = 0; need < 2; need++) {
      harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
      io.threads = 2;
      io.min_chunk_bytes = 4096;
      io.records_in_parts = true;
      io.keep_offence_ids = need == 0;
      io.read_places = need == 1;
      io.columns.place = "area";
      harm_dataset *ds = NULL;
      cr_assert_eq(harm_ingest_buffer("t.csv", with_area, n, &io, &ds, &err),
                   HARM_OK);
      cr_assert_eq(harm_dataset_has_places(ds), need == 1);
      harm_matrix *m = NULL;
      cr_assert_eq(harm_matrix_build(ds, NULL, &m, &err), HARM_OK,
                   "%s: the records were left in parts",
                   need ? "places" : "offence ids");
      harm_matrix_free(m);
      harm_dataset_free(ds);
    }
    free(with_area);
    free(csv);
  }
  harm_weights_free(w);
}

/* Sum of every score's harm and offences of a matrix's scores. */
static void totals(const harm_matrix *m, const harm_weights *w, double *harm,
                   double *offences) {
  harm_scores *s = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
  *harm = *offences = 0;
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    *harm += harm_scores_at(s, i)->harm;
    *offences += harm_score_facts(s, harm_scores_at(s, i)).offences;
  }
  harm_scores_free(s);
}

/* records_in_parts under every allocation failure of a parallel ingest
 * and of the release build that reads the parts: each failure is
 * HARM_ERR_NOMEM with nothing returned (the sanitizers check nothing
 * leaks), and the run that succeeds scores as one array does. */
Test(matrix, records_in_parts_every_allocation_failure) {
  size_t len;
  char *csv = make_csv(4000, &len);
  harm_weights *w = load_weights();
  harm_error err = HARM_ERROR_INIT;
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.threads = 2;
  io.min_chunk_bytes = 1024;
  io.lookback_days = 200;
  harm_dataset *ds = NULL;
  cr_assert_eq(harm_ingest_buffer("t.csv", csv, len, &io, &ds, &err), HARM_OK);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  mo.threads = 2;
  harm_matrix *ref = NULL;
  cr_assert_eq(harm_matrix_build(ds, &mo, &ref, &err), HARM_OK);
  double ref_harm, ref_off;
  totals(ref, w, &ref_harm, &ref_off);
  harm_matrix_free(ref);
  harm_dataset_free(ds);
  io.records_in_parts = true;
  uint64_t n = 1;
  for (; n < 100000; n++) {
    ds = (harm_dataset *)&io; /* poison */
    harm_error e = HARM_ERROR_INIT;
    harm__fault_fail_after(n);
    harm_status st = harm_ingest_buffer("t.csv", csv, len, &io, &ds, &e);
    harm_matrix *m = (harm_matrix *)&io;
    if (st == HARM_OK) {
      st = harm_matrix_build_release(ds, &mo, &m, &e);
      if (st != HARM_OK) {
        cr_assert_null(m, "allocation %llu", (unsigned long long)n);
      }
    } else {
      cr_assert_null(ds, "allocation %llu", (unsigned long long)n);
      ds = NULL;
    }
    uint64_t calls = harm__fault_fail_after(0);
    if (st == HARM_OK && calls < n) {
      /* The n-th allocation never came: every point is covered, and this
       * run scores as one array does. */
      double got_harm, got_off;
      totals(m, w, &got_harm, &got_off);
      cr_assert_eq(got_harm, ref_harm);
      cr_assert_eq(got_off, ref_off);
      harm_matrix_free(m);
      break;
    }
    if (st == HARM_OK) {
      harm_matrix_free(m);
    } else {
      cr_assert_eq(st, HARM_ERR_NOMEM, "allocation %llu: %s",
                   (unsigned long long)n, harm_status_name(st));
    }
    harm_dataset_free(ds);
  }
  cr_assert_gt(n, 20, "too few allocations: was the read parallel?");
  cr_assert_lt(n, 100000, "never succeeded");
  harm_dataset_free(ds);
  harm_weights_free(w);
  free(csv);
}
