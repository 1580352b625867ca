/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/run.h: a whole run in the library. The run loads the
 * weights tables, checks them against the configuration, reads the
 * offences, settles the window once, builds the aggregate, scores and
 * ranks it under every table, and checks that the tables weigh the data;
 * it owns every stage's output. The command line, the bench and the
 * tests all run the pipeline through it. */
#ifndef HARMRANK_RUN_H
#define HARMRANK_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cohort.h"
#include "config.h"
#include "ingest.h"
#include "people.h"
#include "rank.h"
#include "score.h"
#include "status.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The window every stage uses: offences with as_of - lookback_days < date
 * <= as_of count (lookback_days 0 = no lower bound). */
typedef struct harm_window {
  harm_date as_of;        /* HARM_DATE_NONE when no row was valid */
  uint32_t lookback_days; /* days */
} harm_window;

/* Most weights tables one run scores (compare takes up to this many). */
#define HARM_RUN_MAX_TABLES 16

/* What the run reads beyond its configuration; use HARM_RUN_OPTS_INIT. */
typedef struct harm_run_opts {
  const char *offences;               /* path, or "-" for standard input;
                                         default NULL = [input] offences */
  const char *const *weights;         /* weights tables (the first is the run's
                                         own); default NULL = [weights] file */
  size_t n_weights;                   /* 0 to HARM_RUN_MAX_TABLES; default 0 */
  const unsigned char *pseudonym_key; /* replace offender ids by keyed
                                  pseudonyms; default NULL. Borrowed. */
  size_t pseudonym_key_len; /* at least 16 bytes when a key is given */
  harm_reject_fn on_reject; /* each rejected row; default NULL */
  void *reject_ctx;         /* passed to on_reject */
  bool keep_offence_ids;    /* for explain; default false */
  bool hash_input;          /* SHA-256 the offences as read (for a
                               manifest); default false */
  bool keep_records;        /* keep the dataset's records after the
                               aggregate is built; default false: freed (a
                               third of the peak memory) unless explain,
                               places or people in either role need them */
  harm_date today;          /* the run's date for the as_of check;
                               default HARM_DATE_NONE = not checked */
  void (*on_stage)(void *ctx, const char *stage); /* progress: called with
                                  "aggregating", "scoring and ranking";
                                  default NULL */
  void *stage_ctx;                                /* passed to on_stage */
  bool read_places;       /* read the [columns] place and place_type
                             roles into each record (harm_places_new);
                             default false */
  bool place_optional;    /* with read_places, for top_places only:
                             harm_ingest_opts.place_optional; default
                             false */
  uint32_t previous_days; /* also keep the rows of this many days before
                             the window, aside, for places' previous
                             period (harm_ingest_opts.previous_days);
                             nothing else in the run sees them; default
                             0 */
  size_t rank_top;        /* rank only each table's first rank_top
                             subjects (harm_rank_compute_top), for a
                             caller that lists only the top of the
                             ranking; default 0 = rank every subject.
                             Comparisons, and harm_run_select under the
                             harm model, need whole rankings and refuse
                             the run's then (model = rfgv ranks by its
                             own key, always whole) */
} harm_run_opts;

#define HARM_RUN_OPTS_INIT                                                     \
  {                                                                            \
    .offences = NULL, .weights = NULL, .n_weights = 0, .pseudonym_key = NULL,  \
    .pseudonym_key_len = 0, .on_reject = NULL, .reject_ctx = NULL,             \
    .keep_offence_ids = false, .hash_input = false, .keep_records = false,     \
    .today = HARM_DATE_NONE, .on_stage = NULL, .stage_ctx = NULL,              \
    .read_places = false, .place_optional = false, .previous_days = 0,         \
    .rank_top = 0                                                              \
  }

/* Something a person should hear about a run that still succeeded. */
typedef enum harm_warning_kind {
  HARM_WARN_ESTIMATES = 0,     /* a table holds estimated weights */
  HARM_WARN_UNKNOWN_SHARE = 1, /* many offences have a code the table
                                  lacks (HARM_COVERAGE_WARN_SHARE) */
  HARM_WARN_UNKNOWN_CODES = 2, /* codes the table lacks, with counts */
  HARM_WARN_REJECTED = 3       /* rows were rejected */
} harm_warning_kind;

