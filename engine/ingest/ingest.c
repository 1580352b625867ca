/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
/* engine/ingest/ingest.c: validates each offences row, classifies it for
 * the row accounting (rejected, future-dated, outside the window, filtered
 * or kept) and keeps the in-window rows as compact records. The date is
 * parsed and the window checked before any hash table is touched, so rows
 * outside the window cost almost nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <threads.h>
#include <unistd.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "ingest/dataset.h"

enum {
  COL_OID,
  COL_SUBJECT,
  COL_CODE,
  COL_DATE,
  COL_OFFENDER,
  COL_VICTIM,
  COL_DOMESTIC,
  COL_AREA,
  COL_PLACE,      /* places: only with opts->read_places */
  COL_PLACE_TYPE, /* places: only with opts->read_places */
  N_ROLES
};

#define ABSENT SIZE_MAX

typedef struct col_filter {
  size_t col;
  bool boolean;    /* compare as yes/no (domestic column) */
  bool want_true;  /* boolean filter accepts true */
  bool want_false; /* boolean filter accepts false */
} col_filter;

/* What the input checks (see "Checks that stop a wrong list" below) need
 * from the rows, gathered per loader and folded into the first loader in
 * file order, so the verdict is the same whatever the thread split. Line
 * numbers are relative to the loader's chunk until folded. */
enum { CHECK_TOP = 16, CHECK_SEEN = 20 };

typedef struct check_seen {
  char *v[CHECK_SEEN]; /* the smallest distinct values (bytewise) */
  size_t n;
} check_seen;

typedef struct checks {
  uint64_t *rej_col;  /* rejects per column; [n_cols] = whole-row faults */
  size_t *rej_line;   /* first line rejected per column, 0 = none */
  uint64_t dmy_dates; /* offence_date rejects that read as DD/MM/YYYY */
  uint64_t n_dated;   /* valid rows seen while as_of is the latest date */
  struct check_top {
    harm_date d;
    uint64_t n;
    size_t line;    /* first line with this date */
  } top[CHECK_TOP]; /* the latest distinct dates, latest first */
  size_t n_top;
  bool *hit; /* per filter value: some valid row matched it */
  size_t n_hit;
  check_seen *seen; /* per filter: values present in its column */
  bool all_hit;     /* every filter value matched: stop looking */
} checks;

typedef struct loader {
  const harm_ingest_opts *opts;
  const char *name;
  harm_error *err;
  harm_dataset *ds;
  bool have_header;
  size_t n_cols;  /* named columns: the header less empty trailing names */
  size_t n_extra; /* empty trailing header names (Excel's "...,area,,"):
                     their cells may be present, and must be empty */
  char **names;   /* header names, trimmed copies */
  size_t col[N_ROLES];
  col_filter *filters;
  bool deferred;    /* as_of is the latest date: decided at the end */
  harm_date runmax; /* latest valid date so far */
  /* Parallel shards, as_of = latest: the latest date any shard has seen,
   * so a shard drops rows that are already outside every later window
   * (the window only moves forward). NULL when reading alone. */
  _Atomic harm_date *shared_max;
  size_t compact_at; /* as_of = latest: compact when this many records */
  /* Deferred mode: rows that failed a filter, counted by date, so they
   * can be classified against the final window at the end. */
  harm_date hist_base;
  uint64_t *hist;
  size_t hist_len;
  harm_status status; /* first failure, stops the reader */
  /* Parallel shards: header fields are borrowed from the first loader,
   * rejects are buffered (see rej_buf) and replayed in file order. */
  bool borrowed_header;
  bool header_only; /* stop the reader right after the header */
  bool buffer_rejects;
  harm__buf rej_buf;
  harm_error local_err;
  size_t rec_hint; /* first record capacity (0 = small) */
  /* Datasets of the later parallel chunks, folded in by finish(). */
  harm_dataset **parts;
  size_t n_parts;
  checks chk; /* owned by each loader, shards included */
} loader;

/* A buffered reject: this header, then reason and raw bytes. */
typedef struct rej_entry {
  size_t line;
  size_t col;
  size_t reason_len;
  size_t raw_len;
  int status;
} rej_entry;

/* Column name for a role; a NULL name in opts means the default. */
static const char *role_name(const loader *ld, int role) {
  const harm_columns *c = &ld->opts->columns;
  const char *name = NULL, *def = NULL;
  switch (role) {
  case COL_OID:
    name = c->offence_id, def = "offence_id";
    break;
  case COL_SUBJECT:
    if (ld->opts->group_by) {
      return ld->opts->group_by;
    }
    name = c->offender_id, def = "offender_id";
    break;
  case COL_CODE:
    name = c->offence_code, def = "offence_code";
    break;
  case COL_DATE:
    name = c->offence_date, def = "offence_date";
    break;
  case COL_OFFENDER:
    name = c->offender_id, def = "offender_id";
    break;
  case COL_VICTIM:
    name = c->victim_id, def = "victim_id";
    break;
  case COL_DOMESTIC:
    name = c->domestic, def = "domestic";
    break;
  case COL_PLACE:
    name = c->place, def = "place";
    break;
  case COL_PLACE_TYPE:
    name = c->place_type, def = "place_type";
    break;
  case COL_AREA:
  default:
    name = c->area, def = "area";
    break;
  }
  return name ? name : def;
}

static size_t find_col(const loader *ld, const char *name) {
  if (!name) {
    return ABSENT;
  }
  for (size_t i = 0; i < ld->n_cols; i++) {
    if (harm__ieq(ld->names[i], strlen(ld->names[i]), name)) {
      return i;
    }
  }
  return ABSENT;
}

/* Copies up to 60 printable bytes of a value for a message. */
static void quote_value(char *buf, size_t cap, const char *s, size_t len) {
  size_t j = 0;
  for (size_t i = 0; i < len && j + 4 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    if (i == 59 && len > 60) {
      buf[j++] = '.';
      buf[j++] = '.';
      buf[j++] = '.';
      break;
    }
  }
  buf[j] = '\0';
}

static bool check_reject(loader *ld, size_t col, size_t line);
static bool check_row(loader *ld, const harm__csv_record *rec, harm_date date);

/* Accounts for one rejected row: counts it, hands it to on_reject, and in
 * strict mode fails the run naming line and column. */
static void reject(loader *ld, const harm__csv_record *rec, size_t col,
                   harm_status strict_status, const char *fmt, ...)
    HARM__PRINTF(5, 6);

