/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/oversight.h: evidence and oversight over past runs.
 * Reads a run's manifest.json back (verify), rebuilds the pool a past
 * cohort was selected from and measures harm before and after selection
 * against the near-miss group (evaluate), follows people across monthly
 * runs (history), counts selection by group from a file never used in
 * scoring (monitor), and writes a transparency record (transparency).
 * Everything that scores re-runs the library's pipeline (harm_run) with
 * the recorded configuration: no scoring rule is repeated here. */
#ifndef HARMRANK_OVERSIGHT_H
#define HARMRANK_OVERSIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "ingest.h"
#include "status.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- A past run's manifest -------------------------------------------- */

/* One file a manifest lists: an input (role "offences", "weights",
 * "aliases", "referrals", "exclusions", "previous", "config", ...) or an
 * output (role = its file name). */
typedef struct harm_oversight_file {
  const char *role;
  const char *path;     /* as recorded ("" for outputs) */
  const char *resolved; /* path made absolute against the recorded working
                           folder (as recorded when it was absolute or no
                           folder was recorded; for outputs: the file in
                           the manifest's folder) */
  char sha256[65];      /* "" when not recorded (standard input) */
  uint64_t bytes;
} harm_oversight_file;

typedef struct harm_oversight_manifest harm_oversight_manifest;

/* Reads manifest.json at `path`. Returns HARM_OK; HARM_ERR_IO (cannot
 * read); HARM_ERR_DATA (not JSON, or not a harmrank manifest: no command
 * or inputs); HARM_ERR_NOMEM. Ownership: *out is new
 * (harm_oversight_manifest_free). */
harm_status harm_oversight_manifest_load(const char *path,
                                         harm_oversight_manifest **out,
                                         harm_error *err);

/* Frees a manifest; NULL is a no-op. */
void harm_oversight_manifest_free(harm_oversight_manifest *m);

/* What the manifest records. Strings are borrowed from m. */
const char *harm_oversight_manifest_command(const harm_oversight_manifest *m);
const char *harm_oversight_manifest_version(const harm_oversight_manifest *m);
const char *harm_oversight_manifest_cwd(const harm_oversight_manifest *m);
/* The folder manifest.json is in (where its outputs are). */
const char *harm_oversight_manifest_dir(const harm_oversight_manifest *m);
bool harm_oversight_manifest_pseudonymised(const harm_oversight_manifest *m);
/* The window the run used (as_of HARM_DATE_NONE when not recorded). */
harm_date harm_oversight_manifest_as_of(const harm_oversight_manifest *m);
uint32_t harm_oversight_manifest_lookback(const harm_oversight_manifest *m);
size_t harm_oversight_manifest_n_inputs(const harm_oversight_manifest *m);
const harm_oversight_file *
harm_oversight_manifest_input(const harm_oversight_manifest *m, size_t i);
/* The first input with this role, or NULL. */
const harm_oversight_file *
harm_oversight_manifest_find_input(const harm_oversight_manifest *m,
                                   const char *role);
size_t harm_oversight_manifest_n_outputs(const harm_oversight_manifest *m);
const harm_oversight_file *
harm_oversight_manifest_output(const harm_oversight_manifest *m, size_t i);
size_t harm_oversight_manifest_n_args(const harm_oversight_manifest *m);
const char *harm_oversight_manifest_arg(const harm_oversight_manifest *m,
                                        size_t i);
/* The recorded configuration, key by key, in the order recorded. */
size_t harm_oversight_manifest_n_keys(const harm_oversight_manifest *m);
bool harm_oversight_manifest_key(const harm_oversight_manifest *m, size_t i,
                                 const char **section, const char **key,
                                 const char **value);

/* A configuration holding every recorded key (file names made absolute
 * against the recorded working folder). Returns HARM_OK, HARM_ERR_CONFIG
 * (a recorded key this version does not know or a value it refuses),
 * HARM_ERR_NOMEM. Ownership: *out is new (harm_config_free). */
harm_status harm_oversight_manifest_config(const harm_oversight_manifest *m,
                                           harm_config **out, harm_error *err);

