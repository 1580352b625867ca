/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_run.c: the run (harmrank/run.h) end to end on a small
 * hand-made force: the window settled once, the accounting identity, the
 * warnings, explain and the per-code parts adding up exactly to every
 * score, RFGV totals equal to their weighted components, and the cohort
 * made from the run's own stages. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <threads.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "core/internal.h"
#include "report/csv_internal.h"
#include "support.h"

static char dir[64];

static const char *put(const char *name, const char *text) {
  static char path[8][128];
  static int k;
  char *p = path[k++ % 8];
  snprintf(p, 128, "%s/%s", dir, name);
  FILE *fp = fopen(p, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
  return p;
}

/* as_of 2026-10-31, 365 days. Weights: 008/06 17.25 (estimate), 028/01
 * 2.385 (estimate), 034/01 365 (anchor). ZZ9 is in no table. A: two 034/01
 * (one repeated row) and one 008/06 = 747.25; B: 008/06 + 028/01 = 19.635
 * plus ZZ9 (0); C: one 028/01 before the window (2025-09-01) and one in it
 * = 2.385; D: a row with a bad date (rejected). */
static const char OFFENCES[] =
    "offence_id,offender_id,offence_code,offence_date,victim_id\n"
    "C1,A,034/01,2026-03-01,V1\n"
    "C1,A,034/01,2026-03-01,V1\n"
    "C2,A,034/01,2026-05-01,V2\n"
    "C3,A,008/06,2026-06-01,V2\n"
    "C4,B,008/06,2026-07-01,V3\n"
    "C5,B,028/01,2026-08-01,V4\n"
    "C6,B,ZZ9,2026-09-01,V5\n"
    "C7,C,028/01,2025-09-01,V6\n"
    "C8,C,028/01,2026-10-31,V7\n"
    "C9,D,008/06,2026-02-30,V8\n";
static const char WEIGHTS[] =
    "offence_code,description,harm,category,proactive,source\n"
    "008/06,assault with injury,17.25,violence,0,estimate: test\n"
    "028/01,burglary,2.385,property,0,estimate: test\n"
    "034/01,robbery,365,robbery,0,anchor: robbery 365 days\n";

static harm_run *run_top(const char *ini, size_t rank_top) {
  strcpy(dir, "/tmp/harm_run_XXXXXX");
  test_mkdtemp(dir);
  const char *off = put("offences.csv", OFFENCES);
  put("weights.csv", WEIGHTS);
  const char *cfg_path = put("run.ini", ini);
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  cr_assert_eq(harm_config_load(cfg, cfg_path, &err), HARM_OK, "%s",
               err.message);
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = off;
  ro.keep_records = true; /* explain reads them */
  ro.rank_top = rank_top;
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s", err.message);
  harm_config_free(cfg);
  return r;
}

static harm_run *run_with(const char *ini) { return run_top(ini, 0); }

static const char BASE[] = "[weights]\nfile = weights.csv\n"
                           "[scoring]\nas_of = 2026-10-31\n"
                           "lookback_days = 365\n";

static const harm_score *score_of(const harm_run *r, const char *id) {
  size_t subj;
  const harm_scores *s = harm_run_scores(r, 0);
  cr_assert(harm_dataset_find_subject(harm_run_dataset(r), id, &subj), "%s",
            id);
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    if (harm_scores_at(s, i)->subject == subj) {
      return harm_scores_at(s, i);
    }
  }
  cr_assert_fail("%s has no score", id);
  return NULL;
}

Test(run, window_accounting_and_warnings) {
  harm_run *r = run_with(BASE);
  harm_window w = harm_run_window(r);
  harm_date as_of;
  cr_assert(harm_date_parse("2026-10-31", 10, HARM_DATE_YMD, &as_of));
  cr_expect_eq(w.as_of, as_of);
  cr_expect_eq(w.lookback_days, 365);
  /* 10 rows: 1 rejected (2026-02-30), 1 outside the window (C7), 1
   * duplicate (C1 again), 7 scored. */
  harm_accounting a = harm_run_accounting(r);
  cr_expect_eq(a.read, 10);
  cr_expect_eq(a.rejected, 1);
  cr_expect_eq(a.outside_window, 1);
  cr_expect_eq(a.duplicates, 1);
  cr_expect_eq(a.scored, 7);
  cr_expect_eq(a.read, a.scored + a.outside_window + a.future_dated +
                           a.filtered + a.duplicates + a.rejected);
  /* Estimates (2 of 3), the unknown code ZZ9, the rejected row. */
  bool est = false, unknown = false, rejected = false;
  for (size_t i = 0; i < harm_run_n_warnings(r); i++) {
    const harm_warning *wn = harm_run_warning(r, i);
    est |= wn->kind == HARM_WARN_ESTIMATES && strstr(wn->text, "2 of 3");
    unknown |= wn->kind == HARM_WARN_UNKNOWN_CODES && strstr(wn->text, "ZZ9");
    rejected |= wn->kind == HARM_WARN_REJECTED;
  }
  cr_expect(est && unknown && rejected);
  cr_expect_eq(score_of(r, "A")->harm_units, 747250000);
  cr_expect_eq(score_of(r, "B")->harm_units, 19635000);
  cr_expect_eq(score_of(r, "C")->harm_units, 2385000);
  harm_run_free(r);
}