#include <stdarg.h>
static void reject(loader *ld, const harm__csv_record *rec, size_t col,
                   harm_status strict_status, const char *fmt, ...) {
  char reason[HARM_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  const char *column = col < ld->n_cols ? ld->names[col] : "";
  ld->ds->acct.rejected++;
  if (!check_reject(ld, col, rec->line)) {
    ld->status = HARM_ERR_NOMEM;
    return;
  }
  if (ld->buffer_rejects) {
    rej_entry e = {rec->line, col < ld->n_cols ? col : ABSENT, strlen(reason),
                   rec->raw_len, (int)strict_status};
    if (!harm__buf_append(&ld->rej_buf, &e, sizeof e) ||
        !harm__buf_append(&ld->rej_buf, reason, e.reason_len) ||
        !harm__buf_append(&ld->rej_buf, rec->raw, rec->raw_len)) {
      ld->status = HARM_ERR_NOMEM;
      return;
    }
    if (ld->opts->strict) {
      ld->status = strict_status;
    }
    return;
  }
  if (ld->opts->on_reject) {
    harm_reject r = {rec->line, rec->raw, rec->raw_len, column, reason};
    if (!ld->opts->on_reject(ld->opts->reject_ctx, &r)) {
      ld->status = harm__fail(ld->err, HARM_ERR_IO, "ingest", ld->name,
                              rec->line, column, "writing rejects failed");
      return;
    }
  }
  if (ld->opts->strict) {
    ld->status = harm__fail(ld->err, strict_status, "ingest", ld->name,
                            rec->line, column, "%s", reason);
  }
}

static bool field_ok_text(const harm__csv_record *rec,
                          const harm__csv_field *f) {
  return rec->no_nul || memchr(f->p, '\0', f->len) == NULL;
}

/* The column a filter names. A filter names a role (the logical column
 * name, e.g. `domestic`), so `[filter] domestic = yes` keeps working when
 * `[columns] domestic = DA_FLAG` maps the role to another header; any
 * other name is a header name. The role wins when both exist. */
static size_t filter_col(const loader *ld, const char *name) {
  static const struct {
    int role;
    const char *name;
  } roles[] = {{COL_OID, "offence_id"},
               {COL_OFFENDER, "offender_id"},
               {COL_CODE, "offence_code"},
               {COL_DATE, "offence_date"},
               {COL_VICTIM, "victim_id"},
               {COL_DOMESTIC, "domestic"},
               {COL_AREA, "area"},
               {COL_PLACE, "place"},
               {COL_PLACE_TYPE, "place_type"}};
  for (size_t k = 0; name && k < sizeof roles / sizeof roles[0]; k++) {
    if (ld->col[roles[k].role] != ABSENT &&
        harm__ieq(name, strlen(name), roles[k].name)) {
      return ld->col[roles[k].role];
    }
  }
  return find_col(ld, name);
}

static harm_status setup_header(loader *ld, const harm__csv_record *rec) {
  if (rec->error) {
    return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                      NULL, "header row: %s", rec->error);
  }
  ld->n_cols = rec->n_fields;
  ld->names = harm__calloc(rec->n_fields, sizeof *ld->names);
  if (!ld->names) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    ld->names[i] = harm__strndup(p, len);
    if (!ld->names[i]) {
      return HARM_ERR_NOMEM;
    }
  }
  /* Spreadsheets save columns that were once touched as empty trailing
   * header cells: they name nothing, so they are not columns. */
  while (ld->n_cols > 0 && ld->names[ld->n_cols - 1][0] == '\0') {
    harm__free(ld->names[--ld->n_cols]);
    ld->names[ld->n_cols] = NULL;
    ld->n_extra++;
  }
  for (size_t i = 0; i < ld->n_cols; i++) {
    for (size_t j = 0; j < i; j++) {
      if (harm__ieq(ld->names[i], strlen(ld->names[i]), ld->names[j])) {
        return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                          ld->names[i],
                          "column appears twice in the header (columns %zu "
                          "and %zu)",
                          j + 1, i + 1);
      }
    }
  }
  for (int role = 0; role < N_ROLES; role++) {
    const char *name = role_name(ld, role);
    ld->col[role] = find_col(ld, name);
    if ((role == COL_PLACE || role == COL_PLACE_TYPE) &&
        !ld->opts->read_places) {
      ld->col[role] = ABSENT; /* places: read only when asked */
    }
    /* People mode: the offender column may go by a second name. */
    if (ld->col[role] == ABSENT && ld->opts->offender_alias &&
        (role == COL_OFFENDER ||
         (role == COL_SUBJECT && !ld->opts->group_by))) {
      ld->col[role] = find_col(ld, ld->opts->offender_alias);
    }
    bool required = role <= COL_OFFENDER;
    if (required && ld->col[role] == ABSENT) {
      return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                        name ? name : "",
                        "required column missing from the "
                        "header");
    }
  }
  ld->ds->has_area = ld->col[COL_AREA] != ABSENT;
  ld->ds->has_place = ld->col[COL_PLACE] != ABSENT;
  ld->ds->has_place_type = ld->col[COL_PLACE_TYPE] != ABSENT;
  for (size_t k = 0; k < ld->opts->n_filters; k++) {
    const harm_filter *f = &ld->opts->filters[k];
    col_filter *cf = &ld->filters[k];
    cf->col = filter_col(ld, f->column);
    if (cf->col == ABSENT) {
      return harm__fail(ld->err, HARM_ERR_CONFIG, "ingest", ld->name, rec->line,
                        f->column ? f->column : "",
                        "filter names a column the header lacks");
    }
    cf->boolean = cf->col == ld->col[COL_DOMESTIC];
    if (cf->boolean) {
      for (size_t v = 0; v < f->n_values; v++) {
        bool b;
        if (!harm__parse_bool(f->values[v], strlen(f->values[v]), &b)) {
          return harm__fail(ld->err, HARM_ERR_CONFIG, "ingest", ld->name, 0,
                            f->column, "filter value \"%s\" is not yes/no",
                            f->values[v]);
        }
        if (b) {
          cf->want_true = true;
        } else {
          cf->want_false = true;
        }
      }
    }
  }
  ld->have_header = true;
  return HARM_OK;
}

