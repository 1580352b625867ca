/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/report.h: output files (scores.csv, rejects.csv), all
 * written to a temporary file and renamed into place, with spreadsheet
 * formula neutralisation. */
#ifndef HARMRANK_REPORT_H
#define HARMRANK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "cohort.h"
#include "config.h"
#include "ingest.h"
#include "rank.h"
#include "run.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An output file being written: bytes go to a temporary file beside the
 * target and appear under the target name only on commit. Opaque. */
typedef struct harm_outfile harm_outfile;

/* Opens `path` for atomic writing: a temporary file ".NAME.tmp-PID-XXXXXX"
 * beside the target, renamed over it on commit. Written directly instead,
 * never replaced: "-" and any name for the file standard output already
 * is (/dev/stdout) go to stdout; an existing non-regular file (a device,
 * a FIFO) or a name under /dev/ or /proc/ is opened and written in place
 * (not atomic: the caller chose a stream). A symbolic link to a regular
 * file has its target replaced atomically (the link stays); a link to
 * nothing is refused (HARM_ERR_IO). Before creating its temporary file,
 * open removes this output's own stale temporary files left by a run
 * that no longer exists (killed with SIGKILL): same NAME, a PID that is
 * not running, a regular file owned by this user.
 * `mode` is the permission of the final file (e.g. 0600; the process
 * umask still applies). Returns HARM_OK or HARM_ERR_IO / HARM_ERR_NOMEM.
 * Ownership: *out is new; finish it with harm_outfile_commit or
 * harm_outfile_abort. Every temporary file is in the registry below until
 * it is renamed or removed. */
harm_status harm_outfile_open(const char *path, unsigned mode,
                              harm_outfile **out, harm_error *err);

/* The stream to write to. Borrowed: valid until commit or abort. */
FILE *harm_outfile_stream(harm_outfile *f);

/* Flushes, syncs and renames the temporary file over the target, then
 * frees f. Returns HARM_OK or HARM_ERR_IO (the target is then untouched).
 * NULL is a no-op returning HARM_OK. */
harm_status harm_outfile_commit(harm_outfile *f, harm_error *err);

/* Removes the temporary file and frees f; the target is untouched. NULL
 * is a no-op. */
void harm_outfile_abort(harm_outfile *f);

/* True when a spreadsheet could take the value for a formula: it starts
 * with a tab or CR, or its first byte after any leading spaces, tabs,
 * CRs, line feeds, vertical tabs or form feeds is = + - or @. The one
 * formula guard of every CSV and workbook output. */
bool harm_report_formula_like(const char *s, size_t len);

/* Writes one CSV field, quoted when needed (RFC 4180). When `neutralise`
 * is true and harm_report_formula_like(s) the value is prefixed with a
 * single quote so spreadsheets show it as text. */
void harm_report_csv_field(FILE *fp, const char *s, size_t len,
                           bool neutralise);

/* An extra text column a list writer appends last (e.g. `top_places`):
 * its header and its value for a subject. The writer passes the subject's
 * id and its index in the dataset the list was written from (the run's),
 * or SIZE_MAX when it has none (a referred person with no score), so the
 * column can skip a lookup by id. NULL = none. With `reentrant` true
 * (text only reads ctx and writes buf) a long list may call text from
 * several threads at once; false keeps every call in the caller's
 * thread. */
typedef struct harm_report_column {
  const char *name;
  void (*text)(void *ctx, const char *subject_id, size_t subject, char *buf,
               size_t cap);
  void *ctx;
  bool reentrant;
} harm_report_column;

/* Writes the scores.csv header and the top `top_n` rows (0 = all) of the
 * run's model ranking (harm_run_model_ranking): rank,offender_id,harm,
 * offences,victims,first_offence,last_offence,max_offence_harm,top_code
 * (harm with 4 decimals), and under model = rfgv rfgv_r,rfgv_f,rfgv_g,
 * rfgv_v,rfgv_total; then the `extra` column when given (may be NULL).
 * Ids come from the run's dataset, code names from its aggregate.
 * Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_report_scores(FILE *fp, const harm_run *run,
                               const harm_report_column *extra, size_t top_n,
                               harm_error *err);

/* People mode: scores.csv of the people ranking (harm = the rank_by
 * harm; offences, first and last over both roles; offender_id holds the
 * person id), with four more columns: harm_caused, harm_suffered (4
 * decimals), role (offender, victim, both, same crime) and role_balance
 * (predominantly victim, balanced, predominantly offender; empty unless
 * role is both). Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_report_people_scores(FILE *fp, const harm_people *p,
                                      size_t top_n, harm_error *err);

/* Writes the rejects.csv header (line,column,reason,raw). */
void harm_report_rejects_header(FILE *fp);

/* Writes one rejects.csv row (the raw record verbatim, CSV-quoted). */
void harm_report_reject(FILE *fp, const harm_reject *r);

/* The temporary file's path, for writers that open the file themselves
 * (the XLSX writer); NULL for stdout. Borrowed. */
