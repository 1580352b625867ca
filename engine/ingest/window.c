/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/window.c: the window of dates a run keeps, while it is
 * still moving. With as_of = latest (deferred) the window ends at the
 * latest date read so far: records that fall out of it are compacted
 * away, rows that failed a filter are counted by date in a histogram to
 * be classified at the end, and parallel chunks share the latest date. */
#include <stdatomic.h>
#include <string.h>

#include "ingest/loader.h"

bool harm__ingest_hist_add(loader *ld, harm_date d) {
  if (!ld->hist) {
    ld->hist_len = 1024;
    ld->hist = harm__calloc(ld->hist_len, sizeof *ld->hist);
    if (!ld->hist) {
      return false;
    }
    ld->hist_base = d - 512;
  }
  int64_t off = (int64_t)d - ld->hist_base;
  if (off < 0 || off >= (int64_t)ld->hist_len) {
    int64_t lo = off < 0 ? off : 0;
    int64_t hi = off >= (int64_t)ld->hist_len ? off + 1 : (int64_t)ld->hist_len;
    size_t len = (size_t)(hi - lo) * 2;
    uint64_t *h = harm__calloc(len, sizeof *h);
    if (!h) {
      return false;
    }
    size_t shift = (size_t)(-lo) + (size_t)(hi - lo) / 2;
    memcpy(h + shift, ld->hist, ld->hist_len * sizeof *h);
    harm__free(ld->hist);
    ld->hist = h;
    ld->hist_len = len;
    ld->hist_base -= (harm_date)shift;
    off = (int64_t)d - ld->hist_base;
  }
  ld->hist[off]++;
  return true;
}

/* Drops records that fell out of the window as the latest date moved,
 * counting them in ds's accounting. */
void harm__ingest_compact(harm_dataset *ds, int64_t start) {
  /* No record is dated before start: nothing moves (most compactions of
   * a file not sorted by date, once the latest date is known). */
  if (ds->n_recs == 0 || ds->min_date >= start) {
    return;
  }
  size_t j = 0;
  harm_date min = 0;
  /* A pool of one subject string per record (in record order) is
   * compacted with the records, so a file sorted by date keeps only the
   * ids of rows still in the window, not of every row read. */
  harm__strpool *sp =
      ds->subjects_rows && !ds->subjects_split ? &ds->subjects : NULL;
  size_t at = SIZE_MAX; /* where the next moved string goes, once moving */
  for (size_t i = 0; i < ds->n_recs; i++) {
    if (ds->recs[i].date >= start) {
      if (ds->oid) {
        ds->oid[j] = ds->oid[i];
      }
      if (ds->pref) {
        ds->pref[j] = ds->pref[i];
      }
      harm__rec r = ds->recs[i];
      if (ds->subjects_split) {
        ds->subject_hi[j] = ds->subject_hi[i]; /* the key moves whole */
      }
      /* Until the first dropped record nothing moves (a row pool's index
       * is the record's position), which is the usual case in a file not
       * sorted by date. */
      if (sp && (i != j || r.subject != j)) {
        if (sp->keyed) {
          sp->offset[j] = sp->offset[r.subject]; /* the id's keys */
          if (sp->key2) {
            sp->key2[j] = sp->key2[r.subject];
          }
        } else {
          if (at == SIZE_MAX) {
            at = (size_t)sp->offset[j];
          }
          size_t len;
          const char *str = harm__strpool_get(sp, r.subject, &len);
          /* Indices only grow along the records: moving down is safe. */
          memmove(sp->bytes + at, str, len + 1);
          sp->offset[j] = at;
          at += len + 1;
        }
        r.subject = (uint32_t)j;
      }
      min = j == 0 || r.date < min ? r.date : min;
      ds->recs[j++] = r;
    } else {
      ds->acct.outside_window++;
    }
  }
  if (sp && !sp->keyed) {
    if (at == SIZE_MAX) {
      at = j < sp->n ? (size_t)sp->offset[j] : sp->bytes_len;
    }
    sp->bytes_len = at;
  }
  if (sp) {
    sp->n = (uint32_t)j;
  }
  ds->n_recs = j;
  ds->min_date = min;
}

/* Raises the shared latest date to d (HARM_DATE_NONE is the smallest). */
void harm__ingest_publish_max(loader *ld, harm_date d) {
  if (!ld->shared_max) {
    return;
  }
  harm_date cur = atomic_load_explicit(ld->shared_max, memory_order_relaxed);
  while (d > cur && !atomic_compare_exchange_weak_explicit(
                        ld->shared_max, &cur, d, memory_order_relaxed,
                        memory_order_relaxed)) {
  }
}

/* places: moves the records dated before the window (the previous period,
 * read as part of a window previous_days longer) out of the records,
 * counts them outside the window, and shrinks the subject and code
 * dictionaries to the window's records, so that no later stage sees the
 * previous period. Their codes keep indexing the full dictionary, kept as
 * prev_codes. Returns false on allocation failure. */
bool harm__ingest_split_previous(harm_dataset *ds) {
  if (!ds->previous_days) {
    return true;
  }
  ds->lookback_days -= ds->previous_days;
  int64_t start = harm__ingest_window_start(ds->as_of, ds->lookback_days);
  size_t n_prev = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    n_prev += ds->recs[i].date < start;
  }
  if (!n_prev) {
    return true;
  }
  ds->prev = harm__malloc(n_prev * sizeof *ds->prev);
  ds->prev_pref =
      ds->pref ? harm__malloc(n_prev * sizeof *ds->prev_pref) : NULL;
  uint32_t *map = harm__malloc(((size_t)ds->codes.n + 1) * sizeof *map);
  bool *used = harm__calloc((size_t)ds->codes.n + 1, sizeof *used);
  if (!ds->prev || (ds->pref && !ds->prev_pref) || !map || !used) {
    harm__free(map);
    harm__free(used);
    return false;
  }
  size_t j = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    harm__rec r = ds->recs[i];
    if (r.date < start) {
      r.subject = 0;
      if (ds->pref) {
        ds->prev_pref[ds->n_prev] = ds->pref[i];
      }
      ds->prev[ds->n_prev++] = r;
      continue;
    }
    used[r.code] = true;
    if (ds->oid) {
      ds->oid[j] = ds->oid[i];
    }
    if (ds->pref) {
      ds->pref[j] = ds->pref[i];
    }
    ds->recs[j++] = r;
  }
  ds->n_recs = j;
  ds->acct.outside_window += n_prev;
  const harm__strpool *pools[1] = {&ds->codes};
  const bool *usedv[1] = {used};
  uint32_t *maps[1] = {map};
  harm__strpool codes;
  memset(&codes, 0, sizeof codes);
  bool ok = harm__strpool_unify(&codes, pools, usedv, maps, 1);
  if (ok) {
    for (size_t i = 0; i < ds->n_recs; i++) {
      ds->recs[i].code = (uint16_t)map[ds->recs[i].code]; /* fewer codes */
    }
    ds->prev_codes = ds->codes;
    ds->codes = codes;
  }
  harm__free(map);
  harm__free(used);
  /* The subjects of the window's records only, renumbered. */
  return ok && harm__ingest_sort_subjects(ds);
}