static bool passes_filters(const loader *ld, const harm__csv_record *rec) {
  for (size_t k = 0; k < ld->opts->n_filters; k++) {
    const col_filter *cf = &ld->filters[k];
    const harm_filter *f = &ld->opts->filters[k];
    const char *p = rec->fields[cf->col].p;
    size_t len = rec->fields[cf->col].len;
    harm__trim(&p, &len);
    bool ok = false;
    if (cf->boolean) {
      bool b = false;
      /* An empty domestic flag means "not flagged". */
      if (len == 0 || harm__parse_bool(p, len, &b)) {
        ok = b ? cf->want_true : cf->want_false;
      }
    } else {
      for (size_t v = 0; v < f->n_values && !ok; v++) {
        ok = harm__ieq(p, len, f->values[v]);
      }
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

static bool hist_add(loader *ld, harm_date d) {
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

/* First date inside the window (as_of - lookback_days + 1), or INT32_MIN
 * when the window is unlimited. */
static int64_t window_start(harm_date as_of, uint32_t lookback) {
  if (lookback == 0 || as_of == HARM_DATE_NONE) {
    return INT32_MIN;
  }
  return (int64_t)as_of - lookback + 1;
}

/* Drops records that fell out of the window as the latest date moved,
 * counting them in ds's accounting. */
static void compact(harm_dataset *ds, int64_t start) {
  size_t j = 0;
  /* A pool of one subject string per record (in record order) is
   * compacted with the records, so a file sorted by date keeps only the
   * ids of rows still in the window, not of every row read. */
  harm__strpool *sp = ds->subjects_rows ? &ds->subjects : NULL;
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
      /* Until the first dropped record nothing moves (a row pool's index
       * is the record's position), which is the usual case in a file not
       * sorted by date. */
      if (sp && (i != j || r.subject != j)) {
        if (at == SIZE_MAX) {
          at = (size_t)sp->offset[j];
        }
        size_t len;
        const char *str = harm__strpool_get(sp, r.subject, &len);
        /* Indices only grow along the records: moving down is safe. */
        memmove(sp->bytes + at, str, len + 1);
        sp->offset[j] = at;
        at += len + 1;
        r.subject = (uint32_t)j;
      }
      ds->recs[j++] = r;
    } else {
      ds->acct.outside_window++;
    }
  }
  if (sp) {
    if (at == SIZE_MAX) {
      at = j < sp->n ? (size_t)sp->offset[j] : sp->bytes_len;
    }
    sp->n = (uint32_t)j;
    sp->bytes_len = at;
  }
  ds->n_recs = j;
}

/* Turns a pool of one subject string per record into the dataset's
 * dictionary: each distinct id once, in bytewise order (one radix sort
 * of 8-byte prefixes, exact: equal strings, not equal hashes, are
 * merged), and renumbers the records. Strings of records already dropped
 * are left out. */
static bool sort_subjects(harm_dataset *ds) {
  harm__strpool *sp = &ds->subjects;
  bool *used = harm__calloc((size_t)sp->n + 1, sizeof *used);
  uint32_t *map = harm__malloc(((size_t)sp->n + 1) * sizeof *map);
  harm__strpool out;
  memset(&out, 0, sizeof out);
  bool ok = used && map;
  for (size_t i = 0; ok && i < ds->n_recs; i++) {
    used[ds->recs[i].subject] = true;
  }
  const harm__strpool *pools[1] = {sp};
  const bool *usedv[1] = {used};
  uint32_t *maps[1] = {map};
  ok = ok && harm__strpool_unify(&out, pools, usedv, maps, 1);
  if (ok) {
    for (size_t i = 0; i < ds->n_recs; i++) {
      ds->recs[i].subject = map[ds->recs[i].subject];
    }
    harm__strpool_free(sp);
    *sp = out;
    ds->subjects_rows = false;
  }
  harm__free(used);
  harm__free(map);
  return ok;
}

static bool dedupe_subjects(harm_dataset *ds) {
  return !ds->subjects_rows || sort_subjects(ds);
}

/* The latest valid date seen by this loader or, in parallel, any shard. */
static harm_date latest_seen(const loader *ld) {
  harm_date g = ld->shared_max
                    ? atomic_load_explicit(ld->shared_max, memory_order_relaxed)
                    : HARM_DATE_NONE;
  return g > ld->runmax ? g : ld->runmax;
}

/* Raises the shared latest date to d (HARM_DATE_NONE is the smallest). */
static void publish_max(loader *ld, harm_date d) {
  if (!ld->shared_max) {
    return;
  }
  harm_date cur = atomic_load_explicit(ld->shared_max, memory_order_relaxed);
  while (d > cur && !atomic_compare_exchange_weak_explicit(
                        ld->shared_max, &cur, d, memory_order_relaxed,
                        memory_order_relaxed)) {
  }
}

/* Stores a kept record, its subject (s, len) appended to the row pool.
 * With as_of = latest, records (and their subject strings) that fell out
 * of the window are dropped whenever the count has grown by half since
 * the last compaction (each record is moved about three times at most),
 * so memory follows the rows in the window (1.5 times them at most), not
 * the rows read, whatever the file's order. */
static bool push_rec(loader *ld, harm__rec *r, uint32_t oid, harm__place_ref pr,
                     const char *s, size_t len) {
  harm_dataset *ds = ld->ds;
  if (ds->n_recs == ds->cap_recs ||
      (ld->deferred && ds->n_recs >= ld->compact_at)) {
    if (ld->deferred) {
      compact(ds, window_start(latest_seen(ld), ds->lookback_days));
      size_t grow = ds->n_recs / 2 > ((size_t)1 << 16) ? ds->n_recs / 2
                                                       : ((size_t)1 << 16);
      ld->compact_at = ds->n_recs + grow;
    }
    if (ds->n_recs == ds->cap_recs || ds->n_recs * 4 >= ds->cap_recs * 3) {
      /* Growth is by 4x from a size hinted by the chunk length: every
       * realloc of a large block is an mremap, and in a threaded process
       * each costs a TLB shootdown on every core. */
      size_t cap = ds->cap_recs   ? ds->cap_recs * 4
                   : ld->rec_hint ? ld->rec_hint
                                  : 4096;
      harm__rec *recs = harm__reallocarray(ds->recs, cap, sizeof *recs);
      if (!recs) {
        return false;
      }
      ds->recs = recs;
      if (ld->opts->keep_offence_ids) {
        uint32_t *o = harm__reallocarray(ds->oid, cap, sizeof *o);
        if (!o) {
          return false;
        }
        ds->oid = o;
      }
      if (ds->has_place || ds->has_place_type) {
        harm__place_ref *pp = harm__reallocarray(ds->pref, cap, sizeof *pp);
        if (!pp) {
          return false;
        }
        ds->pref = pp;
      }
      ds->cap_recs = cap;
    }
  }
  r->subject = harm__strpool_append(&ds->subjects, s, len);
  if (r->subject == HARM__STRPOOL_FAIL) {
    return false;
  }
  if (ds->oid) {
    ds->oid[ds->n_recs] = oid;
  }
  if (ds->pref) {
    ds->pref[ds->n_recs] = pr;
  }
  ds->recs[ds->n_recs++] = *r;
  return true;
}

static bool on_record(void *ctx, const harm__csv_record *rec) {
  loader *ld = ctx;
  if (!ld->have_header) {
    ld->status = setup_header(ld, rec);
    if (ld->status == HARM_ERR_NOMEM) {
      harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, rec->line, NULL,
                 "out of memory reading the header");
    }
    return ld->status == HARM_OK && !ld->header_only;
  }
  harm_dataset *ds = ld->ds;
  const harm_ingest_opts *o = ld->opts;
  ds->acct.read++;
  if (rec->error) {
    harm_status st = rec->over_limit ? HARM_ERR_LIMIT : HARM_ERR_DATA;
    reject(ld, rec, rec->error_field, st, "%s", rec->error);
    return ld->status == HARM_OK;
  }
  if (rec->n_fields < ld->n_cols || rec->n_fields > ld->n_cols + ld->n_extra) {
    reject(ld, rec, ABSENT, HARM_ERR_DATA, "expected %zu fields, found %zu",
           ld->n_cols + ld->n_extra, rec->n_fields);
    return ld->status == HARM_OK;
  }
  for (size_t i = ld->n_cols; i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    if (len) {
      reject(ld, rec, ABSENT, HARM_ERR_DATA,
             "a value in column %zu, which has no name in the header", i + 1);
      return ld->status == HARM_OK;
    }
  }
  /* Required text fields: present, non-empty, no NUL bytes. */
  static const int text_roles[] = {COL_OID, COL_OFFENDER, COL_SUBJECT,
                                   COL_CODE};
  harm__csv_field val[N_ROLES];
  for (int role = 0; role < N_ROLES; role++) {
    /* Through locals: copying the field struct and trimming it in place
     * stalled on store forwarding (a sixth of on_record's samples). */
    const char *p = "";
    size_t len = 0;
    size_t c = ld->col[role];
    if (c != ABSENT) {
      p = rec->fields[c].p;
      len = rec->fields[c].len;
      harm__trim(&p, &len);
    }
    val[role].p = p;
    val[role].len = len;
  }
  /* With victims as the subjects, an offence with no victim is filtered
   * out below, not rejected. */
  bool no_subject = o->victims_as_subjects && val[COL_SUBJECT].len == 0;
  for (size_t k = 0; k < sizeof text_roles / sizeof *text_roles; k++) {
    int role = text_roles[k];
    if (val[role].len == 0 && !(role == COL_SUBJECT && no_subject)) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "empty value");
      return ld->status == HARM_OK;
    }
    if (!field_ok_text(rec, &val[role])) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "contains a NUL byte");
      return ld->status == HARM_OK;
    }
  }
  harm_date date;
  if (!harm_date_parse(val[COL_DATE].p, val[COL_DATE].len, o->date_format,
                       &date)) {
    harm_date dmy;
    if (o->date_format == HARM_DATE_YMD &&
        harm_date_parse(val[COL_DATE].p, val[COL_DATE].len, HARM_DATE_DMY,
                        &dmy)) {
      ld->chk.dmy_dates++;
    }
    char shown[80];
    quote_value(shown, sizeof shown, val[COL_DATE].p, val[COL_DATE].len);
    reject(ld, rec, ld->col[COL_DATE], HARM_ERR_DATA, "not a date \"%s\"%s",
           shown,
           o->date_format == HARM_DATE_DMY ? " (expected DD/MM/YYYY)"
                                           : " (expected YYYY-MM-DD)");
    return ld->status == HARM_OK;
  }
  if (ld->col[COL_DOMESTIC] != ABSENT && val[COL_DOMESTIC].len) {
    bool b;
    if (!harm__parse_bool(val[COL_DOMESTIC].p, val[COL_DOMESTIC].len, &b)) {
      char shown[80];
      quote_value(shown, sizeof shown, val[COL_DOMESTIC].p,
                  val[COL_DOMESTIC].len);
      reject(ld, rec, ld->col[COL_DOMESTIC], HARM_ERR_DATA,
             "not a yes/no value \"%s\"", shown);
      return ld->status == HARM_OK;
    }
  }
  /* Dictionaries assume text without NUL bytes (see strpool_unify). */
  static const int opt_roles[] = {COL_VICTIM, COL_AREA, COL_PLACE,
                                  COL_PLACE_TYPE};
  for (size_t k = 0; k < sizeof opt_roles / sizeof *opt_roles; k++) {
    int role = opt_roles[k];
    if (ld->col[role] != ABSENT && !field_ok_text(rec, &val[role])) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "contains a NUL byte");
      return ld->status == HARM_OK;
    }
  }

  if (!check_row(ld, rec, date)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  /* Classify by date before touching any hash table. */
  if (ld->deferred) {
    if (ld->runmax == HARM_DATE_NONE || date > ld->runmax) {
      ld->runmax = date;
      publish_max(ld, date);
    }
    if (no_subject || !passes_filters(ld, rec)) {
      if (!hist_add(ld, date)) {
        ld->status = HARM_ERR_NOMEM;
      }
      return ld->status == HARM_OK;
    }
    if (date < window_start(latest_seen(ld), ds->lookback_days)) {
      ds->acct.outside_window++;
      return true;
    }
  } else {
    if (date > o->as_of) {
      ds->acct.future_dated++;
      return true;
    }
    if (date < window_start(o->as_of, ds->lookback_days)) {
      ds->acct.outside_window++;
      return true;
    }
    if (no_subject || !passes_filters(ld, rec)) {
      /* A filtered row of the previous period is outside the window. */
      if (ds->previous_days &&
          date <
              window_start(o->as_of, ds->lookback_days - ds->previous_days)) {
        ds->acct.outside_window++;
      } else {
        ds->acct.filtered++;
      }
      return true;
    }
  }

  harm__rec r;
  r.date = date;
  r.subject = 0;
  r.code = harm__strpool_intern(&ds->codes, val[COL_CODE].p, val[COL_CODE].len,
                                NULL);
  r.area = -1;
  uint32_t area = 0;
  if (ds->has_area) {
    area = harm__strpool_intern(&ds->areas, val[COL_AREA].p, val[COL_AREA].len,
                                NULL);
    r.area = (int32_t)area;
  }
  if (r.code == HARM__STRPOOL_FAIL || area == HARM__STRPOOL_FAIL ||
      area > INT32_MAX) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  r.offence = harm__hash(val[COL_OID].p, val[COL_OID].len);
  r.victim = 0;
  if (val[COL_VICTIM].len) {
    r.victim = harm__hash(val[COL_VICTIM].p, val[COL_VICTIM].len);
    if (r.victim == 0) {
      r.victim = 1; /* 0 means "no victim" */
    }
  }
  /* Places: the record's place and type, blank = none. */
  harm__place_ref pr = {HARM__NO_PLACE, HARM__NO_PLACE};
  bool pr_ok = true;
  if (ds->has_place && val[COL_PLACE].len) {
    pr.place = harm__strpool_intern(&ds->places, val[COL_PLACE].p,
                                    val[COL_PLACE].len, NULL);
    pr_ok = pr.place != HARM__STRPOOL_FAIL;
  }
  if (ds->has_place_type && val[COL_PLACE_TYPE].len) {
    pr.type = harm__strpool_intern(&ds->place_types, val[COL_PLACE_TYPE].p,
                                   val[COL_PLACE_TYPE].len, NULL);
    pr_ok = pr_ok && pr.type != HARM__STRPOOL_FAIL;
  }
  if (!pr_ok) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  uint32_t oid = 0;
  if (o->keep_offence_ids) {
    oid =
        harm__strpool_intern(&ds->oids, val[COL_OID].p, val[COL_OID].len, NULL);
    if (oid == HARM__STRPOOL_FAIL) {
      ld->status = HARM_ERR_NOMEM;
      return false;
    }
  }
  if (!push_rec(ld, &r, oid, pr, val[COL_SUBJECT].p, val[COL_SUBJECT].len)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  return true;
}

/* Builds the final dictionaries from the pools of every part (the first
 * is ds itself), each distinct string once in bytewise order, and the
 * final record array with every record renumbered. No hashing: one radix
 * sort of 8-byte prefixes per dictionary. */
static bool renumber(harm_dataset *ds, harm_dataset **parts, size_t n_parts) {
  size_t np = n_parts + 1;
  harm_dataset **all = harm__malloc(np * sizeof *all);
  if (!all) {
    return false;
  }
  all[0] = ds;
  for (size_t k = 0; k < n_parts; k++) {
    all[k + 1] = parts[k];
  }
  const harm__strpool **pools = harm__calloc(np, sizeof *pools);
  bool **used = harm__calloc(np, sizeof *used);
  uint32_t **maps = harm__calloc(np, sizeof *maps);
  uint32_t **smap = harm__calloc(np, sizeof *smap);
  uint32_t **cmap = harm__calloc(np, sizeof *cmap);
  uint32_t **amap = harm__calloc(np, sizeof *amap);
  /* places: kinds 3 and 4 are places and place types. */
  uint32_t **pmap = harm__calloc(np, sizeof *pmap);
  uint32_t **tmap = harm__calloc(np, sizeof *tmap);
  bool ok = pools && used && maps && smap && cmap && amap && pmap && tmap;
  harm__strpool out[5];
  memset(out, 0, sizeof out);
  for (int kind = 0; ok && kind < 5; kind++) {
    uint32_t **dst = kind == 0   ? smap
                     : kind == 1 ? cmap
                     : kind == 2 ? amap
                     : kind == 3 ? pmap
                                 : tmap;
    for (size_t k = 0; ok && k < np; k++) {
      harm_dataset *d = all[k];
      const harm__strpool *sp = kind == 0   ? &d->subjects
                                : kind == 1 ? &d->codes
                                : kind == 2 ? &d->areas
                                : kind == 3 ? &d->places
                                            : &d->place_types;
      pools[k] = sp;
      used[k] = harm__calloc((size_t)sp->n + 1, sizeof **used);
      dst[k] = harm__malloc(((size_t)sp->n + 1) * sizeof **dst);
      ok = used[k] && dst[k];
      for (size_t i = 0; ok && i < d->n_recs; i++) {
        const harm__rec *r = &d->recs[i];
        if (kind == 0) {
          used[k][r->subject] = true;
        } else if (kind == 1) {
          used[k][r->code] = true;
        } else if (kind == 2) {
          if (r->area >= 0) {
            used[k][r->area] = true;
          }
        } else if (d->pref) {
          uint32_t v = kind == 3 ? d->pref[i].place : d->pref[i].type;
          if (v != HARM__NO_PLACE) {
            used[k][v] = true;
          }
        }
      }
      maps[k] = dst[k];
    }
    /* Subject dictionaries are already sorted per part (sort_subjects):
     * merging them is linear. Codes and areas are small hash pools. */
    ok = ok && (kind == 0 ? harm__strpool_merge : harm__strpool_unify)(
                   &out[kind], (const harm__strpool *const *)pools,
                   (const bool *const *)used, maps, np);
    for (size_t k = 0; k < np; k++) {
      harm__free(used[k]);
      used[k] = NULL;
    }
  }
  /* Offence ids (explain only) are merged by interning. */
  uint32_t **omap = NULL;
  if (ok && ds->oid) {
    omap = harm__calloc(np, sizeof *omap);
    ok = omap != NULL;
    for (size_t k = 1; ok && k < np; k++) {
      const harm__strpool *src = &all[k]->oids;
      omap[k] = harm__malloc(((size_t)src->n + 1) * sizeof **omap);
      ok = omap[k] != NULL;
      for (uint32_t i = 0; ok && i < src->n; i++) {
        size_t len;
        const char *p = harm__strpool_get(src, i, &len);
        omap[k][i] = harm__strpool_intern(&ds->oids, p, len, NULL);
        ok = omap[k][i] != HARM__STRPOOL_FAIL;
      }
    }
  }
  /* The per-chunk dictionaries (and their hash tables, the bulk of them)
   * are done with: free them before the final record array grows. */
  for (size_t k = 0; ok && k < np; k++) {
    harm__strpool_free(&all[k]->subjects);
    harm__strpool_free(&all[k]->codes);
    harm__strpool_free(&all[k]->areas);
    harm__strpool_free(&all[k]->places);
    harm__strpool_free(&all[k]->place_types);
  }
  size_t total = 0;
  for (size_t k = 0; k < np; k++) {
    total += all[k]->n_recs;
  }
  if (ok && total > ds->cap_recs) {
    harm__rec *recs = harm__reallocarray(ds->recs, total, sizeof *recs);
    ok = recs != NULL;
    if (ok) {
      ds->recs = recs;
      ds->cap_recs = total;
    }
    if (ok && ds->oid) {
      uint32_t *o = harm__reallocarray(ds->oid, total, sizeof *o);
      ok = o != NULL;
      if (ok) {
        ds->oid = o;
      }
    }
    if (ok && (ds->has_place || ds->has_place_type)) {
      harm__place_ref *pp = harm__reallocarray(ds->pref, total, sizeof *pp);
      ok = pp != NULL;
      if (ok) {
        ds->pref = pp;
      }
    }
  }
  if (ok) {
    for (size_t i = 0; i < ds->n_recs; i++) {
      harm__rec *r = &ds->recs[i];
      r->subject = smap[0][r->subject];
      r->code = cmap[0][r->code];
      if (r->area >= 0) {
        r->area = (int32_t)amap[0][r->area];
      }
      if (ds->pref) {
        harm__place_ref *pr = &ds->pref[i];
        pr->place =
            pr->place == HARM__NO_PLACE ? pr->place : pmap[0][pr->place];
        pr->type = pr->type == HARM__NO_PLACE ? pr->type : tmap[0][pr->type];
      }
    }
    for (size_t k = 1; k < np; k++) {
      harm_dataset *d = all[k];
      for (size_t i = 0; i < d->n_recs; i++) {
        harm__rec r = d->recs[i];
        r.subject = smap[k][r.subject];
        r.code = cmap[k][r.code];
        if (r.area >= 0) {
          r.area = (int32_t)amap[k][r.area];
        }
        if (ds->oid) {
          ds->oid[ds->n_recs] = d->oid ? omap[k][d->oid[i]] : 0;
        }
        if (ds->pref) {
          harm__place_ref pr = d->pref[i];
          pr.place = pr.place == HARM__NO_PLACE ? pr.place : pmap[k][pr.place];
          pr.type = pr.type == HARM__NO_PLACE ? pr.type : tmap[k][pr.type];
          ds->pref[ds->n_recs] = pr;
        }
        ds->recs[ds->n_recs++] = r;
      }
      harm__free(d->recs);
      harm__free(d->pref);
      d->pref = NULL;
      d->recs = NULL;
      d->n_recs = d->cap_recs = 0;
    }
    ds->subjects = out[0];
    ds->codes = out[1];
    ds->areas = out[2];
    ds->places = out[3];
    ds->place_types = out[4];
  } else {
    for (int kind = 0; kind < 5; kind++) {
      harm__strpool_free(&out[kind]);
    }
  }
  for (size_t k = 0; k < np; k++) {
    if (smap) {
      harm__free(smap[k]);
    }
    if (cmap) {
      harm__free(cmap[k]);
    }
    if (amap) {
      harm__free(amap[k]);
    }
    if (pmap) {
      harm__free(pmap[k]);
    }
    if (tmap) {
      harm__free(tmap[k]);
    }
    if (omap) {
      harm__free(omap[k]);
    }
  }
  harm__free(omap);
  harm__free(smap);
  harm__free(cmap);
  harm__free(amap);
  harm__free(pmap);
  harm__free(tmap);
  harm__free(maps);
  harm__free(used);
  harm__free(pools);
  harm__free(all);
  return ok;
}

/* Replaces every subject id by its keyed pseudonym (once per distinct
 * id, not per row). */
static harm_status pseudonymise(loader *ld, harm_dataset *ds) {
  harm__strpool np = HARM__STRPOOL_INIT;
  uint32_t *map = harm__malloc(((size_t)ds->subjects.n + 1) * sizeof *map);
  if (!map) {
    return HARM_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < ds->subjects.n; i++) {
    size_t len;
    const char *id = harm__strpool_get(&ds->subjects, i, &len);
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_status st = harm_pseudonym(ld->opts->pseudonym_key,
                                    ld->opts->pseudonym_key_len, id, len, ps);
    if (st != HARM_OK) {
      harm__free(map);
      harm__strpool_free(&np);
      return harm__fail(ld->err, st, "ingest", ld->name, 0, NULL,
                        "cannot pseudonymise (key of at least 16 bytes?)");
    }
    map[i] = harm__strpool_intern(&np, ps, HARM_PSEUDONYM_LEN, NULL);
    if (map[i] == HARM__STRPOOL_FAIL) {
      harm__free(map);
      harm__strpool_free(&np);
      return HARM_ERR_NOMEM;
    }
  }
  for (size_t i = 0; i < ds->n_recs; i++) {
    ds->recs[i].subject = map[ds->recs[i].subject];
  }
  harm__free(map);
  harm__strpool_free(&ds->subjects);
  ds->subjects = np;
  return HARM_OK;
}

/* ---- Checks that stop a wrong list ------------------------------------
 * An input mistake that would empty or gut a list must not pass as a
 * normal run (DESIGN.md section 5, README "Checks that stop a wrong
 * list"). Ingest stops with HARM_ERR_DATA when:
 *  - more than max_reject_share of the data rows (default 0.5) are
 *    rejected for one fault, counted per column at fault (whole-row faults
 *    such as a wrong field count are one more "column"), and that is at
 *    least CHECK_MIN_REJECTS rows or every row. Dates that fail as
 *    YYYY-MM-DD but read as DD/MM/YYYY are named as such;
 *  - as_of is the latest date (the default) and that date is far beyond
 *    the data: after opts->today, or more than CHECK_GAP_DAYS after every
 *    other date while the rows above the gap are at most 1% of the valid
 *    rows (and on fewer than CHECK_TOP distinct dates);
 *  - a filter value matches no valid row of the file.
 * Each verdict names the file, a line and a column, and the fix. */
enum { CHECK_MIN_REJECTS = 10, CHECK_GAP_DAYS = 366 };

static void check_free(loader *ld) {
  checks *c = &ld->chk;
  harm__free(c->rej_col);
  harm__free(c->rej_line);
  harm__free(c->hit);
  if (c->seen) {
    for (size_t k = 0; k < ld->opts->n_filters; k++) {
      for (size_t i = 0; i < c->seen[k].n; i++) {
        harm__free(c->seen[k].v[i]);
      }
    }
  }
  harm__free(c->seen);
  memset(c, 0, sizeof *c);
}

static bool check_reject_n(loader *ld, size_t col, size_t line, uint64_t n) {
  checks *c = &ld->chk;
  if (!c->rej_col) {
    c->rej_col = harm__calloc(ld->n_cols + 1, sizeof *c->rej_col);
    c->rej_line = harm__calloc(ld->n_cols + 1, sizeof *c->rej_line);
    if (!c->rej_col || !c->rej_line) {
      return false;
    }
  }
  size_t k = col < ld->n_cols ? col : ld->n_cols;
  c->rej_col[k] += n;
  if (!c->rej_line[k] || line < c->rej_line[k]) {
    c->rej_line[k] = line;
  }
  return true;
}

static bool check_reject(loader *ld, size_t col, size_t line) {
  return check_reject_n(ld, col, line, 1);
}

/* Counts n rows dated d (first seen on `line`) among the latest dates. */
static void check_date(checks *c, harm_date d, uint64_t n, size_t line) {
  if (c->n_top == CHECK_TOP && d < c->top[CHECK_TOP - 1].d) {
    return;
  }
  size_t i = 0;
  while (i < c->n_top && c->top[i].d > d) {
    i++;
  }
  if (i < c->n_top && c->top[i].d == d) {
    c->top[i].n += n;
    if (line < c->top[i].line) {
      c->top[i].line = line;
    }
    return;
  }
  if (i == CHECK_TOP) {
    return;
  }
  size_t last = c->n_top < CHECK_TOP ? c->n_top : CHECK_TOP - 1;
  memmove(&c->top[i + 1], &c->top[i], (last - i) * sizeof c->top[0]);
  c->top[i].d = d;
  c->top[i].n = n;
  c->top[i].line = line;
  if (c->n_top < CHECK_TOP) {
    c->n_top++;
  }
}

/* Keeps the CHECK_SEEN smallest distinct values of a filter's column. */
static bool check_see(check_seen *s, const char *p, size_t len) {
  size_t i = 0;
  int cmp = 1;
  while (i < s->n) {
    size_t vl = strlen(s->v[i]);
    cmp = memcmp(s->v[i], p, vl < len ? vl : len);
    if (cmp == 0) {
      cmp = vl < len ? -1 : vl > len ? 1 : 0;
    }
    if (cmp >= 0) {
      break;
    }
    i++;
  }
  if ((i < s->n && cmp == 0) || i == CHECK_SEEN || memchr(p, '\0', len)) {
    return true;
  }
  char *v = harm__strndup(p, len);
  if (!v) {
    return false;
  }
  if (s->n == CHECK_SEEN) {
    harm__free(s->v[CHECK_SEEN - 1]);
    s->n--;
  }
  memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof s->v[0]);
  s->v[i] = v;
  s->n++;
  return true;
}