/* Every subject: explain's scored lines and the per-code parts add up to
 * the score exactly. */
Test(run, explain_and_parts_add_up_to_every_score) {
  harm_run *r = run_with("[weights]\nfile = weights.csv\n"
                         "[scoring]\nas_of = 2026-10-31\n"
                         "lookback_days = 365\nhalf_life_days = 45\n"
                         "cap = 300\ntransform = sqrt\n"
                         "attribution = split\n");
  const harm_scores *s = harm_run_scores(r, 0);
  harm_score_opts so = harm_run_score_opts(r);
  cr_assert_gt(harm_scores_count(s), 2);
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    const harm_score *sc = harm_scores_at(s, i);
    harm_offence_line *lines;
    size_t n;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_explain_subject(s, harm_run_weights(r, 0), &so,
                                      sc->subject, &lines, &n, &err),
                 HARM_OK);
    int64_t sum = 0;
    for (size_t k = 0; k < n; k++) {
      sum += lines[k].harm_units;
    }
    harm_offence_lines_free(lines);
    cr_expect_eq(sum, sc->harm_units, "explain of subject %" PRIu32,
                 sc->subject);
    harm_score_part *parts;
    cr_assert_eq(harm_score_parts(s, sc, &parts, &n, &err), HARM_OK);
    sum = 0;
    for (size_t k = 0; k < n; k++) {
      sum += parts[k].harm_units;
    }
    free(parts);
    cr_expect_eq(sum, sc->harm_units, "parts of subject %" PRIu32, sc->subject);
  }
  harm_run_free(r);
}

/* RFGV: every total is the weighted sum of its components, and the model
 * ranking orders by total, then by the harm ranking. Weights 2, 1, 0.5, 1. */
Test(run, rfgv_totals_are_their_weighted_components) {
  char ini[512];
  snprintf(ini, sizeof ini,
           "%s[cohort]\nmodel = rfgv\nsize = 2\nreferral_slots = 0\n"
           "[rfgv]\nweight_r = 2\nweight_g = 0.5\n",
           BASE);
  harm_run *r = run_with(ini);
  const harm_rfgv *v = harm_run_rfgv(r);
  cr_assert_not_null(v);
  const harm_scores *s = harm_run_scores(r, 0);
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    cr_expect_eq(v[i].total, 2 * v[i].r + v[i].f + 0.5 * v[i].g + v[i].v);
  }
  const harm_ranking *m = harm_run_model_ranking(r);
  for (size_t k = 2; k <= harm_ranking_count(m); k++) {
    size_t a = harm_ranking_index(m, k - 1), b = harm_ranking_index(m, k);
    cr_expect_geq(v[a].total, v[b].total);
  }
  /* The cohort takes the top 2 of that ranking. */
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  rules.rfgv = true;
  rules.size = 2;
  rules.referral_slots = 0;
  const harm_cohort *c = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_run_select(r, &rules, NULL, NULL, NULL, &c, &err), HARM_OK,
               "%s", err.message);
  cr_assert_eq(harm_cohort_count(c), 2);
  for (size_t k = 0; k < 2; k++) {
    cr_expect_eq(harm_cohort_member(c, k)->score, harm_ranking_at(m, k + 1));
  }
  /* A cohort under the other model is refused, not silently mixed. */
  rules.rfgv = false;
  cr_expect_eq(harm_run_select(r, &rules, NULL, NULL, NULL, &c, &err),
               HARM_ERR_USAGE);
  harm_run_free(r);
}

