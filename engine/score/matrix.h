/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/matrix.h: the aggregate's layout (compressed sparse rows),
 * shared by scoring and later stages. Not installed. */
#ifndef HARMRANK_SCORE_MATRIX_H
#define HARMRANK_SCORE_MATRIX_H

#include "core/strpool.h"
#include "harmrank/score.h"

struct harm_matrix {
  const harm_dataset *ds; /* borrowed */
  harm_accounting acct;
  harm__strpool codes;  /* canonical codes, bytewise order */
  uint64_t *code_count; /* scored offences per column */
  size_t n_subjects;
  size_t *row;   /* n_subjects + 1 offsets into the entries */
  uint32_t *col; /* column of each entry, ascending per row */
  double *sum;   /* sum of offence factors (decay x split) */
  double *maxf;  /* largest single offence factor */
  uint32_t *cnt; /* offences behind each entry */
  size_t nnz;
  harm_subject_facts *facts;
  unsigned threads; /* from harm_matrix_opts, for harm_score_many */
};

/* Per-offence harm of a table weight: transform(min(days, cap)). */
double harm__score_transform(double days, const harm_score_opts *o);

#endif /* HARMRANK_SCORE_MATRIX_H */
