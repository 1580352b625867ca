/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/matrix.h: the aggregate's layout (compressed sparse rows),
 * shared by scoring and later stages. Not installed. */
#ifndef HARMRANK_SCORE_MATRIX_H
#define HARMRANK_SCORE_MATRIX_H

#include "core/internal.h"
#include "core/strpool.h"
#include "harmrank/score.h"

struct harm_matrix {
  const harm_dataset *ds; /* borrowed */
  harm_accounting acct;
  harm__strpool codes;  /* canonical codes, bytewise order */
  uint64_t *code_count; /* scored offences per column */
  size_t n_subjects;
  uint32_t *row; /* n_subjects + 1 offsets into the entries (fewer than
                    UINT32_MAX entries: one per kept record at most) */
  uint16_t *col; /* column of each entry, ascending per row (columns are
                    some of a dataset's codes, or of two datasets' for
                    people: at most HARM__REC_MAX_INDEX) */
  uint32_t *cnt; /* offences behind each entry */
  size_t nnz;
  /* Offence factors (decay x split) of each entry as runs of equal
   * factors, ascending. When `uniform`, every factor is 1 and there are no
   * run arrays: entry e is cnt[e] offences of factor 1. */
  bool uniform;
  size_t *run_at;  /* nnz: first run of each entry */
  uint32_t *run_n; /* nnz: runs of each entry */
  double *run_f;   /* factor of each run */
  uint32_t *run_c; /* offences of each run */
  /* How records were turned into entries, for explain: per dataset code,
   * its column (UINT32_MAX when left out) and whether it was proactive;
   * the window end and options; under split attribution, the offenders
   * per offence id (sorted by offence hash). */
  uint32_t *code_map;
  bool *code_proactive;
  harm_date as_of;
  double half_life_days;
  harm_attribution attribution;
  uint64_t *split_offence;
  uint32_t *split_k;
  size_t n_split;
  harm_subject_facts *facts;
  unsigned threads; /* from harm_matrix_opts: the threads of the scores
                       and the ranking made from this matrix */
  /* A build that consumed the dataset's records (harm_matrix_build_release)
   * keeps its copy of the records here, pages handed back, instead of
   * freeing it: the scores made next take its address space
   * (harm__matrix_alloc). */
  harm__spares spares;
};

/* Records per bucket that the aggregate's scatter aims at (16,384: a
 * bucket's radix sort then stays in cache), with 256 to 2048 buckets;
 * tests lower it so that small inputs take the most buckets. */
extern size_t harm__agg_bucket_recs;

/* `bytes` bytes (contents undefined) for work on m's scores: from m's
 * spare blocks when one holds them (harm__spares_take), else new memory
 * (harm__malloc; also when m is NULL). The caller owns the result
 * (harm__free). NULL when out of memory. */
void *harm__matrix_alloc(const harm_matrix *m, size_t bytes);

/* Offenders recorded on offence hash `offence` under split attribution
 * (1 when split is off or the offence is unknown). */
uint32_t harm__matrix_offenders(const harm_matrix *m, uint64_t offence);

/* Calls fn(ctx, factor, count) for each run of entry e, ascending. */
typedef void (*harm__run_fn)(void *ctx, double factor, uint32_t count);
void harm__matrix_runs(const harm_matrix *m, size_t e, harm__run_fn fn,
                       void *ctx);

/* Fixed-point harm of entry e under per-offence base harm `base`, and the
 * largest single offence's units in *max_units (may be NULL). False on
 * overflow. */
bool harm__entry_units(const harm_matrix *m, size_t e, double base,
                       int64_t *units, int64_t *max_units);

/* Marks in kept[0..n) which of a subject's records (dataset indices
 * recs[0..n)) the aggregate scored: in a kept code, and the first copy of
 * its (code, offence) in the aggregate's dedupe order. */
harm_status harm__matrix_kept(const harm_matrix *m, size_t subject,
                              const size_t *recs, size_t n, bool *kept);

/* As harm__matrix_kept for every record of the dataset at once:
 * kept[i] for record i (kept has n_recs elements). HARM_OK or
 * HARM_ERR_NOMEM. */
harm_status harm__matrix_kept_all(const harm_matrix *m, bool *kept);

#endif /* HARMRANK_SCORE_MATRIX_H */
