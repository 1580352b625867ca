/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/score.h: the window aggregate (a sparse subjects x codes
 * matrix built once from a dataset) and harm scores computed from it for
 * any number of weight tables. */
#ifndef HARMRANK_SCORE_H
#define HARMRANK_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "status.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a crime's harm is attributed when several offenders share it. */
typedef enum harm_attribution {
  HARM_ATTR_FULL = 0, /* each offender carries the crime's full harm */
  HARM_ATTR_SPLIT = 1 /* harm divided equally among its distinct offenders */
} harm_attribution;

/* Per-offence transform applied to the (capped) weight. */
typedef enum harm_transform {
  HARM_TRANSFORM_NONE = 0,
  HARM_TRANSFORM_SQRT = 1, /* sqrt(days) */
  HARM_TRANSFORM_LOG1P = 2 /* ln(1 + days) */
} harm_transform;

/* Aggregation options; use HARM_MATRIX_OPTS_INIT. */
typedef struct harm_matrix_opts {
  const harm_weights *weights;   /* for aliases and proactive flags;
                                    NULL = no aliases, nothing proactive */
  bool exclude_proactive;        /* default true: proactive codes are
                                    left out (counted as filtered) */
  const char *const *categories; /* keep only codes whose weight category
                                    is one of these (ASCII case-insensitive);
                                    default NULL = all */
  size_t n_categories;           /* default 0 */
  double half_life_days;         /* > 0: each offence weighs
                                    0.5^(age/half_life); default 0 = off */
  harm_attribution attribution;  /* default HARM_ATTR_FULL */
  unsigned threads;              /* worker threads; 0 = all cores. The
                                    matrix is identical at any count. */
} harm_matrix_opts;

#define HARM_MATRIX_OPTS_INIT                                                  \
  {                                                                            \
    .weights = NULL, .exclude_proactive = true, .categories = NULL,            \
    .n_categories = 0, .half_life_days = 0.0, .attribution = HARM_ATTR_FULL,   \
    .threads = 0                                                               \
  }

/* The aggregate. Opaque. */
typedef struct harm_matrix harm_matrix;

/* Builds the aggregate: deduplicates kept records on (offence_id, subject,
 * canonical code), drops proactive and category-filtered codes, and sums
 * per subject and code the offence factors (1, times decay, times 1/k
 * under split attribution), recording the largest single factor too.
 * Returns HARM_OK; HARM_ERR_CONFIG (bad opts); HARM_ERR_NOMEM;
 * HARM_ERR_USAGE when ds's records were released or are held in parts
 * (records_in_parts: only harm_matrix_build_release reads those).
 * Ownership: *out is new (harm_matrix_free). It borrows ds, which must
 * outlive it, and copies what it needs of opts->weights.
 * Determinism: the matrix is built from records sorted on a total key, so
 * it is identical whatever order or thread split the rows arrived in. */
harm_status harm_matrix_build(const harm_dataset *ds,
                              const harm_matrix_opts *opts, harm_matrix **out,
                              harm_error *err);

/* As harm_matrix_build, and frees ds's kept records as soon as the
 * aggregate has copied what it needs of them, for a run that only scores:
 * they are about a third of such a run's peak memory. Everything else in
 * ds (dictionaries, accounting, as_of) stays; afterwards
 * harm_explain_subject and another build on ds return HARM_ERR_USAGE. On
 * failure the records may already be gone. It is the one build that reads
 * a dataset read with harm_ingest_opts.records_in_parts (the records left
 * in the threads' arrays). Same returns as harm_matrix_build, and
 * HARM_ERR_USAGE when ds's records were already released. */
harm_status harm_matrix_build_release(harm_dataset *ds,
                                      const harm_matrix_opts *opts,
                                      harm_matrix **out, harm_error *err);

/* Frees a matrix; NULL is a no-op. */
void harm_matrix_free(harm_matrix *m);

/* The dataset the matrix was built from (borrowed). */
const harm_dataset *harm_matrix_dataset(const harm_matrix *m);