/* How a file compares with the hash recorded for it. */
typedef enum harm_oversight_check {
  HARM_CHECK_SAME = 0,      /* same SHA-256 */
  HARM_CHECK_CHANGED = 1,   /* the bytes differ */
  HARM_CHECK_MISSING = 2,   /* the file cannot be opened */
  HARM_CHECK_NOT_HASHED = 3 /* nothing recorded (standard input) */
} harm_oversight_check;

/* Hashes the file at `path` and compares it with `sha256` (64 hex digits;
 * "" = not hashed). `actual` (may be NULL) receives the file's hash or "".
 * Never fails: an unreadable file is HARM_CHECK_MISSING. */
harm_oversight_check harm_oversight_check_file(const char *path,
                                               const char *sha256,
                                               char actual[65]);

/* ---- evaluate --------------------------------------------------------- */

/* What to evaluate; use HARM_EVALUATE_OPTS_INIT. */
typedef struct harm_evaluate_opts {
  const char *const *runs; /* past output folders (each with manifest.json
                              and cohort.csv); at least one */
  size_t n_runs;
  const char *offences;    /* today's offences file (extends past every
                              run's as_of); required */
  harm_date as_of;         /* end of the after window; default HARM_DATE_NONE
                              = each run's as_of + its lookback_days */
  size_t comparison_first; /* pool ranks of the near-miss group; default
                              0 = size + 1 */
  size_t comparison_last;  /* default 0 = 2 x size */
  uint64_t seed;           /* bootstrap seed (GSL mt19937); default 1 */
  size_t draws;            /* bootstrap resamples; default 2000 */
  const unsigned char *pseudonym_key; /* the key a pseudonymised run used,
                                         or a key to pseudonymise ids in
                                         the outputs; default NULL */
  size_t pseudonym_key_len;
  unsigned threads; /* 0 = all cores */
} harm_evaluate_opts;

#define HARM_EVALUATE_OPTS_INIT                                                \
  {                                                                            \
    .runs = NULL, .n_runs = 0, .offences = NULL, .as_of = HARM_DATE_NONE,      \
    .comparison_first = 0, .comparison_last = 0, .seed = 1, .draws = 2000,     \
    .pseudonym_key = NULL, .pseudonym_key_len = 0, .threads = 0                \
  }

/* One row of evaluate.csv. Harm is the mean per person, in days. */
typedef struct harm_evaluate_group {
  const char *group; /* "cohort", "comparison", "difference-in-differences" */
  size_t people;
  double harm_before; /* for difference-in-differences: cohort minus
                         comparison (the gap between the groups) */
  double harm_after;
  double change;     /* after - before; NAN when the group is empty */
  double change_low; /* bootstrap 95% interval (2.5th and 97.5th
                        percentiles); NAN when not computed */
  double change_high;
} harm_evaluate_group;

/* One row of evaluate_people.csv. */
typedef struct harm_evaluate_person {
  harm_date run_as_of; /* the selection it belongs to */
  const char *person;  /* offender id (a pseudonym under a key) */
  const char *group;   /* "cohort" (a core member) or "comparison" */
  size_t rank;         /* pool rank at selection (for the cohort, as its
                          cohort.csv records it) */
  double harm_before;  /* days */
  double harm_after;
} harm_evaluate_person;

/* One past run as evaluated. */
typedef struct harm_evaluate_run {
  const char *folder;
  harm_date as_of;      /* selection date (the before window's end) */
  uint32_t before_days; /* the run's lookback */
  harm_date after_end;  /* the after window is (as_of, after_end] */
  uint32_t after_days;
  size_t cohort_size; /* [cohort] size of the run */
  size_t comparison_first, comparison_last;
} harm_evaluate_run;

typedef struct harm_evaluation harm_evaluation;

