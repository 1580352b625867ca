/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/subjects.c: a dataset of subjects without records (see
 * subjects.h). The layout is the ingest module's (dataset.h), so it is
 * built here and nowhere else. */
#include "ingest/subjects.h"

#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"

harm_status harm__dataset_of_subjects(
    const char *source, const char *const *ids, size_t n,
    const char *const *areas, size_t n_areas, bool has_area, harm_date as_of,
    uint32_t lookback_days, harm_accounting acct, harm_dataset **out) {
  *out = NULL;
  harm_dataset *ds = harm__calloc(1, sizeof *ds);
  if (!ds) {
    return HARM_ERR_NOMEM;
  }
  ds->source = harm__strdup(source ? source : "");
  bool ok = ds->source != NULL && n < UINT32_MAX && n_areas < INT32_MAX;
  for (size_t i = 0; ok && i < n; i++) {
    ok = harm__strpool_intern(&ds->subjects, ids[i], strlen(ids[i]), NULL) ==
         (uint32_t)i;
  }
  for (size_t i = 0; ok && i < n_areas; i++) {
    ok = harm__strpool_intern(&ds->areas, areas[i], strlen(areas[i]), NULL) ==
         (uint32_t)i;
  }
  if (!ok) {
    harm_dataset_free(ds);
    return HARM_ERR_NOMEM;
  }
  ds->has_area = has_area;
  ds->as_of = as_of;
  ds->lookback_days = lookback_days;
  ds->acct = acct;
  *out = ds;
  return HARM_OK;
}