typedef struct harm_warning {
  harm_warning_kind kind;
  size_t table;     /* which weights table (0 for data warnings) */
  const char *text; /* one plain sentence (data such as codes and file
                       names may appear in it: escape it for a
                       terminal); owned by the run */
} harm_warning;

typedef struct harm_run harm_run;

/* Runs the pipeline under `cfg` (harm_config_ingest_opts, _matrix_opts,
 * _score_opts, _weights_opts). A failing check stops the run with the
 * stage's status: HARM_ERR_USAGE (no offences or weights named),
 * HARM_ERR_CONFIG (a category naming no category of the table), the
 * weights' and ingest's statuses, HARM_ERR_DATA (a table that weighs none
 * of the data's codes, or a people file with a bad row, a same_as cycle
 * or two dates of birth for one person), HARM_ERR_LIMIT, HARM_ERR_NOMEM.
 * In people mode the offences are read twice (offender column, then
 * victim column as the subject, in the first pass's window).
 * Ownership: *out is new (harm_run_free); it copies what it needs of cfg
 * and opts (the key and callbacks are used only during the call).
 * Determinism: everything it computes is identical at any thread count. */
harm_status harm_run_new(const harm_config *cfg, const harm_run_opts *opts,
                         harm_run **out, harm_error *err);

/* Frees the run and everything it owns; NULL is a no-op. */
void harm_run_free(harm_run *r);

/* The run's stages, owned by the run (valid until harm_run_free). */
harm_window harm_run_window(const harm_run *r);
harm_accounting harm_run_accounting(const harm_run *r);
const harm_dataset *harm_run_dataset(const harm_run *r);
const harm_matrix *harm_run_matrix(const harm_run *r);
size_t harm_run_n_tables(const harm_run *r);
const harm_weights *harm_run_weights(const harm_run *r, size_t table);
const harm_scores *harm_run_scores(const harm_run *r, size_t table);
const harm_ranking *harm_run_ranking(const harm_run *r, size_t table);
/* The ranking of the run's score model: under [cohort] model = rfgv, the
 * first table's subjects by RFGV total, then the harm order; otherwise
 * harm_run_ranking(r, 0). */
const harm_ranking *harm_run_model_ranking(const harm_run *r);

/* Under model = rfgv, every subject's RFGV (per score index of table 0);
 * else NULL. */
const harm_rfgv *harm_run_rfgv(const harm_run *r);

/* The score options the run used (for explain and sweeps). */
harm_score_opts harm_run_score_opts(const harm_run *r);

/* People in either role, when the configuration asks for them
 * (harm_config_people_mode): the people table (NULL otherwise), and the
 * victim scoring it joined and the offences it read (the victim column as
 * the subject; NULL when roles = offender). The offender scoring is
 * harm_run_scores(r, 0). With people, harm_run_select selects from the people.
 * Borrowed. */
const harm_people *harm_run_people(const harm_run *r);
const harm_scores *harm_run_victim_scores(const harm_run *r);
const harm_dataset *harm_run_victim_dataset(const harm_run *r);

/* Warnings, in the order they arose. */
size_t harm_run_n_warnings(const harm_run *r);
const harm_warning *harm_run_warning(const harm_run *r, size_t i);

/* Selects the cohort of the run's first table (harm_cohort_select with
 * the run's window, model ranking and RFGV; rules->rfgv must match the
 * configuration the run was made with, else HARM_ERR_USAGE). The run owns the
 * cohort; a second call replaces it. Returns harm_cohort_select's statuses. */
harm_status harm_run_select(harm_run *r, const harm_cohort_rules *rules,
                            const harm_list *referrals,
                            const harm_list *exclusions,
                            const harm_list *previous, const harm_cohort **out,
                            harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_RUN_H */