static bool check_alloc_filters(loader *ld) {
  checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  size_t n = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    n += o->filters[k].n_values;
  }
  c->n_hit = n;
  c->hit = harm__calloc(n + 1, sizeof *c->hit);
  c->seen = harm__calloc(o->n_filters, sizeof *c->seen);
  return c->hit && c->seen;
}

/* Notes which filter values a valid row matches (and which values its
 * filter columns hold), until every value has matched some row. */
static bool check_filters(loader *ld, const harm__csv_record *rec) {
  checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  if (!c->hit && !check_alloc_filters(ld)) {
    return false;
  }
  bool all = true;
  size_t base = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    const harm_filter *f = &o->filters[k];
    const col_filter *cf = &ld->filters[k];
    const char *p = rec->fields[cf->col].p;
    size_t len = rec->fields[cf->col].len;
    harm__trim(&p, &len);
    bool b = false;
    bool is_bool = cf->boolean && (len == 0 || harm__parse_bool(p, len, &b));
    for (size_t v = 0; v < f->n_values; v++) {
      if (!c->hit[base + v]) {
        bool want = false;
        if (is_bool) {
          (void)harm__parse_bool(f->values[v], strlen(f->values[v]), &want);
        }
        c->hit[base + v] =
            is_bool ? want == b : harm__ieq(p, len, f->values[v]);
      }
      all = all && c->hit[base + v];
    }
    if (!cf->boolean && !check_see(&c->seen[k], p, len)) {
      return false;
    }
    base += f->n_values;
  }
  c->all_hit = all;
  return true;
}

