/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/ingest.c: the public entry points of offences ingest
 * (harm_ingest_file, harm_ingest_buffer) and the dataset's accessors. A
 * run sets up a loader (loader.h), lets a row source (source.h) feed it
 * every record, and finishes: settles the window, builds the
 * dictionaries and runs the checks that stop a wrong list. */
#include <string.h>

#include "ingest/loader.h"
#include "ingest/source.h"

size_t harm__ingest_max_kept = (size_t)UINT32_MAX - 1;
size_t harm__ingest_direct_max = (size_t)1 << 22;

harm_status harm__ingest_too_many(loader *ld, size_t line, const char *column,
                                  const char *what) {
  return harm__fail(ld->err, HARM_ERR_LIMIT, "ingest", ld->name, line, column,
                    "more than %u distinct %s in the rows kept: harmrank "
                    "holds at most %u (check that the column is the right "
                    "one)",
                    HARM__REC_MAX_INDEX, what, HARM__REC_MAX_INDEX);
}

static harm_status finish(loader *ld) {
  harm_dataset *ds = ld->ds;
  if (!ld->have_header) {
    return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, 0, NULL,
                      "empty file: no header row");
  }
  /* Person ids are pseudonymised: offender ids, and victim ids when they
   * are the subjects of people in either role (victims_as_subjects); an
   * area is not a person. Any other subject column (a remapped id) could hold
   * people and would reach the outputs raw, so it is refused. */
  bool person_subject = ld->col[COL_SUBJECT] == ld->col[COL_OFFENDER] ||
                        (ld->opts->victims_as_subjects &&
                         ld->col[COL_SUBJECT] == ld->col[COL_VICTIM]);
  if (ld->opts->pseudonym_key && !person_subject &&
      ld->col[COL_SUBJECT] != ld->col[COL_AREA]) {
    return harm__fail(ld->err, HARM_ERR_USAGE, "ingest", ld->name, 1,
                      harm__ingest_role_name(ld, COL_SUBJECT),
                      "only offender ids are pseudonymised: cannot group by "
                      "another column in a pseudonymised run");
  }
  if (ld->deferred) {
    ds->as_of = ld->runmax;
    int64_t start = harm__ingest_window_start(ds->as_of, ds->lookback_days);
    harm__ingest_compact(ds, start);
    for (size_t k = 0; k < ld->n_parts; k++) {
      harm_dataset *part = ld->parts[k];
      uint64_t before = part->acct.outside_window;
      harm__ingest_compact(part, start);
      ds->acct.outside_window += part->acct.outside_window - before;
    }
    /* Filtered rows of the previous period are outside the window. */
    int64_t fstart = harm__ingest_window_start(
        ds->as_of, ds->lookback_days - ds->previous_days);
    for (size_t i = 0; i < ld->hist_len; i++) {
      if (ld->hist[i]) {
        int64_t d = (int64_t)ld->hist_base + (int64_t)i;
        if (d < fstart) {
          ds->acct.outside_window += ld->hist[i];
        } else {
          ds->acct.filtered += ld->hist[i];
        }
      }
    }
  }
  harm_status cst = harm__ingest_check_finish(ld);
  if (cst != HARM_OK) {
    return cst;
  }
  /* The subjects dictionary is sorted from one entry per kept row, each
   * numbered in 32 bits. */
  size_t kept = ds->n_recs;
  for (size_t k = 0; k < ld->n_parts; k++) {
    kept += ld->parts[k]->n_recs;
  }
  if (kept > harm__ingest_max_kept) {
    return harm__fail(ld->err, HARM_ERR_LIMIT, "ingest", ld->name, 0, NULL,
                      "%zu rows inside the window: at most %zu can be scored "
                      "in one run (shorten lookback_days or split the file "
                      "by area)",
                      kept, harm__ingest_max_kept);
  }
  const harm_ingest_opts *o = ld->opts;
  bool in_parts = o->records_in_parts && !o->keep_offence_ids;
  const char *over = NULL;
  if (!harm__ingest_renumber(ds, ld->parts, ld->n_parts, o->threads, in_parts,
                             &over)) {
    if (over) {
      return harm__ingest_too_many(ld, 0, NULL, over);
    }
    return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                      "out of memory building dictionaries");
  }
  /* Each distinct id once, in the one dictionary; pseudonyms come in hash
   * order, so it is sorted again. */
  if (ld->opts->pseudonym_key && person_subject) {
    harm_status st = harm__ingest_pseudonymise(ld, ds);
    if (st != HARM_OK) {
      return st;
    }
    if (!harm__ingest_sort_subjects(ds)) {
      return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                        "out of memory building dictionaries");
    }
  }
  if (!harm__ingest_split_previous(ds)) {
    return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                      "out of memory building dictionaries");
  }
  ds->acct.kept = ds->n_recs;
  return HARM_OK;
}