/* Evaluates the runs: for each, reads manifest.json and cohort.csv,
 * rebuilds the pool at selection from the recorded configuration over
 * today's offences (the before window is the run's own), takes the near-
 * miss group from pool ranks comparison_first..last (people on the list
 * are left out of it), measures everyone's harm in the after window by
 * re-running the pipeline there, and pools the runs. Intervals come from
 * a bootstrap that resamples people within each group.
 * Differences from the recorded run (offences, weights or config files
 * whose bytes changed) become notes; the run carries on with the
 * recorded settings.
 * Returns HARM_OK; HARM_ERR_USAGE (no runs or offences; a pseudonymised
 * run without its key); HARM_ERR_IO; HARM_ERR_DATA (a folder without
 * manifest or cohort; the data do not reach the after window's end);
 * HARM_ERR_CONFIG; the pipeline's statuses.
 * Ownership: *out is new (harm_evaluation_free).
 * Determinism: the same inputs and seed give the same numbers at any
 * thread count. */
harm_status harm_evaluate_new(const harm_evaluate_opts *opts,
                              harm_evaluation **out, harm_error *err);

void harm_evaluation_free(harm_evaluation *e);

/* The three rows of evaluate.csv: cohort, comparison,
 * difference-in-differences. */
size_t harm_evaluation_n_groups(const harm_evaluation *e);
const harm_evaluate_group *harm_evaluation_group(const harm_evaluation *e,
                                                 size_t i);
size_t harm_evaluation_n_people(const harm_evaluation *e);
const harm_evaluate_person *harm_evaluation_person(const harm_evaluation *e,
                                                   size_t i);
size_t harm_evaluation_n_runs(const harm_evaluation *e);
const harm_evaluate_run *harm_evaluation_run(const harm_evaluation *e,
                                             size_t i);
/* Plain sentences a reader must see (changed inputs, unequal windows, an
 * empty group). Borrowed. */
size_t harm_evaluation_n_notes(const harm_evaluation *e);
const char *harm_evaluation_note(const harm_evaluation *e, size_t i);
/* The seed and draws used. */
uint64_t harm_evaluation_seed(const harm_evaluation *e);
size_t harm_evaluation_draws(const harm_evaluation *e);

/* evaluate.csv: group,people,harm_before,harm_after,change,change_low,
 * change_high (days, 4 decimals; empty when not defined). */
harm_status harm_evaluate_write_csv(FILE *fp, const harm_evaluation *e,
                                    harm_error *err);

/* evaluate_people.csv: run_as_of,person,group,rank,harm_before,harm_after,
 * change. */
harm_status harm_evaluate_write_people(FILE *fp, const harm_evaluation *e,
                                       harm_error *err);

/* evaluate.xlsx: a Summary sheet with a clustered column chart of mean
 * harm before and after per group, People, and How to read (windows,
 * notes, limits). Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_evaluate_write_xlsx(const char *path, const harm_evaluation *e,
                                     const harm_config *cfg, harm_error *err);

/* ---- history ---------------------------------------------------------- */

/* One row of history.csv. */
typedef struct harm_history_row {
  const char *person;
  harm_date as_of;
  const char *status;     /* "new", "retained", "exited", "not listed" */
  const char *route;      /* "core", "referral", "tenure", "backfill",
                             "referral tenure"; "" when not on the list */
  size_t rank;            /* score rank (0 = none recorded) */
  double harm;            /* days; NAN when not on the list */
  uint32_t months_served; /* as cohort.csv records it; 0 off the list */
} harm_history_row;

typedef struct harm_history harm_history;

/* Reads the output folders (each with manifest.json and cohort.csv;
 * movers.csv gives the rank of people who exited), orders them by as_of
 * and lists, for every person ever on a list (or only `ids` when
 * n_ids > 0), one row per run. A member of the first run is "retained"
 * when its cohort.csv counts more than one month served, else "new".
 * Returns HARM_OK; HARM_ERR_USAGE (no folders); HARM_ERR_IO;
 * HARM_ERR_DATA (a folder without manifest or cohort; two runs with one
 * as_of); HARM_ERR_NOMEM. Ownership: *out is new (harm_history_free). */
harm_status harm_history_new(const char *const *runs, size_t n_runs,
                             const char *const *ids, size_t n_ids,
                             harm_history **out, harm_error *err);

void harm_history_free(harm_history *h);
size_t harm_history_n_rows(const harm_history *h);
const harm_history_row *harm_history_row_at(const harm_history *h, size_t i);
size_t harm_history_n_runs(const harm_history *h);
harm_date harm_history_run_as_of(const harm_history *h, size_t i);
const char *harm_history_run_folder(const harm_history *h, size_t i);
/* Ids asked for that no run lists. */
size_t harm_history_n_unknown(const harm_history *h);
const char *harm_history_unknown(const harm_history *h, size_t i);