static bool check_row(loader *ld, const harm__csv_record *rec, harm_date date) {
  checks *c = &ld->chk;
  if (ld->deferred) {
    c->n_dated++;
    check_date(c, date, 1, rec->line);
  }
  if (ld->opts->n_filters && !c->all_hit) {
    return check_filters(ld, rec);
  }
  return true;
}

/* Folds a loader's findings into the master's, its lines moved by base. */
static bool check_fold(loader *master, const loader *from, size_t base) {
  checks *m = &master->chk;
  const checks *c = &from->chk;
  m->dmy_dates += c->dmy_dates;
  m->n_dated += c->n_dated;
  for (size_t k = 0; c->rej_col && k <= master->n_cols; k++) {
    if (c->rej_col[k] &&
        !check_reject_n(master, k, c->rej_line[k] + base, c->rej_col[k])) {
      return false;
    }
  }
  for (size_t i = 0; i < c->n_top; i++) {
    check_date(m, c->top[i].d, c->top[i].n, c->top[i].line + base);
  }
  if (c->hit) {
    if (!m->hit && !check_alloc_filters(master)) {
      return false;
    }
    bool all = true;
    for (size_t i = 0; i < m->n_hit; i++) {
      m->hit[i] = m->hit[i] || c->hit[i];
      all = all && m->hit[i];
    }
    m->all_hit = all;
    for (size_t k = 0; k < master->opts->n_filters; k++) {
      for (size_t i = 0; i < c->seen[k].n; i++) {
        if (!check_see(&m->seen[k], c->seen[k].v[i], strlen(c->seen[k].v[i]))) {
          return false;
        }
      }
    }
  }
  return true;
}

static harm_status check_rejects(loader *ld) {
  const checks *c = &ld->chk;
  double share = ld->opts->max_reject_share;
  uint64_t read = ld->ds->acct.read;
  if (!c->rej_col || !(share < 1.0)) {
    return HARM_OK;
  }
  size_t worst = 0;
  for (size_t k = 1; k <= ld->n_cols; k++) {
    if (c->rej_col[k] > c->rej_col[worst]) {
      worst = k;
    }
  }
  uint64_t n = c->rej_col[worst];
  if (!((double)n > share * (double)read &&
        (n >= CHECK_MIN_REJECTS || n == read))) {
    return HARM_OK;
  }
  const char *column = worst < ld->n_cols ? ld->names[worst] : NULL;
  char hint[160] = "check the rejects file for the reason";
  if (worst == ld->col[COL_DATE] && c->dmy_dates * 2 > n) {
    snprintf(hint, sizeof hint,
             "%llu of them read as DD/MM/YYYY: pass --date-format dmy "
             "([input] date_format = dmy)",
             (unsigned long long)c->dmy_dates);
  }
  return harm__fail(
      ld->err, HARM_ERR_DATA, "ingest", ld->name, c->rej_line[worst], column,
      "%llu of %llu data rows (%.0f%%) were rejected for this "
      "%s, first on this line; %s. The list would be gutted, so "
      "the run stops (--allow-rejects goes on)",
      (unsigned long long)n, (unsigned long long)read,
      100.0 * (double)n / (double)read, column ? "column" : "row layout", hint);
}

