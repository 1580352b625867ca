/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/harmrank-bench.c: times each stage of the reference job (ingest,
 * matrix, score, rank, top-N output, cohort) through the public API only,
 * reports rows/s and peak RSS, and checksums the top-N ranking so that
 * `--verify` fails loudly when a faster build gives different answers
 * (after SQLite's speedtest1 --verify). `--vectors K` also times scoring K
 * perturbed weight vectors from the one matrix against scoring one. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <harmrank.h>

/* ---- options ----------------------------------------------------------- */

typedef struct bench_opts {
  const char *offences;   /* required */
  const char *weights;    /* required */
  harm_date as_of;        /* default HARM_DATE_NONE = latest date */
  uint32_t lookback_days; /* default 365 */
  unsigned threads;       /* default 0 = all cores */
  size_t top;             /* default 20 */
  size_t vectors;         /* default 0 = do not time harm_score_many */
  const char *verify;     /* expected checksum (16 hex digits) or NULL */
  size_t repeat;          /* default 1 */
} bench_opts;

static void usage(FILE *f) {
  fputs("usage: harmrank-bench --offences FILE --weights FILE [--as-of "
        "YYYY-MM-DD]\n"
        "                      [--lookback-days N] [--threads N] [--top N]\n"
        "                      [--vectors K] [--verify CHECKSUM] [--repeat "
        "R]\n"
        "Times each stage of CSV -> scores -> top-N through the public API.\n"
        "Stage times are medians over R runs; the checksum is FNV-1a 64 of\n"
        "the top-N lines \"rank,offender_id,harm\" (harm with 4 decimals).\n"
        "--verify X exits 1 when the checksum differs from X.\n"
        "Defaults: --lookback-days 365 --threads 0 (all cores) --top 20 "
        "--repeat 1\n",
        f);
}

static int parse_size(const char *s, size_t *out) {
  char *end;
  if (!s || !*s || *s == '-') {
    return 0;
  }
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) {
    return 0;
  }
  *out = (size_t)v;
  return 1;
}

static int parse_args(int argc, char **argv, bench_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    size_t n = 0;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    }
    if (!v) {
      fprintf(stderr, "harmrank-bench: %s needs a value\n", a);
      return 0;
    }
    if (!strcmp(a, "--offences")) {
      o->offences = v;
    } else if (!strcmp(a, "--weights")) {
      o->weights = v;
    } else if (!strcmp(a, "--as-of")) {
      if (!harm_date_parse(v, strlen(v), HARM_DATE_YMD, &o->as_of)) {
        fprintf(stderr, "harmrank-bench: bad --as-of \"%s\"\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--lookback-days")) {
      if (!parse_size(v, &n) || n > UINT32_MAX) {
        fprintf(stderr, "harmrank-bench: bad --lookback-days \"%s\"\n", v);
        return 0;
      }
      o->lookback_days = (uint32_t)n;
    } else if (!strcmp(a, "--threads")) {
      if (!parse_size(v, &n) || n > 1024) {
        fprintf(stderr, "harmrank-bench: bad --threads \"%s\"\n", v);
        return 0;
      }
      o->threads = (unsigned)n;
    } else if (!strcmp(a, "--top")) {
      if (!parse_size(v, &o->top) || o->top == 0) {
        fprintf(stderr, "harmrank-bench: bad --top \"%s\"\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--vectors")) {
      if (!parse_size(v, &o->vectors) || o->vectors == 0 ||
          o->vectors > 100000) {
        fprintf(stderr, "harmrank-bench: bad --vectors \"%s\"\n", v);
        return 0;
      }
    } else if (!strcmp(a, "--verify")) {
      o->verify = v;
    } else if (!strcmp(a, "--repeat")) {
      if (!parse_size(v, &o->repeat) || o->repeat == 0 || o->repeat > 1000) {
        fprintf(stderr, "harmrank-bench: bad --repeat \"%s\"\n", v);
        return 0;
      }
    } else {
      fprintf(stderr, "harmrank-bench: unknown option \"%s\"\n", a);
      return 0;
    }
    i++;
  }
  if (!o->offences || !o->weights) {
    fputs("harmrank-bench: --offences and --weights are required\n", stderr);
    return 0;
  }
  return 1;
}

/* ---- clock, memory, checksum ------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set of this process so far, KiB (Linux reports KiB). */
static long peak_rss_kib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) {
    return -1;
  }
  return ru.ru_maxrss;
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3u;
  }
  return h;
}

/* FNV-1a 64 over "rank,offender_id,harm\n" lines of the top n, harm printed
 * with 4 decimals as scores.csv prints it. */
