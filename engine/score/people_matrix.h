/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/people_matrix.h: aggregates of people in either role,
 * made from the rows of other aggregates (the offender and the victim
 * scorings), and the scored crimes of each subject. The matrix layout is
 * the score module's, so they are built here. Not installed. */
#ifndef HARMRANK_SCORE_PEOPLE_MATRIX_H
#define HARMRANK_SCORE_PEOPLE_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "harmrank/score.h"

/* Row `subject` of aggregate m counts toward person `person`. */
typedef struct harm__people_row {
  const harm_matrix *m;
  size_t subject;
  size_t person;
} harm__people_row;

/* Builds an aggregate whose subjects are the n_people subjects of
 * people_ds: person p's row holds, per code, the offences and factor runs
 * (decay, split) of every source row mapped to p, as those aggregates
 * made them, so scoring it adds exactly the units the sources' scores
 * add. facts[p] are the person's facts (copied). Window, options and
 * accounting are those of `like`. Returns HARM_OK or HARM_ERR_NOMEM, or
 * HARM_ERR_LIMIT with *over naming what there are too many of: offences
 * of one person (more than 2^32 - 1), or offence codes across the
 * sources (more than HARM__REC_MAX_INDEX: a column is 16 bits).
 * Ownership: *out is new (harm_matrix_free); it borrows people_ds. */
harm_status harm__matrix_people(const harm_dataset *people_ds, size_t n_people,
                                const harm__people_row *rows, size_t n_rows,
                                const harm_subject_facts *facts,
                                const harm_matrix *like, harm_matrix **out,
                                const char **over);

/* The distinct crimes (offence id hashes) each subject of m was scored
 * for, by the aggregate's own code map and dedupe: *subject and *offence
 * receive n pairs sorted by subject, then offence. Returns HARM_OK or
 * HARM_ERR_NOMEM. Ownership: both arrays are new (harm__free). */
harm_status harm__matrix_crimes(const harm_matrix *m, uint32_t **subject,
                                uint64_t **offence, size_t *n);

#endif /* HARMRANK_SCORE_PEOPLE_MATRIX_H */