static harm_status check_latest(loader *ld) {
  const checks *c = &ld->chk;
  if (!ld->deferred || c->n_top == 0) {
    return HARM_OK;
  }
  char latest[11], other[11];
  harm_date_format_iso(c->top[0].d, latest);
  const char *col = ld->names[ld->col[COL_DATE]];
  harm_date today = ld->opts->today;
  if (today != HARM_DATE_NONE && c->top[0].d > today) {
    harm_date_format_iso(today, other);
    return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name,
                      c->top[0].line, col,
                      "the latest offence date, %s, is after today (%s): "
                      "with as_of = latest the window would end there and "
                      "miss the data; correct the date or pass --as-of "
                      "YYYY-MM-DD",
                      latest, other);
  }
  uint64_t above = 0;
  for (size_t i = 0; i + 1 < c->n_top; i++) {
    above += c->top[i].n;
    if ((int64_t)c->top[i].d - c->top[i + 1].d > CHECK_GAP_DAYS) {
      if (above * 100 > c->n_dated) {
        break;
      }
      harm_date_format_iso(c->top[i + 1].d, other);
      return harm__fail(
          ld->err, HARM_ERR_DATA, "ingest", ld->name, c->top[0].line, col,
          "the latest offence date, %s, is %lld days after the rest of the "
          "data (%llu of %llu rows lie beyond %s): with as_of = latest the "
          "window would miss the data; correct the date or pass --as-of "
          "YYYY-MM-DD",
          latest, (long long)((int64_t)c->top[0].d - c->top[i + 1].d),
          (unsigned long long)above, (unsigned long long)c->n_dated, other);
    }
  }
  return HARM_OK;
}

static harm_status check_filter_values(loader *ld) {
  const checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  if (!o->n_filters || c->all_hit) {
    return HARM_OK;
  }
  size_t base = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    const harm_filter *f = &o->filters[k];
    for (size_t v = 0; v < f->n_values; v++) {
      if (c->hit && c->hit[base + v]) {
        continue;
      }
      char have[200] = "";
      size_t used = 0;
      for (size_t i = 0; c->seen && i < c->seen[k].n; i++) {
        int w = snprintf(have + used, sizeof have - used, "%s\"%s\"",
                         i ? ", " : "", c->seen[k].v[i]);
        if (w < 0 || (size_t)w >= sizeof have - used) {
          have[used] = '\0';
          break;
        }
        used += (size_t)w;
      }
      bool more = c->seen && c->seen[k].n == CHECK_SEEN;
      return harm__fail(
          ld->err, HARM_ERR_DATA, "ingest", ld->name, 0, f->column,
          "filter value \"%s\" matches no row, so the list would be narrowed "
          "or empty; %s%s%s",
          f->values[v],
          ld->filters[k].boolean ? "no row has that yes/no value"
          : used                 ? "values in the file: "
                                 : "the column is empty",
          have, more ? ", ..." : "");
    }
    base += f->n_values;
  }
  return HARM_OK;
}

/* Runs the checks once every row has been read and folded. */
static harm_status check_finish(loader *ld) {
  harm_status st = check_rejects(ld);
  if (st == HARM_OK) {
    st = check_filter_values(ld);
  }
  if (st == HARM_OK) {
    st = check_latest(ld);
  }
  return st;
}

/* places: moves the records dated before the window (the previous period,
 * read as part of a window previous_days longer) out of the records,
 * counts them outside the window, and shrinks the subject and code
 * dictionaries to the window's records, so that no later stage sees the
 * previous period. Their codes keep indexing the full dictionary, kept as
 * prev_codes. Returns false on allocation failure. */
static bool split_previous(harm_dataset *ds) {
  if (!ds->previous_days) {
    return true;
  }
  ds->lookback_days -= ds->previous_days;
  int64_t start = window_start(ds->as_of, ds->lookback_days);
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
      ds->recs[i].code = map[ds->recs[i].code];
    }
    ds->prev_codes = ds->codes;
    ds->codes = codes;
  }
  harm__free(map);
  harm__free(used);
  /* The subjects of the window's records only, renumbered. */
  return ok && sort_subjects(ds);
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
                      role_name(ld, COL_SUBJECT),
                      "only offender ids are pseudonymised: cannot group by "
                      "another column in a pseudonymised run");
  }
  for (size_t k = 0; k <= ld->n_parts; k++) {
    if (!dedupe_subjects(k ? ld->parts[k - 1] : ds)) {
      return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                        "out of memory building dictionaries");
    }
  }
  if (ld->opts->pseudonym_key && person_subject) {
    for (size_t k = 0; k <= ld->n_parts; k++) {
      harm_dataset *part = k ? ld->parts[k - 1] : ds;
      harm_status st = pseudonymise(ld, part);
      if (st != HARM_OK) {
        return st;
      }
      /* Pseudonyms come in hash order: sorted again for the merge. */
      if (!sort_subjects(part)) {
        return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                          "out of memory building dictionaries");
      }
    }
  }
  if (ld->deferred) {
    ds->as_of = ld->runmax;
    int64_t start = window_start(ds->as_of, ds->lookback_days);
    compact(ds, start);
    for (size_t k = 0; k < ld->n_parts; k++) {
      harm_dataset *part = ld->parts[k];
      uint64_t before = part->acct.outside_window;
      compact(part, start);
      ds->acct.outside_window += part->acct.outside_window - before;
    }
    /* Filtered rows of the previous period are outside the window. */
    int64_t fstart =
        window_start(ds->as_of, ds->lookback_days - ds->previous_days);
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
  harm_status cst = check_finish(ld);
  if (cst != HARM_OK) {
    return cst;
  }
  if (!renumber(ds, ld->parts, ld->n_parts)) {
    return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                      "out of memory building dictionaries");
  }
  if (!split_previous(ds)) {
    return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                      "out of memory building dictionaries");
  }
  ds->acct.kept = ds->n_recs;
  return HARM_OK;
}