static uint64_t ranking_checksum(const harm_ranking *r, const harm_dataset *ds,
                                 size_t top) {
  uint64_t h = 0xcbf29ce484222325u;
  size_t n = harm_ranking_count(r);
  if (top < n) {
    n = top;
  }
  for (size_t k = 1; k <= n; k++) {
    const harm_score *s = harm_ranking_at(r, k);
    char line[512];
    int len = snprintf(line, sizeof line, "%zu,%s,%.4f\n", k,
                       harm_dataset_subject_id(ds, s->subject, NULL), s->harm);
    if (len > 0) {
      h = fnv1a(h, line,
                (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    }
  }
  return h;
}

/* ---- stages -------------------------------------------------------------- */

enum {
  ST_WEIGHTS,
  ST_INGEST,
  ST_MATRIX,
  ST_SCORE,
  ST_RANK,
  ST_OUTPUT,
  ST_COHORT,
  ST_TOTAL,
  N_STAGES
};

static const char *const stage_names[N_STAGES] = {"weights", "ingest", "matrix",
                                                  "score",   "rank",   "output",
                                                  "cohort",  "total"};

/* What one run measured and found. */
typedef struct run_result {
  double t[N_STAGES];
  uint64_t checksum;
  harm_accounting acct;
  size_t n_subjects, n_scored, n_codes, nnz, cohort_size;
  harm_date as_of;
  double t_many1, t_manyk; /* harm_score_many with 1 and K vectors */
  double t_vector;         /* harm_score_vector (one table -> vector) */
  long rss_job_kib;        /* peak RSS after the job, before --vectors
                              allocates its K x subjects output */
} run_result;

static int fail(const char *what, const harm_error *err) {
  fprintf(stderr, "harmrank-bench: %s: %s: %s%s%s\n", what,
          harm_status_name(err->status), err->file, err->file[0] ? ": " : "",
          err->message);
  return 0;
}

/* splitmix64, for seeded weight perturbations. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Times harm_score_many over one vector and over K perturbed vectors (each
 * weight scaled by a seeded factor in [0.8, 1.2]). */
static int time_vectors(const bench_opts *o, const harm_matrix *m,
                        const harm_weights *w, run_result *res) {
  harm_error err = HARM_ERROR_INIT;
  size_t nc = harm_matrix_n_codes(m), ns = harm_matrix_n_subjects(m);
  size_t k = o->vectors;
  double *vec = malloc((nc ? nc : 1) * k * sizeof *vec);
  double *out = malloc((ns ? ns : 1) * k * sizeof *out);
  if (!vec || !out) {
    free(vec);
    free(out);
    fputs("harmrank-bench: out of memory for --vectors\n", stderr);
    return 0;
  }
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  double t0 = now_s();
  if (harm_score_vector(m, w, &so, vec, &err) != HARM_OK) {
    free(vec);
    free(out);
    return fail("score_vector", &err);
  }
  res->t_vector = now_s() - t0;
  uint64_t seed = 20261123u;
  for (size_t v = 1; v < k; v++) {
    for (size_t j = 0; j < nc; j++) {
      double u = (double)(splitmix(&seed) >> 11) * 0x1.0p-53;
      vec[v * nc + j] = vec[j] * (0.8 + 0.4 * u);
    }
  }
  t0 = now_s();
  if (harm_score_many(m, vec, 1, out, &err) != HARM_OK) {
    free(vec);
    free(out);
    return fail("score_many(1)", &err);
  }
  res->t_many1 = now_s() - t0;
  t0 = now_s();
  if (harm_score_many(m, vec, k, out, &err) != HARM_OK) {
    free(vec);
    free(out);
    return fail("score_many(K)", &err);
  }
  res->t_manyk = now_s() - t0;
  free(vec);
  free(out);
  return 1;
}

/* One end-to-end run: every object is built and freed inside. */
static int run_once(const bench_opts *o, run_result *res) {
  harm_error err = HARM_ERROR_INIT;
  harm_weights *w = NULL;
  harm_dataset *ds = NULL;
  harm_matrix *m = NULL;
  harm_scores *s = NULL;
  harm_ranking *r = NULL;
  harm_cohort *c = NULL;
  FILE *sink = NULL;
  int ok = 0;
  memset(res, 0, sizeof *res);

  double t_start = now_s(), t0 = t_start, t1;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  if (harm_weights_load(o->weights, &wo, &w, &err) != HARM_OK) {
    fail("weights", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_WEIGHTS] = t1 - t0;

  t0 = t1;
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.as_of = o->as_of;
  io.lookback_days = o->lookback_days;
  io.threads = o->threads;
  if (harm_ingest_file(o->offences, &io, &ds, &err) != HARM_OK) {
    fail("ingest", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_INGEST] = t1 - t0;

  t0 = t1;
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  mo.threads = o->threads; /* the aggregate, scores and ranking too */
  if (harm_matrix_build(ds, &mo, &m, &err) != HARM_OK) {
    fail("matrix", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_MATRIX] = t1 - t0;

  t0 = t1;
  harm_score_opts so = HARM_SCORE_OPTS_INIT;
  if (harm_score_compute(m, w, &so, &s, &err) != HARM_OK) {
    fail("score", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_SCORE] = t1 - t0;

  t0 = t1;
  if (harm_rank_compute(s, &r, &err) != HARM_OK) {
    fail("rank", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_RANK] = t1 - t0;

  /* Top-N output: scores.csv rows formatted into a temporary file, as
   * `harmrank score --top N` writes them. */
  t0 = t1;
  sink = tmpfile();
  if (!sink) {
    fputs("harmrank-bench: cannot open a temporary file\n", stderr);
    goto done;
  }
  if (harm_report_scores(sink, r, NULL, NULL, o->top, &err) != HARM_OK ||
      fflush(sink) != 0) {
    fail("output", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_OUTPUT] = t1 - t0;

  t0 = t1;
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  harm_cohort_input in = {.dataset = ds,
                          .scores = s,
                          .ranking = r,
                          .as_of = harm_dataset_as_of(ds)};
  if (harm_cohort_select(&in, &rules, NULL, NULL, NULL, &c, &err) != HARM_OK) {
    fail("cohort", &err);
    goto done;
  }
  t1 = now_s();
  res->t[ST_COHORT] = t1 - t0;
  res->t[ST_TOTAL] = t1 - t_start;

  res->checksum = ranking_checksum(r, ds, o->top);
  res->acct = harm_matrix_accounting(m);
  res->n_subjects = harm_dataset_n_subjects(ds);
  res->n_scored = harm_scores_count(s);
  res->n_codes = harm_matrix_n_codes(m);
  res->nnz = harm_matrix_nnz(m);
  res->cohort_size = harm_cohort_count(c);
  res->as_of = harm_dataset_as_of(ds);
  res->rss_job_kib = peak_rss_kib();
  ok = 1;
  if (o->vectors) {
    ok = time_vectors(o, m, w, res);
  }

done:
  if (sink) {
    fclose(sink);
  }
  harm_cohort_free(c);
  harm_ranking_free(r);
  harm_scores_free(s);
  harm_matrix_free(m);
  harm_dataset_free(ds);
  harm_weights_free(w);
  return ok;
}

/* ---- report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of n values (the lower middle one for even n keeps it a real
 * measurement). Sorts v. */
static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return v[(n - 1) / 2];
}

static double per_s(double rows, double t) { return t > 0 ? rows / t : 0.0; }

int main(int argc, char **argv) {
  bench_opts o = {NULL, NULL, HARM_DATE_NONE, 365, 0, 20, 0, NULL, 1};
  if (!parse_args(argc, argv, &o)) {
    usage(stderr);
    return 2;
  }
  run_result *runs = calloc(o.repeat, sizeof *runs);
  double *col = calloc(o.repeat, sizeof *col);
  if (!runs || !col) {
    fputs("harmrank-bench: out of memory\n", stderr);
    return 4;
  }
  for (size_t i = 0; i < o.repeat; i++) {
    if (!run_once(&o, &runs[i])) {
      free(runs);
      free(col);
      return 3;
    }
    if (runs[i].checksum != runs[0].checksum) {
      fprintf(stderr,
              "harmrank-bench: run %zu gave checksum %016" PRIx64
              ", run 1 gave %016" PRIx64 "\n",
              i + 1, runs[i].checksum, runs[0].checksum);
      free(runs);
      free(col);
      return 1;
    }
  }
  long rss = peak_rss_kib();
  const run_result *r0 = &runs[0];
  double rows = (double)r0->acct.read;
  double med[N_STAGES];
  for (int st = 0; st < N_STAGES; st++) {
    for (size_t i = 0; i < o.repeat; i++) {
      col[i] = runs[i].t[st];
    }
    med[st] = median(col, o.repeat);
  }
  double many1 = 0, manyk = 0, vec1 = 0;
  if (o.vectors) {
    for (size_t i = 0; i < o.repeat; i++) {
      col[i] = runs[i].t_many1;
    }
    many1 = median(col, o.repeat);
    for (size_t i = 0; i < o.repeat; i++) {
      col[i] = runs[i].t_manyk;
    }
    manyk = median(col, o.repeat);
    for (size_t i = 0; i < o.repeat; i++) {
      col[i] = runs[i].t_vector;
    }
    vec1 = median(col, o.repeat);
  }
  char as_of[11];
  harm_date_format_iso(r0->as_of, as_of);

  printf("harmrank-bench %s: %s\n", harm_version(), o.offences);
  printf("threads %u%s, window %s back %" PRIu32 " days, top %zu, %zu run%s "
         "(median)\n",
         o.threads, o.threads ? "" : " (all cores)", as_of, o.lookback_days,
         o.top, o.repeat, o.repeat == 1 ? "" : "s");
  printf("rows read %" PRIu64 ": scored %" PRIu64 ", outside window %" PRIu64
         ", future %" PRIu64 ", filtered %" PRIu64 ", duplicates %" PRIu64
         ", rejected %" PRIu64 "\n",
         r0->acct.read, r0->acct.scored, r0->acct.outside_window,
         r0->acct.future_dated, r0->acct.filtered, r0->acct.duplicates,
         r0->acct.rejected);
  printf("subjects %zu (scored %zu), codes %zu, subject-code pairs %zu, "
         "cohort %zu\n\n",
         r0->n_subjects, r0->n_scored, r0->n_codes, r0->nnz, r0->cohort_size);
  printf("%-10s %12s %8s %16s\n", "stage", "seconds", "share", "input rows/s");
  for (int st = 0; st < N_STAGES; st++) {
    printf("%-10s %12.4f %7.1f%% %16.0f\n", stage_names[st], med[st],
           med[ST_TOTAL] > 0 ? 100.0 * med[st] / med[ST_TOTAL] : 0.0,
           per_s(rows, med[st]));
  }
  if (o.vectors) {
    printf("\nharm_score_vector (table -> vector)  %10.6f s\n", vec1);
    printf("harm_score_many, 1 vector            %10.6f s\n", many1);
    char label[48];
    snprintf(label, sizeof label, "harm_score_many, %zu vectors", o.vectors);
    printf("%-36s %10.6f s  (%.2fx one vector)\n", label, manyk,
           many1 > 0 ? manyk / many1 : 0.0);
    double job1 = med[ST_WEIGHTS] + med[ST_INGEST] + med[ST_MATRIX] + many1;
    double jobk = med[ST_WEIGHTS] + med[ST_INGEST] + med[ST_MATRIX] + manyk;
    printf("job (weights+ingest+matrix+many): 1 vector %.4f s, %zu vectors "
           "%.4f s (%.3fx)\n",
           job1, o.vectors, jobk, job1 > 0 ? jobk / job1 : 0.0);
  }
  printf("\npeak RSS %.1f MiB (job, first run: %.1f MiB)\n",
         (double)rss / 1024.0, (double)r0->rss_job_kib / 1024.0);
  printf("checksum %016" PRIx64 " (top %zu)\n", r0->checksum, o.top);

  printf("RESULT rows=%" PRIu64 " threads=%u repeat=%zu", r0->acct.read,
         o.threads, o.repeat);
  for (int st = 0; st < N_STAGES; st++) {
    printf(" %s_s=%.6f %s_rows_per_s=%.0f", stage_names[st], med[st],
           stage_names[st], per_s(rows, med[st]));
  }
  printf(" subjects=%zu scored=%zu nnz=%zu peak_rss_kib=%ld job_rss_kib=%ld",
         r0->n_subjects, r0->n_scored, r0->nnz, rss, r0->rss_job_kib);
  if (o.vectors) {
    double job1 = med[ST_WEIGHTS] + med[ST_INGEST] + med[ST_MATRIX] + many1;
    double jobk = med[ST_WEIGHTS] + med[ST_INGEST] + med[ST_MATRIX] + manyk;
    printf(" vectors=%zu many1_s=%.6f manyk_s=%.6f many_ratio=%.3f "
           "job_ratio=%.4f",
           o.vectors, many1, manyk, many1 > 0 ? manyk / many1 : 0.0,
           job1 > 0 ? jobk / job1 : 0.0);
  }
  printf(" checksum=%016" PRIx64 "\n", r0->checksum);

  int rc = 0;
  if (o.verify) {
    char mine[17];
    snprintf(mine, sizeof mine, "%016" PRIx64, r0->checksum);
    if (strcmp(mine, o.verify) != 0) {
      fprintf(stderr,
              "harmrank-bench: VERIFY FAILED: checksum %s, expected %s\n", mine,
              o.verify);
      rc = 1;
    } else {
      fprintf(stderr, "harmrank-bench: verify ok (%s)\n", mine);
    }
  }
  free(runs);
  free(col);
  return rc;
}