/* Complete row accounting: the dataset's, with filtered, duplicates and
 * scored resolved. read = scored + outside_window + future_dated +
 * filtered + duplicates + rejected. */
harm_accounting harm_matrix_accounting(const harm_matrix *m);

/* Number of subjects (rows) and canonical codes (columns). Subjects keep
 * the dataset's numbering; a subject whose rows were all filtered or
 * deduplicated away has an empty row. */
size_t harm_matrix_n_subjects(const harm_matrix *m);
size_t harm_matrix_n_codes(const harm_matrix *m);

/* Canonical code of column j, in ascending bytewise order. Borrowed. */
const char *harm_matrix_code(const harm_matrix *m, size_t j);

/* Number of scored offences with column j's code. */
uint64_t harm_matrix_code_count(const harm_matrix *m, size_t j);

/* Non-zero entries (distinct subject-code pairs). */
size_t harm_matrix_nnz(const harm_matrix *m);

/* One non-zero entry of the aggregate: a subject's offences with one
 * code. */
typedef struct harm_matrix_entry {
  uint32_t code;     /* matrix column */
  uint32_t offences; /* scored offences with that code */
} harm_matrix_entry;

/* Copies up to `cap` entries of subject i's row (ascending column) into
 * out and returns the row's length (which may exceed cap). */
size_t harm_matrix_row(const harm_matrix *m, size_t i, harm_matrix_entry *out,
                       size_t cap);

/* Subject-level facts that do not depend on weights. */
typedef struct harm_subject_facts {
  uint32_t offences; /* scored offences (after dedupe and filters) */
  uint32_t victims;  /* distinct non-empty victim ids */
  harm_date first;   /* earliest scored offence date */
  harm_date last;    /* latest scored offence date */
  int32_t area;      /* area index of the latest offence (ties: lowest
                        area index), -1 when there is no area column */
} harm_subject_facts;

/* Facts of subject i. */
harm_subject_facts harm_matrix_facts(const harm_matrix *m, size_t i);

/* Harm is summed in fixed point: each offence's harm (base x factor, see
 * harm_score_compute) is rounded to the nearest millionth of a day and the
 * integers are added, so a total never depends on the order or grouping
 * of its offences, and equal offence harms give equal totals: the
 * ranking's tie-break, not rounding, decides between equals. */
#define HARM_UNITS_PER_DAY 1000000

/* Scoring options; use HARM_SCORE_OPTS_INIT. */
typedef struct harm_score_opts {
  double cap;               /* > 0: a single offence's weight is capped
                               here before transform; default 0 = off */
  harm_transform transform; /* default HARM_TRANSFORM_NONE */
  bool strict_codes;        /* an unknown code is HARM_ERR_DATA;
                               default false (scored 0 and listed) */
} harm_score_opts;

#define HARM_SCORE_OPTS_INIT                                                   \
  { .cap = 0.0, .transform = HARM_TRANSFORM_NONE, .strict_codes = false }

/* One subject's score. Its facts (offences, victims, dates, area) are
 * the matrix's, not copied into each score: harm_score_facts. */
typedef struct harm_score {
  uint32_t subject;        /* dataset subject index (a dictionary index:
                              fewer than UINT32_MAX subjects) */
  int32_t top_code;        /* matrix column contributing most harm (ties:
                              lowest column), -1 when harm is 0 */
  int64_t harm_units;      /* total harm in HARM_UNITS_PER_DAY-ths of a day:
                              the exact sum of the offences' units */
  double harm;             /* the same in days (harm_units / 1e6, exact
                              below 2^53 units) */
  double max_offence_harm; /* largest single-offence harm, days */
} harm_score;

/* A code in the data that the weight table lacks. */
typedef struct harm_unknown_code {
  const char *code; /* borrowed from the matrix */
  uint64_t count;   /* scored offences with that code */
} harm_unknown_code;

/* Scores for every subject with at least one scored offence. Opaque. */
typedef struct harm_scores harm_scores;

