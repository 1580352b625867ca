/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/csv_internal.h: CSV cell writers shared by the list
 * writers (csvout.c, cohort_out.c). Not installed. */
#ifndef HARMRANK_REPORT_CSV_INTERNAL_H
#define HARMRANK_REPORT_CSV_INTERNAL_H

#include <stdio.h>

#include "harmrank/people.h"
#include "harmrank/report.h"

/* The people columns of a person (people mode), after a comma. */
void harm__report_person_cols(FILE *fp, const harm_person *p);

/* The extra column's cell for subject `id`, after a comma; nothing when
 * extra is NULL. */
void harm__report_extra_cell(FILE *fp, const harm_report_column *extra,
                             const char *id, size_t subject);

/* scores.csv is written on several threads from harm__report_rows_min
 * rows (16,384), harm__report_rows_batch ranks (65,536) at a time. Tests
 * lower both. */
extern size_t harm__report_rows_min, harm__report_rows_batch;

#endif /* HARMRANK_REPORT_CSV_INTERNAL_H */
