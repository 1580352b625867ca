/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/trace.c: for `explain`, every row of one person in the
 * offences file, whatever its date, with what left it out of the score:
 * the window, or which filter. It reads the file again without the window
 * and without filters, then once per filter with that filter alone, so it
 * decides with the reader's own rules; explain runs on a few ids, where
 * that cost is fine. */
#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "harmrank/score.h"

/* One row of the person: what identifies it across the passes. */
typedef struct trow {
  uint64_t offence;
  const char *code;
  harm_date date;
  const char *oid;
  bool removed; /* by the filter of the current pass */
  const char *fate_filter;
} trow;

/* Ingests the whole file (no window) with the given filters. */
static harm_status pass(const char *path, const harm_ingest_opts *base,
                        const harm_filter *filters, size_t n_filters,
                        harm_dataset **out, harm_error *err) {
  harm_ingest_opts io = *base;
  io.filters = filters;
  io.n_filters = n_filters;
  io.lookback_days = 0;
  harm_date_parse("9999-12-31", 10, HARM_DATE_YMD, &io.as_of);
  io.keep_offence_ids = true;
  io.on_reject = NULL;
  io.reject_ctx = NULL;
  io.strict = false;
  io.max_reject_share = 1.0;
  io.today = HARM_DATE_NONE;
  io.hash_input = false;
  return harm_ingest_file(path, &io, out, err);
}

/* Marks which of rows[0..n) the dataset lacks for subject id. */
static void mark_removed(const harm_dataset *ds, const char *id, trow *rows,
                         size_t n) {
  size_t subject;
  bool found = harm_dataset_find_subject(ds, id, &subject);
  bool *used = NULL;
  size_t n_recs = found ? ds->n_recs : 0;
  if (n_recs) {
    used = harm__calloc(n_recs, sizeof *used);
  }
  for (size_t k = 0; k < n; k++) {
    rows[k].removed = true;
    for (size_t i = 0; used && i < n_recs; i++) {
      const harm__rec *r = &ds->recs[i];
      if (used[i] || r->subject != subject || r->offence != rows[k].offence ||
          r->date != rows[k].date ||
          strcmp(harm__strpool_get(&ds->codes, r->code, NULL), rows[k].code) !=
              0) {
        continue;
      }
      used[i] = true;
      rows[k].removed = false;
      break;
    }
  }
  harm__free(used);
}

harm_status harm_explain_trace(const char *path, const harm_ingest_opts *io,
                               harm_date as_of, uint32_t lookback_days,
                               const char *id, harm_trace_row **out,
                               size_t *n_out, harm_error *err) {
  *out = NULL;
  *n_out = 0;
  harm_dataset *all = NULL;
  harm_status st = pass(path, io, NULL, 0, &all, err);
  if (st != HARM_OK) {
    return st;
  }
  size_t subject;
  if (!harm_dataset_find_subject(all, id, &subject)) {
    harm_dataset_free(all);
    return HARM_OK; /* no row has this id */
  }
  size_t n = 0;
  for (size_t i = 0; i < all->n_recs; i++) {
    n += all->recs[i].subject == subject;
  }
  trow *rows = harm__calloc(n + 1, sizeof *rows);
  harm_trace_row *res = harm__calloc(n + 1, sizeof *res);
  char *text = NULL;
  harm__buf b = {0};
  if (!rows || !res) {
    st = HARM_ERR_NOMEM;
    goto done;
  }
  for (size_t i = 0, k = 0; i < all->n_recs; i++) {
    const harm__rec *r = &all->recs[i];
    if (r->subject == subject) {
      rows[k].offence = r->offence;
      rows[k].code = harm__strpool_get(&all->codes, r->code, NULL);
      rows[k].date = r->date;
      rows[k].oid =
          all->oid ? harm__strpool_get(&all->oids, all->oid[i], NULL) : "";
      k++;
    }
  }
  /* Each filter alone: the rows it removes. */
  for (size_t f = 0; f < io->n_filters; f++) {
    harm_dataset *one = NULL;
    st = pass(path, io, &io->filters[f], 1, &one, err);
    if (st != HARM_OK) {
      goto done;
    }
    mark_removed(one, id, rows, n);
    for (size_t k = 0; k < n; k++) {
      if (rows[k].removed && !rows[k].fate_filter) {
        rows[k].fate_filter = io->filters[f].column;
      }
    }
    harm_dataset_free(one);
  }
  /* Strings owned by the result: codes, offence ids. */
  bool ok = harm__buf_append(&b, "", 0);
  size_t *at = harm__calloc(2 * n + 1, sizeof *at);
  ok = ok && at;
  for (size_t k = 0; k < n && ok; k++) {
    at[2 * k] = b.len;
    ok = harm__buf_append(&b, rows[k].code, strlen(rows[k].code) + 1);
    at[2 * k + 1] = b.len;
    ok = ok && harm__buf_append(&b, rows[k].oid, strlen(rows[k].oid) + 1);
  }
  if (!ok) {
    harm__free(at);
    st = HARM_ERR_NOMEM;
    goto done;
  }
  text = b.data;
  b.data = NULL;
  for (size_t k = 0; k < n; k++) {
    harm_trace_row *t = &res[k];
    t->date = rows[k].date;
    t->code = text + at[2 * k];
    t->offence_id = text + at[2 * k + 1];
    t->filter = "";
    if (rows[k].date > as_of) {
      t->fate = HARM_TRACE_FUTURE;
    } else if (lookback_days &&
               (int64_t)rows[k].date <= (int64_t)as_of - lookback_days) {
      t->fate = HARM_TRACE_OUTSIDE_WINDOW;
    } else if (rows[k].fate_filter) {
      t->fate = HARM_TRACE_FILTERED;
      t->filter = rows[k].fate_filter;
    } else {
      t->fate = HARM_TRACE_COUNTED;
    }
  }
  harm__free(at);
  res[0].text_ = text; /* freed with the array */
  *out = res;
  *n_out = n;
  res = NULL;
done:
  harm__buf_free(&b);
  harm__free(rows);
  harm__free(res);
  harm_dataset_free(all);
  if (st == HARM_ERR_NOMEM) {
    return harm__fail(err, st, "explain", path, 0, NULL, "out of memory");
  }
  return st;
}

void harm_trace_rows_free(harm_trace_row *rows) {
  if (rows) {
    harm__free(rows[0].text_);
    harm__free(rows);
  }
}