const char *harm_outfile_temp_path(const harm_outfile *f);

/* True when f writes its destination directly (no temporary file). */
bool harm_outfile_is_direct(const harm_outfile *f);

/* Removes every temporary file of every open harm_outfile in the process
 * (leaving the targets untouched) and returns how many it removed.
 * Async-signal-safe: it calls only unlink(), so a program's signal
 * handler may call it before re-raising the signal (the library installs
 * no handler). The outfiles themselves must still be aborted or the
 * process must end. */
size_t harm_outfile_remove_temps(void);

/* How many temporary files open harm_outfiles hold (for tests). */
size_t harm_outfile_n_temps(void);

/* A subject's score breakdown as text: its codes by harm contributed
 * (harm_score_parts, so they add up to the score), largest first, at most
 * `max_codes` ("19C 3650.0000 (2); 8N 20.0000 (2)", "; ..." when there
 * are more). Written into buf (cap bytes, NUL-terminated, cut with
 * "..."). Returns HARM_OK or HARM_ERR_NOMEM. */
harm_status harm_report_breakdown(const harm_matrix *m, const harm_scores *s,
                                  const harm_score *sc, size_t max_codes,
                                  char *buf, size_t cap, harm_error *err);

/* cohort.csv: slot,offender_id,reason,partition,score_rank,pool_rank,harm,
 * offences,victims,first_offence,last_offence,max_offence_harm,top_code,
 * breakdown,agencies,referral_reason,referred_on,months_served,rfgv_r,
 * rfgv_f,rfgv_g,rfgv_v,rfgv_total; a cohort of people (people mode) adds
 * harm_caused,harm_suffered,role,role_balance,age (empty when unknown).
 * Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_report_cohort(FILE *fp, const harm_cohort *c,
                               const harm_report_column *extra,
                               harm_error *err);

/* movers.csv: status,offender_id,previous_rank,current_rank,detail. */
harm_status harm_report_movers(FILE *fp, const harm_cohort *c, harm_error *err);

/* notes.csv: note,offender_id,score_rank,partition,detail (excluded
 * people who would have qualified, referrals not used, ties at the cut). */
harm_status harm_report_notes(FILE *fp, const harm_cohort *c, harm_error *err);

/* The reason a member is on the cohort, as text ("core rank 3",
 * "referral: Probation", ...). Written into buf. */
void harm_report_member_reason(const harm_member *m, char *buf, size_t cap);

/* Names of the kinds, as written in outputs. */
const char *harm_report_move_name(harm_move_kind k);
const char *harm_report_note_name(harm_note_kind k);

/* One input file of a run, for the manifest. */
typedef struct harm_manifest_input {
  const char *role; /* "offences", "weights", "aliases", "referrals", ... */
  const char *path; /* "-" = standard input */
  const harm_input_hash *hash; /* SHA-256 of the bytes the reader consumed
                                  (harm_dataset_input_hash, ...); NULL or
                                  "" = hash the file at `path` now (used
                                  for outputs; "-" is then not hashed) */
} harm_manifest_input;

/* What a manifest records. Any pointer but command may be NULL. */
typedef struct harm_manifest {
  const char *command;
  const harm_manifest_input *inputs;
  size_t n_inputs;
  const harm_config *config;
  const harm_weights *weights;
  const harm_run *run; /* the run the outputs came from: its window (settled
                          once, harm_run_window) and row accounting */
  const harm_scores *scores;
  const harm_cohort *cohort;
  const harm_manifest_input *outputs; /* role = output name, path = the
                                         file to hash (e.g. its temporary
                                         path before the rename) */
  size_t n_outputs;
  bool pseudonymised;        /* offender ids were replaced by keyed pseudonyms
                                (the key itself is never recorded) */
  const harm_people *people; /* people mode: roles, rank_by and merges are
                                recorded; may be NULL */
  const char *const *args;   /* the command's positional arguments (history's
                                run folders and ids), for `verify`; may be
                                NULL */
  size_t n_args;
} harm_manifest;

/* Writes manifest.json: version, command, the working folder (relative
 * paths in it are relative to that folder) and positional arguments,
 * inputs with SHA-256 and size,
 * the configuration as applied, the weights' source and how many are
 * estimates, as_of and window, row accounting, unknown codes and cohort
 * counts. Returns HARM_OK, HARM_ERR_IO (an input cannot be hashed) or
 * HARM_ERR_NOMEM. */
harm_status harm_report_manifest(FILE *fp, const harm_manifest *m,
                                 harm_error *err);

/* An output set: the files one run writes into a folder, finished
 * together. Members are written to temporary files (harm_outfile); on
 * commit each is hashed, manifest.json is written recording the hashes,
 * and the members are renamed into place with the manifest last, so a set
 * whose manifest is new is complete. Opaque. */
typedef struct harm_outset harm_outset;

/* A new, empty set writing into folder `dir` (which must exist) with file
 * permissions `mode`. Returns HARM_OK or HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_outset_free). */