static void loader_free(loader *ld) {
  for (size_t k = 0; k < ld->n_parts; k++) {
    harm_dataset_free(ld->parts[k]);
  }
  harm__free(ld->parts);
  ld->parts = NULL;
  ld->n_parts = 0;
  harm__buf_free(&ld->rej_buf);
  harm__free(ld->hist);
  ld->hist = NULL;
  check_free(ld);
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

static harm_status reader_status(loader *ld, harm_status st);

/* ---- Parallel ingest ------------------------------------------------
 * The body after the header is cut into one chunk per thread at line
 * starts. Each chunk is read by its own libcsv reader into its own shard
 * (dictionaries, records, counts, buffered rejects). A chunk start is only
 * a real record boundary if the chunk before it ended idle (no quoted
 * field open across the cut): that is checked in order after the join,
 * and from the first chunk that did not end idle the rest of the file is
 * read again by one reader. Shards are merged in chunk order and rejects
 * replayed in file order, so the result never depends on the split. */

enum { SRC_BLOCK = 1 << 20, MIN_CHUNK = 1 << 20 };

typedef struct source {
  const char *mem; /* whole input in memory, or NULL */
  int fd;          /* regular file read with pread */
  size_t len;
} source;

static harm_status source_feed(const source *src, harm__csv_reader *r,
                               size_t from, size_t to, char *buf) {
  if (src->mem) {
    return harm__csv_feed(r, src->mem + from, to - from);
  }
  while (from < to) {
    size_t want = to - from < SRC_BLOCK ? to - from : SRC_BLOCK;
    ssize_t got = pread(src->fd, buf, want, (off_t)from);
    if (got <= 0) {
      return HARM_ERR_IO;
    }
    harm_status st = harm__csv_feed(r, buf, (size_t)got);
    if (st != HARM_OK) {
      return st;
    }
    from += (size_t)got;
  }
  return HARM_OK;
}

/* The byte at `at` (which is < src->len). */
static char source_byte(const source *src, size_t at) {
  char c = '\0';
  if (src->mem) {
    c = src->mem[at];
  } else if (pread(src->fd, &c, 1, (off_t)at) != 1) {
    c = '\0';
  }
  return c;
}

/* Offset just after the first line end at or after `at`, or src->len. A
 * line ends at '\n', at "\r\n" (never split) or at a lone '\r', exactly
 * as the reader counts lines, so a chunk of a lone-CR file still starts
 * on a line and every chunk's line count adds up. */
static size_t next_line(const source *src, size_t at, char *buf) {
  while (at < src->len) {
    size_t want = src->len - at < 65536 ? src->len - at : 65536;
    const char *p;
    if (src->mem) {
      p = src->mem + at;
    } else {
      ssize_t got = pread(src->fd, buf, want, (off_t)at);
      if (got <= 0) {
        return src->len;
      }
      want = (size_t)got;
      p = buf;
    }
    for (size_t i = 0; i < want; i++) {
      if (p[i] == '\n') {
        return at + i + 1;
      }
      if (p[i] == '\r') {
        size_t end = at + i + 1;
        return end < src->len && source_byte(src, end) == '\n' ? end + 1 : end;
      }
    }
    at += want;
  }
  return src->len;
}

typedef struct shard {
  loader ld;
  const source *src;
  size_t from, to;
  bool last;
  bool idle;    /* the chunk ended on a record boundary */
  size_t lines; /* line breaks read in the chunk */
  harm_status st;
} shard;

static harm_dataset *new_partial(const harm_dataset *like) {
  harm_dataset *ds = harm__calloc(1, sizeof *ds);
  if (ds) {
    ds->as_of = like->as_of;
    ds->lookback_days = like->lookback_days;
    ds->has_area = like->has_area;
    ds->has_place = like->has_place;
    ds->has_place_type = like->has_place_type;
    ds->previous_days = like->previous_days;
    ds->subjects_rows = true;
  }
  return ds;
}

static int shard_main(void *arg) {
  shard *sh = arg;
  harm__csv_reader *r = NULL;
  char *buf = sh->src->mem ? NULL : harm__malloc(SRC_BLOCK);
  harm_status st = HARM_ERR_NOMEM;
  if (sh->src->mem || buf) {
    st = harm__csv_reader_new(sh->ld.opts->max_field_bytes, on_record, &sh->ld,
                              &r);
  }
  if (st == HARM_OK) {
    harm__csv_mid_stream(r);
    st = source_feed(sh->src, r, sh->from, sh->to, buf);
  }
  if (st == HARM_OK && sh->last) {
    st = harm__csv_finish(r);
  }
  /* The chunk's dictionary is built here, in its own thread: records
   * already out of the chunk's own window (as_of = latest) go first. */
  if (st == HARM_OK && sh->ld.deferred) {
    compact(sh->ld.ds,
            window_start(latest_seen(&sh->ld), sh->ld.ds->lookback_days));
  }
  if (st == HARM_OK && !dedupe_subjects(sh->ld.ds)) {
    st = HARM_ERR_NOMEM;
  }
  if (r) {
    sh->idle = harm__csv_idle(r);
    sh->lines = harm__csv_line(r) - 1;
  }
  sh->st = reader_status(&sh->ld, st);
  harm__csv_reader_free(r);
  harm__free(buf);
  return 0;
}

static void shard_init(shard *sh, const loader *master) {
  memset(sh, 0, sizeof *sh);
  sh->ld = *master;
  sh->ld.borrowed_header = true;
  sh->ld.header_only = false;
  sh->ld.buffer_rejects = true;
  sh->ld.hist = NULL;
  sh->ld.hist_len = 0;
  memset(&sh->ld.chk, 0, sizeof sh->ld.chk);
  memset(&sh->ld.rej_buf, 0, sizeof sh->ld.rej_buf);
  sh->ld.err = &sh->ld.local_err;
  harm_error_clear(&sh->ld.local_err);
  sh->ld.status = HARM_OK;
  sh->ld.runmax = HARM_DATE_NONE;
  sh->ld.ds = new_partial(master->ds);
}

static void shard_free(shard *sh) {
  harm_dataset_free(sh->ld.ds);
  sh->ld.ds = NULL;
  loader_free(&sh->ld);
}

/* Folds a shard's counts, latest date and filtered-date histogram into
 * the master, and hands its dataset to the master's parts (dictionaries
 * and records are combined once, in renumber()). */
static bool merge_shard(loader *master, shard *sh) {
  harm_dataset *dst = master->ds, *src = sh->ld.ds;
  harm_dataset **parts =
      harm__reallocarray(master->parts, master->n_parts + 1, sizeof *parts);
  if (!parts) {
    return false;
  }
  master->parts = parts;
  dst->acct.read += src->acct.read;
  dst->acct.outside_window += src->acct.outside_window;
  dst->acct.future_dated += src->acct.future_dated;
  dst->acct.filtered += src->acct.filtered;
  dst->acct.rejected += src->acct.rejected;
  if (sh->ld.runmax != HARM_DATE_NONE &&
      (master->runmax == HARM_DATE_NONE || sh->ld.runmax > master->runmax)) {
    master->runmax = sh->ld.runmax;
  }
  for (size_t i = 0; i < sh->ld.hist_len; i++) {
    for (uint64_t c = sh->ld.hist[i]; c; c--) {
      if (!hist_add(master, sh->ld.hist_base + (harm_date)i)) {
        return false;
      }
    }
  }
  /* The part's own counts now live in the master's. */
  memset(&src->acct, 0, sizeof src->acct);
  master->parts[master->n_parts++] = src;
  sh->ld.ds = NULL;
  return true;
}

/* Replays a shard's buffered rejects with absolute line numbers. In
 * strict mode the first one is the run's error. */
static harm_status replay(loader *master, const shard *sh, size_t base) {
  if (!sh->ld.rej_buf.data) {
    return HARM_OK; /* no rejects (and no buffer to walk) */
  }
  const char *p = sh->ld.rej_buf.data;
  const char *end = p + sh->ld.rej_buf.len;
  while (p < end) {
    rej_entry e;
    memcpy(&e, p, sizeof e);
    p += sizeof e;
    char reason[HARM_ERROR_MESSAGE_MAX];
    memcpy(reason, p, e.reason_len);
    reason[e.reason_len] = '\0';
    const char *raw = p + e.reason_len;
    p += e.reason_len + e.raw_len;
    const char *column = e.col < master->n_cols ? master->names[e.col] : "";
    size_t line = e.line + base;
    if (master->opts->on_reject) {
      harm_reject r = {line, raw, e.raw_len, column, reason};
      if (!master->opts->on_reject(master->opts->reject_ctx, &r)) {
        return harm__fail(master->err, HARM_ERR_IO, "ingest", master->name,
                          line, column, "writing rejects failed");
      }
    }
    if (master->opts->strict) {
      return harm__fail(master->err, (harm_status)e.status, "ingest",
                        master->name, line, column, "%s", reason);
    }
  }
  return HARM_OK;
}

static unsigned thread_count(const harm_ingest_opts *o) {
  if (o->threads) {
    return o->threads;
  }
  return harm__cpu_count();
}

/* Reads the input in parallel when it is large enough and the header ends
 * at a '\n'. Returns HARM_OK with *done = false to ask for the sequential
 * reader instead. */
static harm_status ingest_parallel(loader *master, const source *src,
                                   bool *done) {
  *done = false;
  unsigned T = thread_count(master->opts);
  size_t min_chunk =
      master->opts->min_chunk_bytes ? master->opts->min_chunk_bytes : MIN_CHUNK;
  if (T > 64) {
    T = 64;
  }
  if (T < 2 || src->len < 2 * min_chunk) {
    return HARM_OK;
  }
  char *buf = src->mem ? NULL : harm__malloc(SRC_BLOCK);
  if (!src->mem && !buf) {
    return HARM_OK;
  }
  /* The header: fed line by line until it is complete. */
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(master->opts->max_field_bytes,
                                        on_record, master, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
  }
  size_t hdr_end = 0;
  master->header_only = true;
  while (st == HARM_OK && !master->have_header && hdr_end < src->len &&
         hdr_end < (size_t)SRC_BLOCK) {
    size_t nl = next_line(src, hdr_end, buf);
    st = source_feed(src, r, hdr_end, nl, buf);
    if (st == HARM_ERR_USAGE && master->status == HARM_OK &&
        master->have_header) {
      st = HARM_OK; /* stopped on purpose after the header */
    }
    hdr_end = nl;
  }
  master->header_only = false;
  size_t hdr_lines = r ? harm__csv_line(r) - 1 : 0;
  bool header_ok = st == HARM_OK && master->have_header &&
                   master->status == HARM_OK && r && harm__csv_idle(r) &&
                   hdr_lines >= 1;
  harm__csv_reader_free(r);
  if (!header_ok) {
    /* Let the sequential reader report header problems (or handle
     * lone-CR files) from a clean start. */
    loader_free(master);
    master->names = NULL;
    master->filters =
        harm__calloc(master->opts->n_filters + 1, sizeof *master->filters);
    master->have_header = false;
    master->n_cols = 0;
    master->n_extra = 0;
    master->status = HARM_OK;
    harm__free(buf);
    return master->filters ? HARM_OK : HARM_ERR_NOMEM;
  }
  size_t body = src->len - hdr_end;
  if (body / min_chunk < T) {
    T = (unsigned)(body / min_chunk) ? (unsigned)(body / min_chunk) : 1;
  }
  shard *sh = harm__calloc(T, sizeof *sh);
  thrd_t *tid = harm__calloc(T, sizeof *tid);
  if (!sh || !tid) {
    harm__free(sh);
    harm__free(tid);
    harm__free(buf);
    return HARM_ERR_NOMEM;
  }
  size_t from = hdr_end;
  unsigned n = 0;
  _Atomic harm_date shared_max = HARM_DATE_NONE;
  for (unsigned k = 0; k < T && from < src->len; k++) {
    size_t to = k + 1 == T ? src->len
                           : next_line(src, hdr_end + body / T * (k + 1), buf);
    if (to <= from) {
      continue;
    }
    shard_init(&sh[n], master);
    sh[n].src = src;
    sh[n].from = from;
    sh[n].to = to;
    /* About one kept record per 128 bytes of input: a first capacity that
     * rarely needs growing (pages not written cost no memory). */
    sh[n].ld.rec_hint = (to - from) / 128 + 4096;
    if (master->deferred) {
      sh[n].ld.shared_max = &shared_max;
    }
    n++;
    from = to;
  }
  harm__free(buf);
  if (n) {
    sh[n - 1].last = true;
    sh[n - 1].to = src->len;
  }
  bool started[64] = {false};
  for (unsigned k = 0; k < n; k++) {
    if (!sh[k].ld.ds) {
      sh[k].st = HARM_ERR_NOMEM;
      continue;
    }
    started[k] = thrd_create(&tid[k], shard_main, &sh[k]) == thrd_success;
    if (!started[k]) {
      shard_main(&sh[k]);
    }
  }
  for (unsigned k = 0; k < n; k++) {
    if (started[k]) {
      thrd_join(tid[k], NULL);
    }
  }
  /* A chunk that did not end idle means the next chunk started inside a
   * quoted field: read from that chunk to the end again, in one go. With
   * as_of = latest, the earlier chunks may have dropped rows against a
   * latest date that the misread chunk made up, so everything is read
   * again from the first chunk. */
  for (unsigned kk = 0; kk + 1 < n; kk++) {
    if (sh[kk].st == HARM_OK && !sh[kk].idle) {
      unsigned k = master->deferred ? 0 : kk;
      for (unsigned j = k; j < n; j++) {
        shard_free(&sh[j]);
      }
      size_t start = sh[k].from;
      shard_init(&sh[k], master);
      sh[k].src = src;
      sh[k].from = start;
      sh[k].to = src->len;
      sh[k].last = true;
      n = k + 1;
      if (sh[k].ld.ds) {
        shard_main(&sh[k]);
      } else {
        sh[k].st = HARM_ERR_NOMEM;
      }
      break;
    }
  }
  st = HARM_OK;
  size_t base = hdr_lines;
  for (unsigned k = 0; k < n && st == HARM_OK; k++) {
    if (sh[k].st != HARM_OK && sh[k].st != HARM_ERR_DATA &&
        sh[k].st != HARM_ERR_LIMIT) {
      st = sh[k].st;
      if (master->err && sh[k].ld.local_err.status != HARM_OK) {
        *master->err = sh[k].ld.local_err;
        if (master->err->record) {
          master->err->record += base;
        }
      }
      break;
    }
    st = replay(master, &sh[k], base);
    if (st == HARM_OK && !check_fold(master, &sh[k].ld, base)) {
      st = HARM_ERR_NOMEM;
    }
    base += sh[k].lines;
  }
  for (unsigned k = 0; k < n && st == HARM_OK; k++) {
    if (k == 0) {
      /* The first shard's dataset becomes the result. */
      harm_dataset *ds = master->ds;
      harm_dataset *d0 = sh[0].ld.ds;
      d0->source = ds->source;
      ds->source = NULL;
      harm_dataset_free(ds);
      master->ds = d0;
      sh[0].ld.ds = NULL;
      master->runmax = sh[0].ld.runmax;
      for (size_t i = 0; i < sh[0].ld.hist_len && st == HARM_OK; i++) {
        for (uint64_t c = sh[0].ld.hist[i]; c; c--) {
          if (!hist_add(master, sh[0].ld.hist_base + (harm_date)i)) {
            st = HARM_ERR_NOMEM;
            break;
          }
        }
      }
      continue;
    }
    if (!merge_shard(master, &sh[k])) {
      st = HARM_ERR_NOMEM;
    }
    shard_free(&sh[k]);
  }
  for (unsigned k = 0; k < n; k++) {
    shard_free(&sh[k]);
  }
  harm__free(sh);
  harm__free(tid);
  *done = true;
  return st;
}

typedef harm_status (*feed_fn)(loader *ld, const void *arg, size_t len);

static harm_status run(const char *name, const harm_ingest_opts *opts,
                       feed_fn feed, const void *arg, size_t len,
                       harm_dataset **out, harm_error *err) {
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
    loader_free(&ld);
    return harm__fail(err, HARM_ERR_NOMEM, "ingest", name, 0, NULL,
                      "out of memory");
  }
  ds->as_of = opts->as_of;
  ds->lookback_days = opts->lookback_days;
  /* places: the previous period is read as part of a longer window and
   * moved out of it at the end (split_previous). */
  if (opts->lookback_days && opts->previous_days &&
      opts->previous_days <= UINT32_MAX - opts->lookback_days) {
    ds->previous_days = opts->previous_days;
    ds->lookback_days += opts->previous_days;
  }
  ds->subjects_rows = true;
  ld.ds = ds;
  harm_status st = feed(&ld, arg, len);
  ds = ld.ds; /* the parallel reader hands back a merged dataset */
  if (st == HARM_OK) {
    st = finish(&ld);
  }
  loader_free(&ld);
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

/* Maps the reader's status to the loader's: a stop requested by the
 * record callback carries the loader's own status. */
static harm_status reader_status(loader *ld, harm_status st) {
  if (st == HARM_ERR_USAGE && ld->status != HARM_OK) {
    return ld->status;
  }
  if (st == HARM_OK && ld->status != HARM_OK) {
    return ld->status;
  }
  return st;
}

/* The manifest's hash of a regular file the parallel reader consumed:
 * the same open descriptor, bytes [0, len), read once more in order, and
 * a check that the file did not change between the open and the end of
 * this pass (size, modification and change times), so the hash is of the
 * bytes the chunks parsed. */
static harm_status hash_source(loader *ld, int fd, size_t len,
                               const struct stat *before) {
  harm__digest dg;
  char *buf = harm__malloc(SRC_BLOCK);
  if (!buf || !harm__digest_begin(&dg)) {
    harm__free(buf);
    return harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                      "out of memory");
  }
  bool ok = true;
  for (size_t at = 0; ok && at < len;) {
    size_t want = len - at < SRC_BLOCK ? len - at : SRC_BLOCK;
    ssize_t got = pread(fd, buf, want, (off_t)at);
    ok = got > 0;
    if (ok) {
      harm__digest_update(&dg, buf, (size_t)got);
      at += (size_t)got;
    }
  }
  harm__free(buf);
  struct stat after;
  bool same = ok && fstat(fd, &after) == 0 &&
              after.st_size == before->st_size &&
              after.st_mtim.tv_sec == before->st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before->st_mtim.tv_nsec &&
              after.st_ctim.tv_sec == before->st_ctim.tv_sec &&
              after.st_ctim.tv_nsec == before->st_ctim.tv_nsec;
  if (!same || !harm__digest_end(&dg, &ld->ds->hash)) {
    harm__digest_free(&dg);
    return harm__fail(ld->err, HARM_ERR_IO, "ingest", ld->name, 0, NULL,
                      "the file changed while it was being read; run again "
                      "on a copy that is not being written");
  }
  return HARM_OK;
}