/* Scores the matrix with one weight table. Each scored offence has harm
 * base x factor, base = transform(min(weight, cap)) of its code and
 * factor = decay / (offenders on the offence id, under split); that harm
 * is rounded to HARM_UNITS_PER_DAY and a subject's harm is the integer sum
 * over its offences. max_offence_harm is the largest offence's harm and
 * top_code the column with the most harm (ties: lowest column; -1 when
 * the total is 0).
 * Codes the table lacks weigh 0 and are listed (harm_scores_unknown).
 * Returns HARM_OK; HARM_ERR_DATA (unknown code with strict_codes, err
 * names the code in column "offence_code"); HARM_ERR_LIMIT (a total
 * beyond 64-bit fixed point); HARM_ERR_CONFIG (bad opts); HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_scores_free); it borrows m, which must
 * outlive it.
 * Determinism: integer sums, so results depend neither on thread count
 * nor on input order. */
harm_status harm_score_compute(const harm_matrix *m, const harm_weights *w,
                               const harm_score_opts *opts, harm_scores **out,
                               harm_error *err);

/* Frees scores; NULL is a no-op. */
void harm_scores_free(harm_scores *s);

/* Number of scored subjects, and entry i (in subject index order). */
size_t harm_scores_count(const harm_scores *s);
const harm_score *harm_scores_at(const harm_scores *s, size_t i);

/* The matrix scored (borrowed). */
const harm_matrix *harm_scores_matrix(const harm_scores *s);
/* The facts of sc's subject: harm_matrix_facts of the matrix s was
 * computed from. sc must come from s (harm_scores_at, a ranking of s, or
 * a copy of one of them); a score of other scores reads another
 * matrix's subject. */
harm_subject_facts harm_score_facts(const harm_scores *s, const harm_score *sc);

/* One code's part of a subject's score. */
typedef struct harm_score_part {
  uint32_t code;      /* matrix column */
  uint32_t offences;  /* scored offences with that code */
  int64_t harm_units; /* their harm; the parts of a score add up to it */
  double harm;        /* the same in days */
} harm_score_part;

/* The parts of score sc, one per code, most harm first (ties: lowest
 * column), computed by the same per-offence rule as the score, so that
 * they add up to sc->harm_units exactly. Returns HARM_OK or
 * HARM_ERR_NOMEM. Ownership: *parts is new (free with free()). */
harm_status harm_score_parts(const harm_scores *s, const harm_score *sc,
                             harm_score_part **parts, size_t *n,
                             harm_error *err);

/* Unknown codes, in ascending code order. *n receives the count. */
const harm_unknown_code *harm_scores_unknown(const harm_scores *s, size_t *n);

/* How much of the scored data a weight table covers. */
typedef struct harm_coverage {
  size_t n_codes;         /* distinct (canonical) codes of scored offences */
  size_t n_unknown_codes; /* of those, codes the table lacks */
  uint64_t n_offences;    /* scored offences */
  uint64_t n_unknown;     /* of those, offences with a code the table
                             lacks (scored 0) */
} harm_coverage;

/* Share of scored offences with unknown codes above which a front end
 * should warn in plain words (README "Checks that stop a wrong list"). */
#define HARM_COVERAGE_WARN_SHARE 0.2

/* Checks that the table weighs the data: fills *out (may be NULL) and
 * returns HARM_ERR_DATA when there are scored offences and none of their
 * codes is in the table (every harm would be 0: typically the official
 * export joined on the wrong key), with a message giving example codes
 * of both. HARM_ERR_USAGE for NULL arguments.
 * Ownership: borrows s and w for the call. */
harm_status harm_score_coverage(const harm_scores *s, const harm_weights *w,
                                harm_coverage *out, harm_error *err);

/* Checks a category filter against the table: HARM_ERR_CONFIG (column
 * "categories") naming the first value that is no category of w (ASCII
 * case-insensitive), with the categories the table has (up to 20);
 * HARM_OK when every value names one; HARM_ERR_USAGE for NULL w. */
harm_status harm_score_check_categories(const harm_weights *w,
                                        const char *const *categories,
                                        size_t n_categories, harm_error *err);