/* A weights table that weighs none of the data's codes stops the run. */
Test(run, a_table_weighing_no_code_stops_the_run) {
  strcpy(dir, "/tmp/harm_run_XXXXXX");
  test_mkdtemp(dir);
  const char *off = put("offences.csv", OFFENCES);
  const char *w =
      put("other.csv", "offence_code,description,harm,category,proactive,"
                       "source\n9Z,x,10,x,0,estimate: t\n");
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = off;
  ro.weights = &w;
  ro.n_weights = 1;
  harm_run *r = NULL;
  cr_expect_eq(harm_run_new(cfg, &ro, &r, &err), HARM_ERR_DATA);
  cr_expect_null(r);
  harm_config_free(cfg);
}

/* A run that only scores frees the records (explain is refused, not
 * answered from freed memory); with keep_records they stay. */
Test(run, records_are_released_unless_kept) {
  strcpy(dir, "/tmp/harm_run_XXXXXX");
  test_mkdtemp(dir);
  const char *off = put("offences.csv", OFFENCES);
  const char *w = put("weights.csv", WEIGHTS);
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = off;
  ro.weights = &w;
  ro.n_weights = 1;
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s", err.message);
  const harm_scores *s = harm_run_scores(r, 0);
  harm_score_opts so = harm_run_score_opts(r);
  harm_offence_line *lines = NULL;
  size_t n = 0;
  cr_expect_eq(harm_explain_subject(s, harm_run_weights(r, 0), &so,
                                    harm_scores_at(s, 0)->subject, &lines, &n,
                                    &err),
               HARM_ERR_USAGE);
  cr_expect_null(lines);
  harm_run_free(r);
  harm_config_free(cfg);
}

/* rank_top = 1: the run ranks only A (747.25 days; B has 19.635, C
 * 2.385). A cohort and a comparison need every rank and refuse it. */
Test(run, rank_top_holds_only_the_first_ranks_and_cohorts_refuse_it) {
  harm_run *r = run_top(BASE, 1);
  const harm_ranking *rk = harm_run_ranking(r, 0);
  cr_assert_eq(harm_ranking_count(rk), 1);
  cr_expect(!harm_ranking_is_whole(rk));
  cr_expect_eq(harm_ranking_at(rk, 1), score_of(r, "A"));
  cr_expect_null(harm_ranking_at(rk, 2));
  const harm_scores *s = harm_run_scores(r, 0);
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    bool is_a = harm_scores_at(s, i) == score_of(r, "A");
    cr_expect_eq(harm_ranking_rank_of(rk, i), is_a ? 1u : 0u);
  }
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  const harm_cohort *c = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_run_select(r, &rules, NULL, NULL, NULL, &c, &err),
               HARM_ERR_USAGE);
  cr_expect(strstr(err.message, "whole ranking") != NULL, "%s", err.message);
  harm_analysis_comparison *cmp = NULL;
  cr_expect_eq(harm_analysis_comparison_new(rk, rk, 1, &cmp, &err),
               HARM_ERR_USAGE);
  cr_expect_null(cmp);
  harm_run_free(r);
  /* rank_top = 0 (the default) ranks all three. */
  r = run_top(BASE, 0);
  cr_expect(harm_ranking_is_whole(harm_run_ranking(r, 0)));
  cr_expect_eq(harm_ranking_count(harm_run_ranking(r, 0)), 3);
  harm_run_free(r);
}

/* The extra column for the test below: the id's length and its last
 * character, from the id alone; it notes whether it was ever called
 * from a thread other than the test's. */
static thrd_t test_thread;
static atomic_bool called_elsewhere;

static void id_shape(void *ctx, const char *id, size_t subject, char *buf,
                     size_t cap) {
  (void)ctx;
  (void)subject;
  if (!thrd_equal(thrd_current(), test_thread)) {
    atomic_store(&called_elsewhere, true);
  }
  size_t len = strlen(id);
  snprintf(buf, cap, "len %zu ends %c", len, len ? id[len - 1] : '-');
}

/* Reads a whole file (NUL-terminated); *len its bytes. */
static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  cr_assert_not_null(fp, "%s", path);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
  buf[n] = '\0';
  fclose(fp);
  *len = (size_t)n;
  return buf;
}

/* scores.csv of 3,000 offenders written with 1 to 4 threads, in batches
 * of 97 ranks from 50 rows on (so slices of every size and a short last
 * batch), with no extra column, a reentrant one (asked from the writer's
 * threads) and one that is not (asked from the caller's thread only):
 * every file is the one-thread file byte for byte, and that file has one
 * row per rank in order, each with its id's extra cell. A run that ranks
 * only its first 37 (rank_top, the heaps' path) writes the first 37 rows
 * of that file. */