void harm__ingest_loader_free(loader *ld) {
  for (size_t k = 0; k < ld->n_parts; k++) {
    harm_dataset_free(ld->parts[k]);
  }
  harm__free(ld->parts);
  ld->parts = NULL;
  ld->n_parts = 0;
  harm__buf_free(&ld->rej_buf);
  harm__free(ld->hist);
  ld->hist = NULL;
  harm__free(ld->date_cache);
  ld->date_cache = NULL;
  harm__free(ld->code_cache);
  harm__free(ld->area_cache);
  ld->code_cache = ld->area_cache = NULL;
  harm__ingest_check_free(ld);
  if (ld->borrowed_header) {
    return;
  }
  if (ld->names) {
    for (size_t i = 0; i < ld->n_cols; i++) {
      harm__free(ld->names[i]);
    }
  }
  harm__free(ld->names);
  harm__free(ld->filters);
}

/* The input's hash, taken beside the parallel read. */
typedef struct hash_side {
  const harm__row_source *src;
  const csv_bytes *bytes;
  harm_input_hash hash;
  harm_status st;
} hash_side;

static int hash_side_main(void *arg) {
  hash_side *h = arg;
  h->st = h->src->hash_bytes(h->bytes, &h->hash);
  return 0;
}

/* Feeds the loader every record of src: in parallel chunks when the
 * source can be split and is large enough (the input's hash, when asked
 * for, read at the same time on a thread of its own), else by the
 * source's own sequential read. */
static harm_status read_source(loader *ld, const harm__row_source *src) {
  csv_bytes bytes;
  if (src->open_bytes && src->open_bytes(src, &bytes)) {
    bool done;
    bool hashing = ld->opts->hash_input && src->hash_bytes;
    hash_side hs = {.src = src, .bytes = &bytes};
    harm_status st = harm__ingest_parallel(
        ld, &bytes, &done, hashing ? hash_side_main : NULL, &hs);
    /* A file that changed (a read that ended early, say) is reported as
     * such before any failure of the hash it caused. */
    if (done && st == HARM_OK && hashing && src->unchanged &&
        !src->unchanged(&bytes)) {
      st = harm__fail(ld->err, HARM_ERR_IO, "ingest", ld->name, 0, NULL,
                      "the file changed while it was being read; run again "
                      "on a copy that is not being written");
    } else if (done && st == HARM_OK && hashing && hs.st != HARM_OK) {
      st = harm__fail(ld->err, hs.st, "ingest", ld->name, 0, NULL,
                      hs.st == HARM_ERR_NOMEM
                          ? "out of memory hashing the input"
                          : "cannot read the input again to hash it");
    } else if (done && st == HARM_OK && hashing) {
      ld->ds->hash = hs.hash;
    }
    if (src->close_bytes) {
      src->close_bytes(&bytes);
    }
    if (done || st != HARM_OK) {
      return st;
    }
  }
  return src->read(src, ld);
}