/* history.csv: person,as_of,status,route,rank,harm,months_served. */
harm_status harm_history_write_csv(FILE *fp, const harm_history *h,
                                   harm_error *err);

/* history.xlsx: a Months sheet (one row per person, one column per run,
 * each cell the route or blank, months on the list at the end) and the
 * History rows. */
harm_status harm_history_write_xlsx(const char *path, const harm_history *h,
                                    const harm_config *cfg, harm_error *err);

/* ---- monitor ---------------------------------------------------------- */

typedef struct harm_monitor_opts {
  const char *run;       /* a past output folder; required */
  const char *groups;    /* offender_id,<group columns...>; required */
  const char *by;        /* the column of groups to count by; required */
  const char *reference; /* group,count: a reference population; may be
                            NULL */
  const unsigned char *pseudonym_key; /* for a pseudonymised run: raw ids
                                         in groups are mapped with it */
  size_t pseudonym_key_len;
  unsigned threads;
} harm_monitor_opts;

#define HARM_MONITOR_OPTS_INIT                                                 \
  {                                                                            \
    .run = NULL, .groups = NULL, .by = NULL, .reference = NULL,                \
    .pseudonym_key = NULL, .pseudonym_key_len = 0, .threads = 0                \
  }

/* One row of monitor.csv. */
typedef struct harm_monitor_row {
  const char *group; /* a value of the column; "(not recorded)" for
                        people groups.csv does not list */
  size_t scored;     /* people in the pool (or on the list) */
  size_t selected;   /* of those, people on the list */
  double rate;       /* selected / scored; NAN when scored is 0 */
  double ratio;      /* rate / the rate of everyone else; NAN when not
                        defined */
  double ratio_low;  /* 95% Katz log interval; NAN when a count is 0 */
  double ratio_high;
  double reference;       /* the group's count in the reference
                             population; NAN without one */
  double reference_ratio; /* share of the list / share of the reference */
  double reference_low, reference_high;
  const char *note; /* "small numbers" or "" */
} harm_monitor_row;

typedef struct harm_monitoring harm_monitoring;

/* Rebuilds the run's pool (its recorded configuration over its recorded
 * offences file, which must still have the recorded bytes), reads the
 * list from cohort.csv and counts by `by`. groups.csv is read here only:
 * it never reaches scoring. Returns HARM_OK; HARM_ERR_USAGE; HARM_ERR_IO;
 * HARM_ERR_DATA (a changed offences file; a groups file without the
 * column or with an id twice; a bad reference row); the pipeline's
 * statuses. Ownership: *out is new (harm_monitoring_free). */
harm_status harm_monitor_new(const harm_monitor_opts *opts,
                             harm_monitoring **out, harm_error *err);

void harm_monitoring_free(harm_monitoring *m);
size_t harm_monitoring_n_rows(const harm_monitoring *m);
const harm_monitor_row *harm_monitoring_row(const harm_monitoring *m, size_t i);
size_t harm_monitoring_n_notes(const harm_monitoring *m);
const char *harm_monitoring_note(const harm_monitoring *m, size_t i);

/* monitor.csv: group,scored,selected,selection_rate,ratio,ratio_low,
 * ratio_high[,reference,reference_ratio,reference_low,reference_high],
 * note. */
harm_status harm_monitor_write_csv(FILE *fp, const harm_monitoring *m,
                                   harm_error *err);

/* ---- transparency ----------------------------------------------------- */

/* Writes an Algorithmic Transparency Recording Standard-shaped record of
 * the configuration and its weights table as Markdown (`md`) and JSON
 * (`json`); either may be NULL. Fields the force must complete are left
 * empty and marked. Returns HARM_OK, HARM_ERR_IO, HARM_ERR_NOMEM. */
harm_status harm_transparency_write(const harm_config *cfg,
                                    const harm_weights *w, FILE *md, FILE *json,
                                    harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_OVERSIGHT_H */