harm_status harm_outset_new(const char *dir, unsigned mode, harm_outset **out,
                            harm_error *err);

/* Opens member `name` (dir/name, as a temporary file); *f is owned by the
 * set. Returns harm_outfile_open's statuses, or HARM_ERR_USAGE beyond 32
 * members. */
harm_status harm_outset_add(harm_outset *s, const char *name, harm_outfile **f,
                            harm_error *err);

/* Makes an outfile opened elsewhere (the rejects file) member `name`,
 * taking ownership of it; f NULL adds nothing. */
harm_status harm_outset_adopt(harm_outset *s, const char *name, harm_outfile *f,
                              harm_error *err);

/* Finishes the set: checks every member was written, records their
 * SHA-256 in the manifest `m` (its outputs; NULL = a set without a
 * manifest), writes manifest.json, and renames every member into place,
 * the manifest last. On any failure the members not yet renamed are
 * removed. Returns HARM_OK, HARM_ERR_IO or HARM_ERR_NOMEM. */
harm_status harm_outset_commit(harm_outset *s, harm_manifest *m,
                               harm_error *err);

/* Members so far (after a commit, the manifest included), and the name of
 * member i. */
size_t harm_outset_count(const harm_outset *s);
const char *harm_outset_name(const harm_outset *s, size_t i);

/* Frees the set, removing the temporary files of members not committed;
 * NULL is a no-op. */
void harm_outset_free(harm_outset *s);

/* SHA-256 of a file as 64 lowercase hex digits plus NUL. Returns HARM_OK
 * or HARM_ERR_IO. */
harm_status harm_report_sha256_file(const char *path, char hex[65],
                                    uint64_t *bytes, harm_error *err);

/* Writes the meeting pack workbook to `path` (use the temporary path of a
 * harm_outfile for atomic writing): sheets Cohort (with a chart of harm
 * by member), Movers, Breakdown, Not selected, Run details. Returns
 * HARM_OK or HARM_ERR_IO. */
harm_status harm_report_xlsx(const char *path, const harm_manifest *m,
                             harm_error *err);

/* ---- Analysis outputs (compare, concentration, sweep) ---------------- */

/* What an analysis command computed, for its CSVs and analysis.xlsx. Any
 * part may be empty; everything is borrowed. */
typedef struct harm_analysis_pack {
  const char *command;            /* "compare", "concentration", "sweep" */
  const harm_manifest *manifest;  /* run details; may be NULL */
  const char *const *group_names; /* concentration groups: "all", areas */
  const harm_analysis_concentration *const *groups;
  size_t n_groups;
  const char *const *labels_a; /* weightings compared, per comparison */
  const char *const *labels_b;
  const harm_analysis_comparison *const *comparisons;
  size_t n_comparisons;
  const harm_analysis_sweep *sweep; /* may be NULL */
  const harm_dataset *dataset;      /* the subjects the tables name (their
                                       ids and areas); required */
} harm_analysis_pack;

/* The analysis CSV tables. */
typedef enum harm_analysis_table {
  HARM_TABLE_CONCENTRATION = 0, /* concentration.csv: group,subjects,
                                   total_harm,gini */
  HARM_TABLE_POWER_FEW = 1,     /* power_few.csv: group,measure,subjects,
                                   subject_share,harm_share */
  HARM_TABLE_LORENZ = 2,        /* lorenz.csv: group,percentile,
                                   subject_share,harm_share */
  HARM_TABLE_DECILES = 3,       /* deciles.csv: group,decile,harm,
                                   harm_share (decile 1 = most harmful) */
  HARM_TABLE_COMPARE = 4,       /* compare.csv: weights_a,weights_b,
                                   subjects,spearman,kendall_tau_b,k,
                                   common,jaccard */
  HARM_TABLE_COMPARE_TOPK = 5,  /* compare_topk.csv: weights_a,weights_b,
                                   status,offender_id,rank_a,rank_b,
                                   rank_change,harm_a,harm_b */
  HARM_TABLE_SWEEP = 6          /* sweep.csv: offender_id,draws_in,draws,
                                   share,wilson_low,wilson_high,base_rank,
                                   base_core,partition */
} harm_analysis_table;

/* The file name of a table ("lorenz.csv"). */
const char *harm_report_analysis_table_name(harm_analysis_table t);

/* Writes one table of p (header included; ids neutralised as in every
 * CSV output). Returns HARM_OK, HARM_ERR_USAGE (unknown table) or
 * HARM_ERR_IO. */
harm_status harm_report_analysis_csv(FILE *fp, const harm_analysis_pack *p,
                                     harm_analysis_table t, harm_error *err);

/* Writes analysis.xlsx to `path` (use a harm_outfile's temporary path):
 * per concentration group a Lorenz sheet with a scatter chart and a
 * deciles sheet with a column chart, the power-few table, comparison
 * sheets, the sweep with a bar chart of membership probability, and run
 * details. Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_report_analysis_xlsx(const char *path,
                                      const harm_analysis_pack *p,
                                      harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_REPORT_H */