static harm_status run(const char *name, const harm_ingest_opts *opts,
                       const harm__row_source *src, harm_dataset **out,
                       harm_error *err) {
  *out = NULL;
  harm_ingest_opts defaults = HARM_INGEST_OPTS_INIT;
  if (!opts) {
    opts = &defaults;
  }
  if (!name) {
    return harm__fail(err, HARM_ERR_USAGE, "ingest", NULL, 0, NULL,
                      "no input name");
  }
  if (opts->n_filters && !opts->filters) {
    return harm__fail(err, HARM_ERR_USAGE, "ingest", name, 0, NULL,
                      "n_filters set without filters");
  }
  loader ld;
  memset(&ld, 0, sizeof ld);
  ld.opts = opts;
  ld.name = name;
  ld.err = err;
  ld.runmax = HARM_DATE_NONE;
  ld.deferred = opts->as_of == HARM_DATE_NONE;
  ld.compact_at = (size_t)1 << 20;
  harm_dataset *ds = harm__calloc(1, sizeof *ds);
  ld.filters = harm__calloc(opts->n_filters + 1, sizeof *ld.filters);
  if (ds) {
    ds->source = harm__strdup(name);
  }
  if (!ds || !ds->source || !ld.filters) {
    harm_dataset_free(ds);
    harm__ingest_loader_free(&ld);
    return harm__fail(err, HARM_ERR_NOMEM, "ingest", name, 0, NULL,
                      "out of memory");
  }
  ds->as_of = opts->as_of;
  ds->lookback_days = opts->lookback_days;
  /* places: the previous period is read as part of a longer window and
   * moved out of it at the end (harm__ingest_split_previous). */
  if (opts->lookback_days && opts->previous_days &&
      opts->previous_days <= UINT32_MAX - opts->lookback_days) {
    ds->previous_days = opts->previous_days;
    ds->lookback_days += opts->previous_days;
  }
  ds->subjects_rows = true;
  ds->subjects_split = true;
  ld.ds = ds;
  harm_status st = read_source(&ld, src);
  ds = ld.ds; /* the parallel reader hands back a merged dataset */
  if (st == HARM_OK) {
    st = finish(&ld);
  }
  harm__ingest_loader_free(&ld);
  if (st != HARM_OK) {
    if (st == HARM_ERR_NOMEM && (!err || err->status != HARM_ERR_NOMEM)) {
      harm__fail(err, HARM_ERR_NOMEM, "ingest", name, 0, NULL, "out of memory");
    }
    harm_dataset_free(ds);
    return st;
  }
  *out = ds;
  return HARM_OK;
}

harm_status harm_ingest_file(const char *path, const harm_ingest_opts *opts,
                             harm_dataset **out, harm_error *err) {
  harm__row_source src;
  harm__ingest_csv_file(path, &src);
  return run(path, opts, &src, out, err);
}

harm_status harm_ingest_buffer(const char *name, const void *data, size_t len,
                               const harm_ingest_opts *opts, harm_dataset **out,
                               harm_error *err) {
  if (!data && len) {
    *out = NULL;
    return harm__fail(err, HARM_ERR_USAGE, "ingest", name, 0, NULL,
                      "NULL data");
  }
  harm__row_source src;
  harm__ingest_csv_buffer(data ? data : "", len, &src);
  return run(name, opts, &src, out, err);
}

void harm_dataset_free(harm_dataset *ds) {
  if (!ds) {
    return;
  }
  harm__free(ds->source);
  harm__spares_free(&ds->spares);
  harm__strpool_free(&ds->subjects);
  harm__free(ds->subject_hi);
  harm__strpool_free(&ds->codes);
  harm__strpool_free(&ds->areas);
  harm__strpool_free(&ds->oids);
  harm__free(ds->oid);
  harm__free(ds->recs);
  harm__ds_free_segs(ds);
  harm__strpool_free(&ds->places);
  harm__strpool_free(&ds->place_types);
  harm__strpool_free(&ds->prev_codes);
  harm__free(ds->pref);
  harm__free(ds->prev);
  harm__free(ds->prev_pref);
  harm__free(ds);
}

harm_accounting harm_dataset_accounting(const harm_dataset *ds) {
  return ds->acct;
}
harm_date harm_dataset_as_of(const harm_dataset *ds) { return ds->as_of; }
uint32_t harm_dataset_lookback_days(const harm_dataset *ds) {
  return ds->lookback_days;
}
size_t harm_dataset_n_subjects(const harm_dataset *ds) {
  return ds->subjects.n;
}
const char *harm_dataset_subject_id(const harm_dataset *ds, size_t i,
                                    size_t *len) {
  return harm__strpool_get(&ds->subjects, (uint32_t)i, len);
}
bool harm_dataset_find_subject(const harm_dataset *ds, const char *id,
                               size_t *index) {
  uint32_t i = harm__strpool_find(&ds->subjects, id, strlen(id));
  if (i == HARM__STRPOOL_FAIL) {
    return false;
  }
  *index = i;
  return true;
}
size_t harm_dataset_n_codes(const harm_dataset *ds) { return ds->codes.n; }
const char *harm_dataset_code(const harm_dataset *ds, size_t i) {
  return harm__strpool_get(&ds->codes, (uint32_t)i, NULL);
}
size_t harm_dataset_n_areas(const harm_dataset *ds) { return ds->areas.n; }
bool harm_dataset_has_places(const harm_dataset *ds) { return ds->has_place; }
const char *harm_dataset_area(const harm_dataset *ds, size_t i) {
  return harm__strpool_get(&ds->areas, (uint32_t)i, NULL);
}
const char *harm_dataset_source(const harm_dataset *ds) { return ds->source; }
const harm_input_hash *harm_dataset_input_hash(const harm_dataset *ds) {
  return &ds->hash;
}