static harm_status feed_file(loader *ld, const void *arg, size_t len) {
  (void)len;
  const char *path = arg;
  if (strcmp(path, "-") != 0) {
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
      source src = {NULL, fd, (size_t)sb.st_size};
      bool done;
      harm_status st = ingest_parallel(ld, &src, &done);
      if (done && st == HARM_OK && ld->opts->hash_input) {
        st = hash_source(ld, fd, src.len, &sb);
      }
      close(fd);
      if (done || st != HARM_OK) {
        return st;
      }
    } else if (fd >= 0) {
      close(fd);
    }
  }
  harm_error local = HARM_ERROR_INIT;
  /* Sequential reading (pipes, standard input, small files): the digest
   * is fed by the block reader itself. */
  harm__digest dg;
  bool hashing = ld->opts->hash_input && harm__digest_begin(&dg);
  harm_status st = harm__csv_read_file_hashed(
      (const char *)arg, ld->opts->max_field_bytes, on_record, ld, "ingest",
      hashing ? &dg : NULL, &local);
  st = reader_status(ld, st);
  if (hashing && !harm__digest_end(&dg, &ld->ds->hash) && st == HARM_OK) {
    st = harm__fail(&local, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                    "cannot hash the input");
  }
  if (st != HARM_OK && ld->status == HARM_OK && ld->err) {
    *ld->err = local;
  }
  return st;
}

static harm_status feed_buffer(loader *ld, const void *arg, size_t len) {
  source src = {arg, -1, len};
  bool done;
  harm_status pst = ingest_parallel(ld, &src, &done);
  if (done || pst != HARM_OK) {
    return pst;
  }
  harm__csv_reader *r = NULL;
  harm_status st =
      harm__csv_reader_new(ld->opts->max_field_bytes, on_record, ld, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
    st = harm__csv_feed(r, arg, len);
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  if (st == HARM_ERR_DATA && ld->status == HARM_OK && r && harm__csv_fatal(r)) {
    harm__fail(ld->err, st, "ingest", ld->name, harm__csv_line(r), NULL, "%s",
               harm__csv_fatal(r));
  }
  harm__csv_reader_free(r);
  return reader_status(ld, st);
}

harm_status harm_ingest_file(const char *path, const harm_ingest_opts *opts,
                             harm_dataset **out, harm_error *err) {
  return run(path, opts, feed_file, path, 0, out, err);
}

harm_status harm_ingest_buffer(const char *name, const void *data, size_t len,
                               const harm_ingest_opts *opts, harm_dataset **out,
                               harm_error *err) {
  if (!data && len) {
    *out = NULL;
    return harm__fail(err, HARM_ERR_USAGE, "ingest", name, 0, NULL,
                      "NULL data");
  }
  return run(name, opts, feed_buffer, data ? data : "", len, out, err);
}

void harm_dataset_free(harm_dataset *ds) {
  if (!ds) {
    return;
  }
  harm__free(ds->source);
  harm__strpool_free(&ds->subjects);
  harm__strpool_free(&ds->codes);
  harm__strpool_free(&ds->areas);
  harm__strpool_free(&ds->oids);
  harm__free(ds->oid);
  harm__free(ds->recs);
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
const char *harm_dataset_area(const harm_dataset *ds, size_t i) {
  return harm__strpool_get(&ds->areas, (uint32_t)i, NULL);
}
const char *harm_dataset_source(const harm_dataset *ds) { return ds->source; }
const harm_input_hash *harm_dataset_input_hash(const harm_dataset *ds) {
  return &ds->hash;
}