Test(run, scores_written_on_threads_are_the_one_thread_file) {
  strcpy(dir, "/tmp/harm_run_XXXXXX");
  test_mkdtemp(dir);
  char *csv = malloc(9000 * 64 + 128);
  size_t n = (size_t)sprintf(
      csv, "offence_id,offender_id,offence_code,offence_date,victim_id\n");
  for (int i = 0; i < 9000; i++) {
    n += (size_t)sprintf(csv + n, "C%d,P%d,%s,2026-%02d-%02d,V%d\n", i,
                         (i * 7919) % 3000, i % 3 ? "008/06" : "028/01",
                         1 + i % 10, 1 + i % 28, i % 4000);
  }
  const char *off = put("offences.csv", csv);
  put("weights.csv", WEIGHTS);
  const char *cfg_path = put("run.ini", BASE);
  harm__report_rows_min = 50;
  harm__report_rows_batch = 97;
  test_thread = thrd_current();
  char *ref = NULL;
  size_t ref_len = 0;
  for (int col = 0; col < 3; col++) {
    harm_report_column extra = {
        .name = "shape", .text = id_shape, .reentrant = col == 1};
    for (unsigned t = 1; t <= 4; t++) {
      harm_config *cfg = NULL;
      harm_error err = HARM_ERROR_INIT;
      cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
      cr_assert_eq(harm_config_load(cfg, cfg_path, &err), HARM_OK);
      char threads[8];
      snprintf(threads, sizeof threads, "%u", t);
      cr_assert_eq(harm_config_set(cfg, "run", "threads", threads, &err),
                   HARM_OK, "%s", err.message);
      harm_run_opts ro = HARM_RUN_OPTS_INIT;
      ro.offences = off;
      harm_run *r = NULL;
      cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s",
                   err.message);
      char path[160];
      snprintf(path, sizeof path, "%s/scores-%d-%u.csv", dir, col, t);
      FILE *fp = fopen(path, "wb");
      atomic_store(&called_elsewhere, false);
      cr_assert_eq(harm_report_scores(fp, r, col ? &extra : NULL, 0, &err),
                   HARM_OK, "%s", err.message);
      fclose(fp);
      if (col) {
        cr_assert_eq(atomic_load(&called_elsewhere), col == 1 && t > 1,
                     "column %d, %u threads", col, t);
      }
      size_t len;
      char *got = slurp(path, &len);
      if (col == 0 && t == 1) {
        ref = got;
        ref_len = len;
        /* One row per rank, 1 to 3,000 in order. */
        size_t rank = 0;
        for (char *line = strchr(got, '\n'); line && line[1];
             line = strchr(line + 1, '\n')) {
          cr_assert_eq(strtoul(line + 1, NULL, 10), ++rank);
        }
        cr_assert_eq(rank, 3000);
      } else if (col == 0) {
        cr_assert(len == ref_len && memcmp(got, ref, len) == 0,
                  "%u threads: not the one-thread file", t);
        free(got);
      } else {
        /* The same rows, each with ",len L ends C" appended (the id is
         * the second field). */
        char *a = ref, *b = got;
        a = strchr(a, '\n') + 1;
        b = strchr(b, '\n') + 1;
        for (size_t row = 0; *a; row++) {
          char *ea = strchr(a, '\n');
          size_t la = (size_t)(ea - a);
          cr_assert(strncmp(a, b, la) == 0, "row %zu differs", row);
          const char *id = strchr(a, ',') + 1;
          size_t id_len = (size_t)(strchr(id, ',') - id);
          char cell[64];
          snprintf(cell, sizeof cell, ",len %zu ends %c\n", id_len,
                   id[id_len - 1]);
          cr_assert(strncmp(b + la, cell, strlen(cell)) == 0,
                    "row %zu: extra cell %.*s", row, 20, b + la);
          a = ea + 1;
          b += la + strlen(cell);
        }
        cr_assert_eq(*b, '\0');
        free(got);
      }
      harm_run_free(r);
      if (col == 0) {
        /* The first 37 ranks only: the first 37 rows. */
        ro.rank_top = 37;
        cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK);
        fp = fopen(path, "wb");
        cr_assert_eq(harm_report_scores(fp, r, NULL, 37, &err), HARM_OK);
        fclose(fp);
        got = slurp(path, &len);
        const char *end = ref;
        for (int line = 0; line < 38; line++) {
          end = strchr(end, '\n') + 1;
        }
        cr_assert(len == (size_t)(end - ref) && memcmp(got, ref, len) == 0,
                  "%u threads: top 37 not the first 37 rows", t);
        free(got);
        harm_run_free(r);
      }
      harm_config_free(cfg);
    }
  }
  free(ref);
  free(csv);
}
