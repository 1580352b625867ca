/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/subjects.h: a dataset of subjects alone (no offence
 * records), for subjects that are made from other datasets' subjects,
 * such as people in either role (engine/people). Not installed. */
#ifndef HARMRANK_INGEST_SUBJECTS_H
#define HARMRANK_INGEST_SUBJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include "harmrank/ingest.h"

/* Builds a dataset whose subjects are ids[0..n) (distinct, in ascending
 * bytewise order, so subject i is ids[i]) and whose areas are
 * areas[0..n_areas) (distinct, ascending; has_area says whether the
 * source had an area column). It holds no records; as_of, lookback and
 * accounting are those given. Returns HARM_OK or HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_dataset_free); the strings are copied. */
harm_status harm__dataset_of_subjects(const char *source,
                                      const char *const *ids, size_t n,
                                      const char *const *areas, size_t n_areas,
                                      bool has_area, harm_date as_of,
                                      uint32_t lookback_days,
                                      harm_accounting acct, harm_dataset **out);

#endif /* HARMRANK_INGEST_SUBJECTS_H */
