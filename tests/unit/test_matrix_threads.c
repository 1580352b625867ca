/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_matrix_threads.c: the aggregate and the scores are
 * bit-identical whatever the number of threads, on an input large enough
 * (over 65,536 kept rows) for the parallel paths of ingest and aggregation
 * to run, with decay and split attribution on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

static uint64_t state = 20261123;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static char *make_csv(size_t rows, size_t *len) {
  size_t cap = rows * 64 + 128, n = 0;
  char *buf = malloc(cap);
  n += (size_t)snprintf(buf, cap,
                        "offence_id,offender_id,offence_code,offence_date,"
                        "victim_id\n");
  static const char *const codes[] = {"34B", "8N", "19C", "105A", "28E", "ZZ9"};
  for (size_t i = 0; i < rows; i++) {
    /* Some crimes are shared (co-offenders), some rows repeated. */
    uint64_t crime = next() % (rows * 3 / 4);
    n += (size_t)snprintf(
        buf + n, cap - n, "C%llu,N%llu,%s,2026-%02d-%02d,V%llu\n",
        (unsigned long long)crime, (unsigned long long)(next() % 20000),
        codes[next() % 6], (int)(next() % 12) + 1, (int)(next() % 28) + 1,
        (unsigned long long)(next() % 30000));
  }
  *len = n;
  return buf;
}

static const char weights[] =
    "offence_code,description,harm,category,proactive,source\n"
    "34B,Robbery,365,Robbery,0,anchor: t\n"
    "8N,Assault,10.25,Violence,0,estimate: t\n"
    "19C,Rape,1825,Rape,0,estimate: t\n"
    "105A,Common assault,1,Violence,0,estimate: t\n"
    "28E,Burglary,273.5,Burglary,0,estimate: t\n";

Test(matrix, identical_at_one_two_and_four_threads) {
  size_t len;
  char *csv = make_csv(90000, &len);
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load_buffer("w.csv", weights, sizeof weights - 1,
                                        NULL, &w, &err),
               HARM_OK);
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
      harm[k][4 * i + 2] = (double)sc->facts.victims;
      harm[k][4 * i + 3] = (double)sc->facts.offences;
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
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load_buffer("w.csv", weights, sizeof weights - 1,
                                        NULL, &w, &err),
               HARM_OK);
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
    harm_scores *s = NULL;
    cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK);
    n_scores[k] = harm_scores_count(s);
    harm[k] = malloc(n_scores[k] * COLS * sizeof *harm[k]);
    for (size_t i = 0; i < n_scores[k]; i++) {
      const harm_score *sc = harm_scores_at(s, i);
      harm[k][COLS * i] = sc->harm;
      harm[k][COLS * i + 1] = (double)sc->facts.victims;
      harm[k][COLS * i + 2] = (double)sc->subject;
      harm[k][COLS * i + 3] = sc->max_offence_harm;
      harm[k][COLS * i + 4] = (double)sc->facts.offences;
    }
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