/* Scores many weight vectors at once: out[k * n_subjects + i] = harm of
 * subject i under weight vector k, where vectors[k * n_codes + j] is the
 * per-offence base harm of matrix column j; by the same per-offence rule
 * and fixed-point sum as harm_score_compute, so a vector made by
 * harm_score_vector gives exactly harm_score_compute's harms. One pass
 * over the matrix.
 * Returns HARM_OK, HARM_ERR_USAGE (NULL arguments), HARM_ERR_LIMIT
 * (overflow) or HARM_ERR_NOMEM. */
harm_status harm_score_many(const harm_matrix *m, const double *vectors,
                            size_t n_vectors, double *out, harm_error *err);

/* Fills vec[j] (n_codes entries) with the per-offence harm of column j
 * under table w and opts (0 for unknown codes). */
harm_status harm_score_vector(const harm_matrix *m, const harm_weights *w,
                              const harm_score_opts *opts, double *vec,
                              harm_error *err);

/* What happened to one offence of a subject, for `explain`. */
typedef enum harm_offence_status {
  HARM_OFFENCE_SCORED = 0,    /* counted in the score */
  HARM_OFFENCE_DUPLICATE = 1, /* same (offence_id, subject, code) again */
  HARM_OFFENCE_PROACTIVE = 2, /* proactive code, left out */
  HARM_OFFENCE_FILTERED = 3   /* code outside the category filter */
} harm_offence_status;

/* One in-window offence of a subject and how it was scored. */
typedef struct harm_offence_line {
  const char *offence_id; /* text when ingested with keep_offence_ids,
                             else "" */
  const char *code;       /* as recorded */
  const char *canonical;  /* after the alias table */
  harm_date date;
  bool known;          /* the weight table has the code */
  double weight;       /* table days (0 when unknown) */
  double offence_harm; /* transform(min(weight, cap)) */
  double decay;        /* 0.5^(age/half-life), 1 when off */
  double split;        /* 1/k under split attribution, else 1 */
  int64_t harm_units;  /* offence_harm x decay / k in fixed point (the
                          kernel's rounding); 0 unless scored. The scored
                          lines add up to the score's harm_units. */
  double harm;         /* harm_units in days */
  double share;        /* harm / the subject's total (0 when 0) */
  harm_offence_status status;
} harm_offence_line;

/* Lists every in-window offence of dataset subject `subject` (as kept by
 * ingest), in date order, with its weight, cap/transform, decay, split and
 * share, and why it was left out (duplicate, proactive, category), by the
 * aggregate's own rules and the per-offence kernel: the scored lines'
 * harm_units add up to the subject's score. `so` must be the options the
 * scores were computed with.
 * Returns HARM_OK, HARM_ERR_USAGE (bad subject) or HARM_ERR_NOMEM.
 * Ownership: *lines is a new array (free with harm_offence_lines_free);
 * its strings are borrowed from the dataset and the weights. */
harm_status harm_explain_subject(const harm_scores *s, const harm_weights *w,
                                 const harm_score_opts *so, size_t subject,
                                 harm_offence_line **lines, size_t *n,
                                 harm_error *err);

/* What happened to one row of a person in the offences file. */
typedef enum harm_trace_fate {
  HARM_TRACE_COUNTED = 0,        /* in the window and past every filter */
  HARM_TRACE_OUTSIDE_WINDOW = 1, /* on or before as_of - lookback_days */
  HARM_TRACE_FUTURE = 2,         /* after as_of */
  HARM_TRACE_FILTERED = 3        /* removed by the filter on `filter` */
} harm_trace_fate;

/* One row of a person, whatever its date. */
typedef struct harm_trace_row {
  harm_date date;
  const char *code;       /* as recorded */
  const char *offence_id; /* as recorded */
  harm_trace_fate fate;
  const char *filter; /* the filter's column (borrowed from the
                         options), "" unless filtered */
  char *text_;        /* internal: the strings above; row 0 only */
} harm_trace_row;

/* Every row of `id` in the offences file at `path` (rejected rows aside),
 * with what left it out of the window (as_of, lookback_days) or which of
 * io's filters removed it, decided by re-reading the file with the
 * reader's own rules (without the window; then with each filter alone).
 * *n is 0 when no row has the id. `io` is the run's ingest options (same
 * columns, date format, key and grouping).
 * Returns HARM_OK or the reader's statuses.
 * Ownership: *rows is new (harm_trace_rows_free); `filter` points into
 * io's filters. */
harm_status harm_explain_trace(const char *path, const harm_ingest_opts *io,
                               harm_date as_of, uint32_t lookback_days,
                               const char *id, harm_trace_row **rows, size_t *n,
                               harm_error *err);

/* Frees an array from harm_explain_trace; NULL is a no-op. */
void harm_trace_rows_free(harm_trace_row *rows);

/* Frees an array from harm_explain_subject; NULL is a no-op. */
void harm_offence_lines_free(harm_offence_line *lines);

/* ---- RFGV: a second score model --------------------------------------- */

/* RFGV bands (DESIGN.md §4). These are harmrank's defaults, not an
 * official matrix: forces do not publish theirs. */
typedef struct harm_rfgv_bands {
  double recency_months[5];   /* upper bounds (exclusive) of the R bands,
                                 months since the last offence; default
                                 1,3,6,12,24 */
  double recency_points[6];   /* points per band, last = beyond; default
                                 5,4,3,2,1,0 */
  uint32_t frequency_min[5];  /* least offences for each F band; default
                                 1,2,3,5,8 */
  double frequency_points[5]; /* default 1,2,3,4,5 */
  uint32_t victims_min[3];    /* least distinct victims per V band;
                                 default 1,2,3 */
  double victims_points[3];   /* default 1,3,5 */
  double gravity_points[5];   /* G points by harm quintile of the scored
                                 population, lowest first; default 1..5 */
  double weight_r, weight_f, weight_g, weight_v; /* default 1 each */
} harm_rfgv_bands;

#define HARM_RFGV_BANDS_INIT                                                   \
  {                                                                            \
    .recency_months = {1, 3, 6, 12, 24}, .recency_points = {5, 4, 3, 2, 1, 0}, \
    .frequency_min = {1, 2, 3, 5, 8}, .frequency_points = {1, 2, 3, 4, 5},     \
    .victims_min = {1, 2, 3}, .victims_points = {1, 3, 5},                     \
    .gravity_points = {1, 2, 3, 4, 5}, .weight_r = 1, .weight_f = 1,           \
    .weight_g = 1, .weight_v = 1                                               \
  }

/* One subject's RFGV components and total. */
typedef struct harm_rfgv {
  double r, f, g, v; /* points before component weights */
  double total;      /* weight_r*r + weight_f*f + weight_g*g + weight_v*v */
} harm_rfgv;

/* RFGV of one scored subject (sc, its facts f: harm_score_facts) given
 * the population's harm quintile cut points `cuts[4]` (see
 * harm_rfgv_cuts) and the window end. */
harm_rfgv harm_rfgv_of(const harm_score *sc, harm_subject_facts f,
                       const harm_rfgv_bands *b, const double cuts[4],
                       harm_date as_of);

/* Harm quintile cut points (20/40/60/80%) of the scored population, by
 * GSL's quantile of the sorted harms. Returns HARM_OK or HARM_ERR_NOMEM. */
harm_status harm_rfgv_cuts(const harm_scores *s, double cuts[4],
                           harm_error *err);

/* Every scored subject's RFGV (out[i] for score index i) under bands `b`
 * and the window's end `as_of`, with gravity from the harm quintiles of
 * all of them (harm_rfgv_cuts). Returns HARM_OK or HARM_ERR_NOMEM.
 * Ownership: *out is a new array (free with free()). */
harm_status harm_rfgv_compute(const harm_scores *s, const harm_rfgv_bands *b,
                              harm_date as_of, harm_rfgv **out,
                              harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_SCORE_H */
